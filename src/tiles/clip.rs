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
    let ls = |r: &Vec<[f64; 2]>| LineString(r.iter().map(|p| Coord { x: p[0], y: p[1] }).collect());
    let poly = Polygon::new(ls(ext), rings[1..].iter().map(ls).collect());
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
