//! Drivers say what is unusual about an area: the indicators that raise its
//! index above a typical area in its scope group (the scope median), worked
//! by hand on five areas and two indicators, through scoring, the API's area
//! detail and the CSV export.

mod fixtures;

use std::sync::Arc;

use dxmap::dataset::{AdminUnit, Area, Dataset, LsoaCode, Measure};
use dxmap::export::{self, Level};
use dxmap::score::{Methodology, Scope, ScoreOptions, ScoredDataset};
use dxmap::server::Served;
use dxmap::tiles::TileOptions;

/// Two components of equal weight, one indicator each, min–max within all
/// areas: each indicator's effective weight in the index is 0.5.
const METHODOLOGY: &str = r#"
name = "Hand-worked drivers"
scope = "all"
transform = "minmax"
missing = "skip"
top_drivers = 3

[[component]]
id = "people"
weight = 1

[[component.indicator]]
id = "aged_75_plus"
label = "Share aged 75+"
column = "aged_75_plus"
weight = 1
direction = "higher_is_risk"

[[component]]
id = "connectivity"
weight = 1

[[component.indicator]]
id = "speed"
label = "Median download speed"
column = "speed"
weight = 1
direction = "lower_is_risk"
"#;

/// Areas A–E (codes E01000000–E01000004).
///
/// | area | aged 75+ | score        | speed | score (lower is risk) |
/// |------|----------|--------------|-------|-----------------------|
/// | A    | 0.02     | 0            | 100   | 0                     |
/// | B    | 0.04     | 10/9 = 1.111 | 80    | 10/3 = 3.333          |
/// | C    | 0.06     | 20/9 = 2.222 | 60    | 20/3 = 6.667          |
/// | D    | 0.08     | 30/9 = 3.333 | 40    | 10                    |
/// | E    | 0.20     | 10           | 90    | 5/3 = 1.667           |
///
/// Medians: aged 75+ score 2.222 (raw 0.06, area C), speed score 3.333
/// (raw 80, area B).
fn scored() -> ScoredDataset {
    scored_with(&ScoreOptions::default())
}

fn scored_with(opts: &ScoreOptions) -> ScoredDataset {
    let aged = [0.02, 0.04, 0.06, 0.08, 0.20];
    let speed = [100.0, 80.0, 60.0, 40.0, 90.0];
    let areas = (0..5)
        .map(|i| Area {
            code: LsoaCode::new(format!("E0100000{i}")),
            name: format!("Area {}", ['A', 'B', 'C', 'D', 'E'][i]),
            borough: Some(AdminUnit::new("E09000001", "Alpha")),
            ward: None,
            geometry: {
                let x = -0.2 + i as f64 * 0.01;
                fixtures::rect(x, 51.5, x + 0.01, 51.51)
            },
        })
        .collect();
    let rate = Measure::Rate {
        denominator: "population".into(),
    };
    let dataset = Dataset {
        title: "Drivers fixture".into(),
        areas,
        columns: vec![
            fixtures::numeric_column("population", vec![Some(1500.0); 5], Measure::Count),
            fixtures::numeric_column("aged_75_plus", aged.map(Some).to_vec(), rate),
            fixtures::numeric_column("speed", speed.map(Some).to_vec(), Measure::Value),
        ],
        ..Dataset::default()
    };
    let m = Methodology::parse(METHODOLOGY, "drivers.toml").unwrap();
    ScoredDataset::new(Arc::new(dataset), Arc::new(m), opts).unwrap()
}

#[test]
fn drivers_are_what_lifts_an_area_above_the_scope_median() {
    let s = scored();
    let d = &s.scores.drivers;
    let ids = |a: usize| -> Vec<(&str, f64, Option<f64>)> {
        d.get(a)
            .unwrap()
            .iter()
            .map(|x| {
                let id = s.scores.indicators[x.indicator].id.0.as_str();
                (id, x.contribution, x.median)
            })
            .collect()
    };
    // E: aged 75+ 0.5 × (10 − 2.222) = 3.889; speed 0.5 × (1.667 − 3.333)
    // is negative: not a driver, though it is 0.833 of E's index (the old
    // weight × score drivers listed it).
    let e = ids(4);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "aged_75_plus");
    assert!((e[0].1 - 0.5 * (10.0 - 20.0 / 9.0)).abs() < 1e-12, "{e:?}");
    assert_eq!(e[0].2, Some(0.06));
    // D: speed 0.5 × (10 − 3.333) = 3.333 first, then aged 75+ 0.5 ×
    // (3.333 − 2.222) = 0.556.
    let dd = ids(3);
    assert_eq!(dd.len(), 2, "{dd:?}");
    assert_eq!((dd[0].0, dd[0].2), ("speed", Some(80.0)));
    assert!((dd[0].1 - 0.5 * (10.0 - 10.0 / 3.0)).abs() < 1e-12);
    assert_eq!((dd[1].0, dd[1].2), ("aged_75_plus", Some(0.06)));
    assert!((dd[1].1 - 0.5 * (30.0 / 9.0 - 20.0 / 9.0)).abs() < 1e-12);
    // B: aged 75+ below the median, speed at it: nothing is unusual, though
    // its index is 2.2.
    assert!(ids(1).is_empty());
    assert!(s.scores.index.get(1).is_some_and(|x| x > 2.0));
    // A: lowest on both.
    assert!(ids(0).is_empty());
    // C: aged 75+ at the median, speed 0.5 × (6.667 − 3.333) = 1.667.
    let c = ids(2);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, "speed");
}

#[test]
fn the_api_gives_each_driver_its_value_and_the_scope_median() {
    let served = Served::build(scored(), TileOptions::default(), 1 << 20).unwrap();
    let d = served.area_detail(3);
    let drivers = d["drivers"].as_array().unwrap();
    assert_eq!(drivers.len(), 2);
    let speed = &drivers[0];
    assert_eq!(speed["indicator"], "speed");
    assert_eq!(speed["direction"], "lower_is_risk");
    assert_eq!(speed["raw"], 40.0);
    assert_eq!(speed["median"], 80.0);
    assert_eq!(speed["contribution"], 3.3333);
    assert_eq!(speed["compared_with"], "all areas");
    let aged = &drivers[1];
    assert_eq!(aged["indicator"], "aged_75_plus");
    assert_eq!(aged["direction"], "higher_is_risk");
    assert_eq!(aged["raw"], 0.08);
    assert_eq!(aged["median"], 0.06);
    assert_eq!(aged["kind"], "share");
    assert_eq!(served.area_detail(1)["drivers"], serde_json::json!([]));
}

/// A run's `--scope` (here `local_authority` over a methodology that says
/// `all`) is the scope everything reports: the drivers compare with the
/// area's authority, and the methodology in force says so.
#[test]
fn a_scope_override_is_the_scope_the_drivers_and_api_name() {
    let opts = ScoreOptions {
        scope: Some(Scope::LocalAuthority),
        ..ScoreOptions::default()
    };
    let s = scored_with(&opts);
    assert_eq!(s.methodology.scope, Scope::LocalAuthority);
    let served = Served::build(s, TileOptions::default(), 1 << 20).unwrap();
    let d = served.area_detail(3);
    assert_eq!(d["drivers"][0]["compared_with"], "areas in Alpha", "{d}");
}

#[test]
fn the_csv_export_names_the_drivers() {
    let scored = scored();
    let table = export::table(&scored, Level::Lsoa).unwrap();
    let mut csv = Vec::new();
    export::csv::write_csv(&table, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "drivers").unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[3][col], "speed;aged_75_plus");
    assert_eq!(rows[4][col], "aged_75_plus");
    assert_eq!(rows[1][col], "");
}
