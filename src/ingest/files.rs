//! Where a project's input files come from: a directory on disk, or bytes
//! embedded in the binary.
//!
//! In: a path as written in a project file (relative to the project file).
//! Out: the file's bytes (gunzipped when the name ends in `.gz`) and the path
//! to show in messages. [`Files::Embedded`] lets the default London dataset be
//! built without any file on disk.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::IngestError;

/// A source of input files.
#[derive(Clone, Debug)]
pub enum Files {
    /// Files on disk, relative paths resolved against this directory.
    Dir(PathBuf),
    /// Files embedded in the binary, keyed by the name used in the project file.
    Embedded(BTreeMap<String, &'static [u8]>),
}

impl Files {
    /// The path shown in messages for `name`.
    pub fn display_path(&self, name: &str) -> PathBuf {
        match self {
            Files::Dir(dir) => {
                let p = Path::new(name);
                if p.is_absolute() || dir.as_os_str().is_empty() {
                    p.to_path_buf()
                } else {
                    dir.join(p)
                }
            }
            Files::Embedded(_) => PathBuf::from(name),
        }
    }

    /// The file on disk, if this is a directory source.
    pub fn disk_path(&self, name: &str) -> Option<PathBuf> {
        match self {
            Files::Dir(_) => Some(self.display_path(name)),
            Files::Embedded(_) => None,
        }
    }

    /// The raw bytes of `name` as stored (still compressed if it is `.gz`).
    pub fn read_raw(&self, name: &str) -> Result<Cow<'_, [u8]>, IngestError> {
        match self {
            Files::Dir(_) => {
                let path = self.display_path(name);
                std::fs::read(&path)
                    .map(Cow::Owned)
                    .map_err(|source| IngestError::Io { file: path, source })
            }
            Files::Embedded(map) => {
                map.get(name)
                    .map(|b| Cow::Borrowed(*b))
                    .ok_or_else(|| IngestError::File {
                        file: PathBuf::from(name),
                        message: "no such embedded file".to_string(),
                    })
            }
        }
    }

    /// The bytes of `name`, gunzipped when its name ends in `.gz`.
    pub fn read(&self, name: &str) -> Result<Cow<'_, [u8]>, IngestError> {
        let raw = self.read_raw(name)?;
        if name.ends_with(".gz") {
            let mut out = Vec::with_capacity(raw.len() * 4);
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(|e| IngestError::File {
                    file: self.display_path(name),
                    message: format!("not a valid gzip file: {e}"),
                })?;
            Ok(Cow::Owned(out))
        } else {
            Ok(raw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn embedded_gz_is_decompressed() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"hello").unwrap();
        let gz: &'static [u8] = Box::leak(enc.finish().unwrap().into_boxed_slice());
        let files = Files::Embedded(BTreeMap::from([("a.txt.gz".to_string(), gz)]));
        assert_eq!(&*files.read("a.txt.gz").unwrap(), b"hello");
        assert!(files.read("missing").is_err());
    }

    #[test]
    fn dir_resolves_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), "x").unwrap();
        let files = Files::Dir(dir.path().to_path_buf());
        assert_eq!(&*files.read("t.csv").unwrap(), b"x");
        let err = files.read("nope.csv").unwrap_err().to_string();
        assert!(err.contains("nope.csv"), "{err}");
    }
}
