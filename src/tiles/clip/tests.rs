//! Tests of ring clipping and quantisation, against geo's own
//! intersection where a path must agree with it.

use super::*;
use geo::BooleanOps;
use geo_types::{Coord, LineString, Polygon, Rect};

/// The parts of [`super::clip_polygon`], copied out (shadows the glob).
fn clip_polygon(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    super::clip_polygon(rings, lo, hi)
        .parts(rings)
        .map(<[_]>::to_vec)
        .collect()
}

/// [`quantise_into`] a new vector.
fn quantise(ring: &[[f64; 2]]) -> Vec<[i32; 2]> {
    let mut out = Vec::new();
    quantise_into(ring, &mut out);
    out
}

#[test]
fn square_is_clipped_to_the_window() {
    // A square from -100 to 200 against [0, 100]: the window itself.
    let sq = vec![vec![
        [-100.0, -100.0],
        [200.0, -100.0],
        [200.0, 200.0],
        [-100.0, 200.0],
    ]];
    let parts = clip_polygon(&sq, 0.0, 100.0);
    assert_eq!(parts.len(), 1);
    let q = quantise(&parts[0][0]);
    assert_eq!(q.len(), 4, "{q:?}");
    for p in &q {
        assert!(p[0] == 0 || p[0] == 100);
        assert!(p[1] == 0 || p[1] == 100);
    }
    assert_eq!(area2(&q).abs(), 2 * 100 * 100);
}

#[test]
fn diagonal_edge_is_cut_not_clamped() {
    // A triangle poking out of the right edge: clipping cuts its tip off
    // along x = 10 (clamping would move the tip onto the edge instead).
    let tri = vec![vec![[0.0, 0.0], [20.0, 4.0], [0.0, 8.0]]];
    let parts = clip_polygon(&tri, -5.0, 10.0);
    let q = quantise(&parts[0][0]);
    assert_eq!(q.len(), 4, "{q:?}");
    assert!(q.contains(&[10, 2]) && q.contains(&[10, 6]), "{q:?}");
    assert_eq!(area2(&q).abs(), 2 * 60);
}

#[test]
fn u_shape_leaving_and_reentering_splits_into_parts() {
    // A U whose two arms cross the top edge y = 0 of the window: two
    // separate parts, not one ring joined along the border.
    let u = vec![vec![
        [0.0, -50.0],
        [10.0, -50.0],
        [10.0, 20.0],
        [30.0, 20.0],
        [30.0, -50.0],
        [40.0, -50.0],
        [40.0, 30.0],
        [0.0, 30.0],
    ]];
    let parts = clip_polygon(&u, 0.0, 100.0);
    assert_eq!(parts.len(), 1, "{parts:?}");
    let n: Vec<[f64; 2]> = vec![
        [0.0, -50.0],
        [40.0, -50.0],
        [40.0, -40.0],
        [10.0, -40.0],
        [10.0, 20.0],
        [0.0, 20.0],
    ];
    let parts = clip_polygon(&[n], 0.0, 100.0);
    assert_eq!(parts.len(), 1);
    let arch = vec![vec![
        [0.0, 50.0],
        [0.0, -50.0],
        [40.0, -50.0],
        [40.0, 50.0],
        [30.0, 50.0],
        [30.0, -40.0],
        [10.0, -40.0],
        [10.0, 50.0],
    ]];
    let parts = clip_polygon(&arch, 0.0, 100.0);
    assert_eq!(parts.len(), 2, "{parts:?}");
    let total: i64 = parts.iter().map(|p| area2(&quantise(&p[0])).abs()).sum();
    assert_eq!(total, 2 * 2 * 10 * 50);
}

/// The window's intersection with `rings` by geo alone, no box cut.
fn plain_area(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> f64 {
    use geo::Area;
    let ls = |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    let poly = Polygon::new(ls(&rings[0]), rings[1..].iter().map(ls).collect());
    let window = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
    poly.intersection(&window).unsigned_area()
}

/// The unsigned area of an open ring (shoelace formula).
fn ring_area(r: &[[f64; 2]]) -> f64 {
    (0..r.len())
        .map(|i| {
            let (p, q) = (r[i], r[(i + 1) % r.len()]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

fn parts_area(parts: &[Vec<Vec<[f64; 2]>>]) -> f64 {
    parts
        .iter()
        .map(|p| ring_area(&p[0]) - p[1..].iter().map(|r| ring_area(r)).sum::<f64>())
        .sum()
}

#[test]
fn a_window_no_edge_touches_is_all_or_nothing_as_geo_says() {
    let big = vec![
        [-500.0, -500.0],
        [600.0, -500.0],
        [600.0, 600.0],
        [-500.0, 600.0],
    ];
    let hole_apart = vec![
        [300.0, 300.0],
        [300.0, 400.0],
        [400.0, 400.0],
        [400.0, 300.0],
    ];
    let hole_around = vec![
        [-50.0, -50.0],
        [-50.0, 150.0],
        [150.0, 150.0],
        [150.0, -50.0],
    ];
    // A C whose gap holds the window: its edges pass above, below and
    // to the left, none touching.
    let c_shape = vec![
        [-200.0, -200.0],
        [300.0, -200.0],
        [300.0, -10.0],
        [-10.0, -10.0],
        [-10.0, 110.0],
        [300.0, 110.0],
        [300.0, 300.0],
        [-200.0, 300.0],
    ];
    let cases: Vec<(Vec<Vec<[f64; 2]>>, f64)> = vec![
        (vec![big.clone()], 10_000.0),
        (vec![big.clone(), hole_apart], 10_000.0),
        (vec![big, hole_around], 0.0),
        (vec![c_shape], 0.0),
    ];
    for (i, (rings, want)) in cases.iter().enumerate() {
        assert!(
            rings.iter().all(|r| ring_misses_window(r, 0.0, 100.0)),
            "case {i}"
        );
        let parts = clip_polygon(rings, 0.0, 100.0);
        let got = parts_area(&parts);
        assert_eq!(got, *want, "case {i}");
        let geo = plain_area(rings, 0.0, 100.0);
        assert!(
            (got - geo).abs() < 1e-6,
            "case {i}: {got} against geo's {geo}"
        );
        for part in &parts {
            assert_eq!(area2(&quantise(&part[0])).abs(), 2 * 100 * 100, "case {i}");
            assert_eq!(
                part,
                &intersect(rings, 0.0, 100.0)[0],
                "case {i}: geo's ring"
            );
        }
    }
    // An edge through the window, a point on its border, or a diagonal
    // edge past a corner takes the general path.
    assert!(!ring_misses_window(
        &[[-10.0, 50.0], [110.0, 50.0], [110.0, 200.0]],
        0.0,
        100.0
    ));
    assert!(!ring_misses_window(
        &[[0.0, 50.0], [-10.0, 60.0], [-10.0, 40.0]],
        0.0,
        100.0
    ));
    assert!(!ring_misses_window(
        &[[-10.0, 0.0], [0.0, -10.0], [-10.0, -10.0]],
        0.0,
        100.0
    ));
}

#[test]
fn far_reaching_rings_clip_as_geo_alone_would() {
    // Each reaches beyond the box three windows wide, so takes the cut.
    let cases: Vec<Vec<Vec<[f64; 2]>>> = vec![
        // A diamond with a hole, its points far out on each side.
        vec![
            vec![
                [-1000.0, 50.0],
                [50.0, -1000.0],
                [1100.0, 50.0],
                [50.0, 1100.0],
            ],
            vec![[20.0, 20.0], [20.0, 80.0], [80.0, 80.0], [80.0, 20.0]],
        ],
        // A U leaving the window far above and coming back.
        vec![vec![
            [10.0, 10.0],
            [10.0, -5000.0],
            [90.0, -5000.0],
            [90.0, 10.0],
            [70.0, 10.0],
            [70.0, -300.0],
            [30.0, -300.0],
            [30.0, 10.0],
        ]],
    ];
    for (i, rings) in cases.iter().enumerate() {
        let got = parts_area(&clip_polygon(rings, 0.0, 100.0));
        let want = plain_area(rings, 0.0, 100.0);
        assert!(want > 100.0, "case {i}: {want}");
        assert!(
            (got - want).abs() < 1e-6 * want,
            "case {i}: {got} against {want}"
        );
    }
    // A right-angled wedge from 1e12 away with a small hole: 1,000 for
    // x in 0..10, 2,500 for the tip, less the hole's 50. (geo alone
    // gives 0 here: over a range of 1e12 its snapping loses the window.)
    let wedge = vec![
        vec![[-1e12, -1e12], [60.0, 50.0], [-1e12, 1e12]],
        vec![[20.0, 45.0], [20.0, 55.0], [30.0, 50.0]],
    ];
    let got = parts_area(&clip_polygon(&wedge, 0.0, 100.0));
    assert!((got - 3450.0).abs() < 1e-6, "{got}");
}

#[test]
fn a_ring_spanning_the_world_is_cut_to_the_box() {
    let r = clip_ring_to_box(
        &[[-1e300, -1e300], [1e300, 0.0], [0.0, 1e300]],
        -100.0,
        200.0,
    );
    assert!(
        r.iter().flatten().all(|v| (-100.0..=200.0).contains(v)),
        "{r:?}"
    );
    // The whole box lies inside this triangle.
    assert_eq!(ring_area(&r), 300.0 * 300.0, "{r:?}");
}

#[test]
fn outside_polygon_vanishes() {
    let sq = vec![vec![[200.0, 200.0], [300.0, 200.0], [300.0, 300.0]]];
    assert!(clip_polygon(&sq, 0.0, 100.0).is_empty());
}

#[test]
fn quantise_drops_repeats_spikes_and_collapsed_rings() {
    let r = [
        [0.0, 0.0],
        [0.2, 0.1],
        [10.0, 0.0],
        [10.0, 10.0],
        [20.0, 10.0],
        [10.0, 10.0],
        [0.0, 10.0],
    ];
    let q = quantise(&r);
    assert_eq!(q, vec![[0, 0], [10, 0], [10, 10], [0, 10]]);
    // A sliver thinner than half a unit collapses.
    assert!(quantise(&[[0.0, 0.0], [50.0, 0.2], [100.0, 0.1]]).is_empty());
}

#[test]
fn area_sign_follows_the_spec() {
    // Clockwise on screen (y down) is positive: an exterior ring.
    assert!(area2(&[[0, 0], [1, 0], [1, 1], [0, 1]]) > 0);
    assert!(area2(&[[0, 0], [0, 1], [1, 1], [1, 0]]) < 0);
}

/// geo's `intersection` of the polygon and the window, as open rings: what
/// `intersect` replaced.
fn geo_intersection(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    let ls = |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    let poly = Polygon::new(
        ls(&rings[0]),
        rings[1..].iter().filter(|r| r.len() >= 3).map(ls).collect(),
    );
    let window = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
    let open = |l: &LineString<f64>| -> Vec<[f64; 2]> {
        let mut v: Vec<[f64; 2]> = l.0.iter().map(|c| [c.x, c.y]).collect();
        if v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        v
    };
    poly.intersection(&window)
        .0
        .iter()
        .map(|p| {
            std::iter::once(open(p.exterior()))
                .chain(p.interiors().iter().map(open))
                .collect()
        })
        .collect()
}

/// A seeded generator of uniform numbers in [0, 1) (a 64-bit LCG).
fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
    move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn intersect_gives_geos_intersection_point_for_point() {
    // Random star-ish polygons with holes, closed and open rings, short
    // holes and repeated points, around and across the window: the direct
    // i_overlay call must give exactly geo's rings, in geo's order.
    let mut next = uniform(11);
    fn star(c: [f64; 2], r: f64, n: usize, next: &mut impl FnMut() -> f64) -> Vec<[f64; 2]> {
        (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let d = r * (0.4 + 0.6 * next());
                [c[0] + d * a.cos(), c[1] + d * a.sin()]
            })
            .collect()
    }
    let mut checked = 0;
    for case in 0..300 {
        let (cx, cy) = (next() * 200.0 - 50.0, next() * 200.0 - 50.0);
        let r = 20.0 + next() * 150.0;
        let mut rings = vec![star([cx, cy], r, 3 + case % 40, &mut next)];
        if case % 3 == 0 {
            let mut hole = star([cx, cy], r * 0.3, 3 + case % 7, &mut next);
            hole.reverse();
            rings.push(hole);
        }
        if case % 5 == 0 {
            rings.push(vec![[cx, cy], [cx + 1.0, cy]]);
        }
        if case % 7 == 0 {
            let first = rings[0][0];
            rings[0].push(first);
        }
        if case % 11 == 0 {
            let p = rings[0][1];
            rings[0].insert(1, p);
        }
        let got = intersect(&rings, 0.0, 100.0);
        assert_eq!(got, geo_intersection(&rings, 0.0, 100.0), "case {case}");
        checked += usize::from(!got.is_empty());
    }
    assert!(checked > 100, "only {checked} cases cross the window");
}

#[test]
fn meets_counts_exits_and_gives_up_on_the_border() {
    let m = |r: &[[f64; 2]]| meets(r, 0.0, 100.0);
    assert_eq!(
        m(&[[10.0, 10.0], [90.0, 10.0], [50.0, 90.0]]),
        Meets::Inside
    );
    assert_eq!(
        m(&[[200.0, 0.0], [300.0, 0.0], [250.0, 90.0]]),
        Meets::Apart
    );
    // One vertex outside: one exit.
    assert_eq!(m(&[[10.0, 10.0], [150.0, 50.0], [10.0, 90.0]]), Meets::Once);
    // All vertices outside, one edge through the square.
    assert_eq!(
        m(&[[-10.0, 50.0], [110.0, 50.0], [110.0, 200.0], [-10.0, 200.0]]),
        Meets::Once
    );
    // Two edges through: two exits (one piece, but left to the general
    // path all the same).
    assert_eq!(
        m(&[[-10.0, 40.0], [110.0, 40.0], [110.0, 60.0], [-10.0, 60.0]]),
        Meets::Other
    );
    assert_eq!(
        m(&[
            [-10.0, 40.0],
            [110.0, 40.0],
            [110.0, 45.0],
            [-10.0, 60.0],
            [-20.0, 80.0],
            [110.0, 90.0],
            [-30.0, 200.0]
        ]),
        Meets::Other
    );
    // A vertex on the border, an edge along it, an edge through a corner.
    assert_eq!(
        m(&[[0.0, 50.0], [-10.0, 60.0], [-10.0, 40.0]]),
        Meets::Other
    );
    assert_eq!(
        m(&[[-10.0, 0.0], [110.0, 0.0], [50.0, -50.0]]),
        Meets::Other
    );
    assert_eq!(
        m(&[[-10.0, 10.0], [10.0, -10.0], [-10.0, -10.0]]),
        Meets::Other
    );
}

#[test]
fn a_polygon_crossing_twice_is_cut_exactly_as_the_boolean_operation_cuts_it() {
    // Random star-ish polygons with holes around and across the window:
    // where the quick path takes them, it must give the same polygon as
    // the boolean intersection (the same area, and the same integer points
    // once quantised, whatever the first point and direction).
    let mut next = uniform(29);
    let norm = |r: &[[f64; 2]]| {
        let mut q = quantise(r);
        q.sort_unstable();
        q
    };
    let (mut quick, mut general) = (0, 0);
    for case in 0..600 {
        let (cx, cy) = (next() * 160.0 - 30.0, next() * 160.0 - 30.0);
        let r = 10.0 + next() * 120.0;
        let n = 3 + case % 30;
        let ext: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let d = r * (0.5 + 0.5 * next());
                [cx + d * a.cos(), cy + d * a.sin()]
            })
            .collect();
        let mut rings = vec![ext];
        if case % 3 == 0 {
            let h = r * 0.2;
            rings.push(vec![
                [cx - h, cy - h],
                [cx - h, cy + h],
                [cx + h, cy + h],
                [cx + h, cy - h],
            ]);
        }
        let Some(part) = clip_once(&rings, 0.0, 100.0) else {
            general += 1;
            continue;
        };
        quick += 1;
        let exact = intersect(&rings, 0.0, 100.0);
        assert_eq!(exact.len(), 1, "case {case}: one piece");
        let (got, want) = (parts_area(std::slice::from_ref(&part)), parts_area(&exact));
        // i_overlay snaps to its own fine grid; the quick path does not.
        assert!(
            (got - want).abs() < 1e-7 * want.max(1.0),
            "case {case}: {got} against {want}"
        );
        assert_eq!(part.len(), exact[0].len(), "case {case}: rings");
        for (a, b) in part.iter().zip(&exact[0]) {
            assert_eq!(norm(a), norm(b), "case {case}");
        }
    }
    // Both paths must be exercised, or this proves little.
    assert!(
        quick > 150 && general > 150,
        "{quick} quick, {general} general"
    );
}
