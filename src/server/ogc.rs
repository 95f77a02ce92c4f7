//! OGC API – Tiles (OGC 20-057, with OGC API – Common part 1) under `/ogc`.
//!
//! In: the served generation (its tile set, bounds and layers) and the
//! request's Host. Out: the landing page, the conformance classes, the one
//! collection ([`COLLECTION`], every layer of `/tiles`), the `WebMercatorQuad`
//! tile matrix set (OGC 17-083r4, TMS 2.0 JSON), the collection's tileset list
//! and tileset metadata (with `tileMatrixSetLimits` over the served zooms and
//! the data's bounds), and its tiles at
//! `/ogc/collections/{id}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`:
//! the same MVT bytes, cache, ETags and gzip as `/tiles/{z}/{x}/{y}.mvt`.
//! Absolute links are built as TileJSON builds them (`--public-url`, else
//! Host, with `Vary: Host`). A tile outside the limits, an unknown collection,
//! tile matrix set or tile matrix is a JSON 404.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::handlers::path_param;
use super::served::Served;
use super::tile::{MVT_TYPE, base_url, json_response, tile_response, vary_on_host};
use crate::tiles::{TileCoord, tile_range};

/// The one collection: the map's tile set with all its layers.
pub const COLLECTION: &str = "dxmap";
/// The one tile matrix set.
pub const TMS_ID: &str = "WebMercatorQuad";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const CRS_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const JSON: &str = "application/json";
const REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/";
/// Tile matrices of the well-known set (0–24); the tileset's limits name
/// the ones served.
const TMS_LEVELS: u32 = 24;
/// Half the side of the Web Mercator square, in metres.
const HALF_WORLD: f64 = 20_037_508.342_789_244;

/// The conformance classes implemented.
pub const CONFORMANCE: [&str; 11] = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
];

/// Refuses an `f` other than `allowed` (JSON documents take `json`, tiles `mvt`).
fn check_f(query: &Option<String>, allowed: &str) -> Result<(), ApiError> {
    let f = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.strip_prefix("f="));
    for v in f {
        if v != allowed {
            let shown: String = v.chars().take(40).collect();
            return Err(ApiError::BadRequest(format!(
                "f '{shown}' is not offered here; use f={allowed}"
            )));
        }
    }
    Ok(())
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": kind, "title": title })
}

/// A JSON document with `Vary: Host` when its links come from Host.
fn document(state: &AppState, body: &Value) -> Response {
    let mut res = json_response(body.to_string(), None);
    vary_on_host(state, &mut res);
    res
}

/// The base URL of the OGC routes, after checking `f`.
fn ogc_base(state: &AppState, headers: &HeaderMap, q: &Option<String>) -> Result<String, ApiError> {
    check_f(q, "json")?;
    Ok(format!("{}/ogc", base_url(state, headers)?))
}

/// `GET /ogc`: the landing page.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let base = ogc_base(&state, &headers, &q)?;
    let served = state.served();
    let ds = served.dataset();
    let body = json!({
        "title": ds.title,
        "description": format!(
            "{}: {}, as OGC API - Tiles (Mapbox Vector Tiles in WebMercatorQuad)",
            ds.title, served.scored.methodology.name
        ),
        "attribution": ds.attribution.join("; "),
        "links": [
            link(base.clone(), "self", JSON, "This document"),
            link(format!("{base}/conformance"), &format!("{REL}conformance"), JSON, "Conformance classes"),
            link(format!("{base}/conformance"), "conformance", JSON, "Conformance classes"),
            link(format!("{base}/collections"), &format!("{REL}data"), JSON, "Collections"),
            link(format!("{base}/collections"), "data", JSON, "Collections"),
            link(format!("{base}/tileMatrixSets"), &format!("{REL}tiling-schemes"), JSON, "Tile matrix sets"),
        ],
    });
    Ok(document(&state, &body))
}

/// `GET /ogc/conformance`.
pub async fn conformance(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let base = ogc_base(&state, &headers, &q)?;
    let body = json!({
        "conformsTo": CONFORMANCE,
        "links": [link(format!("{base}/conformance"), "self", JSON, "This document")],
    });
    Ok(document(&state, &body))
}

/// The collection's description, as listed and on its own.
fn collection_json(served: &Served, base: &str) -> Value {
    let ds = served.dataset();
    let href = format!("{base}/collections/{COLLECTION}");
    json!({
        "id": COLLECTION,
        "title": ds.title,
        "description": format!("{}: {}", ds.title, served.scored.methodology.name),
        "attribution": ds.attribution.join("; "),
        "dataType": "vector",
        "vectorType": "Polygons",
        "extent": { "spatial": { "bbox": [served.tiles.bounds()], "crs": CRS84 } },
        "links": [
            link(href.clone(), "self", JSON, "This collection"),
            link(format!("{href}/tiles"), &format!("{REL}tilesets-vector"), JSON, "Vector tilesets"),
        ],
    })
}

fn check_collection(id: &str) -> Result<(), ApiError> {
    if id == COLLECTION {
        return Ok(());
    }
    let shown: String = id.chars().take(40).collect();
    Err(ApiError::NotFound(format!(
        "no collection '{shown}'; the one collection is '{COLLECTION}'"
    )))
}

fn check_tms(id: &str) -> Result<(), ApiError> {
    if id == TMS_ID {
        return Ok(());
    }
    let shown: String = id.chars().take(40).collect();
    Err(ApiError::NotFound(format!(
        "no tile matrix set '{shown}'; the one offered is '{TMS_ID}'"
    )))
}

/// `GET /ogc/collections`.
pub async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let base = ogc_base(&state, &headers, &q)?;
    let served = state.served();
    let body = json!({
        "links": [link(format!("{base}/collections"), "self", JSON, "This document")],
        "collections": [collection_json(&served, &base)],
    });
    Ok(document(&state, &body))
}

/// `GET /ogc/collections/{collectionId}`.
pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_param(id)?;
    check_collection(&id)?;
    let base = ogc_base(&state, &headers, &q)?;
    Ok(document(&state, &collection_json(&state.served(), &base)))
}

/// `GET /ogc/tileMatrixSets`.
pub async fn tile_matrix_sets(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let base = ogc_base(&state, &headers, &q)?;
    let href = format!("{base}/tileMatrixSets/{TMS_ID}");
    let body = json!({
        "links": [link(format!("{base}/tileMatrixSets"), "self", JSON, "This document")],
        "tileMatrixSets": [{
            "id": TMS_ID,
            "title": "Google Maps Compatible for the World",
            "uri": TMS_URI,
            "crs": CRS_3857,
            "links": [
                link(href.clone(), "self", JSON, TMS_ID),
                link(href, &format!("{REL}tiling-scheme"), JSON, TMS_ID),
            ],
        }],
    });
    Ok(document(&state, &body))
}

/// The `WebMercatorQuad` definition, TMS 2.0 JSON (OGC 17-083r4 annex D):
/// 256-pixel tiles, 2^z × 2^z at tile matrix z, origin at the top left.
/// It also carries the TMS 1.0 names of the same values (`identifier`,
/// `supportedCRS`, `boundingBox` corners, `topLeftCorner`), which GDAL
/// before 3.7 needs to recognise and read a tile matrix set.
pub fn web_mercator_quad() -> Value {
    let matrices: Vec<Value> = (0..=TMS_LEVELS)
        .map(|z| {
            let n = 1u64 << z;
            let cell = 2.0 * HALF_WORLD / 256.0 / n as f64;
            json!({
                "id": z.to_string(),
                "identifier": z.to_string(),
                "topLeftCorner": [-HALF_WORLD, HALF_WORLD],
                // The standardized rendering pixel is 0.28 mm.
                "scaleDenominator": cell / 0.00028,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": TMS_ID,
        "identifier": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_3857,
        "supportedCRS": CRS_3857,
        "boundingBox": {
            "crs": CRS_3857,
            "lowerLeft": [-HALF_WORLD, -HALF_WORLD],
            "upperRight": [HALF_WORLD, HALF_WORLD],
            "lowerCorner": [-HALF_WORLD, -HALF_WORLD],
            "upperCorner": [HALF_WORLD, HALF_WORLD],
        },
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    })
}

/// `GET /ogc/tileMatrixSets/{tileMatrixSetId}`.
pub async fn tile_matrix_set(
    RawQuery(q): RawQuery,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_param(id)?;
    check_tms(&id)?;
    check_f(&q, "json")?;
    // No links inside: the same document on every host, so no Vary.
    Ok(json_response(web_mercator_quad().to_string(), None))
}

/// The tileset's links: itself, its tile matrix set, the tile template and
/// the collection.
fn tileset_links(base: &str) -> Vec<Value> {
    let tiles = format!("{base}/collections/{COLLECTION}/tiles/{TMS_ID}");
    let mut template = link(
        format!("{tiles}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
        "item",
        MVT_TYPE,
        "Mapbox Vector Tiles",
    );
    template["templated"] = json!(true);
    vec![
        link(tiles, "self", JSON, "This tileset"),
        link(
            format!("{base}/tileMatrixSets/{TMS_ID}"),
            &format!("{REL}tiling-scheme"),
            JSON,
            TMS_ID,
        ),
        template,
        link(
            format!("{base}/collections/{COLLECTION}"),
            &format!("{REL}geodata"),
            JSON,
            "The collection",
        ),
    ]
}

/// `GET /ogc/collections/{collectionId}/tiles`: the tileset list.
pub async fn tilesets(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_param(id)?;
    check_collection(&id)?;
    let base = ogc_base(&state, &headers, &q)?;
    let served = state.served();
    let body = json!({
        "links": [link(format!("{base}/collections/{COLLECTION}/tiles"), "self", JSON, "This document")],
        "tilesets": [{
            "title": served.dataset().title,
            "dataType": "vector",
            "crs": CRS_3857,
            "tileMatrixSetURI": TMS_URI,
            "links": tileset_links(&base),
        }],
    });
    Ok(document(&state, &body))
}

/// The rows and columns served at each served zoom: the tiles the data's
/// bounds touch.
fn limits(served: &Served) -> Vec<Value> {
    let o = served.tiles.options();
    (o.min_zoom..=o.max_zoom)
        .filter_map(|z| {
            let (cols, rows) = tile_range(&served.tiles, z)?;
            Some(json!({
                "tileMatrix": z.to_string(),
                "minTileRow": rows.start(), "maxTileRow": rows.end(),
                "minTileCol": cols.start(), "maxTileCol": cols.end(),
            }))
        })
        .collect()
}

/// `GET /ogc/collections/{collectionId}/tiles/{tileMatrixSetId}`: tileset
/// metadata (TMS 2.0), with its layers and their fields.
pub async fn tileset(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, tms) = path_param(ids)?;
    check_collection(&id)?;
    check_tms(&tms)?;
    let base = ogc_base(&state, &headers, &q)?;
    let served = state.served();
    let b = served.tiles.bounds();
    let layers: Vec<Value> = served
        .layers
        .iter()
        .map(|l| {
            let properties: serde_json::Map<String, Value> = l
                .fields
                .iter()
                .map(|(k, t)| (k.clone(), json!({ "type": t.to_ascii_lowercase() })))
                .collect();
            json!({
                "id": l.name,
                "description": l.description,
                "dataType": "vector",
                "geometryDimension": 2,
                "minTileMatrix": l.minzoom.to_string(),
                "maxTileMatrix": l.maxzoom.to_string(),
                "propertiesSchema": { "type": "object", "properties": properties },
            })
        })
        .collect();
    let body = json!({
        "title": served.dataset().title,
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "tileMatrixSetLimits": limits(&served),
        "boundingBox": { "lowerLeft": [b[0], b[1]], "upperRight": [b[2], b[3]], "crs": CRS84 },
        "layers": layers,
        "links": tileset_links(&base),
    });
    Ok(document(&state, &body))
}

/// A tile matrix id as the set names them: a zoom in decimal, no sign or
/// leading zero.
fn parse_level(s: &str, what: &str) -> Result<u32, ApiError> {
    s.parse::<u32>()
        .ok()
        .filter(|v| v.to_string() == s)
        .ok_or_else(|| {
            let shown: String = s.chars().take(40).collect();
            ApiError::NotFound(format!("{what} '{shown}' is not in {TMS_ID}"))
        })
}

/// Checks a tile address against the served zooms and the tileset's limits.
fn tile_coord(served: &Served, m: &str, row: &str, col: &str) -> Result<TileCoord, ApiError> {
    let z = parse_level(m, "tileMatrix")?;
    let (y, x) = (parse_level(row, "tileRow")?, parse_level(col, "tileCol")?);
    let o = served.tiles.options();
    let range = u8::try_from(z)
        .ok()
        .and_then(|z| tile_range(&served.tiles, z))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "tileMatrix {z} is outside the served range {}-{}",
                o.min_zoom, o.max_zoom
            ))
        })?;
    let (cols, rows) = range;
    if !rows.contains(&y) || !cols.contains(&x) {
        return Err(ApiError::NotFound(format!(
            "tile {z}/{y}/{x} is outside the tileset's limits at tileMatrix {z} (rows {}-{}, columns {}-{})",
            rows.start(),
            rows.end(),
            cols.start(),
            cols.end()
        )));
    }
    TileCoord::new(z, x, y).map_err(|e| ApiError::NotFound(e.to_string()))
}

/// Collection, tile matrix set, tile matrix, row and column.
type TilePath = (String, String, String, String, String);

/// `GET /ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`:
/// the tile of `/tiles/{tileMatrix}/{tileCol}/{tileRow}.mvt`, from the same cache.
pub async fn tile(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    path: Result<Path<TilePath>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, tms, m, row, col) = path_param(path)?;
    check_collection(&id)?;
    check_tms(&tms)?;
    check_f(&q, "mvt")?;
    let served = state.served();
    let coord = tile_coord(&served, &m, &row, &col)?;
    tile_response(&state, &served, coord, &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mercator_quad_matches_the_well_known_scale_set() {
        let t = web_mercator_quad();
        let m = t["tileMatrices"].as_array().unwrap();
        assert_eq!(m.len(), 25);
        // OGC 17-083r4 annex D: level 0 at 1:559082264.028717, 156543.0339 m a cell.
        let s0 = m[0]["scaleDenominator"].as_f64().unwrap();
        assert!((s0 - 559_082_264.028_717).abs() < 1e-3, "{s0}");
        let c0 = m[0]["cellSize"].as_f64().unwrap();
        assert!((c0 - 156_543.033_928_041).abs() < 1e-6, "{c0}");
        assert_eq!(m[24]["matrixWidth"], json!(1u64 << 24));
        assert_eq!(m[5]["id"], "5");
    }

    #[test]
    fn levels_are_plain_decimals() {
        assert_eq!(parse_level("12", "x").unwrap(), 12);
        for bad in ["012", "+1", "-1", "", "1.0", "99999999999", "a"] {
            assert!(parse_level(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn f_takes_only_the_offered_format() {
        assert!(check_f(&None, "json").is_ok());
        assert!(check_f(&Some("f=json".into()), "json").is_ok());
        assert!(check_f(&Some("a=1&f=json".into()), "json").is_ok());
        assert!(check_f(&Some("f=html".into()), "json").is_err());
        assert!(check_f(&Some("f=json&f=xml".into()), "json").is_err());
    }
}
