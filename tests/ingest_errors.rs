//! `dxmap build` on bad inputs: every case exits with code 2, names the file,
//! the line and what is wrong, does not panic, and writes nothing (an
//! existing output is left as it was). A UTF-8 BOM and CRLF line endings are
//! accepted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");

/// A temporary project: the tiny fixture with its table (and optionally its
/// project text) replaced.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(csv: &[u8], toml_edit: impl Fn(String) -> String) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            Path::new(FIXTURES).join("tiny.geojson"),
            dir.path().join("tiny.geojson"),
        )
        .unwrap();
        std::fs::write(dir.path().join("tiny.csv"), csv).unwrap();
        let toml = std::fs::read_to_string(Path::new(FIXTURES).join("tiny.toml")).unwrap();
        std::fs::write(dir.path().join("tiny.toml"), toml_edit(toml)).unwrap();
        Case { dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out.dxm")
    }

    fn run(&self) -> (i32, String, String) {
        let o = Command::new(common::dxmap_bin())
            .current_dir(self.dir.path())
            .args([
                "build",
                "--project",
                "tiny.toml",
                "--out",
                "out.dxm",
                "--table",
                "out.csv",
            ])
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// Runs twice: with no output present (none must appear), and with an
    /// existing output (it must be unchanged). Returns stderr.
    fn fails(&self, wants: &[&str]) -> String {
        let (code, _, err) = self.run();
        assert_eq!(code, 2, "exit code; stderr: {err}");
        assert!(!err.contains("panicked"), "{err}");
        for w in wants {
            assert!(err.contains(w), "stderr lacks {w:?}: {err}");
        }
        assert!(!self.out().exists(), "no artifact on error");
        assert!(
            !self.dir.path().join("out.csv").exists(),
            "no table on error"
        );
        std::fs::write(self.out(), b"previous").unwrap();
        let (code, _, _) = self.run();
        assert_eq!(code, 2);
        assert_eq!(std::fs::read(self.out()).unwrap(), b"previous");
        err
    }
}

fn same(t: String) -> String {
    t
}

#[test]
fn the_fixture_builds() {
    let csv = std::fs::read(Path::new(FIXTURES).join("tiny.csv")).unwrap();
    let c = Case::new(&csv, same);
    let (code, out, err) = c.run();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("tiny: 3 rows, 3 areas matched, 0 missing"),
        "{out}"
    );
    let table = std::fs::read_to_string(c.dir.path().join("out.csv")).unwrap();
    assert_eq!(
        table,
        "code,name,borough_code,borough_name,ward_code,ward_name,people,older,score,group\n\
         E01000001,Camden 001A,E09000007,Camden,,,100,0.2,1.5,a\n\
         E01000002,Camden 001B,E09000007,Camden,,,200,0.25,-0.5,b\n\
         E01000003,Hackney 001A,E09000012,Hackney,,,300,0.1,2,a\n"
    );
    let d = dxmap::dataset::Dataset::read(&c.out()).unwrap();
    assert_eq!(d.areas[2].borough_code(), Some("E09000012"));
    assert_eq!(d.layer("boroughs").map(|l| l.features.len()), Some(2));
}

#[test]
fn duplicated_code() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,1,1,1,a\nE01000001,2,1,1,a\n",
        same,
    );
    c.fails(&[
        "tiny.csv: line 3:",
        "duplicate code 'E01000001' (first on line 2)",
    ]);
}

#[test]
fn code_missing_from_boundaries() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,1,1,1,a\nE09999999,2,1,1,a\n",
        same,
    );
    c.fails(&[
        "tiny.csv: line 3:",
        "code 'E09999999' is not in the boundaries",
    ]);
}

#[test]
fn non_numeric_value() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,1,1,high,a\n",
        same,
    );
    c.fails(&[
        "tiny.csv: line 2:",
        "column 'score': 'high' is not a number",
    ]);
}

#[test]
fn negative_count() {
    let c = Case::new(b"code,people,older,score,group\nE01000001,-5,1,1,a\n", same);
    c.fails(&["tiny.csv: line 2:", "column 'people': negative count -5"]);
}

#[test]
fn zero_denominator() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,1,1,1,a\nE01000002,0,0,1,a\n",
        same,
    );
    c.fails(&["tiny.csv: line 3:", "column 'people': zero denominator"]);
}

#[test]
fn every_problem_is_listed() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,x,1,1,a\nE01000002,1,1,y,a\n",
        same,
    );
    let err = c.fails(&["2 problems", "tiny.csv: line 2:", "tiny.csv: line 3:"]);
    assert!(
        err.contains("'x' is not a number") && err.contains("'y' is not a number"),
        "{err}"
    );
}

#[test]
fn project_naming_a_missing_column() {
    let csv = std::fs::read(Path::new(FIXTURES).join("tiny.csv")).unwrap();
    let c = Case::new(&csv, |t| t.replace("value = \"score\"", "value = \"scor\""));
    c.fails(&[
        "tiny.toml: line 19:",
        "column 'score'",
        "has no column 'scor'",
        "tiny.csv",
    ]);
}

#[test]
fn project_with_an_unknown_key() {
    let csv = std::fs::read(Path::new(FIXTURES).join("tiny.csv")).unwrap();
    let c = Case::new(&csv, |t| {
        t.replace("vintage = \"test\"", "vintage = \"test\"\ncolour = \"red\"")
    });
    c.fails(&["tiny.toml: line 16:", "unknown field `colour`"]);
}

#[test]
fn warn_policy_leaves_bad_values_missing() {
    let c = Case::new(
        b"code,people,older,score,group\nE01000001,1,1,high,a\n",
        |t| {
            t.replace(
                "vintage = \"test\"",
                "vintage = \"test\"\non_invalid = \"warn\"",
            )
        },
    );
    let (code, out, err) = c.run();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("warning: ") && out.contains("'high' is not a number"),
        "{out}"
    );
    assert!(out.contains("1 areas matched, 2 missing"), "{out}");
    let table = std::fs::read_to_string(c.dir.path().join("out.csv")).unwrap();
    assert!(
        table.contains("E01000001,Camden 001A,E09000007,Camden,,,1,1,,a\n"),
        "{table}"
    );
}

#[test]
fn bom_and_crlf_tables_build() {
    for csv in [
        &b"\xEF\xBB\xBFcode,people,older,score,group\nE01000001,10,1,1,a\n"[..],
        &b"code,people,older,score,group\r\nE01000001,10,1,1,a\r\nE01000002,20,2,2,b\r\n"[..],
    ] {
        let c = Case::new(csv, same);
        let (code, _, err) = c.run();
        assert_eq!(code, 0, "{err}");
        let table = std::fs::read_to_string(c.dir.path().join("out.csv")).unwrap();
        assert!(
            table.contains("E01000001,Camden 001A,E09000007,Camden,,,10,0.1,1,a\n"),
            "{table}"
        );
    }
}
