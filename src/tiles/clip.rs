//! Ring clipping and quantisation: an open ring in tile units (f64) in, a
//! valid MVT ring (integer points, no repeats, no collinear points, non-zero
//! area) out, or nothing when the ring vanishes.
//!
//! Clipping is real polygon intersection with the buffered tile square;
//! coordinates are never clamped.

use geo::BooleanOps;
use geo_types::{Coord, LineString, Polygon, Rect};

/// Clips a polygon (open rings: exterior then holes) to the square
/// `[lo, hi]²`. Returns the parts, each as open rings, exterior first.
///
/// Polygons wholly inside or outside take a fast path; the others go through
/// geo's boolean intersection, which (unlike Sutherland–Hodgman) splits a
/// polygon leaving and re-entering the window into separate valid parts
/// instead of joining them with zero-width edges along the tile border.
pub(crate) fn clip_polygon(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    let Some(ext) = rings.first() else {
        return Vec::new();
    };
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in ext {
        minx = minx.min(p[0]);
        miny = miny.min(p[1]);
        maxx = maxx.max(p[0]);
        maxy = maxy.max(p[1]);
    }
    if maxx < lo || maxy < lo || minx > hi || miny > hi {
        return Vec::new();
    }
    // Inside only when the holes are too: an invalid hole can stick out of
    // its exterior (found by fuzzing the encoder).
    for p in rings[1..].iter().flatten() {
        minx = minx.min(p[0]);
        miny = miny.min(p[1]);
        maxx = maxx.max(p[0]);
        maxy = maxy.max(p[1]);
    }
    if minx >= lo && miny >= lo && maxx <= hi && maxy <= hi {
        return vec![rings.to_vec()];
    }
    // No edge comes near the window: it lies wholly inside the polygon or
    // wholly outside it (or in a hole). At street zooms most tiles of a
    // large rural area are so, and the boolean operation is the dearest
    // step of a tile.
    if rings.iter().all(|r| ring_misses_window(r, lo, hi)) {
        let centre = [(lo + hi) / 2.0, (lo + hi) / 2.0];
        // The window as geo's intersection gives it (the same first point
        // and direction), so a tile is the same bytes whichever path its
        // features took, and identical interior tiles stay de-duplicated.
        return if covers(rings, centre) {
            vec![vec![vec![[lo, hi], [lo, lo], [hi, lo], [hi, hi]]]]
        } else {
            Vec::new()
        };
    }
    // Far-reaching rings are first cut to a box three windows wide, so the
    // boolean operation sees only nearby vertices, over a range where its
    // integer snapping keeps detail (a ring spanning the world beside one a
    // unit wide broke an invariant inside i_overlay). What this cut adds
    // runs along the box, outside the window, so the result is unchanged.
    let w = hi - lo;
    let (blo, bhi) = (lo - w, hi + w);
    let far = minx < blo || miny < blo || maxx > bhi || maxy > bhi;
    let cut: Vec<Vec<[f64; 2]>>;
    let rings = if far {
        cut = rings
            .iter()
            .map(|r| clip_ring_to_box(r, blo, bhi))
            .collect();
        if cut[0].len() < 3 {
            return Vec::new();
        }
        &cut
    } else {
        rings
    };
    let ext = &rings[0];
    let ls = |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    let poly = Polygon::new(
        ls(ext),
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

/// Which sides of the square `[lo, hi]²` a point lies beyond, one bit per
/// side (Cohen–Sutherland); 0 inside or on the border.
fn outcode(p: [f64; 2], lo: f64, hi: f64) -> u8 {
    u8::from(p[0] < lo)
        | u8::from(p[0] > hi) << 1
        | u8::from(p[1] < lo) << 2
        | u8::from(p[1] > hi) << 3
}

/// Whether every edge of an open ring lies beyond one side of the square,
/// so none can touch it. (A diagonal edge that passes a corner without
/// touching is not recognised: such rings take the general path.)
fn ring_misses_window(ring: &[[f64; 2]], lo: f64, hi: f64) -> bool {
    let Some(&last) = ring.last() else {
        return true;
    };
    let mut prev = outcode(last, lo, hi);
    ring.iter().all(|&p| {
        let code = outcode(p, lo, hi);
        let apart = prev & code != 0;
        prev = code;
        apart
    })
}

/// Even–odd point in polygon over every ring (exterior and holes), for a
/// point on no edge.
fn covers(rings: &[Vec<[f64; 2]>], p: [f64; 2]) -> bool {
    let mut inside = false;
    for ring in rings {
        let Some(&last) = ring.last() else {
            continue;
        };
        let mut a = last;
        for &b in ring {
            if (a[1] > p[1]) != (b[1] > p[1])
                && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
            {
                inside = !inside;
            }
            a = b;
        }
    }
    inside
}

/// Sutherland–Hodgman: an open ring cut to the square `[lo, hi]²`. Parts
/// of the ring that leave and re-enter the square are joined along its
/// border.
fn clip_ring_to_box(ring: &[[f64; 2]], lo: f64, hi: f64) -> Vec<[f64; 2]> {
    let mut out = ring.to_vec();
    // (axis, bound, keep when below the bound)
    for (axis, bound, below) in [(0, lo, false), (0, hi, true), (1, lo, false), (1, hi, true)] {
        let inside = |p: &[f64; 2]| {
            if below {
                p[axis] <= bound
            } else {
                p[axis] >= bound
            }
        };
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else {
            break;
        };
        let mut prev = last;
        for &p in &input {
            let (pin, qin) = (inside(&prev), inside(&p));
            if pin != qin {
                let t = (bound - prev[axis]) / (p[axis] - prev[axis]);
                let mut x = [
                    prev[0] + (p[0] - prev[0]) * t,
                    prev[1] + (p[1] - prev[1]) * t,
                ];
                x[axis] = bound;
                out.push(x);
            }
            if qin {
                out.push(p);
            }
            prev = p;
        }
    }
    out
}

fn cross(o: [i32; 2], a: [i32; 2], b: [i32; 2]) -> i64 {
    (a[0] as i64 - o[0] as i64) * (b[1] as i64 - o[1] as i64)
        - (a[1] as i64 - o[1] as i64) * (b[0] as i64 - o[0] as i64)
}

/// Rounds an open ring to integers and removes repeated and collinear points
/// (including zero-width spikes). Returns an empty ring when fewer than three
/// points remain.
pub(crate) fn quantise(ring: &[[f64; 2]]) -> Vec<[i32; 2]> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(ring.len());
    for p in ring {
        let q = [p[0].round() as i32, p[1].round() as i32];
        if out.last() == Some(&q) {
            continue;
        }
        while out.len() >= 2 && cross(out[out.len() - 2], out[out.len() - 1], q) == 0 {
            out.pop();
        }
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    // The same clean-up across the seam between the last and first points.
    loop {
        let n = out.len();
        if n < 3 {
            return Vec::new();
        }
        if out[0] == out[n - 1] || cross(out[n - 2], out[n - 1], out[0]) == 0 {
            out.pop();
        } else if cross(out[n - 1], out[0], out[1]) == 0 {
            out.remove(0);
        } else {
            return out;
        }
    }
}

/// Twice the signed area by the MVT 2.1 surveyor's formula (tile units, y
/// down): positive for an exterior ring.
pub(crate) fn area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a[0] as i64 * b[1] as i64 - b[0] as i64 * a[1] as i64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The parts geo's intersection gives, as `clip_polygon`'s general path
    /// returns them.
    fn general_path(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
        let ls =
            |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
        let poly = Polygon::new(ls(&rings[0]), rings[1..].iter().map(ls).collect());
        let window = Rect::new(Coord { x: lo, y: lo }, Coord { x: hi, y: hi }).to_polygon();
        let open = |l: &LineString<f64>| -> Vec<[f64; 2]> {
            let mut v: Vec<[f64; 2]> = l.0.iter().map(|c| [c.x, c.y]).collect();
            v.pop();
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

    /// The window's intersection with `rings` by geo alone, no box cut.
    fn plain_area(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> f64 {
        use geo::Area;
        let ls =
            |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
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
                    &general_path(rings, 0.0, 100.0)[0],
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
}
