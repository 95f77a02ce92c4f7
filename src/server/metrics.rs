//! Counters for `/metrics`: requests by route and status, tile cache hits and
//! misses, tile bytes sent, reloads, connections refused or closed to make room. Rendered as Prometheus text, sorted so
//! the output is stable.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::served::Served;

/// Process-wide counters (they survive reloads).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by route, then status. Counting takes the read lock (every
    /// request does, from every worker); only a route and status seen for
    /// the first time takes the write lock. A mutex here, and a `String`
    /// made per request to look the route up, were a shared lock and two
    /// allocations on every tile served.
    requests: RwLock<BTreeMap<String, BTreeMap<u16, AtomicU64>>>,
    /// Tiles answered from the cache.
    pub tile_hits: AtomicU64,
    /// Tiles that had to be encoded.
    pub tile_misses: AtomicU64,
    /// Tile body bytes sent.
    pub tile_bytes: AtomicU64,
    /// Successful reloads.
    pub reloads: AtomicU64,
    /// Refused reloads (bad dataset, failed scoring).
    pub reload_failures: AtomicU64,
    /// Connections refused because their address held its share.
    pub conns_refused: AtomicU64,
    /// Idle connections closed to make room for a new one.
    pub conns_evicted: AtomicU64,
}

impl Metrics {
    /// Counts one request.
    pub fn record(&self, route: &str, status: u16) {
        {
            let m = self.requests.read().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = m.get(route).and_then(|by_status| by_status.get(&status)) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let mut m = self.requests.write().unwrap_or_else(|e| e.into_inner());
        m.entry(route.to_string())
            .or_default()
            .entry(status)
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text exposition.
    pub fn render(&self, served: &Served) -> String {
        let mut out = String::new();
        let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP dxmap_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE dxmap_http_requests_total counter\n");
        {
            let m = self.requests.read().unwrap_or_else(|e| e.into_inner());
            for (route, status, n) in m.iter().flat_map(|(r, by)| {
                by.iter()
                    .map(move |(s, n)| (r, s, n.load(Ordering::Relaxed)))
            }) {
                let route = route.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(
                    out,
                    "dxmap_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            "dxmap_tile_cache_hits_total",
            "Tiles served from the cache.",
            c(&self.tile_hits),
        );
        counter(
            "dxmap_tile_cache_misses_total",
            "Tiles encoded on request.",
            c(&self.tile_misses),
        );
        counter(
            "dxmap_tile_bytes_total",
            "Tile body bytes sent.",
            c(&self.tile_bytes),
        );
        counter(
            "dxmap_reloads_total",
            "Successful dataset reloads.",
            c(&self.reloads),
        );
        counter(
            "dxmap_reload_failures_total",
            "Refused dataset reloads.",
            c(&self.reload_failures),
        );
        counter(
            "dxmap_connections_refused_total",
            "Connections refused: their client address held its share.",
            c(&self.conns_refused),
        );
        counter(
            "dxmap_connections_evicted_total",
            "Idle connections closed to make room at the connection limit.",
            c(&self.conns_evicted),
        );
        let _ = writeln!(
            out,
            "# HELP dxmap_tile_cache_bytes Bytes held by the tile cache.\n# TYPE dxmap_tile_cache_bytes gauge\ndxmap_tile_cache_bytes {}",
            served.cache.bytes()
        );
        let _ = writeln!(
            out,
            "# HELP dxmap_tile_cache_entries Tiles held by the tile cache.\n# TYPE dxmap_tile_cache_entries gauge\ndxmap_tile_cache_entries {}",
            served.cache.len()
        );
        let _ = writeln!(
            out,
            "# HELP dxmap_areas Areas served.\n# TYPE dxmap_areas gauge\ndxmap_areas {}",
            served.dataset().len()
        );
        out
    }
}
