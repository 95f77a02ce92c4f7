//! Preparing a layer for cutting: a [`KeyedLayer`] in, a [`PreparedLayer`]
//! out. Every ring is projected to Web Mercator world units (repeated and
//! closing points dropped, rings of under three points skipped), the
//! layer's shared arcs are extracted (`topology`) and simplified once per
//! zoom (`simplify`), attribute names are kept once with the zoom they
//! enter at (the attributes are moved, not copied), and feature bounding boxes go into an R-tree, so that
//! [`TileSet::tile`](super::TileSet::tile) only selects, clips and encodes.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::topology::{self, ArcRef, Pt};
use super::values::{Attr, Strings, StringsBuilder};
use super::{KeyedLayer, LayerMeta, TileError, TileOptions, project, simplify};
use crate::dataset::label_point;

/// Simplification tolerance, in tile extent units at the tile's own zoom
/// (4096 units per tile: about a fifth of a 256-pixel tile's pixel).
const TOLERANCE_UNITS_4096: f64 = 3.0;

/// A feature ready for cutting: rings as arcs, attributes, index data.
pub(super) struct Prepared {
    pub(super) id: u64,
    /// Attributes (keys index [`PreparedLayer::keys`], strings
    /// [`PreparedLayer::strings`]).
    pub(super) properties: Vec<Attr>,
    /// Polygons; each is its exterior ring then its holes, as arc lists.
    pub(super) polygons: Vec<Vec<Vec<ArcRef>>>,
    /// Representative point inside the polygon (world units).
    pub(super) point: Option<Pt>,
}

/// One layer's topology, per-zoom arcs and index.
pub(super) struct PreparedLayer {
    pub(super) name: String,
    pub(super) minzoom: u8,
    pub(super) maxzoom: u8,
    /// Property names, each stored once, with the first zoom it appears at.
    pub(super) keys: Vec<(String, u8)>,
    /// The distinct string values of the layer's attributes.
    pub(super) strings: Strings,
    pub(super) features: Vec<Prepared>,
    /// Arcs simplified and snapped to zoom z's global grid (tile units), at
    /// index z (empty outside the layer's zooms).
    pub(super) arcs_by_zoom: Vec<simplify::ZoomArcs>,
    pub(super) tree: RTree<GeomWithData<Rectangle<Pt>, u32>>,
    /// World-unit bounding box of each feature (None without geometry).
    pub(super) bboxes: Vec<Option<[f64; 4]>>,
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
pub(super) fn prepare_layer(
    layer: KeyedLayer<'_>,
    options: &TileOptions,
    bounds: &mut [f64; 4],
) -> Result<PreparedLayer, TileError> {
    let KeyedLayer {
        meta:
            LayerMeta {
                name,
                minzoom,
                maxzoom,
                property_minzoom,
                ..
            },
        keys,
        features,
    } = layer;
    let keys: Vec<(String, u8)> = keys
        .into_iter()
        .map(|k| {
            let z = property_minzoom.get(&k).copied().unwrap_or(0);
            (k, z)
        })
        .collect();
    let n = features.len();
    // All rings of the layer in one list; polygons refer to them by index.
    let mut rings: Vec<Vec<Pt>> = Vec::new();
    let mut shapes: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n);
    let mut points = Vec::with_capacity(n);
    let mut bboxes = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let mut props = Vec::with_capacity(n);
    let mut strings = StringsBuilder::default();
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

        // A new vector, not `into_iter().map().collect()`: that collects in
        // place, keeping each feature's 40-byte-per-attribute buffer for
        // 12-byte attributes (~45 MB held for England and Wales).
        let mut attrs = Vec::with_capacity(f.properties.len());
        for (k, v) in f.properties {
            attrs.push(Attr::new(k, v, &mut strings).ok_or_else(|| {
                err("more than 2^30 attribute names or 2^32 distinct strings in the layer".into())
            })?);
        }
        props.push(attrs);
    }

    let (topo, ring_arcs) = topology::build(&rings);
    // The topology holds every point now; the rings were a second copy.
    drop(rings);
    let arc_tree = simplify::arc_tree(&topo);
    let lo = options.min_zoom.max(minzoom);
    let hi = options.max_zoom.min(maxzoom);
    let extent = f64::from(options.extent);
    let arcs_by_zoom: Vec<simplify::ZoomArcs> = (0..=options.max_zoom)
        .into_par_iter()
        .map(|z| {
            if z < lo || z > hi {
                return simplify::ZoomArcs::default();
            }
            let scale = extent * f64::from(1u32 << z);
            let tol = TOLERANCE_UNITS_4096 * extent / 4096.0 / scale;
            simplify::ZoomArcs::new(simplify::zoom_arcs(&topo, &arc_tree, tol, scale))
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
        strings: strings.finish(),
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
