//! Hostile and faulty clients against the server: a thousand connections
//! that pipeline without reading, sit idle or reconnect in a loop while
//! `/healthz` and a cached tile are probed; the per-address connection cap,
//! idle connections closed to make room, the write timeout and the
//! pipelining cap; raw request lines (crafted and generated) that must never
//! earn a 5xx; and the smaller faults of issue #24, each with its test.
//! Everything runs on loopback (other clients come from 127.0.0.2 and up),
//! bounded in count and time.

mod common;
#[path = "../fuzz/src/harness.rs"]
mod harness;
#[path = "../fuzz/src/raw.rs"]
mod raw;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, CorsPolicy, Limits, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The harness's grid of `cols` × `rows` areas, scored.
fn served(cols: usize, rows: usize) -> Served {
    let m = Arc::new(Methodology::parse(harness::METHODOLOGY, "test.toml").unwrap());
    let opts = ScoreOptions {
        sensitivity_draws: Some(8),
        ..ScoreOptions::default()
    };
    let scored = ScoredDataset::new(
        Arc::new(harness::fixtures::grid(cols, rows, "Fuzz grid")),
        m,
        &opts,
    )
    .unwrap();
    Served::build(scored, TileOptions::default(), 8 << 20).unwrap()
}

fn app(config: ServerConfig) -> Router {
    router(AppState::new(served(8, 6), config))
}

/// A real server on its own two-thread runtime, stopped on drop.
struct Server {
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start(config: ServerConfig, cols: usize, rows: usize) -> Server {
        let state = AppState::new(served(cols, rows), config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(async { dxmap::server::bind("127.0.0.1:0".parse().unwrap()) })
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = rt.spawn(dxmap::server::serve(listener, state, async {
            let _ = rx.await;
        }));
        Server {
            rt,
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let (Some(tx), Some(task)) = (self.stop.take(), self.task.take()) {
            let _ = tx.send(());
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(40), task).await });
        }
    }
}

/// Lets the test open a few thousand sockets where the soft limit is low.
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max.min(65536);
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// Loopback address 127.0.0.`n`, a client other than the probes' 127.0.0.1.
fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// A connection to `server` from `from`, optionally with a small receive
/// buffer (so a client that does not read fills up soon).
async fn connect_from(
    from: IpAddr,
    server: SocketAddr,
    recv_buffer: Option<u32>,
) -> std::io::Result<tokio::net::TcpStream> {
    let s = tokio::net::TcpSocket::new_v4()?;
    if let Some(n) = recv_buffer {
        s.set_recv_buffer_size(n)?;
    }
    s.bind(SocketAddr::new(from, 0))?;
    s.connect(server).await
}

/// Status line and body of `GET path` on a new connection from 127.0.0.1.
fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .map_err(|e| format!("{path}: {e}"))?;
    let answers = raw::parse_answers(&out)?;
    let a = answers.into_iter().next().ok_or("no answer")?;
    Ok((a.status, a.body))
}

/// Median and 90th percentile of `n` probes of `path`, each a new
/// connection; a probe that fails or answers other than 200 counts as 10 s.
fn probe(addr: SocketAddr, path: &str, n: usize) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let t = Instant::now();
            match get(addr, path, Duration::from_secs(10)) {
                Ok((200, _)) => t.elapsed(),
                _ => Duration::from_secs(10),
            }
        })
        .collect();
    times.sort();
    (times[n / 2], times[n * 9 / 10])
}

/// Probes `/healthz` and the cached z0 tile and asserts the bound:
/// median and 90th percentile under 50 ms.
fn assert_probes_fast(addr: SocketAddr, what: &str) {
    for path in ["/healthz", "/tiles/0/0/0.mvt"] {
        let (p50, p90) = probe(addr, path, 15);
        println!("{what}: {path}: median {p50:?}, p90 {p90:?}");
        let bound = Duration::from_millis(50);
        assert!(
            p50 < bound && p90 < bound,
            "{what}: {path}: median {p50:?}, p90 {p90:?} (bound {bound:?})"
        );
    }
}

/// Hostile clients run on their own runtime until the returned guard drops.
struct Hostile {
    rt: tokio::runtime::Runtime,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        // Let the tasks see the stop and close their sockets.
        self.rt
            .block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
    }
}

fn hostile_runtime() -> Hostile {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (stop, _) = tokio::sync::watch::channel(false);
    Hostile { rt, stop }
}

/// `count` connections spread over client addresses 127.0.0.`first`.., at
/// most `per_address` on each; each is driven by `each` until the stop.
fn spawn_hostile<F, Fut>(
    h: &Hostile,
    server: SocketAddr,
    count: usize,
    first: u8,
    per_address: usize,
    each: F,
) where
    F: Fn(IpAddr, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    for i in 0..count {
        let from = loopback(first + (i / per_address) as u8);
        let fut = each(from, server);
        let mut stop = h.stop.subscribe();
        h.rt.spawn(async move {
            tokio::select! {
                () = fut => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }
    // Let the connections open and send before probing.
    std::thread::sleep(Duration::from_millis(1500));
}

/// Connects, pipelines six `/api/scores` requests and never reads.
async fn pipeline_without_reading(from: IpAddr, server: SocketAddr) {
    let Ok(mut s) = connect_from(from, server, Some(4096)).await else {
        return;
    };
    let one = "GET /api/scores HTTP/1.1\r\nHost: x\r\n\r\n";
    let _ = tokio::io::AsyncWriteExt::write_all(&mut s, one.repeat(6).as_bytes()).await;
    std::future::pending::<()>().await;
    drop(s);
}

/// Connects and sends nothing; when the server closes the connection,
/// connects again at once.
async fn idle_and_reconnect(from: IpAddr, server: SocketAddr) {
    loop {
        let Ok(mut s) = connect_from(from, server, None).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut buf = [0u8; 1024];
        // Read until the server closes, then reconnect.
        while let Ok(n) = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await {
            if n == 0 {
                break;
            }
        }
    }
}

/// A counter from `/metrics`.
fn metric(addr: SocketAddr, name: &str) -> u64 {
    let (_, body) = get(addr, "/metrics", Duration::from_secs(10)).unwrap();
    let text = String::from_utf8(body).unwrap();
    let v = text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"));
    println!("{name} {v}");
    v
}

#[test]
fn probes_stay_fast_while_a_thousand_hostile_connections_are_open() {
    raise_fd_limit();
    let server = Server::start(ServerConfig::default(), 4, 3);
    // Warm the tile cache.
    assert_eq!(
        get(server.addr, "/tiles/0/0/0.mvt", Duration::from_secs(10))
            .unwrap()
            .0,
        200
    );
    assert_probes_fast(server.addr, "no load");

    // 1,030 connections from one address pipeline and never read.
    let h = hostile_runtime();
    spawn_hostile(&h, server.addr, 1030, 2, 1030, pipeline_without_reading);
    assert_probes_fast(server.addr, "1,030 pipelining without reading");
    let share = Limits::default().max_conns_per_ip as u64;
    assert!(metric(server.addr, "dxmap_connections_refused_total") >= 1030 - share);
    drop(h);

    // 1,030 idle connections over 16 addresses (64 each, under the
    // per-address cap) fill the server; each closed one reconnects.
    let h = hostile_runtime();
    spawn_hostile(&h, server.addr, 1030, 10, 65, idle_and_reconnect);
    assert_probes_fast(server.addr, "1,030 idle, reconnecting when closed");
    assert!(metric(server.addr, "dxmap_connections_evicted_total") > 0);
    drop(h);
}

#[test]
fn connections_over_an_address_share_get_429() {
    let server = Server::start(
        ServerConfig {
            limits: Limits {
                max_conns_per_ip: 4,
                ..Limits::default()
            },
            ..ServerConfig::default()
        },
        4,
        3,
    );
    let addr = server.addr;
    server.rt.block_on(async move {
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(connect_from(loopback(2), addr, None).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut fifth = connect_from(loopback(2), addr, None).await.unwrap();
        let mut out = Vec::new();
        let read = tokio::io::AsyncReadExt::read_to_end(&mut fifth, &mut out);
        tokio::time::timeout(Duration::from_secs(3), read)
            .await
            .expect("the fifth connection is answered at once")
            .ok();
        let answers = raw::parse_answers(&out).unwrap();
        assert_eq!(answers.len(), 1, "{}", String::from_utf8_lossy(&out));
        assert_eq!(answers[0].status, 429);
        let v: Value = serde_json::from_slice(&answers[0].body).unwrap();
        assert!(v["error"].as_str().unwrap().contains("limit is 4"), "{v}");
        // Another address is served; so is this one once it holds fewer.
        let other = tokio::task::spawn_blocking(move || {
            get(addr, "/healthz", Duration::from_secs(3)).unwrap().0
        });
        assert_eq!(other.await.unwrap(), 200);
        held.pop();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = connect_from(loopback(2), addr, None).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(
            &mut again,
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut out = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut again, &mut out)
            .await
            .unwrap();
        assert!(
            out.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    });
}

#[test]
fn at_the_limit_the_longest_idle_connection_makes_room() {
    let server = Server::start(
        ServerConfig {
            limits: Limits {
                max_connections: 2,
                header_read_timeout: Duration::from_secs(20),
                ..Limits::default()
            },
            ..ServerConfig::default()
        },
        4,
        3,
    );
    let addr = server.addr;
    let mut a = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut b = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let (status, _) = get(addr, "/healthz", Duration::from_secs(5)).unwrap();
    assert_eq!(status, 200);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "a new client waited {:?} behind two idle connections",
        t.elapsed()
    );
    // The older idle connection was closed; the newer one is still open.
    a.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 64];
    assert!(matches!(a.read(&mut buf), Ok(0) | Err(_)));
    b.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let e = b
        .read(&mut buf)
        .expect_err("the newer idle connection stays open");
    assert!(matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
}

#[test]
fn a_client_that_stops_reading_is_cut_off_at_the_write_timeout() {
    let server = Server::start(
        ServerConfig {
            limits: Limits {
                write_timeout: Duration::from_secs(1),
                header_read_timeout: Duration::from_secs(30),
                max_pipelined: 0,
                ..Limits::default()
            },
            ..ServerConfig::default()
        },
        40,
        30,
    );
    let addr = server.addr;
    let requests = 40;
    server.rt.block_on(async move {
        let mut s = connect_from(loopback(2), addr, Some(4096)).await.unwrap();
        let one = "GET /api/scores HTTP/1.1\r\nHost: x\r\n\r\n";
        tokio::io::AsyncWriteExt::write_all(&mut s, one.repeat(requests).as_bytes())
            .await
            .unwrap();
        let t = Instant::now();
        // Read nothing for three seconds, then everything there is.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut out = Vec::new();
        let read = tokio::io::AsyncReadExt::read_to_end(&mut s, &mut out);
        let closed = tokio::time::timeout(Duration::from_secs(5), read).await;
        assert!(
            closed.is_ok(),
            "the connection was still open {:?} after the client stopped reading",
            t.elapsed()
        );
        let answers = out
            .windows(12)
            .filter(|w| w.starts_with(b"HTTP/1.1 200"))
            .count();
        assert!(answers < requests, "all {answers} answers were written");
    });
}

#[test]
fn pipelining_over_the_cap_gets_429_and_close() {
    let server = Server::start(ServerConfig::default(), 4, 3);
    let cap = Limits::default().max_pipelined;
    let mut s = TcpStream::connect(server.addr).unwrap();
    let one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    s.write_all(one.repeat(cap + 20).as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("closed after the 429");
    let answers = raw::parse_answers(&out).unwrap();
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.len(), cap + 1, "{statuses:?}");
    assert!(statuses[..cap].iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(statuses[cap], 429);
    let v: Value = serde_json::from_slice(&answers[cap].body).unwrap();
    assert!(v["error"].as_str().unwrap().contains("pipelined"), "{v}");
}

/// A web directory with one page, so the static file service is routed.
fn web_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("index.html"),
        "<!doctype html><title>t</title>",
    )
    .unwrap();
    d
}

/// Writes `raw` to a new connection and returns the first answer, within 3 s.
fn send_raw(addr: SocketAddr, raw: &[u8]) -> raw::Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(raw).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        if let Ok(a) = raw::parse_answers(&out)
            && !a.is_empty()
            && out.ends_with(&a[0].body)
        {
            break;
        }
    }
    raw::parse_answers(&out)
        .ok()
        .and_then(|a| a.into_iter().next())
        .unwrap_or_else(|| panic!("no answer within 3 s: {:?}", String::from_utf8_lossy(&out)))
}

fn assert_json_4xx(a: &raw::Answer, status: u16, what: &str) {
    assert_eq!(
        a.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&a.body)
    );
    let v: Value = serde_json::from_slice(&a.body)
        .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e})"));
    assert!(v["error"].is_string(), "{what}: {v}");
}

#[test]
fn long_segments_and_targets_without_a_slash_are_4xx_json() {
    let web = web_dir();
    let server = Server::start(
        ServerConfig {
            web_dir: Some(web.path().to_path_buf()),
            ..ServerConfig::default()
        },
        4,
        3,
    );
    let long = "a".repeat(256);
    for path in [
        format!("/{long}"),
        format!("/{long}.js"),
        format!("/vendor/maplibre-gl/{long}"),
        format!("/api/areas/{long}"),
        format!("/x/{long}/y"),
    ] {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_json_4xx(&send_raw(server.addr, req.as_bytes()), 404, &path[..20]);
    }
    for target in ["healthz", "*", "x.example:80"] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_json_4xx(&send_raw(server.addr, req.as_bytes()), 400, target);
    }
    // Not a URI at all: hyper's own empty 400, before any of dxmap's code.
    let a = send_raw(
        server.addr,
        b"GET api/meta HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!((a.status, a.body.len()), (400, 0));
    // The absolute form a proxy may send is a path all the same.
    let a = send_raw(
        server.addr,
        b"GET http://x/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(a.status, 200);
}

#[test]
fn a_lying_content_length_gets_413_at_once() {
    let server = Server::start(ServerConfig::default(), 4, 3);
    let t = Instant::now();
    let a = send_raw(
        server.addr,
        b"POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{",
    );
    assert_json_4xx(&a, 413, "Content-Length 10^12");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

async fn post_score(app: &Router, body: Value) -> (StatusCode, Value, usize) {
    let req = Request::post("/api/score")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, v, bytes.len())
}

/// A closed ring around the whole 8 × 6 test grid, with `n` positions.
fn ring_around_grid(n: usize) -> Vec<[f64; 2]> {
    let (cx, cy) = (
        harness::fixtures::GRID_W + 0.04,
        harness::fixtures::GRID_S + 0.03,
    );
    let mut ring: Vec<[f64; 2]> = (0..n - 1)
        .map(|i| {
            let a = i as f64 / (n - 1) as f64 * std::f64::consts::TAU;
            [cx + 0.1 * a.cos(), cy + 0.1 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

#[tokio::test]
async fn polygons_off_the_earth_or_unclosed_are_400() {
    let app = app(ServerConfig::default());
    let poly = |ring: Value| json!({"polygon": {"type": "Polygon", "coordinates": [ring]}});
    // Sanity: the same shape on the earth and closed selects the grid.
    let (s, v, _) = post_score(&app, poly(json!(ring_around_grid(5)))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let far = json!([
        [-1000.0, -1000.0],
        [1000.0, -1000.0],
        [1000.0, 1000.0],
        [-1000.0, 1000.0],
        [-1000.0, -1000.0]
    ]);
    let (s, v, _) = post_score(&app, poly(far)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("outside"), "{v}");
    let mut open = ring_around_grid(6);
    open.pop();
    let (s, v, _) = post_score(&app, poly(json!(open))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not closed"), "{v}");
}

#[tokio::test]
async fn an_unknown_weight_id_is_not_echoed_whole() {
    let app = app(ServerConfig::default());
    let id = "w".repeat(100_000);
    let body = json!({"codes": ["E01000000", "E01000001"], "weights": {id: 1.0}});
    let (s, v, len) = post_score(&app, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(len < 1000, "the error is {len} bytes");
    assert!(v["error"].as_str().unwrap().contains("wwww"), "{v}");
}

#[test]
fn large_selections_score_off_the_async_threads() {
    // One thread runs every task in turn: if a selection's work ran there
    // rather than on the blocking pool, a tile request queued behind six
    // selections would wait for all six.
    let rt = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = router(AppState::new(
        served(20, 15),
        ServerConfig {
            limits: Limits {
                max_body_bytes: 16 << 20,
                max_polygon_vertices: 200_000,
                ..Limits::default()
            },
            ..ServerConfig::default()
        },
    ));
    let tile = |app: Router| async move {
        let res = app
            .oneshot(
                Request::get("/tiles/0/0/0.mvt")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    };
    rt.block_on(tile(app.clone()));
    let body = json!({"polygon": {"type": "Polygon", "coordinates": [ring_around_grid(150_000)]}})
        .to_string();
    rt.block_on(async move {
        let t = Instant::now();
        let posts: Vec<_> = (0..6)
            .map(|_| {
                let (app, body) = (app.clone(), body.clone());
                tokio::spawn(async move {
                    let req = Request::post("/api/score")
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .unwrap();
                    app.oneshot(req).await.unwrap().status()
                })
            })
            .collect();
        let t_tile = Instant::now();
        let tile_took = tokio::spawn(async move {
            tile(app).await;
            t_tile.elapsed()
        })
        .await
        .unwrap();
        for p in posts {
            assert_eq!(p.await.unwrap(), StatusCode::OK);
        }
        let all = t.elapsed();
        println!("six 150k-vertex selections over 300 areas: {all:?}; a cached tile queued behind them: {tile_took:?}");
        assert!(
            tile_took < Duration::from_millis(50),
            "a cached tile took {tile_took:?} behind the selections (all done in {all:?})"
        );
    });
}

#[tokio::test]
async fn tilejson_and_catalog_vary_on_host() {
    let router = app(ServerConfig::default());
    for path in ["/tiles.json", "/catalog"] {
        let res = router
            .clone()
            .oneshot(
                Request::get(path)
                    .header("host", "a.example")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let vary: Vec<String> = res
            .headers()
            .get_all(header::VARY)
            .iter()
            .flat_map(|v| {
                v.to_str()
                    .unwrap()
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(vary.iter().any(|v| v == "host"), "{path}: Vary {vary:?}");
    }
    // With a public URL the body does not depend on Host.
    let fixed = app(ServerConfig {
        public_url: Some("https://tiles.example".into()),
        ..ServerConfig::default()
    });
    let res = fixed
        .oneshot(Request::get("/tiles.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        !res.headers().get_all(header::VARY).iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("host"))
    );
}

#[tokio::test]
async fn a_star_inside_a_cors_list_does_not_panic_the_router() {
    let app = app(ServerConfig {
        cors: CorsPolicy::Origins(vec!["*".into(), "https://a.example".into()]),
        ..ServerConfig::default()
    });
    let res = app
        .oneshot(
            Request::get("/healthz")
                .header(header::ORIGIN, "https://b.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Runs `dxmap serve` with `args`; returns its exit code and stderr, or
/// fails when it is still running after `limit`.
fn serve_exits(args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(common::dxmap_bin())
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0", "--no-prewarm", "--draws", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dxmap serve {args:?} was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_refuses_bad_cors_lists_at_start() {
    for (cors, says) in [
        ("*,https://a.example", "cannot be combined"),
        ("https://a.example,not an origin", "not an origin"),
        ("https://a.example/path", "not an origin"),
    ] {
        let (code, err) = serve_exits(&["--cors", cors], Duration::from_secs(60));
        assert_eq!(code, Some(2), "--cors {cors}: {err}");
        assert!(
            err.contains("--cors") && err.contains(says),
            "--cors {cors}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Raw request lines a client might send, crafted to probe the parser and
/// the guards, plus ones generated from route templates and odd bytes.
fn raw_requests() -> Vec<Vec<u8>> {
    let long = "a".repeat(300);
    let mut out: Vec<Vec<u8>> = [
        "GET / HTTP/1.1",
        "GET healthz HTTP/1.1",
        "GET * HTTP/1.1",
        "OPTIONS * HTTP/1.1",
        "CONNECT x.example:443 HTTP/1.1",
        "GET http://x/healthz HTTP/1.1",
        "GET https://x/api/meta HTTP/1.1",
        "GET //healthz HTTP/1.1",
        "GET /healthz HTTP/1.0",
        "GET /healthz HTTP/2.0",
        "GET /healthz HTTP/9.9",
        "GET /healthz",
        "GET",
        "",
        " GET /healthz HTTP/1.1",
        "get /healthz HTTP/1.1",
        "BREW /healthz HTTP/1.1",
        "DELETE /api/score HTTP/1.1",
        "PUT /tiles/0/0/0.mvt HTTP/1.1",
        "HEAD /api/scores HTTP/1.1",
        "HEAD /nope HTTP/1.1",
        "POST /healthz HTTP/1.1",
        "GET /api/score HTTP/1.1",
        "GET /tiles/0/0/0.png HTTP/1.1",
        "GET /tiles/99/0/0.mvt HTTP/1.1",
        "GET /tiles/0/4294967296/0.mvt HTTP/1.1",
        "GET /tiles/-1/0/0.mvt HTTP/1.1",
        "GET /tiles/0/0/0.mvt?x=%ZZ HTTP/1.1",
        "GET /api/areas/%FF%FE HTTP/1.1",
        "GET /api/areas/%00 HTTP/1.1",
        "GET /api/areas/%2e%2e HTTP/1.1",
        "GET /api/areas?bbox=1,2,3 HTTP/1.1",
        "GET /api/areas?bbox=nan,nan,nan,nan HTTP/1.1",
        "GET /api/areas?borough=%FF HTTP/1.1",
        "GET /api/lookup?lon=1e999&lat=0 HTTP/1.1",
        "GET /api/lookup?lon=&lat= HTTP/1.1",
        "GET /api/lookup?%%%% HTTP/1.1",
        "GET /../../etc/passwd HTTP/1.1",
        "GET /a\\b HTTP/1.1",
        "GET /index.html/x HTTP/1.1",
        "GET /index.html/ HTTP/1.1",
        "GET /index.html%00 HTTP/1.1",
        "GET /?a=1&a=2 HTTP/1.1",
        "GET /metrics?x HTTP/1.1",
        "GET /healthz#frag HTTP/1.1",
        "GET /heal thz HTTP/1.1",
        "GET /healthz  HTTP/1.1",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y",
        "GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6",
        "GET /healthz HTTP/1.1\r\nContent-Length: -1",
        "GET /healthz HTTP/1.1\r\nContent-Length: 99999999999999999999999",
        "POST /api/score HTTP/1.1\r\nContent-Length: 1000000000000",
        "POST /api/score HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3",
        "POST /api/score HTTP/1.1\r\nTransfer-Encoding: gzip",
        "POST /api/score HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        "POST /api/score HTTP/1.1\r\nContent-Length: 4\r\n\r\nnull",
        "GET /healthz HTTP/1.1\r\nExpect: 100-continue",
        "GET /healthz HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade",
        "GET /healthz HTTP/1.1\r\nNo-Colon",
        "GET /healthz HTTP/1.1\r\n: empty-name",
        "GET /healthz HTTP/1.1\r\nX: \x01\x02",
        "GET /tiles.json HTTP/1.1\r\nHost: \u{e9}.example",
        "GET /tiles.json HTTP/1.1\r\nHost: a b",
        "GET /tiles.json HTTP/1.1\r\nHost: ",
        "GET /tiles/0/0/0.mvt HTTP/1.1\r\nIf-None-Match: \u{ff}",
        "GET /tiles/0/0/0.mvt HTTP/1.1\r\nAccept-Encoding: gzip;q=nan",
        "GET /api/meta HTTP/1.1\r\nAccept-Encoding: gzip\r\nOrigin: null",
        "GET /healthz HTTP/1.1\r\n\r\nGET healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    for prefix in ["/", "/api/areas/", "/tiles/", "/vendor/maplibre-gl/", "/x/"] {
        out.push(format!("GET {prefix}{long} HTTP/1.1").into_bytes());
        out.push(format!("GET {prefix}{long}/{long} HTTP/1.1").into_bytes());
    }
    out.push(format!("GET /api/areas?bbox={} HTTP/1.1", "1".repeat(9000)).into_bytes());
    out.push(format!("GET /healthz HTTP/1.1\r\nX-Big: {}", "b".repeat(20000)).into_bytes());
    out.push(b"GET /\xff\xfe HTTP/1.1".to_vec());
    out.push(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec());
    out.push(b"PRI * HTTP/2.0\r\n\r\nSM".to_vec());

    // Generated: a method, a route template with odd segments, a query, a version.
    let methods = [
        "GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PATCH", "G\x00T", "GET\t",
    ];
    let routes = [
        "/tiles/{}/{}/{}.mvt",
        "/api/areas/{}",
        "/api/areas?bbox={},{},{},{}",
        "/api/lookup?lon={}&lat={}",
        "/{}",
        "{}",
        "/api/{}/{}",
        "/tiles.json?{}",
    ];
    let pieces = [
        "0",
        "14",
        "-1",
        "4294967295",
        "1e9",
        "%",
        "%2",
        "%C3%A9",
        "%ff",
        "..",
        ".",
        "",
        "E01000001",
        "a/b",
        "?",
        "#",
        "%20",
        "~",
        "\u{e9}",
        "\x7f",
        "nan",
        "inf",
        "[]",
        "{}",
    ];
    let versions = [
        "HTTP/1.1",
        "HTTP/1.1",
        "HTTP/1.1",
        "HTTP/1.0",
        "HTTP/1.1x",
        "http/1.1",
        "",
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(24);
    while out.len() < 400 {
        let mut target = routes[rng.random_range(0..routes.len())].to_string();
        while let Some(i) = target.find("{}") {
            let piece = pieces[rng.random_range(0..pieces.len())];
            let piece = if rng.random_range(0..10) == 0 {
                piece.repeat(rng.random_range(100..400))
            } else {
                piece.to_string()
            };
            target.replace_range(i..i + 2, &piece);
        }
        let method = methods[rng.random_range(0..methods.len())];
        let version = versions[rng.random_range(0..versions.len())];
        out.push(format!("{method} {target} {version}\r\nHost: x").into_bytes());
    }
    out
}

#[test]
fn raw_request_lines_never_get_a_5xx() {
    let web = web_dir();
    let server = raw::RawServer::with_web(Some(web.path().to_path_buf()));
    let requests = raw_requests();
    let mut statuses = std::collections::BTreeMap::new();
    for r in &requests {
        for a in server.request(r) {
            *statuses.entry(a.status).or_insert(0usize) += 1;
        }
    }
    println!(
        "{} raw requests; answers by status: {statuses:?}",
        requests.len()
    );
    assert!(requests.len() >= 400);
    assert!(statuses.contains_key(&200) && statuses.contains_key(&400));
}

/// A client that shuts its sending side as soon as its request is out (an
/// HTTP/1.0 tool, `nc -N`, the `server_raw` harness) still gets its answer:
/// hyper dropped such requests unanswered until `half_close` was set.
#[test]
fn a_client_that_half_closes_still_gets_its_answer() {
    let server = raw::RawServer::new();
    for req in [
        &b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n"[..],
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /api/meta HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(req).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let answers = raw::parse_answers(&out).unwrap();
        assert_eq!(
            answers.iter().map(|a| a.status).collect::<Vec<_>>(),
            [200],
            "{}",
            String::from_utf8_lossy(req)
        );
        assert!(
            !answers[0].body.is_empty(),
            "{}",
            String::from_utf8_lossy(req)
        );
    }
}
