//! Reloading: a dataset file in, a new [`Served`] generation swapped into the
//! [`AppState`] out, or an error logged while the old generation keeps
//! serving.
//!
//! The build runs on a blocking thread, off the request path; the swap is a
//! single atomic pointer store, so requests in flight finish on the old
//! generation and new ones see the new one. [`watch`] polls the file's
//! modification time; the CLI adds SIGHUP.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::AppState;
use super::error::ServeError;
use super::served::Served;
use crate::dataset::{Dataset, LoadError};
use crate::score::{Methodology, ScoreOptions, ScoredDataset, score};
use crate::tiles::TileOptions;

/// Turns a freshly read dataset into a scored one.
pub type ScoreFn = dyn Fn(Arc<Dataset>) -> Result<ScoredDataset, ServeError> + Send + Sync;

/// How to rebuild a generation from a dataset file.
pub struct Reloader {
    /// The dataset artifact to read.
    pub path: PathBuf,
    /// Scoring step.
    pub score: Arc<ScoreFn>,
    /// Tiling options.
    pub tile_options: TileOptions,
    /// Tile cache budget of each generation, in bytes.
    pub cache_bytes: usize,
    lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader")
            .field("path", &self.path)
            .finish()
    }
}

impl Reloader {
    /// A reloader with a custom scoring step (tests use synthetic scores).
    pub fn new(
        path: PathBuf,
        score: Arc<ScoreFn>,
        tile_options: TileOptions,
        cache_bytes: usize,
    ) -> Reloader {
        Reloader {
            path,
            score,
            tile_options,
            cache_bytes,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// A reloader scoring with `methodology` and `options`.
    pub fn with_methodology(
        path: PathBuf,
        methodology: Arc<Methodology>,
        options: ScoreOptions,
        tile_options: TileOptions,
        cache_bytes: usize,
    ) -> Reloader {
        let p = path.clone();
        let in_force = Arc::new(methodology.in_force(&options));
        let f = move |ds: Arc<Dataset>| -> Result<ScoredDataset, ServeError> {
            let scores =
                score(&ds, &methodology, &options).map_err(|source| ServeError::Score {
                    path: p.clone(),
                    source,
                })?;
            Ok(ScoredDataset {
                dataset: ds,
                methodology: in_force.clone(),
                scores,
            })
        };
        Reloader::new(path, Arc::new(f), tile_options, cache_bytes)
    }

    /// Reads, verifies, scores and prepares a generation (blocking). A
    /// `.toml` path is a project file, built as `dxmap build` would.
    pub fn build(&self) -> Result<Served, ServeError> {
        let ds = Arc::new(load_dataset(&self.path)?);
        let scored = (self.score)(ds)?;
        Served::build(scored, self.tile_options.clone(), self.cache_bytes)
    }
}

/// Rebuilds from the file and swaps the result in; on error the old
/// generation stays and the error is returned (and counted).
pub async fn reload(state: &AppState, reloader: &Arc<Reloader>) -> Result<(), ServeError> {
    // One reload at a time: SIGHUP and the file watcher may fire together.
    let _guard = reloader.lock.lock().await;
    let r = reloader.clone();
    let built = tokio::task::spawn_blocking(move || r.build())
        .await
        .map_err(|e| ServeError::Other(format!("reload task: {e}")))
        .and_then(|x| x);
    match built {
        Ok(served) => {
            let areas = served.dataset().len();
            state.replace(served);
            state.metrics().reloads.fetch_add(1, Ordering::Relaxed);
            tracing::info!(path = %reloader.path.display(), areas, "reloaded dataset");
            Ok(())
        }
        Err(e) => {
            state
                .metrics()
                .reload_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "reload refused; still serving the previous dataset");
            Err(e)
        }
    }
}

/// Reads a dataset artifact, or builds one from a project `.toml`, through
/// [`crate::dataset::load`] (which refuses a FIFO or device before opening
/// it, so a wrong file never grows the server).
pub fn load_dataset(path: &Path) -> Result<Dataset, ServeError> {
    crate::dataset::load(Some(path), &crate::ingest::BuildOptions::default()).map_err(|e| match e {
        LoadError::Build(e) => ServeError::Ingest(e),
        LoadError::Read(e) => ServeError::Dataset(e),
    })
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Polls the dataset file every `period` and reloads when its modification
/// time changes. Runs until dropped or aborted.
pub async fn watch(state: AppState, reloader: Arc<Reloader>, period: Duration) {
    let mut last = mtime(&reloader.path);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = mtime(&reloader.path);
        if now.is_some() && now != last {
            last = now;
            // Errors are logged and counted inside; a bad file is not retried
            // until it changes again.
            let _ = reload(&state, &reloader).await;
        }
    }
}
