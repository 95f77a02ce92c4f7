//! What each fuzz target checks, as plain functions over bytes (or, for the
//! tile encoder, over already-built layers): input in, a panic out when dxmap
//! breaks a promise (a panic inside dxmap, an error that names no file, a 500
//! from the server, a tile that does not decode), nothing otherwise.
//!
//! The fuzz targets in `fuzz_targets/` call these, and
//! `tests/fuzz_regressions.rs` includes this file by path and feeds it every
//! saved crash and some hand-made nasty inputs, so the regression tests need
//! neither the fuzz crate nor libFuzzer. Only dxmap's own dependencies
//! (and its dev-dependency `arbitrary`, for [`mvt_input`]) are used here;
//! the grid and methodology come from the shared `tests/fixtures`.

#![allow(dead_code)]

#[path = "../../tests/fixtures/mod.rs"]
pub mod fixtures;
#[path = "mvt_input.rs"]
pub mod mvt_input;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::ingest::Files;
use dxmap::ingest::boundaries::{BoundaryOptions, Crs, parse_geojson, parse_shapefile};
use dxmap::ingest::project::{ColumnKind, Project, Unmatched};
use dxmap::ingest::tables::Table;
use dxmap::ingest::validate::{Extract, extract, missing_columns};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset, score};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::{LayerData, TileCoord, TileOptions, TileSet};
use tower::ServiceExt;

pub use fixtures::METHODOLOGY;
use fixtures::{GRID_S, GRID_W, grid};

/// Asserts that an error's message starts with the file it is about.
pub fn names_file(message: &str, file: &str) {
    assert!(
        message.starts_with(file) || message.contains(&format!("  {file}")),
        "error does not name {file}: {message}"
    );
}

/// Options picked by a selector byte, so one input covers several modes.
fn boundary_options(sel: u8) -> BoundaryOptions {
    BoundaryOptions {
        crs: match sel % 3 {
            0 => None,
            1 => Some(Crs::Wgs84),
            _ => Some(Crs::BritishNationalGrid),
        },
        skip_invalid: sel & 0x10 != 0,
        // Small enough that the cap itself gets exercised.
        max_bytes: Some(1 << 16),
    }
}

/// Every coordinate a parser hands on must be a finite WGS84 position.
fn check_boundaries(b: &dxmap::ingest::boundaries::Boundaries) {
    for f in &b.features {
        for p in &f.geometry {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                assert!(
                    ring.0.len() >= 4,
                    "feature {}: ring of {}",
                    f.index,
                    ring.0.len()
                );
                assert_eq!(
                    ring.0.first(),
                    ring.0.last(),
                    "feature {}: open ring",
                    f.index
                );
                for c in &ring.0 {
                    assert!(
                        c.x.is_finite() && c.y.is_finite(),
                        "feature {}: coordinate {c:?}",
                        f.index
                    );
                }
            }
        }
    }
}

/// GeoJSON ingest: the first byte picks the options, the rest is the file.
pub fn geojson(data: &[u8]) {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    match parse_geojson(bytes, Path::new("fuzz.geojson"), &boundary_options(sel)) {
        Ok(b) => check_boundaries(&b),
        Err(e) => names_file(&e.to_string(), "fuzz.geojson"),
    }
}

/// CSV ingest: parse, then read every column as the join would (first
/// column as the code, the others as counts, rates, values and categories).
pub fn csv(data: &[u8]) {
    let table = match Table::parse(data, Path::new("fuzz.csv")) {
        Ok(t) => t,
        Err(e) => return names_file(&e.to_string(), "fuzz.csv"),
    };
    for h in table.headers() {
        if let Some(col) = table.column(h) {
            assert_eq!(col.len(), table.len(), "column {h}");
        }
    }
    let mut last = 1;
    for row in 0..table.len() {
        let line = table.line(row);
        assert!(line > last, "row {row}: line {line} after {last}");
        last = line;
    }
    let Some(code) = table.headers().first().cloned() else {
        return;
    };
    let rest = &table.headers()[1..];
    let kinds: Vec<ColumnKind> = rest
        .iter()
        .enumerate()
        .map(|(i, h)| match i % 4 {
            0 => ColumnKind::Count(vec![h.clone()]),
            1 => ColumnKind::Rate(vec![h.clone()], vec![rest[0].clone()]),
            2 => ColumnKind::Value(h.clone()),
            _ => ColumnKind::Category(h.clone()),
        })
        .collect();
    let known = |c: &str| c.starts_with('E');
    let ex = Extract {
        code: Some(&code),
        known: &known,
        unknown_phrase: "is not in the boundaries",
        unmatched: Unmatched::Report,
        weight: None,
        point: None,
        unique: true,
        allow_empty: false,
        geography: "LSOA 2011",
    };
    let _ = missing_columns(&table, &kinds, &ex);
    let rows = extract(&table, &kinds, &ex);
    assert_eq!(rows.codes.len(), rows.lines.len());
    for c in &rows.cells {
        assert_eq!(c.len(), rows.codes.len());
    }
    for p in &rows.problems {
        names_file(&p.to_string(), "fuzz.csv");
    }
}

/// A minimal WKT naming British National Grid, for the `.prj` mode.
const BNG_PRJ: &str = r#"PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1849",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]"#;

/// A shapefile fuzz input split up: selector byte, `.shp`, `.shx`, `.dbf`.
pub type ShapefileParts<'a> = (u8, &'a [u8], Option<&'a [u8]>, &'a [u8]);

/// Splits `data` into the parts of a shapefile: a selector byte, then
/// big-endian u16 lengths of the `.shp` and `.shx` (0 means no `.shx`), then
/// the `.shp`, the `.shx` and, as the rest, the `.dbf`.
pub fn split_shapefile(data: &[u8]) -> Option<ShapefileParts<'_>> {
    let (&sel, rest) = data.split_first()?;
    if rest.len() < 4 {
        return None;
    }
    let shp_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    let shx_len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
    let rest = &rest[4..];
    let shp_len = shp_len.min(rest.len());
    let (shp, rest) = rest.split_at(shp_len);
    let shx_len = shx_len.min(rest.len());
    let (shx, dbf) = rest.split_at(shx_len);
    Some((sel, shp, (shx_len > 0).then_some(shx), dbf))
}

/// Joins shapefile parts into one fuzz input (the inverse of [`split_shapefile`]).
pub fn join_shapefile(sel: u8, shp: &[u8], shx: Option<&[u8]>, dbf: &[u8]) -> Vec<u8> {
    let shx = shx.unwrap_or(&[]);
    let mut out = vec![sel];
    out.extend_from_slice(&(shp.len() as u16).to_be_bytes());
    out.extend_from_slice(&(shx.len() as u16).to_be_bytes());
    out.extend_from_slice(shp);
    out.extend_from_slice(shx);
    out.extend_from_slice(dbf);
    out
}

/// Shapefile ingest from in-memory `.shp`/`.shx`/`.dbf` parts.
pub fn shapefile(data: &[u8]) {
    let Some((sel, shp, shx, dbf)) = split_shapefile(data) else {
        return;
    };
    let opts = boundary_options(sel);
    // With no CRS stated, take it from a .prj (BNG) or leave it missing.
    let prj = (opts.crs.is_none() && sel & 0x20 != 0).then_some(BNG_PRJ);
    match parse_shapefile(shp, shx, dbf, prj, Path::new("fuzz.shp"), &opts) {
        Ok(b) => check_boundaries(&b),
        Err(e) => names_file(&e.to_string(), "fuzz.shp"),
    }
}

/// Methodology TOML: parse; when it parses, score the small grid with it
/// (weights, transforms and scopes from the input, sensitivity included).
pub fn methodology(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let m = match Methodology::parse(text, "fuzz.toml") {
        Ok(m) => m,
        Err(e) => return names_file(&e.to_string(), "fuzz.toml"),
    };
    let ds = grid(3, 2, "Fuzz grid");
    if m.check(&ds).is_err() {
        return;
    }
    let opts = ScoreOptions {
        scope: None,
        sensitivity_draws: Some(4),
    };
    if let Ok(s) = score(&ds, &m, &opts) {
        assert_eq!(s.index.len(), ds.areas.len());
        for v in s.index.iter().flatten() {
            assert!(v.is_finite(), "index score {v}");
        }
    }
}

/// Project TOML: parse and check, with no files behind it.
pub fn project(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = Files::Embedded(BTreeMap::new());
    match Project::parse(text, Path::new("fuzz-project.toml"), files) {
        Ok(p) => {
            let _ = p.boundary_crs();
        }
        Err(e) => names_file(&e.to_string(), "fuzz-project.toml"),
    }
}

/// A router over a 4 × 3 grid, with the runtime that drives it.
pub struct Server {
    rt: tokio::runtime::Runtime,
    app: Router,
}

/// Bytes that may stand unescaped in a path segment or query here; the
/// rest are percent-encoded so the request is a valid URI and the server's
/// own parsers (not the URI parser) see the odd bytes.
fn push_escaped(out: &mut String, bytes: &[u8], keep: &[u8]) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    for (k, v) in w.iter_mut().enumerate() {
        *v = b.get(i + k).copied().unwrap_or(0);
    }
    u32::from_le_bytes(w)
}

impl Server {
    /// Builds the grid, scores it and builds the router.
    pub fn new() -> Server {
        let ds = grid(4, 3, "Fuzz grid");
        let m = Arc::new(Methodology::parse(METHODOLOGY, "fuzz.toml").expect("methodology"));
        let opts = ScoreOptions {
            sensitivity_draws: Some(8),
            ..ScoreOptions::default()
        };
        let scored = ScoredDataset::new(Arc::new(ds), m, &opts).expect("score");
        let served = Served::build(scored, TileOptions::default(), 1 << 20).expect("served");
        let state = AppState::new(served, ServerConfig::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Server {
            rt,
            app: router(state),
        }
    }

    /// Turns the bytes into one request: the first byte picks the route,
    /// the rest fills its path, query or body.
    pub fn request(&self, data: &[u8]) {
        let Some((&sel, tail)) = data.split_first() else {
            return;
        };
        let mut uri = String::new();
        let mut method = "GET";
        let mut body = Vec::new();
        let mut headers: Vec<(header::HeaderName, Vec<u8>)> = Vec::new();
        match sel % 9 {
            0 => {
                uri.push_str("/tiles/");
                push_escaped(&mut uri, tail, b"/.-_");
            }
            1 => {
                // A tile address near the grid, so tiles are cut and encoded.
                let z = tail.first().copied().unwrap_or(0) % 20;
                let x = u32_at(tail, 1) & ((1u32 << z.min(31)).wrapping_mul(2).wrapping_sub(1));
                let y = u32_at(tail, 5) & ((1u32 << z.min(31)).wrapping_mul(2).wrapping_sub(1));
                uri = format!("/tiles/{z}/{x}/{y}.mvt");
                let rest = tail.get(9..).unwrap_or(&[]);
                let mid = rest.len() / 2;
                headers.push((header::ACCEPT_ENCODING, rest[..mid].to_vec()));
                headers.push((header::IF_NONE_MATCH, rest[mid..].to_vec()));
            }
            2 => {
                uri.push_str("/api/lookup?");
                push_escaped(&mut uri, tail, b"&=,.-+%_");
            }
            3 => {
                uri.push_str("/api/areas?");
                push_escaped(&mut uri, tail, b"&=,.-+%_");
            }
            4 | 5 => {
                uri.push_str("/api/score");
                method = "POST";
                body = tail.to_vec();
                headers.push((header::CONTENT_TYPE, b"application/json".to_vec()));
            }
            6 => {
                uri.push_str("/api/areas/");
                push_escaped(&mut uri, tail, b".-_");
            }
            7 => {
                // A point in or near the grid.
                let lon = GRID_W + (u32_at(tail, 0) as f64 / u32::MAX as f64 - 0.25) * 0.1;
                let lat = GRID_S + (u32_at(tail, 4) as f64 / u32::MAX as f64 - 0.25) * 0.06;
                uri = format!("/api/lookup?lon={lon}&lat={lat}");
            }
            _ => {
                uri.push('/');
                push_escaped(&mut uri, tail, b"/?&=,.-+%_");
            }
        }
        let mut req = Request::builder().method(method).uri(uri.as_str());
        for (name, value) in headers {
            let Ok(v) = axum::http::HeaderValue::from_bytes(&value) else {
                continue;
            };
            req = req.header(name, v);
        }
        let Ok(req) = req.body(Body::from(body)) else {
            return;
        };
        let is_tile = uri.starts_with("/tiles/") && uri.ends_with(".mvt");
        self.rt.block_on(async {
            let res = self.app.clone().oneshot(req).await.expect("infallible");
            let status = res.status();
            let gzip = res.headers().get(header::CONTENT_ENCODING).is_some();
            let mvt = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|t| t == "application/vnd.mapbox-vector-tile");
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .expect("body");
            assert!(
                !status.is_server_error(),
                "{uri}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
            if status.is_client_error() && status != StatusCode::METHOD_NOT_ALLOWED {
                let v: serde_json::Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{uri}: {status}: error body is not JSON ({e})"));
                assert!(v.get("error").is_some(), "{uri}: {status}: {v}");
            }
            // XYZ tiles, and any other MVT answer (the OGC API's tiles).
            if (is_tile || mvt) && status == StatusCode::OK && !gzip {
                assert!(mvt, "{uri}: a 200 tile that is not MVT");
                let names = ["lsoa", "boroughs", "wards"];
                if let Err(e) = check::tile(&bytes, 4096, &names) {
                    panic!("{uri}: tile does not decode: {e}");
                }
            }
        });
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

/// What [`mvt`] did, so a regression test can tell a replay that cut its
/// tiles from one that stopped at an error before reaching them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cut {
    /// The tile set built.
    pub built: bool,
    /// Tiles cut and checked.
    pub tiles: usize,
    /// Tiles cut and found empty.
    pub empty: usize,
}

/// The tile encoder: builds a tile set from `layers` (which may hold any
/// polygons at all) and cuts each of `coords`. Each must give a tile that
/// decodes with the expected layers and extent, no tile, or an error.
pub fn mvt(layers: Vec<LayerData>, options: TileOptions, coords: &[(u32, u32, u32)]) -> Cut {
    let names: Vec<String> = layers.iter().map(|l| l.meta.name.clone()).collect();
    let extent = options.extent;
    let mut cut = Cut::default();
    let Ok(set) = TileSet::build(layers, options) else {
        return cut;
    };
    cut.built = true;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for &(z, x, y) in coords {
        let Ok(coord) = TileCoord::new(z, x, y) else {
            continue;
        };
        match set.tile(coord) {
            Ok(Some(bytes)) => {
                if let Err(e) = check::tile(&bytes, extent, &names) {
                    panic!("tile {coord}: {e}");
                }
                cut.tiles += 1;
            }
            Ok(None) => cut.empty += 1,
            Err(_) => {}
        }
    }
    cut
}

/// A minimal Mapbox Vector Tile 2.1 reader that checks structure only:
/// protobuf framing, layer names, version and extent, tag indices, and
/// geometry commands of polygons (MoveTo, LineTo, ClosePath) staying
/// within the tile and its buffer.
pub mod check {
    /// Reads a varint at `*at`.
    fn varint(b: &[u8], at: &mut usize) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*at).ok_or("truncated varint")?;
            *at += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    /// One field: number, wire type, and its bytes (length-delimited) or value.
    enum Field<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    fn fields(b: &[u8]) -> Result<Vec<(u64, Field<'_>)>, String> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.len() {
            let key = varint(b, &mut at)?;
            let (num, wire) = (key >> 3, key & 7);
            if num == 0 {
                return Err("field number 0".into());
            }
            let f = match wire {
                0 => Field::Varint(varint(b, &mut at)?),
                1 | 5 => {
                    at += if wire == 1 { 8 } else { 4 };
                    if at > b.len() {
                        return Err("truncated fixed field".into());
                    }
                    Field::Fixed
                }
                2 => {
                    let len = varint(b, &mut at)? as usize;
                    let end = at.checked_add(len).filter(|&e| e <= b.len());
                    let end = end.ok_or("length runs past the end")?;
                    let s = &b[at..end];
                    at = end;
                    Field::Bytes(s)
                }
                w => return Err(format!("wire type {w}")),
            };
            out.push((num, f));
        }
        Ok(out)
    }

    fn packed(b: &[u8]) -> Result<Vec<u64>, String> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < b.len() {
            out.push(varint(b, &mut at)?);
        }
        Ok(out)
    }

    fn zigzag(v: u64) -> i64 {
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    /// Checks one polygon geometry: command sequence and coordinates.
    fn polygon(cmds: &[u64], extent: i64) -> Result<(), String> {
        let (mut x, mut y) = (0i64, 0i64);
        let mut i = 0;
        let mut rings = 0;
        // The buffer is at most the extent, so anything beyond one extent
        // outside the tile escaped the clip.
        let ok = |v: i64| (-extent..=2 * extent).contains(&v);
        while i < cmds.len() {
            // MoveTo 1, LineTo n >= 2, ClosePath.
            let c = cmds[i];
            if c != (1 << 3) | 1 {
                return Err(format!("ring {rings}: expected MoveTo(1), got {c:#x}"));
            }
            let p = cmds.get(i + 1..i + 3).ok_or("MoveTo without parameters")?;
            x += zigzag(p[0]);
            y += zigzag(p[1]);
            if !ok(x) || !ok(y) {
                return Err(format!("ring {rings}: point ({x}, {y}) outside the buffer"));
            }
            i += 3;
            let c = *cmds.get(i).ok_or("ring ends after MoveTo")?;
            let (id, n) = (c & 7, (c >> 3) as usize);
            if id != 2 || n < 2 {
                return Err(format!("ring {rings}: expected LineTo(>=2), got {c:#x}"));
            }
            let p = cmds
                .get(i + 1..i + 1 + 2 * n)
                .ok_or("LineTo short of parameters")?;
            for xy in p.chunks(2) {
                x += zigzag(xy[0]);
                y += zigzag(xy[1]);
                if !ok(x) || !ok(y) {
                    return Err(format!("ring {rings}: point ({x}, {y}) outside the buffer"));
                }
            }
            i += 1 + 2 * n;
            if cmds.get(i) != Some(&((1 << 3) | 7)) {
                return Err(format!("ring {rings}: no ClosePath"));
            }
            i += 1;
            rings += 1;
        }
        if rings == 0 {
            return Err("polygon with no ring".into());
        }
        Ok(())
    }

    /// Checks a whole tile.
    pub fn tile(bytes: &[u8], extent: u32, names: &[&str]) -> Result<(), String> {
        let mut seen = Vec::new();
        for (num, f) in fields(bytes)? {
            let (3, Field::Bytes(layer)) = (num, f) else {
                return Err(format!("tile field {num} is not a layer"));
            };
            let (mut name, mut version, mut ext) = (None, None, None);
            let (mut keys, mut values, mut features) = (0usize, 0usize, Vec::new());
            for (n, f) in fields(layer)? {
                match (n, f) {
                    (1, Field::Bytes(s)) => {
                        name = Some(std::str::from_utf8(s).map_err(|_| "layer name not UTF-8")?)
                    }
                    (15, Field::Varint(v)) => version = Some(v),
                    (5, Field::Varint(v)) => ext = Some(v),
                    (3, Field::Bytes(k)) => {
                        std::str::from_utf8(k).map_err(|_| "key not UTF-8")?;
                        keys += 1;
                    }
                    (4, Field::Bytes(v)) => {
                        if fields(v)?.len() != 1 {
                            return Err("a value must hold exactly one field".into());
                        }
                        values += 1;
                    }
                    (2, Field::Bytes(f)) => features.push(f),
                    (n, _) => return Err(format!("unexpected layer field {n}")),
                }
            }
            let name = name.ok_or("layer without a name")?;
            if !names.contains(&name) {
                return Err(format!("unexpected layer {name:?}"));
            }
            if seen.contains(&name) {
                return Err(format!("layer {name:?} twice"));
            }
            seen.push(name);
            if version != Some(2) {
                return Err(format!("layer {name}: version {version:?}"));
            }
            if ext.unwrap_or(4096) != extent as u64 {
                return Err(format!("layer {name}: extent {ext:?}, expected {extent}"));
            }
            if features.is_empty() {
                return Err(format!("layer {name}: no features"));
            }
            for (i, feat) in features.into_iter().enumerate() {
                let (mut kind, mut geometry) = (None, None);
                for (n, f) in fields(feat)? {
                    match (n, f) {
                        (1, Field::Varint(_)) => {}
                        (2, Field::Bytes(t)) => {
                            let tags = packed(t)?;
                            if tags.len() % 2 != 0 {
                                return Err(format!("{name} feature {i}: odd tag count"));
                            }
                            for kv in tags.chunks(2) {
                                if kv[0] as usize >= keys || kv[1] as usize >= values {
                                    return Err(format!("{name} feature {i}: tag out of range"));
                                }
                            }
                        }
                        (3, Field::Varint(t)) => kind = Some(t),
                        (4, Field::Bytes(g)) => geometry = Some(packed(g)?),
                        (n, _) => return Err(format!("{name} feature {i}: field {n}")),
                    }
                }
                if kind != Some(3) {
                    return Err(format!("{name} feature {i}: type {kind:?}, not polygon"));
                }
                let g = geometry.ok_or(format!("{name} feature {i}: no geometry"))?;
                polygon(&g, extent as i64).map_err(|e| format!("{name} feature {i}: {e}"))?;
            }
        }
        if seen.is_empty() {
            return Err("tile with no layer".into());
        }
        Ok(())
    }
}
