//! What the `derived` and `within` fuzz targets check: bytes in, a panic out
//! when dxmap breaks a promise, nothing otherwise. Like [`crate::harness`],
//! which it uses for the grid and the file-naming check,
//! `tests/fuzz_regressions.rs` includes this file by path (as `inputs`,
//! beside `harness`) to replay saved inputs and run a CI-sized smoke pass.
//!
//! - [`derived`]: `[[derived]]` entries of a project file (the text after a
//!   fixed project head) computed over a 3 × 2 grid whose column values come
//!   from the input (missing, zero, negative zero, NaN, infinities, huge).
//! - [`within`]: a `--within` selection (inline codes, a codes file, a
//!   GeoJSON, gzip or Shapefile polygon file) resolved against a 4 × 3 grid,
//!   then cut from its scores as `export` and `serve` do.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use dxmap::dataset::{Column, ColumnId, Source, Values};
use dxmap::ingest::Files;
use dxmap::ingest::derived::{derive, report_lines};
use dxmap::ingest::project::Project;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::select::{SelectError, Within, resolve, restrict, within_ranks};

use crate::harness::fixtures::grid;
use crate::harness::{METHODOLOGY, names_file, split_shapefile};

/// The project file derived entries are appended to: the grid's three
/// numeric columns and a category column, as `[[dataset]]` columns, so the
/// project's own check accepts entries that name them.
pub const DERIVED_HEAD: &str = r#"title = "Fuzz"
[boundaries]
file = "b.geojson"
code = "code"
name = "name"

[[dataset]]
name = "t"
file = "t.csv"
code = "code"
vintage = "2021"
column = [
  { id = "population", label = "Population", count = "population" },
  { id = "aged_65_plus", label = "Aged 65+", value = "aged" },
  { id = "no_qualifications", label = "No qualifications", value = "noq" },
  { id = "group", label = "Group", category = "g" },
]
"#;

/// The project file's name in messages.
pub const DERIVED_FILE: &str = "fuzz-derived.toml";

/// A cell value picked by a byte: the awkward ones first, then ordinary
/// numbers either side of zero.
fn cell(b: u8) -> Option<f64> {
    match b {
        0 => None,
        1 => Some(0.0),
        2 => Some(-0.0),
        3 => Some(f64::NAN),
        4 => Some(f64::INFINITY),
        5 => Some(f64::NEG_INFINITY),
        6 => Some(f64::MAX),
        7 => Some(-f64::MAX),
        8 => Some(f64::MIN_POSITIVE),
        9 => Some(1e-300),
        _ => Some((f64::from(b) - 128.0) / 4.0),
    }
}

/// Splits a `derived` input: its first byte says how many of the next bytes
/// are cell values (at most 24: four columns of six areas); the rest is the
/// text appended to [`DERIVED_HEAD`].
pub fn split_derived(data: &[u8]) -> Option<(&[u8], &str)> {
    let (&n, rest) = data.split_first()?;
    let n = (n as usize % 25).min(rest.len());
    let (cells, text) = rest.split_at(n);
    Some((cells, std::str::from_utf8(text).ok()?))
}

/// The grid's columns, their values taken from `cells` in turn (cycled;
/// none given leaves the grid's own), plus a category column.
fn derived_columns(cells: &[u8], areas: usize) -> Vec<Column> {
    let ds = grid(3, 2, "Fuzz grid");
    let mut k = 0;
    let mut next = || {
        let b = cells.get(k % cells.len().max(1)).copied();
        k += 1;
        b
    };
    let mut columns: Vec<Column> = ds
        .columns
        .into_iter()
        .map(|mut c| {
            if !cells.is_empty()
                && let Values::Numeric(v) = &mut c.values
            {
                for x in v.iter_mut() {
                    *x = next().and_then(cell);
                }
            }
            c
        })
        .collect();
    columns.push(Column {
        id: ColumnId("group".into()),
        label: "Group".into(),
        values: Values::Category((0..areas).map(|i| Some(format!("g{}", i % 2))).collect()),
        source: Source::default(),
    });
    columns
}

/// `[[derived]]` entries: parse and check the project, then compute every
/// entry over the grid. An error names the project file, at a line of the
/// fuzzed text when it has one; an error while computing names the entry.
/// Every computed column has a value or a reason per area, and no value is
/// NaN or infinite.
pub fn derived(data: &[u8]) {
    let Some((cells, text)) = split_derived(data) else {
        return;
    };
    let full = format!("{DERIVED_HEAD}{text}");
    let project = match Project::parse(
        &full,
        Path::new(DERIVED_FILE),
        Files::Embedded(BTreeMap::new()),
    ) {
        Ok(p) => p,
        Err(e) => {
            let m = e.to_string();
            names_file(&m, DERIVED_FILE);
            // "file: line N: …" names a line of the file.
            if let Some(line) = m
                .strip_prefix(&format!("{DERIVED_FILE}: line "))
                .and_then(|r| r.split(':').next())
                .and_then(|n| n.parse::<usize>().ok())
            {
                let last = full.lines().count().max(1) + 1;
                assert!(
                    (1..=last).contains(&line),
                    "error at line {line} of {last}: {m}"
                );
            }
            return;
        }
    };
    let ds = grid(3, 2, "Fuzz grid");
    let mut columns = derived_columns(cells, ds.areas.len());
    let before = columns.len();
    let ids: Vec<String> = project
        .spec
        .derived
        .iter()
        .map(|d| d.get_ref().id.clone())
        .collect();
    match derive(&project, &ds.areas, &mut columns) {
        Ok(report) => {
            assert_eq!(report.len(), ids.len(), "one coverage per entry");
            assert_eq!(columns.len(), before + ids.len(), "one column per entry");
            for ((c, cov), id) in columns[before..].iter().zip(&report).zip(&ids) {
                assert_eq!(c.id.as_str(), id.as_str());
                assert_eq!(&cov.id, id);
                let Values::Numeric(v) = &c.values else {
                    panic!("derived '{id}': not numeric");
                };
                assert_eq!(v.len(), ds.areas.len(), "derived '{id}'");
                for x in v.iter().flatten() {
                    assert!(x.is_finite(), "derived '{id}': value {x}");
                }
                let present = v.iter().filter(|x| x.is_some()).count();
                assert_eq!(cov.present, present, "derived '{id}'");
                assert_eq!(present + cov.missing.len(), v.len(), "derived '{id}'");
                for (code, why) in &cov.missing {
                    assert!(!why.is_empty(), "derived '{id}': {code} without a reason");
                }
                let lines = report_lines(cov, ds.areas.len());
                assert!(lines[0].contains(id.as_str()));
            }
        }
        Err(e) => {
            let m = e.to_string();
            names_file(&m, DERIVED_FILE);
            assert!(
                ids.iter().any(|id| m.contains(&format!("derived '{id}'"))),
                "error names no entry: {m}"
            );
        }
    }
}

/// The 4 × 3 grid, scored once.
fn scored_grid() -> &'static ScoredDataset {
    static SCORED: OnceLock<ScoredDataset> = OnceLock::new();
    SCORED.get_or_init(|| {
        let m = Arc::new(Methodology::parse(METHODOLOGY, "fuzz.toml").expect("methodology"));
        let ds = Arc::new(grid(4, 3, "Fuzz grid"));
        ScoredDataset::new(ds, m, &ScoreOptions::default()).expect("score")
    })
}

/// A `--within` selection: the first byte picks the form (inline codes, a
/// codes file, a GeoJSON, a gzip or a Shapefile polygon file, written to a
/// temporary directory), the rest is its text or bytes. A selection is
/// never empty and lists areas once, in order; cutting the scores to it
/// keeps exactly those areas. An error names the file, the unknown codes or
/// the flag.
pub fn within(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("temporary file");
        p
    };
    let w = match sel % 5 {
        0 => {
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            // Only codes: text that reads as a path is never opened here.
            match text.parse::<Within>() {
                Ok(w @ Within::Codes(_)) => w,
                Ok(Within::File(_)) => return,
                Err(e) => return assert!(e.starts_with("--within"), "{e}"),
            }
        }
        1 => Within::File(write("codes.txt", body)),
        2 => Within::File(write("area.geojson", body)),
        3 => Within::File(write("area.geojson.gz", body)),
        _ => {
            let Some((_, shp, shx, dbf)) = split_shapefile(body) else {
                return;
            };
            let p = write("area.shp", shp);
            if let Some(shx) = shx {
                write("area.shx", shx);
            }
            write("area.dbf", dbf);
            Within::File(p)
        }
    };
    let scored = scored_grid();
    let ds = &*scored.dataset;
    match resolve(&w, ds) {
        Ok(s) => {
            assert!(!s.is_empty(), "{w}: an empty selection");
            assert!(
                s.areas.windows(2).all(|p| p[0] < p[1]),
                "{w}: areas not ascending or repeated: {:?}",
                s.areas
            );
            assert!(s.areas.iter().all(|&i| i < ds.areas.len()), "{w}");
            assert_eq!(s.within, w.to_string());
            let cut = restrict(scored, &s);
            assert_eq!(cut.dataset.areas.len(), s.len(), "{w}: restricted areas");
            for (k, &i) in s.areas.iter().enumerate() {
                assert_eq!(cut.dataset.areas[k].code, ds.areas[i].code, "{w}");
            }
            let index: Vec<Option<f64>> = (0..ds.areas.len()).map(|i| Some(i as f64)).collect();
            let (ranks, deciles) = within_ranks(&index, &s.areas);
            assert_eq!(ranks.len(), s.len());
            assert_eq!(deciles.len(), s.len());
        }
        Err(SelectError::File(e)) => {
            let Within::File(p) = &w else {
                panic!("{w}: a file error without a file: {e}");
            };
            // The file, or a part of it (a Shapefile's `.dbf` or `.shx`).
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            let stem = p.with_file_name(name.split('.').next().unwrap_or_default());
            names_file(&e.to_string(), &stem.display().to_string());
        }
        Err(e @ SelectError::UnknownCodes(_)) => {
            let m = e.to_string();
            assert!(m.starts_with("--within: "), "{m}");
            let SelectError::UnknownCodes(u) = &e else {
                unreachable!()
            };
            assert!(!u.is_empty(), "{m}");
            for c in u {
                assert!(m.contains(&format!("'{}'", c.code)), "{m}");
                assert!(
                    ds.areas.iter().all(|a| a.code.as_str() != c.code
                        && a.borough_code != c.code
                        && a.ward_code.as_deref() != Some(c.code.as_str())),
                    "'{}' is a code of the grid: {m}",
                    c.code
                );
            }
        }
        Err(e @ SelectError::Empty { .. }) => {
            let m = e.to_string();
            assert!(m.starts_with(&format!("--within {w}: ")), "{m}");
        }
    }
}
