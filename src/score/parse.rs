//! Methodology TOML to a checked [`Methodology`]: the text in, the
//! methodology or every problem with it out.
//!
//! Parsing is serde's (unknown keys are refused there, with their line);
//! each value is then resolved and checked here. Every problem is
//! collected, each naming the file, the 1-based line and the key path, so
//! one run lists everything to fix ([`ScoreError::all`]). The work is linear
//! in the size of the file: line numbers come from one [`LineIndex`] and ids
//! are checked for duplicates in a hash set.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::error::ScoreError;
use super::methodology::{
    Component, DEFAULT_MIN_COVERAGE, Direction, IndexRescale, Indicator, Methodology,
    MissingPolicy, Origin, SensitivitySettings, Transform, weight_sum_errors,
};
use super::{ComponentId, IndicatorId, Scope};
use crate::dataset::LsoaCode;
use crate::text::LineIndex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMethodology {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    scope: Option<Spanned<toml::Value>>,
    transform: Option<Spanned<String>>,
    missing: Option<Spanned<String>>,
    min_coverage: Option<Spanned<toml::Value>>,
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

/// Parses methodology TOML; `file` names it in errors.
pub(super) fn parse(text: &str, file: &str) -> Result<Methodology, ScoreError> {
    let lines = LineIndex::new(text);
    let raw: RawMethodology = toml::from_str(text).map_err(|e| ScoreError::Parse {
        file: file.to_string(),
        line: e.span().map(|s| lines.line(s.start)).unwrap_or(1),
        message: e.message().trim_end_matches('.').to_string(),
    })?;
    resolve(raw, &lines, file)
}

/// Where every key was written.
fn origin_of(raw: &RawMethodology, lines: &LineIndex, file: &str) -> Origin {
    let mut origin = Origin {
        file: file.to_string(),
        lines: BTreeMap::new(),
    };
    let mut mark = |key: String, span: std::ops::Range<usize>| {
        origin.lines.insert(key, lines.line(span.start));
    };
    mark("name".into(), raw.name.span());
    let top = [
        ("scope", raw.scope.as_ref().map(Spanned::span)),
        ("transform", raw.transform.as_ref().map(Spanned::span)),
        ("missing", raw.missing.as_ref().map(Spanned::span)),
        ("min_coverage", raw.min_coverage.as_ref().map(Spanned::span)),
        ("top_drivers", raw.top_drivers.as_ref().map(Spanned::span)),
        ("component", raw.component.first().map(Spanned::span)),
    ];
    for (key, span) in top {
        if let Some(span) = span {
            mark(key.into(), span);
        }
    }
    if let Some(ix) = &raw.index {
        if let Some(s) = &ix.combine {
            mark("index.combine".into(), s.span());
        }
        if let Some(s) = &ix.rescale {
            mark("index.rescale".into(), s.span());
        }
    }
    if let Some(se) = &raw.sensitivity {
        if let Some(s) = &se.band {
            mark("sensitivity.band".into(), s.span());
        }
        if let Some(s) = &se.seed {
            mark("sensitivity.seed".into(), s.span());
        }
        if let Some(s) = &se.draws {
            mark("sensitivity.draws".into(), s.span());
        }
    }
    for (c, comp) in raw.component.iter().enumerate() {
        let comp = comp.get_ref();
        mark(format!("component[{c}].id"), comp.id.span());
        mark(format!("component[{c}].weight"), comp.weight.span());
        if let Some(first) = comp.indicator.first() {
            mark(format!("component[{c}].indicator"), first.span());
        }
        for (i, ind) in comp.indicator.iter().enumerate() {
            let ind = ind.get_ref();
            let p = format!("component[{c}].indicator[{i}]");
            mark(format!("{p}.id"), ind.id.span());
            mark(format!("{p}.weight"), ind.weight.span());
            let column = ind.column.as_ref().map_or(ind.id.span(), Spanned::span);
            mark(format!("{p}.column"), column);
            if let Some(s) = &ind.direction {
                mark(format!("{p}.direction"), s.span());
            }
            if let Some(s) = &ind.transform {
                mark(format!("{p}.transform"), s.span());
            }
        }
    }
    origin
}

/// Resolves and checks every value, collecting every problem.
fn resolve(raw: RawMethodology, lines: &LineIndex, file: &str) -> Result<Methodology, ScoreError> {
    let origin = origin_of(&raw, lines, file);
    let mut errs = Vec::new();
    let name = raw.name.into_inner();
    if name.trim().is_empty() {
        errs.push(origin.invalid("name", "name is empty"));
    }
    let scope = match &raw.scope {
        None => Scope::All,
        Some(s) => parse_scope(s.get_ref(), &origin).unwrap_or_else(|e| {
            errs.push(e);
            Scope::All
        }),
    };
    let default_transform = match &raw.transform {
        None => Transform::Minmax,
        Some(t) => parse_transform(t.get_ref(), "transform", &origin).unwrap_or_else(|e| {
            errs.push(e);
            Transform::Minmax
        }),
    };
    let missing = match raw.missing.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("skip") => MissingPolicy::Skip,
        Some("exclude_area") => MissingPolicy::ExcludeArea,
        Some(other) => {
            errs.push(origin.invalid(
                "missing",
                format!("unknown missing-data policy '{other}' (expected skip or exclude_area)"),
            ));
            MissingPolicy::Skip
        }
    };
    let min_coverage = match &raw.min_coverage {
        None => DEFAULT_MIN_COVERAGE,
        Some(v) => parse_min_coverage(v.get_ref(), &origin).unwrap_or_else(|e| {
            errs.push(e);
            DEFAULT_MIN_COVERAGE
        }),
    };
    let mut index_rescale = IndexRescale::None;
    if let Some(ix) = &raw.index {
        if let Some(c) = &ix.combine
            && c.get_ref() != "weighted_mean"
        {
            errs.push(origin.invalid(
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
                    errs.push(origin.invalid(
                        "index.rescale",
                        format!("unknown rescale '{other}' (expected none or minmax)"),
                    ));
                    IndexRescale::None
                }
            };
        }
    }
    let top_drivers = match &raw.top_drivers {
        None => 3,
        Some(n) if (0..=100).contains(n.get_ref()) => *n.get_ref() as usize,
        Some(n) => {
            errs.push(origin.invalid("top_drivers", format!("{} is not in 0..=100", n.get_ref())));
            3
        }
    };
    let sensitivity = sensitivity(raw.sensitivity.as_ref(), &origin, &mut errs);

    if raw.component.is_empty() {
        errs.push(origin.invalid("component", "the methodology has no components"));
    }
    let mut ids = HashSet::new();
    let mut components = Vec::with_capacity(raw.component.len());
    for (c, comp) in raw.component.into_iter().enumerate() {
        let comp = comp.into_inner();
        let p = format!("component[{c}]");
        let id = comp.id.into_inner();
        if !ids.insert(id.clone()) {
            errs.push(origin.invalid(&format!("{p}.id"), format!("id '{id}' is used twice")));
        }
        let weight = weight_or_one(
            comp.weight.get_ref(),
            &format!("{p}.weight"),
            &origin,
            &mut errs,
        );
        if comp.indicator.is_empty() {
            errs.push(origin.invalid(
                &format!("{p}.id"),
                format!("component '{id}' has no indicators"),
            ));
        }
        let mut indicators = Vec::with_capacity(comp.indicator.len());
        for (i, ind) in comp.indicator.into_iter().enumerate() {
            let ind = ind.into_inner();
            let q = format!("{p}.indicator[{i}]");
            let iid = ind.id.into_inner();
            if !ids.insert(iid.clone()) {
                errs.push(origin.invalid(&format!("{q}.id"), format!("id '{iid}' is used twice")));
            }
            let weight = weight_or_one(
                ind.weight.get_ref(),
                &format!("{q}.weight"),
                &origin,
                &mut errs,
            );
            let direction = match ind.direction.as_ref().map(|d| d.get_ref().as_str()) {
                None | Some("higher_is_risk") => Direction::HigherIsRisk,
                Some("lower_is_risk") => Direction::LowerIsRisk,
                Some(other) => {
                    errs.push(origin.invalid(
                        &format!("{q}.direction"),
                        format!(
                            "unknown direction '{other}' (expected higher_is_risk or lower_is_risk)"
                        ),
                    ));
                    Direction::HigherIsRisk
                }
            };
            let transform = match &ind.transform {
                None => default_transform,
                Some(t) => parse_transform(t.get_ref(), &format!("{q}.transform"), &origin)
                    .unwrap_or_else(|e| {
                        errs.push(e);
                        default_transform
                    }),
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
        min_coverage,
        components,
        personas: Vec::new(),
        sensitivity,
        top_drivers,
        origin,
    };
    if !m.components.is_empty() {
        errs.extend(weight_sum_errors(&m, &m.origin));
    }
    ScoreError::all(errs)?;
    Ok(m)
}

fn sensitivity(
    raw: Option<&RawSensitivity>,
    origin: &Origin,
    errs: &mut Vec<ScoreError>,
) -> SensitivitySettings {
    let mut sensitivity = SensitivitySettings::default();
    let Some(se) = raw else {
        return sensitivity;
    };
    if let Some(b) = &se.band {
        let b = *b.get_ref();
        if (0.0..1.0).contains(&b) {
            sensitivity.band = b;
        } else {
            errs.push(origin.invalid("sensitivity.band", format!("band {b} is not in [0, 1)")));
        }
    }
    if let Some(s) = &se.seed {
        sensitivity.seed = *s.get_ref() as u64;
    }
    if let Some(d) = &se.draws {
        let d = *d.get_ref();
        if (1..=1_000_000).contains(&d) {
            sensitivity.draws = d as u32;
        } else {
            errs.push(origin.invalid("sensitivity.draws", format!("{d} is not in 1..=1000000")));
        }
    }
    sensitivity
}

/// A weight, or (after recording the problem) 1, which no later check
/// stumbles on.
fn weight_or_one(v: &toml::Value, key: &str, origin: &Origin, errs: &mut Vec<ScoreError>) -> f64 {
    parse_weight(v, key, origin).unwrap_or_else(|e| {
        errs.push(e);
        1.0
    })
}

fn parse_min_coverage(v: &toml::Value, origin: &Origin) -> Result<f64, ScoreError> {
    let x = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => {
            return Err(origin.invalid(
                "min_coverage",
                format!("min_coverage must be a number, not {}", other.type_str()),
            ));
        }
    };
    if !(0.0..=1.0).contains(&x) {
        return Err(origin.invalid(
            "min_coverage",
            format!("min_coverage {x} is not in [0, 1] (a share of the index weight, e.g. 0.75)"),
        ));
    }
    Ok(x)
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
