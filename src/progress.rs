//! Progress of a long run, as the caller wants to show it.
//!
//! In: a run's steps as they begin ("reading boundaries", "joining
//! income", …) or its units of work as they are done. Out: whatever the
//! [`Progress`] implementation does with them; the library draws nothing
//! itself (the `dxmap` binary shows a bar with indicatif, the server and
//! tests pass none), so no drawing crate is part of its API.

/// Receives the progress of a run.
pub trait Progress: Send + Sync {
    /// The run has this many steps (or units of work).
    fn start(&self, steps: u64);
    /// The next named step begins.
    fn step(&self, message: &str);
    /// `n` more units of work are done (for runs counted in units, not
    /// named steps).
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// The run is over, finished or failed.
    fn finish(&self);
}
