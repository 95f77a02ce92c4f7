//! The HTTP server: vector tiles, TileJSON, the JSON API and the web map.
//!
//! In: a [`Served`] generation (a scored dataset with its index and tiles)
//! and a [`ServerConfig`]. Out: an axum [`Router`] from [`router`] (no
//! listener, so tests drive it with `oneshot`) and [`serve`], which runs it
//! on a listener until a shutdown signal and then drains in-flight requests.
//!
//! The state holds the current generation in an [`ArcSwap`]: a request loads
//! one `Arc<Served>` and keeps it to the end, and a reload ([`reload`])
//! builds the next generation off the request path and swaps it in, so no
//! request fails or sees a mix of two datasets. Routes and limits are
//! documented in docs/API.md; the OGC API – Tiles routes under `/ogc` are in
//! [`ogc`].

pub mod assets;
mod conns;
mod cors;
pub mod csp;
mod download;
pub mod error;
mod handlers;
mod listen;
pub mod metrics;
mod negotiate;
pub mod ogc;
mod places;
pub mod reload;
pub mod served;
pub mod site;
mod tile;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

pub use cors::CorsPolicy;
pub use error::{ApiError, ServeError};
pub use metrics::Metrics;
pub use places::{Basemap, BasemapKind};
pub use served::{ScopeGroups, Served, TileCache};

/// Request limits; each is documented in docs/API.md.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Total bytes of request header names and values (431 above).
    pub max_header_bytes: usize,
    /// Bytes of a `POST /api/score` body (413 above).
    pub max_body_bytes: usize,
    /// Time to produce a response (408 after).
    pub request_timeout: Duration,
    /// Codes in a custom selection (400 above).
    pub max_codes: usize,
    /// Vertices of a selection polygon (400 above).
    pub max_polygon_vertices: usize,
    /// Area of a `bbox` query in square degrees (400 above).
    pub max_bbox_deg2: f64,
    /// Bytes of the request target, path and query (414 above).
    pub max_uri_bytes: usize,
    /// Open connections; at the limit the longest-idle one is closed to make
    /// room, and when all are busy further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections from one client address (0: no cap); a connection
    /// over it gets a 429 and is closed.
    pub max_conns_per_ip: usize,
    /// Time a response may wait for a client that is not reading it
    /// (counted from when the socket's send buffer fills); the connection
    /// is closed after it.
    pub write_timeout: Duration,
    /// Requests a client may pipeline ahead of reading their answers (0: no
    /// cap); the one over it gets a 429 and the connection is closed.
    pub max_pipelined: usize,
    /// Time a client has to send a request's headers, and to start the next
    /// request on a kept-alive connection; the connection is closed after it
    /// (this cuts off slowloris clients).
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            max_codes: 10_000,
            max_polygon_vertices: 10_000,
            max_bbox_deg2: 4.0,
            max_uri_bytes: 8 * 1024,
            max_connections: 1024,
            max_conns_per_ip: 256,
            write_timeout: Duration::from_secs(30),
            max_pipelined: 32,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Server settings that do not change on reload.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Directory of the web map (index.html, JS, CSS) for development;
    /// `None` serves the copy embedded at build time.
    pub web_dir: Option<PathBuf>,
    /// Base URL for absolute tile URLs in TileJSON, e.g. `https://tiles.example.org`;
    /// when `None` it is built from the request's Host header.
    pub public_url: Option<String>,
    /// CORS policy.
    pub cors: CorsPolicy,
    /// Limits.
    pub limits: Limits,
    /// Tile cache budget in bytes, per generation.
    pub tile_cache_bytes: usize,
    /// `Cache-Control` of tiles and TileJSON.
    pub tile_cache_control: String,
    /// Cut every tile up to this zoom into the cache in the background when
    /// a generation starts serving (see [`Served::prewarm`]); `None` cuts
    /// tiles only when asked for.
    pub prewarm_zoom: Option<u8>,
    /// A basemap the page draws under the choropleth (`--basemap`); `None`
    /// keeps the page offline.
    pub basemap: Option<Basemap>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            web_dir: None,
            public_url: None,
            cors: CorsPolicy::Any,
            limits: Limits::default(),
            tile_cache_bytes: 64 * 1024 * 1024,
            tile_cache_control: "public, max-age=300".into(),
            prewarm_zoom: None,
            basemap: None,
        }
    }
}

struct Inner {
    served: ArcSwap<Served>,
    config: ServerConfig,
    /// `config.tile_cache_control` as a header, made once, not per tile.
    tile_cache_control: HeaderValue,
    metrics: Metrics,
}

/// Shared state: the current generation, the settings and the counters.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// State serving `served` with `config`.
    pub fn new(served: Served, config: ServerConfig) -> AppState {
        let tile_cache_control = HeaderValue::from_str(&config.tile_cache_control)
            .unwrap_or(HeaderValue::from_static("no-cache"));
        let state = AppState {
            inner: Arc::new(Inner {
                served: ArcSwap::from_pointee(served),
                tile_cache_control,
                config,
                metrics: Metrics::default(),
            }),
        };
        state.start_prewarm();
        state
    }

    /// Prewarms the current generation on a background thread, if
    /// configured, then hands the memory freed by building it (and by the
    /// generation it replaced) back to the system.
    fn start_prewarm(&self) {
        let Some(zoom) = self.inner.config.prewarm_zoom else {
            crate::memory::release_free_memory();
            return;
        };
        let served = self.served();
        // A weak handle: the thread must not keep the server state alive.
        let inner = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("dxmap-prewarm".into())
            .spawn(move || {
                let t = std::time::Instant::now();
                let stale = || {
                    inner
                        .upgrade()
                        .is_none_or(|i| !Arc::ptr_eq(&i.served.load(), &served))
                };
                let n = served.prewarm(zoom, &stale);
                drop(served);
                crate::memory::release_free_memory();
                tracing::info!(
                    tiles = n,
                    zoom,
                    ms = t.elapsed().as_millis() as u64,
                    "tiles prewarmed"
                );
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the prewarm thread");
        }
    }

    /// The current generation; hold it for the whole request.
    pub fn served(&self) -> Arc<Served> {
        self.inner.served.load_full()
    }

    /// Swaps in a new generation; requests already running keep the old one.
    pub fn replace(&self, served: Served) {
        self.inner.served.store(Arc::new(served));
        self.start_prewarm();
    }

    /// Settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The tiles' `Cache-Control` header (`no-cache` when the configured
    /// value is not a valid header).
    pub fn tile_cache_control(&self) -> &HeaderValue {
        &self.inner.tile_cache_control
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}

/// The router with every route and layer, and no listener.
pub fn router(state: AppState) -> Router {
    let config = state.config().clone();
    // Tiles negotiate their own (cached) gzip; JSON is compressed on the fly.
    let tiles = Router::new()
        .route("/tiles/{z}/{x}/{y}", get(tile::tile))
        .route(
            "/ogc/collections/{id}/tiles/{tms}/{m}/{row}/{col}",
            get(ogc::tile),
        );
    let api = Router::new()
        .route("/tiles.json", get(tile::tilejson))
        .route("/catalog", get(tile::catalog))
        .route("/api/meta", get(handlers::meta))
        .route("/api/methodology", get(handlers::methodology))
        .route("/api/areas", get(handlers::areas))
        .route("/api/areas/{code}", get(handlers::area))
        .route("/api/lookup", get(handlers::lookup))
        .route("/api/scores", get(handlers::scores))
        .route("/api/scores-exact", get(handlers::scores_exact))
        .route("/api/key-groups", get(handlers::key_groups))
        .route("/api/places/labels", get(places::labels))
        .route("/api/places/wards", get(places::wards))
        .route("/api/places/basemap", get(places::basemap))
        .route("/api/score", axum::routing::post(handlers::rescore))
        .route(
            "/api/download",
            get(download::download_get).post(download::download_post),
        )
        .route("/healthz", get(handlers::healthz))
        .route("/metrics", get(handlers::metrics))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/tiles", get(ogc::tilesets))
        .route("/ogc/collections/{id}/tiles/{tms}", get(ogc::tileset))
        .route("/ogc/tileMatrixSets", get(ogc::tile_matrix_sets))
        .route("/ogc/tileMatrixSets/{id}", get(ogc::tile_matrix_set))
        .layer(CompressionLayer::new());

    let statics = Arc::new(assets::StaticFiles::from_config(&config));
    // A JSON 405 like every other client error (axum's own has no body).
    let app = tiles
        .merge(api)
        .method_not_allowed_fallback(|| async {
            error::error_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        })
        .fallback(move |m: Method, uri: Uri, h: HeaderMap| {
            let statics = statics.clone();
            async move { statics.respond(&m, uri.path(), &h) }
        });

    let cors = cors::layer(&config.cors);

    app.layer(middleware::from_fn_with_state(
        state.clone(),
        count_requests,
    ))
    .layer(middleware::from_fn_with_state(state.clone(), time_limit))
    .layer(cors)
    .layer(middleware::from_fn_with_state(state.clone(), guard))
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .with_state(state)
}

/// Longest path segment: no file name, area code or tile coordinate is longer.
const MAX_SEGMENT_BYTES: usize = 255;

/// Rejects, before routing: targets that are not a path (400), oversized
/// request targets (414), headers (431) and declared bodies (413), path
/// segments too long to name anything and path traversal attempts (404).
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with('/') {
        state.metrics().record("bad_target", 400);
        return ApiError::BadRequest("the request target must be a path starting with /".into())
            .into_response();
    }
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let max_uri = state.config().limits.max_uri_bytes;
    if uri_len > max_uri {
        state.metrics().record("uri_too_long", 414);
        return ApiError::UriTooLong(format!(
            "the request target is {uri_len} bytes, the limit is {max_uri}"
        ))
        .into_response();
    }
    let limit = state.config().limits.max_header_bytes;
    let size: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if size > limit {
        return ApiError::HeadersTooLarge(format!(
            "request headers are {size} bytes, the limit is {limit}"
        ))
        .into_response();
    }
    let max_body = state.config().limits.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared.filter(|&n| n > max_body as u64) {
        // Answer at once rather than wait for a body that may never come.
        state.metrics().record("body_too_large", 413);
        return ApiError::TooLarge(format!(
            "the request body is {n} bytes, the limit is {max_body}"
        ))
        .into_response();
    }
    let path = req.uri().path();
    if is_traversal(path) {
        state.metrics().record("traversal", 404);
        return ApiError::NotFound("not found".into()).into_response();
    }
    if path.split('/').any(|seg| seg.len() > MAX_SEGMENT_BYTES) {
        state.metrics().record("long_segment", 404);
        return ApiError::NotFound(format!(
            "not found: a path segment is over {MAX_SEGMENT_BYTES} bytes"
        ))
        .into_response();
    }
    next.run(req).await
}

/// True for paths that try to leave the web directory: `..` segments, encoded
/// dots or slashes, backslashes or NUL.
fn is_traversal(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.split('/').any(|seg| seg == "..")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%00")
        || lower.contains('\\')
}

/// Answers a request not done within the request time limit with a JSON 408.
async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.config().limits.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => error::error_response(
            StatusCode::REQUEST_TIMEOUT,
            &format!("the request took longer than the limit of {limit:?}"),
        ),
    }
}

/// Counts requests by matched route and status for `/metrics`.
async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The matched path is shared (an `Arc`): keep a handle, not a copy.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = match &matched {
        Some(p) => p.as_str(),
        None if req.uri().path().starts_with("/vendor/") => "/vendor",
        None => "static",
    };
    let res = next.run(req).await;
    state.metrics().record(route, res.status().as_u16());
    res
}

/// Connections the kernel completes and queues for `accept` (the listen
/// backlog); tokio's own default is smaller, and a burst of connections over
/// it has its handshakes dropped and retried a second or more later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with a [`LISTEN_BACKLOG`] queue (the kernel caps it
/// at `net.core.somaxconn`).
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std and tokio do: a restarted server can bind while old
    // connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `router(state)` on `listener` until `shutdown` completes, then
/// stops accepting and waits for in-flight requests to finish. Connections
/// (in all and per client address), header read and response write times
/// and pipelining are bounded by the state's [`Limits`].
pub async fn serve<F>(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    listen::run(listener, router(state.clone()), state, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_patterns_are_caught() {
        for p in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/%2E%2E%2Fx",
            "/a%2fb",
            "/a\\b",
            "/x%00",
        ] {
            assert!(is_traversal(p), "{p}");
        }
        for p in ["/", "/index.html", "/tiles/1/2/3.mvt", "/a..b/c.js"] {
            assert!(!is_traversal(p), "{p}");
        }
    }
}
