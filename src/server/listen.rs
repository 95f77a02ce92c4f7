//! The accept loop: a listener and a router in, served connections out.
//!
//! axum's own `serve` bounds nothing, so this loop does. Every connection
//! is registered by client address ([`conns::Registry`]): an address over
//! its share (`max_conns_per_ip`) gets a 429 and is closed at once. At most
//! `max_connections` are served; at the limit the connection idle the
//! longest is closed to make room, and only when every connection is busy
//! does a new client wait (in the kernel's backlog). Every HTTP/1
//! connection gets a header read timeout (which also closes idle keep-alive
//! connections and slowloris clients), a bounded read buffer, a write
//! timeout (a client that stops reading its responses is cut off) and a cap
//! on requests pipelined ahead of their answers. On shutdown the loop stops
//! accepting and lets in-flight requests finish. It speaks HTTP/1.1.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use super::AppState;
use super::conns::{Guarded, Registry};
use super::error::error_response;

/// Longest wait for in-flight requests after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a client waiting for a slot looks again for an idle connection.
const EVICT_RETRY: Duration = Duration::from_millis(100);

/// The same address as the registry should count it (IPv4-mapped IPv6 as IPv4).
fn client_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The whole answer to a connection over its address's share, sent without
/// waiting: the socket is new, so its send buffer has room.
fn refusal(max_per_ip: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "error": format!("too many connections from your address (the limit is {max_per_ip})")
    })
    .to_string();
    format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `app` on `listener` under the state's limits until `shutdown` completes.
pub(super) async fn run<F>(
    listener: TcpListener,
    app: Router,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = state.config().limits.clone();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let registry = Arc::new(Registry::new(limits.max_conns_per_ip));
    let refused = refusal(limits.max_conns_per_ip);
    // HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in
    // front terminates; and detecting an h2c preface waits for bytes with
    // no timeout, so a client that sends nothing would hold its slot.
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        // A client may shut its sending side once its request is out (an
        // HTTP/1.0 tool, `nc -N`): it still gets its answer. The write
        // timeout and the connection caps still bound such a connection.
        .half_close(true)
        .header_read_timeout(limits.header_read_timeout)
        // hyper refuses smaller buffers; the header byte limit proper is
        // checked per request (431) by the router's guard. This buffer also
        // bounds the requests a client can pipeline ahead.
        .max_buf_size(limits.max_header_bytes.max(8192) + 8192);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(registered) = registry.admit(client_address(peer.ip())) else {
            // Never wait on this client: a short write or none, then close.
            let _ = stream.try_write(&refused);
            state
                .metrics()
                .conns_refused
                .fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => match wait_for_slot(&permits, &registry, &state, shutdown.as_mut()).await {
                Some(p) => p,
                None => break,
            },
        };
        registered.conn.serving();
        let conn = serve_one(stream, &app, &state, &registry, &registered);
        let conn = builder
            .serve_connection(TokioIo::new(conn.0), conn.1)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            tokio::select! {
                r = conn => {
                    // Errors here are the client's (reset, timeout, bad request line).
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                }
                () = registered.conn.close.notified() => {
                    tracing::debug!("closed an idle connection to make room");
                }
            }
            drop(registered);
            drop(permit);
        });
    }
    drop(listener);
    drain(graceful).await;
    Ok(())
}

type Service = TowerToHyperService<
    tower::util::BoxCloneSyncService<
        hyper::Request<hyper::body::Incoming>,
        axum::response::Response,
        Infallible,
    >,
>;

/// The socket wrapped with its write timeout, and the router wrapped to keep
/// the connection's state and cap its pipelining.
fn serve_one(
    stream: TcpStream,
    app: &Router,
    state: &AppState,
    registry: &Arc<Registry>,
    registered: &super::conns::Registered,
) -> (Guarded<TcpStream>, Service) {
    let _ = stream.set_nodelay(true);
    let limits = &state.config().limits;
    let max_pipelined = limits.max_pipelined;
    let io = Guarded::new(stream, registered.conn.clone(), limits.write_timeout);
    let (app, conn, registry) = (app.clone(), registered.conn.clone(), registry.clone());
    let state = state.clone();
    let service = tower::service_fn(move |req: Request<hyper::body::Incoming>| {
        let depth = conn.begin(&registry);
        let (app, conn, registry, state) =
            (app.clone(), conn.clone(), registry.clone(), state.clone());
        async move {
            let res = if max_pipelined > 0 && depth > max_pipelined {
                state.metrics().record("pipelined", 429);
                let mut r = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!(
                        "more than {max_pipelined} requests pipelined ahead of their answers; \
                         read the responses before sending more"
                    ),
                );
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                r
            } else {
                match app.oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                }
            };
            conn.end(&registry);
            Ok::<_, Infallible>(res)
        }
    });
    (
        io,
        TowerToHyperService::new(tower::util::BoxCloneSyncService::new(service)),
    )
}

/// At the connection limit: closes the longest-idle connection to make room
/// and waits for a slot, looking again for an idle one as requests finish
/// (when all are busy the new client waits). `None` on shutdown.
async fn wait_for_slot<F: Future<Output = ()>>(
    permits: &Arc<Semaphore>,
    registry: &Registry,
    state: &AppState,
    mut shutdown: std::pin::Pin<&mut F>,
) -> Option<OwnedSemaphorePermit> {
    loop {
        if registry.evict_idle() {
            state
                .metrics()
                .conns_evicted
                .fetch_add(1, Ordering::Relaxed);
        }
        tokio::select! {
            p = permits.clone().acquire_owned() => return p.ok(),
            () = tokio::time::sleep(EVICT_RETRY) => {}
            () = &mut shutdown => return None,
        }
    }
}

/// Waits (a bounded time) for in-flight requests after shutdown.
async fn drain(graceful: GracefulShutdown) {
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
}
