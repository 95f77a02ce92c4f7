//! A methodology as data: a TOML file in, a checked [`Methodology`] out.
//!
//! The file names indicators (dataset columns), their relative weights,
//! direction and transform, groups them into weighted components, and says how
//! components combine into the index, which areas normalise together (scope)
//! and what to do with missing values (the policy, and the least share of
//! the index weight an area needs, `min_coverage`). Every key is checked
//! (`parse`), and so are the columns against a dataset (`check`); errors
//! carry the file, the 1-based line (from toml's spans) and the key path,
//! every problem at once.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::error::ScoreError;
use super::personas::Persona;
use super::{ComponentId, IndicatorId, Scope, ScoreOptions};
use crate::dataset::Dataset;

/// `min_coverage` of a methodology file that does not set it: an area's
/// index needs three quarters of its weight present, overall and in every
/// weighted component (see `methodology/README.md`).
pub const DEFAULT_MIN_COVERAGE: f64 = 0.75;

fn default_min_coverage() -> f64 {
    DEFAULT_MIN_COVERAGE
}

/// How raw values become 0–10 scores within a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// `10 × (x − min) / (max − min)`, as DERI.
    Minmax,
    /// `10 × (r − 1) / (n − 1)` with `r` the mid-rank (ties share a rank).
    RankPercentile,
    /// `z` clamped to ±3, mapped linearly: `10 × (z + 3) / 6`.
    Zscore,
    /// English IMD exponential transform of the rank, divided by 10.
    Exponential,
}

impl Transform {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Minmax => "minmax",
            Transform::RankPercentile => "rank_percentile",
            Transform::Zscore => "zscore",
            Transform::Exponential => "exponential",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Transform> {
        Some(match s {
            "minmax" => Transform::Minmax,
            "rank_percentile" => Transform::RankPercentile,
            "zscore" => Transform::Zscore,
            "exponential" => Transform::Exponential,
            _ => return None,
        })
    }
}

/// Which end of an indicator means more risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger raw values score higher.
    HigherIsRisk,
    /// Larger raw values score lower (the score is mirrored).
    LowerIsRisk,
}

impl Direction {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsRisk => "higher_is_risk",
            Direction::LowerIsRisk => "lower_is_risk",
        }
    }
}

/// What happens to an area with missing indicator values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Weighted mean of the present indicators (weights renormalised); the
    /// same for components in the index. All missing gives no score.
    Skip,
    /// Any missing indicator value leaves the area without component and
    /// index scores (its indicator scores are still given).
    ExcludeArea,
}

impl MissingPolicy {
    /// The TOML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingPolicy::Skip => "skip",
            MissingPolicy::ExcludeArea => "exclude_area",
        }
    }
}

/// The final stage after the weighted mean of components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexRescale {
    /// The index is the weighted mean itself (DERI v1.6 published scores).
    None,
    /// The weighted mean min–max rescaled to 0–10 within scope.
    Minmax,
}

/// One indicator of a component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Id, unique in the methodology.
    pub id: IndicatorId,
    /// Human label.
    pub label: String,
    /// The dataset column it reads.
    pub column: String,
    /// Relative weight within its component (normalised by the sum).
    pub weight: f64,
    /// Risk direction.
    pub direction: Direction,
    /// Transform to 0–10.
    pub transform: Transform,
}

/// A component: a weighted mean of indicator scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Id, unique in the methodology.
    pub id: ComponentId,
    /// Human label.
    pub label: String,
    /// Relative weight in the index (normalised by the sum).
    pub weight: f64,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
}

/// Settings of the weight-sensitivity analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivitySettings {
    /// Each weight is multiplied by a uniform draw in `[1 − band, 1 + band]`.
    pub band: f64,
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// Draws when the run asks for sensitivity without a number.
    pub draws: u32,
}

impl Default for SensitivitySettings {
    fn default() -> Self {
        SensitivitySettings {
            band: 0.5,
            seed: 20240214,
            draws: 1000,
        }
    }
}

/// Where each key of the methodology was written, for error messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Origin {
    /// The file as given, or a description ("methodology 'DERI v1.6'").
    pub file: String,
    /// Key path to 1-based line.
    pub lines: BTreeMap<String, usize>,
}

impl Origin {
    /// "file: line N" for a key, or just the file when the key has no line.
    pub fn at(&self, key: &str) -> String {
        match self.lines.get(key) {
            Some(l) => format!("{}: line {l}", self.file),
            None => self.file.clone(),
        }
    }

    pub(crate) fn invalid(&self, key: &str, message: impl Into<String>) -> ScoreError {
        ScoreError::Invalid {
            at: self.at(key),
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// A methodology: indicators, weights, components, normalisation, personas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Methodology {
    /// Short name, e.g. "DERI v1.6".
    pub name: String,
    /// What it is, in a sentence or two.
    pub description: String,
    /// Normalisation scope.
    pub scope: Scope,
    /// How component scores combine after the weighted mean.
    pub index_rescale: IndexRescale,
    /// Missing-data policy.
    pub missing: MissingPolicy,
    /// The least share of weight, 0–1, an area needs present for an index:
    /// of the whole index weight (Σ over present indicators of normalised
    /// component weight × normalised indicator weight), and of its own
    /// indicator weight in every component of positive weight. Below it the
    /// area has no index, rank or decile ("insufficient data").
    #[serde(default = "default_min_coverage")]
    pub min_coverage: f64,
    /// Components in file order.
    pub components: Vec<Component>,
    /// Key groups (persona overlays).
    pub personas: Vec<Persona>,
    /// Sensitivity settings.
    pub sensitivity: SensitivitySettings,
    /// How many drivers to keep per area.
    pub top_drivers: usize,
    /// Key locations for error messages (not serialised).
    #[serde(skip)]
    pub origin: Origin,
}

impl Default for Methodology {
    /// An empty methodology (no components): useful for tests of later
    /// stages; [`score`](super::score) of it gives empty indicator and
    /// component lists and no index.
    fn default() -> Self {
        Methodology {
            name: String::new(),
            description: String::new(),
            scope: Scope::All,
            index_rescale: IndexRescale::None,
            missing: MissingPolicy::Skip,
            min_coverage: DEFAULT_MIN_COVERAGE,
            components: Vec::new(),
            personas: Vec::new(),
            sensitivity: SensitivitySettings::default(),
            top_drivers: 3,
            origin: Origin::default(),
        }
    }
}

impl Methodology {
    /// The methodology as a run with `opts` uses it: its scope replaced by
    /// the run's `--scope`, so what reports the scope (the API, the drivers'
    /// "compared with", downloads' metadata) names the one the scores used.
    pub fn in_force(&self, opts: &ScoreOptions) -> Methodology {
        let mut m = self.clone();
        if let Some(scope) = &opts.scope {
            m.scope = scope.clone();
        }
        m
    }

    /// Parses methodology TOML; `file` names it in errors. A `personas` key is
    /// checked but not followed: the caller reads that file (see
    /// [`Methodology::persona_file`] and `dxmap::methodology_file::load`).
    pub fn parse(text: &str, file: &str) -> Result<Methodology, ScoreError> {
        super::parse::parse(text, file)
    }

    /// The persona file named by a methodology's `personas` key, relative to
    /// the methodology file; read leniently, as [`Methodology::parse`] has
    /// already checked the text.
    pub fn persona_file(text: &str) -> Option<String> {
        let v: toml::Table = toml::from_str(text).ok()?;
        v.get("personas")?.as_str().map(str::to_string)
    }

    /// All indicators in order, with their component's position.
    pub fn indicators(&self) -> impl Iterator<Item = (usize, &Indicator)> {
        self.components
            .iter()
            .enumerate()
            .flat_map(|(c, comp)| comp.indicators.iter().map(move |i| (c, i)))
    }

    /// Checks the methodology against a dataset: every indicator column is a
    /// numeric column of the dataset. Every problem is reported, a missing
    /// column with the dataset's nearest column names.
    pub fn check(&self, dataset: &Dataset) -> Result<(), ScoreError> {
        super::check::columns(self, dataset)
    }

    /// A copy with some weights replaced, by indicator or component id (for
    /// live re-weighting). Unknown ids, negative or non-finite weights, and
    /// all-zero weights are errors naming the id.
    pub fn with_weights(&self, weights: &BTreeMap<String, f64>) -> Result<Methodology, ScoreError> {
        let mut m = self.clone();
        let mut known = BTreeSet::new();
        for comp in &mut m.components {
            if let Some(&w) = weights.get(&comp.id.0) {
                comp.weight = w;
                known.insert(comp.id.0.clone());
            }
            for ind in &mut comp.indicators {
                if let Some(&w) = weights.get(&ind.id.0) {
                    ind.weight = w;
                    known.insert(ind.id.0.clone());
                }
            }
        }
        let opts = Origin {
            file: "options".into(),
            lines: BTreeMap::new(),
        };
        if let Some(k) = weights.keys().find(|k| !known.contains(*k)) {
            return Err(opts.invalid(
                &format!("weights.{k}"),
                "no indicator or component has this id",
            ));
        }
        for (k, &w) in weights {
            if !w.is_finite() || w < 0.0 {
                return Err(opts.invalid(
                    &format!("weights.{k}"),
                    format!("weight {w} is negative or not finite"),
                ));
            }
        }
        ScoreError::all(weight_sum_errors(&m, &opts))?;
        m.origin = opts;
        Ok(m)
    }
}

/// Every all-zero weight set: the components', and each component's
/// indicators'.
pub(super) fn weight_sum_errors(m: &Methodology, origin: &Origin) -> Vec<ScoreError> {
    let mut errs = Vec::new();
    if m.components.iter().all(|c| c.weight == 0.0) {
        errs.push(origin.invalid("component", "all component weights are zero"));
    }
    for (c, comp) in m.components.iter().enumerate() {
        if !comp.indicators.is_empty() && comp.indicators.iter().all(|i| i.weight == 0.0) {
            errs.push(origin.invalid(
                &format!("component[{c}].indicator"),
                format!(
                    "all indicator weights of component '{}' are zero",
                    comp.id.0
                ),
            ));
        }
    }
    errs
}
