//! Conformance of dxmap's vector tiles on the real London LSOA 2011 polygons,
//! decoded by implementations dxmap did not write: Python
//! `mapbox-vector-tile` (with shapely, through tests/tools/mvt_check.py) and
//! GDAL's MVT driver (`ogrinfo`). Each part prints a skip line when its tool
//! is absent, and those parts skip without ../shared/data.
//!
//! Then the archive `dxmap export mbtiles` writes for the embedded London
//! 2021 default (real open data, in the binary): no tile over
//! [`MAX_TILE_BYTES`], every area in every zoom of the `lsoa` layer, and
//! lean overview tiles (read back by `mapbox-vector-tile` through
//! tests/tools/mvt_props.py) with every field from the detail zoom on.

mod common;
mod fixtures;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use dxmap::tiles::{FeatureData, MAX_TILE_BYTES, TileCoord, TileOptions, TileSet, candidate_tiles};
use fixtures::lsoa_layer;
use serde_json::Value;

/// London LSOA 2011 features (id = position in the file), or `None`.
fn london(test: &str) -> Option<(PathBuf, Vec<FeatureData>)> {
    let path = common::shared_data(test)?.join("boundaries/london_lsoa11.geojson");
    if !path.is_file() {
        common::skip_for_tool(test, &format!("{} is absent", path.display()));
        return None;
    }
    let features = fixtures::london_lsoa11(&path);
    Some((path, features))
}

struct London {
    geojson: PathBuf,
    features: Vec<FeatureData>,
    set: TileSet,
}

/// Built once for all tests in this file.
fn shared() -> Option<&'static London> {
    static CELL: OnceLock<Option<London>> = OnceLock::new();
    CELL.get_or_init(|| {
        let (geojson, features) = london("tiles_conformance")?;
        let t = Instant::now();
        let set =
            TileSet::build(lsoa_layer(features.clone()), TileOptions::default()).expect("build");
        println!(
            "built London tile set ({} features) in {:?}",
            features.len(),
            t.elapsed()
        );
        Some(London {
            geojson,
            features,
            set,
        })
    })
    .as_ref()
}

#[test]
fn every_tile_is_small_and_deterministic() {
    let Some(l) = shared() else { return };
    let again =
        TileSet::build(lsoa_layer(l.features.clone()), TileOptions::default()).expect("build");
    let (mut count, mut bytes, mut largest) = (0usize, 0usize, (0usize, None));
    for z in 0..=14u8 {
        let (mut zc, mut zb) = (0, 0);
        for c in candidate_tiles(&l.set, z) {
            let Some(t) = l.set.tile(c).expect("tile") else {
                continue;
            };
            assert!(t.len() <= MAX_TILE_BYTES, "tile {c} has {} bytes", t.len());
            if t.len() > largest.0 {
                largest = (t.len(), Some(c));
            }
            // Same input, same bytes (a sample: every 7th tile).
            if zc % 7 == 0 {
                assert_eq!(
                    again.tile(c).expect("tile").as_deref(),
                    Some(&t[..]),
                    "tile {c} differs between builds"
                );
            }
            zc += 1;
            zb += t.len();
        }
        println!("zoom {z}: {zc} tiles, {zb} bytes");
        assert!(zc > 0, "zoom {z} has no tiles");
        count += zc;
        bytes += zb;
    }
    println!(
        "all zooms: {count} tiles, {bytes} bytes; largest {} bytes at {:?}",
        largest.0, largest.1
    );
}

/// Writes the non-empty candidate tiles of `zooms` as z/x/y.mvt under `dir`.
fn write_tiles(set: &TileSet, zooms: &[u8], dir: &Path) -> Vec<TileCoord> {
    let mut written = Vec::new();
    for &z in zooms {
        for c in candidate_tiles(set, z) {
            if let Some(t) = set.tile(c).expect("tile") {
                let d = dir.join(c.z.to_string()).join(c.x.to_string());
                std::fs::create_dir_all(&d).expect("mkdir");
                std::fs::write(d.join(format!("{}.mvt", c.y)), t).expect("write tile");
                written.push(c);
            }
        }
    }
    written
}

#[test]
fn mapbox_vector_tile_decodes_valid_complete_tiles() {
    let Some(l) = shared() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let written = write_tiles(&l.set, &[8, 12, 14], dir.path());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/mvt_check.py");
    let out = Command::new(common::python())
        .arg(&script)
        .arg(dir.path())
        .arg(&l.geojson)
        .args(["4096", "64"])
        .output();
    let out = match out {
        Ok(o)
            if o.status.code() == Some(3)
                || (!o.status.success() && o.stdout.is_empty() && o.status.code() == Some(127)) =>
        {
            common::skip_for_tool(
                "mapbox_vector_tile check",
                String::from_utf8_lossy(&o.stderr).trim(),
            );
            return;
        }
        Ok(o) => o,
        Err(e) => {
            common::skip_for_tool("mapbox_vector_tile check", &format!("no python ({e})"));
            return;
        }
    };
    assert!(
        out.status.success(),
        "mvt_check.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report json");
    let tiles = report["tiles"].as_array().expect("tiles");
    assert_eq!(tiles.len(), written.len());
    let full = 4096.0 * 4096.0;
    let (mut covered, mut invalid_low) = (0, 0);
    for t in tiles {
        let name = format!("{}/{}/{}", t["z"], t["x"], t["y"]);
        assert_eq!(
            t["wrong_winding"], 0,
            "{name}: rings with the wrong winding"
        );
        assert_eq!(
            t["out_of_bounds"], 0,
            "{name}: points outside extent + buffer"
        );
        assert_eq!(t["bad_rings"], 0, "{name}: rings with fewer than 4 points");
        // Simplification backs off where edges would cross, so polygons are
        // valid; at z8 snapping a whole LSOA to a few units can still pinch
        // a ring, which is counted and reported instead.
        let invalid = t["invalid"].as_u64().expect("invalid");
        if t["z"].as_u64() >= Some(12) {
            assert_eq!(invalid, 0, "{name}: invalid polygons");
        } else {
            invalid_low += invalid;
        }
        let ids: Vec<u64> = t["features"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_u64().expect("id"))
            .collect();
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{name}: repeated feature ids");
        let (area, union, source) = (
            t["area"].as_f64().expect("area"),
            t["union_area"].as_f64().expect("union"),
            t["source_area"].as_f64().expect("source"),
        );
        // Neighbours share edges: no overlaps (sum = union), and the
        // tiles cover what the source polygons cover.
        assert!(
            (area - union) / full < 0.001,
            "{name}: overlapping polygons ({area} vs union {union})"
        );
        assert!(
            (area - source).abs() / full < 0.005,
            "{name}: decoded area {area} vs source {source}"
        );
        // No gaps or slivers in tiles the source covers fully.
        if source / full > 0.9999 {
            assert!(
                (area / full - 1.0).abs() < 0.001,
                "{name}: covered tile has area {} of 1",
                area / full
            );
            covered += 1;
        }
    }
    assert!(covered > 50, "only {covered} fully covered tiles checked");
    let missing_rep = report["missing_rep"].as_array().expect("missing_rep");
    assert!(
        missing_rep.is_empty(),
        "features missing from their representative point's tile: {missing_rep:?}"
    );
    let missing_inset = report["missing_inset"].as_array().expect("missing_inset");
    assert!(
        missing_inset.is_empty(),
        "features missing from tiles they cross: {missing_inset:?}"
    );
    println!(
        "mapbox_vector_tile: {} tiles checked, {covered} fully covered, \
         {invalid_low} invalid polygons at z8",
        tiles.len()
    );
    assert!(invalid_low < 20, "{invalid_low} invalid polygons at z8");
}

#[test]
fn gdal_reads_the_tiles() {
    let Some(l) = shared() else { return };
    if Command::new("ogrinfo").arg("--version").output().is_err() {
        common::skip_for_tool("gdal check", "ogrinfo not found (apt-get install gdal-bin)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sample: Vec<TileCoord> = candidate_tiles(&l.set, 8);
    sample.extend(candidate_tiles(&l.set, 12).into_iter().step_by(5));
    sample.extend(candidate_tiles(&l.set, 14).into_iter().step_by(40));
    let mut checked = 0;
    for c in sample {
        let Some(t) = l.set.tile(c).expect("tile") else {
            continue;
        };
        let file = dir.path().join(format!("{}-{}-{}.mvt", c.z, c.x, c.y));
        std::fs::write(&file, &t).expect("write");
        let out = Command::new("ogrinfo")
            // CLIP=NO: read the geometry as encoded (GDAL would otherwise
            // clip it with GEOS, which rejects the few pinched z8 rings).
            .args(["-ro", "-al", "-geom=SUMMARY", "-oo", "CLIP=NO", "-oo"])
            .arg(format!("Z={}", c.z))
            .args(["-oo"])
            .arg(format!("X={}", c.x))
            .args(["-oo"])
            .arg(format!("Y={}", c.y))
            .arg(&file)
            .output()
            .expect("run ogrinfo");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "ogrinfo {c}: {stderr}");
        assert!(!stderr.contains("ERROR"), "ogrinfo {c}: {stderr}");
        // Feature ids and types as GDAL sees them.
        let ids: BTreeSet<u64> = stdout
            .lines()
            .filter_map(|s| s.strip_prefix("OGRFeature(lsoa):"))
            .map(|s| s.trim().parse().expect("fid"))
            .collect();
        let polys = stdout
            .lines()
            // One top-level geometry summary line per feature.
            .filter(|s| s.starts_with("  MULTIPOLYGON :") || s.starts_with("  POLYGON :"))
            .count();
        let count = count_features(&t);
        assert_eq!(ids.len(), count, "ogrinfo {c}: feature ids");
        assert_eq!(
            polys, count,
            "ogrinfo {c}: every feature is a (multi)polygon"
        );
        checked += 1;
    }
    assert!(checked > 10);
    println!("gdal: {checked} tiles read");
}

/// A protobuf varint at `*i`, advancing `*i`.
fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut s) = (0u64, 0);
    loop {
        let x = b[*i];
        *i += 1;
        v |= u64::from(x & 0x7f) << s;
        if x & 0x80 == 0 {
            return v;
        }
        s += 7;
    }
}

/// A protobuf message's length-delimited fields as (field number, bytes),
/// and its varint fields as (field number, value).
type Fields<'a> = (Vec<(u64, &'a [u8])>, Vec<(u64, u64)>);

/// Splits a protobuf message into its fields (see [`Fields`]), independently
/// of the encoder's crate.
fn fields(b: &[u8]) -> Fields<'_> {
    let (mut i, mut lens, mut ints) = (0, Vec::new(), Vec::new());
    while i < b.len() {
        let key = varint(b, &mut i);
        match key & 7 {
            0 => ints.push((key >> 3, varint(b, &mut i))),
            2 => {
                let n = varint(b, &mut i) as usize;
                lens.push((key >> 3, &b[i..i + n]));
                i += n;
            }
            1 => i += 8,
            5 => i += 4,
            w => panic!("wire type {w}"),
        }
    }
    (lens, ints)
}

/// Number of features in the tile's layers, from the protobuf (layer field
/// 3, feature field 2), independently of the encoder.
fn count_features(tile: &[u8]) -> usize {
    let layers = fields(tile).0;
    layers
        .iter()
        .filter(|(f, _)| *f == 3)
        .map(|(_, l)| fields(l).0.iter().filter(|(f, _)| *f == 2).count())
        .sum()
}

// ------------------------------------------- the London 2021 default archive

/// The embedded London 2021 default as `dxmap export mbtiles` writes it:
/// every tile, uncompressed, by (z, x, y), and the archive's `vector_layers`.
struct Archive {
    tiles: std::collections::BTreeMap<(u8, u32, u32), Vec<u8>>,
    vector_layers: Value,
}

/// Exported once by the built binary for all tests below.
fn london_2021() -> &'static Archive {
    static CELL: OnceLock<Archive> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = common::run_measured(
            dir.path(),
            &["export", "mbtiles", "--out", "london.mbtiles"],
            std::time::Duration::from_secs(300),
        );
        assert_eq!(run.code, 0, "export failed: {}", run.stderr);
        println!(
            "exported the London 2021 default in {:?}, peak RSS {} MB: {}",
            run.elapsed,
            run.peak_rss >> 20,
            run.stderr.trim()
        );
        let conn = rusqlite::Connection::open(dir.path().join("london.mbtiles")).expect("open");
        let mut stmt = conn
            .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
            .expect("query");
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, u8>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .expect("rows");
        let mut tiles = std::collections::BTreeMap::new();
        for row in rows {
            let (z, x, tms, gz) = row.expect("row");
            let mut mvt = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut mvt)
                .expect("gunzip");
            tiles.insert((z, x, (1u32 << z) - 1 - tms), mvt);
        }
        let json: String = conn
            .query_row("SELECT value FROM metadata WHERE name = 'json'", [], |r| {
                r.get(0)
            })
            .expect("json metadata");
        let json: Value = serde_json::from_str(&json).expect("metadata json");
        Archive {
            tiles,
            vector_layers: json["vector_layers"].clone(),
        }
    })
}

#[test]
fn london_2021_archive_has_no_tile_over_500_kb() {
    let a = london_2021();
    let mut by_zoom = std::collections::BTreeMap::<u8, (usize, usize)>::new();
    let mut over = Vec::new();
    for (&(z, x, y), t) in &a.tiles {
        let e = by_zoom.entry(z).or_default();
        e.0 += 1;
        e.1 += t.len();
        if t.len() > MAX_TILE_BYTES {
            over.push(format!("{z}/{x}/{y}: {} bytes", t.len()));
        }
    }
    for (z, (n, b)) in &by_zoom {
        println!("zoom {z}: {n} tiles, {b} bytes uncompressed");
    }
    assert!(
        over.is_empty(),
        "tiles over {MAX_TILE_BYTES} bytes: {over:?}"
    );
}

/// Feature ids of the `lsoa` layer of a tile, read from the protobuf
/// (layer field 1 = name, 2 = features; feature field 1 = id) without the
/// encoder's crate.
fn lsoa_ids(tile: &[u8]) -> Vec<u64> {
    let mut ids = Vec::new();
    for (_, layer) in fields(tile).0.into_iter().filter(|(f, _)| *f == 3) {
        let (lens, _) = fields(layer);
        if !lens.iter().any(|(f, b)| *f == 1 && *b == b"lsoa") {
            continue;
        }
        for (_, feat) in lens.into_iter().filter(|(f, _)| *f == 2) {
            let (_, ints) = fields(feat);
            ids.extend(ints.iter().filter(|(f, _)| *f == 1).map(|(_, v)| *v));
        }
    }
    ids
}

#[test]
fn london_2021_every_area_is_in_every_zoom_of_the_layer() {
    let a = london_2021();
    let built = dxmap::ingest::embedded_default(&Default::default()).expect("embedded default");
    let n = built.dataset.areas.len() as u64;
    let lsoa = a
        .vector_layers
        .as_array()
        .expect("vector_layers")
        .iter()
        .find(|l| l["id"] == "lsoa")
        .expect("lsoa layer");
    let (lo, hi) = (
        lsoa["minzoom"].as_u64().expect("minzoom") as u8,
        lsoa["maxzoom"].as_u64().expect("maxzoom") as u8,
    );
    for z in lo..=hi {
        let ids: BTreeSet<u64> = a
            .tiles
            .range((z, 0, 0)..(z + 1, 0, 0))
            .flat_map(|(_, t)| lsoa_ids(t))
            .collect();
        let missing: Vec<u64> = (0..n).filter(|i| !ids.contains(i)).take(10).collect();
        assert!(
            missing.is_empty() && ids.len() as u64 == n,
            "zoom {z}: {} of {n} areas; first missing ids {missing:?}",
            ids.len()
        );
    }
}

#[test]
fn london_2021_overview_tiles_are_lean_and_detail_tiles_full() {
    let a = london_2021();
    let lsoa = a
        .vector_layers
        .as_array()
        .expect("vector_layers")
        .iter()
        .find(|l| l["id"] == "lsoa")
        .expect("lsoa layer");
    let all: BTreeSet<String> = lsoa["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .cloned()
        .collect();
    let detail = dxmap::schema::DETAIL_MINZOOM;
    // Every overview tile, and a sample of the detail zooms.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut written = 0;
    for (i, (&(z, x, y), t)) in a.tiles.iter().enumerate() {
        if z < 8 || (z >= detail && i % 25 != 0 && z != detail) {
            continue;
        }
        let d = dir.path().join(z.to_string()).join(x.to_string());
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(d.join(format!("{y}.mvt")), t).expect("write tile");
        written += 1;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tools/mvt_props.py");
    let out = match Command::new(common::python())
        .arg(&script)
        .arg(dir.path())
        .arg("lsoa")
        .output()
    {
        Ok(o) if o.status.code() == Some(3) => {
            common::skip_for_tool(
                "london_2021_overview_tiles_are_lean_and_detail_tiles_full",
                String::from_utf8_lossy(&o.stderr).trim(),
            );
            return;
        }
        Ok(o) => o,
        Err(e) => {
            common::skip_for_tool(
                "london_2021_overview_tiles_are_lean_and_detail_tiles_full",
                &format!("no python ({e})"),
            );
            return;
        }
    };
    assert!(
        out.status.success(),
        "mvt_props.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report json");
    let report = report.as_object().expect("report");
    assert_eq!(report.len(), written);
    let lean: BTreeSet<&str> = ["code", "index", "decile", "index_status"].into();
    // Every area is in some tile of the detail zoom, all of which are read.
    let mut at_detail: BTreeSet<String> = BTreeSet::new();
    for (name, t) in report {
        let z: u8 = name.split('/').next().unwrap().parse().unwrap();
        let keys: BTreeSet<&str> = t["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k.as_str().expect("key"))
            .collect();
        if t["ids"].as_array().is_none_or(Vec::is_empty) {
            continue;
        }
        if z < detail {
            assert!(
                keys.is_subset(&lean) && keys.contains("code") && keys.contains("index"),
                "{name}: overview tile carries {keys:?}, want only {lean:?}"
            );
        } else {
            if z == detail {
                at_detail.extend(keys.iter().map(|k| k.to_string()));
            }
            for k in ["code", "name", "borough_name", "index", "rank", "decile"] {
                assert!(keys.contains(k), "{name}: detail tile lacks {k}");
            }
            assert!(
                keys.iter().any(|k| k.starts_with("i_"))
                    && keys.iter().any(|k| k.starts_with("c_")),
                "{name}: detail tile lacks indicator or component scores: {keys:?}"
            );
        }
    }
    assert_eq!(
        at_detail, all,
        "the tiles of zoom {detail} carry every field of the layer"
    );
    println!("mapbox_vector_tile: {} tiles' fields checked", report.len());
}
