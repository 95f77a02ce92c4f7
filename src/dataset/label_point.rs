//! A point inside a polygon, for labels, popups and "is this area in the
//! selection" tests.
//!
//! The scan-line method (as GEOS's `InteriorPointArea`): a horizontal line
//! through the middle of each part's bounding box, moved halfway between the
//! two vertex heights nearest that middle so that it passes through no
//! vertex, crosses the exterior at points that, sorted, pair up into spans
//! inside it; the holes' spans are cut out of those, and the middle of the
//! widest piece left is the answer. Cutting holes out (rather than pairing
//! every ring's crossings together) keeps the point inside the exterior even
//! when an invalid hole pokes out of it. Plain
//! arithmetic on the coordinates, so it cannot fail the way geo 0.33's
//! `InteriorPoint` does (it panics on some valid polygons, found by fuzzing
//! the tile encoder), and it is deterministic.

use geo_types::{LineString, MultiPolygon, Point, Polygon};

/// A point inside `mp`: the middle of the widest span of a scan line across
/// any of its parts (the earliest part wins ties). `None` when no part has
/// a span of positive width, or a coordinate is not finite.
pub fn label_point(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
    let mut best: Option<(f64, Point<f64>)> = None;
    let (mut xs, mut holes) = (Vec::new(), Vec::new());
    for poly in &mp.0 {
        if let Some((width, p)) = widest_span(poly, &mut xs, &mut holes)
            && best.is_none_or(|(w, _)| width > w)
        {
            best = Some((width, p));
        }
    }
    best.map(|(_, p)| p)
}

/// The widest span of the scan line across one polygon, as (width, middle).
fn widest_span(
    poly: &Polygon<f64>,
    xs: &mut Vec<f64>,
    holes: &mut Vec<(f64, f64)>,
) -> Option<(f64, Point<f64>)> {
    let rings = || std::iter::once(poly.exterior()).chain(poly.interiors());
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in poly.exterior().coords() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return None;
        }
        lo = lo.min(c.y);
        hi = hi.max(c.y);
    }
    if hi <= lo {
        return None;
    }
    let mid = lo + (hi - lo) / 2.0;
    // The nearest vertex heights at or below and above the middle.
    let (mut below, mut above) = (lo, hi);
    for ring in rings() {
        for c in ring.coords() {
            if c.y <= mid && c.y > below {
                below = c.y;
            } else if c.y > mid && c.y < above {
                above = c.y;
            }
        }
    }
    let y = below + (above - below) / 2.0;
    if y <= below || y >= above {
        return None;
    }
    // The holes' spans, sorted by start.
    holes.clear();
    for hole in poly.interiors() {
        xs.clear();
        crossings(hole, y, xs);
        xs.sort_by(f64::total_cmp);
        holes.extend(xs.chunks_exact(2).map(|p| (p[0], p[1])));
    }
    holes.sort_by(|a, b| a.0.total_cmp(&b.0));
    xs.clear();
    crossings(poly.exterior(), y, xs);
    if xs
        .iter()
        .chain(holes.iter().flat_map(|h| [&h.0, &h.1]))
        .any(|x| !x.is_finite())
    {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let mut best: Option<(f64, Point<f64>)> = None;
    let mut keep = |a: f64, b: f64| {
        let width = b - a;
        if width > 0.0 && best.is_none_or(|(w, _)| width > w) {
            best = Some((width, Point::new(a + width / 2.0, y)));
        }
    };
    for pair in xs.chunks_exact(2) {
        // The exterior span less every hole span over it.
        let (mut a, b) = (pair[0], pair[1]);
        for &(lo, hi) in holes.iter() {
            if lo >= b {
                break;
            }
            if hi <= a {
                continue;
            }
            keep(a, lo);
            a = a.max(hi);
        }
        keep(a, b);
    }
    best
}

/// Where the ring's edges cross the horizontal line at `y` (which passes
/// through none of its vertices), appended to `xs`.
fn crossings(ring: &LineString<f64>, y: f64, xs: &mut Vec<f64>) {
    for w in ring.0.windows(2) {
        let (p, q) = (w[0], w[1]);
        if (p.y < y) != (q.y < y) {
            // As a fraction of the edge first, which cannot overflow.
            let t = (y - p.y) / (q.y - p.y);
            xs.push(p.x + t * (q.x - p.x));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn inside(mp: &MultiPolygon<f64>, p: Point<f64>) -> bool {
        geo::Contains::contains(mp, &p)
    }

    #[test]
    fn square_gives_its_centre() {
        let sq = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)];
        let p = label_point(&MultiPolygon(vec![sq])).unwrap();
        assert_eq!((p.x(), p.y()), (1.0, 1.0));
    }

    #[test]
    fn u_shape_and_hole_give_an_inside_point() {
        // A U whose bounding-box centre is outside it.
        let u = polygon![
            (x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 2.0, y: 3.0),
            (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0),
        ];
        let mp = MultiPolygon(vec![u]);
        let p = label_point(&mp).unwrap();
        assert!(inside(&mp, p), "{p:?}");
        // A square with a hole over its centre.
        let holed = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (4.0, 0.0),
                (4.0, 4.0),
                (0.0, 4.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![
                (1.0, 1.0),
                (3.0, 1.0),
                (3.0, 3.0),
                (1.0, 3.0),
                (1.0, 1.0),
            ])],
        );
        let mp = MultiPolygon(vec![holed]);
        let p = label_point(&mp).unwrap();
        assert!(inside(&mp, p), "{p:?}");
    }

    #[test]
    fn a_hole_outside_its_exterior_cannot_pull_the_point_out() {
        // Invalid: the hole is beside the exterior, not in it.
        let p = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![
                (2.0, 0.0),
                (5.0, 0.0),
                (5.0, 1.0),
                (2.0, 1.0),
                (2.0, 0.0),
            ])],
        );
        let pt = label_point(&MultiPolygon(vec![p])).unwrap();
        assert_eq!((pt.x(), pt.y()), (0.5, 0.5));
    }

    #[test]
    fn widest_part_wins_and_degenerate_input_gives_none() {
        let small = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        let big =
            polygon![(x: 10.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 5.0), (x: 10.0, y: 5.0)];
        let p = label_point(&MultiPolygon(vec![small, big])).unwrap();
        assert!(p.x() > 10.0);
        let flat = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0)];
        assert_eq!(label_point(&MultiPolygon(vec![flat])), None);
        assert_eq!(label_point(&MultiPolygon(vec![])), None);
        let nan = polygon![(x: 0.0, y: 0.0), (x: f64::NAN, y: 1.0), (x: 1.0, y: 1.0)];
        assert_eq!(label_point(&MultiPolygon(vec![nan])), None);
        let huge = polygon![(x: -1e300, y: -1e300), (x: 1e300, y: -1e300), (x: 1e300, y: 1e300)];
        assert!(label_point(&MultiPolygon(vec![huge])).is_some());
    }
}
