//! `dxmap export site` on the embedded London default: the directory holds
//! every path the page reads with the bytes the live router sends, the
//! tiles `export pmtiles` holds (read back by the Python `pmtiles` reader,
//! decoded by `mapbox-vector-tile`), the same tree on a second run, and a
//! plain static web server finds the files from a sub-path. An `--out` that
//! is not new or empty is refused and left as it was.

mod common;
mod fixtures;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::Router;
use dxmap::dataset::{DatasetSource, LsoaCode};
use dxmap::ingest::BuildOptions;
use dxmap::progress::Progress;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset, parse_personas};
use dxmap::server::site::{SiteError, write_site};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use serde_json::Value;

use common::oneshot::get;

/// Lower than the default 14 to keep the test quick; the paths do not
/// depend on it.
const MAX_ZOOM: u8 = 12;

fn dxmap(args: &[&str]) -> Output {
    Command::new(common::dxmap_bin())
        .args(args)
        .arg("--quiet")
        .output()
        .expect("run dxmap")
}

fn export_site(out: &Path) -> Output {
    let zoom = MAX_ZOOM.to_string();
    dxmap(&[
        "export",
        "site",
        "--max-zoom",
        &zoom,
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Every file under `root` by its path relative to `root`, with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(rel.to_string(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The live server of the embedded default, scored as `dxmap serve` and
/// `export site` score it (the built-in methodology, 1000 draws).
fn live_router() -> (Router, Vec<String>) {
    let ds = DatasetSource::open(None)
        .unwrap()
        .load(&BuildOptions::default())
        .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let mut m = Methodology::parse(
        &read("dxmap-2025-london.toml"),
        "methodology/dxmap-2025-london.toml (built in)",
    )
    .unwrap();
    m.personas = parse_personas(
        &read("personas-2025.toml"),
        "methodology/personas-2025.toml (built in)",
    )
    .unwrap();
    let opts = ScoreOptions {
        sensitivity_draws: Some(1000),
        ..ScoreOptions::default()
    };
    let scored = ScoredDataset::new(Arc::new(ds), Arc::new(m), &opts).unwrap();
    let codes = scored
        .dataset
        .areas
        .iter()
        .map(|a| a.code.as_str().to_string())
        .collect();
    let tiles = TileOptions {
        max_zoom: MAX_ZOOM,
        ..TileOptions::default()
    };
    let served = Served::build(scored, tiles, 8 << 20).unwrap();
    (
        router(AppState::new(served, ServerConfig::default())),
        codes,
    )
}

/// The live router's 200 body for `path`.
async fn live(app: &Router, path: &str) -> Vec<u8> {
    let r = get(app, path).await;
    assert_eq!(r.status, 200, "GET {path}");
    r.body
}

#[tokio::test(flavor = "multi_thread")]
async fn site_holds_the_live_routers_bodies_and_repeats_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let run = export_site(out);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let site = tree(&a);
    assert!(site == tree(&b), "two runs wrote different trees");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "temporary directories left: {names:?}");

    let (app, codes) = live_router();
    let body = |path: &str| {
        site.get(path)
            .unwrap_or_else(|| panic!("the site has no {path}"))
            .as_slice()
    };

    // The page and MapLibre, as `/` serves them.
    let index = live(&app, "/").await;
    assert_eq!(body("index.html"), index.as_slice());
    for page in [
        "app.js",
        "prefetch.js",
        "style.css",
        "vendor/maplibre-gl/maplibre-gl.mjs",
    ] {
        let live = live(&app, &format!("/{page}")).await;
        assert!(body(page) == live.as_slice(), "{page}");
    }
    // The JSON bodies the page reads, byte for byte.
    for path in [
        "/api/methodology",
        "/api/scores",
        "/api/scores-exact",
        "/api/key-groups",
        "/api/places/labels",
        "/api/places/wards",
        "/api/places/basemap",
    ] {
        assert!(
            body(&path[1..]) == live(&app, path).await.as_slice(),
            "{path} differs from the live router's body"
        );
    }
    // api/meta: the live body with "static": true.
    let meta = live(&app, "/api/meta").await;
    let want = [b"{\"static\":true,".as_slice(), &meta[1..]].concat();
    assert!(body("api/meta") == want.as_slice(), "api/meta");
    // tiles.json: the live one but for a relative tile template.
    let mut site_tj: Value = serde_json::from_slice(body("tiles.json")).unwrap();
    let mut live_tj: Value = serde_json::from_slice(&live(&app, "/tiles.json").await).unwrap();
    assert_eq!(
        site_tj["tiles"],
        serde_json::json!(["tiles/{z}/{x}/{y}.mvt"])
    );
    assert!(live_tj["tiles"][0].as_str().unwrap().starts_with("http"));
    site_tj["tiles"] = Value::Null;
    live_tj["tiles"] = Value::Null;
    assert_eq!(site_tj, live_tj);
    // One panel body per area, and nothing else under api/areas.
    let areas = site.keys().filter(|k| k.starts_with("api/areas/")).count();
    assert_eq!(areas, codes.len());
    for code in &codes {
        let path = format!("api/areas/{code}");
        assert!(
            body(&path) == live(&app, &format!("/{path}")).await.as_slice(),
            "{path}"
        );
    }
    // Every tile file is the live router's uncompressed tile.
    let tiles: Vec<&String> = site.keys().filter(|k| k.starts_with("tiles/")).collect();
    assert!(!tiles.is_empty());
    for t in &tiles {
        assert!(
            body(t) == live(&app, &format!("/{t}")).await.as_slice(),
            "{t}"
        );
    }
    let readme = String::from_utf8(body("README.txt").to_vec()).unwrap();
    assert!(readme.contains("Attribution:") && readme.contains("How to host it"));

    tiles_match_pmtiles(dir.path(), &a, &site);
}

/// The set of tile files is the set of non-empty tiles in `export pmtiles`
/// at the same zoom, with the same bytes, and each decodes.
fn tiles_match_pmtiles(dir: &Path, site_dir: &Path, site: &BTreeMap<String, Vec<u8>>) {
    let test = "site_tiles_match_pmtiles";
    if !common::python_has("pmtiles") || !common::python_has("mapbox_vector_tile") {
        common::skip_for_tool(test, "python cannot import pmtiles and mapbox_vector_tile");
        return;
    }
    let pm = dir.join("london.pmtiles");
    let zoom = MAX_ZOOM.to_string();
    // The site draws 1000 times, as `dxmap serve` does; the full-attribute
    // tiles carry the ranges.
    let run = dxmap(&[
        "export",
        "pmtiles",
        "--sensitivity-draws",
        "1000",
        "--max-zoom",
        &zoom,
        "--out",
        pm.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let script = r#"
import gzip, hashlib, json, os, sys
import mapbox_vector_tile
from pmtiles.reader import MmapSource, all_tiles
pm = {}
with open(sys.argv[1], "rb") as f:
    for (z, x, y), data in all_tiles(MmapSource(f)):
        pm[f"tiles/{z}/{x}/{y}.mvt"] = hashlib.sha256(gzip.decompress(data)).hexdigest()
site, bad = {}, []
root = sys.argv[2]
for d, _, files in os.walk(os.path.join(root, "tiles")):
    for name in files:
        path = os.path.join(d, name)
        data = open(path, "rb").read()
        rel = os.path.relpath(path, root)
        site[rel] = hashlib.sha256(data).hexdigest()
        layers = mapbox_vector_tile.decode(data)
        if not any(len(l["features"]) for l in layers.values()):
            bad.append(rel)
print(json.dumps({"pmtiles": pm, "site": site, "no_features": bad}))
"#;
    let v = common::python_json(script, &[pm.as_os_str(), site_dir.as_os_str()]);
    assert_eq!(
        v["no_features"],
        serde_json::json!([]),
        "tiles with no features"
    );
    assert_eq!(
        v["pmtiles"], v["site"],
        "the site's tiles are not export pmtiles' tiles"
    );
    let files = site.keys().filter(|k| k.starts_with("tiles/")).count();
    assert_eq!(v["site"].as_object().unwrap().len(), files);
}

#[test]
fn an_out_that_is_not_new_or_empty_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), b"mine").unwrap();
    let run = export_site(&full);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!(
            "{}: is a directory that is not empty",
            full.display()
        )),
        "{err}"
    );
    assert_eq!(
        tree(&full).into_iter().collect::<Vec<_>>(),
        vec![("keep.txt".to_string(), b"mine".to_vec())]
    );
    // A file, here an input of the run (the --within codes), is not a
    // directory.
    let codes = dir.path().join("codes.txt");
    std::fs::write(&codes, b"E09000001\n").unwrap();
    let run = dxmap(&[
        "export",
        "site",
        "--within",
        codes.to_str().unwrap(),
        "--out",
        codes.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("is a regular file, not a directory"), "{err}");
    assert_eq!(std::fs::read(&codes).unwrap(), b"E09000001\n");
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

/// A plain static server (Python's http.server) serving the site under a
/// sub-path answers the page, `api/meta`, `tiles.json` and a tile named by
/// its relative template.
#[test]
fn a_static_server_finds_the_files_from_a_sub_path() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    let run = export_site(&sub);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(common::python())
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start python -m http.server");
    let fetch = |path: &str| -> Option<Vec<u8>> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).ok()?;
        let at = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        buf.starts_with(b"HTTP/1.0 200")
            .then(|| buf[at + 4..].to_vec())
    };
    let mut meta = None;
    for _ in 0..100 {
        meta = fetch("/sub/api/meta");
        if meta.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let checks = (|| {
        let meta: Value = serde_json::from_slice(&meta?).ok()?;
        assert_eq!(meta["static"], true);
        fetch("/sub/")?;
        let tj: Value = serde_json::from_slice(&fetch("/sub/tiles.json")?).ok()?;
        let template = tj["tiles"][0].as_str()?.to_string();
        // The lowest tile of the map's area, at the lowest zoom.
        let tile = template
            .replace("{z}", "0")
            .replace("{x}", "0")
            .replace("{y}", "0");
        let body = fetch(&format!("/sub/{tile}"))?;
        Some(!body.is_empty())
    })();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        checks,
        Some(true),
        "the static server did not answer every path"
    );
}

/// Counts what a run tells its progress.
#[derive(Default)]
struct Counted {
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicBool,
}

impl Progress for Counted {
    fn start(&self, steps: u64) {
        self.total.store(steps, std::sync::atomic::Ordering::SeqCst);
    }
    fn step(&self, _: &str) {}
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn grid_served(last_code: Option<&str>) -> Served {
    let mut ds = fixtures::grid(4, 3, "Grid");
    if let (Some(code), Some(last)) = (last_code, ds.areas.last_mut()) {
        last.code = LsoaCode::new(code);
    }
    let m = Methodology::parse(
        &format!("min_coverage = 0\n{}", fixtures::METHODOLOGY),
        "m.toml",
    )
    .unwrap();
    let opts = ScoreOptions {
        sensitivity_draws: Some(0),
        ..ScoreOptions::default()
    };
    let scored = ScoredDataset::new(Arc::new(ds), Arc::new(m), &opts).unwrap();
    Served::build(scored, TileOptions::default(), 0).unwrap()
}

/// The library call: progress hears of every file and candidate tile; an
/// area code that cannot be a file name is an error naming it, and nothing
/// is left behind, neither the site nor its temporary directory.
#[test]
fn the_library_reports_progress_and_leaves_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let counted = Arc::new(Counted::default());
    let stats = write_site(grid_served(None), &out, Some(counted.clone())).unwrap();
    let total = counted.total.load(std::sync::atomic::Ordering::SeqCst);
    // A step per file and per candidate tile, empty or not, all done.
    assert!(total >= stats.files, "{total} steps for {stats:?}");
    assert_eq!(
        counted.done.load(std::sync::atomic::Ordering::SeqCst),
        total
    );
    assert!(counted.finished.load(std::sync::atomic::Ordering::SeqCst));
    let site = tree(&out);
    assert_eq!(site.len() as u64, stats.files);
    let areas = site.keys().filter(|k| k.starts_with("api/areas/")).count();
    assert_eq!(areas, 4 * 3);

    let bad = dir.path().join("bad");
    let e = write_site(grid_served(Some("E99 x")), &bad, None).unwrap_err();
    assert!(matches!(e, SiteError::AreaCode { .. }), "{e}");
    assert!(e.to_string().starts_with("area E99 x: "), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("site")]);
}
