//! One attribute schema: tiles, CSV/GeoJSON exports, the JSON API and
//! `/api/meta` carry the same field names at the same precision, the docs
//! list the fields as the schema does, and ward roll-ups sum head-counts
//! (the roll-up of a column follows from what it measures, not its name).

mod common;
mod fixtures;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use geo_types::{LineString, MultiPolygon, Polygon};
use serde_json::Value;

use dxmap::dataset::{
    AdminUnit, Area, Column, ColumnId, Dataset, Layer, LayerFeature, LsoaCode, Measure, Source,
    Values,
};
use dxmap::export::{self, Level};
use dxmap::schema::{Kind, Schema};
use dxmap::score::{
    Availability, ComponentId, ComponentScore, IndicatorId, IndicatorScore, Methodology, PersonaId,
    PersonaScore, ScoreOptions, ScoredDataset, Scores, Sensitivity,
};
use dxmap::server::Served;
use dxmap::tiles::attributes::layers_from_scored;
use dxmap::tiles::{PropValue, TileOptions};

const METHODOLOGY: &str = r#"
name = "Schema test"
scope = "all"
transform = "minmax"
missing = "skip"

[[component]]
id = "demography"
label = "Demography"
weight = 1

[[component.indicator]]
id = "aged_65_plus"
label = "Aged 65+"
weight = 1

[[component]]
id = "deprivation"
label = "Deprivation"
weight = 1

[[component.indicator]]
id = "no_qualifications"
label = "No qualifications"
weight = 1
"#;

fn square(x: f64) -> MultiPolygon<f64> {
    let (y, d) = (51.5, 0.01);
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]),
        vec![],
    )])
}

fn column(id: &str, values: Vec<Option<f64>>, measure: Measure) -> Column {
    Column {
        id: ColumnId(id.into()),
        label: id.replace('_', " "),
        values: Values::Numeric(values),
        source: Source {
            dataset: "fixture".into(),
            vintage: "Census 2021".into(),
            measure,
            ..Source::default()
        },
    }
}

/// Twelve areas in two boroughs and three wards (the last area has none),
/// with a head-count whose name does not end in `_count` and a rate whose
/// name does: roll-ups must follow what they measure.
fn dataset() -> Dataset {
    let n = 12;
    let areas = (0..n)
        .map(|i| {
            let ward = (i < n - 1).then(|| format!("E0500000{}", i % 3));
            Area {
                code: LsoaCode::new(format!("E0100{i:04}")),
                name: format!("Area {i}"),
                borough: Some(AdminUnit::new(
                    if i < 6 { "E09000001" } else { "E09000002" },
                    if i < 6 { "Alpha" } else { "Beta" },
                )),
                ward: ward.map(|w| AdminUnit::new(w.clone(), format!("Ward {}", &w[8..]))),
                geometry: square(-0.2 + i as f64 * 0.01),
            }
        })
        .collect();
    let f = |g: &dyn Fn(f64) -> f64| -> Vec<Option<f64>> {
        (0..n).map(|i| Some(g(i as f64))).collect()
    };
    let rate = || Measure::Rate {
        denominator: "population".into(),
    };
    let mut noq = f(&|i| 0.31 - 0.017 * ((i * 7.0) % 12.0));
    noq[4] = None;
    Dataset {
        title: "Schema fixture".into(),
        geography: "LSOA 2021".into(),
        areas,
        columns: vec![
            column("population", f(&|i| 1400.0 + 37.0 * i), Measure::Count),
            column("aged_65_plus", f(&|i| 0.06 + 0.0123 * i), rate()),
            column("no_qualifications", noq, rate()),
            column("people_75_plus", f(&|i| 80.0 + 13.0 * i), Measure::Count),
            column("decoy_count", f(&|i| 0.2 + 0.01 * i), rate()),
        ],
        layers: vec![Layer {
            name: "wards".into(),
            vintage: "wards, May 2024".into(),
            features: (0..3)
                .map(|w| LayerFeature {
                    code: format!("E0500000{w}"),
                    name: format!("Ward {w}"),
                    geometry: square(-0.2 + w as f64 * 0.01),
                })
                .collect(),
        }],
        attribution: vec!["Test data".into()],
    }
}

fn scored() -> ScoredDataset {
    let mut m = Methodology::parse(METHODOLOGY, "test.toml").unwrap();
    m.personas = dxmap::score::parse_personas(fixtures::PERSONAS, "personas.toml").unwrap();
    let opts = ScoreOptions {
        sensitivity_draws: Some(20),
        ..ScoreOptions::default()
    };
    ScoredDataset::new(Arc::new(dataset()), Arc::new(m), &opts).unwrap()
}

/// A value as text, the way the CSV writes it.
fn text_of_json(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text_of_prop(v: &PropValue) -> String {
    match v {
        PropValue::Str(s) => s.clone(),
        PropValue::Num(x) => format!("{x}"),
        PropValue::Int(i) => i.to_string(),
        PropValue::Bool(b) => b.to_string(),
    }
}

#[test]
fn tiles_csv_and_api_carry_the_same_fields_at_the_same_precision() {
    let scored = scored();
    let schema = Schema::of(&scored);
    let names = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_string).collect::<Vec<_>>();

    // CSV header: every field, in schema order.
    let table = export::table(&scored, Level::Lsoa).unwrap();
    let mut csv = Vec::new();
    export::csv::write_csv(&table, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        names(&mut schema.fields.iter().map(|f| f.name.as_str()))
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();

    // Tiles: the tile fields, no other property.
    let layers = layers_from_scored(&scored);
    let lsoa = &layers[0];
    let tile_fields: BTreeSet<String> = schema.tile_fields().map(|f| f.name.clone()).collect();
    let in_tiles: BTreeSet<String> = lsoa
        .features
        .iter()
        .flat_map(|f| f.properties.iter().map(|(k, _)| k.clone()))
        .collect();
    assert_eq!(
        in_tiles, tile_fields,
        "tile properties are the schema's tile fields"
    );

    // API: the area detail carries every API field under the same name; its
    // other members are the labelled groups, not differently spelt fields.
    let served = Served::build(scored.clone(), TileOptions::default(), 1 << 20).unwrap();
    let api_fields: BTreeSet<String> = schema
        .api_fields(dxmap::schema::ApiLevel::Detail)
        .map(|f| f.name.clone())
        .collect();
    let groups = [
        "components",
        "indicators",
        "drivers",
        "personas",
        // Types of need with the groups behind each.
        "needs",
        "sensitivity",
        "sources",
        // The reason in words behind `index_status`, detail only.
        "insufficiency",
        // The group the area is ranked within, and its size.
        "scope_group",
    ];
    let detail = served.area_detail(0);
    let keys: BTreeSet<String> = detail.as_object().unwrap().keys().cloned().collect();
    let flat: BTreeSet<String> = keys
        .iter()
        .filter(|k| !groups.contains(&k.as_str()))
        .cloned()
        .collect();
    assert_eq!(flat, api_fields);
    assert!(
        tile_fields.is_subset(&api_fields),
        "every tile field is in the API"
    );
    let scores: Value = serde_json::from_slice(&served.scores_json.raw().unwrap()).unwrap();
    let score_keys: BTreeSet<String> = scores.as_object().unwrap().keys().cloned().collect();
    let mut want: BTreeSet<String> = schema
        .api_fields(dxmap::schema::ApiLevel::Scores)
        .map(|f| f.name.clone())
        .collect();
    want.insert("weights".into());
    assert_eq!(score_keys, want, "/api/scores is keyed by field name");
    let summary = served.area_summary(0);
    for k in [
        "code",
        "name",
        "borough_code",
        "borough_name",
        "ward_code",
        "ward_name",
        "index",
        "rank",
        "decile",
    ] {
        assert!(summary.get(k).is_some(), "area lists carry {k}");
    }

    // /api/meta publishes the schema.
    let meta: Value = serde_json::from_slice(&served.meta_json).unwrap();
    let published: Vec<(String, u64, String)> = meta["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["decimals"].as_u64().unwrap(),
                f["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String)> = schema
        .fields
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                u64::from(f.decimals),
                f.kind.as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(published, expected);
    assert_eq!(meta["ward_vintage"], "wards, May 2024");

    // Same value, same precision, in every output that carries the field.
    let mut checked = 0;
    for (i, feature) in lsoa.features.iter().enumerate() {
        let detail = served.area_detail(i);
        let props: BTreeMap<&str, &PropValue> = feature
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        for (k, f) in schema.fields.iter().enumerate() {
            let in_csv = rows[i][k];
            // Numbers compare as numbers (JSON writes 1500.0 where CSV writes 1500).
            let same = |other: &str| match (other.parse::<f64>(), in_csv.parse::<f64>()) {
                (Ok(a), Ok(b)) if f.kind.is_numeric() => a == b,
                _ => other == in_csv,
            };
            if f.api.is_some() {
                let api = text_of_json(&detail[&f.name]);
                assert!(
                    same(&api),
                    "area {i} field {}: API {api} vs CSV {in_csv}",
                    f.name
                );
            }
            if f.tile_minzoom.is_some() {
                let tile = props
                    .get(f.name.as_str())
                    .map_or(String::new(), |v| text_of_prop(v));
                assert!(
                    same(&tile),
                    "area {i} field {}: tile {tile} vs CSV {in_csv}",
                    f.name
                );
            }
            if f.kind.is_numeric() && !in_csv.is_empty() {
                let places = in_csv.split('.').nth(1).map_or(0, str::len);
                assert!(places <= usize::from(f.decimals), "{}: {in_csv}", f.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} numbers checked");
    // Scores round to the score precision everywhere (no 3 vs 4 vs 6 places).
    assert_eq!(
        schema.field("index").unwrap().decimals,
        Kind::Score.decimals()
    );
    assert_eq!(schema.field("k_older_count").unwrap().decimals, 0);
}

#[test]
fn ward_rollup_sums_counts_by_what_they_measure_not_their_name() {
    let scored = scored();
    let ds = &scored.dataset;
    let t = export::table(&scored, Level::Ward).unwrap();
    let col = |name: &str| {
        t.column(name)
            .unwrap_or_else(|| panic!("{name}"))
            .cells
            .clone()
    };
    let num = |name: &str, row: usize| match col(name) {
        export::Cells::Num { values, .. } => values[row],
        export::Cells::Int(v) => v[row].map(|x| x as f64),
        other => panic!("{name}: {other:?}"),
    };
    let codes = match col("code") {
        export::Cells::Text(v) => v,
        _ => unreachable!(),
    };
    assert_eq!(codes.len(), 3);
    let pop = ds.numeric("population").unwrap();
    let people = ds.numeric("people_75_plus").unwrap();
    let decoy = ds.numeric("decoy_count").unwrap();
    let older = &scored.scores.personas[0].count;
    for (row, code) in codes.iter().enumerate() {
        let members: Vec<usize> = (0..ds.len())
            .filter(|&i| ds.areas[i].ward_code() == code.as_deref())
            .collect();
        assert_eq!(num("lsoa_count", row), Some(members.len() as f64));
        let sum = |v: &[Option<f64>]| members.iter().map(|&i| v[i].unwrap()).sum::<f64>();
        assert_eq!(num("population", row), Some(sum(pop)), "{code:?}");
        assert_eq!(
            num("people_75_plus", row),
            Some(sum(people)),
            "a count summed although its name lacks _count"
        );
        assert_eq!(
            num("k_older_count", row),
            Some(sum(older).round()),
            "key-group head-counts summed"
        );
        let mean = members
            .iter()
            .map(|&i| pop[i].unwrap() * decoy[i].unwrap())
            .sum::<f64>()
            / sum(pop);
        let got = num("decoy_count", row).unwrap();
        assert!(
            (got - mean).abs() < 1e-9,
            "a rate named *_count is weighted, not summed: {got} vs {mean}"
        );
    }
    let methods = &t.metadata["rollup"]["columns"];
    assert_eq!(methods["people_75_plus"], "sum");
    assert_eq!(methods["decoy_count"], "population_weighted_mean");
    assert_eq!(methods["index"], "population_weighted_mean");
    assert_eq!(methods["rank"], "recompute");
    assert_eq!(t.metadata["ward_vintage"], "wards, May 2024");
    let sources = t.metadata["sources"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s["column"] == "people_75_plus" && s["measure"] == "count")
    );
}

/// Scores a real dataset with the built-in London methodology (no draws).
/// `dataset` scored with a shipped methodology and its key groups (files in
/// `methodology/`).
fn london_scored(dataset: Dataset, methodology: &str, personas: &str) -> ScoredDataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let mut m = Methodology::parse(&read(methodology), methodology).unwrap();
    m.personas = dxmap::score::parse_personas(&read(personas), personas).unwrap();
    let opts = ScoreOptions {
        sensitivity_draws: Some(0),
        ..ScoreOptions::default()
    };
    ScoredDataset::new(Arc::new(dataset), Arc::new(m), &opts).unwrap()
}

/// Every ward's population and key-group head-counts are the sums over its
/// areas (to the whole person the export writes), and the vintage is stated.
fn assert_wards_hold_their_areas(scored: &ScoredDataset, what: &str) {
    let ds = &scored.dataset;
    assert!(
        ds.areas.iter().any(|a| a.ward.is_some()),
        "{what}: wards joined"
    );
    let t = export::table(scored, Level::Ward).unwrap();
    assert!(
        !t.metadata["ward_vintage"].is_null(),
        "{what}: the ward vintage is stated"
    );
    let codes = match &t.column("code").unwrap().cells {
        export::Cells::Text(v) => v.clone(),
        _ => unreachable!(),
    };
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, a) in ds.areas.iter().enumerate() {
        if let Some(w) = a.ward_code() {
            members.entry(w).or_default().push(i);
        }
    }
    let pop = ds.numeric("population").expect("a population column");
    let mut counts: Vec<(String, &[Option<f64>])> = scored
        .scores
        .personas
        .iter()
        .map(|k| (format!("k_{}_count", k.id.0), &k.count[..]))
        .collect();
    counts.push(("population".into(), pop));
    assert!(counts.len() > 1, "the London methodology has key groups");
    for (name, values) in counts {
        let cells = &t.column(&name).unwrap().cells;
        for (row, code) in codes.iter().enumerate() {
            let g = &members[code.as_deref().unwrap()];
            let present: Vec<f64> = g.iter().filter_map(|&i| values[i]).collect();
            if present.is_empty() {
                continue;
            }
            let sum: f64 = present.iter().sum();
            let got = match cells {
                export::Cells::Num { values, .. } => values[row].unwrap(),
                export::Cells::Int(v) => v[row].unwrap() as f64,
                other => panic!("{name}: {other:?}"),
            };
            assert!(
                (got - sum).abs() <= 0.5 + 1e-6 * sum,
                "{what}: ward {code:?}: {name} is {got}, its {} areas hold {sum}",
                g.len()
            );
        }
    }
}

/// The embedded London default (real open data): every ward holds the
/// people of its areas.
#[test]
fn real_london_default_wards_hold_the_people_of_their_areas() {
    let built = dxmap::ingest::embedded_default(&Default::default()).expect("embedded default");
    assert_wards_hold_their_areas(
        &london_scored(
            built.dataset,
            "dxmap-2025-london.toml",
            "personas-2025.toml",
        ),
        "embedded default",
    );
}

/// The same on London built from the open-data files (examples/london.toml,
/// population a `count =` of Census 2021 residents, 2017 wards).
#[test]
fn real_london_build_wards_hold_the_people_of_their_areas() {
    if common::shared_data("real_london_build_wards_hold_the_people_of_their_areas").is_none() {
        return;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/london.toml");
    let project = dxmap::ingest::Project::load(&path).unwrap();
    let built = dxmap::ingest::build(&project, &Default::default()).unwrap();
    assert_eq!(
        dxmap::schema::ward_vintage(&built.dataset),
        "wards 2017 (ONS LSOA 2011 to ward 2017 best-fit lookup)"
    );
    assert_wards_hold_their_areas(
        &london_scored(built.dataset, "london.toml", "personas.toml"),
        "examples/london.toml",
    );
}

/// The field list in docs/EXPORTS.md is the schema's, placeholders for ids.
#[test]
fn docs_list_the_fields_as_the_schema_does() {
    let n = 1;
    let col = |id: &str, values: Values, measure: Measure| Column {
        id: ColumnId(id.into()),
        label: id.into(),
        values,
        source: Source {
            measure,
            ..Source::default()
        },
    };
    let num = || Values::Numeric(vec![Some(1.0)]);
    let dataset = Dataset {
        areas: vec![Area {
            code: LsoaCode::new("E01000001"),
            name: "A".into(),
            borough: None,
            ward: None,
            geometry: square(0.0),
        }],
        columns: vec![
            col("population", num(), Measure::Count),
            col("<count column>", num(), Measure::Count),
            col(
                "<rate column>",
                num(),
                Measure::Rate {
                    denominator: "d".into(),
                },
            ),
            col("<value column>", num(), Measure::Value),
            col(
                "<category column>",
                Values::Category(vec![None]),
                Measure::Category,
            ),
        ],
        ..Dataset::default()
    };
    let some = || vec![Some(1.0); n];
    let scores = Scores {
        indicators: vec![IndicatorScore {
            id: IndicatorId("<indicator>".into()),
            label: String::new(),
            component: ComponentId("<component>".into()),
            weight: 1.0,
            column: "<value column>".into(),
            score: some().into(),
        }],
        components: vec![ComponentScore {
            id: ComponentId("<component>".into()),
            label: String::new(),
            weight: 1.0,
            score: some().into(),
        }],
        index: some().into(),
        rank: vec![Some(1)],
        decile: vec![Some(10)],
        ranked_of: Vec::new(),
        coverage: some().into(),
        status: Vec::new(),
        drivers: vec![vec![]].into(),
        sensitivity: Some(Sensitivity {
            draws: 1,
            rank_p05: some(),
            rank_p95: some(),
            p_top_decile: some(),
        }),
        personas: vec![PersonaScore {
            id: PersonaId("<group>".into()),
            label: String::new(),
            availability: Availability::Available,
            count: some(),
            share: some(),
        }],
    };
    // The key group lists one type of need, so the need fields are listed.
    let personas = dxmap::score::parse_personas(
        "[[need]]\nid = \"<need>\"\nlabel = \"x\"\n[[persona]]\nid = \"<group>\"\nlabel = \"\"\n\
         share = [\"x\"]\n[[persona.need]]\nid = \"<need>\"\nreason = \"r\"\nsource = \"s\"\n",
        "personas.toml",
    )
    .unwrap();
    let methodology = Methodology {
        personas,
        ..Methodology::default()
    };
    let scored = ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: Arc::new(methodology),
        scores,
    };
    let table = Schema::of(&scored).markdown();
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/EXPORTS.md")).unwrap();
    assert!(
        docs.contains(&table),
        "docs/EXPORTS.md must hold the schema's field table; it is now:\n{table}"
    );
    let api = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/API.md")).unwrap();
    assert!(
        api.contains("EXPORTS.md#fields"),
        "docs/API.md points at the one field list"
    );
    for old in [
        "p_top_decile",
        "\"boroughs\": [names]",
        "`borough`,",
        "`ward`,",
        "borough_codes",
    ] {
        assert!(!api.contains(old), "docs/API.md still spells '{old}'");
    }
}

/// A ward lookup states its vintage, or an ONS column name gives the year.
#[test]
fn ward_vintage_is_stated_or_read_from_the_ons_column_name() {
    let spec = |unit_code: &str, vintage: Option<&str>| dxmap::ingest::project::AreaLookupSpec {
        file: "lookup.csv".into(),
        code: "LSOA21CD".into(),
        unit_code: unit_code.into(),
        unit_name: "WD24NM".into(),
        vintage: vintage.map(str::to_string),
    };
    assert_eq!(spec("WD24CD", None).vintage(), "wards 2024");
    assert_eq!(spec("wd17cd", None).vintage(), "wards 2017");
    assert_eq!(spec("ward_code", None).vintage(), "");
    assert_eq!(
        spec("WD24CD", Some(" wards, May 2024 ")).vintage(),
        "wards, May 2024"
    );
}

/// The embedded London default: each field says what it is and what a
/// higher value means, percentages and rates carry their unit, and a count
/// layer is never described as risk (the page's legends read these).
#[test]
fn real_london_default_fields_describe_themselves() {
    let built = dxmap::ingest::embedded_default(&Default::default()).expect("embedded default");
    let scored = london_scored(
        built.dataset,
        "dxmap-2025-london.toml",
        "personas-2025.toml",
    );
    let schema = Schema::of(&scored);
    let f = |name: &str| schema.field(name).unwrap_or_else(|| panic!("field {name}"));
    assert_eq!(f("index").higher, "higher risk");
    assert_eq!(f("index").description, scored.methodology.description);
    assert_eq!(f("no_gigabit_pct").unit, "percent");
    assert_eq!(f("idaopi_rate").kind, Kind::Share);
    let counts: Vec<_> = schema
        .fields
        .iter()
        .filter(|x| x.name.starts_with("k_") && x.kind == Kind::Count)
        .collect();
    assert!(!counts.is_empty(), "key-group counts");
    for c in counts {
        assert!(!c.higher.contains("risk"), "{}: {}", c.name, c.higher);
        assert!(
            !c.description.is_empty(),
            "{} has its group's definition",
            c.name
        );
    }
    let json = schema.to_json();
    assert!(json[0].get("description").is_some() && json[0].get("higher").is_some());
}

/// The embedded London default: `/api/meta` gives each ready-made value
/// column the unit its project line declares, not one guessed from the
/// label: IoD2025's income and employment rates and the adult-skills
/// indicator are proportions (their labels do not start "Share"), the
/// Ofcom coverage percentages, and the IMD score has none.
#[test]
fn real_london_default_meta_gives_declared_units() {
    let built = dxmap::ingest::embedded_default(&Default::default()).expect("embedded default");
    let scored = london_scored(
        built.dataset,
        "dxmap-2025-london.toml",
        "personas-2025.toml",
    );
    // Exports say the same in their metadata.
    let t = export::table(&scored, Level::Lsoa).unwrap();
    let sources = t.metadata["sources"].as_array().unwrap().clone();
    let source_unit = |id: &str| {
        sources
            .iter()
            .find(|s| s["column"] == id)
            .unwrap_or_else(|| panic!("export metadata has no source {id}"))["unit"]
            .clone()
    };
    assert_eq!(source_unit("income_score"), Kind::Share.unit());
    assert_eq!(source_unit("gigabit_pct"), "percent");
    assert_eq!(source_unit("imd_score"), "");
    let served = Served::build(scored, TileOptions::default(), 1 << 20).unwrap();
    let meta: Value = serde_json::from_slice(&served.meta_json).unwrap();
    let field = |name: &str| {
        meta["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("/api/meta has no field {name}"))
            .clone()
    };
    let share = Kind::Share.unit();
    for name in ["income_score", "employment_score", "english_proficiency"] {
        let f = field(name);
        assert_eq!(f["kind"], "share", "{name}: {f}");
        assert_eq!(f["unit"], share, "{name}: {f}");
    }
    assert_eq!(field("gigabit_pct")["unit"], "percent");
    assert_eq!(field("no_gigabit_pct")["unit"], "percent");
    assert_eq!(field("imd_score")["unit"], "");
    assert_eq!(field("imd_score")["kind"], "value");
}
