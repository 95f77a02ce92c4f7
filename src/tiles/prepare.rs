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

/// A feature ready for cutting: its id, attributes and representative
/// point, and where its polygons lie in its layer's [`Shapes`]
/// ([`PreparedLayer::polygons`]). A vector per polygon and per ring cost
/// England and Wales about 150 bytes a feature in headers and allocator
/// overhead. (The attributes stay one vector a feature: one flat list
/// would be allocated while the features' own properties are still held,
/// 22 MB more at the peak of a national export.)
pub(super) struct Prepared {
    pub(super) id: u64,
    /// Attributes (keys index [`PreparedLayer::keys`], strings
    /// [`PreparedLayer::strings`]).
    pub(super) properties: Vec<Attr>,
    /// Representative point inside the polygon (world units).
    pub(super) point: Option<Pt>,
    polygons: Span,
}

/// A range of indices into one of a layer's flat lists.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Every polygon of a layer as arc lists, in three flat lists, each cut by
/// starts as [`ZoomArcs`](simplify::ZoomArcs) cuts its points: polygon `p`
/// is rings `polygon_starts[p]..polygon_starts[p + 1]`, ring `r` is arcs
/// `ring_starts[r]..ring_starts[r + 1]`.
pub(super) struct Shapes {
    arcs: Vec<ArcRef>,
    ring_starts: Vec<u32>,
    polygon_starts: Vec<u32>,
}

/// One polygon of a [`Shapes`]: its exterior ring then its holes.
pub(super) struct PolygonArcs<'a> {
    shapes: &'a Shapes,
    rings: std::ops::Range<usize>,
}

impl<'a> PolygonArcs<'a> {
    /// Number of rings.
    pub(super) fn len(&self) -> usize {
        self.rings.len()
    }

    /// Each ring's arcs, exterior first.
    pub(super) fn rings(self) -> impl Iterator<Item = &'a [ArcRef]> {
        let s = self.shapes;
        self.rings.map(move |r| &s.arcs[cut(&s.ring_starts, r)])
    }
}

/// Piece `i` of a list cut by `starts` (which begins with 0).
fn cut(starts: &[u32], i: usize) -> std::ops::Range<usize> {
    starts[i] as usize..starts[i + 1] as usize
}

impl Shapes {
    /// Empty lists with room for exactly this many arcs, rings and polygons.
    fn with_capacity(arcs: usize, rings: usize, polygons: usize) -> Shapes {
        let starts = |n: usize| {
            let mut v = Vec::with_capacity(n + 1);
            v.push(0);
            v
        };
        Shapes {
            arcs: Vec::with_capacity(arcs),
            ring_starts: starts(rings),
            polygon_starts: starts(polygons),
        }
    }

    /// Adds one polygon (its rings' arc lists, exterior first); `None` past
    /// 2^32 arcs or rings.
    fn push<'r>(&mut self, rings: impl IntoIterator<Item = &'r [ArcRef]>) -> Option<()> {
        for r in rings {
            self.arcs.extend_from_slice(r);
            self.ring_starts.push(u32::try_from(self.arcs.len()).ok()?);
        }
        let n_rings = self.ring_starts.len() - 1;
        self.polygon_starts.push(u32::try_from(n_rings).ok()?);
        Some(())
    }

    /// Number of polygons.
    fn len(&self) -> usize {
        self.polygon_starts.len() - 1
    }

    fn polygon(&self, p: usize) -> PolygonArcs<'_> {
        PolygonArcs {
            shapes: self,
            rings: cut(&self.polygon_starts, p),
        }
    }
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
    /// Every feature's polygons, one feature after another.
    shapes: Shapes,
    /// Arcs simplified and snapped to zoom z's global grid (tile units), at
    /// index z (empty outside the layer's zooms).
    pub(super) arcs_by_zoom: Vec<simplify::ZoomArcs>,
    pub(super) tree: RTree<GeomWithData<Rectangle<Pt>, u32>>,
    /// World-unit bounding box of each feature (None without geometry).
    pub(super) bboxes: Vec<Option<[f64; 4]>>,
}

impl PreparedLayer {
    /// `f`'s polygons, each its exterior ring then its holes as arc lists.
    pub(super) fn polygons(&self, f: &Prepared) -> impl Iterator<Item = PolygonArcs<'_>> {
        f.polygons.range().map(|p| self.shapes.polygon(p))
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
    // Each feature's polygons, each as the indices of its rings in `rings`.
    let mut feature_rings: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n);
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
        feature_rings.push(polys);
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
    let lo = options.min_zoom.max(minzoom);
    let hi = options.max_zoom.min(maxzoom);
    let extent = f64::from(options.extent);
    let scale_of = |z: u8| extent * f64::from(1u32 << z);
    // One grid unit of the coarsest zoom cut (see `simplify::Neighbours`).
    let near = (lo <= hi).then(|| simplify::neighbours(&topo, 1.0 / scale_of(lo)));
    let arcs_by_zoom: Vec<simplify::ZoomArcs> = (0..=options.max_zoom)
        .into_par_iter()
        .map(|z| {
            let Some(near) = near.as_ref().filter(|_| z >= lo && z <= hi) else {
                return Ok(simplify::ZoomArcs::default());
            };
            let scale = scale_of(z);
            let tol = TOLERANCE_UNITS_4096 * extent / 4096.0 / scale;
            simplify::ZoomArcs::new(simplify::zoom_arcs(&topo, near, tol, scale)).ok_or_else(|| {
                TileError::Other(format!("layer {name}: zoom {z}: 2^32 or more arc points"))
            })
        })
        .collect::<Result<_, _>>()?;

    let mut flat = Shapes::with_capacity(
        ring_arcs.iter().map(Vec::len).sum(),
        ring_arcs.len(),
        feature_rings.iter().map(Vec::len).sum(),
    );
    let mut features = Vec::with_capacity(n);
    let too_many = || TileError::Other(format!("layer {name}: 2^32 or more rings or arcs"));
    for (((id, polys), point), properties) in
        ids.into_iter().zip(feature_rings).zip(points).zip(props)
    {
        let start = flat.len();
        for rings in polys {
            flat.push(rings.iter().map(|&r| &ring_arcs[r][..]))
                .ok_or_else(too_many)?;
        }
        features.push(Prepared {
            id,
            properties,
            point,
            polygons: span(start, flat.len()).ok_or_else(too_many)?,
        });
    }
    drop(ring_arcs);
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
        shapes: flat,
        arcs_by_zoom,
        tree,
        bboxes,
    })
}

/// `start..end` as a [`Span`]; `None` past 2^32.
fn span(start: usize, end: usize) -> Option<Span> {
    Some(Span {
        start: u32::try_from(start).ok()?,
        end: u32::try_from(end).ok()?,
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
