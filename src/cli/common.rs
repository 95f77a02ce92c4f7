//! What several subcommands share: the built-in London defaults, loading a
//! dataset from an artifact, a project file or the embedded data, and the
//! one-line error message the binary prints.

use std::path::Path;

use anyhow::Context;
use dxmap::dataset::Dataset;
use dxmap::ingest::{self, BuildOptions, Project};
use dxmap::score::{Methodology, parse_personas};

/// The default methodology (the London variant of the dxmap digital exclusion
/// risk index 2025, for the embedded LSOA 2021 default) and its key groups,
/// built into the binary so it runs from anywhere.
const LONDON_METHODOLOGY: &str = include_str!("../../methodology/dxmap-2025-london.toml");
const LONDON_PERSONAS: &str = include_str!("../../methodology/personas-2025.toml");

/// A methodology file, or the built-in London methodology with its key groups.
pub fn load_methodology(path: Option<&Path>) -> anyhow::Result<Methodology> {
    match path {
        Some(p) => dxmap::methodology_file::load(p)
            .with_context(|| format!("loading methodology {}", p.display())),
        None => {
            let mut m = Methodology::parse(
                LONDON_METHODOLOGY,
                "methodology/dxmap-2025-london.toml (built in)",
            )?;
            m.personas =
                parse_personas(LONDON_PERSONAS, "methodology/personas-2025.toml (built in)")?;
            Ok(m)
        }
    }
}

/// A dataset artifact, a project `.toml` built on the fly as `dxmap build`
/// would, or (with no path) the embedded London default.
pub fn load_dataset(path: Option<&Path>, quiet: bool) -> anyhow::Result<Dataset> {
    let opts = BuildOptions {
        progress: !quiet,
        ..BuildOptions::default()
    };
    match path {
        Some(p) if p.extension().is_some_and(|e| e == "toml") => {
            let project = Project::load(p)?;
            let out = ingest::build(&project, &opts)
                .with_context(|| format!("building {}", p.display()))?;
            Ok(out.dataset)
        }
        Some(p) => Dataset::read(p).with_context(|| format!("reading dataset {}", p.display())),
        None => Ok(ingest::embedded_default(&opts)
            .context("building the embedded London dataset")?
            .dataset),
    }
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
