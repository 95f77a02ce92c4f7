//! Drivers: what is unusual about an area. In: the indicator score columns,
//! the raw values, the scope groups and the weights; out: each area's
//! [`Drivers`], the indicators that raise its index most relative to a
//! typical area in its scope group.
//!
//! An indicator's driver contribution is its effective weight in the
//! area's index times how far its score sits above the scope group's median
//! score of that indicator, `factor × (score − median)` ([`contribution`]);
//! the factor is `cw[c] / cden × iw[j] / den[c]` (component weight over the
//! scored component weights, indicator weight over the present indicator
//! weights of its component), so it is what one score point of the indicator
//! adds to this area's index. Only positive contributions are kept, largest
//! first, ties to the earlier indicator, each with the group's median raw
//! value for the words "2.3× the median in scope". The medians are one
//! selection per indicator per group (`medians.rs`); the per-area work is the
//! column-wise selection of [`drivers`] from the weight sums of
//! [`combine_columns`](super::weights::combine_columns), or row by row
//! ([`top_drivers`]) for more than eight drivers or a NaN contribution.

use multiversion::multiversion;
use rayon::prelude::*;

use super::medians::Typical;
use super::methodology::{Methodology, MissingPolicy};
use super::weights::{CHUNK, ChunkSums, Sums, chunk_of, combine, mask, present_mask, threshold};
use super::{Driver, Drivers};

/// Most drivers the column-wise selection of [`drivers`] keeps; more take
/// [`top_drivers`].
const FAST_TOP: usize = 8;

/// What one score point of an indicator adds to an area's index: its
/// component's share of the scored component weight (`share`) times its
/// weight `w` over its component's present indicator weight `den`.
#[inline]
fn factor(share: f64, w: f64, den: f64) -> f64 {
    share * w / den
}

/// The driver contribution of a score against its scope group's median.
#[inline]
fn contribution(factor: f64, score: f64, median: f64) -> f64 {
    factor * (score - median)
}

/// The `top_drivers` largest positive contributions of each area, as
/// [`top_drivers`] gives them, from the sums of `combine_columns` over the
/// same columns and weights, in parallel over its chunks.
pub fn drivers(
    m: &Methodology,
    columns: &[&[f64]],
    iw: &[f64],
    cw: &[f64],
    n: usize,
    sums: &Sums,
    typical: Typical<'_>,
) -> Drivers {
    let top = m.top_drivers.min(255);
    // Column-wise selection for the usual few drivers; a NaN contribution
    // (which no comparison orders) sends the whole run to top_drivers.
    if !(1..=FAST_TOP).contains(&top) || sums.chunks.len() != n.div_ceil(CHUNK) {
        return top_drivers(m, columns, iw, cw, n, typical);
    }
    let comp_of: Vec<usize> = m.indicators().map(|(c, _)| c).collect();
    let mut used = vec![0u8; n];
    let mut slots = vec![Driver::default(); n * top];
    let ok = used
        .par_chunks_mut(CHUNK)
        .zip(slots.par_chunks_mut(CHUNK * top))
        .zip(&sums.chunks)
        .enumerate()
        .all(|(ch, ((used, slots), sums))| {
            let (a0, len) = (ch * CHUNK, used.len());
            let cols = chunk_of(columns, a0, len);
            let at = Chunk {
                a0,
                comp_of: &comp_of,
                iw,
                cw,
            };
            let ok = chunk_drivers(&cols, sums, at, typical, used, slots);
            typical.label(a0, used, slots);
            ok
        });
    if ok {
        Drivers { top, used, slots }
    } else {
        top_drivers(m, columns, iw, cw, n, typical)
    }
}

/// Where a chunk starts and the weights it is scored with.
#[derive(Clone, Copy)]
struct Chunk<'a> {
    a0: usize,
    comp_of: &'a [usize],
    iw: &'a [f64],
    cw: &'a [f64],
}

/// The drivers of one chunk of areas, column-wise (see [`select_top`] for
/// the rule): each indicator's contributions for the whole chunk, then a
/// branch-free insertion into `used.len()` sorted slot columns. An area's
/// factor is `cw[c] / iden * iw[j] / den[c]`, as [`Pattern::factors`] works
/// it out from the same sums. False when some contribution is NaN (nothing
/// is then trusted). Compiled for AVX2 too, as `combine_chunk`.
#[multiversion(targets("x86_64+avx2"))]
fn chunk_drivers(
    cols: &[&[f64]],
    sums: &ChunkSums,
    at: Chunk<'_>,
    typical: Typical<'_>,
    used: &mut [u8],
    slots: &mut [Driver],
) -> bool {
    let ChunkSums { den, iden, has } = sums;
    let Chunk {
        a0,
        comp_of,
        iw,
        cw,
    } = at;
    let len = used.len();
    if has.len() != len || iden.len() != len {
        return false;
    }
    let top = slots.len() / len.max(1);
    // Slot q of area i at [q * len + i]; 0.0 is empty (only positive
    // contributions are kept).
    let mut val = vec![0.0f64; top * len];
    let mut ind = vec![0usize; top * len];
    let mut v = vec![0.0f64; len];
    let mut nan = false;
    // cw[c] / iden, the first step of every factor, once per component.
    let ncomp = den.len() / len.max(1);
    let mut share = vec![0.0f64; ncomp * len];
    for (c, sh) in share.chunks_mut(len.max(1)).enumerate() {
        for ((sh, y), h) in sh.iter_mut().zip(iden).zip(has) {
            *sh = if *h { cw[c] / y } else { 0.0 };
        }
    }
    // Each area's group (usize::MAX outside the scope: no median), and the
    // group median of the indicator at hand, area by area.
    let gid: Vec<usize> = (a0..a0 + len)
        .map(|a| {
            let g = typical.group_of.get(a).copied().flatten();
            g.map_or(usize::MAX, |g| g as usize)
        })
        .collect();
    let mut med = vec![f64::NAN; len];
    for (j, col) in cols.iter().enumerate() {
        let (c, w) = (comp_of[j], iw[j]);
        let den = &den[c * len..(c + 1) * len];
        let share = &share[c * len..(c + 1) * len];
        let group_median = typical.medians.scores(j);
        for (m, g) in med.iter_mut().zip(&gid) {
            *m = group_median.get(*g).copied().unwrap_or(f64::NAN);
        }
        for (((((v, s), h), d), g), m) in v
            .iter_mut()
            .zip(*col)
            .zip(has)
            .zip(den)
            .zip(share)
            .zip(&med)
        {
            // Computed for every area and masked (see combine_columns).
            let keep = present_mask(*s) & mask(*h) as u64 & mask(*d > 0.0) as u64;
            let x = contribution(factor(*g, w, *d), *s, *m);
            *v = f64::from_bits(x.to_bits() & keep);
        }
        nan |= v.iter().fold(false, |a, x| a | x.is_nan());
        // Insert before the first smaller value: slot q takes its left
        // neighbour where v beats that, else v where v beats it; going from
        // the last slot down, the left neighbour is still the old one. With
        // slots sorted (left >= slot) the value is max(slot, min(v, left)),
        // and the indices follow the same comparisons as bit masks: no
        // branches, so the compiler vectorises across areas.
        for q in (0..top).rev() {
            let (lv, cv) = val.split_at_mut(q * len);
            let (li, ci) = ind.split_at_mut(q * len);
            let (cv, ci) = (&mut cv[..len], &mut ci[..len]);
            if q == 0 {
                for ((x, cv), ci) in v.iter().zip(cv).zip(ci) {
                    let here = mask(*x > *cv);
                    *cv = cv.max(*x);
                    *ci = (j & here) | (*ci & !here);
                }
            } else {
                let (lv, li) = (&lv[(q - 1) * len..], &li[(q - 1) * len..]);
                for ((((x, cv), ci), lv), li) in v.iter().zip(cv).zip(ci).zip(lv).zip(li) {
                    let shift = mask(*x > *lv);
                    let here = mask(*x > *cv);
                    *cv = cv.max(x.min(*lv));
                    *ci = (*li & shift) | (((j & here) | (*ci & !here)) & !shift);
                }
            }
        }
    }
    for (i, (u, slot)) in used.iter_mut().zip(slots.chunks_mut(top)).enumerate() {
        let mut k = 0;
        for (q, s) in slot.iter_mut().enumerate() {
            let x = val[q * len + i];
            if x > 0.0 {
                *s = Driver {
                    indicator: ind[q * len + i],
                    contribution: x,
                    median: None,
                };
                k += 1;
            }
        }
        *u = k;
    }
    !nan
}

/// The `top_drivers` largest positive contributions of each area, largest
/// first, ties to the earlier indicator, in parallel over area chunks. An
/// indicator's factor depends only on which scores the area has, so it is
/// worked out once per pattern (once for all complete areas), not per area.
pub fn top_drivers(
    m: &Methodology,
    columns: &[&[f64]],
    iw: &[f64],
    cw: &[f64],
    n: usize,
    typical: Typical<'_>,
) -> Drivers {
    // Slot counts are u8; top_drivers is checked to be at most 100.
    let top = m.top_drivers.min(255);
    let mut used = vec![0u8; n];
    if top == 0 {
        return Drivers {
            top,
            used,
            slots: Vec::new(),
        };
    }
    let pattern = Pattern {
        comp_of: m.indicators().map(|(c, _)| c).collect(),
        ncomp: m.components.len(),
        policy: m.missing,
        t: threshold(m.min_coverage),
        iw,
        cw,
    };
    let k = columns.len();
    let all = vec![true; k];
    let mut full = vec![None; k];
    let full_has_index = pattern.factors(&all, &mut full);
    let mut slots = vec![Driver::default(); n * top];
    slots
        .par_chunks_mut(CHUNK * top)
        .zip(used.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(ch, (slots, used))| {
            let a0 = ch * CHUNK;
            let mut present = vec![false; k];
            let mut factors = vec![None; k];
            let mut row = vec![0.0; k];
            for (i, (slot, used)) in slots.chunks_mut(top).zip(used.iter_mut()).enumerate() {
                let a = a0 + i;
                let g = typical.group_of.get(a).copied().flatten();
                for (p, col) in present.iter_mut().zip(columns) {
                    *p = col.get(a).is_some_and(|s| !s.is_nan());
                }
                let f = if present.iter().all(|p| *p) {
                    if !full_has_index {
                        continue;
                    }
                    &full
                } else {
                    if !pattern.factors(&present, &mut factors) {
                        continue;
                    }
                    &factors
                };
                for (j, ((r, col), f)) in row.iter_mut().zip(columns).zip(f).enumerate() {
                    let med = g
                        .and_then(|g| typical.medians.scores(j).get(g as usize).copied())
                        .unwrap_or(f64::NAN);
                    *r = match (col.get(a), f) {
                        (Some(s), Some(f)) if !s.is_nan() => contribution(*f, *s, med),
                        _ => 0.0,
                    };
                }
                *used = select_top(&row, slot);
            }
            typical.label(a0, used, slots);
        });
    Drivers { top, used, slots }
}

/// The largest positive values of `row` into `slot` (its length is the
/// number kept), largest first, ties to the earlier position; returns how
/// many. An insertion list: this is the path for more than
/// [`FAST_TOP`] drivers or a NaN contribution, which the column-wise
/// selection of [`chunk_drivers`] leaves to it.
fn select_top(row: &[f64], slot: &mut [Driver]) -> u8 {
    let top = slot.len();
    let mut k = 0usize;
    for (j, &v) in row.iter().enumerate() {
        if v <= 0.0 {
            continue;
        }
        let at = slot[..k]
            .iter()
            .position(|b| v > b.contribution)
            .unwrap_or(k);
        if at < top {
            let end = (k + 1).min(top);
            slot.copy_within(at..end - 1, at + 1);
            slot[at] = Driver {
                indicator: j,
                contribution: v,
                median: None,
            };
            k = end;
        }
    }
    k as u8
}

/// What a pattern of present scores implies, as `Prepared::area` works it
/// out.
struct Pattern<'a> {
    comp_of: Vec<usize>,
    ncomp: usize,
    policy: MissingPolicy,
    /// [`threshold`] of `min_coverage`.
    t: f64,
    iw: &'a [f64],
    cw: &'a [f64],
}

impl Pattern<'_> {
    /// Each indicator's contribution per score point, `cw[c] / cden * iw[j]
    /// / den[c]`, into `out` (`None`: contributes nothing); false when an
    /// area with these scores has no index.
    fn factors(&self, present: &[bool], out: &mut [Option<f64>]) -> bool {
        let (iw, cw) = (self.iw, self.cw);
        if self.policy == MissingPolicy::ExcludeArea && present.iter().any(|p| !p) {
            return false;
        }
        let mut den = vec![0.0; self.ncomp];
        for (j, &p) in present.iter().enumerate() {
            if p {
                den[self.comp_of[j]] += iw[j];
            }
        }
        // Which components are scored and whether the area has an index:
        // combine's rule, applied to the present weights alone.
        let mut scored = vec![None; self.ncomp];
        if combine(&den, &den, cw, self.t, &mut scored).is_none() {
            return false;
        }
        let cden = scored
            .iter()
            .zip(cw)
            .filter(|(s, _)| s.is_some())
            .fold(0.0, |acc, (_, w)| acc + w);
        for (j, f) in out.iter_mut().enumerate() {
            let c = self.comp_of[j];
            *f = (present[j] && scored[c].is_some()).then(|| factor(cw[c] / cden, iw[j], den[c]));
        }
        true
    }
}
