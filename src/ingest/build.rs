//! Building a [`Dataset`] from a [`Project`].
//!
//! In: a parsed project (boundary file, lookups, tables) and [`BuildOptions`].
//! Out: a [`BuildOutput`]: the joined dataset (areas sorted by code with
//! borough and ward, one column per project column with its [`Source`],
//! `boroughs`/`wards` outline layers, attribution) and a [`BuildReport`]
//! (per-table coverage, repairs, warnings). Problems in tables are all
//! collected; a table whose policy is `fail` stops the build with every
//! problem listed, one under `warn` leaves the bad values missing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::IngestError;
use super::boundaries::{self, Boundaries, BoundaryOptions, Crs, Repair};
use super::derived::{self, DerivedCoverage};
use super::files::Files;
use super::geography::{self, Contrib, Routes};
use super::interpolate;
use super::layers;
use super::points;
use super::project::{ColumnKind, DatasetSpec, GeographyKind, Policy, Project};
use super::tables::Table;
use super::validate::{self, Cell, Extract, Rows};
use crate::dataset::{Area, Column, ColumnId, Dataset, LsoaCode, Measure, Source, Values};

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// CRS of the boundary file, overriding the project's and the file's.
    pub crs: Option<Crs>,
    /// Show progress bars on standard error.
    pub progress: bool,
}

/// How well one table joined.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Dataset name from the project.
    pub dataset: String,
    /// File as given in the project.
    pub file: String,
    /// Rows read (after removing invalid rows).
    pub rows: usize,
    /// Rows skipped because their code matched no area (`unmatched_rows = "ignore"`).
    pub ignored_rows: usize,
    /// Areas that received a value from at least one row.
    pub matched: usize,
    /// Areas that received none.
    pub missing: usize,
    /// Up to 5 codes of areas that received none.
    pub missing_sample: Vec<String>,
    /// Each column id with how many areas have a value.
    pub columns: Vec<(String, usize)>,
}

/// What happened during a build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildReport {
    /// Number of areas.
    pub areas: usize,
    /// Per-table coverage, in project order.
    pub coverage: Vec<Coverage>,
    /// Repairs made to boundary features.
    pub repairs: Vec<Repair>,
    /// Derived columns: present counts and each area left without a value, with why.
    pub derived: Vec<DerivedCoverage>,
    /// Problems that did not stop the build.
    pub warnings: Vec<String>,
    /// Seconds spent per step.
    pub timings: Vec<(String, f64)>,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} areas", self.areas)?;
        for c in &self.coverage {
            write!(
                f,
                "{}: {} rows, {} areas matched, {} missing",
                c.dataset, c.rows, c.matched, c.missing
            )?;
            if c.ignored_rows > 0 {
                write!(
                    f,
                    ", {} rows outside the boundaries ignored",
                    c.ignored_rows
                )?;
            }
            if !c.missing_sample.is_empty() {
                write!(f, " (e.g. {})", c.missing_sample.join(", "))?;
            }
            writeln!(f)?;
            for (id, present) in &c.columns {
                writeln!(f, "  {id}: {present}/{} present", self.areas)?;
            }
        }
        for d in &self.derived {
            for line in derived::report_lines(d, self.areas) {
                writeln!(f, "{line}")?;
            }
        }
        if !self.repairs.is_empty() {
            writeln!(f, "{} boundary repairs:", self.repairs.len())?;
            // Grouped by kind ("ring 3: closed ..." counts as "closed ...").
            let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for r in &self.repairs {
                let what = match r.what.rsplit_once(": ") {
                    Some((head, rest)) if head.contains("ring ") => rest,
                    _ => r.what.as_str(),
                };
                kinds.entry(what).or_insert((0, r.feature)).0 += 1;
            }
            for (what, (n, first)) in kinds {
                writeln!(f, "  {n} x {what} (first: feature {first})")?;
            }
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        if !self.timings.is_empty() {
            let t: Vec<String> = self
                .timings
                .iter()
                .map(|(s, t)| format!("{s} {t:.2}s"))
                .collect();
            writeln!(f, "timings: {}", t.join(", "))?;
        }
        Ok(())
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

/// Most problems listed per table (the rest are counted).
const MAX_PROBLEMS: usize = 50;

/// What to do about rows whose code matched no area: usually a table wider
/// than the boundaries (a national table on one council's LSOAs), which
/// `unmatched_rows = "ignore"` skips and counts in the coverage report. Not
/// the default: rows of another code vintage fail the same way, and
/// skipping those silently would leave areas without values.
fn unmatched_advice(file: &Path, dataset: &str, rows: usize) -> IngestError {
    IngestError::Note {
        file: file.to_path_buf(),
        more: 0,
        message: format!(
            "{rows} rows have a code that matches no area; if the table covers more areas than \
             the boundaries (a national table on local boundaries), set unmatched_rows = \"ignore\" \
             in [[dataset]] '{dataset}' to skip them (they are counted in the coverage report)"
        ),
    }
}

/// Builds the dataset a project describes.
pub fn build(project: &Project, opts: &BuildOptions) -> Result<BuildOutput, IngestError> {
    let spec = &project.spec;
    let progress = Progress::new(opts.progress, spec.datasets.len() as u64 + 2);
    let mut report = BuildReport::default();
    let mut clock = Instant::now();
    let mut lap = |report: &mut BuildReport, step: String| {
        report.timings.push((step, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };

    progress.step("reading boundaries");
    let crs = match opts.crs {
        Some(c) => Some(c),
        None => project.boundary_crs()?,
    };
    let bounds = load_boundaries(&project.files, &spec.boundaries.file, crs)?;
    report.repairs = bounds.repairs.clone();
    let mut areas = make_areas(project, bounds, &mut report.warnings)?;
    lap(&mut report, "boundaries".into());

    let codes: Vec<&str> = areas.iter().map(|a| a.code.as_str()).collect();
    let position = |c: &str| codes.binary_search(&c).ok();
    let mut columns = Vec::new();
    let mut failures = Vec::new();
    let mut attribution = spec.attribution.clone();
    for d in &spec.datasets {
        progress.step(&format!("joining {}", d.get_ref().name));
        match join(project, d.get_ref(), &d.span(), &areas, &codes, &position) {
            Ok(j) => {
                report.coverage.push(j.coverage);
                report.warnings.extend(j.warnings);
                columns.extend(j.columns);
                attribution.extend(d.get_ref().attribution.iter().cloned());
            }
            Err(IngestError::Many(v)) => failures.extend(v),
            Err(e) => failures.push(e),
        }
        lap(&mut report, format!("dataset {}", d.get_ref().name));
    }
    if !failures.is_empty() {
        progress.finish();
        return Err(if failures.len() == 1 {
            failures.remove(0)
        } else {
            IngestError::Many(failures)
        });
    }

    report.derived = derived::derive(project, &areas, &mut columns)?;

    progress.step("dissolving boroughs and wards");
    let mut out_layers = Vec::new();
    if spec.layers {
        if areas.iter().any(|a| !a.borough_code.is_empty()) {
            out_layers.push(layers::dissolve("boroughs", &areas, |a| {
                Some((a.borough_code.clone(), a.borough_name.clone()))
            }));
        }
        if let Some(w) = &spec.wards {
            let mut wards = layers::dissolve("wards", &areas, |a| {
                Some((
                    a.ward_code.clone()?,
                    a.ward_name.clone().unwrap_or_default(),
                ))
            });
            wards.vintage = w.vintage();
            out_layers.push(wards);
        }
    }
    lap(&mut report, "layers".into());
    progress.finish();

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
    dataset.validate().map_err(|e| IngestError::File {
        file: project.path.clone(),
        message: format!("built dataset is inconsistent: {e}"),
    })?;
    Ok(BuildOutput { dataset, report })
}

/// The project text of the embedded default London dataset.
pub const DEFAULT_PROJECT: &str = include_str!("../../data/london-default.toml");

/// Builds the default London dataset from files embedded in the binary
/// (`data/london-default.toml` and the boundary and indicator files beside
/// it), so dxmap runs with no input files at all.
pub fn embedded_default(opts: &BuildOptions) -> Result<BuildOutput, IngestError> {
    let files = Files::Embedded(BTreeMap::from([
        (
            "london_lsoa21_boundaries.geojson.gz".to_string(),
            &include_bytes!("../../data/london_lsoa21_boundaries.geojson.gz")[..],
        ),
        (
            "london_lsoa21_indicators.csv".to_string(),
            &include_bytes!("../../data/london_lsoa21_indicators.csv")[..],
        ),
    ]));
    let project = Project::parse(
        DEFAULT_PROJECT,
        Path::new("data/london-default.toml"),
        files,
    )?;
    build(&project, opts)
}

/// Reads a boundary file from disk (GeoJSON, gzip, Shapefile) or from embedded bytes (GeoJSON).
fn load_boundaries(files: &Files, name: &str, crs: Option<Crs>) -> Result<Boundaries, IngestError> {
    let opts = BoundaryOptions {
        crs,
        ..Default::default()
    };
    match files.disk_path(name) {
        Some(p) => boundaries::read_boundaries(&p, &opts),
        None => boundaries::parse_geojson(&files.read(name)?, Path::new(name), &opts),
    }
}

/// Turns boundary features into areas sorted by code, with borough and ward.
fn make_areas(
    project: &Project,
    bounds: Boundaries,
    warnings: &mut Vec<String>,
) -> Result<Vec<Area>, IngestError> {
    let b = &project.spec.boundaries;
    let file = project.files.display_path(&b.file);
    let borough_units = match b.borough.as_ref().and_then(|s| s.lookup.as_ref()) {
        Some(l) => Some(geography::read_units(&project.files, l)?),
        None => None,
    };
    let ward_units = match &project.spec.wards {
        Some(w) => Some(geography::read_units(&project.files, w)?),
        None => None,
    };
    let mut problems = Vec::new();
    let mut areas = Vec::with_capacity(bounds.features.len());
    let mut no_borough = Vec::new();
    let mut no_ward = Vec::new();
    for f in bounds.features {
        let feature_err = |message: String, code: Option<String>| IngestError::Feature {
            file: file.clone(),
            feature: f.index,
            code,
            message,
        };
        let Some(code) = f.properties.get(&b.code).filter(|c| !c.trim().is_empty()) else {
            problems.push(feature_err(format!("no code property '{}'", b.code), None));
            continue;
        };
        let code = LsoaCode::new(code);
        let name = f.properties.get(&b.name).cloned().unwrap_or_default();
        let (mut borough_code, mut borough_name) = (String::new(), String::new());
        if let Some(bs) = &b.borough {
            if bs.name_prefix.is_some()
                && let Some((c, n)) = geography::london_borough_of(&name)
            {
                (borough_code, borough_name) = (c.to_string(), n.to_string());
            }
            if let Some(cf) = &bs.code_field {
                borough_code = f.properties.get(cf).cloned().unwrap_or_default();
            }
            if let Some(nf) = &bs.name_field {
                borough_name = f.properties.get(nf).cloned().unwrap_or_default();
            }
            if let Some(units) = &borough_units
                && let Some((c, n)) = units.get(code.as_str())
            {
                (borough_code, borough_name) = (c.clone(), n.clone());
            }
            if borough_code.is_empty() {
                no_borough.push(code.to_string());
            }
        }
        let (ward_code, ward_name) = match ward_units.as_ref().map(|u| u.get(code.as_str())) {
            Some(Some((c, n))) => (Some(c.clone()), Some(n.clone())),
            Some(None) => {
                no_ward.push(code.to_string());
                (None, None)
            }
            None => (None, None),
        };
        areas.push((
            f.index,
            Area {
                code,
                name,
                borough_code,
                borough_name,
                ward_code,
                ward_name,
                geometry: f.geometry,
            },
        ));
    }
    areas.sort_by(|a, b| a.1.code.cmp(&b.1.code).then(a.0.cmp(&b.0)));
    for w in areas.windows(2) {
        if w[0].1.code == w[1].1.code {
            problems.push(IngestError::Feature {
                file: file.clone(),
                feature: w[1].0,
                code: Some(w[1].1.code.to_string()),
                message: format!("duplicate code (also feature {})", w[0].0),
            });
        }
    }
    if !problems.is_empty() {
        return Err(if problems.len() == 1 {
            problems.remove(0)
        } else {
            IngestError::Many(validate::summarise(&file, problems, MAX_PROBLEMS))
        });
    }
    if areas.is_empty() {
        return Err(IngestError::File {
            file,
            message: "no features".into(),
        });
    }
    // Every area without a unit is named, up to a screenful.
    for (what, list) in [("borough", &no_borough), ("ward", &no_ward)] {
        if !list.is_empty() {
            let shown = list.len().min(20);
            let more = if shown < list.len() { ", ..." } else { "" };
            warnings.push(format!(
                "{}: {} areas have no {what}: {}{more}",
                file.display(),
                list.len(),
                list[..shown].join(", ")
            ));
        }
    }
    Ok(areas.into_iter().map(|(_, a)| a).collect())
}

struct Joined {
    columns: Vec<Column>,
    coverage: Coverage,
    warnings: Vec<String>,
}

/// Reads, checks and joins one table.
fn join(
    project: &Project,
    d: &DatasetSpec,
    span: &std::ops::Range<usize>,
    areas: &[Area],
    codes: &[&str],
    position: &dyn Fn(&str) -> Option<usize>,
) -> Result<Joined, IngestError> {
    let files = &project.files;
    let path = files.display_path(&d.file);
    let table = Table::parse(&files.read_table(&d.file)?, &path)?;
    if table.is_empty() {
        return Err(IngestError::File {
            file: path,
            message: "no rows (only a header line)".into(),
        });
    }
    let kinds: Vec<ColumnKind> = d
        .columns
        .iter()
        .filter_map(|c| c.get_ref().kind())
        .collect();

    // Where rows go, and which codes count as known.
    let mut method_tail = String::new();
    let routes = match d.geography {
        GeographyKind::Lsoa => Routes::direct(codes),
        GeographyKind::Oa | GeographyKind::Lookup => {
            let l = d
                .lookup
                .as_ref()
                .ok_or_else(|| project.error_at(span, "missing 'lookup'"))?;
            let pairs = geography::read_lookup(files, l)?;
            if d.geography == GeographyKind::Oa {
                method_tail = format!("; output areas summed to areas through {}", l.file);
                Routes::many_to_one(&pairs, position)
            } else {
                method_tail = format!(
                    "; brought onto these areas through the best-fit lookup {} (computed on the source geography, then assigned; counts shared equally where several areas take one source area)",
                    l.file
                );
                Routes::best_fit(&pairs, position)
            }
        }
        GeographyKind::Interpolate => {
            let sb = d
                .boundaries
                .as_ref()
                .ok_or_else(|| project.error_at(span, "missing 'boundaries'"))?;
            method_tail = format!("; area-weighted interpolation from {}", sb.file);
            let crs = sb.crs.as_deref().and_then(Crs::parse);
            let src = load_boundaries(files, &sb.file, crs)?;
            let src_file = files.display_path(&sb.file);
            let mut src_codes = Vec::with_capacity(src.features.len());
            for f in &src.features {
                match f.properties.get(&sb.code) {
                    Some(c) => src_codes.push(c.trim().to_string()),
                    None => {
                        return Err(IngestError::Feature {
                            file: src_file,
                            feature: f.index,
                            code: None,
                            message: format!("no code property '{}'", sb.code),
                        });
                    }
                }
            }
            let targets: Vec<_> = areas.iter().map(|a| &a.geometry).collect();
            let sources: Vec<_> = src.features.iter().map(|f| &f.geometry).collect();
            let mut to: HashMap<String, Vec<(usize, f64, f64)>> =
                src_codes.iter().map(|c| (c.clone(), Vec::new())).collect();
            for o in interpolate::overlaps(&targets, &sources) {
                if let Some(v) = to.get_mut(&src_codes[o.source]) {
                    v.push((o.target, o.area / o.source_area, o.area));
                }
            }
            Routes { to }
        }
        GeographyKind::Points => {
            method_tail = "; points counted per area".into();
            Routes::default()
        }
    };
    let is_points = d.geography == GeographyKind::Points;
    let known = |c: &str| routes.knows(c);
    let unknown_phrase = match d.geography {
        GeographyKind::Lsoa => format!(
            "is not in the boundaries ({})",
            project.spec.boundaries.file
        ),
        GeographyKind::Oa => {
            "is not in the lookup (or its area is not in the boundaries)".to_string()
        }
        GeographyKind::Lookup => "is not reached by the lookup from any boundary area".to_string(),
        _ => "is not in the source boundaries".to_string(),
    };
    let (point, bng) = match (&d.lon, &d.lat, &d.easting, &d.northing) {
        (Some(x), Some(y), _, _) => (Some((x.as_str(), y.as_str())), false),
        (_, _, Some(x), Some(y)) => (Some((x.as_str(), y.as_str())), true),
        _ => (None, false),
    };
    let ex = Extract {
        code: if is_points { None } else { d.code.as_deref() },
        known: &known,
        unknown_phrase: &unknown_phrase,
        unmatched: d.unmatched_rows,
        weight: d.weight.as_deref(),
        point: if is_points { point } else { None },
        unique: !is_points,
        allow_empty: d.allow_empty,
        geography: &project.spec.geography,
    };

    let missing = validate::missing_columns(&table, &kinds, &ex);
    if !missing.is_empty() {
        let shown = table.headers_shown();
        let errs: Vec<IngestError> = missing
            .into_iter()
            .map(|(col, name)| {
                let (sp, what) = match col {
                    Some(i) => (
                        d.columns[i].span(),
                        format!("column '{}': ", d.columns[i].get_ref().id),
                    ),
                    None => (span.clone(), String::new()),
                };
                project.error_at(
                    &sp,
                    format!(
                        "dataset '{}': {what}{} has no column '{name}' (it has: {})",
                        d.name,
                        path.display(),
                        shown
                    ),
                )
            })
            .collect();
        return Err(if errs.len() == 1 {
            errs.into_iter().next().unwrap_or(IngestError::Many(vec![]))
        } else {
            IngestError::Many(errs)
        });
    }

    let mut rows: Rows = validate::extract(&table, &kinds, &ex);
    let mut warnings = Vec::new();
    if !rows.problems.is_empty() {
        let problems = std::mem::take(&mut rows.problems);
        match d.on_invalid {
            Policy::Fail => {
                let mut list = validate::summarise(&path, problems, MAX_PROBLEMS);
                if rows.unmatched > 0 {
                    list.push(unmatched_advice(&path, &d.name, rows.unmatched));
                }
                return Err(IngestError::Many(list));
            }
            Policy::Warn => {
                let n = problems.len();
                warnings.extend(problems.iter().take(20).map(|p| p.to_string()));
                if n > 20 {
                    warnings.push(format!(
                        "{}: ... and {} more problems (values left missing)",
                        path.display(),
                        n - 20
                    ));
                }
            }
        }
    }

    let contribs: Vec<Contrib> = if is_points {
        if bng {
            for p in rows.points.iter_mut() {
                *p = p.map(|(e, n)| super::crs::bng_to_wgs84(e, n));
            }
        }
        let geoms: Vec<_> = areas.iter().map(|a| &a.geometry).collect();
        let mut c: Vec<Contrib> = points::locate(&geoms, &rows.points)
            .into_iter()
            .enumerate()
            .filter_map(|(row, t)| {
                t.map(|target| Contrib {
                    target,
                    row,
                    fraction: 1.0,
                    area_weight: 1.0,
                })
            })
            .collect();
        c.sort_by_key(|c| (c.target, c.row));
        c
    } else {
        routes.contribs(&rows.codes)
    };

    let n = areas.len();
    let mut reached = vec![false; n];
    for c in &contribs {
        reached[c.target] = true;
    }
    let matched = reached.iter().filter(|x| **x).count();
    let missing_sample: Vec<String> = reached
        .iter()
        .enumerate()
        .filter(|(_, r)| !**r)
        .take(5)
        .map(|(i, _)| areas[i].code.to_string())
        .collect();

    let mut columns = Vec::with_capacity(kinds.len());
    for (i, (c, kind)) in d.columns.iter().zip(&kinds).enumerate() {
        let c = c.get_ref();
        let values = aggregate(
            kind,
            &rows.cells[i],
            &rows.weights,
            d.weight.is_some(),
            &contribs,
            n,
            is_points,
        );
        let source = c.source.as_deref().unwrap_or(&d.source);
        let method = match source {
            "" => format!("{}{method_tail}", describe(kind, d.weight.as_deref())),
            s => format!("{s}; {}{method_tail}", describe(kind, d.weight.as_deref())),
        };
        columns.push(Column {
            id: ColumnId(c.id.clone()),
            label: c.label.clone(),
            values,
            source: Source {
                dataset: d.name.clone(),
                file: d.file.clone(),
                vintage: c.vintage.clone().unwrap_or_else(|| d.vintage.clone()),
                method,
                demonstration: d.demonstration,
                measure: measure(kind),
            },
        });
    }
    let coverage = Coverage {
        dataset: d.name.clone(),
        file: d.file.clone(),
        rows: rows.codes.len(),
        ignored_rows: rows.ignored,
        matched,
        missing: n - matched,
        missing_sample,
        columns: columns
            .iter()
            .map(|c| (c.id.to_string(), c.values.present()))
            .collect(),
    };
    Ok(Joined {
        columns,
        coverage,
        warnings,
    })
}

/// What a column measures, for roll-ups (see [`Measure`]).
fn measure(kind: &ColumnKind) -> Measure {
    match kind {
        ColumnKind::Count(_) => Measure::Count,
        ColumnKind::Rate(_, d) => Measure::Rate {
            denominator: d.join(" + "),
        },
        ColumnKind::Value(_) => Measure::Value,
        ColumnKind::Category(_) => Measure::Category,
    }
}

fn describe(kind: &ColumnKind, weight: Option<&str>) -> String {
    match kind {
        ColumnKind::Count(c) if c.iter().any(|x| x == "*") => "count of points".into(),
        ColumnKind::Count(c) => format!("count: {}", c.join(" + ")),
        ColumnKind::Rate(a, b) => format!("rate: ({}) / ({})", a.join(" + "), b.join(" + ")),
        ColumnKind::Value(v) => match weight {
            Some(w) => format!("value: {v} (averages weighted by {w})"),
            None => format!("value: {v}"),
        },
        ColumnKind::Category(v) => format!("category: {v}"),
    }
}

/// Combines the contributions to each area into one value per area.
fn aggregate(
    kind: &ColumnKind,
    cells: &[Cell],
    weights: &[Option<f64>],
    weighted: bool,
    contribs: &[Contrib],
    n: usize,
    zero_when_none: bool,
) -> Values {
    let groups = contribs.chunk_by(|a, b| a.target == b.target);
    match kind {
        ColumnKind::Category(_) => {
            let mut out = vec![None; n];
            for g in groups {
                let mut tally: BTreeMap<&str, f64> = BTreeMap::new();
                for c in g {
                    let w = if weighted {
                        weights[c.row].unwrap_or(0.0) * c.fraction
                    } else {
                        c.area_weight
                    };
                    if let Cell::Label(l) = &cells[c.row] {
                        *tally.entry(l.as_str()).or_default() += w;
                    }
                }
                let mut best: Option<(&str, f64)> = None;
                for (l, w) in tally {
                    if best.is_none_or(|(_, bw)| w > bw) {
                        best = Some((l, w));
                    }
                }
                out[g[0].target] = best.map(|(l, _)| l.to_string());
            }
            Values::Category(out)
        }
        _ => {
            let mut out = vec![
                if zero_when_none && matches!(kind, ColumnKind::Count(_)) {
                    Some(0.0)
                } else {
                    None
                };
                n
            ];
            for g in groups {
                let v = match kind {
                    ColumnKind::Count(_) => g.iter().try_fold(0.0, |acc, c| match cells[c.row] {
                        Cell::Num(x) => Some(acc + c.fraction * x),
                        _ => None,
                    }),
                    ColumnKind::Rate(..) => g
                        .iter()
                        .try_fold((0.0, 0.0), |(a, b), c| match cells[c.row] {
                            Cell::Pair(x, y) => Some((a + c.fraction * x, b + c.fraction * y)),
                            _ => None,
                        })
                        .and_then(|(a, b)| (b > 0.0).then(|| a / b)),
                    _ => {
                        let (mut s, mut sw) = (0.0, 0.0);
                        for c in g {
                            if let Cell::Num(x) = cells[c.row] {
                                let w = if weighted {
                                    weights[c.row].unwrap_or(0.0) * c.fraction
                                } else {
                                    c.area_weight
                                };
                                s += w * x;
                                sw += w;
                            }
                        }
                        (sw > 0.0).then(|| s / sw)
                    }
                };
                out[g[0].target] = v.filter(|x| x.is_finite());
            }
            Values::Numeric(out)
        }
    }
}

/// A progress bar over build steps, hidden unless asked for.
struct Progress(ProgressBar);

impl Progress {
    fn new(show: bool, steps: u64) -> Progress {
        let bar = if show {
            let b = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
            {
                b.set_style(style);
            }
            b
        } else {
            ProgressBar::hidden()
        };
        Progress(bar)
    }

    fn step(&self, msg: &str) {
        if self.0.position() > 0 || !self.0.message().is_empty() {
            self.0.inc(1);
        }
        self.0.set_message(msg.to_string());
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Files;

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
        assert_eq!(d.areas[i].ward_name.as_deref(), Some("Aldersgate"));
        assert_eq!(d.areas[i].borough_code, "E09000001");
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
