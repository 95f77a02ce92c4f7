//! Vector tiles: layers of WGS84 polygons with attributes in, Mapbox Vector
//! Tile 2.1 bytes out.
//!
//! [`TileSet::build`] does the heavy work once: it projects every ring to Web
//! Mercator, extracts the arcs that neighbouring polygons share
//! (`topology`), simplifies each arc once per zoom with its ends fixed (so
//! neighbours keep identical edges: no slivers, no gaps) and indexes feature
//! bounding boxes in an R-tree. [`TileSet::tile`] then only selects, clips to
//! the buffered tile (`clip`), quantises and encodes (`encode`). Rings
//! follow the spec's winding, degenerate rings are dropped, and a polygon
//! that collapses at a low zoom is kept as a one-unit square at its
//! representative point, so a choropleth is never missing an area.
//! [`tilejson`] and [`tile_range`] serve the server and the exporters.

pub mod attributes;
mod clip;
mod encode;
mod mvt_layer;
mod project;
mod simplify;
#[cfg(test)]
mod tests;
mod tilejson;
mod topology;

pub use tilejson::{candidate_tiles, tile_range, tilejson, vector_layers};

use std::collections::BTreeMap;
use std::fmt;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::dataset::label_point;

use topology::{ArcRef, Pt};

/// Largest tile we aim to serve; [`TileSet::tile`] coarsens geometry above it.
pub const MAX_TILE_BYTES: usize = 500 * 1024;

/// Simplification tolerance, in tile extent units at the tile's own zoom
/// (4096 units per tile: about a fifth of a 256-pixel tile's pixel).
const TOLERANCE_UNITS_4096: f64 = 3.0;

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
    /// Properties that appear only from a zoom on (name to first zoom); the
    /// rest appear at every zoom of the layer. Keeps overview tiles, which
    /// hold thousands of features, small.
    pub property_minzoom: BTreeMap<String, u8>,
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

/// A feature ready for cutting: rings as arcs, attributes, index data.
struct Prepared {
    id: u64,
    /// Attributes as (index into [`PreparedLayer::keys`], value).
    properties: Vec<(u16, PropValue)>,
    /// Polygons; each is its exterior ring then its holes, as arc lists.
    polygons: Vec<Vec<Vec<ArcRef>>>,
    /// Representative point inside the polygon (world units).
    point: Option<Pt>,
}

/// One layer's topology, per-zoom arcs and index.
struct PreparedLayer {
    name: String,
    minzoom: u8,
    maxzoom: u8,
    /// Property names, each stored once, with the first zoom it appears at.
    keys: Vec<(String, u8)>,
    features: Vec<Prepared>,
    /// Arcs simplified and snapped to zoom z's global grid (tile units), at
    /// index z (empty outside the layer's zooms).
    arcs_by_zoom: Vec<Vec<Vec<simplify::IPt>>>,
    tree: RTree<GeomWithData<Rectangle<Pt>, u32>>,
    /// World-unit bounding box of each feature (None without geometry).
    bboxes: Vec<Option<[f64; 4]>>,
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
        options.validate()?;
        let mut infos = Vec::with_capacity(layers.len());
        let mut prepared = Vec::with_capacity(layers.len());
        let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for layer in layers {
            if infos.iter().any(|l: &LayerInfo| l.name == layer.name) {
                return Err(TileError::Other(format!(
                    "layer {}: the name is used twice",
                    layer.name
                )));
            }
            if layer.minzoom > layer.maxzoom {
                return Err(TileError::Other(format!(
                    "layer {}: minzoom {} exceeds maxzoom {}",
                    layer.name, layer.minzoom, layer.maxzoom
                )));
            }
            infos.push(LayerInfo::of(&layer));
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
        let cut =
            |i: usize, coarsen: u8| encode::cut_layer(self, coord, &self.prepared[i], coarsen);
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
        Ok(Some(parts.into_iter().flatten().flatten().collect()))
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
        let mut fields = BTreeMap::new();
        for f in &layer.features {
            for (k, v) in &f.properties {
                fields
                    .entry(k.clone())
                    .or_insert_with(|| v.type_name().to_string());
            }
        }
        let field_minzoom = layer
            .property_minzoom
            .iter()
            .filter(|(k, _)| fields.contains_key(*k))
            .map(|(k, &z)| (k.clone(), z))
            .collect();
        LayerInfo {
            name: layer.name.clone(),
            description: layer.description.clone(),
            fields,
            minzoom: layer.minzoom,
            maxzoom: layer.maxzoom,
            field_minzoom,
        }
    }
}

/// Projects a WGS84 ring to an open ring in world units without repeated
/// points; `None` when fewer than three points remain.
fn project_ring(ls: &LineString<f64>, bounds: &mut [f64; 4]) -> Result<Option<Vec<Pt>>, String> {
    let mut out: Vec<Pt> = Vec::with_capacity(ls.0.len());
    for (i, c) in ls.0.iter().enumerate() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(format!("point {i} is not finite"));
        }
        bounds[0] = bounds[0].min(c.x);
        bounds[1] = bounds[1].min(c.y);
        bounds[2] = bounds[2].max(c.x);
        bounds[3] = bounds[3].max(c.y);
        let p = project::to_world(c.x, c.y);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    Ok((out.len() >= 3).then_some(out))
}

/// Prepares `layer`, consuming it: each feature's geometry is dropped once
/// projected and its attributes are moved, not copied, so the layer is not
/// held twice.
fn prepare_layer(
    layer: LayerData,
    options: &TileOptions,
    bounds: &mut [f64; 4],
) -> Result<PreparedLayer, TileError> {
    let LayerData {
        name,
        minzoom,
        maxzoom,
        property_minzoom,
        features,
        ..
    } = layer;
    let n = features.len();
    // All rings of the layer in one list; polygons refer to them by index.
    let mut rings: Vec<Vec<Pt>> = Vec::new();
    let mut shapes: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    let mut bboxes = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let mut keys: Vec<(String, u8)> = Vec::new();
    let mut key_ids: BTreeMap<String, u16> = BTreeMap::new();
    let mut props = Vec::with_capacity(n);
    for f in features {
        let err = |why: String| TileError::Other(format!("layer {name}: feature {}: {why}", f.id));
        let mut polys = Vec::new();
        let mut world = Vec::new();
        for (pi, poly) in f.geometry.0.iter().enumerate() {
            let Some(ext) = project_ring(poly.exterior(), bounds)
                .map_err(|e| err(format!("polygon {pi}: exterior: {e}")))?
            else {
                continue;
            };
            let mut ring_ids = vec![rings.len()];
            let mut holes = Vec::new();
            rings.push(ext.clone());
            for (hi, hole) in poly.interiors().iter().enumerate() {
                if let Some(h) = project_ring(hole, bounds)
                    .map_err(|e| err(format!("polygon {pi}: hole {hi}: {e}")))?
                {
                    ring_ids.push(rings.len());
                    rings.push(h.clone());
                    holes.push(h);
                }
            }
            world.push(to_polygon(ext, holes));
            polys.push(ring_ids);
        }
        let mp = MultiPolygon(world);
        let bbox = ring_bbox(polys.iter().flatten().flat_map(|&r| rings[r].iter()));
        // A point inside the widest part; the bounding-box centre when the
        // geometry is too thin to have one.
        let point = label_point(&mp)
            .map(|p| [p.x(), p.y()])
            .or(bbox.map(|b| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]));
        shapes.push(polys);
        points.push(point);
        bboxes.push(bbox);
        ids.push(f.id);

        let mut p = Vec::with_capacity(f.properties.len());
        for (k, v) in f.properties {
            let i = match key_ids.get(k.as_str()) {
                Some(&i) => i,
                None => {
                    let i = u16::try_from(keys.len()).map_err(|_| {
                        TileError::Other(format!("layer {name}: more than 65536 property names"))
                    })?;
                    let z = property_minzoom.get(&k).copied().unwrap_or(0);
                    keys.push((k.clone(), z));
                    key_ids.insert(k, i);
                    i
                }
            };
            p.push((i, v));
        }
        props.push(p);
    }

    let (topo, ring_arcs) = topology::build(&rings);
    let arc_tree = simplify::arc_tree(&topo);
    let lo = options.min_zoom.max(minzoom);
    let hi = options.max_zoom.min(maxzoom);
    let extent = f64::from(options.extent);
    let arcs_by_zoom: Vec<Vec<Vec<simplify::IPt>>> = (0..=options.max_zoom)
        .into_par_iter()
        .map(|z| {
            if z < lo || z > hi {
                return Vec::new();
            }
            let scale = extent * f64::from(1u32 << z);
            let tol = TOLERANCE_UNITS_4096 * extent / 4096.0 / scale;
            simplify::zoom_arcs(&topo, &arc_tree, tol, scale)
        })
        .collect();

    let features = ids
        .into_iter()
        .zip(shapes)
        .zip(points)
        .zip(props)
        .map(|(((id, polys), point), properties)| Prepared {
            id,
            properties,
            polygons: polys
                .into_iter()
                .map(|ids| ids.into_iter().map(|r| ring_arcs[r].clone()).collect())
                .collect(),
            point,
        })
        .collect();
    let tree = RTree::bulk_load(
        bboxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                b.map(|b| {
                    GeomWithData::new(
                        Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]),
                        i as u32,
                    )
                })
            })
            .collect(),
    );
    Ok(PreparedLayer {
        name,
        minzoom,
        maxzoom,
        keys,
        features,
        arcs_by_zoom,
        tree,
        bboxes,
    })
}

fn to_polygon(ext: Vec<Pt>, holes: Vec<Vec<Pt>>) -> Polygon<f64> {
    let ls = |r: Vec<Pt>| LineString(r.into_iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    Polygon::new(ls(ext), holes.into_iter().map(ls).collect())
}

fn ring_bbox<'a>(pts: impl Iterator<Item = &'a Pt>) -> Option<[f64; 4]> {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut any = false;
    for p in pts {
        any = true;
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    any.then_some(b)
}
