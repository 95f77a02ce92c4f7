//! Ring clipping and quantisation: an open ring in tile units (f64) in, a
//! valid MVT ring (integer points, no repeats, no collinear points, non-zero
//! area) out, or nothing when the ring vanishes.
//!
//! Clipping is Sutherland–Hodgman against the buffered tile square, which is
//! exact for a convex clip window; coordinates are never clamped.

/// Clips an open ring to the square `[lo, hi]²` (Sutherland–Hodgman).
pub(crate) fn clip_ring(ring: &[[f64; 2]], lo: f64, hi: f64) -> Vec<[f64; 2]> {
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in ring {
        minx = minx.min(p[0]);
        miny = miny.min(p[1]);
        maxx = maxx.max(p[0]);
        maxy = maxy.max(p[1]);
    }
    if maxx < lo || maxy < lo || minx > hi || miny > hi {
        return Vec::new();
    }
    if minx >= lo && miny >= lo && maxx <= hi && maxy <= hi {
        return ring.to_vec();
    }
    let mut cur = ring.to_vec();
    // (axis, bound, keep points with coordinate >= bound)
    for (axis, bound, above) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        if cur.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut next = Vec::with_capacity(cur.len() + 4);
        let n = cur.len();
        for i in 0..n {
            let a = cur[(i + n - 1) % n];
            let b = cur[i];
            let (ia, ib) = (inside(&a), inside(&b));
            if ib {
                if !ia {
                    next.push(intersect(a, b, axis, bound));
                }
                next.push(b);
            } else if ia {
                next.push(intersect(a, b, axis, bound));
            }
        }
        cur = next;
    }
    cur
}

/// The point of segment `a`–`b` whose `axis` coordinate is `bound`.
fn intersect(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    // Interpolate from the smaller point so that a shared edge walked in
    // either direction gives the same intersection.
    let (a, b) = if (a[0], a[1]) <= (b[0], b[1]) {
        (a, b)
    } else {
        (b, a)
    };
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let other = 1 - axis;
    let mut p = [0.0; 2];
    p[axis] = bound;
    p[other] = a[other] + t * (b[other] - a[other]);
    p
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
        let sq = [
            [-100.0, -100.0],
            [200.0, -100.0],
            [200.0, 200.0],
            [-100.0, 200.0],
        ];
        let c = clip_ring(&sq, 0.0, 100.0);
        let q = quantise(&c);
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
        let tri = [[0.0, 0.0], [20.0, 4.0], [0.0, 8.0]];
        let q = quantise(&clip_ring(&tri, -5.0, 10.0));
        assert_eq!(q.len(), 4, "{q:?}");
        assert!(q.contains(&[10, 2]) && q.contains(&[10, 6]), "{q:?}");
        assert_eq!(area2(&q).abs(), 2 * 60);
    }

    #[test]
    fn outside_ring_vanishes() {
        let sq = [[200.0, 200.0], [300.0, 200.0], [300.0, 300.0]];
        assert!(clip_ring(&sq, 0.0, 100.0).is_empty());
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
