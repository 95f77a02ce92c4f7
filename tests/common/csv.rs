//! A small CSV reader for checking dxmap's own CSV exports: a header and
//! rows of text fields (quoted fields with commas and doubled quotes).

use std::collections::HashMap;
use std::path::Path;

/// A CSV file's header and its rows keyed by the first field (the code).
pub struct Rows {
    /// Column names.
    pub header: Vec<String>,
    /// Fields of each row, by code.
    pub rows: HashMap<String, Vec<String>>,
}

impl Rows {
    /// Reads `path`; panics naming it when it cannot.
    pub fn read(path: &Path) -> Rows {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header = split(lines.next().unwrap_or(""));
        let rows = lines
            .map(|l| {
                let f = split(l);
                (f[0].clone(), f)
            })
            .collect();
        Rows { header, rows }
    }

    /// The position of column `name`; panics when absent.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column '{name}' in {:?}", self.header))
    }

    /// Field `name` of the row with `code`.
    pub fn get(&self, code: &str, name: &str) -> &str {
        &self.rows[code][self.col(name)]
    }
}

/// One CSV line's fields.
pub fn split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}
