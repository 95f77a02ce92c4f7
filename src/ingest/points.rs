//! Counting points per area.
//!
//! In: WGS84 points (already converted from British National Grid where the
//! table gives eastings and northings) and the areas' polygons. Out: the area
//! each point falls in, if any, found through an R-tree of area bounding
//! boxes and an exact point-in-polygon test. A point on a shared edge goes to
//! the first area (in code order) that contains or touches it.

use geo::{BoundingRect, Contains, Intersects};
use geo_types::{MultiPolygon, Point};
use rayon::prelude::*;
use rstar::{RTree, primitives::GeomWithData, primitives::Rectangle};

/// The area position of each point, or `None` when it falls in no area.
pub fn locate(areas: &[&MultiPolygon<f64>], points: &[Option<(f64, f64)>]) -> Vec<Option<usize>> {
    let tree = RTree::bulk_load(
        areas
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let r = a.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    points
        .par_iter()
        .map(|p| {
            let (x, y) = (*p)?;
            let pt = Point::new(x, y);
            let mut cands: Vec<usize> = tree.locate_all_at_point(&[x, y]).map(|c| c.data).collect();
            cands.sort_unstable();
            cands
                .iter()
                .copied()
                .find(|&i| areas[i].contains(&pt))
                .or_else(|| cands.iter().copied().find(|&i| areas[i].intersects(&pt)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn points_fall_in_their_square() {
        let a = MultiPolygon::new(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
        ]);
        let b = MultiPolygon::new(vec![
            polygon![(x: 1., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.)],
        ]);
        let got = locate(
            &[&a, &b],
            &[
                Some((0.5, 0.5)),
                Some((1.5, 0.5)),
                Some((1.0, 0.5)),
                Some((9.0, 9.0)),
                None,
            ],
        );
        assert_eq!(got, [Some(0), Some(1), Some(0), None, None]);
    }
}
