//! Project files: the TOML that names a build's boundaries and tables.
//!
//! In: the text of a project file and where its files live ([`Files`]).
//! Out: a [`Project`], the parsed and checked specification that
//! [`crate::ingest::build()`] follows. Unknown keys are rejected, and every
//! error names the project file, the line and the key. Paths inside a project
//! file are relative to the project file.
//!
//! ```toml
//! title = "London LSOA 2011"
//! geography = "LSOA 2011"
//! attribution = ["Source: Office for National Statistics licensed under the Open Government Licence v3.0."]
//!
//! [boundaries]
//! file = "boundaries/london_lsoa11.geojson"
//! code = "LSOA11CD"
//! name = "LSOA11NM"
//! borough = { name_prefix = "london" }
//!
//! [[dataset]]
//! name = "census2011_qualifications"
//! file = "census/qualifications.csv"
//! code = "LSOA11CD"
//! vintage = "Census 2011"
//! unmatched_rows = "ignore"
//! column = [
//!   { id = "no_qualifications", label = "No qualifications", rate = { numerator = "no_qualifications", denominator = "residents_16plus" } },
//! ]
//! ```

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::IngestError;
use super::boundaries::Crs;
use super::derived::DerivedSpec;
use super::files::Files;
use crate::text::line_of;

/// One column name, or several whose values are summed.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Cols {
    /// A single column.
    One(String),
    /// Columns summed.
    Many(Vec<String>),
}

impl Cols {
    /// The column names.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Cols::One(s) => vec![s.as_str()],
            Cols::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A rate: the sum of the numerator columns over the sum of the denominator columns.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    /// Numerator column(s).
    pub numerator: Cols,
    /// Denominator column(s).
    pub denominator: Cols,
}

/// How a boundary area's borough is found.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoroughSpec {
    /// Boundary property holding the borough code.
    pub code_field: Option<String>,
    /// Boundary property holding the borough name.
    pub name_field: Option<String>,
    /// `"london"`: the area name's prefix ("Camden 001A" → Camden) names one
    /// of the 33 London boroughs, E09000001–E09000033.
    pub name_prefix: Option<String>,
    /// A lookup table from area code to borough code and name.
    pub lookup: Option<AreaLookupSpec>,
}

/// A table giving each boundary area a containing unit (ward, borough).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AreaLookupSpec {
    /// The CSV file.
    pub file: String,
    /// Column holding the boundary area code.
    pub code: String,
    /// Column holding the unit's code.
    pub unit_code: String,
    /// Column holding the unit's name.
    pub unit_name: String,
    /// The units' boundary vintage, e.g. "wards, May 2024"; when absent, read
    /// from an ONS code column name such as `WD17CD` ("wards 2017").
    pub vintage: Option<String>,
}

/// The boundary file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoundarySpec {
    /// GeoJSON (optionally .gz) or Shapefile.
    pub file: String,
    /// Property holding the area code.
    pub code: String,
    /// Property holding the area name.
    pub name: String,
    /// The CRS, when the file does not say ("EPSG:27700", "EPSG:4326").
    pub crs: Option<String>,
    /// How to find each area's borough.
    pub borough: Option<BoroughSpec>,
}

/// How a table's rows reach the boundary areas.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GeographyKind {
    /// Rows are keyed by the boundary areas' own codes.
    #[default]
    Lsoa,
    /// Rows are output areas, aggregated through a lookup (OA → LSOA).
    Oa,
    /// Rows are another vintage, each boundary area takes its best-fit unit's values.
    Lookup,
    /// Rows are polygons of another geography, interpolated by area.
    Interpolate,
    /// Rows are points, counted per area.
    Points,
}

/// A code-to-code lookup table.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LookupSpec {
    /// The CSV file.
    pub file: String,
    /// Column with the table's codes (OA, or the other vintage).
    pub from: String,
    /// Column with the boundary areas' codes.
    pub to: String,
}

/// Polygons of the table's geography, for areal interpolation.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceBoundarySpec {
    /// GeoJSON (optionally .gz) or Shapefile.
    pub file: String,
    /// Property holding the code that the table's code column matches.
    pub code: String,
    /// The CRS, when the file does not say.
    pub crs: Option<String>,
}

/// What to do with a problem in a table.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Stop the build, reporting every problem.
    #[default]
    Fail,
    /// Report the problem as a warning and leave the value missing.
    Warn,
}

/// What to do with rows whose code is not among the boundary (or lookup) codes.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    /// A problem, handled by the dataset's [`Policy`].
    #[default]
    Report,
    /// Counted and skipped (a national table joined onto a region).
    Ignore,
}

/// One output column.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column id in the dataset, unique.
    pub id: String,
    /// Human label.
    pub label: String,
    /// A count (sum of columns; `"*"` counts rows, for points).
    pub count: Option<Cols>,
    /// A rate of two counts.
    pub rate: Option<RateSpec>,
    /// A ready-made value (averaged, weighted by the dataset's `weight`, when aggregated).
    pub value: Option<String>,
    /// A label (the most common, by weight, when aggregated).
    pub category: Option<String>,
    /// Overrides the dataset's vintage for this column.
    pub vintage: Option<String>,
    /// Overrides the dataset's source description for this column.
    pub source: Option<String>,
}

/// The kind of a column, resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnKind {
    /// Sum of these columns.
    Count(Vec<String>),
    /// Sum over sum.
    Rate(Vec<String>, Vec<String>),
    /// A ready-made number.
    Value(String),
    /// A label.
    Category(String),
}

impl ColumnSpec {
    /// The resolved kind; `None` unless exactly one kind is given.
    pub fn kind(&self) -> Option<ColumnKind> {
        let own = |c: &Cols| c.names().iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let kinds = [
            self.count.as_ref().map(|c| ColumnKind::Count(own(c))),
            self.rate
                .as_ref()
                .map(|r| ColumnKind::Rate(own(&r.numerator), own(&r.denominator))),
            self.value.clone().map(ColumnKind::Value),
            self.category.clone().map(ColumnKind::Category),
        ];
        let mut given = kinds.into_iter().flatten();
        let first = given.next()?;
        given.next().is_none().then_some(first)
    }
}

/// One table to join.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Short name, e.g. `census2011_qualifications`.
    pub name: String,
    /// The CSV file.
    pub file: String,
    /// Column holding the row's code (not needed for points).
    pub code: Option<String>,
    /// How rows reach the boundary areas.
    #[serde(default)]
    pub geography: GeographyKind,
    /// For `oa` and `lookup`: the code lookup.
    pub lookup: Option<LookupSpec>,
    /// For `interpolate`: the source polygons.
    pub boundaries: Option<SourceBoundarySpec>,
    /// Weight column for averaging `value` columns and choosing categories.
    pub weight: Option<String>,
    /// For `points`: longitude and latitude columns.
    pub lon: Option<String>,
    /// For `points`: latitude column.
    pub lat: Option<String>,
    /// For `points`: British National Grid easting column.
    pub easting: Option<String>,
    /// For `points`: British National Grid northing column.
    pub northing: Option<String>,
    /// Vintage, e.g. "Census 2011".
    pub vintage: String,
    /// Source description, e.g. "ONS Census 2011 KS501EW".
    #[serde(default)]
    pub source: String,
    /// Attribution lines this table needs.
    #[serde(default)]
    pub attribution: Vec<String>,
    /// Bad values: fail the build or warn and leave missing.
    #[serde(default)]
    pub on_invalid: Policy,
    /// Rows whose code matches no area.
    #[serde(default)]
    pub unmatched_rows: Unmatched,
    /// True when the values are not real.
    #[serde(default)]
    pub demonstration: bool,
    /// Empty cells are missing data, not problems (a table with known gaps).
    #[serde(default)]
    pub allow_empty: bool,
    /// The output columns.
    #[serde(rename = "column")]
    pub columns: Vec<Spanned<ColumnSpec>>,
}

/// The whole project file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Dataset title.
    pub title: String,
    /// Boundary vintage, e.g. "LSOA 2011".
    #[serde(default = "default_geography")]
    pub geography: String,
    /// Attribution lines for the boundaries and the project as a whole.
    #[serde(default)]
    pub attribution: Vec<String>,
    /// The boundary file.
    pub boundaries: BoundarySpec,
    /// Optional ward lookup (area code → ward code and name).
    pub wards: Option<AreaLookupSpec>,
    /// Whether to dissolve areas into a `boroughs` (and `wards`) layer.
    #[serde(default = "yes")]
    pub layers: bool,
    /// The tables.
    #[serde(default, rename = "dataset")]
    pub datasets: Vec<Spanned<DatasetSpec>>,
    /// Columns computed across tables, after every table is joined.
    #[serde(default)]
    pub derived: Vec<Spanned<DerivedSpec>>,
}

fn default_geography() -> String {
    "LSOA".to_string()
}

fn yes() -> bool {
    true
}

/// Largest project file read: they are a few kilobytes of TOML.
pub const MAX_PROJECT_BYTES: u64 = 1 << 20;

/// A parsed, checked project.
#[derive(Clone, Debug)]
pub struct Project {
    /// The project file (for messages).
    pub path: PathBuf,
    /// Where its files come from.
    pub files: Files,
    /// The specification.
    pub spec: ProjectSpec,
    text: String,
}

impl Project {
    /// Reads a project file from disk; its files are resolved beside it.
    pub fn load(path: &Path) -> Result<Project, IngestError> {
        let io = |source| IngestError::Io {
            file: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        crate::file_checks::open_input(path)
            .and_then(|f| f.take(MAX_PROJECT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_PROJECT_BYTES {
            return Err(IngestError::File {
                file: path.to_path_buf(),
                message: format!(
                    "larger than {MAX_PROJECT_BYTES} bytes; a project file is a short TOML file naming the data files"
                ),
            });
        }
        let text = super::gzip::utf8_text(path, bytes)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Project::parse(&text, path, Files::Dir(dir))
    }

    /// Parses project text; `path` names it in messages.
    pub fn parse(text: &str, path: &Path, files: Files) -> Result<Project, IngestError> {
        let spec: ProjectSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            IngestError::Row {
                file: path.to_path_buf(),
                line,
                message: e.message().trim().to_string(),
            }
        })?;
        let project = Project {
            path: path.to_path_buf(),
            files,
            spec,
            text: text.to_string(),
        };
        project.check()?;
        Ok(project)
    }

    /// The 1-based line of a byte span in the project file.
    pub fn line(&self, span: &Range<usize>) -> usize {
        line_of(&self.text, span.start)
    }

    /// An error at a place in the project file.
    pub fn error_at(&self, span: &Range<usize>, message: impl Into<String>) -> IngestError {
        IngestError::Row {
            file: self.path.clone(),
            line: self.line(span),
            message: message.into(),
        }
    }

    /// The stated boundary CRS, parsed.
    pub fn boundary_crs(&self) -> Result<Option<Crs>, IngestError> {
        match &self.spec.boundaries.crs {
            None => Ok(None),
            Some(s) => Crs::parse(s).map(Some).ok_or_else(|| IngestError::File {
                file: self.path.clone(),
                message: format!("boundaries.crs: unknown CRS '{s}' (use e.g. EPSG:27700)"),
            }),
        }
    }

    fn check(&self) -> Result<(), IngestError> {
        let mut problems = Vec::new();
        let mut ids = std::collections::BTreeMap::new();
        let b = &self.spec.boundaries;
        if let Some(c) = &b.crs
            && Crs::parse(c).is_none()
        {
            problems.push(IngestError::File {
                file: self.path.clone(),
                message: format!("boundaries.crs: unknown CRS '{c}' (use e.g. EPSG:27700)"),
            });
        }
        if let Some(p) = b.borough.as_ref().and_then(|bo| bo.name_prefix.as_ref())
            && p != "london"
        {
            problems.push(IngestError::File {
                file: self.path.clone(),
                message: format!(
                    "boundaries.borough.name_prefix: unknown table '{p}' (only \"london\")"
                ),
            });
        }
        for d in &self.spec.datasets {
            let span = d.span();
            let d = d.get_ref();
            let at = |m: String| self.error_at(&span, format!("dataset '{}': {m}", d.name));
            match d.geography {
                GeographyKind::Oa | GeographyKind::Lookup if d.lookup.is_none() => {
                    problems.push(at("geography needs a 'lookup' table".into()))
                }
                GeographyKind::Interpolate if d.boundaries.is_none() => {
                    problems.push(at("geography 'interpolate' needs 'boundaries'".into()))
                }
                GeographyKind::Points => {
                    let ll = d.lon.is_some() && d.lat.is_some();
                    let en = d.easting.is_some() && d.northing.is_some();
                    if !(ll || en) {
                        problems.push(at(
                            "geography 'points' needs 'lon' and 'lat', or 'easting' and 'northing'"
                                .into(),
                        ));
                    }
                }
                _ => {}
            }
            if d.geography != GeographyKind::Points && d.code.is_none() {
                problems.push(at(
                    "missing key 'code' (the column holding area codes)".into()
                ));
            }
            if let Some(c) = d.boundaries.as_ref().and_then(|b| b.crs.as_ref())
                && Crs::parse(c).is_none()
            {
                problems.push(at(format!("boundaries.crs: unknown CRS '{c}'")));
            }
            if d.columns.is_empty() {
                problems.push(at("no 'column' entries".into()));
            }
            for c in &d.columns {
                let cspan = c.span();
                let c = c.get_ref();
                let at = |m: String| {
                    self.error_at(
                        &cspan,
                        format!("dataset '{}': column '{}': {m}", d.name, c.id),
                    )
                };
                if c.kind().is_none() {
                    problems.push(at(
                        "give exactly one of 'count', 'rate', 'value' or 'category'".into(),
                    ));
                }
                if let Some(ColumnKind::Count(cols)) = c.kind()
                    && cols.iter().any(|c| c == "*")
                    && d.geography != GeographyKind::Points
                {
                    problems.push(at("count = \"*\" (count rows) is only for points".into()));
                }
                let numeric = !matches!(c.kind(), Some(ColumnKind::Category(_)));
                if ids.insert(c.id.clone(), numeric).is_some() {
                    problems.push(at("duplicate column id".into()));
                }
            }
        }
        super::derived::check(self, &mut ids, &mut problems);
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems.remove(0)),
            _ => Err(IngestError::Many(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "T"
[boundaries]
file = "b.geojson"
code = "LSOA11CD"
name = "LSOA11NM"
borough = { name_prefix = "london" }

[[dataset]]
name = "q"
file = "q.csv"
code = "LSOA11CD"
vintage = "Census 2011"
column = [
  { id = "noq", label = "No quals", rate = { numerator = "a", denominator = ["b", "c"] } },
  { id = "grp", label = "Group", category = "GRP_LABEL" },
]
"#;

    fn parse(text: &str) -> Result<Project, IngestError> {
        Project::parse(text, Path::new("p.toml"), Files::Dir(PathBuf::new()))
    }

    #[test]
    fn parses_columns_and_kinds() {
        let p = parse(GOOD).unwrap();
        let d = p.spec.datasets[0].get_ref();
        assert_eq!(
            d.columns[0].get_ref().kind(),
            Some(ColumnKind::Rate(
                vec!["a".into()],
                vec!["b".into(), "c".into()]
            ))
        );
        assert_eq!(p.line(&d.columns[1].span()), 16);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = GOOD.replace("vintage = \"Census 2011\"", "vintage = \"x\"\ncolour = 1");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.starts_with("p.toml: line 14:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn two_kinds_in_one_column_is_an_error_at_its_line() {
        let text = GOOD.replace(
            "category = \"GRP_LABEL\"",
            "category = \"G\", value = \"v\"",
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("p.toml: line 16: dataset 'q': column 'grp'"),
            "{e}"
        );
    }

    #[test]
    fn crs_spellings() {
        assert_eq!(Crs::parse("EPSG:27700"), Some(Crs::BritishNationalGrid));
        assert_eq!(Crs::parse("crs84"), Some(Crs::Wgs84));
        assert_eq!(Crs::parse("EPSG:3857"), Some(Crs::Epsg(3857)));
        assert_eq!(Crs::parse("nonsense"), None);
    }
}
