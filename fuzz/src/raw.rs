//! What the `server_raw` target checks: raw bytes in (a request line, maybe
//! headers, maybe several pipelined requests), sent as they are over
//! loopback to the real accept loop (`server::serve`, so hyper's parser, the
//! connection guards and the router all see them); a panic out when any
//! answer is a 5xx, or a 4xx other than an empty one carries a body that is
//! not JSON with an `"error"` (hyper answers a request it cannot parse with
//! an empty 400 before any of dxmap's code runs).
//!
//! `tests/server_hostile.rs` includes this file by path (beside
//! `harness.rs`, whose grid it serves) to replay crafted and generated
//! request lines in CI.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Served, ServerConfig};
use dxmap::tiles::TileOptions;

use crate::harness::METHODOLOGY;
use crate::harness::fixtures::grid;

/// Longest wait for the server's answers to one input.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// A real server over a 4 × 3 grid on a loopback port, on its own runtime.
pub struct RawServer {
    _rt: tokio::runtime::Runtime,
    addr: SocketAddr,
}

/// One answer read back from the socket.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `content-type`, lowercased, or empty.
    pub content_type: String,
    /// `content-encoding`, lowercased, or empty.
    pub content_encoding: String,
    /// The body (empty for answers without one).
    pub body: Vec<u8>,
}

impl RawServer {
    /// Builds the grid, scores it and starts serving it on 127.0.0.1.
    pub fn new() -> RawServer {
        RawServer::with_web(None)
    }

    /// As [`RawServer::new`], also serving the static files of `web`.
    pub fn with_web(web: Option<PathBuf>) -> RawServer {
        let m = Arc::new(Methodology::parse(METHODOLOGY, "fuzz.toml").expect("methodology"));
        let opts = ScoreOptions {
            sensitivity_draws: Some(8),
            ..ScoreOptions::default()
        };
        let scored =
            ScoredDataset::new(Arc::new(grid(4, 3, "Fuzz grid")), m, &opts).expect("score");
        let served = Served::build(scored, TileOptions::default(), 1 << 20).expect("served");
        let config = ServerConfig {
            web_dir: web,
            ..ServerConfig::default()
        };
        let state = AppState::new(served, config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(async { dxmap::server::bind(SocketAddr::from(([127, 0, 0, 1], 0))) })
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        rt.spawn(dxmap::server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        RawServer { _rt: rt, addr }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends `data` and an empty line, closes the sending side and checks
    /// every answer (see the module's paragraph); returns them.
    pub fn request(&self, data: &[u8]) -> Vec<Answer> {
        let mut s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        // The server may close before it has read everything (a bad request
        // line): a failed write is an answer like any other.
        let _ = s.write_all(data).and_then(|()| s.write_all(b"\r\n\r\n"));
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let t = Instant::now();
        let mut buf = [0u8; 16384];
        while t.elapsed() < ANSWER_TIMEOUT {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let shown = || String::from_utf8_lossy(&data[..data.len().min(300)]).into_owned();
        let answers = parse_answers(&out).unwrap_or_else(|e| panic!("{:?}: {e}", shown()));
        for a in &answers {
            assert!(
                a.status < 500,
                "{:?}: {}: {}",
                shown(),
                a.status,
                String::from_utf8_lossy(&a.body)
            );
            // A compressed body (the client sent Accept-Encoding) is not read.
            if (400..500).contains(&a.status) && !a.body.is_empty() && a.content_encoding.is_empty()
            {
                let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_else(|e| {
                    panic!(
                        "{:?}: {}: error body is not JSON ({e}): {}",
                        shown(),
                        a.status,
                        String::from_utf8_lossy(&a.body)
                    )
                });
                assert!(v.get("error").is_some(), "{:?}: {}: {v}", shown(), a.status);
            }
            if (400..500).contains(&a.status) && !a.body.is_empty() {
                assert!(
                    a.content_type.starts_with("application/json"),
                    "{:?}: {}: content-type {:?}",
                    shown(),
                    a.status,
                    a.content_type
                );
            }
        }
        answers
    }
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer::new()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Splits the bytes a server sent into answers: status line, headers, and a
/// body framed by `content-length`, chunks or the close (a HEAD answer's
/// declared length may have no body behind it: what is there is taken).
pub fn parse_answers(mut b: &[u8]) -> Result<Vec<Answer>, String> {
    let mut answers = Vec::new();
    while !b.is_empty() {
        let end = find(b, b"\r\n\r\n").ok_or("an answer's head is cut short")?;
        let head = std::str::from_utf8(&b[..end]).map_err(|_| "a head is not UTF-8")?;
        b = &b[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .strip_prefix("HTTP/1.1 ")
            .or_else(|| status_line.strip_prefix("HTTP/1.0 "))
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let (mut length, mut chunked) = (None, false);
        let (mut content_type, mut content_encoding) = (String::new(), String::new());
        for line in lines {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => length = v.parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                "content-type" => content_type = v.to_ascii_lowercase(),
                "content-encoding" => content_encoding = v.to_ascii_lowercase(),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let e = find(b, b"\r\n").ok_or("a chunk size is cut short")?;
                let size = std::str::from_utf8(&b[..e])
                    .ok()
                    .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
                    .ok_or("bad chunk size")?;
                b = &b[e + 2..];
                if size == 0 {
                    let t = find(b, b"\r\n").ok_or("chunk trailer cut short")?;
                    b = &b[t + 2..];
                    break;
                }
                let chunk = b.get(..size).ok_or("a chunk is cut short")?;
                body.extend_from_slice(chunk);
                b = &b[size + 2.min(b.len() - size)..];
            }
        } else if let Some(n) = length {
            let n = n.min(b.len());
            body.extend_from_slice(&b[..n]);
            b = &b[n..];
        } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
            // Neither length nor chunks: the body runs to the close (an
            // HTTP/1.0 answer streamed through compression, RFC 9112 6.3).
            body.extend_from_slice(b);
            b = &[];
        }
        answers.push(Answer {
            status,
            content_type,
            content_encoding,
            body,
        });
    }
    Ok(answers)
}
