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

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::topology::{ArcRef, Pt, Topology, assemble};

/// A point on a zoom's global integer grid.
pub(crate) type IPt = [i64; 2];

/// One zoom's arcs in one allocation: arc `i` is
/// `points[starts[i]..starts[i + 1]]`. A `Vec` per arc cost its header and
/// the allocator's overhead for every arc at every zoom, more than the
/// points themselves at low zooms, where most arcs are two points. The
/// starts are 32-bit for the same reason (a zoom holds far fewer than 2^32
/// points; [`ZoomArcs::new`] refuses more).
///
/// Points are held in 32 bits whenever the zoom's grid fits (`extent · 2^z`
/// up to 2^31: every zoom to 19 at the default extent), half the memory of
/// the 64-bit points they are computed in; for England and Wales the arcs
/// of z0-14 are the largest thing a server or an export keeps.
#[derive(Default)]
pub(crate) enum ZoomArcs {
    /// Not prepared (the layer is not shown at this zoom).
    #[default]
    Empty,
    /// A grid up to 2^31 units across.
    Narrow {
        points: Vec<[i32; 2]>,
        starts: Vec<u32>,
    },
    /// A finer grid.
    Wide { points: Vec<IPt>, starts: Vec<u32> },
}

impl ZoomArcs {
    /// Packs one zoom's arcs, as [`zoom_arcs`] returns them; `None` when
    /// they hold 2^32 points or more.
    pub(crate) fn new(arcs: Vec<Vec<IPt>>) -> Option<ZoomArcs> {
        /// Every arc's points (`total` in all) one after another, each as
        /// `point` makes it, and where each arc starts.
        fn pack<P>(
            arcs: Vec<Vec<IPt>>,
            total: usize,
            point: impl Fn(IPt) -> P,
        ) -> (Vec<P>, Vec<u32>) {
            let mut points = Vec::with_capacity(total);
            let mut starts = Vec::with_capacity(arcs.len() + 1);
            starts.push(0);
            for a in arcs {
                points.extend(a.into_iter().map(&point));
                // In range: `new` counted the points first.
                starts.push(points.len() as u32);
            }
            (points, starts)
        }
        let total: usize = arcs.iter().map(Vec::len).sum();
        if u32::try_from(total).is_err() {
            return None;
        }
        let narrow = arcs
            .iter()
            .flatten()
            .all(|p| p.iter().all(|&c| i32::try_from(c).is_ok()));
        if narrow {
            let (points, starts) = pack(arcs, total, |p| [p[0] as i32, p[1] as i32]);
            Some(ZoomArcs::Narrow { points, starts })
        } else {
            let (points, starts) = pack(arcs, total, |p| p);
            Some(ZoomArcs::Wide { points, starts })
        }
    }

    /// True when the zoom was not prepared (no arcs).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            ZoomArcs::Empty => true,
            ZoomArcs::Narrow { starts, .. } | ZoomArcs::Wide { starts, .. } => starts.len() < 2,
        }
    }

    /// The open ring made of `refs`, each point mapped by `map` from the
    /// grid, into `out` (cleared first).
    pub(crate) fn ring<T>(&self, refs: &[ArcRef], map: impl Fn(IPt) -> T, out: &mut Vec<T>) {
        fn slice<'a, P>(points: &'a [P], starts: &[u32], i: usize) -> Option<&'a [P]> {
            let (&a, &b) = (starts.get(i)?, starts.get(i + 1)?);
            points.get(a as usize..b as usize)
        }
        match self {
            ZoomArcs::Empty => out.clear(),
            ZoomArcs::Narrow { points, starts } => assemble(
                |i| slice(points, starts, i),
                refs,
                |p| map([i64::from(p[0]), i64::from(p[1])]),
                out,
            ),
            ZoomArcs::Wide { points, starts } => {
                assemble(|i| slice(points, starts, i), refs, |p| map(*p), out)
            }
        }
    }
}

/// Each arc's bounding box (world units) and its neighbours: the arcs
/// whose boxes come within a pad of its own, the arcs it could cross once
/// simplified. Found once per layer with the pad of its coarsest zoom, so
/// every zoom's lists are within them: a pair farther apart than one grid
/// unit has disjoint integer boxes after snapping, and [`conflict`] rejects
/// it by those at once. (One search per arc and zoom was 60% of
/// [`zoom_arcs`].)
pub(crate) struct Neighbours {
    boxes: Vec<[Pt; 2]>,
    /// Arc `i`'s neighbours are `near[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    near: Vec<u32>,
}

impl Neighbours {
    fn of(&self, a: usize) -> &[u32] {
        &self.near[self.starts[a]..self.starts[a + 1]]
    }
}

/// Each arc's bounding box, world units.
fn arc_boxes(topo: &Topology) -> Vec<[Pt; 2]> {
    topo.arcs
        .iter()
        .map(|a| {
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            for p in a {
                lo = [lo[0].min(p[0]), lo[1].min(p[1])];
                hi = [hi[0].max(p[0]), hi[1].max(p[1])];
            }
            [lo, hi]
        })
        .collect()
}

/// An R-tree of boxes, each with its position.
fn box_tree(boxes: &[[Pt; 2]]) -> RTree<GeomWithData<Rectangle<Pt>, u32>> {
    RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .map(|(i, b)| GeomWithData::new(Rectangle::from_corners(b[0], b[1]), i as u32))
            .collect(),
    )
}

/// The arcs' neighbours within `pad` world units: one grid unit of the
/// coarsest zoom [`zoom_arcs`] will be asked for.
pub(crate) fn neighbours(topo: &Topology, pad: f64) -> Neighbours {
    let boxes = arc_boxes(topo);
    let tree = box_tree(&boxes);
    // Arcs in chunks across threads, each chunk's lists end to end.
    let chunks: Vec<(Vec<u32>, Vec<usize>)> = boxes
        .par_chunks(4096)
        .map(|chunk| {
            let mut near = Vec::new();
            let mut lens = Vec::with_capacity(chunk.len());
            for [lo, hi] in chunk {
                let env =
                    AABB::from_corners([lo[0] - pad, lo[1] - pad], [hi[0] + pad, hi[1] + pad]);
                let before = near.len();
                near.extend(tree.locate_in_envelope_intersecting(&env).map(|o| o.data));
                lens.push(near.len() - before);
            }
            (near, lens)
        })
        .collect();
    let mut starts = Vec::with_capacity(boxes.len() + 1);
    starts.push(0);
    let mut near = Vec::with_capacity(chunks.iter().map(|c| c.0.len()).sum());
    for (list, lens) in chunks {
        near.extend(list);
        for l in lens {
            starts.push(starts[starts.len() - 1] + l);
        }
    }
    Neighbours {
        boxes,
        starts,
        near,
    }
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
/// `near` must hold the arcs' neighbours at a pad of at least `1 / scale`.
pub(crate) fn zoom_arcs(topo: &Topology, near: &Neighbours, tol: f64, scale: f64) -> Vec<Vec<IPt>> {
    let n = topo.arcs.len();
    let mut tols = vec![tol; n];
    let mut arcs: Vec<Vec<IPt>> = (0..n).map(|i| snap(topo, i, tol, scale)).collect();
    let mut boxes: Vec<IBox> = arcs.iter().map(|a| ibox(a)).collect();
    // Arcs under a few units across collapse at this zoom whatever the
    // tolerance, so refining them is wasted work (most arcs at low zooms).
    let min_span = 4.0 / scale;
    let mut dirty: Vec<usize> = (0..n)
        .filter(|&i| {
            let [lo, hi] = near.boxes[i];
            (hi[0] - lo[0]).max(hi[1] - lo[1]) >= min_span
        })
        .collect();
    let mut in_round = vec![false; n];
    let mut refine = vec![false; n];
    // Each round only rechecks arcs that changed; tolerances only shrink.
    for _round in 0..12 {
        for &a in &dirty {
            in_round[a] = true;
        }
        for &a in &dirty {
            for &b in near.of(a) {
                let b = b as usize;
                // `dirty` is ascending, so a dirty b < a has checked this
                // pair already; and a pair already marked gains nothing.
                if (b < a && in_round[b]) || (refine[a] && refine[b]) {
                    continue;
                }
                if conflict(&arcs[a], &arcs[b], boxes[a], boxes[b], a == b) {
                    refine[a] = true;
                    refine[b] = true;
                }
            }
        }
        for &a in &dirty {
            in_round[a] = false;
        }
        dirty.clear();
        for i in 0..n {
            if std::mem::take(&mut refine[i]) && tols[i] > 0.0 {
                tols[i] = if tols[i] < tol / 64.0 {
                    0.0
                } else {
                    tols[i] / 4.0
                };
                arcs[i] = snap(topo, i, tols[i], scale);
                boxes[i] = ibox(&arcs[i]);
                dirty.push(i);
            }
        }
        if dirty.is_empty() {
            break;
        }
    }
    arcs
}

/// An integer bounding box: `[min x, min y, max x, max y]`.
type IBox = [i64; 4];

fn ibox(a: &[IPt]) -> IBox {
    a.iter()
        .fold([i64::MAX, i64::MAX, i64::MIN, i64::MIN], |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        })
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
/// `ba` and `bb` are their bounding boxes ([`ibox`]).
fn conflict(a: &[IPt], b: &[IPt], ba: IBox, bb: IBox, same: bool) -> bool {
    if a.len() < 2
        || b.len() < 2
        || ba[2] < bb[0]
        || ba[0] > bb[2]
        || ba[3] < bb[1]
        || ba[1] > bb[3]
    {
        return false;
    }
    for i in 0..a.len() - 1 {
        let s = [a[i], a[i + 1]];
        let (sx0, sx1) = (s[0][0].min(s[1][0]), s[0][0].max(s[1][0]));
        let (sy0, sy1) = (s[0][1].min(s[1][1]), s[0][1].max(s[1][1]));
        // Segments of `a` away from all of `b` meet none of its segments.
        if sx1 < bb[0] || sx0 > bb[2] || sy1 < bb[1] || sy0 > bb[3] {
            continue;
        }
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
mod tests;
