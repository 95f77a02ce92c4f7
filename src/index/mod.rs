//! Spatial index: an R-tree (rstar) over a dataset's areas.
//!
//! In: a [`Dataset`]'s area polygons (WGS84). Out: an [`AreaIndex`] answering
//! "which area holds this point" and "which areas touch this box" with
//! positions in `Dataset::areas`. The tree holds each area's bounding box;
//! candidates are then checked exactly against the polygon with `geo`, so a
//! point in a box corner outside the polygon is not reported. The polygons
//! are the dataset's own, shared through its `Arc`, not a copy.

use std::sync::Arc;

use geo::{BoundingRect, Intersects};
use geo_types::{Coord, MultiPolygon, Point, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::dataset::Dataset;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// R-tree over area polygons, answering point and box queries with positions
/// in `Dataset::areas`.
#[derive(Default)]
pub struct AreaIndex {
    tree: RTree<Entry>,
    dataset: Arc<Dataset>,
}

impl std::fmt::Debug for AreaIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AreaIndex")
            .field("areas", &self.len())
            .finish()
    }
}

impl AreaIndex {
    /// Builds the index (bulk-loaded, so construction is O(n log n)).
    pub fn new(dataset: Arc<Dataset>) -> AreaIndex {
        let entries: Vec<Entry> = dataset
            .areas
            .iter()
            .map(|a| &a.geometry)
            .enumerate()
            .filter_map(|(i, g)| {
                // An empty geometry has no box and can never match.
                let r = g.bounding_rect()?;
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                Some(GeomWithData::new(rect, i))
            })
            .collect();
        AreaIndex {
            tree: RTree::bulk_load(entries),
            dataset,
        }
    }

    fn geometry(&self, i: usize) -> &MultiPolygon<f64> {
        &self.dataset.areas[i].geometry
    }

    /// Number of indexed areas.
    pub fn len(&self) -> usize {
        self.dataset.areas.len()
    }

    /// True when no areas are indexed.
    pub fn is_empty(&self) -> bool {
        self.dataset.areas.is_empty()
    }

    /// The area containing (lon, lat), if any. A point on a shared boundary
    /// belongs to the area with the lowest position, so answers are stable.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        if !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        let p = Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .filter(|&i| self.geometry(i).intersects(&p))
            .min()
    }

    /// Areas whose polygons intersect the box (min lon, min lat, max lon, max
    /// lat), in ascending position order. A box with min > max or non-finite
    /// corners matches nothing.
    pub fn intersecting(&self, bbox: [f64; 4]) -> Vec<usize> {
        let [w, s, e, n] = bbox;
        if !bbox.iter().all(|v| v.is_finite()) || w > e || s > n {
            return Vec::new();
        }
        let rect = Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n });
        let env = AABB::from_corners([w, s], [e, n]);
        let mut out: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
            .filter(|&i| self.geometry(i).intersects(&rect))
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Area, LsoaCode};
    use geo_types::{LineString, Polygon};

    fn square(x: f64, y: f64, size: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (x, y),
                (x + size, y),
                (x + size, y + size),
                (x, y + size),
                (x, y),
            ]),
            vec![],
        )])
    }

    fn triangle() -> MultiPolygon<f64> {
        // Lower-left half of the unit square at (10, 10).
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(10.0, 10.0), (11.0, 10.0), (10.0, 11.0), (10.0, 10.0)]),
            vec![],
        )])
    }

    fn area(code: &str, geometry: MultiPolygon<f64>) -> Area {
        Area {
            code: LsoaCode::new(code),
            name: code.to_string(),
            borough: None,
            ward: None,
            geometry,
        }
    }

    fn dataset() -> Dataset {
        Dataset {
            areas: vec![
                area("A", square(0.0, 0.0, 1.0)),
                area("B", square(1.0, 0.0, 1.0)),
                area("C", square(0.0, 1.0, 1.0)),
                area("D", triangle()),
                area("E", MultiPolygon(vec![])),
            ],
            ..Dataset::default()
        }
    }

    #[test]
    fn locates_points_inside_areas() {
        let idx = AreaIndex::new(Arc::new(dataset()));
        assert_eq!(idx.len(), 5);
        assert_eq!(idx.locate(0.5, 0.5), Some(0));
        assert_eq!(idx.locate(1.5, 0.5), Some(1));
        assert_eq!(idx.locate(0.5, 1.5), Some(2));
        assert_eq!(idx.locate(10.2, 10.2), Some(3));
        assert_eq!(idx.locate(5.0, 5.0), None);
        assert_eq!(idx.locate(f64::NAN, 0.5), None);
    }

    #[test]
    fn point_in_box_but_outside_polygon_is_not_found() {
        let idx = AreaIndex::new(Arc::new(dataset()));
        // Inside the triangle's bounding box, beyond its hypotenuse.
        assert_eq!(idx.locate(10.9, 10.9), None);
    }

    #[test]
    fn shared_edge_goes_to_lowest_position() {
        let idx = AreaIndex::new(Arc::new(dataset()));
        assert_eq!(idx.locate(1.0, 0.5), Some(0));
    }

    #[test]
    fn box_queries_are_exact_and_sorted() {
        let idx = AreaIndex::new(Arc::new(dataset()));
        assert_eq!(idx.intersecting([0.2, 0.2, 0.4, 0.4]), vec![0]);
        assert_eq!(idx.intersecting([0.5, 0.5, 1.5, 1.5]), vec![0, 1, 2]);
        assert_eq!(
            idx.intersecting([-10.0, -10.0, 20.0, 20.0]),
            vec![0, 1, 2, 3]
        );
        // Touches the triangle's box only.
        assert!(idx.intersecting([10.8, 10.8, 10.95, 10.95]).is_empty());
        assert!(idx.intersecting([1.0, 1.0, 0.0, 0.0]).is_empty());
        assert!(idx.intersecting([f64::NAN, 0.0, 1.0, 1.0]).is_empty());
    }

    #[test]
    fn empty_dataset_answers_nothing() {
        let idx = AreaIndex::new(Arc::default());
        assert!(idx.is_empty());
        assert_eq!(idx.locate(0.0, 0.0), None);
        assert!(idx.intersecting([-1.0, -1.0, 1.0, 1.0]).is_empty());
    }
}
