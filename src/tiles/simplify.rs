//! Per-zoom arcs: a [`Topology`] in, for one zoom, every arc simplified and
//! snapped to that zoom's global integer grid (tile units: `extent · 2^z`
//! across the world) out, with no two arcs crossing or touching except at
//! shared ends.
//!
//! Quantising at build time is exact because tile offsets are whole
//! multiples of the extent, so the grid is the same for every tile of a
//! zoom. Douglas–Peucker and snapping can make edges cross; each arc
//! involved is then re-simplified with a smaller tolerance (down to keeping
//! every point) until the arcs are clean, so rings stay simple polygons and
//! neighbours still share their edges.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::topology::{Pt, Topology};

/// A point on a zoom's global integer grid.
pub(crate) type IPt = [i64; 2];

/// The arcs' bounding boxes in world units, for finding neighbours.
pub(crate) struct ArcTree {
    tree: RTree<GeomWithData<Rectangle<Pt>, u32>>,
    boxes: Vec<[Pt; 2]>,
}

/// Builds the index of arc bounding boxes (world units).
pub(crate) fn arc_tree(topo: &Topology) -> ArcTree {
    let boxes: Vec<[Pt; 2]> = topo
        .arcs
        .iter()
        .map(|a| {
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            for p in a {
                lo = [lo[0].min(p[0]), lo[1].min(p[1])];
                hi = [hi[0].max(p[0]), hi[1].max(p[1])];
            }
            [lo, hi]
        })
        .collect();
    let tree = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .map(|(i, b)| GeomWithData::new(Rectangle::from_corners(b[0], b[1]), i as u32))
            .collect(),
    );
    ArcTree { tree, boxes }
}

/// Arc `i` simplified at `tol` (world units) and snapped to the grid of
/// `scale` units per world, without repeated points.
fn snap(topo: &Topology, i: usize, tol: f64, scale: f64) -> Vec<IPt> {
    let mut out: Vec<IPt> = Vec::new();
    for (p, imp) in topo.arcs[i].iter().zip(&topo.importance[i]) {
        if *imp > tol {
            let q = [(p[0] * scale).round() as i64, (p[1] * scale).round() as i64];
            if out.last() != Some(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// Every arc for a zoom whose grid has `scale` units per world, simplified
/// at `tol` world units where that keeps the arcs from crossing.
pub(crate) fn zoom_arcs(topo: &Topology, tree: &ArcTree, tol: f64, scale: f64) -> Vec<Vec<IPt>> {
    let n = topo.arcs.len();
    let mut tols = vec![tol; n];
    let mut arcs: Vec<Vec<IPt>> = (0..n).map(|i| snap(topo, i, tol, scale)).collect();
    let pad = 1.0 / scale;
    // Arcs under a few units across collapse at this zoom whatever the
    // tolerance, so refining them is wasted work (most arcs at low zooms).
    let min_span = 4.0 / scale;
    let mut dirty: Vec<usize> = (0..n)
        .filter(|&i| {
            let [lo, hi] = tree.boxes[i];
            (hi[0] - lo[0]).max(hi[1] - lo[1]) >= min_span
        })
        .collect();
    // Each round only rechecks arcs that changed; tolerances only shrink.
    for _round in 0..12 {
        let mut refine = vec![false; n];
        for &a in &dirty {
            let [lo, hi] = tree.boxes[a];
            let env = AABB::from_corners([lo[0] - pad, lo[1] - pad], [hi[0] + pad, hi[1] + pad]);
            for other in tree.tree.locate_in_envelope_intersecting(&env) {
                let b = other.data as usize;
                if conflict(&arcs[a], &arcs[b], a == b) {
                    refine[a] = true;
                    refine[b] = true;
                }
            }
        }
        dirty.clear();
        for (i, r) in refine.iter().enumerate() {
            if *r && tols[i] > 0.0 {
                tols[i] = if tols[i] < tol / 64.0 {
                    0.0
                } else {
                    tols[i] / 4.0
                };
                arcs[i] = snap(topo, i, tols[i], scale);
                dirty.push(i);
            }
        }
        if dirty.is_empty() {
            break;
        }
    }
    arcs
}

fn orient(a: IPt, b: IPt, c: IPt) -> i128 {
    let v = (b[0] - a[0]) as i128 * (c[1] - a[1]) as i128
        - (b[1] - a[1]) as i128 * (c[0] - a[0]) as i128;
    v.signum()
}

/// `c`, collinear with `a`–`b`, lies within their bounding box.
fn on_segment(a: IPt, b: IPt, c: IPt) -> bool {
    c[0] >= a[0].min(b[0])
        && c[0] <= a[0].max(b[0])
        && c[1] >= a[1].min(b[1])
        && c[1] <= a[1].max(b[1])
}

/// Whether segments `p` and `q` meet anywhere other than at one shared end.
fn segments_conflict(p: [IPt; 2], q: [IPt; 2]) -> bool {
    let [a, b] = p;
    let [c, d] = q;
    let shared = [a == c, a == d, b == c, b == d];
    let nshared = shared.iter().filter(|s| **s).count();
    if nshared >= 2 {
        // The same edge twice.
        return true;
    }
    if nshared == 1 {
        // Meeting at a shared end is fine unless they also overlap along a line.
        let (o, x, y) = if a == c {
            (a, b, d)
        } else if a == d {
            (a, b, c)
        } else if b == c {
            (b, a, d)
        } else {
            (b, a, c)
        };
        return orient(o, x, y) == 0 && (on_segment(o, x, y) || on_segment(o, y, x));
    }
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Whether two arcs (or one arc with itself, `same`) conflict anywhere.
fn conflict(a: &[IPt], b: &[IPt], same: bool) -> bool {
    if a.len() < 2 || b.len() < 2 {
        return false;
    }
    for i in 0..a.len() - 1 {
        let s = [a[i], a[i + 1]];
        let (sx0, sx1) = (s[0][0].min(s[1][0]), s[0][0].max(s[1][0]));
        let (sy0, sy1) = (s[0][1].min(s[1][1]), s[0][1].max(s[1][1]));
        let start = if same { i + 1 } else { 0 };
        for j in start..b.len() - 1 {
            let t = [b[j], b[j + 1]];
            if t[0][0].max(t[1][0]) < sx0
                || t[0][0].min(t[1][0]) > sx1
                || t[0][1].max(t[1][1]) < sy0
                || t[0][1].min(t[1][1]) > sy1
            {
                continue;
            }
            if segments_conflict(s, t) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_and_touching_segments_conflict() {
        assert!(segments_conflict([[0, 0], [10, 10]], [[0, 10], [10, 0]]));
        // An end on the other's interior.
        assert!(segments_conflict([[0, 0], [10, 0]], [[5, 0], [5, 5]]));
        // Collinear overlap from a shared end (a spike).
        assert!(segments_conflict([[0, 0], [10, 0]], [[0, 0], [5, 0]]));
        // Consecutive edges and disjoint edges are fine.
        assert!(!segments_conflict([[0, 0], [10, 0]], [[10, 0], [10, 5]]));
        assert!(!segments_conflict([[0, 0], [10, 0]], [[0, 1], [10, 1]]));
        assert!(!segments_conflict([[0, 0], [10, 0]], [[10, 0], [20, 0]]));
    }

    #[test]
    fn simplification_backs_off_where_it_would_cross() {
        // Two arcs from (0,0) to (100,0): a shallow bump that simplifies to a
        // straight line, and a deep one whose tip pokes across that line.
        let up: Vec<Pt> = vec![[0.0, 0.0], [50.0, 3.0], [100.0, 0.0]];
        let across: Vec<Pt> = vec![
            [0.0, 0.0],
            [40.0, -20.0],
            [50.0, 1.0],
            [60.0, -20.0],
            [100.0, 0.0],
        ];
        // Different ends so that they are separate arcs, not one.
        let rings = vec![
            [up.clone(), vec![[100.0, 50.0], [0.0, 50.0]]].concat(),
            [across.clone(), vec![[100.0, -50.0], [0.0, -50.0]]].concat(),
        ];
        let (topo, _) = super::super::topology::build(&rings);
        let tree = arc_tree(&topo);
        let plain: Vec<Vec<IPt>> = (0..topo.arcs.len())
            .map(|i| snap(&topo, i, 5.0, 1.0))
            .collect();
        let crossing = (0..plain.len())
            .any(|i| (i..plain.len()).any(|j| conflict(&plain[i], &plain[j], i == j)));
        assert!(crossing, "the plain simplification should cross: {plain:?}");
        let arcs = zoom_arcs(&topo, &tree, 5.0, 1.0);
        for i in 0..arcs.len() {
            for j in i..arcs.len() {
                assert!(
                    !conflict(&arcs[i], &arcs[j], i == j),
                    "arcs {i} and {j} conflict: {:?} {:?}",
                    arcs[i],
                    arcs[j]
                );
            }
        }
    }
}
