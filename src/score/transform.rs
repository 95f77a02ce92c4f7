//! Indicator transforms: raw values of one scope group in, 0–10 scores out
//! (10 = highest risk).
//!
//! Edge cases, the same for every transform: a missing raw value (or a NaN,
//! which ingest never produces) gives no score; a group whose present values
//! are all equal (including a group of one) gives every present area 5, the
//! neutral midpoint, so a reversed indicator still mirrors (5 → 5). Sums run sequentially in area order, so
//! results never depend on thread scheduling.
//!
//! [`transform_column`] scores every area of one indicator at once; min–max
//! (the DERI transform) takes one pass for the group ranges and one for the
//! scores, with no per-group buffer, and gives the same bits as
//! [`transform_group`] on each group.

use multiversion::multiversion;

use super::column::ScoreColumn;
use super::methodology::{Direction, Transform};
use super::scope::{Groups, Segment};

/// Score of a degenerate group (max == min, or one area).
pub const DEGENERATE_SCORE: f64 = 5.0;

/// `exp(−100/23)`-based constant of the IMD exponential transform.
const IMD_LAMBDA: f64 = 23.0;

/// Transforms the `members` of one group, writing their scores into `out`
/// (indexed like `values`; other entries are left untouched).
pub fn transform_group(
    values: &[Option<f64>],
    members: &[usize],
    transform: Transform,
    direction: Direction,
    out: &mut [Option<f64>],
) {
    // Orient so that larger always means more risk.
    let sign = match direction {
        Direction::HigherIsRisk => 1.0,
        Direction::LowerIsRisk => -1.0,
    };
    let present: Vec<(usize, f64)> = members
        .iter()
        .filter_map(|&i| values[i].filter(|v| !v.is_nan()).map(|v| (i, sign * v)))
        .collect();
    if present.is_empty() {
        return;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(_, v) in &present {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if present.len() == 1 || hi <= lo {
        for &(i, _) in &present {
            out[i] = Some(DEGENERATE_SCORE);
        }
        return;
    }
    match transform {
        Transform::Minmax => {
            // Computed on the raw value then mirrored, so that a reversed
            // indicator is exactly 10 − s.
            let (rlo, rhi) = if sign > 0.0 { (lo, hi) } else { (-hi, -lo) };
            for &(i, v) in &present {
                out[i] = Some(minmax(sign * v, (rlo, rhi), sign > 0.0));
            }
        }
        Transform::RankPercentile | Transform::Exponential => {
            let ranks = mid_ranks(&present);
            let n = present.len() as f64;
            for (&(i, _), r) in present.iter().zip(ranks) {
                let p = (r - 1.0) / (n - 1.0);
                let s = match transform {
                    Transform::Exponential => imd_exponential(p) / 10.0,
                    _ => 10.0 * p,
                };
                out[i] = Some(s.clamp(0.0, 10.0));
            }
        }
        Transform::Zscore => {
            let n = present.len() as f64;
            let mean = present.iter().map(|&(_, v)| v).sum::<f64>() / n;
            let var = present
                .iter()
                .map(|&(_, v)| (v - mean) * (v - mean))
                .sum::<f64>()
                / n;
            let sd = var.sqrt();
            for &(i, v) in &present {
                let z = if sd > 0.0 {
                    ((v - mean) / sd).clamp(-3.0, 3.0)
                } else {
                    0.0
                };
                out[i] = Some((10.0 * (z + 3.0) / 6.0).clamp(0.0, 10.0));
            }
        }
    }
}

/// Transforms one indicator for every area: `values` (aligned with the
/// areas) in, scores out, `None` where missing or outside every group. The
/// same result as [`transform_group`] on each of `groups`.
pub fn transform_column(
    values: &[Option<f64>],
    groups: &Groups,
    transform: Transform,
    direction: Direction,
) -> ScoreColumn {
    if transform != Transform::Minmax || values.len() != groups.group_of.len() {
        let mut out = vec![None; values.len()];
        for g in &groups.groups {
            transform_group(values, g, transform, direction, &mut out);
        }
        return ScoreColumn::from(out);
    }
    let sign = match direction {
        Direction::HigherIsRisk => 1.0,
        Direction::LowerIsRisk => -1.0,
    };
    // Range and count of the oriented values per group, visited in area
    // order, which is each group's member order: the same min/max sequence
    // as transform_group. Runs of areas in one group (the whole column in
    // scope `all`; a few dozen areas in a local authority, as codes run by
    // authority) are folded in registers, not through `range` in memory,
    // whose store-to-load round trip would make every area wait for the one
    // before.
    let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY, 0u32); groups.groups.len()];
    for seg in &groups.segments {
        match seg {
            Segment::Run(run, g) => {
                if let (Some(vs), Some(r)) = (
                    values.get(run.clone()),
                    g.and_then(|g| range.get_mut(g as usize)),
                ) {
                    fold_range(vs, sign, r);
                }
            }
            Segment::Mixed(run) => {
                let (vs, gs) = (&values[run.clone()], &groups.group_of[run.clone()]);
                for (v, g) in vs.iter().zip(gs) {
                    if let (Some(v), Some(g)) = (v, g)
                        && !v.is_nan()
                        && let Some(r) = range.get_mut(*g as usize)
                    {
                        let x = sign * v;
                        r.0 = r.0.min(x);
                        r.1 = r.1.max(x);
                        r.2 += 1;
                    }
                }
            }
        }
    }
    // None: degenerate group; else the raw-value range (see transform_group).
    let scale: Vec<Option<(f64, f64)>> = range
        .iter()
        .map(|&(lo, hi, count)| {
            (count > 1 && hi > lo).then_some(if sign > 0.0 { (lo, hi) } else { (-hi, -lo) })
        })
        .collect();
    let up = sign > 0.0;
    // Dense out, NaN for no score; a NaN input gives NaN through minmax.
    // A run in a loop with no lookups, which the compiler can unroll.
    let mut out = Vec::with_capacity(values.len());
    for seg in &groups.segments {
        match seg {
            Segment::Run(run, g) => {
                let vs = &values[run.clone()];
                match g.and_then(|g| scale.get(g as usize)) {
                    Some(Some(sc)) => minmax_run(vs, *sc, up, &mut out),
                    Some(None) => out.extend(vs.iter().map(|v| match v {
                        Some(v) if !v.is_nan() => DEGENERATE_SCORE,
                        _ => f64::NAN,
                    })),
                    None => out.resize(run.end, f64::NAN),
                }
            }
            Segment::Mixed(run) => {
                let (vs, gs) = (&values[run.clone()], &groups.group_of[run.clone()]);
                out.extend(vs.iter().zip(gs).map(|(v, g)| {
                    let score = || {
                        let (v, sc) = (v.filter(|v| !v.is_nan())?, scale.get((*g)? as usize)?);
                        Some(sc.map_or(DEGENERATE_SCORE, |sc| minmax(v, sc, up)))
                    };
                    score().unwrap_or(f64::NAN)
                }));
            }
        }
    }
    ScoreColumn::from_dense(out)
}

/// Min–max scores of one run of a group with raw range `range`, appended
/// to `out` (NaN where missing), compiled for AVX2 too, used where the CPU has
/// it (the same operations, four areas at a time).
#[multiversion(targets("x86_64+avx2"))]
fn minmax_run(values: &[Option<f64>], range: (f64, f64), up: bool, out: &mut Vec<f64>) {
    out.extend(
        values
            .iter()
            .map(|v| minmax(v.unwrap_or(f64::NAN), range, up)),
    );
}

/// The min–max score of raw value `v` in a group of raw range `(rlo,
/// rhi)`, mirrored (10 − s) unless `up`: the one min–max formula, also of
/// [`transform_group`] (which passes sign · (sign · v) = v, negation being
/// exact) and of the index rescaling (`weights::rescale`).
#[inline(always)]
pub(super) fn minmax(v: f64, (rlo, rhi): (f64, f64), up: bool) -> f64 {
    let s = 10.0 * (v - rlo) / (rhi - rlo);
    (if up { s } else { 10.0 - s }).clamp(0.0, 10.0)
}

/// Folds the oriented present values of one run of a group into its
/// (min, max, count). Four interleaved accumulators, as min and max give the
/// same value in any order, except for which zero of -0.0 and +0.0 wins: a
/// run whose min or max is a zero is folded again in area order, as
/// transform_group folds it.
#[multiversion(targets("x86_64+avx2"))]
fn fold_range(values: &[Option<f64>], sign: f64, r: &mut (f64, f64, u32)) {
    let (mut lo, mut hi, mut n) = ([r.0; 4], [r.1; 4], 0u32);
    // Compare-and-select is min and max here: a missing value (NaN) never
    // compares, and the accumulators start at the current range, never NaN.
    // Present means not NaN: a NaN input counts as missing.
    let mut fold = |k: usize, v: &Option<f64>| {
        let x = sign * v.unwrap_or(f64::NAN);
        lo[k] = if x < lo[k] { x } else { lo[k] };
        hi[k] = if x > hi[k] { x } else { hi[k] };
        n += u32::from(!x.is_nan());
    };
    let mut quads = values.chunks_exact(4);
    for q in &mut quads {
        for (k, v) in q.iter().enumerate() {
            fold(k, v);
        }
    }
    for v in quads.remainder() {
        fold(0, v);
    }
    let (l, h) = (
        lo[0].min(lo[1]).min(lo[2].min(lo[3])),
        hi[0].max(hi[1]).max(hi[2].max(hi[3])),
    );
    if l == 0.0 || h == 0.0 {
        for x in values
            .iter()
            .flatten()
            .map(|v| sign * v)
            .filter(|x| !x.is_nan())
        {
            r.0 = r.0.min(x);
            r.1 = r.1.max(x);
        }
    } else {
        (r.0, r.1) = (l, h);
    }
    r.2 += n;
}

/// The English IMD exponential transform of a rank scaled to `[0, 1]`
/// (0 = least risk): `X = −23 ln(1 − p (1 − exp(−100/23)))`, in `[0, 100]`.
pub fn imd_exponential(p: f64) -> f64 {
    let c = 1.0 - (-100.0 / IMD_LAMBDA).exp();
    (-IMD_LAMBDA * (1.0 - p * c).ln()).clamp(0.0, 100.0)
}

/// 1-based ranks in ascending value order, ties sharing their mean rank.
fn mid_ranks(present: &[(usize, f64)]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..present.len()).collect();
    order.sort_by(|&a, &b| {
        present[a]
            .1
            .total_cmp(&present[b].1)
            .then(present[a].0.cmp(&present[b].0))
    });
    let mut ranks = vec![0.0; present.len()];
    let mut k = 0;
    while k < order.len() {
        let mut e = k;
        while e + 1 < order.len() && present[order[e + 1]].1 == present[order[k]].1 {
            e += 1;
        }
        let r = (k + e) as f64 / 2.0 + 1.0;
        for &o in &order[k..=e] {
            ranks[o] = r;
        }
        k = e + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &[Option<f64>], t: Transform, d: Direction) -> Vec<Option<f64>> {
        let members: Vec<usize> = (0..v.len()).collect();
        let mut out = vec![None; v.len()];
        transform_group(v, &members, t, d, &mut out);
        out
    }

    #[test]
    fn minmax_spans_zero_to_ten_and_reverses() {
        let v = [Some(1.0), Some(3.0), None, Some(2.0)];
        assert_eq!(
            run(&v, Transform::Minmax, Direction::HigherIsRisk),
            vec![Some(0.0), Some(10.0), None, Some(5.0)]
        );
        assert_eq!(
            run(&v, Transform::Minmax, Direction::LowerIsRisk),
            vec![Some(10.0), Some(0.0), None, Some(5.0)]
        );
    }

    #[test]
    fn constant_group_scores_five() {
        let v = [Some(2.0), Some(2.0)];
        for t in [
            Transform::Minmax,
            Transform::RankPercentile,
            Transform::Zscore,
            Transform::Exponential,
        ] {
            assert_eq!(
                run(&v, t, Direction::HigherIsRisk),
                vec![Some(5.0), Some(5.0)],
                "{t:?}"
            );
        }
    }

    #[test]
    fn rank_percentile_shares_ties() {
        let v = [Some(1.0), Some(5.0), Some(5.0), Some(9.0), Some(0.0)];
        let s = run(&v, Transform::RankPercentile, Direction::HigherIsRisk);
        assert_eq!(
            s,
            vec![Some(2.5), Some(6.25), Some(6.25), Some(10.0), Some(0.0)]
        );
    }

    #[test]
    fn exponential_is_monotone_and_spans_range() {
        assert_eq!(imd_exponential(0.0), 0.0);
        assert!((imd_exponential(1.0) - 100.0).abs() < 1e-9);
        // IMD property: half-way in rank is far below half-way in score.
        assert!(imd_exponential(0.5) < 20.0);
        let v: Vec<Option<f64>> = (0..50).map(|i| Some(i as f64)).collect();
        let s = run(&v, Transform::Exponential, Direction::HigherIsRisk);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn zscore_is_symmetric_and_clamped() {
        let v = [Some(-1.0), Some(0.0), Some(1.0), Some(1000.0)];
        let s = run(&v, Transform::Zscore, Direction::HigherIsRisk);
        assert!(
            s.iter()
                .all(|x| x.is_some_and(|x| (0.0..=10.0).contains(&x)))
        );
        let r = run(&v, Transform::Zscore, Direction::LowerIsRisk);
        for (a, b) in s.iter().zip(&r) {
            assert!((a.unwrap() + b.unwrap() - 10.0).abs() < 1e-12);
        }
    }
}
