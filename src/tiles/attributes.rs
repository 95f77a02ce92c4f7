//! Tile layers from a scored dataset: which attributes each feature carries.
//!
//! (Contract stub: the server helper fills it in.)

use super::LayerData;
use crate::score::ScoredDataset;

/// The `lsoa`, `boroughs` and (where present) `wards` layers of a scored dataset.
pub fn layers_from_scored(scored: &ScoredDataset) -> Vec<LayerData> {
    let _ = scored;
    Vec::new()
}
