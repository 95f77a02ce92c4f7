//! Where a project's input files come from: a directory on disk, or bytes
//! embedded in the binary.
//!
//! In: a path as written in a project file (relative to the project file).
//! Out: the file's bytes (gunzipped when the name ends in `.gz`) and the path
//! to show in messages. [`Files::Embedded`] lets the default London dataset be
//! built without any file on disk. Tables on disk are read through the
//! size-capped reader ([`crate::capped`]) and refused when a line runs
//! past [`MAX_LINE_BYTES`], so a huge single-line file or a gzip bomb given as
//! a table costs at most a few megabytes of memory; a field, quoted or not,
//! is held to the same limit. [`project_inputs`] lists the files on disk a
//! project names, for the CLI's and the server's checks on inputs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::IngestError;
use super::Project;
use crate::capped::{DEFAULT_MAX_BYTES, io_error, open_capped};
use crate::file_checks::{Input, check_input, open_input};

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
                let mut bytes = Vec::new();
                open_input(&path)
                    .and_then(|mut f| f.read_to_end(&mut bytes))
                    .map(|_| Cow::Owned(bytes))
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
        let mut shape = Shape::default();
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&path, e).into()),
            };
            if let Some((line, message)) = shape.feed(&chunk[..n]) {
                return Err(IngestError::Row {
                    file: path,
                    line,
                    message,
                });
            }
            out.extend_from_slice(&chunk[..n]);
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

/// The files on disk that a project names, each with what it is to the run
/// (for [`crate::file_checks`]): the boundary file (for a Shapefile its
/// `.shx`, `.dbf`, `.prj` and `.cpg` too), the lookups and the tables, with
/// their own lookups and source boundaries. Empty for embedded files.
pub fn project_inputs(project: &Project) -> Vec<Input> {
    let files = &project.files;
    let by = project.path.display();
    let mut out = Vec::new();
    let mut add = |what: &str, name: &str| {
        if let Some(p) = files.disk_path(name) {
            out.push(Input::new(format!("{what} named by {by}"), p));
        }
    };
    let spec = &project.spec;
    let shp = &spec.boundaries.file;
    add("the boundary file", shp);
    if let Some(stem) = shp
        .len()
        .checked_sub(4)
        .filter(|&i| shp.get(i..).is_some_and(|e| e.eq_ignore_ascii_case(".shp")))
        .map(|i| &shp[..i])
    {
        for ext in ["shx", "dbf", "prj", "cpg", "SHX", "DBF", "PRJ", "CPG"] {
            add("a part of the boundary file", &format!("{stem}.{ext}"));
        }
    }
    if let Some(l) = spec
        .boundaries
        .borough
        .as_ref()
        .and_then(|b| b.lookup.as_ref())
    {
        add("the borough lookup", &l.file);
    }
    if let Some(w) = &spec.wards {
        add("the ward lookup", &w.file);
    }
    for d in &spec.datasets {
        let d = d.get_ref();
        add(&format!("table '{}'", d.name), &d.file);
        if let Some(l) = &d.lookup {
            add(&format!("the lookup of table '{}'", d.name), &l.file);
        }
        if let Some(b) = &d.boundaries {
            add(&format!("the boundaries of table '{}'", d.name), &b.file);
        }
    }
    out
}

/// Refuses a project naming a file on disk that is not a regular file (a
/// FIFO, a device, a directory), before any of them is opened.
pub fn check_project_inputs(project: &Project) -> Result<(), IngestError> {
    for input in project_inputs(project) {
        check_input(&input.path).map_err(|source| IngestError::Io {
            file: input.path,
            source,
        })?;
    }
    Ok(())
}

/// Line and field lengths of a table as it streams in: refuses a physical
/// line, or a field (quoted or not, line breaks and all), longer than
/// [`MAX_LINE_BYTES`], at the line where it starts.
#[derive(Debug)]
struct Shape {
    /// 1-based line of the next byte.
    line: usize,
    /// Bytes since the last line break.
    line_len: usize,
    /// Bytes since the field began, and the line it began on.
    field_len: usize,
    field_line: usize,
    in_quotes: bool,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            line: 1,
            line_len: 0,
            field_len: 0,
            field_line: 1,
            in_quotes: false,
        }
    }
}

impl Shape {
    /// Takes the next bytes; `Some((line, message))` once a limit is passed.
    fn feed(&mut self, bytes: &[u8]) -> Option<(usize, String)> {
        for &b in bytes {
            if b == b'\n' {
                self.line += 1;
                self.line_len = 0;
            } else {
                self.line_len += 1;
            }
            if self.line_len > MAX_LINE_BYTES {
                return Some((
                    self.line,
                    format!(
                        "longer than {MAX_LINE_BYTES} bytes with no line break; not a CSV table (a single-line file?)"
                    ),
                ));
            }
            if !self.in_quotes && (b == b'\n' || b == b',') {
                self.field_len = 0;
                self.field_line = self.line;
                continue;
            }
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            }
            self.field_len += 1;
            if self.field_len > MAX_LINE_BYTES {
                return Some((
                    self.field_line,
                    format!(
                        "a field starting here is longer than {MAX_LINE_BYTES} bytes{}; not a CSV table",
                        if self.in_quotes {
                            " (a quoted field whose closing quote is missing or far away?)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        None
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
    fn a_quoted_field_with_line_breaks_is_held_to_the_line_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"a,b\n1,2\n3,\"".to_vec();
        let line = b"short line\n";
        while text.len() < 2 * MAX_LINE_BYTES {
            text.extend_from_slice(line);
        }
        text.extend_from_slice(b"\"\n");
        std::fs::write(dir.path().join("t.csv"), &text).unwrap();
        let files = Files::Dir(dir.path().to_path_buf());
        let err = files.read_table("t.csv").unwrap_err().to_string();
        assert!(
            err.contains("t.csv: line 3: a field starting here is longer than 1048576 bytes"),
            "{err}"
        );
        // Short quoted fields with line breaks and many fields are fine.
        let ok = b"a,b\n\"x\ny\",\"\"\"q\"\"\"\n".repeat(1 << 16);
        std::fs::write(dir.path().join("t.csv"), &ok).unwrap();
        assert_eq!(files.read_table("t.csv").unwrap().len(), ok.len());
    }

    #[test]
    fn a_line_of_short_fields_is_held_to_the_line_limit() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"a,".repeat(MAX_LINE_BYTES);
        std::fs::write(dir.path().join("t.csv"), &text).unwrap();
        let files = Files::Dir(dir.path().to_path_buf());
        let err = files.read_table("t.csv").unwrap_err().to_string();
        assert!(err.contains("t.csv: line 1: longer than"), "{err}");
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
