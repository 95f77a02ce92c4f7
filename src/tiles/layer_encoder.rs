//! The seam between cutting a layer and encoding it: one trait, implemented
//! by the MVT writer and the MLT writer, so both encode exactly the
//! features, rings and tags the cut hands them.
//!
//! In: a layer's name and extent, then features (id, valid rings in tile
//! units, tags). Out: the bytes of a single-layer tile in the
//! [`TileEncoding`] of the writer.

use std::fmt;
use std::str::FromStr;

use super::TileError;
use super::mlt::MltLayerWriter;
use super::mvt_layer::{LayerWriter, TagValue};

/// How tiles are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TileEncoding {
    /// Mapbox Vector Tile 2.1 (protobuf).
    #[default]
    Mvt,
    /// MapLibre Tile (columnar).
    Mlt,
}

impl TileEncoding {
    /// The name used in URLs and on the command line: `mvt` or `mlt`.
    pub fn as_str(self) -> &'static str {
        match self {
            TileEncoding::Mvt => "mvt",
            TileEncoding::Mlt => "mlt",
        }
    }

    /// The MIME type of a tile.
    pub fn content_type(self) -> &'static str {
        match self {
            TileEncoding::Mvt => "application/vnd.mapbox-vector-tile",
            TileEncoding::Mlt => "application/vnd.maplibre-vector-tile",
        }
    }
}

impl fmt::Display for TileEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TileEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<TileEncoding, String> {
        match s.to_ascii_lowercase().as_str() {
            "mvt" | "pbf" => Ok(TileEncoding::Mvt),
            "mlt" => Ok(TileEncoding::Mlt),
            _ => Err(format!("unknown tile encoding '{s}' (expected mvt or mlt)")),
        }
    }
}

/// A writer of one layer of one tile.
pub(crate) trait LayerEncoder<'a> {
    /// A layer called `name` whose features may use `n_keys` keys.
    fn new(name: &'a str, extent: u32, n_keys: usize) -> Self;
    /// Features written so far.
    fn len(&self) -> usize;
    /// Room for up to `features` features of `tags` tags each, so tables
    /// are sized once rather than grown.
    fn reserve(&mut self, _features: usize, _tags: usize) {}
    /// Adds a polygon feature (see [`LayerWriter::add_polygon`]).
    fn add_polygon(
        &mut self,
        id: u64,
        rings: &[Vec<[i32; 2]>],
        tags: impl IntoIterator<Item = (usize, &'a str, TagValue<'a>)>,
    ) -> Result<(), TileError>;
    /// The single-layer tile's bytes.
    fn finish(self) -> Vec<u8>;
}

impl<'a> LayerEncoder<'a> for LayerWriter<'a> {
    fn new(name: &'a str, extent: u32, n_keys: usize) -> Self {
        LayerWriter::new(name, extent, n_keys)
    }
    fn len(&self) -> usize {
        LayerWriter::len(self)
    }
    fn reserve(&mut self, features: usize, tags: usize) {
        LayerWriter::reserve(self, features, tags);
    }
    fn add_polygon(
        &mut self,
        id: u64,
        rings: &[Vec<[i32; 2]>],
        tags: impl IntoIterator<Item = (usize, &'a str, TagValue<'a>)>,
    ) -> Result<(), TileError> {
        LayerWriter::add_polygon(self, id, rings, tags);
        Ok(())
    }
    fn finish(self) -> Vec<u8> {
        LayerWriter::finish(self)
    }
}

impl<'a> LayerEncoder<'a> for MltLayerWriter<'a> {
    fn new(name: &'a str, extent: u32, n_keys: usize) -> Self {
        MltLayerWriter::new(name, extent, n_keys)
    }
    fn len(&self) -> usize {
        MltLayerWriter::len(self)
    }
    fn add_polygon(
        &mut self,
        id: u64,
        rings: &[Vec<[i32; 2]>],
        tags: impl IntoIterator<Item = (usize, &'a str, TagValue<'a>)>,
    ) -> Result<(), TileError> {
        MltLayerWriter::add_polygon(self, id, rings, tags).map_err(TileError::Other)
    }
    fn finish(self) -> Vec<u8> {
        MltLayerWriter::finish(self)
    }
}
