//! Weighting and combination: indicator scores in, component scores and
//! the index out (ranks and deciles are `rank.rs`).
//!
//! Weights are relative (normalised by their sum, as GMCA's DERI tool since
//! v1.2). A component is the weighted mean of its indicator scores; the index
//! is the weighted mean of the component scores, optionally min–max rescaled
//! within each scope group. Every sum is taken per area in methodology order,
//! so results are bit-identical whatever the thread count.
//!
//! Coverage: with normalised weights, a component's present share is its
//! sum of present indicator weights, and the area's is Σ component weight ×
//! that. A component below `min_coverage` has no score; an area with a
//! weighted component below it, or below it overall, has no index
//! ([`threshold`] gives the comparison its rounding slack).
//!
//! [`combine_columns`] reads the dense indicator score columns (NaN: no
//! score) directly, chunk by chunk, and keeps the weight sums the drivers
//! (`drivers.rs`) reuse; [`Prepared`] (row-major) serves the sensitivity
//! draws and the component-to-index check.

use multiversion::multiversion;
use rayon::prelude::*;

use super::column::ScoreColumn;
use super::methodology::{IndexRescale, Methodology, MissingPolicy};
use super::scope::Groups;
use super::transform::{DEGENERATE_SCORE, minmax};

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
    /// The methodology's `min_coverage` (with the normalised weights).
    pub min_coverage: f64,
}

/// Slack of the coverage comparisons: a sum of normalised weights can miss
/// its exact value by rounding (a complete component's may be
/// 0.9999999999999999), and must still meet `min_coverage = 1`.
const COVERAGE_SLACK: f64 = 1e-9;

/// The least present weight share that meets `min_coverage`.
pub fn threshold(min_coverage: f64) -> f64 {
    min_coverage - COVERAGE_SLACK
}

impl Prepared {
    /// Lays out dense per-indicator score columns (aligned with areas, NaN:
    /// no score).
    pub fn new(m: &Methodology, columns: &[&[f64]], n: usize) -> Prepared {
        let k = columns.len();
        let mut scores = vec![None; n * k];
        for (j, col) in columns.iter().enumerate() {
            for (a, v) in col.iter().enumerate() {
                scores[a * k + j] = (!v.is_nan()).then_some(*v);
            }
        }
        Prepared {
            n,
            k,
            scores,
            comp_of: m.indicators().map(|(c, _)| c).collect(),
            ncomp: m.components.len(),
            policy: m.missing,
            min_coverage: m.min_coverage,
        }
    }

    /// Keeps the areas with an index in `index` (NaN: none) and clears the
    /// rest, with no coverage rule left: how the sensitivity draws rank the
    /// same areas whatever the perturbed weights make of their coverage.
    pub fn keep_only(&mut self, index: &[f64]) {
        self.min_coverage = 0.0;
        for (a, row) in self.scores.chunks_mut(self.k.max(1)).enumerate() {
            if index.get(a).is_none_or(|v| v.is_nan()) {
                row.fill(None);
            }
        }
    }

    /// The share of the index weight area `a` has present, `Σ cw[c] ×
    /// (present indicator weight of c)`, in component order (as
    /// [`combine_columns`] sums it).
    #[cfg(test)]
    pub fn coverage(&self, a: usize, iw: &[f64], cw: &[f64]) -> f64 {
        let row = &self.scores[a * self.k..(a + 1) * self.k];
        let mut den = vec![0.0; self.ncomp];
        for (j, s) in row.iter().enumerate() {
            if s.is_some() {
                den[self.comp_of[j]] += iw[j];
            }
        }
        den.iter().zip(cw).fold(0.0, |acc, (d, w)| acc + w * d)
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
        // On the stack for the usual few components.
        let (mut num16, mut den16) = ([0.0f64; 16], [0.0f64; 16]);
        let (mut num_heap, mut den_heap) = (Vec::new(), Vec::new());
        let (num, den) = if self.ncomp <= 16 {
            (&mut num16[..self.ncomp], &mut den16[..self.ncomp])
        } else {
            num_heap.resize(self.ncomp, 0.0);
            den_heap.resize(self.ncomp, 0.0);
            (&mut num_heap[..], &mut den_heap[..])
        };
        for (j, s) in row.iter().enumerate() {
            if let Some(s) = s {
                let c = self.comp_of[j];
                num[c] += iw[j] * s;
                den[c] += iw[j];
            }
        }
        combine(num, den, cw, threshold(self.min_coverage), comp)
    }
}

/// Components and index from the per-component sums: a component has a
/// score where its present weight `den` is above zero and meets `t`; the
/// index needs some weighted component scored, none below `t`, and the
/// whole coverage at `t` or above.
pub(super) fn combine(
    num: &[f64],
    den: &[f64],
    cw: &[f64],
    t: f64,
    comp: &mut [Option<f64>],
) -> Option<f64> {
    let (mut inum, mut iden, mut cov, mut short) = (0.0, 0.0, 0.0, false);
    for c in 0..num.len() {
        cov += cw[c] * den[c];
        if den[c] > 0.0 && den[c] >= t {
            let s = num[c] / den[c];
            comp[c] = Some(s);
            inum += cw[c] * s;
            iden += cw[c];
        } else if cw[c] > 0.0 && den[c] < t {
            short = true;
        }
    }
    (iden > 0.0 && !short && cov >= t).then(|| (inum / iden).clamp(0.0, 10.0))
}

/// Areas per parallel task: enough tasks to balance two or more cores, and
/// a chunk's indicator scores (11 columns × 2,048 areas × 8 bytes) stay in
/// a core's L2 cache between the sums, the index and the drivers.
pub(super) const CHUNK: usize = 2048;

/// The weight sums of [`combine_columns`], chunk by chunk, which the drivers
/// reuse.
#[derive(Debug, Default)]
pub struct Sums {
    pub(super) chunks: Vec<ChunkSums>,
}

#[derive(Debug, Default)]
pub(super) struct ChunkSums {
    /// Indicator weights present per component (`den[c * len + i]`).
    pub(super) den: Vec<f64>,
    /// Component weights present, per area.
    pub(super) iden: Vec<f64>,
    /// Whether the area has an index.
    pub(super) has: Vec<bool>,
}

/// What [`combine_columns`] gives.
#[derive(Debug)]
pub struct Combined {
    /// One column per component, methodology order.
    pub components: Vec<ScoreColumn>,
    /// The index before rescaling.
    pub index: ScoreColumn,
    /// Each area's share of the index weight present (0 where nothing is).
    pub coverage: ScoreColumn,
    /// The weight sums, for the drivers.
    pub sums: Sums,
}

/// Components (one column per component, methodology order) and the index
/// before rescaling, straight from the indicator score columns (each
/// aligned with the `n` areas), in parallel over area chunks: the numbers
/// of [`Prepared::area`], from the same operations in the same order,
/// without a row-major copy; and the weight sums, for the drivers.
pub fn combine_columns(
    m: &Methodology,
    columns: &[&[f64]],
    iw: &[f64],
    cw: &[f64],
    n: usize,
) -> Combined {
    let comp_of: Vec<usize> = m.indicators().map(|(c, _)| c).collect();
    let ncomp = m.components.len();
    let mut index = vec![f64::NAN; n];
    let mut coverage = vec![0.0; n];
    let mut components: Vec<Vec<f64>> = (0..ncomp).map(|_| vec![f64::NAN; n]).collect();
    let nchunks = n.div_ceil(CHUNK);
    let mut parts: Vec<Vec<&mut [f64]>> = (0..nchunks).map(|_| Vec::with_capacity(ncomp)).collect();
    for col in &mut components {
        for (part, c) in parts.iter_mut().zip(col.chunks_mut(CHUNK)) {
            part.push(c);
        }
    }
    let exclude = m.missing == MissingPolicy::ExcludeArea;
    let t = threshold(m.min_coverage);
    let chunks = parts
        .into_par_iter()
        .zip(index.par_chunks_mut(CHUNK))
        .zip(coverage.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(ch, ((mut comp_cols, index), coverage))| {
            let cols = chunk_of(columns, ch * CHUNK, index.len());
            let rule = Rule { exclude, t };
            combine_chunk(
                &cols,
                &comp_of,
                iw,
                cw,
                rule,
                &mut comp_cols,
                index,
                coverage,
            )
        })
        .collect();
    Combined {
        components: components
            .into_iter()
            .map(ScoreColumn::from_dense)
            .collect(),
        index: ScoreColumn::from_dense(index),
        coverage: ScoreColumn::from_dense(coverage),
        sums: Sums { chunks },
    }
}

/// Which areas get an index: `exclude` for `missing = "exclude_area"`, `t`
/// the [`threshold`] of `min_coverage`.
#[derive(Clone, Copy)]
struct Rule {
    exclude: bool,
    t: f64,
}

/// One chunk of [`combine_columns`]: the chunk's indicator score columns in,
/// its component columns, index and coverage written, its weight sums
/// returned. Compiled for AVX2 too, used where the CPU has it: the same
/// operations in the same order, four areas at a time.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx2"))]
fn combine_chunk(
    cols: &[&[f64]],
    comp_of: &[usize],
    iw: &[f64],
    cw: &[f64],
    rule: Rule,
    comp_cols: &mut [&mut [f64]],
    index: &mut [f64],
    coverage: &mut [f64],
) -> ChunkSums {
    let Rule { exclude, t } = rule;
    let (len, ncomp, k) = (index.len(), comp_cols.len(), cols.len() as f64);
    // Weighted sums per component, one indicator column at a time: each
    // area still adds its terms in methodology order, as Prepared::area
    // does. An absent score adds w · +0.0: sums of scores and weights (never
    // negative) start at +0.0 so are never -0.0, for which +0.0 is the exact
    // identity of +.
    let mut num = vec![0.0; ncomp * len];
    let mut den = vec![0.0; ncomp * len];
    let mut present = vec![0.0f64; len];
    for (j, col) in cols.iter().enumerate() {
        let (c, w) = (comp_of[j], iw[j]);
        let (Some(num), Some(den)) = (
            num.get_mut(c * len..(c + 1) * len),
            den.get_mut(c * len..(c + 1) * len),
        ) else {
            continue;
        };
        for (((s, n), d), p) in col.iter().zip(num).zip(den).zip(&mut present) {
            // Every store unconditional and the selects on bit masks, so
            // the compiler neither branches nor turns the adds into
            // conditional stores: the loop vectorises.
            let here = present_mask(*s);
            *n += w * f64::from_bits(s.to_bits() & here);
            *d += f64::from_bits(w.to_bits() & here);
            *p += f64::from_bits(1f64.to_bits() & here);
        }
    }
    // combine() component by component: a component has a score where its
    // weights sum above zero and meet t, and adds to the index sums (masked
    // likewise); a weighted one below t marks the area short.
    let mut inum = vec![0.0; len];
    let mut iden = vec![0.0; len];
    let mut short = vec![0u64; len];
    for (c, out) in comp_cols.iter_mut().enumerate() {
        let w = cw[c];
        let weighted = mask(w > 0.0) as u64;
        let (num, den) = (&num[c * len..(c + 1) * len], &den[c * len..(c + 1) * len]);
        for ((((((o, n), d), x), y), v), sh) in out
            .iter_mut()
            .zip(num)
            .zip(den)
            .zip(&mut inum)
            .zip(&mut iden)
            .zip(coverage.iter_mut())
            .zip(&mut short)
        {
            let has = mask((*d > 0.0) & (*d >= t)) as u64;
            let s = (n / d).to_bits() & has;
            *o = f64::from_bits(s | (f64::NAN.to_bits() & !has));
            *x += w * f64::from_bits(s);
            *y += f64::from_bits(w.to_bits() & has);
            *v += w * d;
            *sh |= mask(*d < t) as u64 & weighted;
        }
    }
    for (i, (ix, (x, y))) in index.iter_mut().zip(inum.iter().zip(&iden)).enumerate() {
        if exclude && present[i] < k {
            for col in comp_cols.iter_mut() {
                col[i] = f64::NAN;
            }
            continue;
        }
        if short[i] != 0 || coverage[i] < t {
            continue;
        }
        *ix = if *y > 0.0 {
            (x / y).clamp(0.0, 10.0)
        } else {
            f64::NAN
        };
    }
    let has = index.iter().map(|v| !v.is_nan()).collect();
    ChunkSums { den, iden, has }
}

/// Areas `a0..a0 + len` of every column (empty where a column is short).
pub(super) fn chunk_of<'a>(columns: &[&'a [f64]], a0: usize, len: usize) -> Vec<&'a [f64]> {
    columns
        .iter()
        .map(|c| c.get(a0..a0 + len).unwrap_or_default())
        .collect()
}

/// All ones when `s` is a score (not NaN), else zero.
#[inline]
pub(super) fn present_mask(s: f64) -> u64 {
    mask(!s.is_nan()) as u64
}

/// All ones when `b`, else zero.
#[inline]
pub(super) fn mask(b: bool) -> usize {
    0usize.wrapping_sub(usize::from(b))
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

/// Min–max rescales the (dense) index to 0–10 within each group
/// (degenerate groups give [`DEGENERATE_SCORE`]); does nothing for
/// [`IndexRescale::None`].
pub fn rescale(index: &mut [f64], groups: &Groups, how: IndexRescale) {
    if how == IndexRescale::None {
        return;
    }
    for g in &groups.groups {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &i in g {
            let v = index[i];
            if !v.is_nan() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        for &i in g {
            let v = index[i];
            if !v.is_nan() {
                index[i] = if hi > lo {
                    minmax(v, (lo, hi), true)
                } else {
                    DEGENERATE_SCORE
                };
            }
        }
    }
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
