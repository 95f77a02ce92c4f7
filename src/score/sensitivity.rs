//! Weight sensitivity: indicator scores and weights in, per-area rank spread
//! out ([`Sensitivity`]).
//!
//! Draw `d` multiplies every indicator and component weight by an independent
//! uniform factor in `[1 − band, 1 + band]`, from a ChaCha8 generator seeded
//! with the methodology's seed on stream `d`, so each draw is the same whatever
//! thread runs it. Each draw re-combines and re-ranks within scope (index
//! rescaling is monotone within a group, so ranks ignore it). Per area: the
//! 5th and 95th percentiles of its rank (linear interpolation between order
//! statistics) and the share of draws in which it is in the top decile.
//! Memory: draws × areas × 4 bytes.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::Sensitivity;
use super::rank::{RankScratch, decile, rank_into};
use super::scope::Groups;
use super::weights::Prepared;

/// Runs `draws` perturbed re-weightings.
pub fn sensitivity(
    p: &Prepared,
    groups: &Groups,
    iw: &[f64],
    cw: &[f64],
    draws: u32,
    band: f64,
    seed: u64,
) -> Sensitivity {
    let band = band.clamp(0.0, 0.999);
    let per_draw: Vec<Vec<u32>> = (0..draws)
        .into_par_iter()
        .map_init(
            || (RankScratch::default(), vec![None; p.ncomp]),
            |(scratch, comp), d| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(u64::from(d));
                let jw: Vec<f64> = iw
                    .iter()
                    .map(|w| w * (1.0 + band * rng.random_range(-1.0..=1.0)))
                    .collect();
                let jc: Vec<f64> = cw
                    .iter()
                    .map(|w| w * (1.0 + band * rng.random_range(-1.0..=1.0)))
                    .collect();
                let index: Vec<f64> = (0..p.n)
                    .map(|a| p.area(a, &jw, &jc, comp).unwrap_or(f64::NAN))
                    .collect();
                let mut rank = vec![0u32; p.n];
                rank_into(&index, groups, &mut rank, scratch);
                rank
            },
        )
        .collect();
    // Group sizes by draw differ only if some area loses its index, which a
    // weight change cannot cause; count per draw anyway for safety.
    let counts: Vec<Vec<usize>> = per_draw
        .par_iter()
        .map(|ranks| {
            let mut c = vec![0usize; groups.groups.len()];
            for (i, &r) in ranks.iter().enumerate() {
                if r > 0
                    && let Some(g) = groups.group_of[i]
                {
                    c[g as usize] += 1;
                }
            }
            c
        })
        .collect();
    let per_area: Vec<(Option<f64>, Option<f64>, Option<f64>)> = (0..p.n)
        .into_par_iter()
        .with_min_len(256)
        .map_init(Vec::new, |buf: &mut Vec<u32>, a| {
            buf.clear();
            let mut top = 0usize;
            for (d, ranks) in per_draw.iter().enumerate() {
                let r = ranks[a];
                if r > 0 {
                    buf.push(r);
                    let g = groups.group_of[a].map_or(0, |g| g as usize);
                    if decile(r, counts[d][g]) == 10 {
                        top += 1;
                    }
                }
            }
            if buf.is_empty() {
                return (None, None, None);
            }
            buf.sort_unstable();
            (
                Some(percentile(buf, 0.05)),
                Some(percentile(buf, 0.95)),
                Some(top as f64 / buf.len() as f64),
            )
        })
        .collect();
    Sensitivity {
        draws,
        rank_p05: per_area.iter().map(|x| x.0).collect(),
        rank_p95: per_area.iter().map(|x| x.1).collect(),
        p_top_decile: per_area.iter().map(|x| x.2).collect(),
    }
}

/// Linear-interpolation percentile of sorted values.
fn percentile(sorted: &[u32], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let f = h - lo as f64;
    f64::from(sorted[lo]) + f * (f64::from(sorted[hi]) - f64::from(sorted[lo]))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_interpolates() {
        let v: Vec<u32> = (1..=21).collect();
        assert_eq!(percentile(&v, 0.05), 2.0);
        assert_eq!(percentile(&v, 0.95), 20.0);
        assert_eq!(percentile(&[7], 0.95), 7.0);
    }
}
