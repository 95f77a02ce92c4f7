//! Weighting and combination: indicator scores in, component scores, the
//! index, ranks, deciles and drivers out.
//!
//! Weights are relative (normalised by their sum, as GMCA's DERI tool since
//! v1.2). A component is the weighted mean of its indicator scores; the index
//! is the weighted mean of the component scores, optionally min–max rescaled
//! within each scope group. Every sum is taken per area in methodology order,
//! so results are bit-identical whatever the thread count.

use rayon::prelude::*;

use super::methodology::{IndexRescale, Methodology, MissingPolicy};
use super::scope::Groups;
use super::transform::DEGENERATE_SCORE;

/// Indicator scores laid out row-major (area × indicator) for fast re-weighting.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Number of areas.
    pub n: usize,
    /// Number of indicators.
    pub k: usize,
    /// Scores, `n × k`; `None` = missing or out of scope.
    pub scores: Vec<Option<f64>>,
    /// Each indicator's component position.
    pub comp_of: Vec<usize>,
    /// Number of components.
    pub ncomp: usize,
    /// Missing-data policy.
    pub policy: MissingPolicy,
}

impl Prepared {
    /// Lays out per-indicator score columns (aligned with areas).
    pub fn new(m: &Methodology, columns: &[Vec<Option<f64>>], n: usize) -> Prepared {
        let k = columns.len();
        let mut scores = vec![None; n * k];
        for (j, col) in columns.iter().enumerate() {
            for (a, v) in col.iter().enumerate() {
                scores[a * k + j] = *v;
            }
        }
        Prepared {
            n,
            k,
            scores,
            comp_of: m.indicators().map(|(c, _)| c).collect(),
            ncomp: m.components.len(),
            policy: m.missing,
        }
    }

    /// Components of area `a` into `comp` (length `ncomp`), and the index
    /// before rescaling. `iw` are indicator weights, `cw` component weights
    /// (any positive scale: only ratios matter).
    pub fn area(&self, a: usize, iw: &[f64], cw: &[f64], comp: &mut [Option<f64>]) -> Option<f64> {
        let row = &self.scores[a * self.k..(a + 1) * self.k];
        comp.fill(None);
        if self.policy == MissingPolicy::ExcludeArea && row.iter().any(Option::is_none) {
            return None;
        }
        let mut num = [0.0f64; 16];
        let mut den = [0.0f64; 16];
        let (num, den) = if self.ncomp <= 16 {
            (&mut num[..self.ncomp], &mut den[..self.ncomp])
        } else {
            return self.area_slow(a, iw, cw, comp);
        };
        for (j, s) in row.iter().enumerate() {
            if let Some(s) = s {
                let c = self.comp_of[j];
                num[c] += iw[j] * s;
                den[c] += iw[j];
            }
        }
        combine(num, den, cw, comp)
    }

    fn area_slow(&self, a: usize, iw: &[f64], cw: &[f64], comp: &mut [Option<f64>]) -> Option<f64> {
        let row = &self.scores[a * self.k..(a + 1) * self.k];
        let mut num = vec![0.0; self.ncomp];
        let mut den = vec![0.0; self.ncomp];
        for (j, s) in row.iter().enumerate() {
            if let Some(s) = s {
                num[self.comp_of[j]] += iw[j] * s;
                den[self.comp_of[j]] += iw[j];
            }
        }
        combine(&num, &den, cw, comp)
    }

    /// Contributions of each indicator of area `a` to its index, in index
    /// points (before any index rescaling), written into `out`; false (and
    /// `out` empty) where the area has no index.
    pub fn contributions(&self, a: usize, iw: &[f64], cw: &[f64], out: &mut Vec<f64>) -> bool {
        out.clear();
        // Stack buffers for the usual handful of components.
        let (mut comp_s, mut den_s) = ([None; 16], [0.0f64; 16]);
        let (mut comp_h, mut den_h) = (Vec::new(), Vec::new());
        let (comp, den) = if self.ncomp <= 16 {
            (&mut comp_s[..self.ncomp], &mut den_s[..self.ncomp])
        } else {
            comp_h.resize(self.ncomp, None);
            den_h.resize(self.ncomp, 0.0);
            (&mut comp_h[..], &mut den_h[..])
        };
        if self.area(a, iw, cw, comp).is_none() {
            return false;
        }
        let row = &self.scores[a * self.k..(a + 1) * self.k];
        for (j, s) in row.iter().enumerate() {
            if s.is_some() {
                den[self.comp_of[j]] += iw[j];
            }
        }
        let cden: f64 = comp
            .iter()
            .zip(cw)
            .filter(|(c, _)| c.is_some())
            .map(|(_, w)| w)
            .sum();
        out.extend(row.iter().enumerate().map(|(j, s)| {
            let c = self.comp_of[j];
            match s {
                Some(s) if den[c] > 0.0 && comp[c].is_some() => cw[c] / cden * iw[j] / den[c] * s,
                _ => 0.0,
            }
        }));
        true
    }
}

fn combine(num: &[f64], den: &[f64], cw: &[f64], comp: &mut [Option<f64>]) -> Option<f64> {
    let (mut inum, mut iden) = (0.0, 0.0);
    for c in 0..num.len() {
        if den[c] > 0.0 {
            let s = num[c] / den[c];
            comp[c] = Some(s);
            inum += cw[c] * s;
            iden += cw[c];
        }
    }
    (iden > 0.0).then(|| (inum / iden).clamp(0.0, 10.0))
}

/// Components (`n × ncomp`, row-major) and index for every area, in parallel.
pub fn combine_all(p: &Prepared, iw: &[f64], cw: &[f64]) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let mut comps = vec![None; p.n * p.ncomp.max(1)];
    let mut index = vec![None; p.n];
    comps
        .par_chunks_mut(p.ncomp.max(1))
        .zip(index.par_iter_mut())
        .enumerate()
        .with_min_len(512)
        .for_each(|(a, (comp, ix))| {
            *ix = p.area(a, iw, cw, &mut comp[..p.ncomp]);
        });
    (comps, index)
}

/// Min–max rescales the index to 0–10 within each group (degenerate groups
/// give [`DEGENERATE_SCORE`]); does nothing for [`IndexRescale::None`].
pub fn rescale(index: &mut [Option<f64>], groups: &Groups, how: IndexRescale) {
    if how == IndexRescale::None {
        return;
    }
    for g in &groups.groups {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &i in g {
            if let Some(v) = index[i] {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        for &i in g {
            if let Some(v) = index[i] {
                index[i] = Some(if hi > lo {
                    (10.0 * (v - lo) / (hi - lo)).clamp(0.0, 10.0)
                } else {
                    DEGENERATE_SCORE
                });
            }
        }
    }
}

/// Decile of a rank among `n` ranked areas: 10 for the highest-risk tenth.
pub fn decile(rank: u32, n: usize) -> u8 {
    let r = u64::from(rank.max(1)) - 1;
    (10 - (r * 10 / n.max(1) as u64).min(9)) as u8
}

/// Ranks within each group (1 = highest index; ties go to the lower code,
/// that is the earlier area), written into `rank` (0 = unranked); returns
/// the number ranked in each group.
pub fn rank_into(
    index: &[Option<f64>],
    groups: &Groups,
    rank: &mut [u32],
    scratch: &mut Vec<(f64, usize)>,
) -> Vec<usize> {
    rank.fill(0);
    let mut counts = Vec::with_capacity(groups.groups.len());
    for g in &groups.groups {
        scratch.clear();
        scratch.extend(g.iter().filter_map(|&i| index[i].map(|v| (v, i))));
        // A total order (index, then position), so any sort gives the same result.
        let cmp = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if scratch.len() >= 8192 {
            scratch.par_sort_unstable_by(cmp);
        } else {
            scratch.sort_unstable_by(cmp);
        }
        for (r, &(_, i)) in scratch.iter().enumerate() {
            rank[i] = r as u32 + 1;
        }
        counts.push(scratch.len());
    }
    counts
}

/// Ranks and deciles within scope.
pub fn ranks(index: &[Option<f64>], groups: &Groups) -> (Vec<Option<u32>>, Vec<Option<u8>>) {
    let mut rank = vec![0u32; index.len()];
    let counts = rank_into(index, groups, &mut rank, &mut Vec::new());
    let mut deciles = vec![None; index.len()];
    let mut ranks = vec![None; index.len()];
    for (i, &r) in rank.iter().enumerate() {
        if r > 0 {
            let g = groups.group_of[i].map_or(0, |g| g as usize);
            ranks[i] = Some(r);
            deciles[i] = Some(decile(r, counts[g]));
        }
    }
    (ranks, deciles)
}

/// Normalised copies of the weights: indicator weights sum to 1 within each
/// component, component weights sum to 1.
pub fn normalised(m: &Methodology) -> (Vec<f64>, Vec<f64>) {
    let ctot: f64 = m.components.iter().map(|c| c.weight).sum();
    let cw = m
        .components
        .iter()
        .map(|c| if ctot > 0.0 { c.weight / ctot } else { 0.0 })
        .collect();
    let mut iw = Vec::new();
    for c in &m.components {
        let t: f64 = c.indicators.iter().map(|i| i.weight).sum();
        iw.extend(
            c.indicators
                .iter()
                .map(|i| if t > 0.0 { i.weight / t } else { 0.0 }),
        );
    }
    (iw, cw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_cover_one_to_ten() {
        let n = 25;
        let d: Vec<u8> = (1..=n as u32).map(|r| decile(r, n)).collect();
        assert_eq!(d[0], 10);
        assert_eq!(d[n - 1], 1);
        assert!(d.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(decile(1, 1), 10);
        // exactly a tenth of 100 areas is in the top decile
        assert_eq!((1..=100).filter(|&r| decile(r, 100) == 10).count(), 10);
    }
}
