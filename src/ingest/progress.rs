//! Telling a build's [`Progress`] (if the caller gave one) of its steps.
//!
//! In: the build's optional [`Progress`]. Out: calls to it, or nothing.

pub use crate::progress::Progress;

/// Calls a [`Progress`] if there is one.
pub(super) struct Steps<'a>(pub Option<&'a dyn Progress>);

impl Steps<'_> {
    pub(super) fn start(&self, steps: u64) {
        if let Some(p) = self.0 {
            p.start(steps);
        }
    }

    pub(super) fn step(&self, message: &str) {
        if let Some(p) = self.0 {
            p.step(message);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(p) = self.0 {
            p.finish();
        }
    }
}
