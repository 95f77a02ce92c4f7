//! Keeping resident memory close to what the process holds: large blocks
//! in their own mappings, fewer malloc arenas, and freed heap memory handed
//! back once a burst of temporary allocations is over.
//!
//! In: the number of cores at start; later, a moment when the server knows a
//! burst of temporary allocations is over. Out: glibc's allocator told to
//! map large blocks apart ([`map_large_blocks`], every command), limited to
//! one arena per core ([`limit_arenas`], the server), and free pages of
//! every arena returned to the kernel ([`release_free_memory`]).
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

/// The block size from which glibc maps a block apart (see the module).
const MMAP_THRESHOLD: usize = 128 * 1024;

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
