//! Builds from the real open data in ../shared/data (skipped when absent):
//! the London project (4,835 areas, every contract column joined), the
//! England and Wales project (34,753 areas), and areal interpolation of
//! London's 2021-LSOA population onto 2011 LSOAs checked against the total
//! and against the best-fit lookup.

mod common;

use std::path::{Path, PathBuf};

use dxmap::dataset::Values;
use dxmap::ingest::{BuildOptions, Files, Project, build};

const LONDON_COLUMNS: [&str; 15] = [
    "population",
    "aged_65_plus",
    "aged_75_plus",
    "activities_limited",
    "no_qualifications",
    "social_grade_de",
    "social_rented",
    "imd_score",
    "imd_rank",
    "income_score",
    "employment_score",
    "idaopi_score",
    "english_proficiency",
    "iuc_group",
    "deri_broadband",
];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

#[test]
fn london_builds_with_every_column() {
    if common::shared_data("london_builds_with_every_column").is_none() {
        return;
    }
    let project = Project::load(&example("london.toml")).unwrap();
    let out = build(&project, &BuildOptions::default()).unwrap();
    println!("{}", out.report);
    let d = &out.dataset;
    assert_eq!(d.len(), 4835);
    d.validate().unwrap();
    for id in LONDON_COLUMNS {
        let c = d.column(id).unwrap_or_else(|| panic!("column {id}"));
        let present = c.values.present();
        // IMD scores exist for the 4,659 codes shared by both vintages.
        let floor = if id.ends_with("_score") { 4659 } else { 4800 };
        assert!(present >= floor, "{id}: {present} present");
    }
    assert_eq!(d.column("imd_score").unwrap().values.present(), 4659);
    assert_eq!(d.column("iuc_group").unwrap().values.present(), 4835);
    assert!(matches!(
        d.column("iuc_group").unwrap().values,
        Values::Category(_)
    ));
    // Spot values from the source files.
    let i = d.position("E01000001").unwrap();
    assert_eq!(d.numeric("imd_score").unwrap()[i], Some(6.208));
    assert_eq!(d.numeric("imd_rank").unwrap()[i], Some(29199.0));
    let nq = d.numeric("no_qualifications").unwrap()[i].unwrap();
    assert!((nq - 25.0 / 1350.0).abs() < 1e-12);
    let a = &d.areas[i];
    assert_eq!(
        (a.borough_code.as_str(), a.ward_name.as_deref()),
        ("E09000001", Some("Aldersgate"))
    );
    let boroughs = d.layer("boroughs").unwrap();
    assert_eq!(boroughs.features.len(), 33);
    assert_eq!(d.layer("wards").unwrap().features.len(), 634);
    assert!(
        d.attribution
            .iter()
            .any(|l| l.contains("Digital Exclusion Risk Index"))
    );
    // The embedded default is this build's table read back (rounded to 6 decimals).
    let default = dxmap::ingest::embedded_default(&BuildOptions::default())
        .unwrap()
        .dataset;
    assert_eq!(default.len(), d.len());
    for id in LONDON_COLUMNS {
        let (a, b) = (
            &d.column(id).unwrap().values,
            &default.column(id).unwrap().values,
        );
        match (a, b) {
            (Values::Numeric(a), Values::Numeric(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match (x, y) {
                        (Some(x), Some(y)) => {
                            assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{id}: {x} vs {y}")
                        }
                        (None, None) => {}
                        _ => panic!(
                            "{id}: {x:?} vs {y:?} (data/london_lsoa11_indicators.csv is stale?)"
                        ),
                    }
                }
            }
            _ => assert_eq!(a, b, "{id}"),
        }
    }
    let pop: f64 = d.numeric("population").unwrap().iter().flatten().sum();
    println!("London population (Census 2021 via best-fit lookup): {pop:.0}");
    assert!((8.0e6..9.0e6).contains(&pop), "{pop}");
}

#[test]
fn england_and_wales_builds() {
    if common::shared_data("england_and_wales_builds").is_none() {
        return;
    }
    let project = Project::load(&example("england-wales.toml")).unwrap();
    let out = build(&project, &BuildOptions::default()).unwrap();
    println!("{}", out.report);
    let d = &out.dataset;
    assert_eq!(d.len(), 34753);
    d.validate().unwrap();
    let nq = d.column("no_qualifications").unwrap().values.present();
    assert_eq!(nq, 34753);
    let rank = d.column("imd_rank").unwrap().values.present();
    assert_eq!(rank, 32844, "IMD covers England only");
    assert!(d.areas.iter().filter(|a| a.borough_code.is_empty()).count() < 10);
}

/// London 2021-LSOA population onto 2011 LSOAs by areal interpolation.
#[test]
fn areal_interpolation_conserves_london_population() {
    let Some(data) = common::shared_data("areal_interpolation_conserves_london_population") else {
        return;
    };
    let text = r#"
title = "interpolation check"
layers = false
[boundaries]
file = "boundaries/london_lsoa11.geojson"
code = "LSOA11CD"
name = "LSOA11NM"

[[dataset]]
name = "areal"
file = "population/london_lsoa21_census2021_age65plus.csv"
code = "LSOA21CD"
geography = "interpolate"
boundaries = { file = "boundaries/london_lsoa21.geojson", code = "LSOA21CD" }
vintage = "Census 2021"
column = [{ id = "pop_areal", label = "areal", count = "total_usual_residents" }]

[[dataset]]
name = "lookup"
file = "population/london_lsoa21_census2021_age65plus.csv"
code = "LSOA21CD"
geography = "lookup"
lookup = { file = "lookups/ew_lsoa11_to_lsoa21_lad22_bestfit.csv", from = "LSOA21CD", to = "LSOA11CD" }
unmatched_rows = "ignore"
vintage = "Census 2021"
column = [{ id = "pop_lookup", label = "lookup", count = "total_usual_residents" }]
"#;
    let project = Project::parse(
        text,
        Path::new("interpolation.toml"),
        Files::Dir(data.clone()),
    )
    .unwrap();
    let out = build(&project, &BuildOptions::default()).unwrap();
    println!("{}", out.report);
    let d = &out.dataset;
    let areal = d.numeric("pop_areal").unwrap();
    let lookup = d.numeric("pop_lookup").unwrap();
    let source_total: f64 =
        std::fs::read_to_string(data.join("population/london_lsoa21_census2021_age65plus.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap())
            .sum();
    let areal_total: f64 = areal.iter().flatten().sum();
    let rel = (areal_total - source_total).abs() / source_total;
    println!(
        "London total: census {source_total:.0}, interpolated {areal_total:.0} ({:.3}% off)",
        rel * 100.0
    );
    assert!(rel < 0.005, "total off by {:.3}%", rel * 100.0);
    assert_eq!(areal.iter().flatten().count(), 4835);
    // Per-LSOA difference from the lookup-based answer.
    let mut diffs: Vec<f64> = areal
        .iter()
        .zip(lookup)
        .filter_map(|(a, l)| Some(((*a)? - (*l)?).abs() / (*l)?.max(1.0)))
        .collect();
    diffs.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| diffs[((diffs.len() - 1) as f64 * p) as usize] * 100.0;
    println!(
        "per-LSOA |areal - lookup| / lookup over {} LSOAs: median {:.2}%, p90 {:.2}%, p99 {:.2}%, max {:.2}%",
        diffs.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(1.0)
    );
    // The 2011 polygons are super-generalised (about 8 vertices each) while
    // the 2021 ones are 20 m generalised, so small urban LSOAs trade a good
    // share of their area with neighbours: per-LSOA errors of 10-15% are
    // expected even where the codes are the same. A gross failure (wrong
    // scaling, lost overlaps) shows up far above this bound.
    assert!(q(0.5) < 25.0, "median error {:.2}%", q(0.5));
}
