//! Reading artifacts of format version 2, written before a column could
//! declare its unit. In: a version 2 payload, which is today's layout without
//! `Source::unit` and with version 3's areas (postcard cannot skip a field,
//! so it has its own types).
//! Out: a version 3 dataset (which [`v3`] reads on into today's), every
//! column with no declared unit, so the schema reads units from labels as
//! it did when it was built.

use serde::Deserialize;

use super::v3;
use crate::dataset::{self as ds, ColumnId, Layer, Measure, Values};

/// A version 2 dataset.
#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
pub(super) struct Dataset {
    title: String,
    geography: String,
    areas: Vec<v3::Area>,
    columns: Vec<Column>,
    layers: Vec<Layer>,
    attribution: Vec<String>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Column {
    id: ColumnId,
    label: String,
    values: Values,
    source: Source,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(serde::Serialize))]
struct Source {
    dataset: String,
    file: String,
    vintage: String,
    method: String,
    demonstration: bool,
    measure: Measure,
}

impl From<Dataset> for v3::Dataset {
    /// Version 3 is version 2 with units; its reader takes it on from there.
    fn from(d: Dataset) -> v3::Dataset {
        v3::Dataset {
            title: d.title,
            geography: d.geography,
            areas: d.areas,
            columns: d
                .columns
                .into_iter()
                .map(|c| ds::Column {
                    id: c.id,
                    label: c.label,
                    values: c.values,
                    source: ds::Source {
                        dataset: c.source.dataset,
                        file: c.source.file,
                        vintage: c.source.vintage,
                        method: c.source.method,
                        demonstration: c.source.demonstration,
                        measure: c.source.measure,
                        unit: None,
                    },
                })
                .collect(),
            layers: d.layers,
            attribution: d.attribution,
        }
    }
}

/// A dataset as version 2 wrote it (its units dropped), for tests.
#[cfg(test)]
pub(super) fn from_current(d: &ds::Dataset) -> Dataset {
    Dataset {
        title: d.title.clone(),
        geography: d.geography.clone(),
        areas: d.areas.iter().map(v3::area_from_current).collect(),
        columns: d
            .columns
            .iter()
            .map(|c| Column {
                id: c.id.clone(),
                label: c.label.clone(),
                values: c.values.clone(),
                source: Source {
                    dataset: c.source.dataset.clone(),
                    file: c.source.file.clone(),
                    vintage: c.source.vintage.clone(),
                    method: c.source.method.clone(),
                    demonstration: c.source.demonstration,
                    measure: c.source.measure.clone(),
                },
            })
            .collect(),
        layers: d.layers.clone(),
        attribution: d.attribution.clone(),
    }
}
