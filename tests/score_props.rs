//! Properties of scoring on seeded synthetic data (hand-rolled seeded loops),
//! and located errors from bad methodologies.

use dxmap::dataset::{AdminUnit, Area, Column, ColumnId, Dataset, LsoaCode, Source, Values};
use dxmap::score::{
    Direction, Methodology, Scope, ScoreColumn, ScoreError, ScoreOptions, Scores, score,
};
use geo_types::MultiPolygon;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const COLUMNS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

/// `n` areas over three boroughs and two nations, six columns with a few
/// missing values and some ties.
fn dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let areas = (0..n)
        .map(|i| Area {
            code: LsoaCode::new(format!("{}{:08}", if i % 5 == 0 { 'W' } else { 'E' }, i)),
            name: format!("area {i}"),
            borough: Some(AdminUnit::new(format!("B{}", i % 3), String::new())),
            ward: None,
            geometry: MultiPolygon(vec![]),
        })
        .collect::<Vec<_>>();
    let mut areas = areas;
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let columns = COLUMNS
        .iter()
        .map(|id| Column {
            id: ColumnId(id.to_string()),
            label: id.to_string(),
            values: Values::Numeric(
                (0..n)
                    .map(|_| {
                        let r: f64 = rng.random_range(0.0..1.0);
                        if r < 0.03 {
                            None
                        } else if r < 0.1 {
                            Some(1.0)
                        } else {
                            Some(rng.random_range(-50.0..150.0))
                        }
                    })
                    .collect(),
            ),
            source: Source::default(),
        })
        .collect();
    let d = Dataset {
        areas,
        columns,
        ..Dataset::default()
    };
    d.validate().expect("valid");
    d
}

fn toml(
    weights: [f64; 6],
    cweights: [f64; 2],
    transform: &str,
    scope: &str,
    reverse_b: bool,
) -> String {
    let dir = |r: bool| if r { "lower_is_risk" } else { "higher_is_risk" };
    format!(
        r#"name = "synthetic"
scope = "{scope}"
transform = "{transform}"
missing = "skip"

[[component]]
id = "one"
weight = {}

[[component.indicator]]
id = "a"
weight = {}

[[component.indicator]]
id = "b"
weight = {}
direction = "{}"

[[component.indicator]]
id = "c"
weight = {}

[[component]]
id = "two"
weight = {}

[[component.indicator]]
id = "d"
weight = {}

[[component.indicator]]
id = "e"
weight = {}
direction = "lower_is_risk"

[[component.indicator]]
id = "f"
weight = {}
"#,
        cweights[0],
        weights[0],
        weights[1],
        dir(reverse_b),
        weights[2],
        cweights[1],
        weights[3],
        weights[4],
        weights[5]
    )
}

fn methodology(text: &str) -> Methodology {
    Methodology::parse(text, "synthetic.toml").expect("parses")
}

fn close(a: &ScoreColumn, b: &ScoreColumn, tol: f64) -> bool {
    a.len() == b.len()
        && a.iter().zip(b.iter()).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() <= tol,
            (None, None) => true,
            _ => false,
        })
}

const TRANSFORMS: [&str; 4] = ["minmax", "rank_percentile", "zscore", "exponential"];
const SCOPES: [&str; 3] = ["all", "nation", "local_authority"];

#[test]
fn scaling_all_weights_changes_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for case in 0..12 {
        let d = dataset(300, case);
        let w: [f64; 6] = std::array::from_fn(|_| rng.random_range(0..10) as f64 + 1.0);
        let cw = [rng.random_range(1..5) as f64, rng.random_range(1..5) as f64];
        let k = [2.0, 7.0, 0.25][case as usize % 3];
        let t = TRANSFORMS[case as usize % 4];
        let sc = SCOPES[case as usize % 3];
        let a = score(
            &d,
            &methodology(&toml(w, cw, t, sc, false)),
            &ScoreOptions::default(),
        )
        .unwrap();
        let b = score(
            &d,
            &methodology(&toml(w.map(|x| x * k), cw.map(|x| x * k), t, sc, false)),
            &ScoreOptions::default(),
        )
        .unwrap();
        assert!(close(&a.index, &b.index, 1e-12), "case {case}");
        assert_eq!(a.rank, b.rank, "case {case}");
        assert_eq!(a.decile, b.decile, "case {case}");
        for (x, y) in a.components.iter().zip(&b.components) {
            assert!(close(&x.score, &y.score, 1e-12));
            assert!((x.weight - y.weight).abs() < 1e-15);
        }
    }
}

#[test]
fn reversing_an_indicator_mirrors_its_minmax_score() {
    for case in 0..6 {
        let d = dataset(250, 100 + case);
        let sc = SCOPES[case as usize % 3];
        let w = [1.0, 2.0, 3.0, 1.0, 1.0, 1.0];
        let a = score(
            &d,
            &methodology(&toml(w, [1.0, 1.0], "minmax", sc, false)),
            &ScoreOptions::default(),
        )
        .unwrap();
        let b = score(
            &d,
            &methodology(&toml(w, [1.0, 1.0], "minmax", sc, true)),
            &ScoreOptions::default(),
        )
        .unwrap();
        let (x, y) = (&a.indicators[1].score, &b.indicators[1].score);
        for (s, r) in x.iter().zip(y.iter()) {
            match (s, r) {
                (Some(s), Some(r)) => assert_eq!(r, 10.0 - s, "case {case}"),
                (None, None) => {}
                _ => panic!("presence differs"),
            }
        }
        // the other indicators are untouched
        assert_eq!(a.indicators[0].score, b.indicators[0].score);
    }
}

fn all_scores_in_range(s: &Scores) -> bool {
    let ok = |v: &ScoreColumn| {
        v.iter()
            .flatten()
            .all(|x| x.is_finite() && (0.0..=10.0).contains(&x))
    };
    s.indicators.iter().all(|i| ok(&i.score))
        && s.components.iter().all(|c| ok(&c.score))
        && ok(&s.index)
        && s.drivers
            .iter()
            .flatten()
            .all(|d| d.contribution.is_finite() && d.contribution >= 0.0)
}

#[test]
fn every_score_is_between_zero_and_ten() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..16 {
        let d = dataset(200 + case as usize * 7, 200 + case);
        let w: [f64; 6] = std::array::from_fn(|_| rng.random_range(0..6) as f64);
        let w = if w[..3].iter().all(|&x| x == 0.0) || w[3..].iter().all(|&x| x == 0.0) {
            [1.0; 6]
        } else {
            w
        };
        let t = TRANSFORMS[case as usize % 4];
        let m = methodology(&toml(
            w,
            [1.0, 3.0],
            t,
            SCOPES[case as usize % 3],
            case % 2 == 0,
        ));
        let s = score(&d, &m, &ScoreOptions::default()).unwrap();
        // An all-missing result would pass every check below.
        let scored = s.index.iter().flatten().count();
        assert!(
            scored * 2 > d.len(),
            "case {case}: only {scored} areas scored"
        );
        assert!(all_scores_in_range(&s), "case {case} ({t})");
        // ranks are 1..=n within each borough / nation / all, deciles 1..=10
        assert!(s.decile.iter().flatten().all(|d| (1..=10).contains(d)));
        assert!(s.rank.iter().flatten().all(|&r| r >= 1));
    }
}

#[test]
fn ranks_follow_the_index_within_scope() {
    let d = dataset(400, 9);
    let m = methodology(&toml(
        [1.0; 6],
        [1.0, 1.0],
        "minmax",
        "local_authority",
        false,
    ));
    let s = score(&d, &m, &ScoreOptions::default()).unwrap();
    for b in 0..3 {
        let mut members: Vec<usize> = (0..d.len())
            .filter(|&i| {
                d.areas[i].borough_code() == Some(format!("B{b}").as_str())
                    && s.index.get(i).is_some()
            })
            .collect();
        members.sort_by_key(|&i| s.rank[i]);
        let ranks: Vec<u32> = members.iter().map(|&i| s.rank[i].unwrap()).collect();
        assert_eq!(ranks, (1..=members.len() as u32).collect::<Vec<_>>());
        for w in members.windows(2) {
            let (x, y) = (s.index.get(w[0]).unwrap(), s.index.get(w[1]).unwrap());
            assert!(
                x > y || (x == y && w[0] < w[1]),
                "ties go to the lower code"
            );
        }
        assert_eq!(s.decile[members[0]], Some(10));
        assert_eq!(s.decile[*members.last().unwrap()], Some(1));
    }
}

#[test]
fn custom_scope_scores_only_its_areas() {
    let d = dataset(100, 3);
    let m = methodology(&toml([1.0; 6], [1.0, 1.0], "minmax", "all", false));
    let codes: Vec<LsoaCode> = d.areas[10..30].iter().map(|a| a.code.clone()).collect();
    let opts = ScoreOptions {
        scope: Some(Scope::Custom(codes)),
        ..ScoreOptions::default()
    };
    let s = score(&d, &m, &opts).unwrap();
    for i in 0..d.len() {
        assert_eq!(s.index.get(i).is_some(), (10..30).contains(&i), "area {i}");
    }
    let ranked: Vec<u32> = s.rank.iter().flatten().copied().collect();
    assert_eq!(ranked.len(), 20);
    assert_eq!(ranked.iter().max(), Some(&20));
}

#[test]
fn identical_on_one_and_four_threads() {
    let d = dataset(3_000, 42);
    let m = methodology(&toml(
        [5.0, 5.0, 2.0, 3.0, 3.0, 3.0],
        [1.0, 2.0],
        "zscore",
        "nation",
        true,
    ));
    let opts = ScoreOptions {
        sensitivity_draws: Some(64),
        ..ScoreOptions::default()
    };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| score(&d, &m, &opts).unwrap())
    };
    let (a, b) = (run(1), run(4));
    // Compare bit patterns, so that even -0.0 vs 0.0 would count.
    let bits = |s: &Scores| serde_json::to_string(s).unwrap();
    assert!(a.sensitivity.is_some());
    assert_eq!(bits(&a), bits(&b));
    let flat = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
    assert_eq!(flat(&a.index.to_vec()), flat(&b.index.to_vec()));
    let sa = a.sensitivity.as_ref().unwrap();
    let sb = b.sensitivity.as_ref().unwrap();
    assert_eq!(flat(&sa.rank_p05), flat(&sb.rank_p05));
    assert_eq!(flat(&sa.p_top_decile), flat(&sb.p_top_decile));
}

#[test]
fn sensitivity_band_zero_pins_every_rank() {
    let d = dataset(500, 5);
    let mut m = methodology(&toml(
        [1.0, 2.0, 3.0, 1.0, 1.0, 2.0],
        [1.0, 1.0],
        "minmax",
        "all",
        false,
    ));
    m.sensitivity.band = 0.0;
    let opts = ScoreOptions {
        sensitivity_draws: Some(20),
        ..ScoreOptions::default()
    };
    let s = score(&d, &m, &opts).unwrap();
    let sens = s.sensitivity.unwrap();
    for i in 0..d.len() {
        let r = s.rank[i].map(f64::from);
        assert_eq!(sens.rank_p05[i], r);
        assert_eq!(sens.rank_p95[i], r);
        let top = s.decile[i].map(|d| if d == 10 { 1.0 } else { 0.0 });
        assert_eq!(sens.p_top_decile[i], top);
    }
    // a wide band spreads some ranks
    m.sensitivity.band = 0.9;
    let wide = score(&d, &m, &opts).unwrap().sensitivity.unwrap();
    assert!(wide.rank_p05.iter().zip(&wide.rank_p95).any(|(a, b)| a < b));
    assert!(
        wide.rank_p05
            .iter()
            .zip(&wide.rank_p95)
            .all(|(a, b)| a <= b)
    );
}

/// The median of the present values (NaN when none).
fn median(v: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = v.collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

#[test]
fn drivers_are_the_indicators_above_the_scope_median() {
    let d = dataset(301, 11);
    // A "lower is risk" indicator drives where its raw value is below the median.
    let m = methodology(&format!(
        "top_drivers = 6\n{}",
        toml(
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            [2.0, 1.0],
            "minmax",
            "all",
            true
        )
    ));
    let s = score(&d, &m, &ScoreOptions::default()).unwrap();
    // With no index anywhere the checks below would hold vacuously.
    assert!(s.index.iter().flatten().count() * 2 > d.len());
    assert!(s.drivers.iter().any(|d| !d.is_empty()));
    let raw: Vec<&[Option<f64>]> = s
        .indicators
        .iter()
        .map(|ind| d.numeric(&ind.column).unwrap())
        .collect();
    let med_score: Vec<f64> = s
        .indicators
        .iter()
        .map(|ind| median(ind.score.iter().flatten()))
        .collect();
    let med_raw: Vec<f64> = s
        .indicators
        .iter()
        .zip(&raw)
        .map(|(ind, r)| {
            median(
                (0..d.len())
                    .filter(|&a| ind.score.get(a).is_some())
                    .filter_map(|a| r[a]),
            )
        })
        .collect();
    let mut drove = 0;
    for (a, drivers) in s.drivers.iter().enumerate() {
        if s.index.get(a).is_none() {
            assert!(drivers.is_empty());
            continue;
        }
        let mut got: Vec<usize> = drivers.iter().map(|d| d.indicator).collect();
        got.sort();
        let want: Vec<usize> = (0..s.indicators.len())
            .filter(|&j| {
                s.indicators[j]
                    .score
                    .get(a)
                    .is_some_and(|x| x > med_score[j])
            })
            .collect();
        assert_eq!(got, want, "area {a}");
        for dr in drivers {
            let j = dr.indicator;
            assert_eq!(dr.median, Some(med_raw[j]), "area {a}, indicator {j}");
            let x = raw[j][a].unwrap();
            let lower = m.indicators().nth(j).unwrap().1.direction == Direction::LowerIsRisk;
            if lower {
                assert!(
                    x < med_raw[j],
                    "area {a}: {j} {x} is not below {}",
                    med_raw[j]
                );
            } else {
                assert!(
                    x > med_raw[j],
                    "area {a}: {j} {x} is not above {}",
                    med_raw[j]
                );
            }
            drove += 1;
        }
        assert!(
            drivers
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
    }
    assert!(drove > d.len());
}

#[test]
fn constant_indicator_scores_five() {
    let mut d = dataset(50, 13);
    d.columns[0].values = Values::Numeric(vec![Some(3.0); 50]);
    let m = methodology(&toml([1.0; 6], [1.0, 1.0], "minmax", "all", false));
    let s = score(&d, &m, &ScoreOptions::default()).unwrap();
    assert!(s.indicators[0].score.iter().all(|x| x == Some(5.0)));
}

fn bad(text: &str) -> String {
    match Methodology::parse(text, "bad.toml") {
        Ok(m) => match score(&dataset(20, 1), &m, &ScoreOptions::default()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted:\n{text}"),
        },
        Err(e) => e.to_string(),
    }
}

const GOOD: &str = "name = \"x\"\n\n[[component]]\nid = \"one\"\nweight = 1\n\n[[component.indicator]]\nid = \"a\"\nweight = 2\n\n[[component.indicator]]\nid = \"b\"\nweight = 1\n";

#[test]
fn good_methodology_scores() {
    let m = Methodology::parse(GOOD, "good.toml").unwrap();
    assert!(score(&dataset(20, 1), &m, &ScoreOptions::default()).is_ok());
}

#[test]
fn missing_column_names_file_line_and_key() {
    let e = bad(&GOOD.replace("id = \"b\"\n", "id = \"b\"\ncolumn = \"nope\"\n"));
    assert_eq!(
        e,
        "bad.toml: line 13: component[0].indicator[1].column: column 'nope' is not in the dataset"
    );
}

#[test]
fn negative_weight_names_file_line_and_key() {
    let e = bad(&GOOD.replace("weight = 2", "weight = -2"));
    assert_eq!(
        e,
        "bad.toml: line 9: component[0].indicator[0].weight: weight -2 is negative or not finite"
    );
}

#[test]
fn all_zero_weights_name_file_line_and_key() {
    let e = bad(&GOOD
        .replace("weight = 2", "weight = 0")
        .replace("id = \"b\"\nweight = 1", "id = \"b\"\nweight = 0"));
    assert!(
        e.starts_with("bad.toml: line 7: component[0].indicator: all indicator weights"),
        "{e}"
    );
    let e = bad(&GOOD.replace("id = \"one\"\nweight = 1", "id = \"one\"\nweight = 0"));
    assert!(
        e.starts_with("bad.toml: line 3: component: all component weights are zero"),
        "{e}"
    );
}

#[test]
fn unknown_transform_names_file_line_and_key() {
    let e = bad(&GOOD.replace("id = \"a\"\n", "id = \"a\"\ntransform = \"log\"\n"));
    assert!(
        e.starts_with(
            "bad.toml: line 9: component[0].indicator[0].transform: unknown transform 'log'"
        ),
        "{e}"
    );
}

#[test]
fn empty_scope_names_file_line_and_key() {
    let e = bad(&format!("scope = {{ codes = [\"E99999999\"] }}\n{GOOD}"));
    assert_eq!(
        e,
        "bad.toml: line 1: scope: the scope has no areas in this dataset"
    );
    let e = bad(&format!("scope = {{ codes = [] }}\n{GOOD}"));
    assert_eq!(e, "bad.toml: line 1: scope: the scope has no areas");
}

#[test]
fn unknown_key_names_file_and_line() {
    let e = bad(&GOOD.replace("id = \"a\"\n", "id = \"a\"\nwieght = 3\n"));
    assert!(
        e.starts_with("bad.toml: line 9: unknown field `wieght`"),
        "{e}"
    );
    assert!(matches!(
        Methodology::parse("name = [", "x.toml"),
        Err(ScoreError::Parse { line: 1, .. })
    ));
}

#[test]
fn shipped_methodologies_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology");
    let deri = dxmap::methodology_file::load(&root.join("deri-v1.6.toml")).unwrap();
    let w: Vec<Vec<f64>> = deri
        .components
        .iter()
        .map(|c| c.indicators.iter().map(|i| i.weight).collect())
        .collect();
    assert_eq!(
        w,
        vec![
            vec![5.0, 5.0, 2.0, 2.0],
            vec![3.0, 3.0, 3.0],
            vec![2.0, 4.0, 2.0, 2.0]
        ]
    );
    assert_eq!(
        deri.components[1].indicators[2].direction,
        dxmap::score::Direction::LowerIsRisk
    );
    let london = dxmap::methodology_file::load(&root.join("london.toml")).unwrap();
    assert_eq!(london.scope, Scope::All);
    assert!(london.personas.iter().any(|p| p.id.0 == "iuc_offline"));
}
