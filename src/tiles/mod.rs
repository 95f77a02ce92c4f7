//! Vector tiles: layers of WGS84 polygons with attributes in, Mapbox Vector
//! Tile bytes out.
//!
//! (Contract stub: the tiles helper fills it in.)

pub mod attributes;

use std::collections::BTreeMap;

use geo_types::MultiPolygon;

/// Errors from tile coordinates or encoding.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// z/x/y outside the pyramid or the served zoom range.
    #[error("tile {z}/{x}/{y} is out of range: {why}")]
    OutOfRange {
        /// Zoom.
        z: u32,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// Why.
        why: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// An XYZ tile address (y grows southwards, as in web maps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

impl TileCoord {
    /// A checked coordinate: z ≤ 30 and x, y < 2^z.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileCoord, TileError> {
        if z > 30 || (x as u64) >= (1u64 << z) || (y as u64) >= (1u64 << z) {
            return Err(TileError::OutOfRange {
                z,
                x,
                y,
                why: "x and y must be below 2^z and z at most 30".into(),
            });
        }
        Ok(TileCoord { z: z as u8, x, y })
    }
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue {
    /// Text.
    Str(String),
    /// Floating point.
    Num(f64),
    /// Integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
}

/// One feature to tile.
#[derive(Clone, Debug)]
pub struct FeatureData {
    /// Integer feature id (MVT `id`).
    pub id: u64,
    /// Geometry in WGS84.
    pub geometry: MultiPolygon<f64>,
    /// Attributes, in a stable order.
    pub properties: Vec<(String, PropValue)>,
}

/// One layer to tile.
#[derive(Clone, Debug)]
pub struct LayerData {
    /// Layer name, e.g. `lsoa`.
    pub name: String,
    /// Description for TileJSON.
    pub description: String,
    /// Lowest zoom at which the layer appears.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
    /// Features.
    pub features: Vec<FeatureData>,
}

/// Field names and types of a layer, for TileJSON `vector_layers`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerInfo {
    /// Layer name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Field name to "String" or "Number" or "Boolean".
    pub fields: BTreeMap<String, String>,
    /// Lowest zoom.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
}

/// Tiling options.
#[derive(Clone, Debug)]
pub struct TileOptions {
    /// Tile extent in integer units.
    pub extent: u32,
    /// Buffer around the tile, in extent units.
    pub buffer: u32,
    /// Lowest zoom served.
    pub min_zoom: u8,
    /// Highest zoom served (tiles above are over-zoomed by clients).
    pub max_zoom: u8,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            extent: 4096,
            buffer: 64,
            min_zoom: 0,
            max_zoom: 14,
        }
    }
}

/// Prepared layers from which any tile can be cut quickly.
#[derive(Debug)]
pub struct TileSet {
    layers: Vec<LayerInfo>,
    options: TileOptions,
    bounds: [f64; 4],
}

impl TileSet {
    /// Prepares layers for tiling (projection, simplification per zoom, index).
    pub fn build(layers: Vec<LayerData>, options: TileOptions) -> Result<TileSet, TileError> {
        let _ = layers;
        Ok(TileSet {
            layers: Vec::new(),
            options,
            bounds: [-180.0, -85.0, 180.0, 85.0],
        })
    }

    /// Encodes one tile: uncompressed MVT bytes, or `None` when the tile is empty.
    pub fn tile(&self, coord: TileCoord) -> Result<Option<Vec<u8>>, TileError> {
        let _ = coord;
        Ok(None)
    }

    /// Layer descriptions for TileJSON.
    pub fn layers(&self) -> &[LayerInfo] {
        &self.layers
    }

    /// Options in force.
    pub fn options(&self) -> &TileOptions {
        &self.options
    }

    /// WGS84 bounds of all features: west, south, east, north.
    pub fn bounds(&self) -> [f64; 4] {
        self.bounds
    }
}
