//! The first stage: the boundary file becomes the areas.
//!
//! In: the project's `[boundaries]` (file, code and name properties, borough
//! and ward sources) and an optional CRS override. Out: the areas sorted by
//! code, each with its borough and ward, the repairs made to the features,
//! and a warning naming the areas left without a borough or ward. A feature
//! without a code, or two with the same code, fails the build with every
//! such feature listed.

use std::path::Path;

use super::IngestError;
use super::boundaries::{self, Boundaries, BoundaryOptions, Crs};
use super::files::Files;
use super::geography;
use super::policy::MAX_PROBLEMS;
use super::project::Project;
use super::validate;
use crate::dataset::{AdminUnit, Area, LsoaCode};

/// Reads a boundary file from disk (GeoJSON, gzip, Shapefile) or from embedded bytes (GeoJSON).
pub(super) fn load_boundaries(
    files: &Files,
    name: &str,
    crs: Option<Crs>,
) -> Result<Boundaries, IngestError> {
    let opts = BoundaryOptions {
        crs,
        ..Default::default()
    };
    match files.disk_path(name) {
        Some(p) => boundaries::read_boundaries(&p, &opts),
        None => boundaries::parse_geojson(&files.read(name)?, Path::new(name), &opts),
    }
}

/// Turns boundary features into areas sorted by code, with borough and ward.
pub(super) fn make_areas(
    project: &Project,
    bounds: Boundaries,
    warnings: &mut Vec<String>,
) -> Result<Vec<Area>, IngestError> {
    let b = &project.spec.boundaries;
    let file = project.files.display_path(&b.file);
    let borough_units = match b.borough.as_ref().and_then(|s| s.lookup.as_ref()) {
        Some(l) => Some(geography::read_units(&project.files, l)?),
        None => None,
    };
    let ward_units = match &project.spec.wards {
        Some(w) => Some(geography::read_units(&project.files, w)?),
        None => None,
    };
    let mut problems = Vec::new();
    let mut areas = Vec::with_capacity(bounds.features.len());
    let mut no_borough = Vec::new();
    let mut no_ward = Vec::new();
    for f in bounds.features {
        let feature_err = |message: String, code: Option<String>| IngestError::Feature {
            file: file.clone(),
            feature: f.index,
            code,
            message,
        };
        let Some(code) = f.properties.get(&b.code).filter(|c| !c.trim().is_empty()) else {
            problems.push(feature_err(format!("no code property '{}'", b.code), None));
            continue;
        };
        let code = LsoaCode::new(code);
        let name = f.properties.get(&b.name).cloned().unwrap_or_default();
        let (mut borough_code, mut borough_name) = (String::new(), String::new());
        if let Some(bs) = &b.borough {
            if bs.name_prefix.is_some()
                && let Some((c, n)) = geography::london_borough_of(&name)
            {
                (borough_code, borough_name) = (c.to_string(), n.to_string());
            }
            if let Some(cf) = &bs.code_field {
                borough_code = f.properties.get(cf).cloned().unwrap_or_default();
            }
            if let Some(nf) = &bs.name_field {
                borough_name = f.properties.get(nf).cloned().unwrap_or_default();
            }
            if let Some(units) = &borough_units
                && let Some((c, n)) = units.get(code.as_str())
            {
                (borough_code, borough_name) = (c.clone(), n.clone());
            }
        }
        let borough =
            (!borough_code.trim().is_empty()).then(|| AdminUnit::new(borough_code, borough_name));
        if b.borough.is_some() && borough.is_none() {
            no_borough.push(code.to_string());
        }
        let ward = match ward_units.as_ref().map(|u| u.get(code.as_str())) {
            Some(Some((c, n))) => Some(AdminUnit::new(c.clone(), n.clone())),
            Some(None) => {
                no_ward.push(code.to_string());
                None
            }
            None => None,
        };
        areas.push((
            f.index,
            Area {
                code,
                name,
                borough,
                ward,
                geometry: f.geometry,
            },
        ));
    }
    areas.sort_by(|a, b| a.1.code.cmp(&b.1.code).then(a.0.cmp(&b.0)));
    for w in areas.windows(2) {
        if w[0].1.code == w[1].1.code {
            problems.push(IngestError::Feature {
                file: file.clone(),
                feature: w[1].0,
                code: Some(w[1].1.code.to_string()),
                message: format!("duplicate code (also feature {})", w[0].0),
            });
        }
    }
    if !problems.is_empty() {
        return Err(IngestError::one_or_many(validate::summarise(
            &file,
            problems,
            MAX_PROBLEMS,
        )));
    }
    if areas.is_empty() {
        return Err(IngestError::File {
            file,
            message: "no features".into(),
        });
    }
    // Every area without a unit is named, up to a screenful.
    for (what, list) in [("borough", &no_borough), ("ward", &no_ward)] {
        if !list.is_empty() {
            let shown = list.len().min(20);
            let more = if shown < list.len() { ", ..." } else { "" };
            warnings.push(format!(
                "{}: {} areas have no {what}: {}{more}",
                file.display(),
                list.len(),
                list[..shown].join(", ")
            ));
        }
    }
    Ok(areas.into_iter().map(|(_, a)| a).collect())
}
