//! Normalisation scope: a [`Scope`] and a dataset in, the groups of area
//! positions that normalise (and rank) together out.
//!
//! Groups are sorted lists of positions in `Dataset::areas` (so by code), and
//! the groups themselves come in key order (nation letter, borough code), so
//! everything downstream iterates in a fixed order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::Range;

use super::Scope;
use super::error::ScoreError;
use super::methodology::Origin;
use crate::dataset::{Area, Dataset};

/// The partition of in-scope areas; areas outside every group get no score.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    /// Each group's area positions, ascending.
    pub groups: Vec<Vec<usize>>,
    /// For each area, its group, or `None` when out of scope.
    pub group_of: Vec<Option<u32>>,
    /// The areas in order, cut where the group changes: what the column
    /// passes walk.
    pub segments: Vec<Segment>,
}

/// A stretch of consecutive areas.
#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    /// At least [`LONG_RUN`] areas all in one group (`None`: out of scope):
    /// all of them in scope `all`, a few dozen in a local authority (codes
    /// run by authority). Taken in a loop with no lookups.
    Run(Range<usize>, Option<u32>),
    /// Shorter runs, taken area by area.
    Mixed(Range<usize>),
}

/// The shortest run of one group that is a [`Segment::Run`].
pub const LONG_RUN: usize = 16;

impl Groups {
    /// The groups of `n` areas from each group's members (ascending).
    pub fn new(groups: Vec<Vec<usize>>, n: usize) -> Groups {
        let mut group_of = vec![None; n];
        for (g, members) in groups.iter().enumerate() {
            for &i in members {
                if let Some(x) = group_of.get_mut(i) {
                    *x = Some(g as u32);
                }
            }
        }
        let segments = segments(&group_of);
        Groups {
            groups,
            group_of,
            segments,
        }
    }
}

/// Cuts the areas into runs of one group, merging short ones.
fn segments(group_of: &[Option<u32>]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut mixed: Option<Range<usize>> = None;
    let mut i = 0;
    while let Some(&g) = group_of.get(i) {
        let len = group_of[i..].iter().take_while(|x| **x == g).count();
        let run = i..i + len;
        i += len;
        if len < LONG_RUN {
            mixed = Some(mixed.map_or(run.clone(), |m| m.start..run.end));
            continue;
        }
        if let Some(m) = mixed.take() {
            out.push(Segment::Mixed(m));
        }
        out.push(Segment::Run(run, g));
    }
    if let Some(m) = mixed {
        out.push(Segment::Mixed(m));
    }
    out
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
        // Areas with no borough score together, as one group before the rest.
        Scope::LocalAuthority => by_key(dataset, |i| dataset.areas[i].borough_code()),
        Scope::Custom(codes) => {
            // The codes in order, each found by galloping on from the last
            // one: a binary search over the whole dataset per code touches
            // scattered areas, a cache miss at every step.
            let mut want: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            want.sort_unstable();
            want.dedup();
            let mut pos = Vec::with_capacity(want.len());
            let mut at = 0;
            for code in want {
                at = gallop(&dataset.areas, at, code);
                if dataset
                    .areas
                    .get(at)
                    .is_some_and(|a| a.code.as_str() == code)
                {
                    pos.push(at);
                    at += 1;
                }
            }
            vec![pos]
        }
    };
    let groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    if groups.is_empty() {
        return Err(origin.invalid(key, "the scope has no areas in this dataset"));
    }
    Ok(Groups::new(groups, n))
}

/// The first position at or after `from` whose code is not below `code`
/// (areas are sorted by code): doubling steps, then a binary search.
fn gallop(areas: &[Area], from: usize, code: &str) -> usize {
    let rest = areas.get(from..).unwrap_or_default();
    let below = |a: &Area| a.code.as_str() < code;
    let mut hi = 1;
    while hi < rest.len() && below(&rest[hi - 1]) {
        hi *= 2;
    }
    let (lo, hi) = (hi / 2, hi.min(rest.len()));
    from + lo + rest[lo..hi].partition_point(below)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::AdminUnit;
    use crate::dataset::LsoaCode;
    use geo_types::MultiPolygon;

    fn dataset(codes: &[&str]) -> Dataset {
        Dataset {
            areas: codes
                .iter()
                .map(|c| Area {
                    code: LsoaCode::new(*c),
                    name: String::new(),
                    borough: Some(AdminUnit::new(&c[..2], String::new())),
                    ward: None,
                    geometry: MultiPolygon(vec![]),
                })
                .collect(),
            ..Dataset::default()
        }
    }

    #[test]
    fn custom_codes_found_in_any_order_once() {
        let codes: Vec<String> = (0..300).map(|i| format!("E{i:04}")).collect();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let d = dataset(&refs);
        let origin = Origin {
            file: "t".into(),
            lines: Default::default(),
        };
        let pick = [299, 0, 17, 17, 5, 1, 298, 64, 65, 200];
        let mut sel: Vec<LsoaCode> = pick
            .iter()
            .map(|&i| LsoaCode::new(codes[i].clone()))
            .collect();
        sel.push(LsoaCode::new("E0017x"));
        sel.push(LsoaCode::new("A"));
        sel.push(LsoaCode::new("Z"));
        let g = groups(&d, &Scope::Custom(sel), &origin, "scope").expect("groups");
        let mut want: Vec<usize> = pick.to_vec();
        want.sort_unstable();
        want.dedup();
        assert_eq!(g.groups, vec![want.clone()]);
        for i in 0..300 {
            assert_eq!(g.group_of[i].is_some(), want.contains(&i), "area {i}");
        }
    }

    #[test]
    fn segments_cover_every_area_in_order() {
        let mut group_of = vec![Some(0); 40];
        group_of.extend([Some(1), None, Some(1), Some(2)]);
        group_of.extend(vec![None; 20]);
        group_of.extend(vec![Some(1); 3]);
        let s = segments(&group_of);
        assert_eq!(
            s,
            vec![
                Segment::Run(0..40, Some(0)),
                Segment::Mixed(40..44),
                Segment::Run(44..64, None),
                Segment::Mixed(64..67),
            ]
        );
        assert!(segments(&[]).is_empty());
    }
}
