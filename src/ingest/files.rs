//! Where a project's input files come from: a directory on disk, or bytes
//! embedded in the binary.
//!
//! In: a path as written in a project file (relative to the project file).
//! Out: the file's bytes (gunzipped when the name ends in `.gz`) and the path
//! to show in messages. [`Files::Embedded`] lets the default London dataset be
//! built without any file on disk. Tables on disk are read through the
//! size-capped reader ([`crate::ingest::gzip`]) and refused when a line runs
//! past [`MAX_LINE_BYTES`], so a huge single-line file or a gzip bomb given as
//! a table costs at most a few megabytes of memory.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::IngestError;
use super::gzip::{DEFAULT_MAX_BYTES, io_error, open_capped};

/// Longest line a table may have. A census table with a thousand columns has
/// lines of tens of kilobytes; a longer line means the file is not a table
/// (a single-line JSON file, a binary file, a gzip bomb of one line).
pub const MAX_LINE_BYTES: usize = 1 << 20;

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

    /// The bytes of a table (CSV) `name`: from disk gunzipped when it is
    /// gzip (by magic number), capped at [`DEFAULT_MAX_BYTES`] of content and
    /// [`MAX_LINE_BYTES`] per line, checked as it streams in; embedded as [`Files::read`].
    pub fn read_table(&self, name: &str) -> Result<Cow<'_, [u8]>, IngestError> {
        let Files::Dir(_) = self else {
            return self.read(name);
        };
        let path = self.display_path(name);
        let (mut reader, _) = open_capped(&path, DEFAULT_MAX_BYTES)?;
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 1 << 16];
        // Bytes since the last line break.
        let mut run = 0usize;
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&path, e)),
            };
            let got = &chunk[..n];
            let first = got.iter().position(|&b| b == b'\n');
            let longest = match first {
                Some(i) => run + i,
                None => run + n,
            };
            if longest > MAX_LINE_BYTES {
                let line = 1 + out.iter().filter(|&&b| b == b'\n').count();
                return Err(IngestError::Row {
                    file: path,
                    line,
                    message: format!(
                        "longer than {MAX_LINE_BYTES} bytes with no line break; not a CSV table (a single-line file?)"
                    ),
                });
            }
            run = match got.iter().rposition(|&b| b == b'\n') {
                Some(last) => n - last - 1,
                None => run + n,
            };
            out.extend_from_slice(got);
        }
        Ok(Cow::Owned(out))
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

    #[test]
    fn tables_with_an_endless_line_are_refused_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"a,b\n1,2\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
        std::fs::write(dir.path().join("t.csv"), &text).unwrap();
        let files = Files::Dir(dir.path().to_path_buf());
        let err = files.read_table("t.csv").unwrap_err().to_string();
        assert!(err.contains("t.csv: line 3: longer than"), "{err}");
        text.truncate(8 + MAX_LINE_BYTES);
        std::fs::write(dir.path().join("t.csv"), &text).unwrap();
        assert_eq!(files.read_table("t.csv").unwrap().len(), text.len());
    }
}
