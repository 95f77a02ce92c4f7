//! Reading artifacts of format version 3, written before an area's borough
//! and ward were each one optional [`AdminUnit`]. In: a version 3 payload,
//! today's layout but for [`Area`] (postcard cannot rename or regroup
//! fields, so it has its own types). Out: today's
//! [`Dataset`](super::Dataset): an empty borough code is no borough, and a
//! ward without a name has an empty one. `v2` reads version 2 payloads
//! into this module's types.

use geo_types::MultiPolygon;
use serde::Deserialize;

use crate::dataset::{self as ds, AdminUnit, Column, Layer, LsoaCode};

/// A version 3 dataset.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) struct Dataset {
    pub(super) title: String,
    pub(super) geography: String,
    pub(super) areas: Vec<Area>,
    pub(super) columns: Vec<Column>,
    pub(super) layers: Vec<Layer>,
    pub(super) attribution: Vec<String>,
}

/// An area as versions 2 and 3 laid it out.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) struct Area {
    code: LsoaCode,
    name: String,
    /// Empty when unknown.
    borough_code: String,
    borough_name: String,
    ward_code: Option<String>,
    ward_name: Option<String>,
    geometry: MultiPolygon<f64>,
}

impl From<Area> for ds::Area {
    fn from(a: Area) -> ds::Area {
        ds::Area {
            code: a.code,
            name: a.name,
            borough: (!a.borough_code.is_empty())
                .then(|| AdminUnit::new(a.borough_code, a.borough_name)),
            ward: a
                .ward_code
                .map(|c| AdminUnit::new(c, a.ward_name.unwrap_or_default())),
            geometry: a.geometry,
        }
    }
}

impl From<Dataset> for ds::Dataset {
    fn from(d: Dataset) -> ds::Dataset {
        ds::Dataset {
            title: d.title,
            geography: d.geography,
            areas: d.areas.into_iter().map(ds::Area::from).collect(),
            columns: d.columns,
            layers: d.layers,
            attribution: d.attribution,
        }
    }
}

/// An area as versions 2 and 3 wrote it, for tests.
#[cfg(test)]
pub(super) fn area_from_current(a: &ds::Area) -> Area {
    Area {
        code: a.code.clone(),
        name: a.name.clone(),
        borough_code: a.borough_code().unwrap_or_default().to_string(),
        borough_name: a.borough_name().unwrap_or_default().to_string(),
        ward_code: a.ward_code().map(str::to_string),
        ward_name: a.ward_name().map(str::to_string),
        geometry: a.geometry.clone(),
    }
}

/// A dataset as version 3 wrote it, for tests.
#[cfg(test)]
pub(super) fn from_current(d: &ds::Dataset) -> Dataset {
    Dataset {
        title: d.title.clone(),
        geography: d.geography.clone(),
        areas: d.areas.iter().map(area_from_current).collect(),
        columns: d.columns.clone(),
        layers: d.layers.clone(),
        attribution: d.attribution.clone(),
    }
}
