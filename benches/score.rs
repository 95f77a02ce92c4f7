//! Scoring benchmarks on synthetic data of real sizes: re-scoring 34,753
//! England and Wales areas with 11 indicators in each scope (target < 5 ms),
//! and in a custom selection as `POST /api/score` does, and 1,000-draw weight
//! sensitivity on 4,835 London-size areas (target < 1 s). Each run is the
//! whole of `score`, outputs included, as an analyst's re-weighting or the
//! server's re-score pays it.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::dataset::{Area, Column, ColumnId, Dataset, LsoaCode, Source, Values};
use dxmap::score::{Methodology, Scope, ScoreOptions, score};
use geo_types::MultiPolygon;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const INDICATORS: [&str; 11] = [
    "a65", "a75", "lim", "de", "b30", "b10", "speed", "pc", "noq", "cc", "imd",
];

/// `n` areas in about 330 local authorities (Wales for every 18th), 11
/// indicators with 1% missing.
fn dataset(n: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut areas: Vec<Area> = (0..n)
        .map(|i| Area {
            code: LsoaCode::new(format!("{}{:07}", if i % 18 == 0 { "W0" } else { "E0" }, i)),
            name: String::new(),
            borough_code: format!("LA{:03}", i % 331),
            borough_name: String::new(),
            ward_code: None,
            ward_name: None,
            geometry: MultiPolygon(vec![]),
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let columns = INDICATORS
        .iter()
        .map(|id| Column {
            id: ColumnId(id.to_string()),
            label: id.to_string(),
            values: Values::Numeric(
                (0..n)
                    .map(|_| {
                        (rng.random_range(0.0..1.0) > 0.01).then(|| rng.random_range(0.0..100.0))
                    })
                    .collect(),
            ),
            source: Source::default(),
        })
        .collect();
    Dataset {
        areas,
        columns,
        ..Dataset::default()
    }
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
    let ew = dataset(34_753);
    // POST /api/score re-scores within a selection: here every tenth area.
    let selection = ew
        .areas
        .iter()
        .step_by(10)
        .map(|a| a.code.clone())
        .collect();
    for (name, scope) in [
        ("all", Scope::All),
        ("nation", Scope::Nation),
        ("local_authority", Scope::LocalAuthority),
        ("custom", Scope::Custom(selection)),
    ] {
        let opts = ScoreOptions {
            scope: Some(scope),
            ..ScoreOptions::default()
        };
        c.bench_function(
            &format!("score 34,753 areas x 11 indicators, scope {name}"),
            |b| b.iter(|| score(black_box(&ew), &m, &opts).expect("scores")),
        );
    }
    let london = dataset(4_835);
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
