//! Keeping the server's resident memory close to what it holds: fewer
//! malloc arenas, and freed heap memory handed back once a generation is ready.
//!
//! In: the number of cores at start; later, a moment when the server knows a
//! burst of temporary allocations is over. Out: glibc's allocator limited to
//! one arena per core ([`limit_arenas`]), and free pages of every arena
//! returned to the kernel ([`release_free_memory`]). Building a
//! generation (scoring with its sensitivity draws on every core, preparing
//! tile geometry, serialising the JSON bodies) and cutting the prewarmed
//! overview tiles free far more than they keep, and glibc keeps freed
//! memory in each thread's arena: about 20 MB of London's 120 MB resident
//! after start was such free memory. glibc also gives each new thread that
//! finds the arenas busy an arena of its own, up to eight per core (tokio's
//! workers, the tile-cutting pool, rayon's scoring threads, the prewarm),
//! and tiles cached from one arena sit between freed cuts that no other
//! thread reuses: one arena per core kept London about 12 MB lower after a
//! load test, at the same throughput. Elsewhere than glibc both do nothing.

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
