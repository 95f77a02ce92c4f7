//! The joined, validated table of small areas that every later stage reads.
//!
//! In: nothing but what `ingest` hands over. Out: a [`Dataset`]: one [`Area`]
//! per LSOA (code, name, borough, optional ward, WGS84 geometry), columnar
//! [`Column`]s of joined values each with its [`Source`] and vintage, extra
//! boundary [`Layer`]s (boroughs, wards) and the attribution lines that every
//! published output must carry. [`Dataset::write`] stores it as one artifact
//! (atomically) and [`Dataset::read`] loads and verifies it, so `score`,
//! `index`, `tiles`, `server` and `export` never parse source files again.
//! [`load`] gets a run's dataset from an artifact, a project built on the
//! fly or the embedded default, for the CLI and the server alike.

mod artifact;
mod error;
mod label_point;
mod load;

use std::collections::HashMap;
use std::fmt;

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

pub use artifact::MAX_PAYLOAD_BYTES;
pub use error::DatasetError;
pub use label_point::label_point;
pub use load::{DatasetSource, LoadError, load, project_inputs};

/// A small-area code such as `E01000001` (LSOA 2011) or `E01033583`.
///
/// Codes are kept as given (trimmed); ordering is plain string order, which
/// is how every dataset sorts its areas.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LsoaCode(String);

impl LsoaCode {
    /// Wraps a code, trimming surrounding white space.
    pub fn new(code: impl AsRef<str>) -> Self {
        LsoaCode(code.as_ref().trim().to_string())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LsoaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a joined column, e.g. `aged_65_plus_share`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ColumnId(pub String);

impl ColumnId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ColumnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An administrative unit an area lies in: its local authority (borough)
/// or its ward.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AdminUnit {
    /// Its code, e.g. `E09000007` (a borough) or `E05013658` (a ward).
    pub code: String,
    /// Its published name, e.g. "Camden"; empty where the source gives none.
    pub name: String,
}

impl AdminUnit {
    /// A unit from its code and name.
    pub fn new(code: impl Into<String>, name: impl Into<String>) -> AdminUnit {
        AdminUnit {
            code: code.into(),
            name: name.into(),
        }
    }

    /// What to call it: its name, or its code where it has no name.
    pub fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.code
        } else {
            &self.name
        }
    }
}

/// One small area with its geometry in WGS84 (longitude, latitude).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// The area's code, unique in its dataset.
    pub code: LsoaCode,
    /// Its published name, e.g. "Camden 001A".
    pub name: String,
    /// Its local authority (borough), where the boundaries or a lookup name one.
    pub borough: Option<AdminUnit>,
    /// Its ward, where a ward lookup was joined and lists the area.
    pub ward: Option<AdminUnit>,
    /// Boundary in WGS84 lon/lat, valid and with exterior rings counter-clockwise.
    pub geometry: MultiPolygon<f64>,
}

impl Area {
    /// Its borough's code, where it has one.
    pub fn borough_code(&self) -> Option<&str> {
        self.borough.as_ref().map(|u| u.code.as_str())
    }

    /// Its borough's name, where it has a borough.
    pub fn borough_name(&self) -> Option<&str> {
        self.borough.as_ref().map(|u| u.name.as_str())
    }

    /// Its ward's code, where it has one.
    pub fn ward_code(&self) -> Option<&str> {
        self.ward.as_ref().map(|u| u.code.as_str())
    }

    /// Its ward's name, where it has a ward.
    pub fn ward_name(&self) -> Option<&str> {
        self.ward.as_ref().map(|u| u.name.as_str())
    }
}

/// Where a column's values came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Short dataset name from the project file, e.g. `census2011_qualifications`.
    pub dataset: String,
    /// The file it was read from, as given in the project file.
    pub file: String,
    /// Vintage, e.g. "Census 2011" or "IMD 2019".
    pub vintage: String,
    /// How the value was derived (rate of two columns, OA sum, areal interpolation...).
    pub method: String,
    /// True when the values are not real (demonstration data): every output says so.
    pub demonstration: bool,
    /// What the values measure (from the project file's `count =`, `rate =`,
    /// `value =` or `category =`); it decides how the column rolls up.
    pub measure: Measure,
    /// The unit the project file declares (`unit =`); `None` when it does
    /// not, and then the schema reads one from the label.
    pub unit: Option<Unit>,
}

/// The unit of a column's values, as a project file declares it: what the
/// page, legends and exports print with a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A proportion 0–1 (`share`), shown as a percentage.
    Share,
    /// A percentage 0–100 (`percent`).
    Percent,
    /// A number of people or things (`count`).
    Count,
    /// A number with no unit to name (`none`): a score, a rank.
    Unitless,
}

impl Unit {
    /// The spellings a project file may use, for messages.
    pub const SPELLINGS: &'static str = "share, percent, count or none";

    /// The unit a project file's `unit =` names; `None` for anything else.
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "share" => Some(Unit::Share),
            "percent" => Some(Unit::Percent),
            "count" => Some(Unit::Count),
            "none" => Some(Unit::Unitless),
            _ => None,
        }
    }

    /// The project file's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Share => "share",
            Unit::Percent => "percent",
            Unit::Count => "count",
            Unit::Unitless => "none",
        }
    }
}

/// What a column's values measure, recorded at ingest. Ward and borough
/// roll-ups sum counts and take population-weighted means of the rest, so a
/// column's roll-up follows from what it is, never from its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Measure {
    /// Not recorded (a column built in code): treated as a plain value.
    #[default]
    Unknown,
    /// A head-count (`count =`): summed.
    Count,
    /// A rate or share (`rate =`): population-weighted.
    Rate {
        /// The denominator as the project file names it, e.g. `households_all`.
        denominator: String,
    },
    /// A ready-made value (`value =`): population-weighted.
    Value,
    /// A label (`category =`).
    Category,
}

impl Measure {
    /// The measure's name in metadata.
    pub fn as_str(&self) -> &'static str {
        match self {
            Measure::Unknown => "unknown",
            Measure::Count => "count",
            Measure::Rate { .. } => "rate",
            Measure::Value => "value",
            Measure::Category => "category",
        }
    }
}

/// The values of one column, one entry per area in [`Dataset::areas`] order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Values {
    /// Numbers; `None` is missing (never NaN).
    Numeric(Vec<Option<f64>>),
    /// Labels such as an IUC group; `None` is missing.
    Category(Vec<Option<String>>),
}

impl Values {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) => v.len(),
            Values::Category(v) => v.len(),
        }
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries are present (not missing).
    pub fn present(&self) -> usize {
        match self {
            Values::Numeric(v) => v.iter().filter(|x| x.is_some()).count(),
            Values::Category(v) => v.iter().filter(|x| x.is_some()).count(),
        }
    }
}

/// One joined column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Unique name within the dataset.
    pub id: ColumnId,
    /// Human label for panels and exports.
    pub label: String,
    /// Values, aligned with [`Dataset::areas`].
    pub values: Values,
    /// Provenance.
    pub source: Source,
}

/// A feature of an extra boundary layer (a borough or a ward).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerFeature {
    /// Code, e.g. `E09000007`.
    pub code: String,
    /// Name, e.g. "Camden".
    pub name: String,
    /// Boundary in WGS84.
    pub geometry: MultiPolygon<f64>,
}

/// An extra boundary layer shown for orientation: `boroughs`, `wards`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Layer name as used in tiles.
    pub name: String,
    /// Boundary vintage, e.g. "wards, May 2024"; empty when not known.
    pub vintage: String,
    /// Its features, sorted by code.
    pub features: Vec<LayerFeature>,
}

/// The joined dataset: areas sorted by code, columns aligned with them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// A short title, e.g. "London LSOA 2011".
    pub title: String,
    /// Boundary vintage, e.g. "LSOA 2011".
    pub geography: String,
    /// The areas, sorted by code, codes unique.
    pub areas: Vec<Area>,
    /// Joined columns, in project-file order.
    pub columns: Vec<Column>,
    /// Extra boundary layers (boroughs, wards).
    pub layers: Vec<Layer>,
    /// Attribution lines to print on every published output, de-duplicated, in order.
    pub attribution: Vec<String>,
}

impl Dataset {
    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// True when there are no areas.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// A map from code to position in [`Dataset::areas`].
    pub fn code_index(&self) -> HashMap<&str, usize> {
        self.areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.as_str(), i))
            .collect()
    }

    /// The position of an area by code (binary search: areas are sorted).
    pub fn position(&self, code: &str) -> Option<usize> {
        self.areas
            .binary_search_by(|a| a.code.as_str().cmp(code))
            .ok()
    }

    /// A column by id.
    pub fn column(&self, id: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.id.as_str() == id)
    }

    /// A numeric column's values by id.
    pub fn numeric(&self, id: &str) -> Option<&[Option<f64>]> {
        match &self.column(id)?.values {
            Values::Numeric(v) => Some(v),
            Values::Category(_) => None,
        }
    }

    /// A layer by name.
    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// True when any column holds demonstration (not real) values.
    pub fn has_demonstration_data(&self) -> bool {
        self.columns.iter().any(|c| c.source.demonstration)
    }

    /// Checks the invariants later stages rely on: sorted unique codes,
    /// columns aligned with areas, unique column ids, no NaN or infinite values.
    pub fn validate(&self) -> Result<(), DatasetError> {
        for w in self.areas.windows(2) {
            if w[0].code >= w[1].code {
                return Err(DatasetError::Invalid(format!(
                    "areas not sorted or duplicated at code {}",
                    w[1].code
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !seen.insert(c.id.as_str()) {
                return Err(DatasetError::Invalid(format!(
                    "duplicate column '{}'",
                    c.id
                )));
            }
            if c.values.len() != self.areas.len() {
                return Err(DatasetError::Invalid(format!(
                    "column '{}' has {} values for {} areas",
                    c.id,
                    c.values.len(),
                    self.areas.len()
                )));
            }
            if let Values::Numeric(v) = &c.values
                && let Some(i) = v.iter().position(|x| x.is_some_and(|x| !x.is_finite()))
            {
                return Err(DatasetError::Invalid(format!(
                    "column '{}' has a non-finite value at area {}",
                    c.id, self.areas[i].code
                )));
            }
        }
        Ok(())
    }
}
