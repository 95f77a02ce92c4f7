//! CSV export: a [`Table`] in, one header line and one line per row out.
//!
//! Columns and number formatting are those of the GeoJSON export (see
//! docs/EXPORTS.md), without geometry. Missing values are empty fields; text
//! is quoted only when it holds a comma, quote, line break or edge space.

use std::io::{self, Write};
use std::path::Path;

use super::format::push_num;
use super::{Cells, ExportError, Table};
use crate::atomic::write_atomic;

/// Writes `table` as CSV to `path`, atomically.
pub fn export_csv(table: &Table<'_>, path: &Path) -> Result<(), ExportError> {
    write_atomic(path, |w| write_csv(table, w)).map_err(|e| ExportError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Streams `table` as CSV into `w`.
pub fn write_csv<W: Write>(table: &Table<'_>, w: &mut W) -> io::Result<()> {
    let mut buf = String::with_capacity(4096);
    for (k, col) in table.columns.iter().enumerate() {
        if k > 0 {
            buf.push(',');
        }
        push_field(&mut buf, &col.name);
    }
    buf.push('\n');
    w.write_all(buf.as_bytes())?;
    for row in 0..table.len() {
        buf.clear();
        for (k, col) in table.columns.iter().enumerate() {
            if k > 0 {
                buf.push(',');
            }
            match &col.cells {
                Cells::Text(v) => {
                    if let Some(s) = &v[row] {
                        push_field(&mut buf, s);
                    }
                }
                Cells::Num { values, decimals } => {
                    if let Some(x) = values[row] {
                        push_num(&mut buf, x, *decimals);
                    }
                }
                Cells::Int(v) => {
                    if let Some(x) = v[row] {
                        buf.push_str(&x.to_string());
                    }
                }
                Cells::Bool(v) => match v[row] {
                    Some(true) => buf.push_str("true"),
                    Some(false) => buf.push_str("false"),
                    None => {}
                },
            }
        }
        buf.push('\n');
        w.write_all(buf.as_bytes())?;
    }
    Ok(())
}

fn push_field(out: &mut String, s: &str) {
    let quote = s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        let mut s = String::new();
        push_field(&mut s, "Camden 001A");
        s.push('|');
        push_field(&mut s, "Barking, \"Dagenham\"");
        assert_eq!(s, "Camden 001A|\"Barking, \"\"Dagenham\"\"\"");
    }
}
