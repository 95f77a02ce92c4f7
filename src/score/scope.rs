//! Normalisation scope: a [`Scope`] and a dataset in, the groups of area
//! positions that normalise (and rank) together out.
//!
//! Groups are sorted lists of positions in `Dataset::areas` (so by code), and
//! the groups themselves come in key order (nation letter, borough code), so
//! everything downstream iterates in a fixed order.

use std::collections::BTreeMap;

use super::Scope;
use super::error::ScoreError;
use super::methodology::Origin;
use crate::dataset::Dataset;

/// The partition of in-scope areas; areas outside every group get no score.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// Each group's area positions, ascending.
    pub groups: Vec<Vec<usize>>,
    /// For each area, its group, or `None` when out of scope.
    pub group_of: Vec<Option<u32>>,
}

/// Builds the groups. A scope that selects no area is an error naming `key`
/// (`scope`, or `options.scope` when the run overrides it).
pub fn groups(
    dataset: &Dataset,
    scope: &Scope,
    origin: &Origin,
    key: &str,
) -> Result<Groups, ScoreError> {
    let n = dataset.areas.len();
    let groups: Vec<Vec<usize>> = match scope {
        Scope::All => vec![(0..n).collect()],
        // Borrowed keys: no string per area. A char orders as its one-char string.
        Scope::Nation => by_key(dataset, |i| {
            dataset.areas[i].code.as_str().chars().next().unwrap_or(' ')
        }),
        Scope::LocalAuthority => by_key(dataset, |i| dataset.areas[i].borough_code.as_str()),
        Scope::Custom(codes) => {
            let mut pos: Vec<usize> = codes
                .iter()
                .filter_map(|c| dataset.position(c.as_str()))
                .collect();
            pos.sort_unstable();
            pos.dedup();
            vec![pos]
        }
    };
    let groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() {
        return Err(origin.invalid(key, "the scope has no areas in this dataset"));
    }
    let mut group_of = vec![None; n];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            group_of[i] = Some(g as u32);
        }
    }
    Ok(Groups { groups, group_of })
}

fn by_key<K: Ord>(dataset: &Dataset, key: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let mut map: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for i in 0..dataset.areas.len() {
        map.entry(key(i)).or_default().push(i);
    }
    map.into_values().collect()
}
