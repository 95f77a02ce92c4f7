//! Handing freed heap memory back to the system once a generation is ready.
//!
//! In: nothing (a moment when the server knows a burst of temporary
//! allocations is over). Out: free pages of every malloc arena returned to
//! the kernel, so resident memory is what the generation holds. Building a
//! generation (scoring with its sensitivity draws on every core, preparing
//! tile geometry, serialising the JSON bodies) and cutting the prewarmed
//! overview tiles free far more than they keep, and glibc keeps freed
//! memory in each thread's arena: about 20 MB of London's 120 MB resident
//! after start was such free memory. Elsewhere this does nothing.

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
