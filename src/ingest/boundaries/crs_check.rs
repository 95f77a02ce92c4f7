//! Settling a boundary file's CRS and checking its coordinates fit it.
//!
//! In: the CRS the user states, the one the file names (GeoJSON `crs`
//! member, Shapefile `.prj`) and the raw coordinates. Out: where the CRS
//! came from ([`Declared`]), or an error when the two contradict, when a
//! named CRS is unknown, or when the coordinates cannot be in the CRS
//! (longitude/latitude out of range, or grid metres that look like degrees),
//! naming the first such feature and saying to state the CRS.

use std::path::Path;

use geo_types::Coord;

use super::{Boundaries, BoundaryOptions, Crs, RawFeature, feature_code, finish, geojson};
use crate::ingest::IngestError;

/// Settles a parsed file's CRS (the user's, else the file's, else WGS84),
/// refusing a stated CRS that contradicts the file's own, then finishes.
pub(super) fn settle_crs(
    parsed: geojson::Parsed,
    file: &Path,
    opts: &BoundaryOptions,
) -> Result<Boundaries, IngestError> {
    let in_file = match parsed.crs.as_deref() {
        None => None,
        Some(name) => match Crs::parse(name) {
            Some(crs) => Some(crs),
            None if opts.crs.is_some() => None,
            None => {
                return Err(IngestError::File {
                    file: file.to_path_buf(),
                    message: format!(
                        "unknown CRS {name:?} in the file's \"crs\" member; state the CRS (e.g. EPSG:27700)"
                    ),
                });
            }
        },
    };
    let declared = match (opts.crs, in_file) {
        (Some(user), Some(own)) if user != own => {
            return Err(IngestError::File {
                file: file.to_path_buf(),
                message: format!(
                    "the file's \"crs\" member says {own}, but {user} was stated for it; the two contradict, so one is wrong"
                ),
            });
        }
        (Some(crs), _) => Declared::User(crs),
        (None, Some(crs)) => Declared::File(crs),
        (None, None) => Declared::Assumed,
    };
    finish(file, parsed.features, declared, opts, false)
}

/// Where the CRS came from (for error messages).
#[derive(Clone, Copy, Debug)]
pub(super) enum Declared {
    User(Crs),
    File(Crs),
    /// None stated: RFC 7946 GeoJSON is WGS84.
    Assumed,
}

/// Refuses WGS84 when a coordinate cannot be longitude/latitude, naming the
/// first such feature and saying to state the CRS.
pub(super) fn check_lon_lat(
    file: &Path,
    raw: &[RawFeature],
    declared: Declared,
) -> Result<(), IngestError> {
    let bad = raw.iter().enumerate().find_map(|(i, f)| {
        f.polygons
            .iter()
            .flatten()
            .flatten()
            .find(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y))
            .map(|c| (i, *c, feature_code(&f.properties)))
    });
    let Some((feature, c, code)) = bad else {
        return Ok(());
    };
    let why = match declared {
        Declared::Assumed => {
            "no CRS is stated, so it should be WGS84 longitude/latitude (RFC 7946), but"
        }
        Declared::File(_) => "the file states WGS84, but",
        Declared::User(_) => "WGS84 was stated, but",
    };
    Err(IngestError::Feature {
        file: file.to_path_buf(),
        feature,
        code,
        message: format!(
            "{why} coordinate ({}, {}) is not a longitude/latitude; the file looks projected: state its CRS (e.g. EPSG:27700)",
            c.x, c.y
        ),
    })
}

/// Refuses British National Grid when a coordinate lies off the grid, or
/// when every coordinate could be a longitude/latitude (a WGS84 file
/// mislabelled: in metres it would all lie within 180 m of the grid's
/// origin, in the sea off the Isles of Scilly).
pub(super) fn check_grid(
    file: &Path,
    raw: &[RawFeature],
    declared: Declared,
) -> Result<(), IngestError> {
    let why = match declared {
        Declared::File(_) => "the file states EPSG:27700 (British National Grid), but",
        _ => "EPSG:27700 (British National Grid) was stated, but",
    };
    let fail = |feature: usize, f: &RawFeature, message: String| IngestError::Feature {
        file: file.to_path_buf(),
        feature,
        code: feature_code(&f.properties),
        message: format!("{why} {message}"),
    };
    let coords = || {
        raw.iter().enumerate().flat_map(|(i, f)| {
            f.polygons
                .iter()
                .flatten()
                .flatten()
                .map(move |c| (i, f, *c))
        })
    };
    // The grid's extent (EPSG:27700 area of use, with a margin).
    let on_grid = |c: &Coord<f64>| {
        (-110_000.0..=710_000.0).contains(&c.x) && (-20_000.0..=1_300_000.0).contains(&c.y)
    };
    if let Some((i, f, c)) = coords().find(|(_, _, c)| !on_grid(c)) {
        return Err(fail(
            i,
            f,
            format!(
                "coordinate ({}, {}) is off the grid; state the file's real CRS",
                c.x, c.y
            ),
        ));
    }
    let lon_lat = |c: &Coord<f64>| c.x.abs() <= 180.0 && c.y.abs() <= 90.0;
    if coords().all(|(_, _, c)| lon_lat(&c))
        && let Some((i, f, c)) = coords().next()
    {
        return Err(fail(
            i,
            f,
            format!(
                "every coordinate is within ±180, ±90, e.g. ({}, {}): these are longitude/latitude, not metres; state EPSG:4326",
                c.x, c.y
            ),
        ));
    }
    Ok(())
}
