//! Exports: a [`ScoredDataset`](crate::score::ScoredDataset) in, files out.
//!
//! [`table`] flattens a scored dataset into one attribute row per area (or per
//! ward or borough roll-up, see [`Level`] and [`rollup`]), one column per
//! field of its [`Schema`](crate::schema::Schema); [`geojson`] and [`csv`] stream that
//! table out with stable column order and number formatting, so the same
//! inputs give byte-identical files. [`mbtiles`] and [`pmtiles`] pre-cut every
//! vector tile from zoom 0 to a maximum zoom in parallel and store them
//! gzip-compressed and de-duplicated. Every writer goes through
//! [`crate::atomic`]: a failed export leaves whatever stood at the destination
//! untouched and no temporary file behind.

pub mod csv;
mod error;
pub mod format;
pub mod geojson;
pub mod mbtiles;
pub mod pmtiles;
pub mod rollup;
pub mod table;
pub mod tiling;

use std::fmt;
use std::str::FromStr;

pub use error::ExportError;
pub use table::{Cells, Table, TableColumn, table};

/// The geography of exported rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// One row per small area (LSOA), as scored.
    #[default]
    Lsoa,
    /// One row per ward (`Area::ward_code`), population-weighted.
    Ward,
    /// One row per borough (`Area::borough_code`), population-weighted.
    Borough,
}

impl Level {
    /// The level's name as used on the command line and in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Lsoa => "lsoa",
            Level::Ward => "ward",
            Level::Borough => "borough",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        match s.to_ascii_lowercase().as_str() {
            "lsoa" => Ok(Level::Lsoa),
            "ward" => Ok(Level::Ward),
            "borough" | "la" | "lad" => Ok(Level::Borough),
            _ => Err(format!(
                "unknown level '{s}' (expected lsoa, ward or borough)"
            )),
        }
    }
}

/// The generator string written into every export's metadata.
pub const GENERATOR: &str = concat!("dxmap ", env!("CARGO_PKG_VERSION"));
