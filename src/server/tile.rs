//! Tile routes: `/tiles/{z}/{x}/{y}.mvt` (and the same tiles MapLibre
//! Tile-encoded at `.mlt`), `/tiles.json` and `/catalog`.
//!
//! A tile is encoded once per generation, gzipped once, and cached with both
//! content encodings and their strong ETags; the response picks the encoding from
//! `Accept-Encoding`, answers `If-None-Match` with 304 and empty tiles with 204.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::handlers::path_param;
use super::negotiate::encoded_response;
use super::served::{CachedTile, Served};
use crate::tiles::{TileCoord, TileEncoding};

/// MIME type of Mapbox Vector Tiles.
pub const MVT_TYPE: &str = "application/vnd.mapbox-vector-tile";

fn parse_u32(s: &str, what: &str) -> Result<u32, ApiError> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(format!(
            "{what} '{s}' is not a whole number"
        )));
    }
    s.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} '{s}' is too large")))
}

/// Parses and checks a tile address against the pyramid and the served
/// zooms; the extension (`.mvt` or `.mlt`) picks the encoding.
fn parse_coord(
    z: &str,
    x: &str,
    y: &str,
    served: &Served,
) -> Result<(TileCoord, TileEncoding), ApiError> {
    let (y, encoding) = match (y.strip_suffix(".mvt"), y.strip_suffix(".mlt")) {
        (Some(y), _) => (y, TileEncoding::Mvt),
        (_, Some(y)) => (y, TileEncoding::Mlt),
        _ => {
            return Err(ApiError::NotFound(
                "tiles are at /tiles/{z}/{x}/{y}.mvt (or .mlt for MapLibre Tiles)".into(),
            ));
        }
    };
    let (z, x, y) = (parse_u32(z, "z")?, parse_u32(x, "x")?, parse_u32(y, "y")?);
    let opts = served.tiles.options();
    if z < opts.min_zoom as u32 || z > opts.max_zoom as u32 {
        return Err(ApiError::NotFound(format!(
            "zoom {z} is outside the served range {}-{}",
            opts.min_zoom, opts.max_zoom
        )));
    }
    let coord = TileCoord::new(z, x, y).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((coord, encoding))
}

async fn fetch(
    state: &AppState,
    served: &Arc<Served>,
    coord: TileCoord,
    encoding: TileEncoding,
) -> Result<CachedTile, ApiError> {
    if let Some(t) = served.cache.get((coord, encoding)) {
        state.metrics().tile_hits.fetch_add(1, Ordering::Relaxed);
        return Ok(t);
    }
    let s = served.clone();
    let (tile, made) = tokio::task::spawn_blocking(move || s.cut_as(coord, encoding))
        .await
        .map_err(|e| ApiError::Internal(format!("tile task: {e}")))?;
    let counter = if made {
        &state.metrics().tile_misses
    } else {
        &state.metrics().tile_hits
    };
    counter.fetch_add(1, Ordering::Relaxed);
    tile.map_err(ApiError::Internal)
}

/// `GET /tiles/{z}/{x}/{y}.mvt` and `.mlt`. The request is taken whole,
/// not its `HeaderMap` (that extractor copies the headers, two allocations
/// on the busiest route).
pub async fn tile(
    State(state): State<AppState>,
    zxy: Result<Path<(String, String, String)>, PathRejection>,
    req: Request,
) -> Result<Response, ApiError> {
    let (z, x, y) = path_param(zxy)?;
    let served = state.served();
    let (coord, encoding) = parse_coord(&z, &x, &y, &served)?;
    tile_response_as(&state, &served, coord, encoding, req.headers()).await
}

/// The response for a checked tile address (shared with the OGC API tile
/// route): 204 when empty, 304 when `If-None-Match` matches, else the tile,
/// gzipped when accepted.
pub(super) async fn tile_response(
    state: &AppState,
    served: &Arc<Served>,
    coord: TileCoord,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    tile_response_as(state, served, coord, TileEncoding::Mvt, headers).await
}

/// [`tile_response`] in either tile encoding.
async fn tile_response_as(
    state: &AppState,
    served: &Arc<Served>,
    coord: TileCoord,
    encoding: TileEncoding,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let cache_control = state.tile_cache_control().clone();
    let Some(t) = fetch(state, served, coord, encoding).await? else {
        return Ok((
            StatusCode::NO_CONTENT,
            [(header::CACHE_CONTROL, cache_control)],
        )
            .into_response());
    };
    let (res, sent) = encoded_response(&t, None, encoding.content_type(), cache_control, headers)
        .map_err(|e| ApiError::Internal(format!("tile {coord}: inflating: {e}")))?;
    state
        .metrics()
        .tile_bytes
        .fetch_add(sent as u64, Ordering::Relaxed);
    Ok(res)
}

/// The base URL for absolute links: `--public-url`, else scheme and Host of the request.
pub(super) fn base_url(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(u) = &state.config().public_url {
        return Ok(u.trim_end_matches('/').to_string());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    if !ok {
        return Err(ApiError::BadRequest("invalid Host header".into()));
    }
    let proto = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    Ok(format!("{proto}://{host}"))
}

/// A JSON body with its content type and, where given, a Cache-Control.
pub(super) fn json_response(body: impl Into<Body>, cache_control: Option<HeaderValue>) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(cc) = cache_control {
        r.headers_mut().insert(header::CACHE_CONTROL, cc);
    }
    r
}

/// `GET /tiles.json`: TileJSON 3.0.0 with absolute tile URLs.
pub async fn tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = base_url(&state, &headers)?;
    let body = state
        .served()
        .tilejson(&format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mvt"));
    // The tiles' Cache-Control, the header they send.
    let cache_control = state.tile_cache_control().clone();
    let mut res = json_response(body.to_string(), Some(cache_control));
    vary_on_host(&state, &mut res);
    Ok(res)
}

/// Without `--public-url` the URLs in the body come from `Host` and
/// `X-Forwarded-Proto`, so a cache must key the response on both.
pub(super) fn vary_on_host(state: &AppState, res: &mut Response) {
    if state.config().public_url.is_none() {
        res.headers_mut().append(
            header::VARY,
            HeaderValue::from_static("Host, X-Forwarded-Proto"),
        );
    }
}

/// `GET /catalog`: the tile source and its layers.
pub async fn catalog(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let served = state.served();
    let base = base_url(&state, &headers)?;
    let ds = served.dataset();
    let layers: Vec<Value> = served
        .layers
        .iter()
        .zip(&served.feature_counts)
        .map(|(l, n)| {
            json!({
                "id": l.name, "description": l.description, "minzoom": l.minzoom,
                "maxzoom": l.maxzoom, "features": n, "fields": l.fields,
            })
        })
        .collect();
    let body = json!({
        "tiles": {
            "dxmap": {
                "name": ds.title,
                "content_type": MVT_TYPE,
                "content_encoding": "gzip (when accepted)",
                "tilejson": format!("{base}/tiles.json"),
                "tiles": format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mvt"),
                "tiles_mlt": format!("{base}/tiles/{{z}}/{{x}}/{{y}}.mlt"),
                "layers": layers,
            }
        }
    });
    let mut res = json_response(body.to_string(), None);
    vary_on_host(&state, &mut res);
    Ok(res)
}
