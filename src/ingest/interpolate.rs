//! Area-weighted interpolation between two polygon geographies.
//!
//! In: target polygons (the boundary areas) and source polygons (another
//! geography, e.g. 2021 LSOAs), both WGS84. Out: for each overlapping pair the
//! intersection area and the source's area, from which a share of each source
//! count is given to each target. Areas are measured after a local
//! equirectangular scaling (longitude × cos of the mean latitude), which is
//! equal-area to well under 1% across a region the size of England, and only
//! ratios of areas are used. Candidates come from an R-tree (rstar) of target
//! bounding boxes; intersections from geo's boolean operations, in parallel.
//! [`routes`] turns the overlaps into the [`Routes`] of an `interpolate`
//! dataset: each source code to the areas it overlaps, with its share.

use geo::{Area, BooleanOps, BoundingRect, MapCoords};
use geo_types::{Coord, MultiPolygon};
use rayon::prelude::*;
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};
use std::collections::HashMap;

use super::IngestError;
use super::areas::load_boundaries;
use super::boundaries::Crs;
use super::files::Files;
use super::geography::Routes;
use super::project::SourceBoundarySpec;
use crate::dataset::Area as BoundaryArea;

/// One overlap of a target and a source polygon.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overlap {
    /// Target position.
    pub target: usize,
    /// Source position.
    pub source: usize,
    /// Intersection area (scaled units).
    pub area: f64,
    /// Source polygon's area (scaled units).
    pub source_area: f64,
}

fn scale(mp: &MultiPolygon<f64>, k: f64) -> MultiPolygon<f64> {
    mp.map_coords(|c| Coord { x: c.x * k, y: c.y })
}

fn rect(mp: &MultiPolygon<f64>) -> Option<Rectangle<[f64; 2]>> {
    let r = mp.bounding_rect()?;
    Some(Rectangle::from_corners(
        [r.min().x, r.min().y],
        [r.max().x, r.max().y],
    ))
}

/// Every overlap with positive area, sorted by target then source.
pub fn overlaps(targets: &[&MultiPolygon<f64>], sources: &[&MultiPolygon<f64>]) -> Vec<Overlap> {
    let lats: Vec<f64> = targets
        .iter()
        .filter_map(|t| t.bounding_rect())
        .map(|r| (r.min().y + r.max().y) / 2.0)
        .collect();
    let lat0 = if lats.is_empty() {
        0.0
    } else {
        lats.iter().sum::<f64>() / lats.len() as f64
    };
    let k = lat0.to_radians().cos();
    let tgt: Vec<MultiPolygon<f64>> = targets.par_iter().map(|t| scale(t, k)).collect();
    let tree = RTree::bulk_load(
        tgt.iter()
            .enumerate()
            .filter_map(|(i, t)| rect(t).map(|r| GeomWithData::new(r, i)))
            .collect(),
    );
    let mut out: Vec<Overlap> = sources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(s, src)| {
            let src = scale(src, k);
            let source_area = src.unsigned_area();
            let found: Vec<Overlap> = match src.bounding_rect() {
                Some(r) if source_area > 0.0 => {
                    let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                    tree.locate_in_envelope_intersecting(&env)
                        .filter_map(|cand| {
                            let t = cand.data;
                            let area = tgt[t].intersection(&src).unsigned_area();
                            (area > 0.0).then_some(Overlap {
                                target: t,
                                source: s,
                                area,
                                source_area,
                            })
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            found.into_iter()
        })
        .collect();
    out.sort_by_key(|o| (o.target, o.source));
    out
}

/// Reads the source polygons of an `interpolate` dataset and routes each
/// source code to the areas it overlaps: its share of the source's area,
/// and the overlap's area as the weight for averaging values.
pub(super) fn routes(
    files: &Files,
    sb: &SourceBoundarySpec,
    areas: &[BoundaryArea],
) -> Result<Routes, IngestError> {
    let crs = sb.crs.as_deref().and_then(Crs::parse);
    let src = load_boundaries(files, &sb.file, crs)?;
    let src_file = files.display_path(&sb.file);
    let mut src_codes = Vec::with_capacity(src.features.len());
    for f in &src.features {
        match f.properties.get(&sb.code) {
            Some(c) => src_codes.push(c.trim().to_string()),
            None => {
                return Err(IngestError::Feature {
                    file: src_file,
                    feature: f.index,
                    code: None,
                    message: format!("no code property '{}'", sb.code),
                });
            }
        }
    }
    let targets: Vec<_> = areas.iter().map(|a| &a.geometry).collect();
    let sources: Vec<_> = src.features.iter().map(|f| &f.geometry).collect();
    let mut to: HashMap<String, Vec<(usize, f64, f64)>> =
        src_codes.iter().map(|c| (c.clone(), Vec::new())).collect();
    for o in overlaps(&targets, &sources) {
        if let Some(v) = to.get_mut(&src_codes[o.source]) {
            v.push((o.target, o.area / o.source_area, o.area));
        }
    }
    Ok(Routes { to })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
        ]])
    }

    #[test]
    fn halves_of_a_source_go_to_two_targets() {
        let t = [
            sq(0.0, 0.0, 1.0, 1.0),
            sq(1.0, 0.0, 2.0, 1.0),
            sq(5.0, 5.0, 6.0, 6.0),
        ];
        let s = [sq(0.5, 0.0, 1.5, 1.0)];
        let o = overlaps(&t.iter().collect::<Vec<_>>(), &s.iter().collect::<Vec<_>>());
        assert_eq!(o.len(), 2);
        for x in &o {
            assert!((x.area / x.source_area - 0.5).abs() < 1e-9, "{x:?}");
        }
        assert_eq!((o[0].target, o[1].target), (0, 1));
    }
}
