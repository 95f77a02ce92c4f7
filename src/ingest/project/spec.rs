//! The project file's schema: the TOML tables and keys a project may use,
//! as serde types (unknown keys rejected) with their defaults, and the
//! column kinds they resolve to.

use serde::Deserialize;
use toml::Spanned;

use super::super::derived::DerivedSpec;
use crate::dataset::Unit;

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
    /// The values' unit: `share` (0–1), `percent` (0–100), `count` or
    /// `none`. Without it a `value` column's unit is read from its label.
    pub unit: Option<String>,
}

/// The unit a column declares (`None` when it declares none), checked
/// against what the column is: a count is a count, a rate a share, and a
/// label has no unit. `what` names the column's kind in the message.
pub fn declared_unit(
    unit: Option<&str>,
    what: &str,
    fits: Option<Unit>,
) -> Result<Option<Unit>, String> {
    let Some(s) = unit else { return Ok(None) };
    let u =
        Unit::parse(s).ok_or_else(|| format!("unknown unit '{s}' (use {})", Unit::SPELLINGS))?;
    match fits {
        Some(f) if f != u => Err(format!(
            "unit '{s}' does not fit a {what}, whose unit is '{}'",
            f.as_str()
        )),
        _ => Ok(Some(u)),
    }
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

    /// The declared unit, checked against the column's kind.
    pub fn unit(&self) -> Result<Option<Unit>, String> {
        let (what, fits) = match self.kind() {
            Some(ColumnKind::Count(_)) => ("count", Some(Unit::Count)),
            Some(ColumnKind::Rate(..)) => ("rate", Some(Unit::Share)),
            Some(ColumnKind::Category(_)) if self.unit.is_some() => {
                return Err("a category column has no unit".into());
            }
            _ => ("value", None),
        };
        declared_unit(self.unit.as_deref(), what, fits)
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
