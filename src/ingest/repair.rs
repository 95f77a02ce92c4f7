//! Repairing and validating one feature's polygons: raw rings in (as read,
//! already in WGS84), a valid [`MultiPolygon`] and the list of repairs made
//! out, or an error saying what could not safely be repaired.
//!
//! Safe repairs: closing an unclosed ring, removing consecutive duplicate
//! vertices, reversing rings to RFC 7946 orientation (exterior
//! counter-clockwise, holes clockwise), dropping rings with fewer than 3
//! distinct points. Not safe, so an error: a ring that crosses or touches
//! itself (a bow-tie), a non-finite coordinate, a ring of zero area, a
//! feature left with no polygon. Holes are not checked against their
//! exterior, nor polygons of a multipolygon against each other.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Polygons as read: each polygon is its rings, exterior first; a ring may
/// or may not repeat its first point at the end.
pub type RawPolygons = Vec<Vec<Vec<Coord<f64>>>>;

/// What could not be repaired in a feature, naming the ring.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{ring}: {message}")]
pub struct RepairError {
    /// "ring 0", or "polygon 2 ring 1" in a multipolygon.
    pub ring: String,
    /// What is wrong.
    pub message: String,
}

/// Repairs one feature's polygons. `repairs` receives one line per repair
/// ("ring 0: closed an unclosed ring").
pub fn repair_polygons(
    polygons: RawPolygons,
    repairs: &mut Vec<String>,
) -> Result<MultiPolygon<f64>, RepairError> {
    let multi = polygons.len() > 1;
    let label = |p: usize, r: usize| {
        if multi {
            format!("polygon {p} ring {r}")
        } else {
            format!("ring {r}")
        }
    };
    let mut out = Vec::with_capacity(polygons.len());
    for (p, rings) in polygons.into_iter().enumerate() {
        let mut kept: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
        for (r, ring) in rings.into_iter().enumerate() {
            let name = label(p, r);
            let fail = |message: String| RepairError {
                ring: name.clone(),
                message,
            };
            if let Some(c) = ring.iter().find(|c| !c.x.is_finite() || !c.y.is_finite()) {
                return Err(fail(format!(
                    "coordinate ({}, {}) is not a finite number",
                    c.x, c.y
                )));
            }
            let (mut open, closed, dups) = open_ring(ring);
            if !closed && open.len() >= 3 {
                repairs.push(format!("{name}: closed an unclosed ring"));
            }
            if dups > 0 {
                let noun = if dups == 1 { "vertex" } else { "vertices" };
                repairs.push(format!("{name}: removed {dups} duplicate {noun}"));
            }
            if open.len() < 3 {
                if r == 0 {
                    repairs.push(format!(
                        "{name}: dropped the polygon, its exterior ring has {} distinct point{}",
                        open.len(),
                        if open.len() == 1 { "" } else { "s" }
                    ));
                    break;
                }
                repairs.push(format!(
                    "{name}: dropped a hole with {} distinct point{}",
                    open.len(),
                    if open.len() == 1 { "" } else { "s" }
                ));
                continue;
            }
            if let Some(at) = self_intersection(&open) {
                return Err(fail(format!(
                    "ring intersects itself near ({:.6}, {:.6}); not safe to repair",
                    at.x, at.y
                )));
            }
            let area2 = twice_signed_area(&open);
            if area2 == 0.0 {
                return Err(fail("ring has zero area".to_string()));
            }
            let want_ccw = r == 0 || kept.is_empty();
            if (area2 > 0.0) != want_ccw {
                open.reverse();
                let what = if want_ccw {
                    "reversed the exterior ring to counter-clockwise"
                } else {
                    "reversed a hole to clockwise"
                };
                repairs.push(format!("{name}: {what}"));
            }
            let first = open[0];
            open.push(first);
            kept.push(LineString(open));
        }
        let mut iter = kept.into_iter();
        if let Some(exterior) = iter.next() {
            out.push(Polygon::new(exterior, iter.collect()));
        }
    }
    if out.is_empty() {
        return Err(RepairError {
            ring: label(0, 0),
            message: "no polygon with 3 or more distinct points is left".to_string(),
        });
    }
    Ok(MultiPolygon(out))
}

/// Drops the closing point and consecutive duplicates (also across the
/// wrap-around): returns the open ring, whether it was closed, and how many
/// duplicates were removed.
fn open_ring(mut ring: Vec<Coord<f64>>) -> (Vec<Coord<f64>>, bool, usize) {
    let closed = ring.len() >= 2 && ring.first() == ring.last();
    if closed {
        ring.pop();
    }
    let before = ring.len();
    ring.dedup();
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    let dups = before - ring.len();
    (ring, closed, dups)
}

/// Twice the signed area of an open ring: positive when counter-clockwise.
fn twice_signed_area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let o = ring[0];
    let mut sum = 0.0;
    // Shifting to the first vertex keeps the products small (stability).
    for i in 1..n.saturating_sub(1) {
        let (a, b) = (ring[i] - o, ring[i + 1] - o);
        sum += a.x * b.y - a.y * b.x;
    }
    sum
}

/// The first point where an open ring touches or crosses itself, if any:
/// two non-adjacent edges meeting, or two adjacent edges folding back on
/// each other. Edges are swept in order of their smallest x, so typical
/// rings cost O(n log n).
fn self_intersection(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
    let n = ring.len();
    let edge = |i: usize| (ring[i], ring[(i + 1) % n]);
    // Adjacent edges a→b→c fold back when collinear and reversing.
    for i in 0..n {
        let (a, b, c) = (ring[i], ring[(i + 1) % n], ring[(i + 2) % n]);
        let (u, v) = (b - a, c - b);
        if u.x * v.y - u.y * v.x == 0.0 && u.x * v.x + u.y * v.y < 0.0 {
            return Some(b);
        }
    }
    if n <= 3 {
        return None;
    }
    let mut order: Vec<(f64, f64, usize)> = (0..n)
        .map(|i| {
            let (a, b) = edge(i);
            (a.x.min(b.x), a.x.max(b.x), i)
        })
        .collect();
    order.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.2.cmp(&q.2)));
    for (k, &(_, xmax, i)) in order.iter().enumerate() {
        let (a, b) = edge(i);
        for &(xmin_j, _, j) in &order[k + 1..] {
            if xmin_j > xmax {
                break;
            }
            let gap = i.abs_diff(j);
            if gap == 1 || gap == n - 1 {
                continue;
            }
            let (c, d) = edge(j);
            if segments_meet(a, b, c, d) {
                return Some(meeting_point(a, b, c, d));
            }
        }
    }
    None
}

fn cross(o: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// True when closed segments ab and cd share any point.
fn segments_meet(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let (d1, d2) = (cross(c, d, a), cross(c, d, b));
    let (d3, d4) = (cross(a, b, c), cross(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

/// Where ab meets cd (for the message); an endpoint when they only touch.
fn meeting_point(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> Coord<f64> {
    let (r, s) = (b - a, d - c);
    let denom = r.x * s.y - r.y * s.x;
    if denom != 0.0 {
        let t = ((c.x - a.x) * s.y - (c.y - a.y) * s.x) / denom;
        if (0.0..=1.0).contains(&t) {
            return a + r * t;
        }
    }
    [a, b]
        .into_iter()
        .find(|&p| cross(c, d, p) == 0.0 && on_segment(c, d, p))
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(points: &[(f64, f64)]) -> Vec<Coord<f64>> {
        points.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn valid_ccw_square_needs_no_repair() {
        let mut repairs = Vec::new();
        let sq = ring(&[(0., 0.), (1., 0.), (1., 1.), (0., 1.), (0., 0.)]);
        let mp = repair_polygons(vec![vec![sq.clone()]], &mut repairs).unwrap();
        assert!(repairs.is_empty(), "{repairs:?}");
        assert_eq!(mp.0[0].exterior().0, sq);
    }

    #[test]
    fn closes_dedups_and_orients() {
        let mut repairs = Vec::new();
        // Clockwise, unclosed, with a doubled vertex; and a counter-clockwise hole.
        let ext = ring(&[(0., 0.), (0., 10.), (0., 10.), (10., 10.), (10., 0.)]);
        let hole = ring(&[(2., 2.), (4., 2.), (4., 4.), (2., 2.)]);
        let mp = repair_polygons(vec![vec![ext, hole]], &mut repairs).unwrap();
        assert_eq!(
            repairs,
            [
                "ring 0: closed an unclosed ring",
                "ring 0: removed 1 duplicate vertex",
                "ring 0: reversed the exterior ring to counter-clockwise",
                "ring 1: reversed a hole to clockwise",
            ]
        );
        let poly = &mp.0[0];
        assert_eq!(poly.exterior().0.len(), 5);
        assert!(twice_signed_area(&poly.exterior().0[..4]) > 0.0);
        assert!(twice_signed_area(&poly.interiors()[0].0[..3]) < 0.0);
    }

    #[test]
    fn drops_degenerate_rings_and_reports() {
        let mut repairs = Vec::new();
        let ext = ring(&[(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        let hole = ring(&[(2., 2.), (3., 3.), (2., 2.)]);
        let sliver = ring(&[(20., 20.), (21., 21.), (20., 20.)]);
        let mp = repair_polygons(vec![vec![ext, hole], vec![sliver]], &mut repairs).unwrap();
        assert_eq!(mp.0.len(), 1);
        assert!(mp.0[0].interiors().is_empty());
        assert_eq!(
            repairs,
            [
                "polygon 0 ring 1: dropped a hole with 2 distinct points",
                "polygon 1 ring 0: dropped the polygon, its exterior ring has 2 distinct points",
            ]
        );
        let err = repair_polygons(
            vec![vec![ring(&[(0., 0.), (1., 1.), (0., 0.)])]],
            &mut repairs,
        )
        .unwrap_err();
        assert!(err.message.contains("no polygon"), "{err}");
    }

    #[test]
    fn bow_tie_is_an_error_naming_the_ring() {
        let mut repairs = Vec::new();
        let bow = ring(&[(0., 0.), (10., 10.), (10., 0.), (0., 10.), (0., 0.)]);
        let err = repair_polygons(vec![vec![bow]], &mut repairs).unwrap_err();
        assert_eq!(err.ring, "ring 0");
        assert!(
            err.message
                .contains("intersects itself near (5.000000, 5.000000)"),
            "{err}"
        );
    }

    #[test]
    fn spike_and_self_touch_are_errors() {
        let mut repairs = Vec::new();
        let spike = ring(&[
            (0., 0.),
            (10., 0.),
            (15., 0.),
            (12., 0.),
            (10., 10.),
            (0., 0.),
        ]);
        assert!(repair_polygons(vec![vec![spike]], &mut repairs).is_err());
        // A figure of eight pinched at (5, 5).
        let eight = ring(&[
            (0., 0.),
            (5., 5.),
            (10., 0.),
            (10., 10.),
            (5., 5.),
            (0., 10.),
            (0., 0.),
        ]);
        assert!(repair_polygons(vec![vec![eight]], &mut repairs).is_err());
    }
}
