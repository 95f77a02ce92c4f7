//! Builds from the real open data in ../shared/data (skipped when absent):
//! the London LSOA 2011 project (4,835 areas, every contract column joined),
//! the England and Wales LSOA 2011 project (34,753 areas), their LSOA 2021
//! counterparts (4,994 and 35,672 areas: Census 2021, IoD2025, wards of May
//! 2024, a rate across two tables; the embedded default is the London one
//! read back), and areal interpolation of
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
        (a.borough_code().unwrap_or(""), a.ward_name()),
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
    assert!(d.areas.iter().filter(|a| a.borough.is_none()).count() < 10);
}

/// The columns both LSOA 2021 examples build, with the same ids.
const COLUMNS_2021: [&str; 19] = [
    "population",
    "aged_65_plus",
    "aged_75_plus",
    "residents_60_plus",
    "activities_limited",
    "hh_deprived_2plus",
    "social_rented",
    "imd_score",
    "imd_rank",
    "imd_decile",
    "income_score",
    "employment_score",
    "education_score",
    "health_score",
    "housing_and_services_score",
    "digital_connectivity",
    "english_proficiency",
    "idaopi_numerator",
    "idaopi_rate",
];

#[test]
fn london_2021_builds_with_wards_boroughs_and_a_rate_across_tables() {
    let Some(data) =
        common::shared_data("london_2021_builds_with_wards_boroughs_and_a_rate_across_tables")
    else {
        return;
    };
    let project = Project::load(&example("london-2021.toml")).unwrap();
    let out = build(&project, &BuildOptions::default()).unwrap();
    println!("{}", out.report);
    let d = &out.dataset;
    assert_eq!(d.len(), 4994);
    d.validate().unwrap();
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
    for id in COLUMNS_2021.iter().chain(&[
        "gigabit_pct",
        "sfbb_pct",
        "no_gigabit_pct",
        "no_superfast_pct",
    ]) {
        let present = d
            .column(id)
            .unwrap_or_else(|| panic!("column {id}"))
            .values
            .present();
        // MHCLG blanks 66 London IDAOPI numerators (under 10).
        let want = if id.starts_with("idaopi") {
            4994 - 66
        } else {
            4994
        };
        assert_eq!(present, want, "{id}");
    }
    assert_eq!(d.layer("boroughs").unwrap().features.len(), 33);
    assert_eq!(d.layer("wards").unwrap().features.len(), 684);
    assert!(d.geography.contains("May 2024"), "{}", d.geography);
    // Spot values against the source rows of E01000003 (City of London 001C).
    let i = d.position("E01000003").unwrap();
    let a = &d.areas[i];
    assert_eq!(a.borough_code(), Some("E09000001"));
    assert!(a.ward_code().is_some_and(|w| w.starts_with("E05")));
    let row = |file: &str| -> Vec<(String, String)> {
        let text = std::fs::read_to_string(data.join(file)).unwrap();
        let mut lines = text.lines();
        let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let line = lines.find(|l| l.starts_with("E01000003,")).unwrap();
        head.into_iter()
            .zip(line.split(',').map(String::from))
            .collect()
    };
    let get = |r: &[(String, String)], k: &str| -> f64 {
        r.iter().find(|(h, _)| h == k).unwrap().1.parse().unwrap()
    };
    let iod = row("imd/england_lsoa21_iod2025_underlying_indicators.csv");
    let age = row("census/ew_lsoa21_census2021_ts007a_age_5yr.csv");
    let sixty: f64 = ["60 to 64", "65 to 69", "70 to 74", "75 to 79", "80 to 84"]
        .iter()
        .map(|b| get(&age, &format!("Age: Aged {b} years")))
        .sum::<f64>()
        + get(&age, "Age: Aged 85 years and over");
    let num = get(
        &iod,
        "income_deprivation_affecting_older_people_index_idaopi_numerator",
    );
    assert_eq!(d.numeric("residents_60_plus").unwrap()[i], Some(sixty));
    assert_eq!(d.numeric("idaopi_rate").unwrap()[i], Some(num / sixty));
    let rate = d.column("idaopi_rate").unwrap();
    assert_eq!(rate.source.vintage, "IoD 2025 / Census 2021");
    assert!(
        rate.source.method.contains("iod2025_indicators"),
        "{}",
        rate.source.method
    );
    assert!(
        rate.source.method.contains("census2021_age_5yr"),
        "{}",
        rate.source.method
    );
    // The embedded default is this build's table read back (rounded to 6
    // decimals), with the same areas, wards, boroughs and attribution.
    let default = dxmap::ingest::embedded_default(&BuildOptions::default())
        .unwrap()
        .dataset;
    assert_eq!(default.len(), d.len());
    assert_eq!(default.columns.len(), d.columns.len());
    assert_eq!(default.attribution, d.attribution);
    for (x, y) in default.areas.iter().zip(&d.areas) {
        assert_eq!(
            (&x.code, &x.borough, &x.ward),
            (&y.code, &y.borough, &y.ward)
        );
    }
    for c in &d.columns {
        let id = c.id.as_str();
        let (a, b) = (&c.values, &default.column(id).unwrap().values);
        let (Values::Numeric(a), Values::Numeric(b)) = (a, b) else {
            panic!("{id}: not numeric");
        };
        for (x, y) in a.iter().zip(b) {
            match (x, y) {
                (Some(x), Some(y)) => {
                    assert!((x - y).abs() <= 1e-6 * x.abs().max(1.0), "{id}: {x} vs {y}")
                }
                (None, None) => {}
                _ => panic!(
                    "{id}: {x:?} vs {y:?} (data/london_lsoa21_indicators.csv is stale? \
                     scripts/make-default-table.sh regenerates it)"
                ),
            }
        }
    }
    let dc = get(
        &iod,
        "digital_connectivity_broadband_download_and_upload_speeds",
    );
    assert_eq!(d.numeric("digital_connectivity").unwrap()[i], Some(dc));
    for who in ["Indices of Deprivation 2025", "Ofcom"] {
        assert!(d.attribution.iter().any(|l| l.contains(who)), "{who}");
    }
}

#[test]
fn england_and_wales_2021_builds_with_iod_missing_in_wales() {
    if common::shared_data("england_and_wales_2021_builds_with_iod_missing_in_wales").is_none() {
        return;
    }
    let project = Project::load(&example("england-wales-2021.toml")).unwrap();
    let out = build(&project, &BuildOptions::default()).unwrap();
    println!("{}", out.report);
    let d = &out.dataset;
    assert_eq!(d.len(), 35672);
    d.validate().unwrap();
    assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
    for id in COLUMNS_2021 {
        let present = d
            .column(id)
            .unwrap_or_else(|| panic!("column {id}"))
            .values
            .present();
        let want = match id {
            // Census 2021 covers England and Wales.
            "population" | "aged_65_plus" | "aged_75_plus" | "residents_60_plus"
            | "activities_limited" | "hh_deprived_2plus" | "social_rented" => 35672,
            // IoD2025 covers England's 33,755; MHCLG blanks 832 IDAOPI numerators.
            "idaopi_numerator" | "idaopi_rate" => 33755 - 832,
            _ => 33755,
        };
        assert_eq!(present, want, "{id}");
    }
    // Every Welsh area is in the IoD coverage report as missing.
    let iod = out
        .report
        .coverage
        .iter()
        .find(|c| c.dataset == "iod2025_scores")
        .unwrap();
    assert_eq!(iod.missing, 1917);
    assert!(iod.missing_sample.iter().all(|c| c.starts_with("W01")));
    assert!(d.areas.iter().all(|a| a.borough.is_some()));
    assert!(d.areas.iter().all(|a| a.ward.is_some()));
    assert_eq!(d.layer("wards").unwrap().features.len(), 7536);
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

/// The embedded default boundaries are what scripts/make-default-boundaries.py
/// makes from ../shared/data, byte for byte, and gzip to under 1 MB.
#[test]
fn default_boundaries_regenerate_byte_identically_under_1_mb() {
    let test = "default_boundaries_regenerate_byte_identically_under_1_mb";
    let Some(data) = common::shared_data(test) else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = std::fs::read(root.join("data/london_lsoa21_boundaries.geojson.gz")).unwrap();
    assert!(shipped.len() < 1 << 20, "{} bytes", shipped.len());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.geojson.gz");
    let run = std::process::Command::new(common::python())
        .arg(root.join("scripts/make-default-boundaries.py"))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output();
    let Ok(run) = run else {
        common::skip_for_tool(test, "no python3");
        return;
    };
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        std::fs::read(&out).unwrap() == shipped,
        "data/london_lsoa21_boundaries.geojson.gz differs from the script's output"
    );
}
