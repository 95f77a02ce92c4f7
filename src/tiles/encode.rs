//! Cutting one layer of one tile: a [`TileSet`], a [`TileCoord`] and a layer
//! in, the MVT bytes of a single-layer tile out.
//!
//! Selects candidate features from the layer's R-tree, assembles their rings
//! from the arcs simplified for the zoom, clips them to the buffered tile
//! (polygon intersection),
//! quantises, fixes the winding (exterior positive by the spec's formula,
//! holes negative) and encodes with a [`LayerEncoder`] (the MVT or the MLT
//! writer), which does not validate, so every ring handed to it is already
//! valid.

use rstar::AABB;

use super::clip::{area2, clip_polygon, quantise_into};
use super::layer_encoder::LayerEncoder;
use super::prepare::PreparedLayer;
use super::simplify::IPt;
use super::topology::Pt;
use super::{TileCoord, TileError, TileSet};

/// Encodes one layer of `coord` as a single-layer tile, using arcs
/// simplified `coarsen` zooms lower than the tile's (0 normally). `None`
/// when the layer has no feature in the tile.
///
/// A tile of several layers is the concatenation of its single-layer tiles
/// (a protobuf repeated field), so [`TileSet::tile`] can size and coarsen
/// each layer on its own.
pub(crate) fn cut_layer<'a, W: LayerEncoder<'a>>(
    set: &TileSet,
    coord: TileCoord,
    layer: &'a PreparedLayer,
    coarsen: u8,
) -> Result<Option<Vec<u8>>, TileError> {
    let opts = &set.options;
    let extent = f64::from(opts.extent);
    let buffer = f64::from(opts.buffer);
    let n = f64::from(1u32 << coord.z);
    let mut polyf: Vec<Vec<[f64; 2]>> = Vec::new();
    if coord.z < layer.minzoom || coord.z > layer.maxzoom {
        return Ok(None);
    }
    let gz = geometry_zoom(layer, coord.z, coarsen);
    let Some(arcs) = layer.arcs_by_zoom.get(gz as usize) else {
        return Ok(None);
    };
    // Buffered tile in world units.
    let b = buffer / extent;
    let env = AABB::from_corners(
        [(f64::from(coord.x) - b) / n, (f64::from(coord.y) - b) / n],
        [
            (f64::from(coord.x) + 1.0 + b) / n,
            (f64::from(coord.y) + 1.0 + b) / n,
        ],
    );
    let mut hits: Vec<u32> = layer
        .tree
        .locate_in_envelope_intersecting(&env)
        .map(|g| g.data)
        .collect();
    hits.sort_unstable();
    let to_tile = |p: &Pt| {
        [
            (p[0] * n - f64::from(coord.x)) * extent,
            (p[1] * n - f64::from(coord.y)) * extent,
        ]
    };
    // Arcs are on zoom gz's global grid; bring them to this tile's units.
    let k = (1i64 << (coord.z - gz)) as f64;
    let (ox, oy) = (f64::from(coord.x) * extent, f64::from(coord.y) * extent);
    let grid_to_tile = |p: IPt| [p[0] as f64 * k - ox, p[1] as f64 * k - oy];

    let mut out = W::new(&layer.name, opts.extent, layer.keys.len());
    let n_tags = layer.keys.iter().filter(|k| k.1 <= coord.z).count();
    out.reserve(hits.len(), n_tags);
    // A feature's output rings are `rings[..used]`; the vectors are kept
    // from feature to feature, so quantising does not allocate.
    let mut rings: Vec<Vec<[i32; 2]>> = Vec::new();
    for &fi in &hits {
        let Some(f) = layer.features.get(fi as usize) else {
            continue;
        };
        let mut used = 0;
        for poly in layer.polygons(f) {
            // Each ring into a buffer kept from the polygons before.
            let n_rings = poly.len();
            if polyf.len() < n_rings {
                polyf.resize_with(n_rings, Vec::new);
            }
            for (refs, ring) in poly.rings().zip(polyf.iter_mut()) {
                arcs.ring(refs, grid_to_tile, ring);
            }
            let input = &polyf[..n_rings];
            let clipped = clip_polygon(input, -buffer, extent + buffer);
            for part in clipped.parts(input) {
                for (ri, ring) in part.iter().enumerate() {
                    let q = ring_slot(&mut rings, used);
                    quantise_into(ring, q);
                    let a = area2(q);
                    if a == 0 {
                        if ri == 0 {
                            // Holes of a vanished exterior go with it.
                            break;
                        }
                        continue;
                    }
                    if (ri == 0) != (a > 0) {
                        q.reverse();
                    }
                    used += 1;
                }
            }
        }
        if used == 0 {
            // Collapsed at this zoom: keep a one-unit square in the tile
            // holding its representative point, so the area stays on the map.
            let Some(p) = f.point.map(|p| to_tile(&p)) else {
                continue;
            };
            if !(p[0] >= 0.0 && p[0] < extent && p[1] >= 0.0 && p[1] < extent) {
                continue;
            }
            let max = opts.extent as i32 - 1;
            let (x, y) = (
                (p[0].floor() as i32).clamp(0, max),
                (p[1].floor() as i32).clamp(0, max),
            );
            let q = ring_slot(&mut rings, 0);
            q.clear();
            q.extend([[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1]]);
            used = 1;
        }
        let rings = &mut rings[..used];
        start_rings_apart(rings);
        let tags = f.properties.iter().filter_map(|a| {
            let ki = a.key();
            let (k, minzoom) = layer.keys.get(ki)?;
            if coord.z < *minzoom {
                return None;
            }
            Some((ki, k.as_str(), a.tag(&layer.strings)?))
        });
        out.add_polygon(f.id, rings, tags)
            .map_err(|e| TileError::Other(format!("tile {coord}: layer {}: {e}", layer.name)))?;
    }
    if out.len() == 0 {
        return Ok(None);
    }
    Ok(Some(out.finish()))
}

/// Ring vector `i` of those kept between features (`i` at most one past
/// the last), made when first needed.
fn ring_slot(rings: &mut Vec<Vec<[i32; 2]>>, i: usize) -> &mut Vec<[i32; 2]> {
    if rings.len() == i {
        rings.push(Vec::new());
    }
    &mut rings[i]
}

/// Whether one more step of coarsening changes the arcs `layer` uses at `z`.
pub(crate) fn can_coarsen(layer: &PreparedLayer, z: u8, coarsen: u8) -> bool {
    coarsen < z && geometry_zoom(layer, z, coarsen + 1) < geometry_zoom(layer, z, coarsen)
}

/// The zoom whose arcs a tile at `z` uses, `coarsen` steps lower but never
/// below the first zoom prepared for the layer.
fn geometry_zoom(layer: &PreparedLayer, z: u8, coarsen: u8) -> u8 {
    let mut gz = z.saturating_sub(coarsen);
    while gz < z
        && layer
            .arcs_by_zoom
            .get(gz as usize)
            .is_none_or(|a| a.is_empty())
    {
        gz += 1;
    }
    gz
}

/// MVT drops a ring's MoveTo when it starts where the previous ring ended;
/// such a ring starts one point later instead (rings have 3+ points).
fn start_rings_apart(rings: &mut [Vec<[i32; 2]>]) {
    let mut last: Option<[i32; 2]> = None;
    for ring in rings.iter_mut() {
        if ring.first() == last.as_ref() {
            ring.rotate_left(1);
        }
        last = ring.last().copied();
    }
}
