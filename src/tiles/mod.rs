//! Vector tiles: layers of WGS84 polygons with attributes in, Mapbox Vector
//! Tile 2.1 bytes (or MapLibre Tile bytes, [`TileEncoding::Mlt`]) out.
//!
//! [`TileSet::build`] does the heavy work once (`prepare`): it projects
//! every ring to Web Mercator, extracts the arcs that neighbouring polygons
//! share (`topology`), simplifies each arc once per zoom with its ends fixed
//! (so neighbours keep identical edges: no slivers, no gaps) and indexes
//! feature bounding boxes in an R-tree. [`TileSet::tile`] then only selects, clips to
//! the buffered tile (`clip`), quantises and encodes (`encode`, through
//! the MVT writer `mvt_layer` or the MLT writer `mlt`). Rings follow the
//! spec's winding, degenerate rings are dropped, and a polygon
//! that collapses at a low zoom is kept as a one-unit square at its
//! representative point, so a choropleth is never missing an area.
//! [`tilejson`] and [`tile_range`] serve the server and the exporters.

pub mod attributes;
mod clip;
mod encode;
mod gzip;
mod keyed;
mod layer_encoder;
mod mlt;
mod mvt_layer;
mod prepare;
mod project;
mod simplify;
#[cfg(test)]
mod tests;
mod tilejson;
mod topology;
mod values;

pub use gzip::{GzipMemo, TILE_GZIP_LEVEL, gzip};
pub use keyed::{KeyedFeature, KeyedLayer};
pub use layer_encoder::TileEncoding;
pub use tilejson::{candidate_tiles, tile_range, tilejson, vector_layers};

use std::collections::BTreeMap;
use std::fmt;

use geo_types::MultiPolygon;

use prepare::{PreparedLayer, prepare_layer};

/// Largest tile we aim to serve; [`TileSet::tile`] coarsens geometry above it.
pub const MAX_TILE_BYTES: usize = 500 * 1024;

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

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
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

impl PropValue {
    /// The TileJSON field type: "String", "Number" or "Boolean".
    pub fn type_name(&self) -> &'static str {
        match self {
            PropValue::Str(_) => "String",
            PropValue::Num(_) | PropValue::Int(_) => "Number",
            PropValue::Bool(_) => "Boolean",
        }
    }
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

/// What a layer is apart from its features: its name, description and
/// zooms. [`LayerData`] and [`KeyedLayer`] both carry one.
#[derive(Clone, Debug, Default)]
pub struct LayerMeta {
    /// Layer name, e.g. `lsoa`.
    pub name: String,
    /// Description for TileJSON.
    pub description: String,
    /// Lowest zoom at which the layer appears.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
    /// Properties that appear only from a zoom on (name to first zoom); the
    /// rest appear at every zoom of the layer. Keeps overview tiles, which
    /// hold thousands of features, small.
    pub property_minzoom: BTreeMap<String, u8>,
}

/// One layer to tile, its features naming their attributes.
#[derive(Clone, Debug)]
pub struct LayerData {
    /// Name, description and zooms.
    pub meta: LayerMeta,
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
    /// Fields that appear only from a zoom on (see [`LayerData::property_minzoom`]).
    pub field_minzoom: BTreeMap<String, u8>,
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

impl TileOptions {
    /// Checks that the options describe a usable pyramid.
    pub fn validate(&self) -> Result<(), TileError> {
        let bad = |why: String| Err(TileError::Other(format!("tile options: {why}")));
        if !(16..=1 << 16).contains(&self.extent) {
            return bad(format!("extent {} is not within 16..=65536", self.extent));
        }
        if self.buffer > self.extent {
            return bad(format!(
                "buffer {} exceeds extent {}",
                self.buffer, self.extent
            ));
        }
        if self.min_zoom > self.max_zoom {
            return bad(format!(
                "min_zoom {} exceeds max_zoom {}",
                self.min_zoom, self.max_zoom
            ));
        }
        if self.max_zoom > 22 {
            return bad(format!("max_zoom {} exceeds 22", self.max_zoom));
        }
        Ok(())
    }
}

/// Prepared layers from which any tile can be cut quickly.
pub struct TileSet {
    layers: Vec<LayerInfo>,
    options: TileOptions,
    bounds: [f64; 4],
    prepared: Vec<PreparedLayer>,
}

impl fmt::Debug for TileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileSet")
            .field("layers", &self.layers)
            .field("options", &self.options)
            .field("bounds", &self.bounds)
            .finish_non_exhaustive()
    }
}

impl TileSet {
    /// Prepares layers for tiling (projection, simplification per zoom, index).
    pub fn build(layers: Vec<LayerData>, options: TileOptions) -> Result<TileSet, TileError> {
        TileSet::build_keyed(layers.into_iter().map(KeyedLayer::from), options)
    }

    /// [`TileSet::build`] for layers whose attribute names are stored once;
    /// their attributes are moved into the tile set, not copied.
    pub fn build_keyed<'a>(
        layers: impl IntoIterator<Item = KeyedLayer<'a>>,
        options: TileOptions,
    ) -> Result<TileSet, TileError> {
        options.validate()?;
        let mut infos = Vec::new();
        let mut prepared = Vec::new();
        let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for layer in layers {
            if infos.iter().any(|l: &LayerInfo| l.name == layer.meta.name) {
                return Err(TileError::Other(format!(
                    "layer {}: the name is used twice",
                    layer.meta.name
                )));
            }
            if layer.meta.minzoom > layer.meta.maxzoom {
                return Err(TileError::Other(format!(
                    "layer {}: minzoom {} exceeds maxzoom {}",
                    layer.meta.name, layer.meta.minzoom, layer.meta.maxzoom
                )));
            }
            infos.push(LayerInfo::of_keyed(&layer));
            prepared.push(prepare_layer(layer, &options, &mut bounds)?);
        }
        if bounds[0] > bounds[2] {
            bounds = [-180.0, -project::MAX_LAT, 180.0, project::MAX_LAT];
        }
        Ok(TileSet {
            layers: infos,
            options,
            bounds,
            prepared,
        })
    }

    /// Encodes one tile: uncompressed MVT bytes, or `None` when the tile is empty.
    ///
    /// Zooms outside `min_zoom..=max_zoom` are [`TileError::OutOfRange`].
    pub fn tile(&self, coord: TileCoord) -> Result<Option<Vec<u8>>, TileError> {
        self.tile_as(coord, TileEncoding::Mvt)
    }

    /// Encodes one tile in `encoding` (as [`TileSet::tile`]); the size limit
    /// applies to the bytes of that encoding.
    pub fn tile_as(
        &self,
        coord: TileCoord,
        encoding: TileEncoding,
    ) -> Result<Option<Vec<u8>>, TileError> {
        let TileCoord { z, x, y } = coord;
        if z < self.options.min_zoom || z > self.options.max_zoom {
            return Err(TileError::OutOfRange {
                z: z as u32,
                x,
                y,
                why: format!(
                    "zoom must be within {}..={}",
                    self.options.min_zoom, self.options.max_zoom
                ),
            });
        }
        if z > 30 || (x as u64) >= (1u64 << z) || (y as u64) >= (1u64 << z) {
            return Err(TileError::OutOfRange {
                z: z as u32,
                x,
                y,
                why: "x and y must be below 2^z".into(),
            });
        }
        let cut = |i: usize, coarsen: u8| {
            let layer = &self.prepared[i];
            match encoding {
                TileEncoding::Mvt => {
                    encode::cut_layer::<mvt_layer::LayerWriter>(self, coord, layer, coarsen)
                }
                TileEncoding::Mlt => {
                    encode::cut_layer::<mlt::MltLayerWriter>(self, coord, layer, coarsen)
                }
            }
        };
        let mut coarsen = vec![0u8; self.prepared.len()];
        let mut parts = (0..self.prepared.len())
            .map(|i| cut(i, 0))
            .collect::<Result<Vec<_>, _>>()?;
        // Too big: coarsen the geometry (use a lower zoom's arcs) of the
        // largest layer only, and stop when that layer cannot coarsen any
        // more. Coarsening every layer together wrecked small outline layers
        // (boroughs drawn with zoom 0 arcs at zoom 10) while the bytes were
        // in the choropleth's attributes, which no coarsening removes.
        loop {
            let size: usize = parts.iter().flatten().map(Vec::len).sum();
            if size <= MAX_TILE_BYTES {
                break;
            }
            let Some(i) = (0..parts.len())
                .max_by_key(|&i| (parts[i].as_ref().map_or(0, Vec::len), std::cmp::Reverse(i)))
            else {
                break;
            };
            if !encode::can_coarsen(&self.prepared[i], z, coarsen[i]) {
                tracing::warn!(tile = %coord, bytes = size, "tile exceeds the size limit");
                break;
            }
            coarsen[i] += 1;
            parts[i] = cut(i, coarsen[i])?;
        }
        if parts.iter().all(Option::is_none) {
            return Ok(None);
        }
        // A tile's layers field is repeated: single-layer tiles concatenate.
        let mut parts = parts.into_iter().flatten();
        let mut tile = parts.next().unwrap_or_default();
        for p in parts {
            tile.extend_from_slice(&p);
        }
        Ok(Some(tile))
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

impl LayerInfo {
    /// The TileJSON description of `layer`: its fields (first type seen wins).
    pub fn of(layer: &LayerData) -> LayerInfo {
        LayerInfo::describe(
            &layer.meta,
            layer
                .features
                .iter()
                .flat_map(|f| f.properties.iter().map(|(k, v)| (k.as_str(), v))),
        )
    }

    /// A layer's description from its attributes, in feature order.
    fn describe<'a>(
        meta: &LayerMeta,
        properties: impl Iterator<Item = (&'a str, &'a PropValue)>,
    ) -> LayerInfo {
        let mut fields = BTreeMap::new();
        for (k, v) in properties {
            if !fields.contains_key(k) {
                fields.insert(k.to_string(), v.type_name().to_string());
            }
        }
        let field_minzoom = meta
            .property_minzoom
            .iter()
            .filter(|(k, _)| fields.contains_key(*k))
            .map(|(k, &z)| (k.clone(), z))
            .collect();
        LayerInfo {
            name: meta.name.clone(),
            description: meta.description.clone(),
            fields,
            minzoom: meta.minzoom,
            maxzoom: meta.maxzoom,
            field_minzoom,
        }
    }
}
