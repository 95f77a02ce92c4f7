//! Tests of `simplify`.

use super::*;

fn conflicts(a: &[IPt], b: &[IPt], same: bool) -> bool {
    conflict(a, b, ibox(a), ibox(b), same)
}

/// `zoom_arcs` as first written: every dirty arc against every
/// neighbour each round, every pair of segments compared.
fn zoom_arcs_reference(topo: &Topology, tol: f64, scale: f64) -> Vec<Vec<IPt>> {
    fn plain_conflict(a: &[IPt], b: &[IPt], same: bool) -> bool {
        (0..a.len().saturating_sub(1)).any(|i| {
            let start = if same { i + 1 } else { 0 };
            (start..b.len().saturating_sub(1))
                .any(|j| segments_conflict([a[i], a[i + 1]], [b[j], b[j + 1]]))
        })
    }
    let n = topo.arcs.len();
    let boxes = arc_boxes(topo);
    let tree = box_tree(&boxes);
    let mut tols = vec![tol; n];
    let mut arcs: Vec<Vec<IPt>> = (0..n).map(|i| snap(topo, i, tol, scale)).collect();
    let pad = 1.0 / scale;
    let mut dirty: Vec<usize> = (0..n)
        .filter(|&i| {
            let [lo, hi] = boxes[i];
            (hi[0] - lo[0]).max(hi[1] - lo[1]) >= 4.0 / scale
        })
        .collect();
    for _round in 0..12 {
        let mut refine = vec![false; n];
        for &a in &dirty {
            let [lo, hi] = boxes[a];
            let env = AABB::from_corners([lo[0] - pad, lo[1] - pad], [hi[0] + pad, hi[1] + pad]);
            for other in tree.locate_in_envelope_intersecting(&env) {
                let b = other.data as usize;
                if plain_conflict(&arcs[a], &arcs[b], a == b) {
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

/// A small xorshift generator, so the cases are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A grid of cells whose shared edges wiggle (like neighbouring areas),
/// plus some crumpled rings laid over it that cross everything.
fn rings(rng: &mut Rng, crumpled: usize) -> Vec<Vec<Pt>> {
    const N: usize = 5;
    let cell = 200.0;
    let mut edge = |a: Pt, b: Pt| -> Vec<Pt> {
        let k = (rng.next() * 12.0) as usize;
        (0..=k)
            .map(|i| {
                let t = i as f64 / (k + 1) as f64;
                let w = if i == 0 {
                    0.0
                } else {
                    (rng.next() - 0.5) * 40.0
                };
                [a[0] + (b[0] - a[0]) * t + w, a[1] + (b[1] - a[1]) * t - w]
            })
            .collect()
    };
    let corner = |i: usize, j: usize| [i as f64 * cell, j as f64 * cell];
    // Edges (i, j) → (i+1, j) and (i, j) → (i, j+1), made once each.
    let h: Vec<Vec<Vec<Pt>>> = (0..=N)
        .map(|j| {
            (0..N)
                .map(|i| edge(corner(i, j), corner(i + 1, j)))
                .collect()
        })
        .collect();
    let v: Vec<Vec<Vec<Pt>>> = (0..=N)
        .map(|i| {
            (0..N)
                .map(|j| edge(corner(i, j), corner(i, j + 1)))
                .collect()
        })
        .collect();
    let back = |e: &Vec<Pt>, end: Pt| -> Vec<Pt> {
        let mut r: Vec<Pt> = e[1..].iter().rev().copied().collect();
        r.insert(0, end);
        r
    };
    let mut out = Vec::new();
    for i in 0..N {
        for j in 0..N {
            let mut r = h[j][i].clone();
            r.extend(v[i + 1][j].iter().copied());
            r.extend(back(&h[j + 1][i], corner(i + 1, j + 1)));
            r.extend(back(&v[i][j], corner(i, j + 1)));
            out.push(r);
        }
    }
    for _ in 0..crumpled {
        let (cx, cy) = (rng.next() * 1000.0, rng.next() * 1000.0);
        let k = 4 + (rng.next() * 30.0) as usize;
        out.push(
            (0..k)
                .map(|_| [cx + rng.next() * 150.0, cy + rng.next() * 150.0])
                .collect(),
        );
    }
    out
}

#[test]
fn zoom_arcs_match_the_plain_every_pair_version() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut refined = 0;
    for case in 0..24 {
        let rings = rings(&mut rng, case % 4 * 3);
        let (topo, _) = super::super::topology::build(&rings);
        // As `prepare` does: neighbours once, at the coarsest scale's pad,
        // for every scale; the reference searches at each scale's own.
        let near = neighbours(&topo, 1.0 / 0.02);
        for scale in [0.02, 0.1, 0.5, 2.0] {
            let tol = 4.0 / scale;
            let fast = zoom_arcs(&topo, &near, tol, scale);
            let plain = zoom_arcs_reference(&topo, tol, scale);
            assert_eq!(fast, plain, "case {case}, scale {scale}");
            refined += (0..fast.len())
                .filter(|&i| fast[i] != snap(&topo, i, tol, scale))
                .count();
        }
    }
    // The cases must exercise the backing off, or they prove little.
    assert!(refined > 50, "only {refined} arcs were refined");
}

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
    let near = neighbours(&topo, 1.0);
    let plain: Vec<Vec<IPt>> = (0..topo.arcs.len())
        .map(|i| snap(&topo, i, 5.0, 1.0))
        .collect();
    let crossing =
        (0..plain.len()).any(|i| (i..plain.len()).any(|j| conflicts(&plain[i], &plain[j], i == j)));
    assert!(crossing, "the plain simplification should cross: {plain:?}");
    let arcs = zoom_arcs(&topo, &near, 5.0, 1.0);
    for i in 0..arcs.len() {
        for j in i..arcs.len() {
            assert!(
                !conflicts(&arcs[i], &arcs[j], i == j),
                "arcs {i} and {j} conflict: {:?} {:?}",
                arcs[i],
                arcs[j]
            );
        }
    }
}

#[test]
fn packed_arcs_give_back_every_point_narrow_or_wide() {
    use super::super::topology::ArcRef;
    let small: Vec<Vec<IPt>> = vec![vec![[0, 0], [5, 0], [5, 5]], vec![[5, 5], [0, 5], [0, 0]]];
    // Beyond 32 bits: a grid finer than 2^31 units.
    let big: Vec<Vec<IPt>> = small
        .iter()
        .map(|a| a.iter().map(|p| [p[0] << 33, p[1] << 33]).collect())
        .collect();
    let refs = [
        ArcRef {
            arc: 0,
            reversed: false,
        },
        ArcRef {
            arc: 1,
            reversed: false,
        },
    ];
    for (arcs, narrow) in [(small, true), (big, false)] {
        let expected: Vec<IPt> = arcs.iter().flat_map(|a| a[1..].to_vec()).collect();
        let packed = ZoomArcs::new(arcs).expect("few points");
        assert_eq!(matches!(packed, ZoomArcs::Narrow { .. }), narrow);
        assert!(!packed.is_empty());
        let mut out = Vec::new();
        packed.ring(&refs, |p| p, &mut out);
        assert_eq!(out, expected);
    }
    assert!(ZoomArcs::default().is_empty());
}

#[test]
fn neighbours_found_at_a_coarser_pad_serve_a_finer_grid() {
    // Two rings whose facing edges are 0.3 world units apart: disjoint
    // boxes, one grid unit at scale 1, so snapped they run together.
    let gap = 0.3;
    let left: Vec<Pt> = [[0.0, 0.0], [100.0, 0.0]]
        .into_iter()
        .chain((1..10).map(|i| [100.0 - f64::from(i % 3), f64::from(i) * 10.0]))
        .chain([[100.0, 100.0], [0.0, 100.0]])
        .collect();
    let right: Vec<Pt> = [[100.0 + gap, 0.0], [200.0, 0.0], [200.0, 100.0]]
        .into_iter()
        .chain([[100.0 + gap, 100.0]])
        .chain(
            (1..10)
                .rev()
                .map(|i| [100.0 + gap + f64::from(i % 2) * 2.0, f64::from(i) * 10.0]),
        )
        .collect();
    let (topo, _) = super::super::topology::build(&[left, right]);
    let plain = zoom_arcs_reference(&topo, 5.0, 1.0);
    // The pad of scale 1 itself, and of a coarser zoom (scale 1/4).
    for pad in [1.0, 4.0] {
        assert_eq!(
            zoom_arcs(&topo, &neighbours(&topo, pad), 5.0, 1.0),
            plain,
            "pad {pad}"
        );
    }
    // Too small a pad misses the pair, so the case tests the pad.
    assert_ne!(zoom_arcs(&topo, &neighbours(&topo, 0.01), 5.0, 1.0), plain);
}
