//! Normalisation scope: a [`Scope`] and a dataset in, the groups of area
//! positions that normalise (and rank) together out.
//!
//! Groups are sorted lists of positions in `Dataset::areas` (so by code), and
//! the groups themselves come in key order (nation letter, borough code), so
//! everything downstream iterates in a fixed order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

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

/// Areas grouped by key, groups in key order, members ascending. Keys are
/// numbered as first seen (a hash lookup, skipped while consecutive areas
/// share a key, as a borough's LSOAs mostly do), and only the distinct keys
/// are sorted.
fn by_key<K: Ord + Hash + Copy>(dataset: &Dataset, key: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let mut ids: HashMap<K, usize, BuildHasherDefault<Fx>> = HashMap::default();
    let mut members: Vec<(K, Vec<usize>)> = Vec::new();
    let mut last: Option<(K, usize)> = None;
    for i in 0..dataset.areas.len() {
        let k = key(i);
        let g = match last {
            Some((lk, g)) if lk == k => g,
            _ => *ids.entry(k).or_insert_with(|| {
                members.push((k, Vec::new()));
                members.len() - 1
            }),
        };
        last = Some((k, g));
        if let Some((_, m)) = members.get_mut(g) {
            m.push(i);
        }
    }
    // Keys are distinct, so any sort gives the one order.
    members.sort_unstable_by_key(|m| m.0);
    members.into_iter().map(|(_, m)| m).collect()
}

/// A small multiplicative hasher for short keys (borough codes): the
/// standard SipHash costs more than the rest of the grouping. Not
/// DoS-resistant, which keys from the dataset itself do not need.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
