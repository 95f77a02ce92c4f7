//! Ranks and deciles: a dense index (NaN: no index) and the scope groups
//! in, each area's rank within its group (1 = highest index, ties to the
//! lower code, that is the earlier area) and decile (10 = the highest-risk
//! tenth) out. [`rank_into`] ranks with a stable radix sort into reusable
//! buffers, as the sensitivity draws rank thousands of times; [`decile`] is
//! the one decile formula (the roll-ups and selections use it too).

use super::scope::Groups;

/// Decile of a rank among `n` ranked areas: 10 for the highest-risk tenth.
pub fn decile(rank: u32, n: usize) -> u8 {
    let r = u64::from(rank.max(1)) - 1;
    (10 - (r * 10 / n.max(1) as u64).min(9)) as u8
}

/// Ranks within each group (1 = highest index; ties go to the lower code,
/// that is the earlier area) of a dense index (NaN: unranked), written into
/// `rank` (0 = unranked); returns the number ranked in each group.
pub fn rank_into(
    index: &[f64],
    groups: &Groups,
    rank: &mut [u32],
    scratch: &mut RankScratch,
) -> Vec<usize> {
    rank.fill(0);
    let mut counts = Vec::with_capacity(groups.groups.len());
    for g in &groups.groups {
        scratch.keys.clear();
        scratch.keys.extend(g.iter().filter_map(|&i| {
            let v = *index.get(i)?;
            (!v.is_nan()).then(|| (desc_key(v), i))
        }));
        // Members come in ascending position, so a stable sort on the key
        // alone leaves ties with the lower code first.
        sort_by_key_stable(&mut scratch.keys, &mut scratch.tmp);
        for (r, &(_, i)) in scratch.keys.iter().enumerate() {
            if let Some(x) = rank.get_mut(i) {
                *x = r as u32 + 1;
            }
        }
        counts.push(scratch.keys.len());
    }
    counts
}

/// Reusable buffers of [`rank_into`].
#[derive(Debug, Default)]
pub struct RankScratch {
    keys: Vec<(u64, usize)>,
    tmp: Vec<(u64, usize)>,
}

/// A key whose ascending order is `f64::total_cmp`'s order: integers
/// compare faster than floats through a comparator.
pub(super) fn asc_key(v: f64) -> u64 {
    let b = v.to_bits();
    // total_cmp's order as unsigned: flip every bit of negatives, the sign
    // bit of the rest.
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The value of an [`asc_key`].
pub(super) fn from_asc_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// A key whose ascending order is `f64::total_cmp`'s descending order.
fn desc_key(v: f64) -> u64 {
    !asc_key(v)
}

/// Stable sort by the key: LSD radix (11-bit digits, skipping digits that
/// all keys share) for large groups, an unstable sort of the pairs for small
/// ones.
fn sort_by_key_stable(keys: &mut Vec<(u64, usize)>, tmp: &mut Vec<(u64, usize)>) {
    const BITS: usize = 11;
    const DIGITS: usize = 64usize.div_ceil(BITS);
    const MASK: u64 = (1 << BITS) - 1;
    if keys.len() < 1024 {
        // Positions are distinct, so ordering whole pairs is the stable
        // order by key, and needs no scratch buffer.
        keys.sort_unstable();
        return;
    }
    let mut hist = vec![0usize; DIGITS << BITS];
    for &(k, _) in keys.iter() {
        for d in 0..DIGITS {
            hist[(d << BITS) | ((k >> (BITS * d)) & MASK) as usize] += 1;
        }
    }
    let n = keys.len();
    tmp.clear();
    tmp.resize(n, (0, 0));
    for (d, h) in hist.chunks_mut(1 << BITS).enumerate() {
        if h.contains(&n) {
            continue;
        }
        // Counts to starting offsets, in place.
        let mut sum = 0;
        for c in h.iter_mut() {
            let x = *c;
            *c = sum;
            sum += x;
        }
        for &e in keys.iter() {
            let b = ((e.0 >> (BITS * d)) & MASK) as usize;
            tmp[h[b]] = e;
            h[b] += 1;
        }
        std::mem::swap(keys, tmp);
    }
}

/// Each area's rank and decile within its scope group, and how many areas
/// the group ranks (the N of "rank r of N"); `None` for an unranked area.
pub struct Ranks {
    pub rank: Vec<Option<u32>>,
    pub decile: Vec<Option<u8>>,
    pub of: Vec<Option<u32>>,
}

/// Ranks and deciles within scope, of a dense index (NaN: unranked).
pub fn ranks(index: &[f64], groups: &Groups) -> Ranks {
    let mut rank = vec![0u32; index.len()];
    let counts = rank_into(index, groups, &mut rank, &mut RankScratch::default());
    let mut out = Ranks {
        rank: vec![None; index.len()],
        decile: vec![None; index.len()],
        of: vec![None; index.len()],
    };
    for (i, &r) in rank.iter().enumerate() {
        if r > 0 {
            let g = groups.group_of[i].map_or(0, |g| g as usize);
            out.rank[i] = Some(r);
            out.decile[i] = Some(decile(r, counts[g]));
            out.of[i] = u32::try_from(counts[g]).ok();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_as_total_cmp_and_give_the_value_back() {
        let vals = [
            f64::NEG_INFINITY,
            -1e300,
            -1.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE / 4.0,
            1.0,
            7.25,
            f64::INFINITY,
            f64::NAN,
        ];
        for a in vals {
            assert_eq!(from_asc_key(asc_key(a)).to_bits(), a.to_bits(), "{a}");
            for b in vals {
                assert_eq!(asc_key(a).cmp(&asc_key(b)), a.total_cmp(&b), "{a} {b}");
                assert_eq!(desc_key(a).cmp(&desc_key(b)), b.total_cmp(&a), "{a} {b}");
            }
        }
    }

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
