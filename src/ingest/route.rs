//! The routing stage: which areas each row of a table reaches.
//!
//! In: one dataset's spec (its geography: the areas' own codes, an OA or
//! best-fit lookup, source polygons to interpolate from, or points) and the
//! sorted areas. Out: a [`Route`] (the code → area map, the phrase for a
//! code it does not know, the method text the columns' provenance ends
//! with), and, once the rows are read, their [`Contrib`]s to the areas,
//! sorted by area then row.

use std::ops::Range;

use super::IngestError;
use super::crs::bng_to_wgs84;
use super::geography::{self, Contrib, Routes};
use super::interpolate;
use super::points;
use super::project::{DatasetSpec, GeographyKind, Project};
use crate::dataset::Area;

/// How one dataset's rows reach the areas.
pub(super) struct Route {
    /// Row code → areas (empty for points, which are located instead).
    pub routes: Routes,
    /// How an unknown code is described in a problem.
    pub unknown_phrase: String,
    /// What the provenance of each column adds ("; points counted per area").
    pub method_tail: String,
}

/// Chooses the route for a dataset's geography, reading its lookup or
/// source boundaries.
pub(super) fn choose(
    project: &Project,
    d: &DatasetSpec,
    span: &Range<usize>,
    areas: &[Area],
    codes: &[&str],
) -> Result<Route, IngestError> {
    let files = &project.files;
    let position = |c: &str| codes.binary_search(&c).ok();
    let (routes, method_tail) = match d.geography {
        GeographyKind::Lsoa => (Routes::direct(codes), String::new()),
        GeographyKind::Oa | GeographyKind::Lookup => {
            let l = d
                .lookup
                .as_ref()
                .ok_or_else(|| project.error_at(span, "missing 'lookup'"))?;
            let pairs = geography::read_lookup(files, l)?;
            if d.geography == GeographyKind::Oa {
                (
                    Routes::many_to_one(&pairs, position),
                    format!("; output areas summed to areas through {}", l.file),
                )
            } else {
                (
                    Routes::best_fit(&pairs, position),
                    format!(
                        "; brought onto these areas through the best-fit lookup {} (computed on the source geography, then assigned; counts shared equally where several areas take one source area)",
                        l.file
                    ),
                )
            }
        }
        GeographyKind::Interpolate => {
            let sb = d
                .boundaries
                .as_ref()
                .ok_or_else(|| project.error_at(span, "missing 'boundaries'"))?;
            (
                interpolate::routes(files, sb, areas)?,
                format!("; area-weighted interpolation from {}", sb.file),
            )
        }
        GeographyKind::Points => (Routes::default(), "; points counted per area".into()),
    };
    let unknown_phrase = match d.geography {
        GeographyKind::Lsoa => format!(
            "is not in the boundaries ({})",
            project.spec.boundaries.file
        ),
        GeographyKind::Oa => {
            "is not in the lookup (or its area is not in the boundaries)".to_string()
        }
        GeographyKind::Lookup => "is not reached by the lookup from any boundary area".to_string(),
        _ => "is not in the source boundaries".to_string(),
    };
    Ok(Route {
        routes,
        unknown_phrase,
        method_tail,
    })
}

/// The coordinate columns of a points dataset, and whether they are
/// British National Grid eastings and northings rather than lon/lat.
pub(super) fn point_columns(d: &DatasetSpec) -> (Option<(&str, &str)>, bool) {
    match (&d.lon, &d.lat, &d.easting, &d.northing) {
        (Some(x), Some(y), _, _) => (Some((x.as_str(), y.as_str())), false),
        (_, _, Some(x), Some(y)) => (Some((x.as_str(), y.as_str())), true),
        _ => (None, false),
    }
}

/// Each located point as a whole contribution to the area it falls in,
/// sorted by area then row; eastings and northings are converted first.
pub(super) fn point_contribs(
    areas: &[Area],
    points: &mut [Option<(f64, f64)>],
    bng: bool,
) -> Vec<Contrib> {
    if bng {
        for p in points.iter_mut() {
            *p = p.map(|(e, n)| bng_to_wgs84(e, n));
        }
    }
    let geoms: Vec<_> = areas.iter().map(|a| &a.geometry).collect();
    let mut c: Vec<Contrib> = points::locate(&geoms, points)
        .into_iter()
        .enumerate()
        .filter_map(|(row, t)| {
            t.map(|target| Contrib {
                target,
                row,
                fraction: 1.0,
                area_weight: 1.0,
            })
        })
        .collect();
    c.sort_by_key(|c| (c.target, c.row));
    c
}
