//! The `.mlt` tile route: the same tiles as `.mvt`, MapLibre Tile-encoded,
//! with the same HTTP rules (content type, strong ETags per content
//! encoding, gzip, 304, 204 for an empty tile, 400/404 JSON for bad
//! addresses). Router tests through `oneshot` on the small synthetic grid;
//! the real decoder checks the bytes in tests/browser/mlt.test.js.

mod common;
mod fixtures;

use std::sync::Arc;

use axum::http::{StatusCode, header};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;

use common::oneshot::{assert_negotiated, get, get_with};

fn app() -> axum::Router {
    let mut m = Methodology::parse(fixtures::METHODOLOGY, "test.toml").unwrap();
    m.personas = dxmap::score::parse_personas(fixtures::PERSONAS, "personas.toml").unwrap();
    let opts = ScoreOptions {
        sensitivity_draws: Some(20),
        ..ScoreOptions::default()
    };
    let ds = fixtures::grid(8, 6, "Grid");
    let scored = ScoredDataset::new(Arc::new(ds), Arc::new(m), &opts).unwrap();
    let served = Served::build(scored, TileOptions::default(), 8 << 20).unwrap();
    router(AppState::new(served, ServerConfig::default()))
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

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// Layer names of an MLT, walked independently of the encoder: each layer
/// is a varint length, then tag 1 and the name as a length-prefixed string.
fn mlt_layer_names(b: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let len = varint(b, &mut i) as usize;
        let end = i + len;
        let mut j = i;
        assert_eq!(varint(b, &mut j), 1, "layer tag");
        let n = varint(b, &mut j) as usize;
        names.push(String::from_utf8(b[j..j + n].to_vec()).unwrap());
        i = end;
    }
    assert_eq!(i, b.len(), "layers fill the tile exactly");
    names
}

#[tokio::test]
async fn mlt_tiles_have_their_type_etags_gzip_and_304() {
    let app = app();
    let (x, y) = tile_of(fixtures::GRID_W + 0.035, fixtures::GRID_S + 0.025, 12);
    let uri = format!("/tiles/12/{x}/{y}.mlt");
    let (plain, _) = assert_negotiated(&app, &uri, "application/vnd.maplibre-vector-tile").await;
    assert_eq!(mlt_layer_names(&plain.body), ["lsoa", "boroughs"]);

    // Not the MVT's bytes or tag: each encoding has its own cache entry.
    let mvt = get(&app, &format!("/tiles/12/{x}/{y}.mvt")).await;
    assert_eq!(mvt.status, StatusCode::OK);
    assert_ne!(mvt.body, plain.body);
    assert_ne!(mvt.header(header::ETAG), plain.header(header::ETAG));
    // Cut once: the same bytes again.
    assert_eq!(get(&app, &uri).await.body, plain.body);
}

#[tokio::test]
async fn mlt_follows_the_mvt_rules_for_empty_and_bad_tiles() {
    let app = app();
    let r = get(&app, "/tiles/10/0/0.mlt").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    for (uri, status) in [
        ("/tiles/abc/0/0.mlt", StatusCode::BAD_REQUEST),
        ("/tiles/3/8/0.mlt", StatusCode::BAD_REQUEST),
        ("/tiles/3/0/1e3.mlt", StatusCode::BAD_REQUEST),
        ("/tiles/15/0/0.mlt", StatusCode::NOT_FOUND),
        ("/tiles/3/0/0.mltx", StatusCode::NOT_FOUND),
        ("/tiles/3/0/0.MLT", StatusCode::NOT_FOUND),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, status, "{uri}");
        assert!(r.json()["error"].is_string(), "{uri}: JSON error");
    }
}

#[tokio::test]
async fn the_catalog_names_the_mlt_template() {
    let app = app();
    let c = get_with(&app, "/catalog", &[("host", "maps.example.test")])
        .await
        .json();
    assert_eq!(
        c["tiles"]["dxmap"]["tiles_mlt"],
        "http://maps.example.test/tiles/{z}/{x}/{y}.mlt"
    );
}
