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
//! - [`basemap`]: `serve --basemap` flags (URL, attribution, opacity); an
//!   accepted basemap is served over the grid, and the page's
//!   Content-Security-Policy and `/api/places/basemap` are checked.

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
use dxmap::server::csp::ContentSecurityPolicy;
use dxmap::server::{AppState, Basemap, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;

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
                        && a.borough_code() != Some(c.code.as_str())
                        && a.ward_code() != Some(c.code.as_str())),
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

/// `serve --basemap` flags: the first 8 bytes are the opacity (an `f64`,
/// little-endian: NaN, infinities and negative zero included), the rest the
/// URL and, after the first line break, the attribution. A refusal names
/// the flag. An accepted basemap has an opacity in 0..=1 and is served over
/// the grid: the page's `Content-Security-Policy` is present, has exactly
/// the fixed directives in their order (a URL cannot add or cut one), and
/// names the basemap's origin in `img-src` and `connect-src` only;
/// `/api/places/basemap` gives back the URL and the trimmed attribution.
pub fn basemap(data: &[u8]) {
    let mut op = [0u8; 8];
    for (o, b) in op.iter_mut().zip(data) {
        *o = *b;
    }
    let opacity = f64::from_le_bytes(op);
    let text = String::from_utf8_lossy(data.get(8..).unwrap_or(&[]));
    let (url, attribution) = text.split_once('\n').unwrap_or((&text, ""));
    let b = match Basemap::parse(url, Some(attribution), opacity) {
        Err(e) => {
            assert!(
                e.starts_with("--basemap ") || e.starts_with("--basemap-opacity "),
                "{e}"
            );
            return;
        }
        Ok(b) => b,
    };
    assert!((0.0..=1.0).contains(&b.opacity), "{}", b.opacity);
    assert_eq!(b.url, url);
    assert_eq!(b.attribution, attribution.trim());

    let served =
        Served::build(scored_grid().clone(), TileOptions::default(), 1 << 20).expect("served");
    let config = ServerConfig {
        basemap: Some(b.clone()),
        ..ServerConfig::default()
    };
    let app = router(AppState::new(served, config));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let get = |path: &str| {
        let req = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request");
        rt.block_on(async {
            use tower::ServiceExt;
            let res = app.clone().oneshot(req).await.expect("response");
            let (parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20).await.expect("body");
            (parts, bytes)
        })
    };

    let (page, _) = get("/");
    assert_eq!(page.status, 200, "GET / with --basemap {url}");
    let csp = page
        .headers
        .get(axum::http::header::CONTENT_SECURITY_POLICY)
        .unwrap_or_else(|| panic!("no CSP on the page with --basemap {url}"))
        .to_str()
        .expect("CSP is ASCII");
    let names = |v: &str| -> Vec<String> {
        v.split("; ")
            .map(|d| d.split(' ').next().unwrap_or("").to_string())
            .collect()
    };
    let plain = ContentSecurityPolicy::new().header_value();
    assert_eq!(names(csp), names(&plain), "{csp}");
    for (with, without) in csp.split("; ").zip(plain.split("; ")) {
        let name = without.split(' ').next().unwrap_or("");
        if name == "img-src" || name == "connect-src" {
            let extra: Vec<&str> = with
                .strip_prefix(without)
                .unwrap_or_else(|| panic!("{with} does not extend {without}"))
                .split_whitespace()
                .collect();
            assert_eq!(extra.len(), 1, "{with}");
            let origin = extra[0];
            assert!(
                origin.starts_with("http://") || origin.starts_with("https://"),
                "{origin}"
            );
            assert!(
                origin["https://".len() - 1..]
                    .trim_start_matches('/')
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)),
                "{origin}"
            );
        } else {
            assert_eq!(with, without);
        }
    }

    let (meta, body) = get("/api/places/basemap");
    assert_eq!(meta.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).expect("basemap JSON");
    assert_eq!(v["basemap"]["url"], url, "{v}");
    assert_eq!(v["basemap"]["attribution"], b.attribution.as_str(), "{v}");
}
