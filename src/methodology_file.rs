//! Reading a methodology from disk: a methodology TOML file (and the persona
//! file its `personas` key names, relative to it) in, a checked
//! [`Methodology`] out.
//!
//! The scoring stage only parses text; this is the file side, for the
//! binary, tests and benches. Files are read with a size cap, so a wrong path
//! (a dataset, a disk image) is refused at once rather than read into memory.

use std::path::{Path, PathBuf};

use crate::capped::{self, ReadError};
use crate::score::{Methodology, Persona, ScoreError, parse_personas};

/// The largest methodology or persona file read. Real ones are a few
/// kilobytes.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Errors from reading a methodology or persona file.
#[derive(Debug, thiserror::Error)]
pub enum MethodologyFileError {
    /// The file could not be read, is over [`MAX_FILE_BYTES`] or is not
    /// UTF-8 (the message names the file).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The text does not parse or check (file, line and key in the message).
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// Loads a methodology file and the persona file it names, if any.
pub fn load(path: &Path) -> Result<Methodology, MethodologyFileError> {
    load_with_files(path).map(|(m, _)| m)
}

/// Like [`load`], also returning the files read (the methodology, then its
/// persona file if it names one), so a run can keep its outputs off them.
pub fn load_with_files(path: &Path) -> Result<(Methodology, Vec<PathBuf>), MethodologyFileError> {
    let text = read_capped(path)?;
    let mut m = Methodology::parse(&text, &path.display().to_string())?;
    let mut files = vec![path.to_path_buf()];
    if let Some(p) = Methodology::persona_file(&text) {
        let base = path.parent().unwrap_or(Path::new("."));
        let personas = base.join(p);
        m.personas = load_personas(&personas)?;
        files.push(personas);
    }
    Ok((m, files))
}

/// Loads a persona file.
pub fn load_personas(path: &Path) -> Result<Vec<Persona>, MethodologyFileError> {
    let text = read_capped(path)?;
    Ok(parse_personas(&text, &path.display().to_string())?)
}

/// The file's text, through ingest's capped reader (which also reads gzip).
fn read_capped(path: &Path) -> Result<String, MethodologyFileError> {
    let bytes = capped::read_capped(path, MAX_FILE_BYTES)?;
    Ok(capped::utf8_text(path, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_repository_methodologies_with_their_personas() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology");
        let london = load(&root.join("london.toml")).unwrap();
        assert!(
            !london.personas.is_empty(),
            "london.toml names personas.toml"
        );
        load(&root.join("deri-v1.6.toml")).unwrap();
        for current in ["dxmap-2025.toml", "dxmap-2025-london.toml"] {
            let m = load(&root.join(current)).unwrap();
            assert!(!m.personas.is_empty(), "{current} names personas-2025.toml");
            assert!(
                !m.name.contains("DERI"),
                "{current}: the new index is not DERI"
            );
        }
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let e = load(&missing).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", missing.display())), "{e}");

        let big = dir.path().join("big.toml");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = load(&big).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: ", big.display())), "{e}");
        assert!(e.contains("exceeds the limit of 4194304 bytes"), "{e}");

        // A persona file named by the methodology but absent: its own path.
        let m = dir.path().join("m.toml");
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology/london.toml"),
        )
        .unwrap();
        std::fs::write(&m, text).unwrap();
        let e = load(&m).unwrap_err().to_string();
        assert!(e.contains("personas.toml: "), "{e}");
    }
}
