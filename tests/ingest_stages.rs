//! The ingest stages seen from outside: a build reports its steps to a
//! caller's [`Progress`] (and says it is over even when it fails), and the
//! one `dataset::load` reads an artifact or builds a project, refusing a
//! FIFO among a project's files before anything is opened.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

mod common;

use dxmap::dataset::{self, Dataset, LoadError};
use dxmap::ingest::{BuildOptions, Progress, Project, build};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");

/// The tiny project copied into a temporary directory.
fn tiny() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["tiny.geojson", "tiny.csv", "tiny.toml"] {
        std::fs::copy(Path::new(FIXTURES).join(f), dir.path().join(f)).unwrap();
    }
    let toml = dir.path().join("tiny.toml");
    (dir, toml)
}

/// Writes down what a build tells it.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Progress for Recorder {
    fn start(&self, steps: u64) {
        self.0.lock().unwrap().push(format!("start {steps}"));
    }
    fn step(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
    fn finish(&self) {
        self.0.lock().unwrap().push("finish".into());
    }
}

fn build_recorded(project: &Project) -> (bool, Vec<String>) {
    let recorder = Arc::new(Recorder::default());
    let opts = BuildOptions {
        progress: Some(recorder.clone()),
        ..BuildOptions::default()
    };
    let ok = build(project, &opts).is_ok();
    let said = recorder.0.lock().unwrap().clone();
    (ok, said)
}

#[test]
fn a_build_tells_its_progress_each_step_and_when_it_is_over() {
    let (_dir, toml) = tiny();
    let project = Project::load(&toml).unwrap();
    let (ok, said) = build_recorded(&project);
    assert!(ok);
    assert_eq!(
        said,
        [
            "start 3",
            "reading boundaries and tables",
            "joining 1 table",
            "dissolving boroughs and wards",
            "finish"
        ]
    );

    // A failing table still ends the progress (no bar left on the screen).
    std::fs::write(
        toml.with_file_name("tiny.csv"),
        "code,people\nE01000001,1\n",
    )
    .unwrap();
    let project = Project::load(&toml).unwrap();
    let (ok, said) = build_recorded(&project);
    assert!(!ok);
    assert_eq!(said.last().map(String::as_str), Some("finish"), "{said:?}");
}

#[test]
fn one_load_reads_an_artifact_or_builds_a_project() {
    let (dir, toml) = tiny();
    let opts = BuildOptions::default();
    let built = dataset::load(Some(&toml), &opts).unwrap();
    let direct = build(&Project::load(&toml).unwrap(), &opts)
        .unwrap()
        .dataset;
    assert_eq!(built.len(), direct.len());
    assert_eq!(built.columns.len(), direct.columns.len());

    let artifact = dir.path().join("tiny.dxds");
    built.write(&artifact).unwrap();
    let read: Dataset = dataset::load(Some(&artifact), &opts).unwrap();
    assert_eq!(read.len(), built.len());

    let e = dataset::load(Some(&dir.path().join("absent.dxds")), &opts).unwrap_err();
    assert!(matches!(e, LoadError::Read(_)), "{e:?}");
    assert!(e.to_string().contains("absent.dxds"), "{e}");
}

#[test]
fn a_project_naming_a_fifo_is_refused_before_it_is_opened() {
    let (_dir, toml) = tiny();
    let csv = toml.with_file_name("tiny.csv");
    std::fs::remove_file(&csv).unwrap();
    let made = Command::new("mkfifo").arg(&csv).status();
    if !made.is_ok_and(|s| s.success()) {
        common::skip_for_tool(
            "a_project_naming_a_fifo_is_refused_before_it_is_opened",
            "no mkfifo",
        );
        return;
    }
    // Opening a FIFO for reading would block this test forever.
    let e = dataset::load(Some(&toml), &BuildOptions::default()).unwrap_err();
    assert!(matches!(e, LoadError::Build(_)), "{e:?}");
    assert!(e.to_string().contains("tiny.csv"), "{e}");
}
