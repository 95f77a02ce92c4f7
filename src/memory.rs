//! Keeping resident memory close to what the process holds: large blocks
//! in their own mappings, fewer malloc arenas, and freed heap memory handed
//! back once a burst of temporary allocations is over.
//!
//! In: the number of cores at start; later, a moment when the server knows a
//! burst of temporary allocations is over. Out: glibc's allocator told to
//! map large blocks apart ([`map_large_blocks`], every command), limited to
//! one arena per core ([`limit_arenas`], the server), and free pages of
//! every arena returned to the kernel ([`release_free_memory`]): after a
//! build, and by a [`Churn`] after each stretch of cutting tiles on request.
//!
//! Building a generation or a tile set (scoring with its sensitivity draws
//! on every core, the topology of every boundary, serialising the JSON
//! bodies) frees far more than it keeps. glibc raises its threshold for
//! mapping a block apart each time such a block is freed, up to 32 MB, so
//! later large temporaries land in the heap between blocks that stay, and
//! their pages cannot go back: a fixed threshold of 128 KiB kept England
//! and Wales' `serve` 17 MB lower after start and its national `export
//! pmtiles` peak 31 MB lower (263 → 232 MB), at the same speed. glibc keeps
//! freed memory in each thread's arena too: about 20 MB of London's 120 MB
//! resident after start was such free memory. And it gives each new thread
//! that finds the arenas busy an arena of its own, up to eight per core
//! (tokio's workers, the tile-cutting pool, rayon's scoring threads, the
//! prewarm), and tiles cached from one arena sit between freed cuts that no
//! other thread reuses: one arena per core kept London about 12 MB lower
//! after a load test, at the same throughput. Elsewhere than glibc these
//! do nothing.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The block size from which glibc maps a block apart (see the module).
const MMAP_THRESHOLD: usize = 128 * 1024;

/// Tile bytes cut between two trims by a [`Churn`].
pub const TRIM_EVERY: usize = 64 << 20;

/// A count of work that frees most of what it allocates, such as cutting
/// tiles into a cache, which trims free memory after every [`TRIM_EVERY`]
/// bytes of it. Each cut leaves holes between the cached tiles that glibc
/// keeps; on England and Wales, a pass over every z10-14 tile left the
/// server at 284 MB, and one trim then brought it to 257 MB. A trim takes
/// milliseconds, once per tens of thousands of cuts.
#[derive(Debug, Default)]
pub struct Churn {
    bytes: AtomicUsize,
}

impl Churn {
    /// Counts `bytes` of work; the call that crosses [`TRIM_EVERY`] trims,
    /// on its own thread (a blocking one: it walks every arena), and
    /// starts the count again.
    pub fn add(&self, bytes: usize) {
        let before = self.bytes.fetch_add(bytes, Ordering::Relaxed);
        if before < TRIM_EVERY && before.saturating_add(bytes) >= TRIM_EVERY {
            self.bytes.store(0, Ordering::Relaxed);
            release_free_memory();
        }
    }
}

/// Fixes glibc's threshold for mapping large blocks apart at
/// [`MMAP_THRESHOLD`], unless `MALLOC_MMAP_THRESHOLD_` is set, which glibc
/// has already read.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        let n = libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets an allocator parameter; any threshold
        // up to 32 MB is valid.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, n);
        }
    }
}

/// Caps glibc's malloc arenas at `arenas` (one per core serves a 2-core
/// machine at full throughput), unless `MALLOC_ARENA_MAX` is set, which
/// glibc has already read. Call it before any thread starts: it does not
/// merge arenas that exist.
pub fn limit_arenas(arenas: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let n = libc::c_int::try_from(arenas.max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX
        // takes any positive count.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, n);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}

/// Returns free heap pages to the system (glibc's `malloc_trim`). It takes
/// each arena's lock in turn for the milliseconds it walks it, so call it
/// after a build or prewarm, not per request.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only walks and trims the
    // allocator's own free lists under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn churn_trims_once_per_stretch_and_counts_again() {
        let c = Churn::default();
        c.add(TRIM_EVERY - 1);
        assert_eq!(c.bytes.load(Ordering::Relaxed), TRIM_EVERY - 1);
        c.add(1);
        assert_eq!(c.bytes.load(Ordering::Relaxed), 0, "trimmed and restarted");
        c.add(10);
        assert_eq!(c.bytes.load(Ordering::Relaxed), 10);
        // One huge amount crosses once too.
        c.add(usize::MAX);
        assert_eq!(c.bytes.load(Ordering::Relaxed), 0);
    }
}
