//! The library's [`Progress`] drawn as indicatif bars on standard error:
//! a build's named steps ([`Bar::steps`]) and a tile export's tiles
//! ([`Bar::tiles`]). The only file that names indicatif.

use std::sync::Arc;

use dxmap::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A run's progress as one indicatif bar on standard error.
pub struct Bar(ProgressBar);

impl Bar {
    /// A build's steps: position, count, time and the step's name.
    pub fn steps() -> Arc<dyn Progress> {
        Bar::with_style(ProgressStyle::with_template(
            "{bar:30} {pos}/{len} {elapsed} {msg}",
        ))
    }

    /// A tile export's tiles, cut of the candidates.
    pub fn tiles() -> Arc<dyn Progress> {
        Bar::with_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} tiles")
                .map(|s| s.progress_chars("=> ")),
        )
    }

    /// A bar of `style`, or indicatif's default where the template is bad.
    fn with_style(
        style: Result<ProgressStyle, indicatif::style::TemplateError>,
    ) -> Arc<dyn Progress> {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = style {
            bar.set_style(style);
        }
        Arc::new(Bar(bar))
    }
}

impl Progress for Bar {
    fn start(&self, steps: u64) {
        self.0.set_length(steps);
    }

    fn step(&self, message: &str) {
        // The first step starts at 0; each later one moves the bar on.
        if self.0.position() > 0 || !self.0.message().is_empty() {
            self.0.inc(1);
        }
        self.0.set_message(message.to_string());
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
