//! Spatial index: an R-tree (rstar) over a dataset's areas.
//!
//! (Contract stub: the server helper fills it in.)

use crate::dataset::Dataset;

/// R-tree over area polygons, answering point and box queries with positions
/// in `Dataset::areas`.
#[derive(Debug, Default)]
pub struct AreaIndex {}

impl AreaIndex {
    /// Builds the index.
    pub fn new(_dataset: &Dataset) -> AreaIndex {
        AreaIndex {}
    }

    /// The area containing (lon, lat), if any.
    pub fn locate(&self, _lon: f64, _lat: f64) -> Option<usize> {
        None
    }

    /// Areas whose polygons intersect the box (min lon, min lat, max lon, max lat).
    pub fn intersecting(&self, _bbox: [f64; 4]) -> Vec<usize> {
        Vec::new()
    }
}
