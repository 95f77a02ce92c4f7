//! A methodology against a dataset: every indicator column must be a
//! numeric column of the dataset.
//!
//! In: a parsed [`Methodology`] and a [`Dataset`]. Out: nothing, or every
//! problem at once ([`ScoreError::all`]), each with the file, line and key
//! of the indicator's `column`, and for a column the dataset lacks, its
//! nearest column names ("did you mean 'aged_65_plus'?"). One hash map of
//! the dataset's columns serves every look-up, so the check is linear in
//! the number of indicators plus columns.

use std::collections::HashMap;

use super::error::ScoreError;
use super::methodology::Methodology;
use crate::dataset::{Column, Dataset, Values};

/// Most suggestions given for one missing column.
const SUGGESTIONS: usize = 3;

/// Every problem with the methodology's columns in `dataset`.
pub(super) fn columns(m: &Methodology, dataset: &Dataset) -> Result<(), ScoreError> {
    let by_id = column_map(dataset);
    let mut errs = Vec::new();
    for (c, comp) in m.components.iter().enumerate() {
        for (i, ind) in comp.indicators.iter().enumerate() {
            let message = match by_id.get(ind.column.as_str()).map(|col| &col.values) {
                Some(Values::Numeric(_)) => continue,
                Some(Values::Category(_)) => {
                    format!("column '{}' is a category, not numeric", ind.column)
                }
                None => {
                    let near = nearest(&ind.column, dataset);
                    if near.is_empty() {
                        format!("column '{}' is not in the dataset", ind.column)
                    } else {
                        let names: Vec<String> = near.iter().map(|n| format!("'{n}'")).collect();
                        format!(
                            "column '{}' is not in the dataset; did you mean {}?",
                            ind.column,
                            names.join(", ")
                        )
                    }
                }
            };
            let key = format!("component[{c}].indicator[{i}].column");
            errs.push(m.origin.invalid(&key, message));
        }
    }
    ScoreError::all(errs)
}

/// The dataset's columns by id (the first, should an id repeat, as
/// [`Dataset::column`] finds it).
pub(super) fn column_map(dataset: &Dataset) -> HashMap<&str, &Column> {
    let mut map = HashMap::with_capacity(dataset.columns.len());
    for col in &dataset.columns {
        map.entry(col.id.as_str()).or_insert(col);
    }
    map
}

/// Up to [`SUGGESTIONS`] numeric column names nearest `name`: by edit
/// distance (ignoring case), within a third of the name's length (at least
/// 2), or holding it or held in it ([`contains`]); nearest first, then by
/// name.
fn nearest<'a>(name: &str, dataset: &'a Dataset) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(2);
    let mut found: Vec<(usize, &str)> = dataset
        .columns
        .iter()
        .filter(|c| matches!(c.values, Values::Numeric(_)))
        .filter_map(|c| {
            let id = c.id.as_str();
            let other = id.to_lowercase();
            let d = edit_distance(&lower, &other);
            (d <= limit || contains(&lower, &other)).then_some((d, id))
        })
        .collect();
    found.sort_unstable();
    found.dedup_by(|a, b| a.1 == b.1);
    found
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, n)| n)
        .collect()
}

/// True when one name holds the other and the shorter is a real part of
/// the longer (3 characters or more, and at least half of it): "aged_65" in
/// "aged_65_plus", not "e" in "nope".
fn contains(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 3.max(long.len().div_ceil(2)) && long.contains(short)
}

/// Levenshtein distance over characters (one row of the table at a time).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{contains, edit_distance};

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("scor", "score"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn only_a_real_part_of_a_name_counts_as_contained() {
        assert!(contains("aged_65", "aged_65_plus"));
        assert!(contains("aged_65_plus", "aged_65"));
        assert!(!contains("nope", "e"));
        assert!(!contains("imd", "imd_score_2019_rank"));
    }
}
