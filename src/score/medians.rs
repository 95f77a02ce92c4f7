//! The typical area of each scope group, which drivers are measured
//! against. In: the indicator score columns, their raw values and the scope
//! groups. Out: [`Medians`], each indicator's median score and median raw
//! value per group (one selection per indicator per group gives both;
//! indicators in parallel), and [`Typical`], which pairs them with each
//! area's group and labels a driver with its group's median raw value
//! ("2.3× the median in scope").

use rayon::prelude::*;

use super::Driver;
use super::rank::{asc_key, from_asc_key};
use super::scope::Groups;

/// Each indicator's median score and median raw value within each scope
/// group, over the group's areas with a score (NaN where none has one; the
/// mean of the two middle values for an even count).
#[derive(Clone, Debug, Default)]
pub struct Medians {
    groups: usize,
    /// `score[j * groups + g]`.
    score: Vec<f64>,
    /// `raw[j * groups + g]`.
    raw: Vec<f64>,
}

impl Medians {
    /// Indicator `j`'s median score in each group.
    pub(super) fn scores(&self, j: usize) -> &[f64] {
        self.score
            .get(j * self.groups..(j + 1) * self.groups)
            .unwrap_or_default()
    }

    /// Indicator `j`'s median raw value in group `g` (`None` outside every
    /// group or where no area of the group has a score).
    pub fn raw(&self, j: usize, g: Option<u32>) -> Option<f64> {
        let g = usize::try_from(g?).ok()?;
        if g >= self.groups {
            return None;
        }
        self.raw
            .get(j * self.groups + g)
            .copied()
            .filter(|v| !v.is_nan())
    }
}

/// The medians of every indicator (`columns`: scores, `raws`: raw values,
/// both aligned with the areas), indicators in parallel.
///
/// One selection per group gives both medians. Within a group the score is
/// a monotone function of the raw value (every transform is; reversed
/// indicators are decreasing), so the areas in the middle of the raw order
/// are also in the middle of the score order: ordering `(raw, score)` pairs
/// by raw value and taking the middle one or two gives the median raw value
/// and, from the same areas, the median score. For a decreasing transform
/// the two middle areas swap places, which the mean of two does not see.
/// The reference in `score/tests.rs` takes the two medians apart, by
/// sorting, and agrees bit for bit for every transform and direction.
pub fn medians(columns: &[&[f64]], raws: &[&[Option<f64>]], groups: &Groups) -> Medians {
    let ng = groups.groups.len();
    let per: Vec<(Vec<f64>, Vec<f64>)> = columns
        .par_iter()
        .zip(raws.par_iter())
        .map(|(col, raw)| {
            let mut keys = Vec::new();
            let mut out = (Vec::with_capacity(ng), Vec::with_capacity(ng));
            for g in &groups.groups {
                keys.clear();
                for &i in g {
                    let s = col.get(i).copied().unwrap_or(f64::NAN);
                    if !s.is_nan() {
                        let r = raw.get(i).copied().flatten().unwrap_or(f64::NAN);
                        keys.push(pair_key(r, s));
                    }
                }
                let (s, r) = median(&mut keys);
                out.0.push(s);
                out.1.push(r);
            }
            out
        })
        .collect();
    let mut m = Medians {
        groups: ng,
        ..Medians::default()
    };
    for (s, r) in per {
        m.score.extend(s);
        m.raw.extend(r);
    }
    m
}

/// A key ordered by the raw value (`f64::total_cmp`), carrying the score.
fn pair_key(raw: f64, score: f64) -> u128 {
    (u128::from(asc_key(raw)) << 64) | u128::from(asc_key(score))
}

/// The score and raw value of a [`pair_key`].
fn unpair(k: u128) -> (f64, f64) {
    // Truncation keeps the low half, the score's key.
    (from_asc_key(k as u64), from_asc_key((k >> 64) as u64))
}

/// The median score and median raw value of the areas whose
/// [`pair_key`]s are `keys` (NaN when empty), reordering them: one
/// selection, then the largest of the lower half for an even count.
/// Selecting on integer keys was twice as fast as on floats with
/// `total_cmp`.
fn median(keys: &mut [u128]) -> (f64, f64) {
    let n = keys.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (lower, hi, _) = keys.select_nth_unstable(n / 2);
    let hi = *hi;
    let (hs, hr) = unpair(hi);
    if n % 2 == 1 {
        return (hs, hr);
    }
    let (ls, lr) = unpair(lower.iter().copied().max().unwrap_or(hi));
    (0.5 * (ls + hs), 0.5 * (lr + hr))
}

/// The medians and the group of each area: what a driver is measured against.
#[derive(Clone, Copy)]
pub struct Typical<'a> {
    /// From [`medians`].
    pub medians: &'a Medians,
    /// Each area's scope group.
    pub group_of: &'a [Option<u32>],
}

impl Typical<'_> {
    /// Fills in each used slot's median raw value, for areas `a0..`.
    pub(super) fn label(&self, a0: usize, used: &[u8], slots: &mut [Driver]) {
        let top = slots.len() / used.len().max(1);
        for (i, (u, slot)) in used.iter().zip(slots.chunks_mut(top.max(1))).enumerate() {
            let g = self.group_of.get(a0 + i).copied().flatten();
            for d in &mut slot[..usize::from(*u).min(top)] {
                d.median = self.medians.raw(d.indicator, g);
            }
        }
    }
}
