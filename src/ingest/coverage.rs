//! The coverage stage: how well one table reached the areas.
//!
//! In: a dataset's spec, its kept rows, their [`Contrib`]s to the areas and
//! the columns aggregated from them. Out: a [`Coverage`] for the build
//! report: rows read and ignored, areas matched and missing (with a few of
//! the missing codes), and each column's present count.

use super::geography::Contrib;
use super::project::DatasetSpec;
use super::report::Coverage;
use super::validate::Rows;
use crate::dataset::{Area, Column};

/// Codes of areas without a value shown in the report.
const MISSING_SAMPLE: usize = 5;

/// The coverage of one dataset's columns over the areas.
pub(super) fn coverage(
    d: &DatasetSpec,
    rows: &Rows,
    contribs: &[Contrib],
    areas: &[Area],
    columns: &[Column],
) -> Coverage {
    let n = areas.len();
    let mut reached = vec![false; n];
    for c in contribs {
        reached[c.target] = true;
    }
    let matched = reached.iter().filter(|x| **x).count();
    let missing_sample: Vec<String> = reached
        .iter()
        .enumerate()
        .filter(|(_, r)| !**r)
        .take(MISSING_SAMPLE)
        .map(|(i, _)| areas[i].code.to_string())
        .collect();
    Coverage {
        dataset: d.name.clone(),
        file: d.file.clone(),
        rows: rows.codes.len(),
        ignored_rows: rows.ignored,
        matched,
        missing: n - matched,
        missing_sample,
        columns: columns
            .iter()
            .map(|c| (c.id.to_string(), c.values.present()))
            .collect(),
    }
}
