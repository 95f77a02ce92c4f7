//! HTTP behaviour of the server: router tests through `oneshot` on a small
//! synthetic dataset (a grid of square areas in two boroughs, scored with a
//! two-component methodology), one test over real HTTP on 127.0.0.1:0, and
//! reloads under concurrent requests.

mod common;
mod fixtures;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::dataset::Dataset;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::reload::{self, Reloader};
use dxmap::server::{AppState, Limits, ServeError, Served, ServerConfig, router};
use dxmap::tiles::{TileCoord, TileOptions};
use serde_json::Value;

use common::oneshot::{Resp, assert_negotiated, get, get_with, send};

const W: f64 = fixtures::GRID_W;
const S: f64 = fixtures::GRID_S;
const STEP: f64 = fixtures::GRID_STEP;
const COLS: usize = 8;
const ROWS: usize = 6;

/// The fixture methodology with no coverage minimum: area E01000005 lacks
/// its only deprivation input and keeps a partial index, which the area
/// tests read.
fn methodology_toml() -> String {
    format!("min_coverage = 0\n{}", fixtures::METHODOLOGY)
}

/// A `cols` × ROWS grid of areas; the left half in borough 1, the right in 2.
fn dataset(cols: usize, title: &str) -> Dataset {
    fixtures::grid(cols, ROWS, title)
}

fn methodology() -> Arc<Methodology> {
    let mut m = Methodology::parse(&methodology_toml(), "test.toml").unwrap();
    m.personas = dxmap::score::parse_personas(fixtures::PERSONAS, "personas.toml").unwrap();
    Arc::new(m)
}

fn scored(ds: Dataset) -> ScoredDataset {
    let opts = ScoreOptions {
        sensitivity_draws: Some(20),
        ..ScoreOptions::default()
    };
    ScoredDataset::new(Arc::new(ds), methodology(), &opts).unwrap()
}

fn served(ds: Dataset) -> Served {
    Served::build(scored(ds), TileOptions::default(), 8 << 20).unwrap()
}

fn config() -> ServerConfig {
    ServerConfig::default()
}

fn app_with(config: ServerConfig) -> (AppState, Router) {
    let state = AppState::new(served(dataset(COLS, "Grid")), config);
    (state.clone(), router(state))
}

fn app() -> Router {
    app_with(config()).1
}

async fn post(app: &Router, uri: &str, body: impl Into<String>) -> Resp {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.into()))
        .unwrap();
    send(app, req).await
}

/// XYZ tile containing (lon, lat) at zoom z.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = (1u64 << z) as f64;
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lr = lat.to_radians();
    let y =
        ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Layer names of an MVT, read with a minimal protobuf walker (independent
/// of the encoder): Tile.layers = field 3, Layer.name = field 1.
fn mvt_layer_names(buf: &[u8]) -> Vec<String> {
    fn varint(b: &[u8], i: &mut usize) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let byte = b[*i];
            *i += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    fn fields(b: &[u8]) -> Vec<(u64, &[u8])> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let key = varint(b, &mut i);
            match key & 7 {
                0 => {
                    varint(b, &mut i);
                }
                2 => {
                    let len = varint(b, &mut i) as usize;
                    out.push((key >> 3, &b[i..i + len]));
                    i += len;
                }
                5 => i += 4,
                1 => i += 8,
                t => panic!("unexpected wire type {t}"),
            }
        }
        out
    }
    fields(buf)
        .into_iter()
        .filter(|(f, _)| *f == 3)
        .filter_map(|(_, layer)| {
            fields(layer)
                .into_iter()
                .find(|(f, _)| *f == 1)
                .map(|(_, n)| String::from_utf8(n.to_vec()).unwrap())
        })
        .collect()
}

fn assert_json_error(r: &Resp, status: StatusCode) {
    assert_eq!(
        r.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header(header::CONTENT_TYPE), Some("application/json"));
    let j = r.json();
    assert!(
        j["error"].as_str().is_some_and(|e| !e.is_empty()),
        "error message in {j}"
    );
}

#[tokio::test]
async fn empty_tile_is_204() {
    let app = app();
    let r = get(&app, "/tiles/10/0/0.mvt").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    assert!(r.header(header::CACHE_CONTROL).is_some());
}

#[tokio::test]
async fn tile_gzip_etag_and_304() {
    let app = app();
    let (x, y) = tile_of(W + 0.035, S + 0.025, 12);
    let uri = format!("/tiles/12/{x}/{y}.mvt");
    let (plain, gz) = assert_negotiated(&app, &uri, "application/vnd.mapbox-vector-tile").await;
    let names = mvt_layer_names(&plain.body);
    assert!(names.contains(&"lsoa".to_string()), "{names:?}");
    assert!(names.contains(&"boroughs".to_string()), "{names:?}");

    // Same bytes again (from the cache), byte-identical.
    let again = get_with(&app, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(again.body, gz.body);

    // HEAD works and sends no body.
    let head = send(&app, Request::head(&uri).body(Body::empty()).unwrap()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn tiles_and_tilejson_send_one_cache_control() {
    let (x, y) = tile_of(W + 0.035, S + 0.025, 12);
    let tile = format!("/tiles/12/{x}/{y}.mvt");
    // As configured, and `no-cache` for a value that is not a header.
    for (configured, sent) in [
        ("public, max-age=60", "public, max-age=60"),
        ("bad\nvalue", "no-cache"),
    ] {
        let (_, app) = app_with(ServerConfig {
            tile_cache_control: configured.into(),
            ..config()
        });
        for path in [tile.as_str(), "/tiles/10/0/0.mvt", "/tiles.json"] {
            let r = get(&app, path).await;
            assert_eq!(
                r.header(header::CACHE_CONTROL),
                Some(sent),
                "{path}, {configured:?}"
            );
        }
    }
}

#[tokio::test]
async fn bad_tile_requests_are_400_or_404_json() {
    let app = app();
    for (uri, status) in [
        ("/tiles/abc/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/3/-1/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/3/8/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/3/0/8.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/3/0/1e3.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/99999999999/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/15/0/0.mvt", StatusCode::NOT_FOUND),
        ("/tiles/31/0/0.mvt", StatusCode::NOT_FOUND),
        ("/tiles/3/0/0.png", StatusCode::NOT_FOUND),
        ("/tiles/3/0/0", StatusCode::NOT_FOUND),
    ] {
        let r = get(&app, uri).await;
        assert_json_error(&r, status);
    }
    // Not matching the route at all: 404 JSON too.
    assert_json_error(&get(&app, "/tiles/3/0").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tilejson_has_absolute_urls_layers_and_bounds() {
    let app = app();
    let r = get_with(&app, "/tiles.json", &[("host", "maps.example.test:8080")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["tilejson"], "3.0.0");
    assert_eq!(
        j["tiles"][0],
        "http://maps.example.test:8080/tiles/{z}/{x}/{y}.mvt"
    );
    assert_eq!(j["maxzoom"], 14);
    assert_eq!(j["attribution"], "Test data");
    let b = j["bounds"].as_array().unwrap();
    assert!((b[0].as_f64().unwrap() - W).abs() < 1e-6);
    let layers = j["vector_layers"].as_array().unwrap();
    let lsoa = layers.iter().find(|l| l["id"] == "lsoa").unwrap();
    for f in [
        "code",
        "index",
        "decile",
        "c_demography",
        "i_aged_65_plus",
        "p_top",
        "demo",
    ] {
        assert!(lsoa["fields"].get(f).is_some(), "field {f} in {lsoa}");
    }
    assert!(layers.iter().any(|l| l["id"] == "boroughs"));

    let bad = get_with(&app, "/tiles.json", &[("host", "evil\"host")]).await;
    assert_json_error(&bad, StatusCode::BAD_REQUEST);

    let (_, app) = app_with(ServerConfig {
        public_url: Some("https://tiles.example.org/dx/".into()),
        ..config()
    });
    let j = get(&app, "/tiles.json").await.json();
    assert_eq!(
        j["tiles"][0],
        "https://tiles.example.org/dx/tiles/{z}/{x}/{y}.mvt"
    );
    let c = get(&app, "/catalog").await.json();
    let layers = c["tiles"]["dxmap"]["layers"].as_array().unwrap();
    let lsoa = layers.iter().find(|l| l["id"] == "lsoa").unwrap();
    assert_eq!(lsoa["features"], (COLS * ROWS) as u64);
}

#[tokio::test]
async fn area_detail_and_lookup() {
    let app = app();
    let r = get(&app, "/api/areas/E01000005").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["code"], "E01000005");
    assert_eq!(
        j["borough_code"], "E09000002",
        "column 5 is in the right half"
    );
    assert_eq!(j["ward_name"], "Ward 1");
    assert!(j["index"].is_number());
    let inds = j["indicators"].as_array().unwrap();
    let noq = inds
        .iter()
        .find(|i| i["id"] == "no_qualifications")
        .unwrap();
    assert!(noq["raw"].is_null(), "missing raw value is null");
    assert_eq!(j["index_status"], "ok");
    assert_eq!(j["missing_inputs"], "no_qualifications");
    assert!(noq["min"].as_f64().unwrap() < noq["max"].as_f64().unwrap());
    assert_eq!(j["components"].as_array().unwrap().len(), 2);
    assert!(j["rank_p05"].is_number());
    assert_eq!(j["sensitivity"]["draws"], 20);
    assert_eq!(j["demo"], false, "its demo value is missing");
    let srcs = j["sources"].as_array().unwrap();
    assert!(
        srcs.iter()
            .any(|s| s["column"] == "no_qualifications" && s["demonstration"] == true)
    );
    assert_eq!(get(&app, "/api/areas/E01000006").await.json()["demo"], true);

    assert_json_error(
        &get(&app, "/api/areas/E99999999").await,
        StatusCode::NOT_FOUND,
    );

    // Area 10 = row 1, column 2.
    let lon = W + 2.5 * STEP;
    let lat = S + 1.5 * STEP;
    let l = get(&app, &format!("/api/lookup?lon={lon}&lat={lat}")).await;
    assert_eq!(l.status, StatusCode::OK);
    assert_eq!(l.json()["code"], "E01000010");
    assert_eq!(l.json(), get(&app, "/api/areas/E01000010").await.json());

    assert_json_error(
        &get(&app, "/api/lookup?lon=10&lat=10").await,
        StatusCode::NOT_FOUND,
    );
    for bad in [
        "/api/lookup?lon=abc&lat=51.5",
        "/api/lookup?lon=0",
        "/api/lookup?lon=500&lat=51",
        "/api/lookup?lon=NaN&lat=51",
    ] {
        assert_json_error(&get(&app, bad).await, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn insufficient_data_areas_show_status_and_missing_inputs() {
    let mut m = Methodology::parse(
        &methodology_toml().replace("min_coverage = 0\n", "min_coverage = 0.75\n"),
        "test.toml",
    )
    .unwrap();
    m.personas = dxmap::score::parse_personas(fixtures::PERSONAS, "personas.toml").unwrap();
    let scored = ScoredDataset::new(
        Arc::new(dataset(COLS, "Grid")),
        Arc::new(m),
        &ScoreOptions::default(),
    )
    .unwrap();
    let served = Served::build(scored, TileOptions::default(), 8 << 20).unwrap();
    let app = router(AppState::new(served, config()));
    let j = get(&app, "/api/areas/E01000005").await.json();
    assert_eq!(j["index_status"], "insufficient_data");
    assert!(j["index"].is_null() && j["rank"].is_null() && j["decile"].is_null());
    assert_eq!(j["missing_inputs"], "no_qualifications");
    assert!(
        j["insufficiency"]
            .as_str()
            .is_some_and(|w| w.ends_with("missing no_qualifications")),
        "{}",
        j["insufficiency"]
    );
    let ok = get(&app, "/api/areas/E01000004").await.json();
    assert_eq!(ok["index_status"], "ok");
    let s = get(&app, "/api/scores").await.json();
    let at = s["code"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "E01000005")
        .unwrap();
    assert_eq!(s["index_status"][at], "insufficient_data");
    assert_eq!(s["missing_inputs"][at], "no_qualifications");
    assert!(s["index"][at].is_null());
}

#[tokio::test]
async fn area_lists_by_bbox_and_borough() {
    let app = app();
    // Inside areas 0, 1, 8 and 9 (2 × 2 cells at the south-west corner).
    let bbox = format!("{},{},{},{}", W + 0.002, S + 0.002, W + 0.015, S + 0.015);
    let j = get(&app, &format!("/api/areas?bbox={bbox}")).await.json();
    assert_eq!(j["count"], 4);
    let codes: Vec<&str> = j["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["E01000000", "E01000001", "E01000008", "E01000009"]);
    assert!(j["areas"][0]["decile"].is_number());

    let b = get(&app, "/api/areas?borough=E09000002").await.json();
    assert_eq!(b["count"], (COLS * ROWS / 2) as u64);
    let by_name = get(&app, "/api/areas?borough=barking%20and%20dagenham")
        .await
        .json();
    assert_eq!(by_name, b);
    assert_json_error(
        &get(&app, "/api/areas?borough=Nowhere").await,
        StatusCode::NOT_FOUND,
    );

    for bad in [
        "/api/areas",
        "/api/areas?bbox=1,2,3",
        "/api/areas?bbox=a,b,c,d",
        "/api/areas?bbox=1,2,0,3",
        "/api/areas?bbox=-10,40,10,60",
        "/api/areas?bbox=0,0,1,1&borough=E09000001",
    ] {
        assert_json_error(&get(&app, bad).await, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn meta_methodology_and_columnar_scores() {
    let app = app();
    let m = get(&app, "/api/meta").await.json();
    assert_eq!(m["title"], "Grid");
    assert_eq!(m["demonstration"], true);
    assert_eq!(m["boroughs"].as_array().unwrap().len(), 2);
    assert_eq!(m["boroughs"][0]["code"], "E09000001");
    assert_eq!(m["center"].as_array().unwrap().len(), 3);

    let me = get(&app, "/api/methodology").await.json();
    assert_eq!(me["name"], "Test DERI");
    assert_eq!(me["scope"], "all");
    assert_eq!(
        me["components"][0]["indicators"][0]["column"],
        "aged_65_plus"
    );
    assert_eq!(me["components"][0]["indicators"][0]["transform"], "minmax");

    let s = get(&app, "/api/scores").await.json();
    let n = COLS * ROWS;
    for k in [
        "code",
        "name",
        "borough_code",
        "borough_name",
        "ward_code",
        "ward_name",
        "population",
        "index",
        "rank",
        "decile",
        "i_aged_65_plus",
        "c_deprivation",
        "p_top",
    ] {
        assert_eq!(s[k].as_array().unwrap().len(), n, "{k}");
    }
    for old in [
        "codes",
        "names",
        "boroughs",
        "borough_codes",
        "wards",
        "indicators",
    ] {
        assert!(s.get(old).is_none(), "one spelling: no '{old}'");
    }
    assert_eq!(s["population"][0], 1500.0);

    // JSON is gzipped when the client accepts it.
    let gz = get_with(&app, "/api/scores", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"));
    let unz: Value = serde_json::from_slice(&gunzip(&gz.body)).unwrap();
    assert_eq!(unz, s);

    let h = get(&app, "/healthz").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json()["areas"], n as u64);
}

#[tokio::test]
async fn custom_scope_rescore() {
    let app = app();
    let codes: Vec<String> = (0..6).map(|k| format!("\"E01{k:06}\"")).collect();
    let r = post(
        &app,
        "/api/score",
        format!("{{\"codes\": [{}]}}", codes.join(",")),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let j = r.json();
    assert_eq!(j["scope"], "custom");
    assert_eq!(j["count"], 6);
    let ranks: Vec<u64> = j["areas"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["rank"].as_u64())
        .collect();
    assert!(
        ranks.iter().all(|&r| (1..=6).contains(&r)),
        "ranks within the selection: {ranks:?}"
    );
    assert!(j["areas"][0]["components"]["demography"].is_number());

    // A polygon over the south-west 3 × 2 cells.
    let (e, n) = (W + 3.0 * STEP - 0.001, S + 2.0 * STEP - 0.001);
    let poly = format!(
        r#"{{"polygon": {{"type": "Polygon", "coordinates": [[[{W},{S}],[{e},{S}],[{e},{n}],[{W},{n}],[{W},{S}]]]}}}}"#
    );
    let p = post(&app, "/api/score", poly).await;
    assert_eq!(
        p.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&p.body)
    );
    assert_eq!(p.json()["count"], 6);

    let w = post(
        &app,
        "/api/score",
        format!(
            "{{\"codes\": [{}], \"weights\": {{\"deprivation\": 0}}}}",
            codes.join(",")
        ),
    )
    .await;
    assert_eq!(
        w.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&w.body)
    );
    let wj = w.json();
    for a in wj["areas"].as_array().unwrap() {
        // With deprivation weighted 0 the index is the demography score.
        if let (Some(i), Some(d)) = (a["index"].as_f64(), a["components"]["demography"].as_f64()) {
            assert!((i - d).abs() < 1e-3, "{a}");
        }
    }

    for bad in [
        "not json".to_string(),
        "{}".into(),
        r#"{"codes": ["E01000000"]}"#.into(),
        r#"{"codes": ["E01000000", "NOPE"]}"#.into(),
        r#"{"codes": ["E01000000", "E01000001"], "weights": {"nope": 1}}"#.into(),
        r#"{"codes": ["E01000000", "E01000001"], "weights": {"demography": -1}}"#.into(),
        r#"{"codes": ["E01000000", "E01000001"], "extra": 1}"#.into(),
        r#"{"polygon": {"type": "Point", "coordinates": [0, 0]}}"#.into(),
        r#"{"codes": ["E01000000"], "polygon": {"type": "Point", "coordinates": [0, 0]}}"#.into(),
    ] {
        let r = post(&app, "/api/score", bad.clone()).await;
        assert_json_error(&r, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn limits_are_enforced() {
    let (_, app) = app_with(ServerConfig {
        limits: Limits {
            max_body_bytes: 1000,
            max_codes: 3,
            max_header_bytes: 2000,
            max_polygon_vertices: 5,
            ..Limits::default()
        },
        ..config()
    });
    let big = format!("{{\"codes\": [\"{}\"]}}", "x".repeat(2000));
    assert_json_error(
        &post(&app, "/api/score", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    );
    let many = r#"{"codes": ["E01000000", "E01000001", "E01000002", "E01000003"]}"#;
    assert_json_error(
        &post(&app, "/api/score", many).await,
        StatusCode::BAD_REQUEST,
    );
    let poly = r#"{"polygon": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0.5,1.5],[0,1],[0,0]]]}}"#;
    assert_json_error(
        &post(&app, "/api/score", poly).await,
        StatusCode::BAD_REQUEST,
    );
    let long = "y".repeat(3000);
    let r = get_with(&app, "/healthz", &[("x-padding", &long)]).await;
    assert_json_error(&r, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

fn web_dir(root: &Path) -> std::path::PathBuf {
    let web = root.join("web");
    std::fs::create_dir_all(web.join("node_modules/maplibre-gl/dist")).unwrap();
    std::fs::write(web.join("index.html"), "<html>map</html>").unwrap();
    std::fs::write(web.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(
        web.join("node_modules/maplibre-gl/dist/maplibre-gl.js"),
        "/* maplibre */",
    )
    .unwrap();
    std::fs::write(root.join("secret.txt"), "secret").unwrap();
    web
}

#[tokio::test]
async fn static_files_vendor_and_traversal() {
    let tmp = tempfile::tempdir().unwrap();
    let web = web_dir(tmp.path());
    let (_, app) = app_with(ServerConfig {
        web_dir: Some(web),
        ..config()
    });
    let r = get(&app, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, b"<html>map</html>");
    assert_eq!(get(&app, "/app.js").await.body, b"console.log(1)");
    let v = get(&app, "/vendor/maplibre-gl/maplibre-gl.js").await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(v.body, b"/* maplibre */");
    assert_eq!(get(&app, "/nope.js").await.status, StatusCode::NOT_FOUND);

    for uri in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/vendor/maplibre-gl/../../../../../secret.txt",
        "/vendor/maplibre-gl/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
        "/app.js%00",
        "/..\\secret.txt",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains("secret"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn cors_open_by_default_and_configurable() {
    let app = app();
    let r = get_with(&app, "/api/meta", &[("origin", "https://elsewhere.org")]).await;
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));

    let (_, app) = app_with(ServerConfig {
        cors: dxmap::server::CorsPolicy::Origins(vec!["https://ok.org".into()]),
        ..config()
    });
    let ok = get_with(&app, "/api/meta", &[("origin", "https://ok.org")]).await;
    assert_eq!(
        ok.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("https://ok.org")
    );
    let no = get_with(&app, "/api/meta", &[("origin", "https://bad.org")]).await;
    assert_eq!(no.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn metrics_count_requests_and_cache() {
    let app = app();
    let (x, y) = tile_of(W + 0.035, S + 0.025, 12);
    let uri = format!("/tiles/12/{x}/{y}.mvt");
    get(&app, &uri).await;
    get(&app, &uri).await;
    get(&app, "/api/areas/NOPE").await;
    let m = get(&app, "/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("dxmap_http_requests_total{route=\"/tiles/{z}/{x}/{y}\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("dxmap_http_requests_total{route=\"/api/areas/{code}\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("dxmap_tile_cache_hits_total 1"), "{text}");
    assert!(text.contains("dxmap_tile_cache_misses_total 1"), "{text}");
}

/// Minimal HTTP/1.1 GET over a raw socket: status, headers (lowercased) and body.
fn http_get(addr: std::net::SocketAddr, path: &str, gzip: bool) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let ae = if gzip {
        "Accept-Encoding: gzip\r\n"
    } else {
        ""
    };
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{ae}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let mut body = buf[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let eol = i + body[i..].windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&body[i..eol]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&body[eol + 2..eol + 2 + n]);
            i = eol + 2 + n + 2;
        }
        body = out;
    }
    (status, head, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_server_serves_tiles_over_http() {
    let (addr, tx, server) = start_real(config()).await;

    let results = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for z in 8..=14u32 {
            let (x0, y0) = tile_of(W, S + ROWS as f64 * STEP, z);
            let (x1, y1) = tile_of(W + COLS as f64 * STEP, S, z);
            for x in x0..=x1.min(x0 + 2) {
                for y in y0..=y1.min(y0 + 2) {
                    out.push((
                        z,
                        x,
                        y,
                        http_get(addr, &format!("/tiles/{z}/{x}/{y}.mvt"), true),
                    ));
                }
            }
        }
        let tj = http_get(addr, "/tiles.json", false);
        (out, tj)
    })
    .await
    .unwrap();
    let (tiles, tj) = results;
    let mut non_empty = 0;
    for (z, x, y, (status, head, body)) in &tiles {
        assert!(*status == 200 || *status == 204, "{z}/{x}/{y}: {status}");
        if *status == 200 {
            non_empty += 1;
            assert!(head.contains("content-encoding: gzip"), "{head}");
            let names = mvt_layer_names(&gunzip(body));
            if *z >= 8 {
                assert!(
                    names.contains(&"lsoa".to_string()),
                    "{z}/{x}/{y}: {names:?}"
                );
            }
        }
    }
    assert!(non_empty >= 7, "at least one tile per zoom: {non_empty}");
    let j: Value = serde_json::from_slice(&tj.2).unwrap();
    assert_eq!(
        j["tiles"][0],
        format!("http://{addr}/tiles/{{z}}/{{x}}/{{y}}.mvt")
    );

    stop_real(tx, server).await;
}

fn synthetic_reloader(path: &Path) -> Arc<Reloader> {
    let m = methodology();
    let f = move |ds: Arc<Dataset>| -> Result<ScoredDataset, ServeError> {
        ScoredDataset::new(ds, m.clone(), &ScoreOptions::default())
            .map_err(|e| ServeError::Other(e.to_string()))
    };
    Arc::new(Reloader::new(
        path.to_path_buf(),
        Arc::new(f),
        TileOptions::default(),
        8 << 20,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_has_no_failures_and_refuses_corrupt_files() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data.dxds");
    dataset(COLS, "A").write(&path).unwrap();
    let reloader = synthetic_reloader(&path);
    let state = AppState::new(reloader.build().unwrap(), config());
    let app = router(state.clone());

    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (app, failures, done) = (app.clone(), failures.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0usize;
            let (x, y) = tile_of(W + 0.035, S + 0.025, 12);
            while !done.load(Ordering::Relaxed) || n < 20 {
                let uri = match (n + w) % 4 {
                    0 => format!("/tiles/12/{x}/{y}.mvt"),
                    1 => "/api/areas/E01000003".to_string(),
                    2 => "/api/scores".to_string(),
                    _ => "/tiles.json".to_string(),
                };
                let r = get(&app, &uri).await;
                if r.status != StatusCode::OK {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            n
        }));
    }
    for i in 0..4 {
        let cols = if i % 2 == 0 { COLS + 2 } else { COLS };
        dataset(cols, &format!("gen {i}")).write(&path).unwrap();
        reload::reload(&state, &reloader).await.unwrap();
        assert_eq!(state.served().dataset().title, format!("gen {i}"));
        assert_eq!(state.served().dataset().len(), cols * ROWS);
    }
    done.store(true, Ordering::Relaxed);
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert!(total >= 80);
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "failed requests during reloads"
    );

    // A corrupt file (one flipped byte) is refused; the old data keeps serving.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert!(reload::reload(&state, &reloader).await.is_err());
    assert_eq!(state.served().dataset().title, "gen 3");
    assert_eq!(
        get(&app, "/api/areas/E01000003").await.status,
        StatusCode::OK
    );
    let m = String::from_utf8(get(&app, "/metrics").await.body).unwrap();
    assert!(m.contains("dxmap_reloads_total 4"), "{m}");
    assert!(m.contains("dxmap_reload_failures_total 1"), "{m}");

    // Truncated too.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(reload::reload(&state, &reloader).await.is_err());
    assert_eq!(state.served().dataset().title, "gen 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_watcher_reloads_on_change() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data.dxds");
    dataset(COLS, "before").write(&path).unwrap();
    let reloader = synthetic_reloader(&path);
    let state = AppState::new(reloader.build().unwrap(), config());
    let watcher = tokio::spawn(reload::watch(
        state.clone(),
        reloader,
        Duration::from_millis(50),
    ));
    tokio::time::sleep(Duration::from_millis(120)).await;
    // Ensure a different mtime even on coarse-grained file systems.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    dataset(COLS, "after").write(&path).unwrap();
    let mut ok = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if state.served().dataset().title == "after" {
            ok = true;
            break;
        }
    }
    watcher.abort();
    assert!(ok, "watcher did not pick up the new file");
}

/// Starts the real accept loop on a loopback port; returns the address, the
/// shutdown sender and the server task.
async fn start_real(
    config: ServerConfig,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let state = AppState::new(served(dataset(COLS, "Grid")), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dxmap::server::serve(listener, state, async {
        let _ = rx.await;
    }));
    (addr, tx, server)
}

/// Sends the shutdown signal and waits for the server to drain and stop.
async fn stop_real(
    tx: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
) {
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("graceful shutdown")
        .unwrap()
        .unwrap();
}

/// Reads from `s` until the peer closes (Ok) or `limit` passes (Err).
fn wait_closed(s: &mut std::net::TcpStream, limit: Duration) -> Result<Duration, String> {
    let t = std::time::Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while t.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Ok(t.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Ok(t.elapsed()),
        }
    }
    Err(format!("still open after {limit:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_clients_and_idle_connections_are_cut_off() {
    let (addr, tx, server) = start_real(ServerConfig {
        limits: Limits {
            header_read_timeout: Duration::from_millis(800),
            ..Limits::default()
        },
        ..config()
    })
    .await;
    tokio::task::spawn_blocking(move || {
        // Headers trickled a byte every 100 ms never complete in time.
        let mut slow = std::net::TcpStream::connect(addr).unwrap();
        let t = std::time::Instant::now();
        let req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut cut = false;
        for b in req {
            if slow.write_all(&[*b]).is_err() {
                cut = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            if t.elapsed() > Duration::from_secs(4) {
                break;
            }
        }
        if !cut {
            wait_closed(&mut slow, Duration::from_secs(3)).expect("slowloris connection closed");
        }
        assert!(
            t.elapsed() < Duration::from_secs(4),
            "slow client held the connection for {:?}",
            t.elapsed()
        );

        // A connection that sends nothing is closed too.
        let mut idle = std::net::TcpStream::connect(addr).unwrap();
        let took = wait_closed(&mut idle, Duration::from_secs(3)).expect("idle connection closed");
        assert!(took >= Duration::from_millis(500), "closed too early: {took:?}");

        // A kept-alive connection is closed once idle, after serving its request.
        let mut ka = std::net::TcpStream::connect(addr).unwrap();
        write!(ka, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        ka.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 512];
        let n = ka.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        wait_closed(&mut ka, Duration::from_secs(3)).expect("idle keep-alive connection closed");

        // Well-behaved clients are unaffected.
        assert_eq!(http_get(addr, "/healthz", false).0, 200);
    })
    .await
    .unwrap();
    stop_real(tx, server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_until_one_closes() {
    let (addr, tx, server) = start_real(ServerConfig {
        limits: Limits {
            max_connections: 2,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    tokio::task::spawn_blocking(move || {
        // Two busy connections: each has sent a request head and is slow
        // with its body (an idle one would be closed to make room).
        let busy = || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(
                s,
                "POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{{"
            )
            .unwrap();
            s
        };
        let a = busy();
        let b = busy();
        // Give the server time to accept both.
        std::thread::sleep(Duration::from_millis(300));
        // The third connects (kernel backlog) but is not served while two are busy.
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        write!(
            c,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        c.set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        let mut buf = [0u8; 512];
        assert!(
            c.read(&mut buf).is_err(),
            "a third connection was served while the limit of two was held"
        );
        drop(a);
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = c.read(&mut buf).expect("served once a connection closed");
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        drop(b);
    })
    .await
    .unwrap();
    stop_real(tx, server).await;
}

#[tokio::test]
async fn long_request_targets_are_414() {
    let app = app();
    let codes = vec!["E01000001"; 2000].join(",");
    let r = get(&app, &format!("/api/areas?bbox={codes}")).await;
    assert_json_error(&r, StatusCode::URI_TOO_LONG);
    let r = get(&app, &format!("/tiles/1/0/0.mvt?{}", "x".repeat(9000))).await;
    assert_json_error(&r, StatusCode::URI_TOO_LONG);
    // Just under the limit is handled normally (a malformed bbox here).
    let r = get(&app, &format!("/api/areas?bbox={}", "1".repeat(8000))).await;
    assert_json_error(&r, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn key_groups_are_columnar_and_aligned_with_scores() {
    let app = app();
    let scores = get(&app, "/api/scores").await.json();
    let kg = get(&app, "/api/key-groups").await;
    assert_eq!(kg.status, StatusCode::OK);
    let kg = kg.json();
    assert_eq!(kg["code"], scores["code"]);
    let n = scores["code"].as_array().unwrap().len();
    let p_top = scores["p_top"]
        .as_array()
        .expect("p_top with sensitivity on");
    assert_eq!(p_top.len(), n);
    assert!(
        p_top
            .iter()
            .all(|v| (0.0..=1.0).contains(&v.as_f64().unwrap()))
    );
    let groups = kg["groups"].as_object().unwrap();
    assert!(!groups.is_empty(), "the test methodology has key groups");
    for (id, g) in groups {
        assert!(g["label"].is_string(), "{id}");
        assert_eq!(g["share"].as_array().unwrap().len(), n, "{id}");
        assert_eq!(g["count"].as_array().unwrap().len(), n, "{id}");
        for v in g["share"].as_array().unwrap() {
            assert!(
                v.is_null() || (0.0..=1.0).contains(&v.as_f64().unwrap()),
                "{id}: {v}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_cold_tile_cut_it_once() {
    let (state, app) = app_with(config());
    let (x, y) = tile_of(W + STEP, S + STEP, 12);
    let uri = format!("/tiles/12/{x}/{y}.mvt");
    let reqs = (0..8).map(|_| {
        let app = app.clone();
        let uri = uri.clone();
        tokio::spawn(async move { get(&app, &uri).await })
    });
    let mut bodies = Vec::new();
    for r in reqs {
        let r = r.await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        bodies.push(r.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let m = state.metrics();
    assert_eq!(
        m.tile_misses.load(Ordering::Relaxed),
        1,
        "one cut for eight requests"
    );
    assert_eq!(m.tile_hits.load(Ordering::Relaxed), 7);
}

#[tokio::test]
async fn prewarm_cuts_overview_tiles_in_the_background() {
    let (state, app) = app_with(ServerConfig {
        prewarm_zoom: Some(10),
        ..config()
    });
    let (x, y) = tile_of(W + STEP, S + STEP, 10);
    // Wait for that very tile: prewarming runs zoom by zoom, so on a loaded
    // machine a count of cached tiles can be reached before zoom 10.
    let coord = TileCoord { z: 10, x, y };
    let t = std::time::Instant::now();
    while state
        .served()
        .cache
        .get((coord, dxmap::tiles::TileEncoding::Mvt))
        .is_none()
        && t.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = get(&app, &format!("/tiles/10/{x}/{y}.mvt")).await;
    assert_eq!(r.status, StatusCode::OK);
    let m = state.metrics();
    assert_eq!(
        m.tile_misses.load(Ordering::Relaxed),
        0,
        "served from the prewarmed cache"
    );
    assert_eq!(m.tile_hits.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_sent_too_slowly_gets_408() {
    let (addr, tx, server) = start_real(ServerConfig {
        limits: Limits {
            request_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
        ..config()
    })
    .await;
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = br#"{"codes": ["E01000001", "E01000002"]}"#;
        write!(
            s,
            "POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        // The headers arrived in time; the body trickles for longer than the limit.
        s.set_read_timeout(Some(Duration::from_millis(150))).unwrap();
        let t = std::time::Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        for b in body {
            if s.write_all(&[*b]).is_err() {
                break;
            }
            if let Ok(n) = s.read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
                if n == 0 || got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
        let head = String::from_utf8_lossy(&got).to_string();
        assert!(head.starts_with("HTTP/1.1 408"), "got {head:?}");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    })
    .await
    .unwrap();
    stop_real(tx, server).await;
}

/// A tile is compressed once, by one rule: the server's gzip body is the
/// exported archive's stored tile, byte for byte (before, the server used
/// gzip level 4 and the exports level 6, so the two differed).
#[tokio::test]
async fn served_gzip_tiles_are_the_exported_archive_tiles() {
    use dxmap::export::tiling::{Pyramid, TileExportOptions};
    let app = app();
    let scored = scored(dataset(COLS, "Grid"));
    let pyramid = Pyramid::new(
        &scored,
        TileExportOptions {
            max_zoom: 12,
            ..Default::default()
        },
    )
    .unwrap();
    let tiles = pyramid.cut_zoom(12).unwrap();
    assert!(!tiles.is_empty());
    for (c, stored) in tiles {
        let uri = format!("/tiles/{}/{}/{}.mvt", c.z, c.x, c.y);
        let gz = get_with(&app, &uri, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.status, StatusCode::OK, "{uri}");
        assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"), "{uri}");
        assert_eq!(gz.body, stored, "{uri}: served and exported gzip bytes");
    }
}

/// The large JSON bodies are compressed once per generation and held so:
/// a gzip response is those bytes (the tiles' gzip of the identity body),
/// not a compression made again on every request.
#[tokio::test]
async fn large_json_bodies_are_held_gzipped() {
    let app = app();
    for path in ["/api/scores", "/api/scores-exact", "/api/key-groups"] {
        let plain = get(&app, path).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert_eq!(plain.header(header::CONTENT_ENCODING), None, "{path}");
        serde_json::from_slice::<Value>(&plain.body).expect(path);
        let gz = get_with(&app, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.header(header::CONTENT_ENCODING), Some("gzip"), "{path}");
        let vary = gz.header_all(header::VARY).to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{path}: {vary}");
        assert_eq!(
            gz.body,
            dxmap::tiles::gzip(&plain.body).unwrap(),
            "{path}: the held gzip"
        );
    }
}

/// The large JSON bodies revalidate as tiles do: a strong ETag per form,
/// `no-cache`, and a 304 for a client that has the form it accepts.
#[tokio::test]
async fn large_json_bodies_answer_conditional_requests() {
    let app = app();
    for path in ["/api/scores", "/api/scores-exact", "/api/key-groups"] {
        let (_, gz) = assert_negotiated(&app, path, "application/json").await;
        assert_eq!(gz.header(header::CACHE_CONTROL), Some("no-cache"), "{path}");
    }
}
