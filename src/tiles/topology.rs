//! Shared-arc topology: polygon rings (in projected units) in, arcs out.
//!
//! Rings are cut at nodes, the points where the set of neighbouring rings
//! changes (as in TopoJSON), so a boundary shared by two polygons becomes one
//! arc that both reference, one of them reversed. Each arc is simplified once
//! per zoom with its endpoints fixed, so neighbours keep sharing exactly the
//! same simplified edge: no slivers, no gaps.

use rustc_hash::FxHashMap as HashMap;

/// A point in projected (world) units.
pub(crate) type Pt = [f64; 2];

/// A reference from a ring to an arc, possibly walked backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArcRef {
    /// Index in [`Topology::arcs`].
    pub arc: u32,
    /// Walk the arc from its last point to its first.
    pub reversed: bool,
}

/// Arcs shared by the rings of one layer.
#[derive(Debug, Default)]
pub(crate) struct Topology {
    /// Arc points; the first and last are nodes and are never simplified away.
    pub arcs: Vec<Vec<Pt>>,
    /// Per arc and point: the largest Douglas–Peucker tolerance at which the
    /// point survives (infinite at arc ends).
    pub importance: Vec<Vec<f64>>,
}

fn key(p: Pt) -> (u64, u64) {
    // +0.0 so that -0.0 and 0.0 are one point.
    ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits())
}

struct Visit {
    prev: (u64, u64),
    next: (u64, u64),
    node: bool,
}

/// Builds the topology of `rings` (open rings: no repeated closing point,
/// at least three points each) and returns each ring as a list of arcs.
pub(crate) fn build(rings: &[Vec<Pt>]) -> (Topology, Vec<Vec<ArcRef>>) {
    // Pass 1: a point is a node when two visits disagree on its neighbours.
    let mut visits: HashMap<(u64, u64), Visit> = HashMap::default();
    for ring in rings {
        let n = ring.len();
        for i in 0..n {
            let p = key(ring[i]);
            let prev = key(ring[(i + n - 1) % n]);
            let next = key(ring[(i + 1) % n]);
            match visits.get_mut(&p) {
                None => {
                    visits.insert(
                        p,
                        Visit {
                            prev,
                            next,
                            node: false,
                        },
                    );
                }
                Some(v) => {
                    let same =
                        (v.prev == prev && v.next == next) || (v.prev == next && v.next == prev);
                    if !same {
                        v.node = true;
                    }
                }
            }
        }
    }
    // A ring without nodes gets one at its smallest point, so that the same
    // ring seen twice (an island and the hole it fills) is cut identically.
    for ring in rings {
        if !ring
            .iter()
            .any(|p| visits.get(&key(*p)).is_some_and(|v| v.node))
        {
            let min = ring.iter().copied().map(key).min();
            if let Some(v) = min.and_then(|m| visits.get_mut(&m)) {
                v.node = true;
            }
        }
    }

    // Pass 2: cut rings at nodes and deduplicate arcs.
    let mut topo = Topology::default();
    let mut index: HashMap<Vec<(u64, u64)>, u32> = HashMap::default();
    let mut out = Vec::with_capacity(rings.len());
    for ring in rings {
        let n = ring.len();
        let is_node = |i: usize| visits.get(&key(ring[i])).is_some_and(|v| v.node);
        let start = (0..n).find(|&i| is_node(i)).unwrap_or(0);
        let mut refs = Vec::new();
        let mut arc = vec![ring[start]];
        for step in 1..=n {
            let i = (start + step) % n;
            arc.push(ring[i]);
            if step == n || is_node(i) {
                refs.push(intern(&mut topo, &mut index, std::mem::take(&mut arc)));
                arc.push(ring[i]);
            }
        }
        out.push(refs);
    }
    topo.importance = topo.arcs.iter().map(|a| importance(a)).collect();
    (topo, out)
}

/// Stores `arc` once, in a canonical direction, and returns how to walk it.
fn intern(topo: &mut Topology, index: &mut HashMap<Vec<(u64, u64)>, u32>, arc: Vec<Pt>) -> ArcRef {
    let fwd: Vec<(u64, u64)> = arc.iter().copied().map(key).collect();
    let rev: Vec<(u64, u64)> = fwd.iter().rev().copied().collect();
    let reversed = rev < fwd;
    let canon = if reversed { rev } else { fwd };
    if let Some(&id) = index.get(&canon) {
        return ArcRef { arc: id, reversed };
    }
    let id = topo.arcs.len() as u32;
    let mut pts = arc;
    if reversed {
        pts.reverse();
    }
    topo.arcs.push(pts);
    index.insert(canon, id);
    ArcRef { arc: id, reversed }
}

/// Douglas–Peucker importance of each point with both ends fixed: the point
/// is kept at tolerance `t` exactly when its importance exceeds `t`.
pub(crate) fn importance(pts: &[Pt]) -> Vec<f64> {
    let n = pts.len();
    let mut imp = vec![0.0; n];
    if n == 0 {
        return imp;
    }
    imp[0] = f64::INFINITY;
    imp[n - 1] = f64::INFINITY;
    let mut stack = vec![(0usize, n - 1, f64::INFINITY)];
    while let Some((a, b, cap)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let mut best = a + 1;
        let mut dmax = -1.0;
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = seg_dist2(*p, pts[a], pts[b]);
            if d > dmax {
                dmax = d;
                best = i;
            }
        }
        let v = dmax.sqrt().min(cap);
        imp[best] = v;
        stack.push((a, best, v));
        stack.push((best, b, v));
    }
    imp
}

/// Squared distance from `p` to the segment `a`–`b`.
pub(super) fn seg_dist2(p: Pt, a: Pt, b: Pt) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    ex * ex + ey * ey
}

/// Writes the open ring made of `refs` to `out` (cleared first), `arc`
/// giving each arc's points by index and `map` converting each point.
pub(crate) fn assemble<'a, P: 'a, T>(
    arc: impl Fn(usize) -> Option<&'a [P]>,
    refs: &[ArcRef],
    map: impl Fn(&P) -> T,
    out: &mut Vec<T>,
) {
    out.clear();
    for r in refs {
        let Some(a) = arc(r.arc as usize) else {
            continue;
        };
        // Each arc starts where the previous one ended: skip that point.
        if r.reversed {
            out.extend(a.iter().rev().skip(1).map(&map));
        } else {
            out.extend(a.iter().skip(1).map(&map));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64) -> Vec<Pt> {
        vec![[x, y], [x + 1.0, y], [x + 1.0, y + 1.0], [x, y + 1.0]]
    }

    #[test]
    fn neighbours_share_one_arc() {
        // Two unit squares side by side share the edge x = 1.
        let rings = vec![square(0.0, 0.0), square(1.0, 0.0)];
        let (topo, refs) = build(&rings);
        let a: Vec<u32> = refs[0].iter().map(|r| r.arc).collect();
        let b: Vec<u32> = refs[1].iter().map(|r| r.arc).collect();
        let shared: Vec<u32> = a.iter().copied().filter(|x| b.contains(x)).collect();
        assert_eq!(shared.len(), 1, "arcs {a:?} {b:?}");
        let arc = &topo.arcs[shared[0] as usize];
        assert_eq!(arc.len(), 2);
        assert!(arc.iter().all(|p| p[0] == 1.0));
        // Walked in opposite directions by the two rings.
        let ra = refs[0]
            .iter()
            .find(|r| r.arc == shared[0])
            .map(|r| r.reversed);
        let rb = refs[1]
            .iter()
            .find(|r| r.arc == shared[0])
            .map(|r| r.reversed);
        assert_ne!(ra, rb);
    }

    #[test]
    fn reassembled_rings_equal_the_input() {
        let rings = vec![square(0.0, 0.0), square(1.0, 0.0), square(0.0, 1.0)];
        let (topo, refs) = build(&rings);
        for (ring, r) in rings.iter().zip(&refs) {
            let mut out = Vec::new();
            assemble(|i| topo.arcs.get(i).map(Vec::as_slice), r, |p| *p, &mut out);
            assert_eq!(out.len(), ring.len());
            // Same cyclic sequence.
            let start = ring
                .iter()
                .position(|p| *p == out[0])
                .expect("start point in ring");
            for (i, p) in out.iter().enumerate() {
                assert_eq!(*p, ring[(start + i) % ring.len()]);
            }
        }
    }

    #[test]
    fn island_and_hole_share_their_arc() {
        let outer = vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]];
        let island = vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]];
        let hole: Vec<Pt> = island.iter().rev().copied().collect();
        let (_, refs) = build(&[outer, hole, island]);
        assert_eq!(refs[1].len(), 1);
        assert_eq!(refs[1][0].arc, refs[2][0].arc);
    }

    #[test]
    fn importance_keeps_ends_and_orders_points() {
        let pts = vec![[0.0, 0.0], [1.0, 0.1], [2.0, -3.0], [3.0, 0.0]];
        let imp = importance(&pts);
        assert!(imp[0].is_infinite() && imp[3].is_infinite());
        assert!((imp[2] - 3.0).abs() < 1e-12);
        assert!(imp[1] > 0.0 && imp[1] <= imp[2]);
    }
}
