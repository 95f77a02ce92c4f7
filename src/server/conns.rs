//! Per-connection bookkeeping for the accept loop: a client address and a
//! socket in, a registered [`Conn`] and a [`Guarded`] socket out.
//!
//! The [`Registry`] counts open connections per client address (so one
//! client cannot take every slot) and knows which connections are idle (no
//! request being handled and nothing waiting to be sent), so that under
//! pressure the longest-idle one is closed to make room instead of a new
//! client waiting. [`Guarded`] wraps a socket with a write timeout (a client
//! that stops reading its responses is cut off) and measures how deeply a
//! client pipelines requests without waiting for answers.

use std::collections::HashMap;
use std::future::Future as _;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Sleep;

/// One open connection, as the accept loop and the request path see it.
#[derive(Debug)]
pub(super) struct Conn {
    id: u64,
    ip: IpAddr,
    /// Requests whose handler has not returned yet, plus one from
    /// admission until the connection is being served (a client waiting
    /// for a slot must not be closed to make room for itself).
    busy: AtomicUsize,
    /// A write is waiting for the client to read (the socket buffer is full).
    write_blocked: AtomicBool,
    /// Requests started since the connection last waited for the client
    /// with nothing left to send (the pipelining depth).
    pipelined: AtomicUsize,
    /// Milliseconds since the registry's epoch at the last request or response.
    last_active: AtomicU64,
    /// Set once the registry has asked the connection to close.
    evicted: AtomicBool,
    /// Wakes the connection's task to close it.
    pub(super) close: Notify,
}

impl Conn {
    /// A request starts; returns its pipelining depth (1 when not pipelined).
    pub(super) fn begin(&self, registry: &Registry) -> usize {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.touch(registry);
        self.pipelined.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// The connection has its slot and is being served.
    pub(super) fn serving(&self) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
    }

    /// A request's handler returned.
    pub(super) fn end(&self, registry: &Registry) {
        self.busy.fetch_sub(1, Ordering::AcqRel);
        self.touch(registry);
    }

    fn touch(&self, registry: &Registry) {
        self.last_active.store(registry.now_ms(), Ordering::Relaxed);
    }

    fn idle(&self) -> bool {
        self.busy.load(Ordering::Acquire) == 0
            && !self.write_blocked.load(Ordering::Acquire)
            && !self.evicted.load(Ordering::Acquire)
    }
}

#[derive(Debug, Default)]
struct Table {
    conns: HashMap<u64, Arc<Conn>>,
    per_ip: HashMap<IpAddr, usize>,
    next_id: u64,
}

/// Open connections by id and by client address.
#[derive(Debug)]
pub(super) struct Registry {
    epoch: Instant,
    max_per_ip: usize,
    table: Mutex<Table>,
}

/// Holds a connection's place in the [`Registry`]; dropping it frees it.
pub(super) struct Registered {
    registry: Arc<Registry>,
    pub(super) conn: Arc<Conn>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut t = self.registry.lock();
        t.conns.remove(&self.conn.id);
        if let Some(n) = t.per_ip.get_mut(&self.conn.ip) {
            *n -= 1;
            if *n == 0 {
                t.per_ip.remove(&self.conn.ip);
            }
        }
    }
}

impl Registry {
    /// A registry allowing `max_per_ip` connections per address (0: no cap).
    pub(super) fn new(max_per_ip: usize) -> Registry {
        Registry {
            epoch: Instant::now(),
            max_per_ip,
            table: Mutex::new(Table::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Registers a connection from `ip`, or `None` when that address
    /// already holds its share.
    pub(super) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Registered> {
        let mut t = self.lock();
        let n = t.per_ip.entry(ip).or_insert(0);
        if self.max_per_ip > 0 && *n >= self.max_per_ip {
            return None;
        }
        *n += 1;
        t.next_id += 1;
        let conn = Arc::new(Conn {
            id: t.next_id,
            ip,
            busy: AtomicUsize::new(1),
            write_blocked: AtomicBool::new(false),
            pipelined: AtomicUsize::new(0),
            last_active: AtomicU64::new(self.now_ms()),
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        });
        t.conns.insert(conn.id, conn.clone());
        Some(Registered {
            registry: self.clone(),
            conn,
        })
    }

    /// Asks the connection idle the longest to close; false when none is idle.
    pub(super) fn evict_idle(&self) -> bool {
        let t = self.lock();
        let oldest = t
            .conns
            .values()
            .filter(|c| c.idle())
            .min_by_key(|c| (c.last_active.load(Ordering::Relaxed), c.id));
        match oldest {
            Some(c) => {
                c.evicted.store(true, Ordering::Release);
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// A socket with a write timeout that tracks its connection's state.
pub(super) struct Guarded<S> {
    inner: S,
    conn: Arc<Conn>,
    write_timeout: Duration,
    /// Armed when a write first finds the socket full; cleared once
    /// everything queued has been handed to the kernel.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Nothing written since the last completed flush.
    flushed: bool,
}

impl<S> Guarded<S> {
    pub(super) fn new(inner: S, conn: Arc<Conn>, write_timeout: Duration) -> Guarded<S> {
        Guarded {
            inner,
            conn,
            write_timeout,
            deadline: None,
            flushed: true,
        }
    }

    /// Called when a write could not proceed: arms the deadline and fails
    /// the write once it has passed.
    fn blocked<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        self.conn.write_blocked.store(true, Ordering::Release);
        let timeout = self.write_timeout;
        let deadline = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client did not read its response within {timeout:?}"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if r.is_pending() && self.flushed {
            // Waiting for the client with every answer sent: whatever it
            // sends next is not pipelined behind earlier requests.
            self.conn.pipelined.store(0, Ordering::Release);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.flushed = false;
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Pending => self.blocked(cx),
            r => r,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.flushed = false;
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.blocked(cx),
            r => r,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                // hyper flushes the socket only once its own buffer is empty.
                self.deadline = None;
                self.flushed = true;
                self.conn.write_blocked.store(false, Ordering::Release);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.blocked(cx),
            r => r,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn per_address_cap_counts_and_frees() {
        let r = Arc::new(Registry::new(2));
        let a = r.admit(ip("10.0.0.1")).unwrap();
        let _b = r.admit(ip("10.0.0.1")).unwrap();
        assert!(r.admit(ip("10.0.0.1")).is_none());
        assert!(r.admit(ip("10.0.0.2")).is_some());
        drop(a);
        assert!(r.admit(ip("10.0.0.1")).is_some());
        let unlimited = Arc::new(Registry::new(0));
        let held: Vec<_> = (0..100).map(|_| unlimited.admit(ip("::1"))).collect();
        assert!(held.iter().all(Option::is_some));
    }

    #[test]
    fn eviction_picks_the_longest_idle_and_skips_busy() {
        let r = Arc::new(Registry::new(0));
        let a = r.admit(ip("10.0.0.1")).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let b = r.admit(ip("10.0.0.1")).unwrap();
        // Not yet served: neither may be closed to make room.
        assert!(!r.evict_idle());
        a.conn.serving();
        b.conn.serving();
        a.conn.begin(&r);
        assert!(r.evict_idle());
        assert!(b.conn.evicted.load(Ordering::Acquire));
        assert!(!a.conn.evicted.load(Ordering::Acquire));
        // b is already evicted and a is busy: nothing else to close.
        assert!(!r.evict_idle());
        a.conn.end(&r);
        assert!(r.evict_idle());
    }
}
