//! Types of need per area, worked by hand: three key groups on two areas,
//! two needs; a need's head-count is its largest group (never the sum of
//! overlapping groups), with the bound largest ≤ need ≤ min(sum,
//! population); through scoring, the API's area detail and the CSV export.

mod fixtures;

use std::sync::Arc;

use dxmap::dataset::{AdminUnit, Area, Dataset, LsoaCode, Measure};
use dxmap::export::{self, Level};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset, parse_personas};
use dxmap::server::Served;
use dxmap::tiles::TileOptions;

const METHODOLOGY: &str = r#"
name = "Hand-worked needs"
scope = "all"
transform = "minmax"
missing = "skip"

[[component]]
id = "people"
weight = 1

[[component.indicator]]
id = "aged_75_plus"
column = "aged_75_plus"
weight = 1
direction = "higher_is_risk"
"#;

/// Older (75+) residents and low-income residents both need basic skills;
/// low-income residents and social renters need affordability.
const PERSONAS: &str = r#"
[[need]]
id = "basic_skills"
label = "Basic digital skills"
description = "Foundation skills."

[[need]]
id = "affordability"
label = "Affordability"
description = "Paying for a connection."

[[need]]
id = "language"
label = "Language"
description = "No group lists it: not estimated."

[[persona]]
id = "older"
label = "Older residents"
share = ["aged_75_plus"]

[[persona.need]]
id = "basic_skills"
reason = "Skills fall with age."
source = "Lloyds Bank UK Consumer Digital Index"

[[persona]]
id = "low_income"
label = "Low income"
share = ["income"]

[[persona.need]]
id = "basic_skills"
reason = "Skills fall with income."
source = "Lloyds Bank UK Consumer Digital Index"

[[persona.need]]
id = "affordability"
reason = "Cost is a barrier."
source = "Ofcom, Affordability of communications services"

[[persona]]
id = "renters"
label = "Social renters"
share = ["social_rented"]

[[persona.need]]
id = "affordability"
reason = "Low income."
source = "Ofcom, Affordability of communications services"
"#;

/// | area | population | 75+ | income | social rented | older | low income | renters |
/// |------|-----------:|----:|-------:|--------------:|------:|-----------:|--------:|
/// | 0    | 1000       | 0.1 | 0.3    | 0.5           | 100   | 300        | 500     |
/// | 1    | 2000       | 0.2 | 0.1    | (none)        | 400   | 200        | –       |
///
/// Area 0: basic skills = max(100, 300) = 300, at most min(400, 1000) = 400;
/// affordability = max(300, 500) = 500, at most min(800, 1000) = 800.
/// Area 1: basic skills = 400, at most min(600, 2000) = 600; affordability
/// = 200 from low income alone, no upper bound (renters have no count).
fn scored() -> ScoredDataset {
    let areas = (0..2)
        .map(|i| Area {
            code: LsoaCode::new(format!("E0100000{i}")),
            name: format!("Area {i}"),
            borough: Some(AdminUnit::new("E09000001", "Alpha")),
            ward: None,
            geometry: {
                let x = -0.2 + i as f64 * 0.01;
                fixtures::rect(x, 51.5, x + 0.01, 51.51)
            },
        })
        .collect();
    let rate = || Measure::Rate {
        denominator: "population".into(),
    };
    let dataset = Dataset {
        title: "Needs fixture".into(),
        areas,
        columns: vec![
            fixtures::numeric_column(
                "population",
                vec![Some(1000.0), Some(2000.0)],
                Measure::Count,
            ),
            fixtures::numeric_column("aged_75_plus", vec![Some(0.1), Some(0.2)], rate()),
            fixtures::numeric_column("income", vec![Some(0.3), Some(0.1)], rate()),
            fixtures::numeric_column("social_rented", vec![Some(0.5), None], rate()),
        ],
        ..Dataset::default()
    };
    let mut m = Methodology::parse(METHODOLOGY, "needs.toml").unwrap();
    m.personas = parse_personas(PERSONAS, "personas.toml").unwrap();
    ScoredDataset::new(Arc::new(dataset), Arc::new(m), &ScoreOptions::default()).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn a_need_counts_its_largest_group_with_a_stated_bound() {
    let s = scored();
    let ids: Vec<String> = s.need_types().into_iter().map(|n| n.id).collect();
    assert_eq!(
        ids,
        ["basic_skills", "affordability"],
        "a need no group lists is not estimated"
    );
    let (skills, afford) = (0, 1);
    let c = s.need_count(skills, 0);
    assert!(close(c.estimate, 300.0) && close(c.upper, 400.0), "{c:?}");
    let c = s.need_count(afford, 0);
    assert!(close(c.estimate, 500.0) && close(c.upper, 800.0), "{c:?}");
    let c = s.need_count(skills, 1);
    assert!(close(c.estimate, 400.0) && close(c.upper, 600.0), "{c:?}");
    let c = s.need_count(afford, 1);
    assert!(close(c.estimate, 200.0) && c.upper.is_none(), "{c:?}");
    let g = s.need_groups(afford, 1);
    assert_eq!(g.len(), 2);
    assert!(close(g[0].count, 200.0) && g[1].count.is_none());
    assert_eq!(
        g[1].source,
        "Ofcom, Affordability of communications services"
    );
}

#[test]
fn the_api_lists_each_need_with_its_groups() {
    let served = Served::build(scored(), TileOptions::default(), 1 << 20).unwrap();
    let d = served.area_detail(0);
    let needs = d["needs"].as_array().unwrap();
    assert_eq!(needs.len(), 2);
    assert_eq!(needs[1]["id"], "affordability");
    assert_eq!(needs[1]["count"], 500);
    assert_eq!(needs[1]["upper"], 800.0);
    let groups = needs[1]["groups"].as_array().unwrap();
    assert_eq!(groups[0]["id"], "low_income");
    assert_eq!(groups[0]["count"], 300);
    assert_eq!(groups[1]["id"], "renters");
    assert_eq!(groups[1]["reason"], "Low income.");
    assert_eq!(d["n_basic_skills_count"], 300);
}

#[test]
fn the_csv_export_has_each_need_and_its_bound() {
    let scored = scored();
    let table = export::table(&scored, Level::Lsoa).unwrap();
    let mut csv = Vec::new();
    export::csv::write_csv(&table, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(rows[0][at("n_affordability_count")], "500");
    assert_eq!(rows[0][at("n_affordability_upper")], "800");
    assert_eq!(rows[1][at("n_affordability_count")], "200");
    assert_eq!(rows[1][at("n_affordability_upper")], "");
    assert_eq!(rows[1][at("n_basic_skills_upper")], "600");
}
