//! Orientation: the place labels and ward outlines the server computes from
//! the dataset (`/api/places/labels`, `/api/places/wards`), the `--basemap`
//! setting (`/api/places/basemap`) and the page's Content-Security-Policy
//! for it, and `dxmap serve` refusing a bad `--basemap`. Router tests run
//! through `oneshot` on the shared synthetic grid (two boroughs, wards of
//! four areas, no `wards` layer, so outlines are dissolved on the fly).

mod common;
mod fixtures;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Basemap, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use serde_json::Value;
use tower::ServiceExt;

fn app(config: ServerConfig) -> Router {
    let ds = fixtures::grid(8, 6, "Grid");
    let m = Arc::new(Methodology::parse(fixtures::METHODOLOGY, "test.toml").unwrap());
    let scored = ScoredDataset::new(Arc::new(ds), m, &ScoreOptions::default()).unwrap();
    let served = Served::build(scored, TileOptions::default(), 8 << 20).unwrap();
    router(AppState::new(served, config))
}

async fn get(app: &Router, uri: &str, gzip: bool) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    if gzip {
        req = req.header(header::ACCEPT_ENCODING, "gzip");
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

async fn get_json(app: &Router, uri: &str) -> Value {
    let (status, _, body) = get(app, uri, false).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn labels_lie_inside_their_borough_or_ward() {
    let app = app(ServerConfig::default());
    let labels = get_json(&app, "/api/places/labels").await;
    let meta = get_json(&app, "/api/meta").await;
    let scores = get_json(&app, "/api/scores").await;
    let features = labels["features"].as_array().unwrap();

    let boroughs: BTreeSet<&str> = meta["boroughs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap())
        .collect();
    let wards: BTreeMap<&str, usize> =
        scores["ward_code"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, w| {
                *m.entry(w.as_str().unwrap()).or_default() += 1;
                m
            });
    let of_kind = |k: &str| -> BTreeMap<&str, &Value> {
        features
            .iter()
            .filter(|f| f["properties"]["kind"] == k)
            .map(|f| (f["properties"]["code"].as_str().unwrap(), f))
            .collect()
    };
    assert_eq!(
        of_kind("borough").keys().copied().collect::<BTreeSet<_>>(),
        boroughs
    );
    assert_eq!(
        of_kind("ward").keys().copied().collect::<BTreeSet<_>>(),
        wards.keys().copied().collect()
    );

    for f in features {
        let p = &f["properties"];
        let (lon, lat) = (
            f["geometry"]["coordinates"][0].as_f64().unwrap(),
            f["geometry"]["coordinates"][1].as_f64().unwrap(),
        );
        let area = get_json(&app, &format!("/api/lookup?lon={lon}&lat={lat}")).await;
        let unit = if p["kind"] == "borough" {
            &area["borough_code"]
        } else {
            &area["ward_code"]
        };
        assert_eq!(unit, &p["code"], "label of {p} falls in {}", area["code"]);
        let b: Vec<f64> = p["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            b[0] <= lon && lon <= b[2] && b[1] <= lat && lat <= b[3],
            "{p}"
        );
        if p["kind"] == "ward" {
            assert_eq!(
                p["areas"].as_u64().unwrap() as usize,
                wards[p["code"].as_str().unwrap()]
            );
            assert!(!p["borough_name"].as_str().unwrap().is_empty(), "{p}");
        }
    }
    // The grid records no ward set.
    assert_eq!(labels["ward_vintage"], Value::Null);
    // Computed once: the second answer is the same bytes.
    assert_eq!(get_json(&app, "/api/places/labels").await, labels);
}

#[tokio::test]
async fn ward_outlines_are_gzipped_geojson_one_per_ward() {
    let app = app(ServerConfig::default());
    let (status, headers, body) = get(&app, "/api/places/wards", true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut text)
        .unwrap();
    let j: Value = serde_json::from_str(&text).unwrap();
    let f = j["features"].as_array().unwrap();
    // 48 areas in wards of four: 12 wards, each a 4 × 1 strip of squares
    // dissolved into one rectangle.
    assert_eq!(f.len(), 12, "{text}");
    for w in f {
        assert_eq!(w["geometry"]["type"], "MultiPolygon");
        let rings = w["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(rings.len(), 1, "{w}");
        assert_eq!(rings[0][0].as_array().unwrap().len(), 5, "{w}");
    }
}

#[tokio::test]
async fn basemap_setting_is_served_and_only_its_origin_is_allowed() {
    let plain = app(ServerConfig::default());
    assert_eq!(
        get_json(&plain, "/api/places/basemap").await["basemap"],
        Value::Null
    );
    let basemap =
        Basemap::parse("http://127.0.0.1:9/{z}/{x}/{y}.png", Some("© Example"), 0.5).unwrap();
    let with = app(ServerConfig {
        basemap: Some(basemap),
        ..ServerConfig::default()
    });
    let b = get_json(&with, "/api/places/basemap").await;
    assert_eq!(b["basemap"]["kind"], "raster");
    assert_eq!(b["basemap"]["url"], "http://127.0.0.1:9/{z}/{x}/{y}.png");
    assert_eq!(b["basemap"]["attribution"], "© Example");
    assert_eq!(b["basemap"]["opacity"], 0.5);

    let csp = |h: &axum::http::HeaderMap| {
        h.get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    let (_, h, _) = get(&plain, "/", false).await;
    let offline = csp(&h);
    assert!(!offline.contains("127.0.0.1:9"), "{offline}");
    let (_, h, _) = get(&with, "/", false).await;
    let v = csp(&h);
    assert!(
        v.contains("img-src 'self' data: blob: http://127.0.0.1:9;"),
        "{v}"
    );
    assert!(v.contains("connect-src 'self' http://127.0.0.1:9;"), "{v}");
    // Nothing else changes.
    assert_eq!(v.replace(" http://127.0.0.1:9", ""), offline);
}

#[test]
fn serve_refuses_a_bad_basemap() {
    for (args, says) in [
        (
            vec!["--basemap", "https://tiles.example.org/tiles.png"],
            "neither a MapLibre style",
        ),
        (
            vec!["--basemap", "file:///tmp/style.json"],
            "not an http(s) URL",
        ),
        (
            vec![
                "--basemap",
                "https://t.example.org/{z}/{x}/{y}.png",
                "--basemap-opacity",
                "1.2",
            ],
            "--basemap-opacity 1.2",
        ),
        (vec!["--basemap-opacity", "0.5"], "--basemap"),
    ] {
        let o = std::process::Command::new(common::dxmap_bin())
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--no-prewarm", "--draws", "0"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
