//! `GET`/`POST /api/download`: the server's downloads are the CLI's exports.
//! Router tests through `oneshot` on the grid fixture (errors, determinism,
//! weights, polygons, the CSV zip read by Python's csv module), and one test
//! of the real binary on the embedded London default: a borough's download
//! has the same features, geometry included, as `dxmap export geojson
//! --within` writes for it, with key groups and metadata.

mod common;
mod fixtures;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::export;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use serde_json::{Value, json};

use common::oneshot::{Resp, get, send};

fn scored() -> ScoredDataset {
    let mut m = Methodology::parse(fixtures::METHODOLOGY, "test.toml").unwrap();
    m.personas = dxmap::score::parse_personas(fixtures::PERSONAS, "personas.toml").unwrap();
    let ds = fixtures::grid(8, 6, "Grid Test");
    ScoredDataset::new(Arc::new(ds), Arc::new(m), &ScoreOptions::default()).unwrap()
}

fn app() -> Router {
    let served = Served::build(scored(), TileOptions::default(), 8 << 20).unwrap();
    router(AppState::new(served, ServerConfig::default()))
}

async fn post(app: &Router, body: Value) -> Resp {
    let req = Request::post("/api/download")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app, req).await
}

/// Features by code.
fn features(fc: &Value) -> std::collections::BTreeMap<String, Value> {
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            (
                f["properties"]["code"].as_str().unwrap().to_string(),
                f.clone(),
            )
        })
        .collect()
}

/// The files of a zip as text, by name, read (and CRC-checked) by Python's
/// zipfile, and `data.csv`'s rows read by Python's csv module; `None`
/// (skipped) without Python.
struct Unzipped {
    files: std::collections::BTreeMap<String, String>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn python_unzip(test: &str, zip: &[u8]) -> Option<Unzipped> {
    if !common::has_command("python3") && !common::python().is_file() {
        common::skip_for_tool(test, "no python3");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.zip");
    std::fs::write(&path, zip).unwrap();
    let script = "import csv, io, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, 'bad CRC'
files = {n: z.read(n).decode('utf-8') for n in z.namelist()}
rows = list(csv.reader(io.StringIO(files['data.csv'], newline=''), strict=True))
print(json.dumps({'files': files, 'rows': rows}))";
    let v = common::python_json(script, &[path]);
    let files = serde_json::from_value(v["files"].clone()).unwrap();
    let mut rows: Vec<Vec<String>> = serde_json::from_value(v["rows"].clone()).unwrap();
    let header = rows.remove(0);
    Some(Unzipped {
        files,
        header,
        rows,
    })
}

#[tokio::test]
async fn a_selection_download_is_the_export_of_the_selection() {
    let app = app();
    let scored = scored();
    let ds = &scored.dataset;
    // The left-hand borough's areas, by its code.
    let borough = ds.areas[0].borough_code().expect("a borough").to_string();
    let picked: Vec<&str> = ds
        .areas
        .iter()
        .filter(|a| a.borough_code() == Some(borough.as_str()))
        .map(|a| a.code.as_str())
        .collect();
    let req = json!({"format": "geojson", "codes": [borough], "generated": "2026-01-31"});
    let r = post(&app, req.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header_all(header::CONTENT_TYPE), "application/geo+json");
    assert_eq!(
        r.header_all(header::CONTENT_DISPOSITION),
        "attachment; filename=\"grid-test-selection-2026-01-31.geojson\""
    );
    let fc = r.json();
    let got = features(&fc);
    assert_eq!(got.keys().map(String::as_str).collect::<Vec<_>>(), picked);
    // Geometry and scores: those of the CLI's export of the whole dataset.
    let mut whole = Vec::new();
    export::geojson::write_geojson(
        &export::table(&scored, export::Level::Lsoa).unwrap(),
        &mut whole,
    )
    .unwrap();
    let whole = features(&serde_json::from_slice(&whole).unwrap());
    for (code, f) in &got {
        let w = &whole[code];
        assert!(
            f["geometry"]["coordinates"].is_array(),
            "{code}: no geometry"
        );
        assert_eq!(f["geometry"], w["geometry"], "{code}: geometry");
        for k in ["index", "rank", "decile", "k_older_count", "aged_65_plus"] {
            assert_eq!(f["properties"][k], w["properties"][k], "{code}: {k}");
        }
        assert!(
            f["properties"]["rank_within"].is_u64(),
            "{code}: rank_within"
        );
    }
    let m = &fc["metadata"];
    assert_eq!(m["methodology"]["name"], "Test DERI");
    assert_eq!(m["title"], "Grid Test");
    assert!(m["sources"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(m["selection"]["areas"], picked.len());
    assert_eq!(m["download"]["generated"], "2026-01-31");
    assert_eq!(m["download"]["scope"], "all");
    assert!(
        m["download"]["scores"]
            .as_str()
            .unwrap()
            .contains("rank_within")
    );
    // The same request gives the same bytes.
    assert_eq!(post(&app, req).await.body, r.body);

    // CSV: a zip of a standard data.csv, metadata.json and README.txt.
    let r = post(
        &app,
        json!({"format": "csv", "codes": picked, "generated": "2026-01-31"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header_all(header::CONTENT_TYPE), "application/zip");
    assert!(
        r.header_all(header::CONTENT_DISPOSITION)
            .ends_with("-2026-01-31-csv.zip\"")
    );
    let Some(z) = python_unzip(
        "a_selection_download_is_the_export_of_the_selection",
        &r.body,
    ) else {
        return;
    };
    assert_eq!(
        z.files.keys().map(String::as_str).collect::<Vec<_>>(),
        ["README.txt", "data.csv", "metadata.json"]
    );
    let meta: Value = serde_json::from_str(&z.files["metadata.json"]).unwrap();
    assert_eq!(meta["methodology"]["name"], "Test DERI");
    assert_eq!(meta["download"]["format"], "csv");
    let readme = &z.files["README.txt"];
    assert!(
        readme.contains("Test DERI") && readme.contains("Test data"),
        "{readme}"
    );
    assert_eq!(z.rows.len(), picked.len(), "one row per selected area");
    let code = z.header.iter().position(|h| h == "code").unwrap();
    let codes: Vec<&str> = z.rows.iter().map(|r| r[code].as_str()).collect();
    assert_eq!(codes, picked);
    for col in [
        "k_older_count",
        "aged_65_plus",
        "index",
        "rank_within",
        "index_status",
    ] {
        assert!(
            z.header.iter().any(|h| h == col),
            "no column {col}: {:?}",
            z.header
        );
    }
    // data.csv is the CLI's CSV export of the same rows, byte for byte.
    let table = export::table(&scored, export::Level::Lsoa).unwrap();
    let within = dxmap::select::Within::Codes(picked.iter().map(|c| c.to_string()).collect());
    let sel = dxmap::select::resolve(&within, ds).unwrap();
    let mut want = Vec::new();
    export::csv::write_csv(
        &dxmap::select::select_table(table, ds, &sel).unwrap(),
        &mut want,
    )
    .unwrap();
    assert_eq!(z.files["data.csv"], String::from_utf8(want).unwrap());
}

#[tokio::test]
async fn weights_polygons_and_the_whole_dataset() {
    let app = app();
    let n = scored().dataset.len();
    // GET: the whole dataset, every area with geometry.
    let r = get(&app, "/api/download?format=geojson&generated=2026-02-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header_all(header::CONTENT_DISPOSITION)
            .contains("grid-test-2026-02-01.geojson")
    );
    let fc = r.json();
    let all = features(&fc);
    assert_eq!(all.len(), n);
    assert!(
        all.values()
            .all(|f| f["geometry"]["type"] == "MultiPolygon")
    );
    assert!(fc["metadata"].get("selection").is_none());
    assert!(
        fc["metadata"]["download"]["weights"]["source"]
            .as_str()
            .unwrap()
            .contains("methodology")
    );
    // Re-weighted: the metadata gives the weights, the index changes.
    let r = post(
        &app,
        json!({"format": "geojson", "weights": {"demography": 3}, "generated": "2026-02-01"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let fc2 = r.json();
    let m = &fc2["metadata"];
    assert_eq!(m["download"]["weights"]["requested"]["demography"], 3.0);
    let w: Vec<f64> = m["methodology"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .collect();
    assert!(
        (w[0] - 0.75).abs() < 1e-9 && (w[1] - 0.25).abs() < 1e-9,
        "{w:?}"
    );
    let changed = features(&fc2)
        .iter()
        .filter(|(c, f)| f["properties"]["index"] != all[*c]["properties"]["index"])
        .count();
    assert!(changed > 0, "re-weighting changed no index");
    // A polygon around the two bottom-left cells' label points.
    let (w, s, st) = (fixtures::GRID_W, fixtures::GRID_S, fixtures::GRID_STEP);
    let poly = json!({"type": "Polygon", "coordinates": [[[w, s], [w + 2.0 * st, s], [w + 2.0 * st, s + st * 0.9], [w, s + st * 0.9], [w, s]]]});
    let r = post(&app, json!({"format": "geojson", "polygon": poly})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let picked = features(&r.json());
    assert_eq!(picked.len(), 2, "{:?}", picked.keys());
}

#[tokio::test]
async fn bad_downloads_are_json_400s() {
    let app = app();
    let cases = [
        (json!({"codes": ["E01000001"]}), "missing format"),
        (json!({"format": "xlsx"}), "not geojson or csv"),
        (json!({"format": "csv", "codes": ["E01999999"]}), "nearest"),
        (
            json!({"format": "csv", "codes": ["E01000001"], "polygon": {"type": "Polygon", "coordinates": []}}),
            "at most one",
        ),
        (
            json!({"format": "csv", "generated": "31/01/2026"}),
            "YYYY-MM-DD",
        ),
        (
            json!({"format": "csv", "weights": {"nope": 1}}),
            "not the id",
        ),
        (
            json!({"format": "csv", "weights": {"demography": 0, "deprivation": 0}}),
            "weight",
        ),
        (json!({"format": "csv", "level": "city"}), "level"),
        (json!({"format": "csv", "what": 1}), "unknown field"),
        (
            json!({"format": "geojson", "polygon": {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 10]]]}}),
            "no area",
        ),
    ];
    for (body, want) in cases {
        let r = post(&app, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        let e = r.json()["error"].as_str().unwrap_or("").to_string();
        assert!(e.contains(want), "{body}: {e}");
    }
    let codes: Vec<String> = (0..10_001).map(|i| format!("E01{i:06}")).collect();
    let r = post(&app, json!({"format": "csv", "codes": codes})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("the limit is"));
    let r = get(&app, "/api/download?format=csv&polygon=x").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown parameter")
    );
}

/// A running `dxmap serve`, stopped on drop.
struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`: status, headers, body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

/// The payload of a chunked body.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = std::str::from_utf8(&b[..eol])
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

fn start_server(test: &str) -> Option<Server> {
    if cfg!(debug_assertions) {
        common::skip_for_tool(
            test,
            "the embedded default is slow to score in a debug build: run cargo test --release",
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(common::dxmap_bin())
        .args([
            "--quiet",
            "serve",
            "--addr",
            &addr,
            "--no-prewarm",
            "--draws",
            "0",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dxmap serve");
    let server = Server {
        child,
        addr,
        _dir: dir,
    };
    let t = Instant::now();
    while TcpStream::connect(&server.addr).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "dxmap serve did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Some(server)
}

#[test]
fn the_embedded_default_downloads_a_borough_as_dxmap_export_writes_it() {
    let test = "the_embedded_default_downloads_a_borough_as_dxmap_export_writes_it";
    let Some(server) = start_server(test) else {
        return;
    };
    let (status, _, meta) = http(&server.addr, "GET", "/api/meta", "");
    assert_eq!(status, 200);
    let meta: Value = serde_json::from_slice(&meta).unwrap();
    let borough = meta["boroughs"][0]["code"]
        .as_str()
        .expect("a borough")
        .to_string();
    let body =
        json!({"format": "geojson", "codes": [borough], "generated": "2026-01-31"}).to_string();
    let (status, head, got) = http(&server.addr, "POST", "/api/download", &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&got));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-disposition: attachment; filename="),
        "{head}"
    );
    let got: Value = serde_json::from_slice(&got).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.geojson");
    let o = Command::new(common::dxmap_bin())
        .args([
            "--quiet",
            "export",
            "geojson",
            "--sensitivity-draws",
            "0",
            "--within",
            &borough,
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let (g, w) = (features(&got), features(&want));
    assert!(!w.is_empty());
    assert_eq!(g.keys().collect::<Vec<_>>(), w.keys().collect::<Vec<_>>());
    for (code, f) in &g {
        assert!(
            f["geometry"]["coordinates"].is_array(),
            "{code}: no geometry"
        );
        // The whole feature: geometry, scores, key groups, raw values.
        assert_eq!(f, &w[code], "{code}");
    }
    let groups: Vec<&String> = g.values().next().unwrap()["properties"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("k_") && k.ends_with("_count"))
        .collect();
    assert!(!groups.is_empty(), "no key-group counts");
    let m = &got["metadata"];
    for k in [
        "methodology",
        "sources",
        "attribution",
        "vintages",
        "selection",
        "download",
    ] {
        assert!(!m[k].is_null(), "metadata lacks {k}");
    }
    assert_eq!(m["methodology"], want["metadata"]["methodology"]);

    // CSV: one row per selected area, read by Python's csv module.
    let body = json!({"format": "csv", "codes": [borough]}).to_string();
    let (status, _, zip) = http(&server.addr, "POST", "/api/download", &body);
    assert_eq!(status, 200);
    if let Some(z) = python_unzip(test, &zip) {
        assert_eq!(z.rows.len(), w.len());
        for g in &groups {
            assert!(z.header.contains(g), "no {g} column");
        }
    }
}
