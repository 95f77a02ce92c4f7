//! What several subcommands share: the built-in London defaults, loading a
//! dataset from an artifact, a project file or the embedded data, the checks
//! that keep a run's outputs off its inputs (and off FIFOs and devices), and
//! the one-line error message the binary prints.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use dxmap::dataset::{self, Dataset};
use dxmap::file_checks::{Input, check_input, check_output};
use dxmap::ingest::{BuildOptions, Project};
use dxmap::progress::Progress;
use dxmap::score::{Methodology, parse_personas};

use super::progress::Bar;

/// The default methodology (the London variant of the dxmap digital exclusion
/// risk index 2025, for the embedded LSOA 2021 default) and its key groups,
/// built into the binary so it runs from anywhere.
const LONDON_METHODOLOGY: &str = include_str!("../../methodology/dxmap-2025-london.toml");
const LONDON_PERSONAS: &str = include_str!("../../methodology/personas-2025.toml");

/// A methodology file, or the built-in London methodology with its key groups.
pub fn load_methodology(path: Option<&Path>) -> anyhow::Result<Methodology> {
    load_methodology_with_files(path).map(|(m, _)| m)
}

/// Like [`load_methodology`], also returning the files it read (the
/// methodology and its persona file), as inputs of the run.
pub fn load_methodology_with_files(
    path: Option<&Path>,
) -> anyhow::Result<(Methodology, Vec<Input>)> {
    match path {
        Some(p) => {
            let (m, files) = dxmap::methodology_file::load_with_files(p)
                .with_context(|| format!("loading methodology {}", p.display()))?;
            let inputs = files
                .into_iter()
                .enumerate()
                .map(|(i, f)| match i {
                    0 => Input::new("the methodology", f),
                    _ => Input::new(format!("the persona file named by {}", p.display()), f),
                })
                .collect();
            Ok((m, inputs))
        }
        None => {
            let mut m = Methodology::parse(
                LONDON_METHODOLOGY,
                "methodology/dxmap-2025-london.toml (built in)",
            )?;
            m.personas =
                parse_personas(LONDON_PERSONAS, "methodology/personas-2025.toml (built in)")?;
            Ok((m, Vec::new()))
        }
    }
}

/// Where a run's dataset comes from ([`dxmap::dataset::DatasetSource`]),
/// loaded with the CLI's progress bar unless quiet.
pub struct DatasetSource(dataset::DatasetSource);

impl DatasetSource {
    /// A project `.toml` (parsed now), an artifact, or with no path the
    /// embedded default.
    pub fn open(path: Option<&Path>) -> anyhow::Result<DatasetSource> {
        Ok(DatasetSource(dataset::DatasetSource::open(path)?))
    }

    /// The files on disk it reads.
    pub fn inputs(&self) -> Vec<Input> {
        self.0.inputs()
    }

    /// Reads or builds the dataset.
    pub fn load(self, quiet: bool) -> anyhow::Result<Dataset> {
        let doing = self.0.doing();
        self.0.load(&build_options(quiet)).context(doing)
    }
}

/// A dataset artifact, a project `.toml` built on the fly as `dxmap build`
/// would, or (with no path) the embedded London default.
pub fn load_dataset(path: Option<&Path>, quiet: bool) -> anyhow::Result<Dataset> {
    DatasetSource::open(path)?.load(quiet)
}

/// A project file and every file on disk it names, as inputs of a run.
pub fn project_run_inputs(project: &Project) -> Vec<Input> {
    dataset::project_inputs(project)
}

/// Build options: the build's steps drawn as a bar on standard error
/// unless quiet.
pub fn build_options(quiet: bool) -> BuildOptions {
    BuildOptions {
        progress: progress_bar(quiet),
        ..BuildOptions::default()
    }
}

/// A run's steps drawn as a bar on standard error, or nothing when quiet.
pub fn progress_bar(quiet: bool) -> Option<Arc<dyn Progress>> {
    (!quiet).then(Bar::steps)
}

/// The checks every command makes before reading or writing anything:
/// each input must be a regular file (or missing, which its reader
/// reports); each output must be a regular file or a new path, and neither
/// one of the inputs nor another output.
pub fn check_run_files(inputs: &[Input], outputs: &[(&str, &Path)]) -> anyhow::Result<()> {
    for input in inputs {
        check_input(&input.path).map_err(|e| anyhow::anyhow!("{}: {e}", input.path.display()))?;
    }
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        check_output(out, inputs)?;
        if let Some((other, _)) = outputs[..i].iter().find(|(_, o)| same_place(o, out)) {
            anyhow::bail!(
                "{}: given as both {other} and {flag}; each output needs its own path",
                out.display()
            );
        }
    }
    Ok(())
}

/// True when two paths that may not exist yet name the same place (their
/// directories resolved, so `a.csv` and `./a.csv` match).
fn same_place(a: &Path, b: &Path) -> bool {
    let place = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::canonicalize(dir)
            .ok()
            .map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    a == b || matches!((place(a), place(b)), (Some(x), Some(y)) if x == y)
}

/// The error and its causes joined by ": ", as anyhow's `{:#}` prints them,
/// but leaving out a cause the message before it already ends with (errors
/// such as "file: reason" that also return the reason as their source).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(dxmap::ingest::IngestError::Io {
            file: "a.csv".into(),
            source: io,
        })
        .context("building p.toml");
        assert_eq!(error_chain(&e), "building p.toml: a.csv: no such file");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_chain(&e), "outer: inner");
    }

    #[test]
    fn built_in_methodology_parses_with_personas() {
        let m = load_methodology(None).expect("built-in methodology");
        assert!(!m.components.is_empty());
        assert!(!m.personas.is_empty());
    }
}
