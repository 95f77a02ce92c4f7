//! Reading CSV tables through polars.
//!
//! In: the bytes of a CSV file (a UTF-8 byte-order mark and CRLF line endings
//! are accepted). Out: a [`Table`] whose columns are all text, so that codes
//! such as `E01000001` keep their exact spelling and every number is parsed
//! later by [`crate::ingest::validate`] with an error naming line, column and
//! value. Line numbers are 1-based with the header on line 1, and count the
//! physical lines of the file (a quoted field may span several).

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::{CsvReadOptions, DataFrame, SerReader};

use super::IngestError;

/// A CSV table with text columns.
#[derive(Debug)]
pub struct Table {
    /// The file, for messages.
    pub file: PathBuf,
    /// Header names, trimmed, in file order.
    headers: Vec<String>,
    /// Each name's first position in `headers`: a wide table (thousands of
    /// columns) must not cost a scan of the header per lookup.
    positions: HashMap<String, usize>,
    df: DataFrame,
    /// 1-based line number of each data row.
    lines: Vec<usize>,
}

impl Table {
    /// Parses CSV bytes. Every column is read as text; empty fields are missing.
    pub fn parse(bytes: &[u8], file: &Path) -> Result<Table, IngestError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let err = |message: String| IngestError::File {
            file: file.to_path_buf(),
            message,
        };
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(err("empty file (expected a header line)".into()));
        }
        if let Err(e) = std::str::from_utf8(bytes) {
            let at = e.valid_up_to();
            return Err(IngestError::Row {
                file: file.to_path_buf(),
                line: 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count(),
                message: format!(
                    "not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
                    bytes.get(at).copied().unwrap_or(0)
                ),
            });
        }
        if let Some((line, message)) = check_shape(bytes) {
            return Err(IngestError::Row {
                file: file.to_path_buf(),
                line,
                message,
            });
        }
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
            .map_err(|e| err(format!("cannot read as CSV: {e}")))?;
        let headers: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.trim().to_string())
            .collect();
        let lines = record_lines(bytes);
        if lines.len() != df.height() {
            // Never report a row under another's line number.
            return Err(err(format!(
                "cannot match its {} rows to lines ({} records found); check for \
                 stray quotes or line breaks",
                df.height(),
                lines.len()
            )));
        }
        let mut positions = HashMap::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            positions.entry(h.clone()).or_insert(i);
        }
        Ok(Table {
            file: file.to_path_buf(),
            headers,
            positions,
            df,
            lines,
        })
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// True when there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 1-based line number of data row `row` (0-based).
    pub fn line(&self, row: usize) -> usize {
        self.lines.get(row).copied().unwrap_or(row + 2)
    }

    /// Header names, trimmed, in file order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The first twelve header names, for messages ("a, b, ..." when there
    /// are more): a wide table must not make an error message megabytes long.
    pub fn headers_shown(&self) -> String {
        let mut shown: Vec<&str> = self.headers.iter().map(String::as_str).take(12).collect();
        if self.headers.len() > 12 {
            shown.push("...");
        }
        shown.join(", ")
    }

    /// True when the table has a column of that name.
    pub fn has(&self, name: &str) -> bool {
        self.positions.contains_key(name.trim())
    }

    /// A column's values, trimmed, `None` where empty; `None` if no such column.
    pub fn column(&self, name: &str) -> Option<Vec<Option<&str>>> {
        let pos = *self.positions.get(name.trim())?;
        let col = self.df.columns().get(pos)?;
        let s = col.str().ok()?;
        Some(
            s.iter()
                .map(|v| v.map(str::trim).filter(|v| !v.is_empty()))
                .collect(),
        )
    }

    /// Like [`Table::column`], but a missing column is an error naming the
    /// file and the columns it does have.
    pub fn require(&self, name: &str) -> Result<Vec<Option<&str>>, IngestError> {
        self.column(name).ok_or_else(|| IngestError::File {
            file: self.file.clone(),
            message: format!("no column '{name}' (columns: {})", self.headers_shown()),
        })
    }
}

/// The first record whose number of fields differs from the header's, or a
/// quoted field never closed: its 1-based line and what is wrong. Blank
/// lines are skipped (they read as rows of missing values).
fn check_shape(bytes: &[u8]) -> Option<(usize, String)> {
    let mut line = 1usize;
    let mut record_start = 1usize;
    let mut in_quotes = false;
    let mut fields = 1usize;
    let mut blank = true;
    let mut header: Option<usize> = None;
    let mut end_record = |fields: usize, blank: bool, start: usize| -> Option<(usize, String)> {
        if blank {
            return None;
        }
        match header {
            None => {
                header = Some(fields);
                None
            }
            Some(h) if h != fields => Some((
                start,
                format!(
                    "{fields} field{}, but the header has {h}",
                    if fields == 1 { "" } else { "s" }
                ),
            )),
            Some(_) => None,
        }
    };
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            // A CR ends a line only before an LF. Alone it is an old Mac
            // line ending or a stray byte, which CSV readers split
            // differently: refused, so that no row gets another's line.
            b'\r' if !in_quotes && bytes.get(at + 1) != Some(&b'\n') => {
                return Some((
                    line,
                    "a carriage return (CR) not followed by a line feed; save the file \
                     with LF or CRLF line endings"
                        .to_string(),
                ));
            }
            b'"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            b',' if !in_quotes => {
                fields += 1;
                blank = false;
            }
            b'\n' => {
                line += 1;
                if !in_quotes {
                    if let Some(problem) = end_record(fields, blank, record_start) {
                        return Some(problem);
                    }
                    record_start = line;
                    fields = 1;
                    blank = true;
                }
            }
            b'\r' | b' ' | b'\t' => {}
            _ => blank = false,
        }
    }
    if in_quotes {
        return Some((
            record_start,
            "a quoted field starts here and its closing quote never comes".to_string(),
        ));
    }
    end_record(fields, blank, record_start)
}

/// The 1-based starting line of each record after the header, honouring
/// quoted fields that contain line breaks.
fn record_lines(bytes: &[u8]) -> Vec<usize> {
    // polars keeps a blank line inside the data as a row of missing values.
    const KEEP_BLANK: bool = true;
    let mut out = Vec::new();
    let mut line = 1usize;
    let mut in_quotes = false;
    let mut record_start = 1usize;
    let mut record_empty = true;
    let mut first = true;
    for &b in bytes {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                record_empty = false;
            }
            b'\n' => {
                line += 1;
                if !in_quotes {
                    if !record_empty || (KEEP_BLANK && !first) {
                        if first {
                            first = false;
                        } else {
                            out.push(record_start);
                        }
                    }
                    record_start = line;
                    record_empty = true;
                }
            }
            b'\r' => {}
            _ => record_empty = false,
        }
    }
    if !record_empty && !first {
        out.push(record_start);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_and_codes_as_text() {
        let csv = b"\xEF\xBB\xBFcode,n\r\n007,1\r\nE01000001, 2 \r\n";
        let t = Table::parse(csv, Path::new("t.csv")).unwrap();
        assert_eq!(t.headers(), ["code", "n"]);
        assert_eq!(t.column("code").unwrap(), [Some("007"), Some("E01000001")]);
        assert_eq!(t.column("n").unwrap(), [Some("1"), Some("2")]);
        assert_eq!(t.line(1), 3);
    }

    #[test]
    fn empty_fields_are_missing_and_lines_follow_quotes() {
        let csv = b"code,label\na,\"two\nlines\"\n\nb,\n";
        let t = Table::parse(csv, Path::new("t.csv")).unwrap();
        let labels = t.column("label").unwrap();
        let codes = t.column("code").unwrap();
        assert_eq!(t.len(), labels.len());
        assert_eq!(labels[0], Some("two\nlines"));
        let b = codes.iter().position(|c| *c == Some("b")).unwrap();
        assert_eq!(labels[b], None);
        assert_eq!((t.line(0), t.line(b)), (2, 5));
    }

    #[test]
    fn a_carriage_return_alone_is_refused_with_its_line() {
        // polars and a line counter disagree on where such lines end, so a
        // row could be reported under another row's line number.
        for (csv, line) in [
            (&b"a\n1\n\r\r"[..], 3),
            (b"a\n1\n\r", 3),
            (b"a\r\n1\r\n\r", 3),
            (b"a\r1\r2\r", 1),
            (b"a\n1\r2\n", 2),
            (b"\n\r\r\n\r\na\n1\n", 2),
        ] {
            let e = Table::parse(csv, Path::new("t.csv"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("t.csv") && e.contains(&format!("line {line}")),
                "{csv:?}: {e}"
            );
            assert!(e.contains("carriage return"), "{e}");
        }
        // Inside quotes it is text; CRLF endings are fine.
        let t = Table::parse(b"a\r\n\"1\r2\"\r\n3\r\n", Path::new("t.csv")).unwrap();
        assert_eq!(t.column("a").unwrap(), [Some("1\r2"), Some("3")]);
        assert_eq!((t.line(0), t.line(1)), (2, 3));
    }

    #[test]
    fn ragged_rows_and_open_quotes_name_the_line() {
        let e = |csv: &[u8]| {
            Table::parse(csv, Path::new("x.csv"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e(b"a,b\n1,2\n\n3,4,5\n"),
            "x.csv: line 4: 3 fields, but the header has 2"
        );
        assert_eq!(
            e(b"a,b\r\n1,\"x,\ny\"\r\n3\r\n"),
            "x.csv: line 4: 1 field, but the header has 2"
        );
        assert_eq!(
            e(b"a,b\n1,2\n3,\"4\n5,6\n"),
            "x.csv: line 3: a quoted field starts here and its closing quote never comes"
        );
        assert!(Table::parse(b"a,b\n1,\"2,\"\"q\"\"\"\n", Path::new("x.csv")).is_ok());
    }

    #[test]
    fn non_utf8_names_the_line() {
        let e = Table::parse(b"a,b\n1,2\n3,\xe9\n", Path::new("x.csv"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "x.csv: line 3: not UTF-8 text (byte 0xE9); save the file as UTF-8"
        );
    }

    #[test]
    fn missing_column_names_file_and_columns() {
        let t = Table::parse(b"a,b\n1,2\n", Path::new("x.csv")).unwrap();
        let e = t.require("c").unwrap_err().to_string();
        assert!(e.starts_with("x.csv: no column 'c'"), "{e}");
        assert!(e.contains("a, b"), "{e}");
        let wide: String = (0..5000).map(|i| format!("c{i},")).collect();
        let t = Table::parse(format!("{wide}z\n").as_bytes(), Path::new("w.csv")).unwrap();
        let e = t.require("nope").unwrap_err().to_string();
        assert!(e.ends_with("c9, c10, c11, ...)"), "{e}");
        assert_eq!(t.column("z").unwrap().len(), 0);
        assert_eq!(t.headers().len(), 5001);
    }
}
