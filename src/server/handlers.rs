//! JSON API handlers: meta, methodology, areas, lookup, columnar scores, the
//! custom-scope re-score, health and metrics. Every client fault is a 400 or
//! 404 with a short JSON `{"error": ...}`; nothing input-dependent panics.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::Contains;
use geo_types::{MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::negotiate::encoded_response;
use super::served::{GzippedBody, Served, score_num};
use crate::dataset::{LsoaCode, label_point};
use crate::score::{Scope, ScoreColumn, ScoreOptions, score};

pub(super) type Q = Result<Query<BTreeMap<String, String>>, QueryRejection>;

pub(super) fn query(q: Q) -> Result<BTreeMap<String, String>, ApiError> {
    q.map(|Query(m)| m)
        .map_err(|e| ApiError::BadRequest(format!("bad query string: {}", e.body_text())))
}

fn json_bytes(body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn json_value(v: &Value) -> Response {
    json_bytes(v.to_string())
}

/// `GET /api/meta`.
pub async fn meta(State(state): State<AppState>) -> Response {
    json_bytes(state.served().meta_json.clone())
}

/// `GET /api/methodology`.
pub async fn methodology(State(state): State<AppState>) -> Response {
    json_bytes(state.served().methodology_json.clone())
}

/// A JSON body held gzipped: sent as it is where the client accepts gzip
/// (the compression layer leaves an encoded body alone), inflated where
/// not; with an ETag, so a revisit that has it gets a 304.
fn gzipped_json(body: &GzippedBody, headers: &HeaderMap) -> Result<Response, ApiError> {
    let no_cache = HeaderValue::from_static("no-cache");
    encoded_response(body, None, "application/json", no_cache, headers)
        .map(|(res, _)| res)
        .map_err(|e| ApiError::Internal(format!("inflating a JSON body: {e}")))
}

/// `GET /api/scores`: columnar scores of every area.
pub async fn scores(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    gzipped_json(&state.served().scores_json, &headers)
}

/// `GET /api/scores-exact`: unrounded scores and scope groups, for the
/// page's re-weighting.
pub async fn scores_exact(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    gzipped_json(&state.served().scores_exact_json, &headers)
}

/// `GET /api/key-groups`: columnar key-group shares and counts.
pub async fn key_groups(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    gzipped_json(&state.served().key_groups_json, &headers)
}

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let s = state.served();
    json_value(&json!({"status": "ok", "areas": s.dataset().len()}))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics().render(&state.served());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

fn position(served: &Served, code: &str) -> Result<usize, ApiError> {
    served
        .dataset()
        .position(code.trim())
        .ok_or_else(|| ApiError::NotFound(format!("no area with code '{}'", truncate(code))))
}

/// Echoes at most 40 characters of client input in error messages.
pub(super) fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// A path parameter, or a JSON 400 where axum would reject it in plain
/// text (a segment that is not UTF-8 once percent-decoded; found by fuzzing).
pub(super) fn path_param<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|e| ApiError::BadRequest(format!("path: {}", e.body_text())))
}

/// `GET /api/areas/{code}`.
pub async fn area(
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let code = path_param(code)?;
    let served = state.served();
    let i = position(&served, &code)?;
    Ok(json_value(&served.area_detail(i)))
}

fn parse_f64(s: &str, what: &str) -> Result<f64, ApiError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ApiError::BadRequest(format!("{what} '{}' is not a number", truncate(s))))
}

/// `GET /api/lookup?lon=&lat=`.
pub async fn lookup(State(state): State<AppState>, q: Q) -> Result<Response, ApiError> {
    let q = query(q)?;
    let get = |k: &str| {
        q.get(k)
            .ok_or_else(|| ApiError::BadRequest(format!("missing parameter '{k}'")))
    };
    let lon = parse_f64(get("lon")?, "lon")?;
    let lat = parse_f64(get("lat")?, "lat")?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::BadRequest(format!(
            "lon {lon}, lat {lat} is outside -180..180, -90..90"
        )));
    }
    let served = state.served();
    let i = served
        .index
        .locate(lon, lat)
        .ok_or_else(|| ApiError::NotFound(format!("no area at lon {lon}, lat {lat}")))?;
    Ok(json_value(&served.area_detail(i)))
}

/// Parses `w,s,e,n` and checks order, ranges and the area limit.
fn parse_bbox(s: &str, max_deg2: f64) -> Result<[f64; 4], ApiError> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != 4 {
        return Err(ApiError::BadRequest(
            "bbox must be four numbers: west,south,east,north".into(),
        ));
    }
    let mut b = [0.0; 4];
    for (v, p) in b.iter_mut().zip(&parts) {
        *v = parse_f64(p, "bbox value")?;
    }
    let [w, s, e, n] = b;
    if w > e || s > n {
        return Err(ApiError::BadRequest(
            "bbox must have west <= east and south <= north".into(),
        ));
    }
    if w < -180.0 || e > 180.0 || s < -90.0 || n > 90.0 {
        return Err(ApiError::BadRequest(
            "bbox is outside -180..180, -90..90".into(),
        ));
    }
    let area = (e - w) * (n - s);
    if area > max_deg2 {
        return Err(ApiError::BadRequest(format!(
            "bbox covers {area:.3} square degrees, the limit is {max_deg2}"
        )));
    }
    Ok(b)
}

/// `GET /api/areas?bbox=w,s,e,n` or `?borough=<code or name>`.
pub async fn areas(State(state): State<AppState>, q: Q) -> Result<Response, ApiError> {
    let q = query(q)?;
    let served = state.served();
    let positions: Vec<usize> = match (q.get("bbox"), q.get("borough")) {
        (Some(b), None) => {
            let bbox = parse_bbox(b, state.config().limits.max_bbox_deg2)?;
            served.index.intersecting(bbox)
        }
        (None, Some(b)) => {
            let b = b.trim();
            let found = served.boroughs.get(b).or_else(|| {
                served
                    .boroughs
                    .values()
                    .find(|(name, _)| name.eq_ignore_ascii_case(b))
            });
            match found {
                Some((_, p)) => p.clone(),
                None => {
                    return Err(ApiError::NotFound(format!(
                        "no borough with code or name '{}'",
                        truncate(b)
                    )));
                }
            }
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of bbox=w,s,e,n or borough=<code or name>".into(),
            ));
        }
    };
    let areas: Vec<Value> = positions.iter().map(|&i| served.area_summary(i)).collect();
    Ok(json_value(&json!({"count": areas.len(), "areas": areas})))
}

/// Body of `POST /api/score`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreRequest {
    codes: Option<Vec<String>>,
    polygon: Option<Value>,
    weights: Option<BTreeMap<String, f64>>,
}

pub(super) fn parse_polygon(v: &Value, max_vertices: usize) -> Result<MultiPolygon<f64>, ApiError> {
    let bad = |m: String| ApiError::BadRequest(format!("polygon: {m}"));
    let g: geojson::Geometry = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
    // Checked on the GeoJSON positions: the geojson crate's conversion
    // indexes x and y unchecked and panics on a shorter position (found by
    // fuzzing), and geo closes an open ring silently.
    let rings: Vec<&Vec<geojson::Position>> = match &g.value {
        geojson::GeometryValue::Polygon { coordinates } => coordinates.iter().collect(),
        geojson::GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().collect()
        }
        _ => Vec::new(),
    };
    for (r, ring) in rings.iter().enumerate() {
        for p in ring.iter() {
            let &[x, y, ..] = p.as_slice() else {
                return Err(bad(
                    "every position needs two numbers, longitude and latitude".into(),
                ));
            };
            if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                return Err(bad(format!(
                    "ring {r}: position [{x}, {y}] is outside longitude -180..180, latitude -90..90"
                )));
            }
        }
        // Positions hold two numbers at least (checked above); a height may differ.
        if ring.first().map(|p| &p.as_slice()[..2]) != ring.last().map(|p| &p.as_slice()[..2]) {
            return Err(bad(format!(
                "ring {r} is not closed: its last position must repeat its first"
            )));
        }
    }
    let mp: MultiPolygon<f64> = match &g.value {
        geojson::GeometryValue::Polygon { .. } => {
            let p = Polygon::<f64>::try_from(&g.value).map_err(|e| bad(e.to_string()))?;
            MultiPolygon(vec![p])
        }
        geojson::GeometryValue::MultiPolygon { .. } => {
            MultiPolygon::<f64>::try_from(&g.value).map_err(|e| bad(e.to_string()))?
        }
        _ => return Err(bad("must be a GeoJSON Polygon or MultiPolygon".into())),
    };
    let mut n = 0usize;
    for p in &mp {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            if ring.0.len() < 4 {
                return Err(bad("every ring needs at least 4 positions".into()));
            }
            if ring.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
                return Err(bad("coordinates must be finite numbers".into()));
            }
            n += ring.0.len();
        }
    }
    if n > max_vertices {
        return Err(bad(format!("{n} vertices, the limit is {max_vertices}")));
    }
    Ok(mp)
}

/// `POST /api/score`: re-scores with normalisation within a selection. The
/// work (a polygon's point-in-polygon tests, the scoring) runs on the
/// blocking pool, so a burst of large selections cannot hold up the async
/// threads that serve tiles.
pub async fn rescore(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let limits = state.config().limits.clone();
    let bytes: Bytes = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::TooLarge(format!(
                "request body over the limit of {} bytes",
                limits.max_body_bytes
            ))
        })?;
    let served = state.served();
    let value = tokio::task::spawn_blocking(move || rescore_blocking(&served, &limits, &bytes))
        .await
        .map_err(|e| ApiError::Internal(format!("score task: {e}")))??;
    Ok(json_value(&value))
}

/// Checks every weight id against the methodology first, so an unknown
/// one is named truncated rather than echoed whole.
fn check_weight_ids(
    m: &crate::score::Methodology,
    w: &BTreeMap<String, f64>,
) -> Result<(), ApiError> {
    let known = |k: &String| {
        m.components
            .iter()
            .any(|c| &c.id.0 == k || c.indicators.iter().any(|i| &i.id.0 == k))
    };
    match w.keys().find(|k| !known(k)) {
        Some(k) => Err(ApiError::BadRequest(format!(
            "weights: '{}' is not the id of a component or indicator",
            truncate(k)
        ))),
        None => Ok(()),
    }
}

/// Positions of the areas whose label point lies in `mp` (ascending), as
/// `dxmap score --within FILE.geojson` picks them.
pub(super) fn polygon_positions(
    served: &Served,
    mp: &MultiPolygon<f64>,
) -> Result<Vec<usize>, ApiError> {
    let Some(r) = geo::BoundingRect::bounding_rect(mp) else {
        return Err(ApiError::BadRequest("polygon is empty".into()));
    };
    let ds = served.dataset();
    let mut p: Vec<usize> = served
        .index
        .intersecting([r.min().x, r.min().y, r.max().x, r.max().y])
        .into_iter()
        .filter(|&i| label_point(&ds.areas[i].geometry).is_some_and(|p| mp.contains(&p)))
        .collect();
    p.sort_unstable();
    Ok(p)
}

/// The served methodology with the request's weights, if any (ids checked
/// first); the served one itself without.
pub(super) fn weighted_methodology(
    served: &Served,
    weights: Option<&BTreeMap<String, f64>>,
) -> Result<Arc<crate::score::Methodology>, ApiError> {
    match weights {
        Some(w) if !w.is_empty() => {
            check_weight_ids(&served.scored.methodology, w)?;
            Ok(Arc::new(
                served
                    .scored
                    .methodology
                    .with_weights(w)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?,
            ))
        }
        _ => Ok(served.scored.methodology.clone()),
    }
}

fn rescore_blocking(
    served: &Arc<Served>,
    limits: &super::Limits,
    bytes: &[u8],
) -> Result<Value, ApiError> {
    let req: ScoreRequest =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?;
    let ds = served.dataset();
    let positions: Vec<usize> = match (&req.codes, &req.polygon) {
        (Some(codes), None) => {
            if codes.len() > limits.max_codes {
                return Err(ApiError::BadRequest(format!(
                    "{} codes, the limit is {}",
                    codes.len(),
                    limits.max_codes
                )));
            }
            let mut p = Vec::with_capacity(codes.len());
            for c in codes {
                p.push(ds.position(c.trim()).ok_or_else(|| {
                    ApiError::BadRequest(format!("unknown area code '{}'", truncate(c)))
                })?);
            }
            p.sort_unstable();
            p.dedup();
            p
        }
        (None, Some(poly)) => {
            let mp = parse_polygon(poly, limits.max_polygon_vertices)?;
            polygon_positions(served, &mp)?
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of \"codes\" or \"polygon\"".into(),
            ));
        }
    };
    if positions.len() < 2 {
        return Err(ApiError::BadRequest(format!(
            "the selection holds {} area(s); at least 2 are needed to normalise",
            positions.len()
        )));
    }
    let methodology = weighted_methodology(served, req.weights.as_ref())?;
    let codes: Vec<LsoaCode> = positions
        .iter()
        .map(|&i| ds.areas[i].code.clone())
        .collect();
    let opts = ScoreOptions {
        scope: Some(Scope::Custom(codes)),
        ..ScoreOptions::default()
    };
    let scores = score(&served.scored.dataset, &methodology, &opts)
        .map_err(|e| ApiError::BadRequest(format!("scoring: {e}")))?;
    let at = |v: &ScoreColumn, i: usize| v.get(i).map(score_num);
    let areas: Vec<Value> = positions
        .iter()
        .map(|&i| {
            let comps: serde_json::Map<String, Value> = scores
                .components
                .iter()
                .map(|c| (c.id.0.clone(), json!(at(&c.score, i))))
                .collect();
            json!({
                "code": ds.areas[i].code.as_str(),
                "index": at(&scores.index, i),
                "rank": scores.rank.get(i).copied().flatten(),
                "decile": scores.decile.get(i).copied().flatten(),
                "components": comps,
            })
        })
        .collect();
    Ok(json!({
        "scope": "custom",
        "count": areas.len(),
        "areas": areas,
    }))
}

#[cfg(test)]
mod tests;
