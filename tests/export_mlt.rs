//! `dxmap export pmtiles --encoding mlt`: a PMTiles archive whose header
//! says MLT (tile type 6), read by a reader dxmap did not write (Python
//! `pmtiles`), whose tiles decode with the real MLT decoder
//! (`@maplibre/mlt`, through tests/browser/mlt-compare.mjs) to the same
//! features as the MVT archive's tiles at the same addresses; written
//! byte-identically twice. Uses the embedded London default.

mod common;
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use dxmap::export::tiling::TileExportOptions;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::tiles::TileEncoding;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn export(dir: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    Command::new(common::dxmap_bin())
        .current_dir(dir)
        .args([
            "export",
            "pmtiles",
            "--quiet",
            "--max-zoom",
            "10",
            "--out",
            out,
        ])
        .args(extra)
        .output()
        .expect("run dxmap")
}

/// The header fields and every tile (gunzipped, written as DIR/z-x-y.EXT)
/// of an archive, by the Python reader.
fn read_archive(archive: &Path, ext: &str, dir: &Path) -> Value {
    let script = r#"
import gzip, json, sys, os
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    src = MmapSource(f)
    h = Reader(src).header()
    n = 0
    for (z, x, y), data in all_tiles(src):
        with open(os.path.join(sys.argv[3], f"{z}-{x}-{y}.{sys.argv[2]}"), "wb") as out:
            out.write(gzip.decompress(data))
        n += 1
print(json.dumps({"tile_type": int(h["tile_type"].value),
                  "tile_compression": int(h["tile_compression"].value), "tiles": n}))
"#;
    common::python_json(
        script,
        &[
            archive.as_os_str(),
            std::ffi::OsStr::new(ext),
            dir.as_os_str(),
        ],
    )
}

#[test]
fn mlt_pmtiles_says_mlt_and_its_tiles_decode_to_the_mvt_features() {
    let test = "mlt_pmtiles_says_mlt_and_its_tiles_decode_to_the_mvt_features";
    if !common::python_has("pmtiles") {
        common::skip_for_tool(test, "python cannot import pmtiles");
        return;
    }
    if !common::has_command("node") {
        common::skip_for_tool(test, "no node");
        return;
    }
    if !root().join("web/node_modules/@maplibre/mlt").is_dir() {
        common::skip_for_tool(test, "web/node_modules is absent (npm ci --prefix web)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (out, extra) in [
        ("mlt.pmtiles", &["--encoding", "mlt"][..]),
        ("again.pmtiles", &["--encoding", "mlt"][..]),
        ("mvt.pmtiles", &[][..]),
    ] {
        let o = export(dir.path(), out, extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(
        std::fs::read(dir.path().join("mlt.pmtiles")).unwrap(),
        std::fs::read(dir.path().join("again.pmtiles")).unwrap(),
        "byte-identical"
    );
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    let mlt = read_archive(&dir.path().join("mlt.pmtiles"), "mlt", &tiles);
    let mvt = read_archive(&dir.path().join("mvt.pmtiles"), "mvt", &tiles);
    assert_eq!(mlt["tile_type"], 6, "MLT in the header");
    assert_eq!(mvt["tile_type"], 1, "MVT in the header");
    assert_eq!(mlt["tile_compression"], 2, "gzip");
    assert_eq!(
        mlt["tiles"], mvt["tiles"],
        "a tile at every address of the MVT"
    );

    let out = common::run_ok(
        Command::new("node")
            .arg(root().join("tests/browser/mlt-compare.mjs"))
            .arg(&tiles),
        "mlt-compare.mjs",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    println!("{stdout}");
    assert_eq!(v["tiles"], mlt["tiles"], "every tile compared");
    assert!(v["features"].as_u64().unwrap() > 10_000, "{v}");
}

#[test]
fn mlt_is_refused_for_formats_that_cannot_hold_it() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["mbtiles", "geojson", "site"] {
        let o = Command::new(common::dxmap_bin())
            .current_dir(dir.path())
            .args(["export", format, "--encoding", "mlt", "--out", "x"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{format}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--encoding mlt applies to pmtiles only"),
            "{format}: {err}"
        );
        assert!(!dir.path().join("x").exists(), "{format}: nothing written");
    }
    let o = Command::new(common::dxmap_bin())
        .current_dir(dir.path())
        .args(["export", "pmtiles", "--encoding", "webp", "--out", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected mvt or mlt"));
}

#[test]
fn the_library_refuses_mlt_in_mbtiles_and_writes_nothing() {
    let m = Methodology::parse(fixtures::METHODOLOGY, "test.toml").unwrap();
    let ds = fixtures::grid(4, 3, "Grid");
    let scored = ScoredDataset::new(
        std::sync::Arc::new(ds),
        std::sync::Arc::new(m),
        &ScoreOptions::default(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.mbtiles");
    let opts = TileExportOptions {
        max_zoom: 8,
        encoding: TileEncoding::Mlt,
        ..Default::default()
    };
    let err = dxmap::export::mbtiles::export_mbtiles(&scored, opts.clone(), &path).unwrap_err();
    assert!(
        err.to_string().contains("MBTiles holds MVT tiles only"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // The same options write a PMTiles archive.
    let pm = dir.path().join("grid.pmtiles");
    let stats = dxmap::export::pmtiles::export_pmtiles(&scored, opts, &pm).unwrap();
    assert!(stats.tiles > 0);
}
