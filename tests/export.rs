//! Exports checked with the tools people open them in: ogrinfo (GDAL),
//! sqlite3, a PMTiles reader dxmap did not write (Python `pmtiles`), and
//! Martin when installed. Each tool test prints a skip line when its tool is
//! absent.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use geo_types::{LineString, MultiPolygon, Polygon};
use serde_json::Value;

use dxmap::dataset::{
    AdminUnit, Area, Column, ColumnId, Dataset, Layer, LayerFeature, LsoaCode, Measure, Source,
    Values,
};
use dxmap::export::tiling::{Pyramid, TileExportOptions};
use dxmap::export::{self, Level};
use dxmap::progress::Progress;
use dxmap::score::{
    Availability, ComponentId, ComponentScore, IndicatorId, IndicatorScore, Methodology, PersonaId,
    PersonaScore, ScoredDataset, Scores, Sensitivity,
};

// ---------------------------------------------------------------- fixtures

fn square(x: f64, y: f64, d: f64, clockwise: bool) -> MultiPolygon<f64> {
    let mut pts = vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)];
    if clockwise {
        pts.reverse();
    }
    MultiPolygon(vec![Polygon::new(LineString::from(pts), vec![])])
}

fn col(id: &str, values: Values, demonstration: bool) -> Column {
    Column {
        id: ColumnId(id.into()),
        label: id.replace('_', " "),
        values,
        source: Source {
            dataset: format!("{id}_src"),
            file: format!("{id}.csv"),
            vintage: if id == "population" {
                "Census 2021".into()
            } else {
                "Census 2011".into()
            },
            method: "test".into(),
            demonstration,
            // What ingest records from `count =`, `rate =` and `category =`.
            measure: match id {
                "population" => Measure::Count,
                "iuc_group" => Measure::Category,
                _ => Measure::Rate {
                    denominator: "population".into(),
                },
            },
            unit: None,
        },
    }
}

/// Hand-made scores: index = mean of two indicator scores, rank by index.
fn hand_scores(a: &[Option<f64>], b: &[Option<f64>], pop: &[Option<f64>]) -> Scores {
    let n = a.len();
    let scale = |v: &[Option<f64>]| -> Vec<Option<f64>> {
        let lo = v.iter().flatten().cloned().fold(f64::MAX, f64::min);
        let hi = v.iter().flatten().cloned().fold(f64::MIN, f64::max);
        v.iter()
            .map(|x| x.map(|x| 10.0 * (x - lo) / (hi - lo).max(1e-12)))
            .collect()
    };
    let (sa, sb) = (scale(a), scale(b));
    let index: Vec<Option<f64>> = (0..n)
        .map(|i| match (sa[i], sb[i]) {
            (Some(x), Some(y)) => Some((x + y) / 2.0),
            _ => None,
        })
        .collect();
    let mut order: Vec<usize> = (0..n).filter(|&i| index[i].is_some()).collect();
    order.sort_by(|&x, &y| {
        index[y]
            .unwrap()
            .total_cmp(&index[x].unwrap())
            .then(x.cmp(&y))
    });
    let mut rank = vec![None; n];
    let mut decile = vec![None; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = Some(r as u32 + 1);
        decile[i] = Some(10 - (r * 10 / order.len()) as u8);
    }
    let count: Vec<Option<f64>> = (0..n)
        .map(|i| match (a[i], pop[i]) {
            (Some(s), Some(p)) => Some(s * p),
            _ => None,
        })
        .collect();
    Scores {
        indicators: vec![
            IndicatorScore {
                id: IndicatorId("aged_65_plus".into()),
                label: "Aged 65+".into(),
                component: ComponentId("demography".into()),
                weight: 0.5,
                column: "aged_65_plus".into(),
                score: sa.clone().into(),
            },
            IndicatorScore {
                id: IndicatorId("no_qualifications".into()),
                label: "No qualifications".into(),
                component: ComponentId("demography".into()),
                weight: 0.5,
                column: "no_qualifications".into(),
                score: sb.into(),
            },
        ],
        components: vec![ComponentScore {
            id: ComponentId("demography".into()),
            label: "Demography".into(),
            weight: 1.0,
            score: index.clone().into(),
        }],
        index: index.clone().into(),
        rank: rank.clone(),
        decile,
        ranked_of: Vec::new(),
        coverage: Default::default(),
        status: Vec::new(),
        drivers: vec![Vec::new(); n].into(),
        sensitivity: Some(Sensitivity {
            draws: 10,
            rank_p05: rank.iter().map(|r| r.map(|r| f64::from(r) - 0.5)).collect(),
            rank_p95: rank.iter().map(|r| r.map(|r| f64::from(r) + 0.5)).collect(),
            p_top_decile: index.iter().map(|x| x.map(|x| x / 10.0)).collect(),
        }),
        personas: vec![PersonaScore {
            id: PersonaId("older".into()),
            label: "Older people".into(),
            availability: Availability::Available,
            count,
            share: a.to_vec(),
        }],
    }
}

fn methodology() -> Methodology {
    Methodology {
        name: "Test methodology".into(),
        ..Methodology::default()
    }
}

/// 12 squares in 2 boroughs and 3 wards (one area has no ward).
fn grid() -> ScoredDataset {
    let mut areas = Vec::new();
    for i in 0..12usize {
        let (bx, by) = ((i % 4) as f64, (i / 4) as f64);
        let borough = if i % 4 < 2 {
            ("E09000001", "Alpha")
        } else {
            ("E09000002", "Beta")
        };
        let ward = match i {
            0 | 1 | 4 => Some(("W01", "Ward One")),
            2 | 3 | 6 | 7 => Some(("W02", "Ward Two")),
            5 | 8 | 9 | 10 => Some(("W03", "Ward Three")),
            _ => None,
        };
        areas.push(Area {
            code: LsoaCode::new(format!("E0100{i:04}")),
            name: format!("{} {:03}A", borough.1, i),
            borough: Some(AdminUnit::new(borough.0, borough.1)),
            ward: ward.map(|(c, n)| AdminUnit::new(c, n)),
            geometry: square(-0.2 + bx * 0.01, 51.5 + by * 0.01, 0.01, i % 3 == 0),
        });
    }
    let pop: Vec<Option<f64>> = (0..12).map(|i| Some(1000.0 + 100.0 * i as f64)).collect();
    let a: Vec<Option<f64>> = (0..12).map(|i| Some(0.05 + 0.01 * i as f64)).collect();
    let mut b: Vec<Option<f64>> = (0..12)
        .map(|i| Some(0.3 - 0.017 * ((i * 7) % 12) as f64))
        .collect();
    b[11] = None;
    let iuc: Vec<Option<String>> = (0..12).map(|i| Some(format!("Group {}", i % 3))).collect();
    let scores = hand_scores(&a, &b, &pop);
    let layer = |name: &str, feats: &[(&str, &str, f64)]| Layer {
        name: name.into(),
        vintage: if name == "wards" {
            "wards 2017".into()
        } else {
            String::new()
        },
        features: feats
            .iter()
            .map(|(code, nm, x)| LayerFeature {
                code: code.to_string(),
                name: nm.to_string(),
                geometry: square(*x, 51.5, 0.02, false),
            })
            .collect(),
    };
    let dataset = Dataset {
        title: "Test grid".into(),
        geography: "LSOA 2011".into(),
        areas,
        columns: vec![
            col("population", Values::Numeric(pop), false),
            col("aged_65_plus", Values::Numeric(a), false),
            col("no_qualifications", Values::Numeric(b), false),
            col("iuc_group", Values::Category(iuc), true),
        ],
        layers: vec![
            layer("boroughs", &[("E09000001", "Alpha", -0.2), ("E09000002", "Beta", -0.18)]),
            layer("wards", &[("W01", "Ward One", -0.2), ("W02", "Ward Two", -0.18)]),
        ],
        attribution: vec!["Source: Office for National Statistics licensed under the Open Government Licence v3.0.".into()],
    };
    dataset.validate().expect("valid fixture");
    ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: Arc::new(methodology()),
        scores,
    }
}

/// The 4,835 London LSOAs (real boundaries from ../shared/data) with
/// synthetic values and hand-made scores.
fn london(test: &str) -> Option<ScoredDataset> {
    let data = common::shared_data(test)?;
    let path = data.join("boundaries/london_lsoa11.geojson");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fc: geojson::FeatureCollection = text.parse().expect("geojson");
    let mut areas: Vec<Area> = fc
        .features
        .iter()
        .map(|f| {
            let p = |k: &str| {
                f.property(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let g: geo_types::Geometry<f64> = f
                .geometry
                .clone()
                .expect("geometry")
                .try_into()
                .expect("geo");
            let geometry = match g {
                geo_types::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo_types::Geometry::MultiPolygon(m) => m,
                other => panic!("unexpected {other:?}"),
            };
            Area {
                code: LsoaCode::new(p("LSOA11CD")),
                name: p("LSOA11NM"),
                borough: Some(AdminUnit::new(p("LAD11CD"), p("LAD11NM"))),
                ward: None,
                geometry,
            }
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    let n = areas.len();
    let pop: Vec<Option<f64>> = (0..n)
        .map(|i| Some(1200.0 + ((i * 37) % 900) as f64))
        .collect();
    let a: Vec<Option<f64>> = (0..n)
        .map(|i| Some(((i * 7919) % 1000) as f64 / 2000.0))
        .collect();
    let b: Vec<Option<f64>> = (0..n)
        .map(|i| Some(((i * 104_729) % 997) as f64 / 1994.0))
        .collect();
    let scores = hand_scores(&a, &b, &pop);
    let dataset = Dataset {
        title: "London LSOA 2011 (test)".into(),
        geography: "LSOA 2011".into(),
        areas,
        columns: vec![
            col("population", Values::Numeric(pop), true),
            col("aged_65_plus", Values::Numeric(a), true),
            col("no_qualifications", Values::Numeric(b), true),
        ],
        layers: Vec::new(),
        attribution: vec!["Contains OS data © Crown copyright and database right 2011.".into()],
    };
    Some(ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: Arc::new(methodology()),
        scores,
    })
}

/// A required tool (CI installs it): skip here, fail in CI when absent.
fn tool(name: &str, test: &str) -> bool {
    let found = common::has_command(name);
    if !found {
        common::skip_for_tool(test, &format!("{name} is not installed"));
    }
    found
}

fn venv_python(test: &str) -> Option<PathBuf> {
    if !common::python_has("pmtiles") {
        common::skip_for_tool(
            test,
            &format!("{} cannot import pmtiles", common::python().display()),
        );
        return None;
    }
    Some(common::python())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn no_temp_files(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".dxmap-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

fn signed_area(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

// ---------------------------------------------------------------- GeoJSON and CSV

#[test]
fn geojson_follows_rfc7946_and_repeats_byte_for_byte() {
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (dir.path().join("a.geojson"), dir.path().join("b.geojson"));
    let table = export::table(&scored, Level::Lsoa).unwrap();
    export::geojson::export_geojson(&table, &p1).unwrap();
    let table = export::table(&scored, Level::Lsoa).unwrap();
    export::geojson::export_geojson(&table, &p2).unwrap();
    let bytes = std::fs::read(&p1).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&p2).unwrap(),
        "same inputs, same bytes"
    );
    no_temp_files(dir.path());

    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none());
    let meta = &v["metadata"];
    assert_eq!(meta["methodology"]["name"], "Test methodology");
    assert_eq!(
        meta["methodology"]["components"][0]["indicators"][1]["id"],
        "no_qualifications"
    );
    assert_eq!(meta["demonstration"], true);
    assert_eq!(
        meta["vintages"],
        serde_json::json!(["Census 2011", "Census 2021"])
    );
    assert!(meta["generator"].as_str().unwrap().starts_with("dxmap "));
    assert!(
        meta["attribution"][0]
            .as_str()
            .unwrap()
            .contains("Open Government Licence")
    );
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), 12);
    for f in feats {
        let g = &f["geometry"];
        assert_eq!(g["type"], "MultiPolygon");
        let ring = g["coordinates"][0][0].as_array().unwrap();
        assert!(
            signed_area(ring) > 0.0,
            "exterior counter-clockwise: {}",
            f["properties"]["code"]
        );
        assert_eq!(ring.first(), ring.last());
    }
    // At most 6 decimals in every coordinate, as written.
    let text = String::from_utf8(bytes).unwrap();
    for geom in text.split("\"coordinates\":").skip(1) {
        let coords = &geom[..geom.find('}').unwrap()];
        for num in coords.split(['[', ']', ',']).filter(|s| !s.is_empty()) {
            let decimals = num.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 6, "{num} has {decimals} decimals");
        }
    }
    let p = &feats[11]["properties"];
    assert_eq!(p["code"], "E01000011");
    assert_eq!(p["ward_code"], Value::Null, "no ward joined for this area");
    assert_eq!(p["no_qualifications"], Value::Null);
    assert_eq!(p["index"], Value::Null);
    assert_eq!(p["demo"], true);
    let p0 = &feats[0]["properties"];
    for key in [
        "name",
        "borough_code",
        "borough_name",
        "ward_name",
        "rank",
        "decile",
        "c_demography",
        "i_aged_65_plus",
        "p_top",
        "rank_p05",
        "rank_p95",
        "k_older_count",
        "k_older_share",
        "population",
        "aged_65_plus",
        "iuc_group",
    ] {
        assert!(p0.get(key).is_some(), "property {key} present");
    }
    assert_eq!(p0["population"], 1000);
    assert_eq!(p0["aged_65_plus"].as_f64(), Some(0.05));
}

#[test]
fn csv_has_the_geojson_columns_in_stable_order() {
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    let table = export::table(&scored, Level::Lsoa).unwrap();
    export::csv::export_csv(&table, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(
        lines[0],
        "code,name,borough_code,borough_name,ward_code,ward_name,index,rank,decile,index_status,\
         missing_inputs,coverage,drivers,c_demography,i_aged_65_plus,i_no_qualifications,p_top,rank_p05,rank_p95,k_older_count,k_older_share,demo,\
         population,aged_65_plus,no_qualifications,iuc_group"
    );
    assert!(
        lines[12].starts_with("E01000011,Beta 011A,E09000002,Beta,,,,,"),
        "{}",
        lines[12]
    );
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[0], "E01000000");
    assert_eq!(first[22], "1000");
    assert_eq!((first[9], first[10]), ("ok", ""));
    assert!(
        lines[12].contains(",insufficient_data,no_qualifications,"),
        "{}",
        lines[12]
    );
    // The same numbers as the GeoJSON properties.
    let mut gj = Vec::new();
    export::geojson::write_geojson(&table, &mut gj).unwrap();
    let v: Value = serde_json::from_slice(&gj).unwrap();
    let idx = v["features"][0]["properties"]["index"].to_string();
    assert_eq!(first[6], idx);
}

#[test]
fn ward_rollup_weights_by_population_and_sums_counts() {
    let scored = grid();
    let t = export::table(&scored, Level::Ward).unwrap();
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        &names[..8],
        &[
            "code",
            "name",
            "borough_code",
            "borough_name",
            "lsoa_count",
            "index",
            "rank",
            "decile"
        ]
    );
    assert!(!names.contains(&"rank_p05") && !names.contains(&"iuc_group"));
    assert_eq!(t.len(), 3);
    let num = |name: &str, row: usize| match &t.column(name).unwrap().cells {
        export::Cells::Num { values, .. } => values[row],
        export::Cells::Int(v) => v[row].map(|x| x as f64),
        other => panic!("{name}: {other:?}"),
    };
    let ds = &scored.dataset;
    let pop = ds.numeric("population").unwrap();
    // Ward W01 = areas 0, 1, 4.
    let members = [0usize, 1, 4];
    let w: f64 = members.iter().map(|&i| pop[i].unwrap()).sum();
    let expect: f64 = members
        .iter()
        .map(|&i| pop[i].unwrap() * scored.scores.index.get(i).unwrap())
        .sum::<f64>()
        / w;
    assert!((num("index", 0).unwrap() - expect).abs() < 1e-12);
    assert_eq!(num("population", 0), Some(w));
    let count: f64 = members
        .iter()
        .map(|&i| scored.scores.personas[0].count[i].unwrap())
        .sum();
    assert!((num("k_older_count", 0).unwrap() - count).abs() < 1e-9);
    // W03 includes area 10 and 8, 9, 5; W02's borough is Beta (all four areas).
    let bc = match &t.column("borough_code").unwrap().cells {
        export::Cells::Text(v) => v.clone(),
        _ => unreachable!(),
    };
    assert_eq!(bc[1].as_deref(), Some("E09000002"));
    // Ranks recomputed among wards: rank 1 has the highest index.
    let best = (0..3)
        .max_by(|&a, &b| {
            num("index", a)
                .unwrap()
                .total_cmp(&num("index", b).unwrap())
        })
        .unwrap();
    assert_eq!(num("rank", best), Some(1.0));
    assert_eq!(num("decile", best), Some(10.0));
    // Metadata says how, and that two areas have no ward; W03 has no outline.
    assert_eq!(t.metadata["rollup"]["areas_without_unit"], 1);
    assert_eq!(t.metadata["rollup"]["units_without_geometry"], 1);
    assert!(
        t.metadata["rollup"]["method"]
            .as_str()
            .unwrap()
            .contains("population-weighted")
    );
    assert!(t.geometry[0].is_some() && t.geometry[2].is_none());

    let b = export::table(&scored, Level::Borough).unwrap();
    assert_eq!(b.len(), 2);
    assert!(b.column("ward_code").is_none());
    let total: f64 = pop.iter().flatten().sum();
    let sum = match &b.column("population").unwrap().cells {
        export::Cells::Num { values, .. } => values.iter().flatten().sum::<f64>(),
        _ => unreachable!(),
    };
    assert_eq!(sum, total);
}

#[test]
fn ward_rollup_without_wards_is_an_error_that_says_so() {
    let mut scored = grid();
    let mut ds = (*scored.dataset).clone();
    for a in &mut ds.areas {
        a.ward = None;
    }
    scored.dataset = Arc::new(ds);
    let err = export::table(&scored, Level::Ward).unwrap_err().to_string();
    assert!(
        err.starts_with("ward roll-up: no area has a ward code"),
        "{err}"
    );
}

#[test]
fn failed_exports_leave_the_destination_and_no_temporary_file() {
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    // The destination is a directory: everything is written, the rename fails.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), b"keep").unwrap();
    let table = export::table(&scored, Level::Lsoa).unwrap();
    let err = export::geojson::export_geojson(&table, &target).unwrap_err();
    assert!(
        err.to_string().starts_with(&target.display().to_string()),
        "{err}"
    );
    assert!(export::csv::export_csv(&table, &target).is_err());
    let opts = TileExportOptions {
        max_zoom: 6,
        ..Default::default()
    };
    assert!(export::mbtiles::export_mbtiles(&scored, opts.clone(), &target).is_err());
    assert!(export::pmtiles::export_pmtiles(&scored, opts, &target).is_err());
    assert_eq!(std::fs::read(target.join("keep.txt")).unwrap(), b"keep");
    no_temp_files(dir.path());
}

/// Writes down what a tile export tells it: the total, the tiles cut, and
/// how often it heard the run was over.
#[derive(Default)]
struct TileCount {
    total: std::sync::atomic::AtomicU64,
    cut: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicU64,
}

impl Progress for TileCount {
    fn start(&self, steps: u64) {
        self.total.store(steps, std::sync::atomic::Ordering::SeqCst);
    }
    fn step(&self, _: &str) {}
    fn advance(&self, n: u64) {
        self.cut.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn finish(&self) {
        self.finished
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_tile_export_tells_its_progress_each_tile_and_when_it_is_over() {
    use std::sync::atomic::Ordering::SeqCst;
    let scored = grid();
    let max_zoom = 8;
    let candidates: u64 = Pyramid::new(
        &scored,
        TileExportOptions {
            max_zoom,
            ..Default::default()
        },
    )
    .unwrap()
    .zooms
    .iter()
    .map(|z| z.len() as u64)
    .sum();
    assert!(candidates > 0);
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    // (file, PMTiles rather than MBTiles, written): "taken" is a directory,
    // which the export refuses before cutting a tile.
    let runs = [
        ("t.mbtiles", false, true),
        ("t.pmtiles", true, true),
        ("taken", false, false),
        ("taken", true, false),
    ];
    for (name, pm, ok) in runs {
        let count = Arc::new(TileCount::default());
        let opts = TileExportOptions {
            max_zoom,
            progress: Some(count.clone()),
            ..Default::default()
        };
        let path = dir.path().join(name);
        let written = if pm {
            export::pmtiles::export_pmtiles(&scored, opts, &path).map(|_| ())
        } else {
            export::mbtiles::export_mbtiles(&scored, opts, &path).map(|_| ())
        };
        assert_eq!(written.is_ok(), ok, "{name}");
        // Told every candidate, each one cut when the export works, and
        // that the run is over once, whether it worked or not.
        assert_eq!(count.total.load(SeqCst), candidates, "{name}");
        let cut = if ok { candidates } else { 0 };
        assert_eq!(count.cut.load(SeqCst), cut, "{name}");
        assert_eq!(count.finished.load(SeqCst), 1, "{name}");
    }
}

// ---------------------------------------------------------------- tiles

/// Tiles of `scored` as dxmap cuts them (uncompressed), for comparison.
fn own_tiles(scored: &ScoredDataset, max_zoom: u8) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
    let p = Pyramid::new(
        scored,
        TileExportOptions {
            max_zoom,
            ..Default::default()
        },
    )
    .unwrap();
    let mut out = BTreeMap::new();
    for z in p.zoom_range() {
        for (c, gz) in p.cut_zoom(z).unwrap() {
            out.insert((c.z, c.x, c.y), gunzip(&gz));
        }
    }
    out
}

fn sqlite(path: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3").arg(path).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn mbtiles_is_spec_compliant_deduplicated_and_repeatable() {
    // A large outline makes many identical interior tiles.
    let mut scored = grid();
    let mut ds = (*scored.dataset).clone();
    ds.layers[0].features.push(LayerFeature {
        code: "E09000099".into(),
        name: "Big".into(),
        geometry: square(-1.5, 51.0, 1.0, false),
    });
    scored.dataset = Arc::new(ds);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.mbtiles");
    let opts = TileExportOptions {
        max_zoom: 12,
        ..Default::default()
    };
    let stats = export::mbtiles::export_mbtiles(&scored, opts.clone(), &path).unwrap();
    let again = dir.path().join("again.mbtiles");
    export::mbtiles::export_mbtiles(&scored, opts, &again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap(),
        "byte-identical"
    );
    no_temp_files(dir.path());
    assert!(stats.tiles > 0 && stats.unique <= stats.tiles && stats.largest > 0);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let meta: BTreeMap<String, String> = conn
        .prepare("SELECT name, value FROM metadata")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for key in [
        "name",
        "format",
        "bounds",
        "center",
        "minzoom",
        "maxzoom",
        "attribution",
        "type",
        "json",
    ] {
        assert!(meta.contains_key(key), "metadata {key}");
    }
    assert_eq!(meta["format"], "pbf");
    assert_eq!(meta["maxzoom"], "12");
    let json: Value = serde_json::from_str(&meta["json"]).unwrap();
    let ids: Vec<&str> = json["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"lsoa") && ids.contains(&"boroughs"),
        "{ids:?}"
    );
    let bounds: Vec<f64> = meta["bounds"]
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(bounds[0] < -0.19 && bounds[3] > 51.52, "{bounds:?}");

    // Every stored tile equals dxmap's own tile at the flipped row.
    let own = own_tiles(&scored, 12);
    let mut rows = conn
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let stored: Vec<(u8, u32, u32, Vec<u8>)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(stored.len() as u64, stats.tiles);
    assert_eq!(stored.len(), own.len());
    for (z, x, tms, gz) in &stored {
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "gzip");
        let y = (1u32 << z) - 1 - tms;
        assert_eq!(own.get(&(*z, *x, y)), Some(&gunzip(gz)), "tile {z}/{x}/{y}");
    }
    let images: u64 = conn
        .query_row("SELECT count(*) FROM images", [], |r| r.get(0))
        .unwrap();
    assert_eq!(images, stats.unique);
    assert!(
        images < stats.tiles,
        "identical tiles stored once ({images} of {})",
        stats.tiles
    );
}

#[test]
fn sqlite3_cli_reads_the_mbtiles_view() {
    if !tool("sqlite3", "sqlite3_cli_reads_the_mbtiles_view") {
        return;
    }
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.mbtiles");
    let stats = export::mbtiles::export_mbtiles(
        &scored,
        TileExportOptions {
            max_zoom: 10,
            ..Default::default()
        },
        &path,
    )
    .unwrap();
    assert_eq!(
        sqlite(&path, "SELECT count(*) FROM tiles"),
        stats.tiles.to_string()
    );
    assert_eq!(sqlite(&path, "PRAGMA integrity_check"), "ok");
    assert_eq!(
        sqlite(&path, "SELECT value FROM metadata WHERE name='format'"),
        "pbf"
    );
}

#[test]
fn pmtiles_is_read_by_the_python_reader_with_the_same_tiles() {
    let Some(py) = venv_python("pmtiles_is_read_by_the_python_reader_with_the_same_tiles") else {
        return;
    };
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.pmtiles");
    let opts = TileExportOptions {
        max_zoom: 12,
        ..Default::default()
    };
    let stats = export::pmtiles::export_pmtiles(&scored, opts.clone(), &path).unwrap();
    let again = dir.path().join("again.pmtiles");
    export::pmtiles::export_pmtiles(&scored, opts, &again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap(),
        "byte-identical"
    );
    let own = own_tiles(&scored, 12);
    assert_eq!(own.len() as u64, stats.tiles);
    // A sample: every tile at z0, 6 and 12, plus one coordinate with no tile.
    let sample: Vec<(u8, u32, u32)> = own
        .keys()
        .filter(|k| matches!(k.0, 0 | 6 | 12))
        .cloned()
        .collect();
    let script = r#"
import gzip, json, sys
from pmtiles.reader import Reader, MmapSource
with open(sys.argv[1], "rb") as f:
    r = Reader(MmapSource(f))
    h = r.header()
    meta = r.metadata()
    out = {"spec": 3, "clustered": h["clustered"], "tile_compression": int(h["tile_compression"].value),
           "tile_type": int(h["tile_type"].value), "min_zoom": h["min_zoom"], "max_zoom": h["max_zoom"],
           "addressed": h["addressed_tiles_count"], "contents": h["tile_contents_count"],
           "layers": [l["id"] for l in meta["vector_layers"]], "tiles": {}}
    for arg in sys.argv[2:]:
        z, x, y = map(int, arg.split("/"))
        t = r.get(z, x, y)
        out["tiles"][arg] = None if t is None else gzip.decompress(t).hex()
print(json.dumps(out))
"#;
    let mut cmd = Command::new(&py);
    cmd.arg("-c").arg(script).arg(&path);
    for (z, x, y) in &sample {
        cmd.arg(format!("{z}/{x}/{y}"));
    }
    cmd.arg("3/0/0");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["clustered"], true);
    assert_eq!(v["tile_compression"], 2, "gzip");
    assert_eq!(v["tile_type"], 1, "mvt");
    assert_eq!(
        (v["min_zoom"].as_u64(), v["max_zoom"].as_u64()),
        (Some(0), Some(12))
    );
    assert_eq!(v["addressed"].as_u64(), Some(stats.tiles));
    assert_eq!(v["contents"].as_u64(), Some(stats.unique));
    assert!(v["layers"].as_array().unwrap().iter().any(|l| l == "lsoa"));
    for (z, x, y) in &sample {
        let hex = v["tiles"][format!("{z}/{x}/{y}")]
            .as_str()
            .expect("tile present");
        let want: String = own[&(*z, *x, *y)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, want, "tile {z}/{x}/{y}");
    }
    assert_eq!(v["tiles"]["3/0/0"], Value::Null);
}

// ---------------------------------------------------------------- GDAL on London

fn ogrinfo(path: &Path, extra: &[&str]) -> (String, String) {
    let out = common::run_ok(
        Command::new("ogrinfo")
            .args(["-ro", "-so", "-al"])
            .args(extra)
            .arg(path),
        "ogrinfo",
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ogrinfo_opens_the_london_geojson_and_mbtiles_without_warnings() {
    let test = "ogrinfo_opens_the_london_geojson_and_mbtiles_without_warnings";
    if !tool("ogrinfo", test) {
        return;
    }
    let Some(scored) = london(test) else { return };
    assert_eq!(scored.dataset.len(), 4835);
    let dir = tempfile::tempdir().unwrap();
    let gj = dir.path().join("london.geojson");
    export::geojson::export_geojson(&export::table(&scored, Level::Lsoa).unwrap(), &gj).unwrap();
    let (out, err) = ogrinfo(&gj, &[]);
    assert!(err.trim().is_empty(), "ogrinfo warned: {err}");
    assert!(out.contains("Feature Count: 4835"), "{out}");
    assert!(out.contains("Geometry: Multi Polygon"), "{out}");

    let mb = dir.path().join("london.mbtiles");
    export::mbtiles::export_mbtiles(
        &scored,
        TileExportOptions {
            max_zoom: 10,
            ..Default::default()
        },
        &mb,
    )
    .unwrap();
    let (out, err) = ogrinfo(&mb, &[]);
    assert!(err.trim().is_empty(), "ogrinfo warned: {err}");
    assert!(out.contains("Layer name: lsoa"), "{out}");
    // GDAL does not stitch features split across tiles: count distinct codes
    // over the tiles of the highest zoom.
    let out = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(&mb)
        .args(["-sql", "SELECT COUNT(DISTINCT code) FROM lsoa"])
        .output()
        .unwrap();
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
    assert!(text.contains("= 4835"), "{text}");
}

// ---------------------------------------------------------------- the binary on London

fn run_dxmap(args: &[&str]) -> std::process::Output {
    common::run_ok(
        Command::new(common::dxmap_bin()).args(args),
        &format!("dxmap {args:?}"),
    )
}

/// Builds the London dataset from examples/london.toml into `dir`.
fn london_artifact(dir: &Path, test: &str) -> Option<PathBuf> {
    common::shared_data(test)?;
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/london.toml");
    let out = dir.join("london.dxmap");
    run_dxmap(&[
        "build",
        "--quiet",
        "--project",
        project.to_str()?,
        "--out",
        out.to_str()?,
    ]);
    Some(out)
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(split_csv_line);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// One CSV line (no embedded line breaks in these files), honouring quotes.
fn split_csv_line(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn cli_round_trip_and_atomic_failure_on_london() {
    let test = "cli_round_trip_and_atomic_failure_on_london";
    let dir = tempfile::tempdir().unwrap();
    let Some(ds) = london_artifact(dir.path(), test) else {
        return;
    };
    let d = dir.path();
    let (gj, csv) = (d.join("london.geojson"), d.join("london.csv"));
    let ds_arg = ds.to_str().unwrap();
    // A 2011 dataset: the built-in default methodology is for LSOA 2021.
    let method = Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology/london.toml");
    let method = method.to_str().unwrap();
    run_dxmap(&[
        "export",
        "geojson",
        "--quiet",
        "--dataset",
        ds_arg,
        "--methodology",
        method,
        "--out",
        gj.to_str().unwrap(),
    ]);
    run_dxmap(&[
        "export",
        "csv",
        "--quiet",
        "--dataset",
        ds_arg,
        "--methodology",
        method,
        "--out",
        csv.to_str().unwrap(),
    ]);
    let (header, rows) = read_csv(&csv);
    assert_eq!(rows.len(), 4835);

    // Re-ingest the export: its GeoJSON as boundaries, its CSV as values.
    let v: Value = serde_json::from_slice(&std::fs::read(&gj).unwrap()).unwrap();
    let mut columns = Vec::new();
    for s in v["metadata"]["sources"].as_array().unwrap() {
        let id = s["column"].as_str().unwrap();
        let pos = header.iter().position(|h| h == id).unwrap();
        let numeric = rows
            .iter()
            .all(|r| r[pos].is_empty() || r[pos].parse::<f64>().is_ok());
        let kind = match (id, numeric) {
            ("population", _) => "count",
            (_, true) => "value",
            (_, false) => "category",
        };
        columns.push(format!(
            "  {{ id = \"{id}\", label = \"{id}\", {kind} = \"{id}\" }},"
        ));
    }
    let project = format!(
        "title = \"round trip\"\ngeography = \"LSOA 2011\"\nattribution = [\"test\"]\n\n\
         [boundaries]\nfile = \"london.geojson\"\ncode = \"code\"\nname = \"name\"\ncrs = \"EPSG:4326\"\n\
         borough = {{ code_field = \"borough_code\", name_field = \"borough_name\" }}\n\n\
         [[dataset]]\nname = \"export\"\nfile = \"london.csv\"\ncode = \"code\"\nvintage = \"export\"\non_invalid = \"warn\"\n\
         column = [\n{}\n]\n",
        columns.join("\n")
    );
    let toml = d.join("roundtrip.toml");
    std::fs::write(&toml, project).unwrap();
    let again = d.join("again.csv");
    run_dxmap(&[
        "export",
        "csv",
        "--quiet",
        "--dataset",
        toml.to_str().unwrap(),
        "--methodology",
        method,
        "--out",
        again.to_str().unwrap(),
    ]);
    let (header2, rows2) = read_csv(&again);
    assert_eq!(rows2.len(), 4835);
    let scored_cols: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.as_str() == "index"
                || h.starts_with("c_")
                || h.starts_with("i_")
                || h.as_str() == "rank"
                || h.as_str() == "decile"
        })
        .map(|(i, _)| i)
        .collect();
    assert!(scored_cols.len() > 5);
    for &c in &scored_cols {
        let c2 = header2.iter().position(|h| *h == header[c]).unwrap();
        for (r, (a, b)) in rows.iter().zip(&rows2).enumerate() {
            assert_eq!(a[0], b[0], "same area order");
            // Scores are written to 4 places: a re-ingested raw value may move
            // a score across a rounding boundary, one unit in the last place.
            let same = a[c] == b[c2]
                || matches!((a[c].parse::<f64>(), b[c2].parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() <= 1.000_001e-4);
            assert!(
                same,
                "row {r} ({}) column {}: {} vs {}",
                a[0], header[c], a[c], b[c2]
            );
        }
    }

    // A failing export (file size limit, SIGXFSZ ignored so write() fails)
    // leaves the previous file and no temporary file.
    let before = std::fs::read(&gj).unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 16; exec \"$0\" export geojson --quiet --dataset \"$1\" --out \"$2\" --methodology \"$3\"")
        .arg(common::dxmap_bin())
        .arg(ds_arg)
        .arg(&gj)
        .arg(method)
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(String::from_utf8_lossy(&status.stderr).contains("london.geojson"));
    assert_eq!(std::fs::read(&gj).unwrap(), before);
    no_temp_files(d);
}

// ---------------------------------------------------------------- Martin

/// GET over plain HTTP/1.1 on loopback; the body de-chunked and gunzipped.
fn http_get(port: u16, path: &str) -> Option<(u16, Vec<u8>)> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let (mut out, mut rest) = (Vec::new(), &body[..]);
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let len =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).ok()?;
            if len == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + len]);
            rest = &rest[eol + 2 + len + 2..];
        }
        body = out;
    }
    if body.starts_with(&[0x1f, 0x8b]) {
        body = gunzip(&body);
    }
    Some((status, body))
}

#[test]
#[ignore = "needs martin, an optional peer CI does not install (benches/README.md)"]
fn martin_serves_the_exports_with_dxmaps_tiles() {
    let test = "martin_serves_the_exports_with_dxmaps_tiles";
    if !tool("martin", test) {
        return;
    }
    let scored = grid();
    let dir = tempfile::tempdir().unwrap();
    let opts = TileExportOptions {
        max_zoom: 12,
        ..Default::default()
    };
    let mb = dir.path().join("gridmb.mbtiles");
    let pm = dir.path().join("gridpm.pmtiles");
    export::mbtiles::export_mbtiles(&scored, opts.clone(), &mb).unwrap();
    export::pmtiles::export_pmtiles(&scored, opts, &pm).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("martin")
        .arg(&mb)
        .arg(&pm)
        .args(["--listen-addresses", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(200));
        http_get(port, "/catalog").is_some_and(|(s, _)| s == 200)
    });
    let own = own_tiles(&scored, 12);
    let sample: Vec<(u8, u32, u32)> = own
        .keys()
        .filter(|k| matches!(k.0, 0 | 9 | 12))
        .cloned()
        .collect();
    let mut failures = Vec::new();
    if ready {
        for source in ["gridmb", "gridpm"] {
            for (z, x, y) in &sample {
                match http_get(port, &format!("/{source}/{z}/{x}/{y}")) {
                    Some((200, body)) if body == own[&(*z, *x, *y)] => {}
                    other => failures.push(format!(
                        "{source} {z}/{x}/{y}: {:?}",
                        other.map(|o| (o.0, o.1.len()))
                    )),
                }
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "martin did not start on port {port}");
    assert!(failures.is_empty(), "{failures:?}");
}

// ---------------------------------------------------------------- faults

/// `kill -9` in the middle of `dxmap export`: the file it was replacing is
/// byte-identical afterwards and nothing half-written has the final name;
/// the only thing left is the dot-named temporary file it was filling. A
/// later export to the same name succeeds, replaces the old file and removes
/// that leftover.
#[test]
fn kill_9_during_export_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("london.mbtiles");
    let previous = b"the previous export, which must survive\n".to_vec();
    std::fs::write(&out, &previous).unwrap();
    // The embedded London dataset to z14: tens of seconds of writing.
    let mut child = Command::new(common::dxmap_bin())
        .args(["--quiet", "export", "mbtiles", "--max-zoom", "14"])
        .args(["--sensitivity-draws", "0", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temps = || -> Vec<(String, u64)> {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != "london.mbtiles")
            .map(|e| {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                (e.file_name().to_string_lossy().into_owned(), len)
            })
            .collect()
    };
    // Wait until the temporary file holds a good part of a megabyte of tiles.
    let started = std::time::Instant::now();
    let mut mid_write = false;
    while started.elapsed() < std::time::Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if temps().iter().any(|(_, len)| *len > 512 * 1024) {
            mid_write = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    let left = temps();
    println!(
        "killed after {:.2?}; left behind: {left:?}",
        started.elapsed()
    );
    assert!(
        mid_write && running,
        "export was not caught mid-write ({status})"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        previous,
        "previous file changed"
    );
    for (name, _) in &left {
        assert!(
            name.starts_with(".dxmap-") && name.ends_with(".tmp"),
            "{name} is not clearly a temporary file"
        );
    }
    assert_eq!(left.len(), 1, "{left:?}");

    // The dead run's lock died with it, so the next write into the
    // directory removes its file, once old enough that it cannot be a
    // writer's file not yet locked. Age it rather than wait.
    let leftover = d.join(&left[0].0);
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
    run_dxmap(&[
        "--quiet",
        "export",
        "mbtiles",
        "--max-zoom",
        "2",
        "--sensitivity-draws",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    let db = std::fs::read(&out).unwrap();
    assert!(db.starts_with(b"SQLite format 3\0"), "new export in place");
    assert_eq!(temps(), vec![], "the dead run's temporary file is removed");
}
