//! Scoring benchmarks on synthetic data of real sizes: re-scoring 34,753
//! England and Wales areas with 11 indicators in each scope (target < 5 ms),
//! and in a custom selection as `POST /api/score` does, and 1,000-draw weight
//! sensitivity on 4,835 London-size areas (target < 1 s). Each run is the
//! whole of `score`, outputs included, as an analyst's re-weighting or the
//! server's re-score pays it.
//!
//! Areas are in code order, and codes run by local authority: the 32,844
//! English LSOAs of 2011 form 621 runs of one authority in code order (317
//! authorities), so here runs of 56 areas, each authority two runs. The
//! `interleaved` case, every area a different authority from the one before,
//! is the worst case for grouping and is measured too, and so, where
//! `../shared/data` is beside the repository, are the real codes and
//! authorities (655 runs over 331 authorities).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::dataset::Dataset;
use dxmap::score::{Methodology, Scope, ScoreOptions, score};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

const INDICATORS: [&str; 11] = [
    "a65", "a75", "lim", "de", "b30", "b10", "speed", "pc", "noq", "cc", "imd",
];

/// `n` areas in 331 local authorities (Wales for every 18th), in runs of 56
/// consecutive areas or, with `interleaved`, area by area.
fn synthetic(n: usize, interleaved: bool) -> Dataset {
    dataset(
        (0..n)
            .map(|i| {
                let code = format!("{}{:07}", if i % 18 == 0 { "W0" } else { "E0" }, i);
                let la = format!("LA{:03}", if interleaved { i } else { i / 56 * 7 } % 331);
                (code, la)
            })
            .collect(),
    )
}

/// The real 2011 LSOA codes of England and Wales with their 2022 local
/// authorities, from `../shared/data` (34,753 areas, 331 authorities, 655
/// runs in code order); `None` where that is absent.
fn real_ew() -> Option<Dataset> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/lookups/ew_lsoa11_to_lsoa21_lad22_bestfit.csv"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("skipping the real E&W authorities case: {path} is absent");
        return None;
    };
    let mut seen = std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let (Some(code), Some(la)) = (f.first(), f.get(4)) {
            seen.entry(code.to_string())
                .or_insert_with(|| la.to_string());
        }
    }
    Some(dataset(seen.into_iter().collect()))
}

/// Areas from (code, local authority) pairs, in code order, and 11
/// indicators with 1% missing.
fn dataset(pairs: Vec<(String, String)>) -> Dataset {
    let n = pairs.len();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let columns = INDICATORS
        .iter()
        .map(|id| {
            let values = (0..n)
                .map(|_| (rng.random_range(0.0..1.0) > 0.01).then(|| rng.random_range(0.0..100.0)))
                .collect();
            (id.to_string(), values)
        })
        .collect();
    fixtures::synthetic(pairs, columns)
}

fn methodology() -> Methodology {
    let text = r#"
name = "bench"
missing = "skip"
[[component]]
id = "demography"
weight = 1
[[component.indicator]]
id = "a65"
weight = 5
[[component.indicator]]
id = "a75"
weight = 5
[[component.indicator]]
id = "lim"
weight = 2
[[component.indicator]]
id = "de"
weight = 2
[[component]]
id = "broadband"
weight = 1
[[component.indicator]]
id = "b30"
weight = 3
[[component.indicator]]
id = "b10"
weight = 3
[[component.indicator]]
id = "speed"
weight = 3
direction = "lower_is_risk"
[[component]]
id = "deprivation"
weight = 1
[[component.indicator]]
id = "pc"
weight = 2
[[component.indicator]]
id = "noq"
weight = 4
[[component.indicator]]
id = "cc"
weight = 2
[[component.indicator]]
id = "imd"
weight = 2
"#;
    Methodology::parse(text, "bench.toml").expect("bench methodology")
}

fn bench(c: &mut Criterion) {
    let m = methodology();
    let ew = synthetic(34_753, false);
    let interleaved = synthetic(34_753, true);
    let real = real_ew();
    // POST /api/score re-scores within a selection: here every tenth area.
    let selection = ew
        .areas
        .iter()
        .step_by(10)
        .map(|a| a.code.clone())
        .collect();
    let mut cases = vec![
        ("all", Scope::All, &ew),
        ("nation", Scope::Nation, &ew),
        ("local_authority", Scope::LocalAuthority, &ew),
        ("custom", Scope::Custom(selection), &ew),
        (
            "local_authority, interleaved",
            Scope::LocalAuthority,
            &interleaved,
        ),
    ];
    if let Some(real) = &real {
        cases.push((
            "local_authority, real E&W authorities",
            Scope::LocalAuthority,
            real,
        ));
    }
    for (name, scope, ds) in cases {
        let opts = ScoreOptions {
            scope: Some(scope),
            ..ScoreOptions::default()
        };
        c.bench_function(
            &format!("score 34,753 areas x 11 indicators, scope {name}"),
            |b| b.iter(|| score(black_box(ds), &m, &opts).expect("scores")),
        );
    }
    let london = synthetic(4_835, false);
    let opts = ScoreOptions {
        scope: Some(Scope::All),
        sensitivity_draws: Some(1_000),
    };
    let mut g = c.benchmark_group("sensitivity");
    g.sample_size(10);
    g.bench_function("1,000 draws on 4,835 areas", |b| {
        b.iter(|| score(black_box(&london), &m, &opts).expect("scores"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
