//! Ring clipping and quantisation: an open ring in tile units (f64) in, a
//! valid MVT ring (integer points, no repeats, no collinear points, non-zero
//! area) out, or nothing when the ring vanishes.
//!
//! Clipping is real polygon intersection with the buffered tile square;
//! coordinates are never clamped.

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};

/// What is left of a polygon in the window.
#[derive(Debug)]
pub(crate) enum Clipped {
    /// Nothing.
    Outside,
    /// All of it, as it was given.
    Inside,
    /// These parts, each as open rings, exterior first.
    Parts(Vec<Vec<Vec<[f64; 2]>>>),
}

impl Clipped {
    /// The parts, with `rings` (the polygon clipped) standing for itself
    /// when it lies inside: not copied.
    pub(crate) fn parts<'a>(
        &'a self,
        rings: &'a [Vec<[f64; 2]>],
    ) -> impl Iterator<Item = &'a [Vec<[f64; 2]>]> {
        let whole = matches!(self, Clipped::Inside).then_some(rings);
        let parts = match self {
            Clipped::Parts(p) => p.as_slice(),
            _ => &[],
        };
        whole.into_iter().chain(parts.iter().map(Vec::as_slice))
    }
}

/// Clips a polygon (open rings: exterior then holes) to the square
/// `[lo, hi]²`.
///
/// Polygons wholly inside or outside take a fast path, and so do those
/// crossing the border just twice (Sutherland–Hodgman is exact for them);
/// the others go through geo's boolean intersection, which (unlike
/// Sutherland–Hodgman) splits a polygon leaving and re-entering the window
/// into separate valid parts instead of joining them with zero-width edges
/// along the tile border.
pub(crate) fn clip_polygon(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Clipped {
    let Some(ext) = rings.first() else {
        return Clipped::Outside;
    };
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in ext {
        minx = minx.min(p[0]);
        miny = miny.min(p[1]);
        maxx = maxx.max(p[0]);
        maxy = maxy.max(p[1]);
    }
    if maxx < lo || maxy < lo || minx > hi || miny > hi {
        return Clipped::Outside;
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
        return Clipped::Inside;
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
            Clipped::Parts(vec![vec![vec![[lo, hi], [lo, lo], [hi, lo], [hi, hi]]]])
        } else {
            Clipped::Outside
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
            return Clipped::Outside;
        }
        &cut
    } else {
        rings
    };
    if let Some(part) = clip_once(rings, lo, hi) {
        return Clipped::Parts(vec![part]);
    }
    Clipped::Parts(intersect(rings, lo, hi))
}

/// Where a ring lies against the open square `(lo, hi)²`.
#[derive(Debug, PartialEq)]
enum Meets {
    /// Every point strictly inside.
    Inside,
    /// Every point outside, and no edge through the square.
    Apart,
    /// Leaves the square once and comes back once, touching its border
    /// nowhere else.
    Once,
    /// More crossings, or a point or an edge on the border.
    Other,
}

/// The polygon (open rings, exterior first) cut to the square `[lo, hi]²`
/// by Sutherland–Hodgman, when that is exactly the intersection: the
/// exterior crosses the border twice (a chord across the square, so the
/// intersection is one piece) and each hole lies wholly inside or wholly
/// apart. That is most rings a tile cuts, and it is several times quicker
/// than the boolean operation; `None` sends the rest there.
fn clip_once(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Option<Vec<Vec<[f64; 2]>>> {
    let ext = rings.first()?;
    if ext.len() < 3 || meets(ext, lo, hi) != Meets::Once {
        return None;
    }
    let centre = [(lo + hi) / 2.0, (lo + hi) / 2.0];
    let mut part = vec![clip_ring_to_box(ext, lo, hi)];
    for hole in &rings[1..] {
        match meets(hole, lo, hi) {
            Meets::Inside => part.push(hole.clone()),
            // A hole around the whole square belongs to an invalid polygon.
            Meets::Apart if !covers(std::slice::from_ref(hole), centre) => {}
            _ => return None,
        }
    }
    Some(part)
}

/// How an open ring meets the open square `(lo, hi)²`, counting its exits:
/// an edge from inside to outside, or an edge through the square between
/// two outside points.
fn meets(ring: &[[f64; 2]], lo: f64, hi: f64) -> Meets {
    let strictly = |p: [f64; 2]| p[0] > lo && p[0] < hi && p[1] > lo && p[1] < hi;
    let closed = |p: [f64; 2]| p[0] >= lo && p[0] <= hi && p[1] >= lo && p[1] <= hi;
    let Some(&last) = ring.last() else {
        return Meets::Other;
    };
    let (mut exits, mut inside) = (0u32, 0usize);
    let (mut prev, mut pin) = (last, strictly(last));
    for &p in ring {
        let qin = strictly(p);
        if !qin && closed(p) {
            return Meets::Other;
        }
        match (pin, qin) {
            (true, false) => exits += 1,
            (false, false) => match passes_through(prev, p, lo, hi) {
                Some(true) => exits += 1,
                Some(false) => {}
                None => return Meets::Other,
            },
            _ => {}
        }
        inside += usize::from(qin);
        (prev, pin) = (p, qin);
    }
    match exits {
        0 if inside == ring.len() => Meets::Inside,
        0 if inside == 0 => Meets::Apart,
        1 => Meets::Once,
        _ => Meets::Other,
    }
}

/// Whether the edge `a`–`b` between two points outside the square crosses
/// its interior (Liang–Barsky); `None` when it only touches the border.
fn passes_through(a: [f64; 2], b: [f64; 2], lo: f64, hi: f64) -> Option<bool> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in 0..2 {
        for (p, q) in [(-d[axis], a[axis] - lo), (d[axis], hi - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return Some(false);
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
    }
    if t0 > t1 {
        return Some(false);
    }
    let t = (t0 + t1) / 2.0;
    let m = [a[0] + d[0] * t, a[1] + d[1] * t];
    let interior = t0 < t1 && m[0] > lo && m[0] < hi && m[1] > lo && m[1] < hi;
    interior.then_some(true)
}

/// The boolean intersection of a polygon (open rings, exterior first) with
/// the square `[lo, hi]²`: the general path, for rings that cross it.
///
/// This is exactly what geo's `BooleanOps::intersection` of a `Polygon` and
/// the square's `Rect::to_polygon` does (i_overlay with OGC options, the
/// default solver and the even–odd rule, on the same paths in the same
/// order), without building geo polygons on the way in and out: those
/// conversions allocated each ring three more times.
fn intersect(rings: &[Vec<[f64; 2]>], lo: f64, hi: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    if rings.is_empty() {
        return Vec::new();
    }
    // geo closes each ring and hands i_overlay the ring without its closing
    // point, and keeps only holes of three points or more.
    let closed = |r: &[[f64; 2]]| -> bool { r.first() == r.last() };
    let same = rings.iter().all(|r| !r.is_empty() && !closed(r))
        && rings[1..].iter().all(|r| r.len() >= 3);
    let owned: Vec<Vec<[f64; 2]>>;
    let subject: &[Vec<[f64; 2]>] = if same {
        rings
    } else {
        owned = std::iter::once(&rings[0])
            .chain(rings[1..].iter().filter(|r| r.len() >= 3))
            .map(|r| match r.split_last() {
                Some((_, open)) if closed(r) => open.to_vec(),
                _ => r.clone(),
            })
            .collect();
        &owned
    };
    // Rect::to_polygon's exterior without its closing point.
    let window = [[hi, lo], [hi, hi], [lo, hi], [lo, lo]];
    let mut shapes = FloatOverlay::with_subj_and_clip_custom(
        subject,
        &window,
        OverlayOptions::ogc(),
        Default::default(),
    )
    .overlay(OverlayRule::Intersect, FillRule::EvenOdd);
    // geo closes each output ring; clip_polygon's rings are open.
    for ring in shapes.iter_mut().flatten() {
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
    }
    shapes
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
    // Two buffers passed back and forth: each cut adds at most one point
    // per crossing, so room for a few more than the ring rarely regrows.
    let mut out = Vec::with_capacity(ring.len() + 8);
    out.extend_from_slice(ring);
    let mut input = Vec::with_capacity(ring.len() + 8);
    // (axis, bound, keep when below the bound)
    for (axis, bound, below) in [(0, lo, false), (0, hi, true), (1, lo, false), (1, hi, true)] {
        let inside = |p: &[f64; 2]| {
            if below {
                p[axis] <= bound
            } else {
                p[axis] >= bound
            }
        };
        std::mem::swap(&mut input, &mut out);
        out.clear();
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
/// (including zero-width spikes), into `out` (cleared first; a buffer kept
/// between rings). Leaves `out` empty when fewer than three points remain.
pub(crate) fn quantise_into(ring: &[[f64; 2]], out: &mut Vec<[i32; 2]>) {
    out.clear();
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
            out.clear();
            return;
        }
        if out[0] == out[n - 1] || cross(out[n - 2], out[n - 1], out[0]) == 0 {
            out.pop();
        } else if cross(out[n - 1], out[0], out[1]) == 0 {
            out.remove(0);
        } else {
            return;
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
mod tests;
