//! Building a [`Dataset`] from a [`Project`]: the stages in order.
//!
//! In: a parsed project (boundary file, lookups, tables) and [`BuildOptions`].
//! Out: a [`BuildOutput`]: the joined dataset (areas sorted by code with
//! borough and ward, one column per project column with its
//! [`Source`](crate::dataset::Source), `boroughs`/`wards` outline layers,
//! attribution) and a [`BuildReport`] (per-table coverage, repairs,
//! warnings). The stages: boundaries to areas ([`areas`](super::areas)),
//! read while every table is read and parsed, in parallel; each table
//! joined, in parallel, its columns kept in project order ([`join`](super::join): read, route, validate, apply
//! the policy, aggregate, coverage), derived columns, outline layers.
//! Problems in tables are all collected; a table whose policy is `fail`
//! stops the build with every problem listed, one under `warn` leaves the
//! bad values missing.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::IngestError;
use super::boundaries::Crs;
use super::progress::{Progress, Steps};
use super::project::Project;
use super::report::BuildReport;
use super::{areas, derived, join, layers};
use crate::dataset::Dataset;

/// How to build.
#[derive(Clone, Default)]
pub struct BuildOptions {
    /// CRS of the boundary file, overriding the project's and the file's.
    pub crs: Option<Crs>,
    /// Told of each step as it begins (the CLI draws a bar).
    pub progress: Option<Arc<dyn Progress>>,
}

impl fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildOptions")
            .field("crs", &self.crs)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// The built dataset and its report.
#[derive(Clone, Debug)]
pub struct BuildOutput {
    /// The joined dataset.
    pub dataset: Dataset,
    /// Coverage, repairs and warnings.
    pub report: BuildReport,
}

/// Builds the dataset a project describes.
pub fn build(project: &Project, opts: &BuildOptions) -> Result<BuildOutput, IngestError> {
    let steps = Steps(opts.progress.as_deref());
    steps.start(3);
    let out = run(project, opts, &steps);
    steps.finish();
    out
}

fn run(project: &Project, opts: &BuildOptions, steps: &Steps) -> Result<BuildOutput, IngestError> {
    let spec = &project.spec;
    let mut report = BuildReport::default();
    let mut clock = Instant::now();
    let mut lap = |report: &mut BuildReport, step: String| {
        report.timings.push((step, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };

    // The tables need no areas: they are read and parsed, in parallel,
    // while the boundaries are (the two take about the same time).
    steps.step("reading boundaries and tables");
    let (bounds, tables) = rayon::join(
        || -> Result<_, IngestError> {
            let crs = match opts.crs {
                Some(c) => Some(c),
                None => project.boundary_crs()?,
            };
            areas::load_boundaries(&project.files, &spec.boundaries.file, crs)
        },
        || {
            spec.datasets
                .par_iter()
                .map(|d| join::read(project, d.get_ref()))
                .collect::<Vec<_>>()
        },
    );
    let bounds = bounds?;
    report.repairs = bounds.repairs.clone();
    let mut areas = areas::make_areas(project, bounds, &mut report.warnings)?;
    lap(&mut report, "boundaries and tables".into());

    let codes: Vec<&str> = areas.iter().map(|a| a.code.as_str()).collect();
    let n = spec.datasets.len();
    steps.step(&format!(
        "joining {n} table{}",
        if n == 1 { "" } else { "s" }
    ));
    let joined: Vec<(Result<join::Joined, IngestError>, f64)> = spec
        .datasets
        .par_iter()
        .zip(tables)
        .map(|(d, table)| {
            let span = d.span();
            let d = d.get_ref();
            let clock = Instant::now();
            let j = table.and_then(|t| join::join(project, d, t, &span, &areas, &codes));
            (j, clock.elapsed().as_secs_f64())
        })
        .collect();
    let mut columns = Vec::new();
    let mut failures = Vec::new();
    let mut attribution = spec.attribution.clone();
    for (d, (j, secs)) in spec.datasets.iter().zip(joined) {
        match j {
            Ok(j) => {
                report.coverage.push(j.coverage);
                report.warnings.extend(j.warnings);
                columns.extend(j.columns);
                attribution.extend(d.get_ref().attribution.iter().cloned());
            }
            Err(IngestError::Many(v)) => failures.extend(v),
            Err(e) => failures.push(e),
        }
        report
            .timings
            .push((format!("dataset {}", d.get_ref().name), secs));
    }
    // The datasets' own times overlap; this is the time the joins took.
    lap(&mut report, "joins".into());
    if !failures.is_empty() {
        return Err(IngestError::one_or_many(failures));
    }

    report.derived = derived::derive(project, &areas, &mut columns)?;

    steps.step("dissolving boroughs and wards");
    let out_layers = layers::outlines(spec, &areas);
    lap(&mut report, "layers".into());

    let mut seen = std::collections::HashSet::new();
    attribution.retain(|l| seen.insert(l.clone()));
    report.areas = areas.len();
    areas.shrink_to_fit();
    let dataset = Dataset {
        title: spec.title.clone(),
        geography: spec.geography.clone(),
        areas,
        columns,
        layers: out_layers,
        attribution,
    };
    dataset.validate().map_err(|e| {
        IngestError::msg(format!("built dataset is inconsistent: {e}")).with_path(&project.path)
    })?;
    Ok(BuildOutput { dataset, report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Files, embedded_default};
    use std::collections::BTreeMap;
    use std::path::Path;

    const TINY: &[u8] = include_bytes!("../../tests/fixtures/ingest/tiny.geojson");

    fn run(extra: &[(&str, &str)], datasets: &str) -> Result<BuildOutput, IngestError> {
        let mut files = BTreeMap::from([("tiny.geojson".to_string(), TINY)]);
        for (name, text) in extra {
            let bytes: &'static [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
            files.insert(name.to_string(), bytes);
        }
        let text = format!(
            "title = \"t\"\n[boundaries]\nfile = \"tiny.geojson\"\ncode = \"LSOA11CD\"\nname = \"LSOA11NM\"\n{datasets}"
        );
        let p = Project::parse(&text, Path::new("t.toml"), Files::Embedded(files))?;
        build(&p, &BuildOptions::default())
    }

    #[test]
    fn embedded_default_is_london_lsoa_2021_with_real_sourced_columns() {
        let out = embedded_default(&BuildOptions::default()).unwrap();
        let d = &out.dataset;
        assert_eq!(d.title, "London LSOA 2021");
        assert_eq!(d.len(), 4994);
        assert_eq!(d.columns.len(), 24);
        assert!(!d.has_demonstration_data());
        assert_eq!(d.layer("boroughs").map(|l| l.features.len()), Some(33));
        assert_eq!(d.layer("wards").map(|l| l.features.len()), Some(684));
        assert!(out.report.warnings.is_empty(), "{:?}", out.report.warnings);
        let i = d.position("E01000001").unwrap();
        assert_eq!(d.numeric("imd_score").unwrap()[i], Some(8.742));
        assert_eq!(d.areas[i].ward_name(), Some("Aldersgate"));
        assert_eq!(d.areas[i].borough_code(), Some("E09000001"));
        // MHCLG leaves 66 London IDAOPI numerators blank (under 10): the
        // derived rate is missing there, with the reason in the report.
        assert_eq!(
            d.column("idaopi_rate").map(|c| c.values.present()),
            Some(4994 - 66)
        );
        let rate = &out.report.derived[0];
        assert_eq!(rate.id, "idaopi_rate");
        assert_eq!(rate.missing.len(), 66);
        assert_eq!(
            rate.missing[0],
            (
                "E01000001".to_string(),
                "numerator 'idaopi_numerator' is missing".to_string()
            )
        );
        for id in ["digital_connectivity", "no_gigabit_pct", "aged_75_plus"] {
            assert_eq!(d.column(id).map(|c| c.values.present()), Some(4994), "{id}");
        }
        let c = d.column("digital_connectivity").unwrap();
        assert_eq!(c.source.vintage, "IoD 2025");
        let c = d.column("no_gigabit_pct").unwrap();
        assert_eq!(c.source.vintage, "Ofcom Connected Nations 2025");
        for who in [
            "Office for National Statistics",
            "Indices of Deprivation 2025",
            "Ofcom",
        ] {
            assert!(
                d.attribution.iter().any(|l| l.contains(who)),
                "{who}: {:?}",
                d.attribution
            );
        }
    }

    #[test]
    fn a_ward_lookup_that_misses_areas_says_how_many_and_which() {
        let mut files = BTreeMap::from([("tiny.geojson".to_string(), TINY)]);
        files.insert(
            "w.csv".to_string(),
            b"LSOA11CD,WD,WN\nE01000002,W2,Two\n".as_slice(),
        );
        let text = "title = \"t\"\n[boundaries]\nfile = \"tiny.geojson\"\ncode = \"LSOA11CD\"\nname = \"LSOA11NM\"\n\
                    [wards]\nfile = \"w.csv\"\ncode = \"LSOA11CD\"\nunit_code = \"WD\"\nunit_name = \"WN\"\n";
        let p = Project::parse(text, Path::new("t.toml"), Files::Embedded(files)).unwrap();
        let out = build(&p, &BuildOptions::default()).unwrap();
        assert_eq!(
            out.report.warnings,
            ["tiny.geojson: 2 areas have no ward: E01000001, E01000003"]
        );
    }

    #[test]
    fn output_areas_are_summed_and_values_weighted() {
        let out = run(
            &[
                (
                    "oa.csv",
                    "oa,people,older,score\nO1,10,1,1\nO2,30,3,3\nO3,5,0,7\n",
                ),
                (
                    "lk.csv",
                    "OA11CD,LSOA11CD\nO1,E01000001\nO2,E01000001\nO3,E01000002\n",
                ),
            ],
            r#"[[dataset]]
name = "oa"
file = "oa.csv"
code = "oa"
geography = "oa"
lookup = { file = "lk.csv", from = "OA11CD", to = "LSOA11CD" }
weight = "people"
vintage = "v"
column = [
  { id = "people", label = "p", count = "people" },
  { id = "older", label = "o", rate = { numerator = "older", denominator = "people" } },
  { id = "score", label = "s", value = "score" },
]"#,
        )
        .unwrap();
        let d = &out.dataset;
        assert_eq!(d.numeric("people").unwrap(), [Some(40.0), Some(5.0), None]);
        assert_eq!(d.numeric("older").unwrap(), [Some(0.1), Some(0.0), None]);
        assert_eq!(d.numeric("score").unwrap(), [Some(2.5), Some(7.0), None]);
        assert_eq!(out.report.coverage[0].missing_sample, ["E01000003"]);
        assert!(d.columns[0].source.method.contains("output areas summed"));
    }

    #[test]
    fn points_are_counted_per_area() {
        let out = run(
            &[(
                "pts.csv",
                "lon,lat,seats\n-0.145,51.505,2\n-0.141,51.501,3\n-0.125,51.505,1\n1.0,1.0,9\n",
            )],
            r#"[[dataset]]
name = "pts"
file = "pts.csv"
geography = "points"
lon = "lon"
lat = "lat"
vintage = "v"
column = [
  { id = "n", label = "n", count = "*" },
  { id = "seats", label = "s", count = "seats" },
]"#,
        )
        .unwrap();
        let d = &out.dataset;
        assert_eq!(d.numeric("n").unwrap(), [Some(2.0), Some(0.0), Some(1.0)]);
        assert_eq!(
            d.numeric("seats").unwrap(),
            [Some(5.0), Some(0.0), Some(1.0)]
        );
    }

    #[test]
    fn polygons_are_interpolated_by_area() {
        // One source square over the right half of the first area and the
        // left half of the second.
        let src = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"S1"},
            "geometry":{"type":"Polygon","coordinates":[[[-0.145,51.5],[-0.135,51.5],[-0.135,51.51],[-0.145,51.51],[-0.145,51.5]]]}}]}"#;
        let out = run(
            &[("src.geojson", src), ("s.csv", "id,n\nS1,100\n")],
            r#"[[dataset]]
name = "s"
file = "s.csv"
code = "id"
geography = "interpolate"
boundaries = { file = "src.geojson", code = "id" }
vintage = "v"
column = [{ id = "n", label = "n", count = "n" }]"#,
        )
        .unwrap();
        let v = out.dataset.numeric("n").unwrap();
        assert!((v[0].unwrap() - 50.0).abs() < 1e-6, "{v:?}");
        assert!((v[1].unwrap() - 50.0).abs() < 1e-6, "{v:?}");
        assert_eq!(v[2], None);
    }
}
