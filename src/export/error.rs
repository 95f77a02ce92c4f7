//! The export stage's error: which file, tile or roll-up failed, and why.

use std::io;
use std::path::PathBuf;

/// Errors from writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading or writing the destination (or its temporary file) failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The destination.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An I/O error not yet tied to a path (see [`ExportError::at`]).
    #[error("{0}")]
    Unplaced(#[from] io::Error),
    /// SQLite refused a statement while writing an MBTiles file.
    #[error("{}: sqlite: {source}", path.display())]
    Sqlite {
        /// The destination.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The PMTiles writer failed.
    #[error("{}: pmtiles: {source}", path.display())]
    Pmtiles {
        /// The destination.
        path: PathBuf,
        /// The cause.
        #[source]
        source: pmtiles::PmtError,
    },
    /// Cutting one tile failed.
    #[error("tile {z}/{x}/{y}: {source}")]
    Tile {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row (XYZ scheme).
        y: u32,
        /// The cause.
        #[source]
        source: crate::tiles::TileError,
    },
    /// Preparing the tile layers failed.
    #[error("tiles: {0}")]
    TileSet(#[source] crate::tiles::TileError),
    /// A roll-up cannot be made from this dataset.
    #[error("{level} roll-up: {why}")]
    Rollup {
        /// The level asked for.
        level: super::Level,
        /// Why not.
        why: String,
    },
    /// Options that cannot work together.
    #[error("invalid options: {0}")]
    Options(String),
}

impl ExportError {
    /// Ties an unplaced I/O error to the destination path.
    pub fn at(self, path: impl Into<PathBuf>) -> ExportError {
        match self {
            ExportError::Unplaced(source) => ExportError::Io {
                path: path.into(),
                source,
            },
            other => other,
        }
    }
}
