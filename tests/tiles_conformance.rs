//! Conformance of dxmap's vector tiles on the real London LSOA 2011 polygons,
//! decoded by implementations dxmap did not write: Python
//! `mapbox-vector-tile` (with shapely, through tests/tools/mvt_check.py) and
//! GDAL's MVT driver (`ogrinfo`). Each part prints a skip line when its tool
//! is absent, and the whole file skips without ../shared/data.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use dxmap::tiles::{
    FeatureData, LayerData, MAX_TILE_BYTES, PropValue, TileCoord, TileOptions, TileSet,
    candidate_tiles,
};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

/// London LSOA 2011 features (id = position in the file), or `None`.
fn london(test: &str) -> Option<(PathBuf, Vec<FeatureData>)> {
    let path = common::shared_data(test)?.join("boundaries/london_lsoa11.geojson");
    if !path.is_file() {
        println!("skipped {test}: {} is absent", path.display());
        return None;
    }
    let text = std::fs::read_to_string(&path).expect("read geojson");
    let doc: Value = serde_json::from_str(&text).expect("parse geojson");
    let ring = |r: &Value| -> LineString<f64> {
        LineString(
            r.as_array()
                .expect("ring")
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().expect("x"),
                    y: c[1].as_f64().expect("y"),
                })
                .collect(),
        )
    };
    let poly = |p: &Value| -> Polygon<f64> {
        let rings = p.as_array().expect("polygon");
        Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    };
    let features = doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = &f["geometry"];
            let geometry = match g["type"].as_str() {
                Some("Polygon") => MultiPolygon(vec![poly(&g["coordinates"])]),
                Some("MultiPolygon") => MultiPolygon(
                    g["coordinates"]
                        .as_array()
                        .expect("parts")
                        .iter()
                        .map(poly)
                        .collect(),
                ),
                other => panic!("feature {i}: geometry type {other:?}"),
            };
            let p = &f["properties"];
            let s = |k: &str| PropValue::Str(p[k].as_str().unwrap_or_default().to_string());
            FeatureData {
                id: i as u64,
                geometry,
                properties: vec![
                    ("code".into(), s("LSOA11CD")),
                    ("name".into(), s("LSOA11NM")),
                    ("borough_name".into(), s("LAD11NM")),
                    (
                        "index".into(),
                        PropValue::Num((i * 37 % 1000) as f64 / 100.0),
                    ),
                    ("decile".into(), PropValue::Int((i % 10 + 1) as i64)),
                    ("demo".into(), PropValue::Bool(i % 2 == 0)),
                ],
            }
        })
        .collect();
    Some((path, features))
}

fn layer(features: Vec<FeatureData>) -> Vec<LayerData> {
    vec![LayerData {
        name: "lsoa".into(),
        description: "London LSOA 2011".into(),
        minzoom: 0,
        maxzoom: 14,
        property_minzoom: Default::default(),
        features,
    }]
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
        let set = TileSet::build(layer(features.clone()), TileOptions::default()).expect("build");
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
    let again = TileSet::build(layer(l.features.clone()), TileOptions::default()).expect("build");
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

/// Number of features in the tile's single layer, from the protobuf
/// (layer field 3, feature field 2), independently of the encoder.
fn count_features(tile: &[u8]) -> usize {
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
    fn len_fields(b: &[u8], want: u64) -> Vec<&[u8]> {
        let (mut i, mut out) = (0, Vec::new());
        while i < b.len() {
            let key = varint(b, &mut i);
            match key & 7 {
                0 => {
                    varint(b, &mut i);
                }
                2 => {
                    let n = varint(b, &mut i) as usize;
                    if key >> 3 == want {
                        out.push(&b[i..i + n]);
                    }
                    i += n;
                }
                1 => i += 8,
                5 => i += 4,
                w => panic!("wire type {w}"),
            }
        }
        out
    }
    len_fields(tile, 3)
        .iter()
        .map(|l| len_fields(l, 2).len())
        .sum()
}
