//! [`score`] against the straightforward pipeline it replaced (per-group
//! transform buffers, a row-major copy, a second pass for drivers, a
//! comparison sort for ranks), kept here as the reference: every output must
//! match it bit for bit, signed zeros included, over every transform,
//! direction, scope, missing-data policy, coverage minimum, index rescaling
//! and driver count, with ties and degenerate groups. Below, the coverage
//! rule's own cases, worked by hand.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::dataset::{AdminUnit, Area, Column, ColumnId, Source, Values};
use geo_types::MultiPolygon;

/// The previous implementation of [`score`], without personas.
fn reference(dataset: &Dataset, m: &Methodology, opts: &ScoreOptions) -> Scores {
    let groups = run_groups(dataset, m, opts).expect("groups");
    let n = dataset.len();
    let inds: Vec<(usize, &Indicator)> = m.indicators().collect();
    let raws: Vec<&[Option<f64>]> = inds
        .iter()
        .map(|(_, ind)| dataset.numeric(&ind.column).expect("numeric"))
        .collect();
    let columns: Vec<Vec<Option<f64>>> = inds
        .iter()
        .zip(&raws)
        .map(|((_, ind), raw)| {
            let mut out = vec![None; n];
            for g in &groups.groups {
                transform_group(raw, g, ind.transform, ind.direction, &mut out);
            }
            out
        })
        .collect();
    let (iw, cw) = weights::normalised(m);
    let dense: Vec<ScoreColumn> = columns.iter().cloned().map(ScoreColumn::from).collect();
    let cols: Vec<&[f64]> = dense.iter().map(ScoreColumn::dense).collect();
    let p = weights::Prepared::new(m, &cols, n);
    let (comps, index) = weights::combine_all(&p, &iw, &cw);
    let mut index = ScoreColumn::from(index);
    weights::rescale(index.dense_mut(), &groups, m.index_rescale);
    let (rank, decile) = reference_ranks(&index.to_vec(), &groups);
    let drivers = reference_drivers(&p, &raws, &groups, &iw, &cw, m.top_drivers);
    let k = m.components.len();
    let coverage: ScoreColumn = (0..n)
        .map(|a| groups.group_of[a].map(|_| p.coverage(a, &iw, &cw)))
        .collect();
    let status = (0..n)
        .map(|a| match (groups.group_of[a], index.get(a)) {
            (None, _) => IndexStatus::OutOfScope,
            (Some(_), None) => IndexStatus::InsufficientData,
            (Some(_), Some(_)) => IndexStatus::Ok,
        })
        .collect();
    Scores {
        indicators: inds
            .iter()
            .zip(columns)
            .enumerate()
            .map(|(j, ((c, ind), score))| IndicatorScore {
                id: ind.id.clone(),
                label: ind.label.clone(),
                component: m.components[*c].id.clone(),
                weight: iw[j],
                column: ind.column.clone(),
                score: ScoreColumn::from(score),
            })
            .collect(),
        components: m
            .components
            .iter()
            .enumerate()
            .map(|(c, comp)| ComponentScore {
                id: comp.id.clone(),
                label: comp.label.clone(),
                weight: cw[c],
                score: (0..n).map(|a| comps[a * k + c]).collect(),
            })
            .collect(),
        index,
        ranked_of: (0..n)
            .map(|a| {
                let g = groups.group_of[a]?;
                rank[a]?;
                let group = &groups.groups[g as usize];
                Some(group.iter().filter(|&&i| rank[i].is_some()).count() as u32)
            })
            .collect(),
        rank,
        decile,
        coverage,
        status,
        drivers,
        sensitivity: None,
        personas: Vec::new(),
    }
}

fn reference_ranks(index: &[Option<f64>], groups: &Groups) -> (Vec<Option<u32>>, Vec<Option<u8>>) {
    let mut rank = vec![None; index.len()];
    let mut decile = vec![None; index.len()];
    for g in &groups.groups {
        let mut v: Vec<(f64, usize)> = g.iter().filter_map(|&i| index[i].map(|v| (v, i))).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (r, &(_, i)) in v.iter().enumerate() {
            rank[i] = Some(r as u32 + 1);
            decile[i] = Some(rank::decile(r as u32 + 1, v.len()));
        }
    }
    (rank, decile)
}

/// The median of `v` by sorting (NaN when empty).
fn reference_median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// What one score point of each indicator adds to area `a`'s index, into
/// `out`; false (and `out` empty) where the area has no index.
fn reference_factors(
    p: &weights::Prepared,
    a: usize,
    iw: &[f64],
    cw: &[f64],
    out: &mut Vec<f64>,
) -> bool {
    out.clear();
    let mut comp = vec![None; p.ncomp];
    if p.area(a, iw, cw, &mut comp).is_none() {
        return false;
    }
    let row = &p.scores[a * p.k..(a + 1) * p.k];
    let mut den = vec![0.0; p.ncomp];
    for (j, s) in row.iter().enumerate() {
        if s.is_some() {
            den[p.comp_of[j]] += iw[j];
        }
    }
    let cden: f64 = comp
        .iter()
        .zip(cw)
        .filter(|(c, _)| c.is_some())
        .map(|(_, w)| w)
        .sum();
    out.extend(row.iter().enumerate().map(|(j, s)| {
        let c = p.comp_of[j];
        match s {
            Some(_) if den[c] > 0.0 && comp[c].is_some() => cw[c] / cden * iw[j] / den[c],
            _ => 0.0,
        }
    }));
    true
}

/// The drivers as the methodology states them, area by area: factor ×
/// (score − the group's median score), positive ones, largest first, ties
/// to the earlier indicator (an insertion list), with the group's median
/// raw value; medians by sorting each group.
fn reference_drivers(
    p: &weights::Prepared,
    raws: &[&[Option<f64>]],
    groups: &Groups,
    iw: &[f64],
    cw: &[f64],
    top: usize,
) -> Drivers {
    let top = top.min(255);
    let mut used = vec![0u8; p.n];
    let mut slots = vec![Driver::default(); p.n * top];
    if top == 0 {
        return Drivers {
            top,
            used,
            slots: Vec::new(),
        };
    }
    // median score and raw value, [group][indicator]
    let medians: Vec<Vec<(f64, f64)>> = groups
        .groups
        .iter()
        .map(|g| {
            (0..p.k)
                .map(|j| {
                    let with: Vec<usize> = g
                        .iter()
                        .copied()
                        .filter(|&a| p.scores[a * p.k + j].is_some())
                        .collect();
                    let s = with.iter().filter_map(|&a| p.scores[a * p.k + j]).collect();
                    let r = with
                        .iter()
                        .map(|&a| raws[j][a].unwrap_or(f64::NAN))
                        .collect();
                    (reference_median(s), reference_median(r))
                })
                .collect()
        })
        .collect();
    let mut f = Vec::new();
    for (a, (slot, used)) in slots.chunks_mut(top).zip(used.iter_mut()).enumerate() {
        if !reference_factors(p, a, iw, cw, &mut f) {
            continue;
        }
        let g = groups.group_of[a].expect("an area with an index is in scope") as usize;
        let mut k = 0usize;
        for (j, &fj) in f.iter().enumerate() {
            let v = match p.scores[a * p.k + j] {
                Some(s) if fj != 0.0 => fj * (s - medians[g][j].0),
                _ => 0.0,
            };
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
                let median = Some(medians[g][j].1).filter(|m| !m.is_nan());
                slot[at] = Driver {
                    indicator: j,
                    contribution: v,
                    median,
                };
                k = end;
            }
        }
        *used = k as u8;
    }
    Drivers { top, used, slots }
}

/// `n` areas in `boroughs` boroughs (each area in turn a different borough,
/// or with `run` > 0, runs of `run` consecutive areas per borough, as real
/// codes run) and two nations; eight columns: random,
/// coarse (many ties), with negatives and signed zeros, constant, mostly
/// missing, missing in a regular pattern, and with the odd NaN (which counts
/// as missing).
fn dataset(n: usize, boroughs: usize, run: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut areas: Vec<Area> = (0..n)
        .map(|i| Area {
            code: LsoaCode::new(format!("{}{:07}", if i % 7 == 0 { 'W' } else { 'E' }, i)),
            name: String::new(),
            borough: Some(AdminUnit::new(
                format!(
                    "B{:02}",
                    i.checked_div(run).map_or(i * 7919, |r| r * 7) % boroughs.max(1)
                ),
                String::new(),
            )),
            ward: None,
            geometry: MultiPolygon(vec![]),
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let mut col = |f: &mut dyn FnMut(&mut ChaCha8Rng, usize) -> Option<f64>| {
        (0..n).map(|i| f(&mut rng, i)).collect::<Vec<_>>()
    };
    let values = vec![
        col(&mut |r, _| (r.random_range(0.0..1.0) > 0.02).then(|| r.random_range(0.0..100.0))),
        col(&mut |r, _| Some(f64::from(r.random_range(0u8..4)))),
        col(&mut |r, _| {
            Some(match r.random_range(0u8..4) {
                0 => 0.0,
                1 => -0.0,
                _ => r.random_range(-5.0..5.0),
            })
        }),
        col(&mut |_, _| Some(3.0)),
        col(&mut |r, _| (r.random_range(0.0..1.0) < 0.1).then(|| r.random_range(0.0..1.0))),
        col(&mut |r, i| (i % 3 != 0).then(|| r.random_range(1e3..1e6))),
        col(&mut |r, i| {
            (r.random_range(0.0..1.0) > 0.3).then(|| {
                if i % 97 == 5 {
                    f64::NAN
                } else {
                    r.random_range(0.0..1.0)
                }
            })
        }),
        col(&mut |r, _| Some(r.random_range(-1.0..1.0))),
    ];
    let columns = values
        .into_iter()
        .enumerate()
        .map(|(j, v)| Column {
            id: ColumnId(format!("c{j}")),
            label: format!("c{j}"),
            values: Values::Numeric(v),
            source: Source::default(),
        })
        .collect();
    Dataset {
        areas,
        columns,
        ..Dataset::default()
    }
}

/// Three components over the eight columns; `zero` gives one indicator
/// weight 0.
fn methodology(
    transform: &str,
    missing: &str,
    rescale: &str,
    top: usize,
    zero: bool,
    min_coverage: f64,
) -> Methodology {
    let w = |j: usize| if zero && j == 2 { 0 } else { j + 1 };
    let dir = |j: usize| {
        if j % 3 == 1 {
            "lower_is_risk"
        } else {
            "higher_is_risk"
        }
    };
    let mut text = format!(
        "name = \"t\"\nscope = \"all\"\ntransform = \"{transform}\"\nmissing = \"{missing}\"\n\
         top_drivers = {top}\nmin_coverage = {min_coverage:?}\n[index]\ncombine = \"weighted_mean\"\nrescale = \"{rescale}\"\n"
    );
    for (c, js) in [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7]]
        .iter()
        .enumerate()
    {
        text += &format!("[[component]]\nid = \"k{c}\"\nweight = {}\n", c + 1);
        for &j in js {
            text += &format!(
                "[[component.indicator]]\nid = \"c{j}\"\nweight = {}\ndirection = \"{}\"\n",
                w(j),
                dir(j)
            );
        }
    }
    Methodology::parse(&text, "t.toml").expect("test methodology")
}

#[test]
fn matches_the_reference_pipeline_bit_for_bit() {
    let mut runs = 0;
    for (n, boroughs, run, seed) in [
        (1, 1, 0, 1),
        (2, 1, 0, 2),
        (40, 3, 0, 3),
        (700, 5, 0, 4),
        (3_000, 40, 0, 5),
        (3_000, 23, 37, 6),
        (2_000, 9, 15, 7),
    ] {
        let d = dataset(n, boroughs, run, seed);
        let custom: Vec<LsoaCode> = d.areas.iter().step_by(3).map(|a| a.code.clone()).collect();
        for transform in ["minmax", "rank_percentile", "zscore", "exponential"] {
            for (missing, rescale, top, zero, min_coverage) in [
                ("skip", "none", 3, false, 0.0),
                ("exclude_area", "minmax", 1, true, 0.75),
                ("skip", "minmax", 0, true, 0.5),
                ("exclude_area", "none", 8, false, 0.0),
                ("skip", "none", 9, false, 0.75),
                ("skip", "none", 3, true, 1.0),
                ("skip", "minmax", 2, false, 0.3),
            ] {
                let m = methodology(transform, missing, rescale, top, zero, min_coverage);
                for scope in [
                    Scope::All,
                    Scope::Nation,
                    Scope::LocalAuthority,
                    Scope::Custom(custom.clone()),
                ] {
                    if matches!(&scope, Scope::Custom(c) if c.is_empty()) {
                        continue;
                    }
                    let opts = ScoreOptions {
                        scope: Some(scope.clone()),
                        ..ScoreOptions::default()
                    };
                    let got = score(&d, &m, &opts).expect("scores");
                    let want = reference(&d, &m, &opts);
                    // Debug prints the shortest round-trip form of every
                    // float, -0.0 included: equal text is equal bits.
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{want:?}"),
                        "n {n}, {transform}, {missing}, rescale {rescale}, top {top}, \
                         min_coverage {min_coverage}, {scope:?}"
                    );
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 400);
}

#[test]
fn radix_ranks_order_by_index_then_position() {
    // Large enough for the radix path, with ties, signed zeros and NaN (no
    // index, in a dense column).
    let n = 5_000;
    let index: Vec<Option<f64>> = (0..n)
        .map(|i| match i % 11 {
            0 => None,
            1 => Some(0.0),
            2 => Some(-0.0),
            3 => Some(f64::NAN),
            _ => Some(((i * 37) % 101) as f64 / 10.0),
        })
        .collect();
    let groups = Groups::new(vec![(0..n).collect()], n);
    let dense = ScoreColumn::from(index);
    let rank::Ranks { rank, decile, .. } = rank::ranks(dense.dense(), &groups);
    assert_eq!(
        (rank.clone(), decile),
        reference_ranks(&dense.to_vec(), &groups)
    );
    let ranked = (0..n).filter(|i| i % 11 != 0 && i % 11 != 3).count();
    assert_eq!(rank.iter().flatten().count(), ranked);
}
