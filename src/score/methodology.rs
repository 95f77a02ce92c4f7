//! A methodology as data: a TOML file in, a checked [`Methodology`] out.
//!
//! The file names indicators (dataset columns), their relative weights,
//! direction and transform, groups them into weighted components, and says how
//! components combine into the index, which areas normalise together (scope)
//! and what to do with missing values. Every key is checked; errors carry the
//! file, the 1-based line (from toml's spans) and the key path.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::ScoreError;
use super::personas::Persona;
use super::{ComponentId, IndicatorId, Scope};
use crate::dataset::{Dataset, LsoaCode, Values};
use crate::text::line_of;

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

    fn parse(s: &str) -> Option<Transform> {
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
            components: Vec::new(),
            personas: Vec::new(),
            sensitivity: SensitivitySettings::default(),
            top_drivers: 3,
            origin: Origin::default(),
        }
    }
}

impl Methodology {
    /// Parses methodology TOML; `file` names it in errors. A `personas` key is
    /// checked but not followed: the caller reads that file (see
    /// [`Methodology::persona_file`] and `dxmap::methodology_file::load`).
    pub fn parse(text: &str, file: &str) -> Result<Methodology, ScoreError> {
        let raw: RawMethodology = toml::from_str(text).map_err(|e| ScoreError::Parse {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            message: e.message().trim_end_matches('.').to_string(),
        })?;
        resolve(raw, text, file)
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
    /// numeric column of the dataset.
    pub fn check(&self, dataset: &Dataset) -> Result<(), ScoreError> {
        for (c, comp) in self.components.iter().enumerate() {
            for (i, ind) in comp.indicators.iter().enumerate() {
                let key = format!("component[{c}].indicator[{i}].column");
                match dataset.column(&ind.column).map(|col| &col.values) {
                    None => {
                        return Err(self.origin.invalid(
                            &key,
                            format!("column '{}' is not in the dataset", ind.column),
                        ));
                    }
                    Some(Values::Category(_)) => {
                        return Err(self.origin.invalid(
                            &key,
                            format!("column '{}' is a category, not numeric", ind.column),
                        ));
                    }
                    Some(Values::Numeric(_)) => {}
                }
            }
        }
        Ok(())
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
        check_weight_sums(&m, &opts)?;
        m.origin = opts;
        Ok(m)
    }
}

fn check_weight_sums(m: &Methodology, origin: &Origin) -> Result<(), ScoreError> {
    if m.components.iter().all(|c| c.weight == 0.0) {
        return Err(origin.invalid("component", "all component weights are zero"));
    }
    for (c, comp) in m.components.iter().enumerate() {
        if comp.indicators.iter().all(|i| i.weight == 0.0) {
            return Err(origin.invalid(
                &format!("component[{c}].indicator"),
                format!(
                    "all indicator weights of component '{}' are zero",
                    comp.id.0
                ),
            ));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethodology {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    scope: Option<Spanned<toml::Value>>,
    transform: Option<Spanned<String>>,
    missing: Option<Spanned<String>>,
    index: Option<RawIndex>,
    top_drivers: Option<Spanned<i64>>,
    sensitivity: Option<RawSensitivity>,
    #[serde(rename = "personas")]
    _personas: Option<String>,
    #[serde(default)]
    component: Vec<Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    combine: Option<Spanned<String>>,
    rescale: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensitivity {
    band: Option<Spanned<f64>>,
    seed: Option<Spanned<i64>>,
    draws: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    id: Spanned<String>,
    label: Option<String>,
    weight: Spanned<toml::Value>,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    label: Option<String>,
    column: Option<Spanned<String>>,
    weight: Spanned<toml::Value>,
    direction: Option<Spanned<String>>,
    transform: Option<Spanned<String>>,
    /// Free text kept for readers of the file (source, proxy reasoning).
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

fn resolve(raw: RawMethodology, text: &str, file: &str) -> Result<Methodology, ScoreError> {
    let mut origin = Origin {
        file: file.to_string(),
        lines: BTreeMap::new(),
    };
    let mut mark = |key: &str, span: std::ops::Range<usize>| {
        origin
            .lines
            .insert(key.to_string(), line_of(text, span.start));
    };
    mark("name", raw.name.span());
    if let Some(s) = &raw.scope {
        mark("scope", s.span());
    }
    if let Some(s) = &raw.transform {
        mark("transform", s.span());
    }
    if let Some(s) = &raw.missing {
        mark("missing", s.span());
    }
    if let Some(s) = &raw.top_drivers {
        mark("top_drivers", s.span());
    }
    if let Some(first) = raw.component.first() {
        mark("component", first.span());
    }
    if let Some(ix) = &raw.index {
        if let Some(s) = &ix.combine {
            mark("index.combine", s.span());
        }
        if let Some(s) = &ix.rescale {
            mark("index.rescale", s.span());
        }
    }
    if let Some(se) = &raw.sensitivity {
        if let Some(s) = &se.band {
            mark("sensitivity.band", s.span());
        }
        if let Some(s) = &se.seed {
            mark("sensitivity.seed", s.span());
        }
        if let Some(s) = &se.draws {
            mark("sensitivity.draws", s.span());
        }
    }
    for (c, comp) in raw.component.iter().enumerate() {
        let comp = comp.get_ref();
        mark(&format!("component[{c}].id"), comp.id.span());
        mark(&format!("component[{c}].weight"), comp.weight.span());
        if let Some(first) = comp.indicator.first() {
            mark(&format!("component[{c}].indicator"), first.span());
        }
        for (i, ind) in comp.indicator.iter().enumerate() {
            let ind = ind.get_ref();
            let p = format!("component[{c}].indicator[{i}]");
            mark(&format!("{p}.id"), ind.id.span());
            mark(&format!("{p}.weight"), ind.weight.span());
            if let Some(s) = &ind.column {
                mark(&format!("{p}.column"), s.span());
            } else {
                mark(&format!("{p}.column"), ind.id.span());
            }
            if let Some(s) = &ind.direction {
                mark(&format!("{p}.direction"), s.span());
            }
            if let Some(s) = &ind.transform {
                mark(&format!("{p}.transform"), s.span());
            }
        }
    }

    let name = raw.name.into_inner();
    if name.trim().is_empty() {
        return Err(origin.invalid("name", "name is empty"));
    }
    let scope = match &raw.scope {
        None => Scope::All,
        Some(s) => parse_scope(s.get_ref(), &origin)?,
    };
    let default_transform = match &raw.transform {
        None => Transform::Minmax,
        Some(t) => parse_transform(t.get_ref(), "transform", &origin)?,
    };
    let missing = match raw.missing.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("skip") => MissingPolicy::Skip,
        Some("exclude_area") => MissingPolicy::ExcludeArea,
        Some(other) => {
            return Err(origin.invalid(
                "missing",
                format!("unknown missing-data policy '{other}' (expected skip or exclude_area)"),
            ));
        }
    };
    let mut index_rescale = IndexRescale::None;
    if let Some(ix) = &raw.index {
        if let Some(c) = &ix.combine
            && c.get_ref() != "weighted_mean"
        {
            return Err(origin.invalid(
                "index.combine",
                format!(
                    "unknown combination '{}' (expected weighted_mean)",
                    c.get_ref()
                ),
            ));
        }
        if let Some(r) = &ix.rescale {
            index_rescale = match r.get_ref().as_str() {
                "none" => IndexRescale::None,
                "minmax" => IndexRescale::Minmax,
                other => {
                    return Err(origin.invalid(
                        "index.rescale",
                        format!("unknown rescale '{other}' (expected none or minmax)"),
                    ));
                }
            };
        }
    }
    let top_drivers = match &raw.top_drivers {
        None => 3,
        Some(n) if (0..=100).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            return Err(origin.invalid("top_drivers", format!("{} is not in 0..=100", n.get_ref())));
        }
    };
    let mut sensitivity = SensitivitySettings::default();
    if let Some(se) = &raw.sensitivity {
        if let Some(b) = &se.band {
            let b = *b.get_ref();
            if !(0.0..1.0).contains(&b) {
                return Err(
                    origin.invalid("sensitivity.band", format!("band {b} is not in [0, 1)"))
                );
            }
            sensitivity.band = b;
        }
        if let Some(s) = &se.seed {
            sensitivity.seed = *s.get_ref() as u64;
        }
        if let Some(d) = &se.draws {
            let d = *d.get_ref();
            if !(1..=1_000_000).contains(&d) {
                return Err(
                    origin.invalid("sensitivity.draws", format!("{d} is not in 1..=1000000"))
                );
            }
            sensitivity.draws = d as u32;
        }
    }

    if raw.component.is_empty() {
        return Err(origin.invalid("component", "the methodology has no components"));
    }
    let mut ids = BTreeSet::new();
    let mut components = Vec::new();
    for (c, comp) in raw.component.into_iter().enumerate() {
        let comp = comp.into_inner();
        let p = format!("component[{c}]");
        let id = comp.id.into_inner();
        if !ids.insert(id.clone()) {
            return Err(origin.invalid(&format!("{p}.id"), format!("id '{id}' is used twice")));
        }
        let weight = parse_weight(comp.weight.get_ref(), &format!("{p}.weight"), &origin)?;
        if comp.indicator.is_empty() {
            return Err(origin.invalid(
                &format!("{p}.id"),
                format!("component '{id}' has no indicators"),
            ));
        }
        let mut indicators = Vec::new();
        for (i, ind) in comp.indicator.into_iter().enumerate() {
            let ind = ind.into_inner();
            let q = format!("{p}.indicator[{i}]");
            let iid = ind.id.into_inner();
            if !ids.insert(iid.clone()) {
                return Err(origin.invalid(&format!("{q}.id"), format!("id '{iid}' is used twice")));
            }
            let weight = parse_weight(ind.weight.get_ref(), &format!("{q}.weight"), &origin)?;
            let direction = match ind.direction.as_ref().map(|d| d.get_ref().as_str()) {
                None | Some("higher_is_risk") => Direction::HigherIsRisk,
                Some("lower_is_risk") => Direction::LowerIsRisk,
                Some(other) => {
                    return Err(origin.invalid(
                        &format!("{q}.direction"),
                        format!(
                            "unknown direction '{other}' (expected higher_is_risk or lower_is_risk)"
                        ),
                    ));
                }
            };
            let transform = match &ind.transform {
                None => default_transform,
                Some(t) => parse_transform(t.get_ref(), &format!("{q}.transform"), &origin)?,
            };
            let column = ind
                .column
                .map(Spanned::into_inner)
                .unwrap_or_else(|| iid.clone());
            indicators.push(Indicator {
                label: ind.label.unwrap_or_else(|| iid.clone()),
                id: IndicatorId(iid),
                column,
                weight,
                direction,
                transform,
            });
        }
        components.push(Component {
            label: comp.label.unwrap_or_else(|| id.clone()),
            id: ComponentId(id),
            weight,
            indicators,
        });
    }
    let m = Methodology {
        name,
        description: raw.description,
        scope,
        index_rescale,
        missing,
        components,
        personas: Vec::new(),
        sensitivity,
        top_drivers,
        origin,
    };
    check_weight_sums(&m, &m.origin)?;
    Ok(m)
}

fn parse_transform(s: &str, key: &str, origin: &Origin) -> Result<Transform, ScoreError> {
    Transform::parse(s).ok_or_else(|| {
        origin.invalid(
            key,
            format!(
                "unknown transform '{s}' (expected minmax, rank_percentile, zscore or exponential)"
            ),
        )
    })
}

fn parse_weight(v: &toml::Value, key: &str, origin: &Origin) -> Result<f64, ScoreError> {
    let w = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => {
            return Err(origin.invalid(
                key,
                format!("weight must be a number, not {}", other.type_str()),
            ));
        }
    };
    if !w.is_finite() || w < 0.0 {
        return Err(origin.invalid(key, format!("weight {w} is negative or not finite")));
    }
    Ok(w)
}

fn parse_scope(v: &toml::Value, origin: &Origin) -> Result<Scope, ScoreError> {
    match v {
        toml::Value::String(s) => match s.as_str() {
            "local_authority" => Ok(Scope::LocalAuthority),
            "nation" => Ok(Scope::Nation),
            "all" => Ok(Scope::All),
            other => Err(origin.invalid(
                "scope",
                format!("unknown scope '{other}' (expected local_authority, nation, all or {{ codes = [...] }})"),
            )),
        },
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "codes") {
                return Err(origin.invalid("scope", format!("unknown key '{k}' (expected codes)")));
            }
            let Some(toml::Value::Array(codes)) = t.get("codes") else {
                return Err(origin.invalid("scope", "a custom scope needs codes = [...]"));
            };
            let mut out = Vec::new();
            for c in codes {
                match c.as_str() {
                    Some(s) => out.push(LsoaCode::new(s)),
                    None => return Err(origin.invalid("scope", "codes must be strings")),
                }
            }
            if out.is_empty() {
                return Err(origin.invalid("scope", "the scope has no areas"));
            }
            Ok(Scope::Custom(out))
        }
        other => Err(origin.invalid("scope", format!("scope must be a string or a table, not {}", other.type_str()))),
    }
}
