//! The JSON bodies of the API, built from a generation's [`Schema`].
//!
//! In: a [`ScoredDataset`] and its schema. Out: `serde_json` values for
//! `/api/meta` (which publishes the schema), `/api/methodology`,
//! `/api/scores` (one array per field, keyed by field name),
//! `/api/scores-exact` (the scores unrounded, with the scope groups, for
//! the page's re-weighting), `/api/key-groups`, and one area's summary or
//! detail. Every per-area number is a schema field's value, named as in
//! tiles and exports, and rounded as they are except in `/api/scores-exact`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::export::table::source_json;
use crate::schema::{ApiLevel, Cell, Kind, Of, Schema, cell_json, round, ward_vintage};
use crate::score::{Groups, Scope, ScoredDataset, need_types};

/// A score, rounded as the schema rounds scores (weights, contributions).
pub(crate) fn score_num(x: f64) -> f64 {
    round(x, Kind::Score.decimals())
}

/// Columns the methodology reads (indicators and personas), or all columns
/// when it reads none.
pub(super) fn source_columns(scored: &ScoredDataset) -> Vec<usize> {
    let m = &scored.methodology;
    let mut used: BTreeSet<String> = m.indicators().map(|(_, i)| i.column.clone()).collect();
    for p in &m.personas {
        used.extend(p.columns());
    }
    let cols = &scored.dataset.columns;
    let picked: Vec<usize> = (0..cols.len())
        .filter(|&i| used.contains(cols[i].id.as_str()))
        .collect();
    if picked.is_empty() {
        (0..cols.len()).collect()
    } else {
        picked
    }
}

/// `/api/meta`: the dataset, map framing, boroughs, the field schema and
/// the provenance (source and vintage) of each column the methodology reads.
pub(super) fn meta_json(
    scored: &ScoredDataset,
    schema: &Schema,
    bounds: [f64; 4],
    center: [f64; 3],
    boroughs: Vec<Value>,
) -> Value {
    let ds = &scored.dataset;
    let wards = ward_vintage(ds);
    let sources: Vec<Value> = source_columns(scored)
        .into_iter()
        .map(|c| source_json(&ds.columns[c]))
        .collect();
    json!({
        "title": ds.title,
        "geography": ds.geography,
        "ward_vintage": if wards.is_empty() { Value::Null } else { json!(wards) },
        "attribution": ds.attribution,
        "demonstration": ds.has_demonstration_data(),
        "bounds": bounds,
        "center": center,
        "methodology": scored.methodology.name,
        "boroughs": boroughs,
        "fields": schema.to_json(),
        "sources": sources,
    })
}

/// `/api/methodology`: the methodology with effective (normalised) weights.
pub(super) fn methodology_json(scored: &ScoredDataset) -> Value {
    let m = &scored.methodology;
    let s = &scored.scores;
    // Unrounded: the page re-weights with them, and must agree with the
    // server to 1e-9.
    let comp_weight = |id: &str| s.components.iter().find(|c| c.id.0 == id).map(|c| c.weight);
    let ind_weight = |id: &str| s.indicators.iter().find(|i| i.id.0 == id).map(|i| i.weight);
    let components: Vec<Value> = m
        .components
        .iter()
        .map(|c| {
            let indicators: Vec<Value> = c
                .indicators
                .iter()
                .map(|i| {
                    json!({
                        "id": i.id.0, "label": i.label,
                        "weight": ind_weight(&i.id.0).unwrap_or(i.weight),
                        "column": i.column, "direction": i.direction.as_str(),
                        "transform": i.transform.as_str(),
                    })
                })
                .collect();
            json!({
                "id": c.id.0, "label": c.label,
                "weight": comp_weight(&c.id.0).unwrap_or(c.weight),
                "indicators": indicators,
            })
        })
        .collect();
    let personas: Vec<Value> = m
        .personas
        .iter()
        .map(|p| {
            json!({
                "id": p.id.0, "label": p.label, "description": p.description,
                "columns": p.columns(), "reasoning": p.reasoning,
                "needs": p.needs.iter().map(|n| json!({
                    "id": n.need.id, "reason": n.reason, "source": n.source,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "name": m.name,
        "description": m.description,
        "scope": m.scope.as_str(),
        "missing": m.missing.as_str(),
        "min_coverage": m.min_coverage,
        "rescale": m.index_rescale,
        "components": components,
        "personas": personas,
        "needs": need_types(&m.personas).iter().map(|n| json!({
            "id": n.id, "label": n.label, "description": n.description,
        })).collect::<Vec<_>>(),
    })
}

/// `/api/scores`: one array per field at the scores level, aligned by area,
/// plus the effective weights the page re-weights with.
pub(super) fn scores_json(scored: &ScoredDataset, schema: &Schema) -> Value {
    let s = &scored.scores;
    let n = scored.dataset.len();
    let mut out = Map::new();
    for f in schema.api_fields(ApiLevel::Scores) {
        let col: Vec<Value> = (0..n).map(|i| cell_json(f, f.value(scored, i))).collect();
        out.insert(f.name.clone(), Value::Array(col));
    }
    out.insert(
        "weights".into(),
        json!({
            "components": s.components.iter().map(|c| (c.id.0.clone(), json!(c.weight))).collect::<Map<_, _>>(),
            "indicators": s.indicators.iter().map(|i| (i.id.0.clone(), json!({"component": i.component.0, "weight": i.weight}))).collect::<Map<_, _>>(),
        }),
    );
    Value::Object(out)
}

/// `/api/scores-exact`: what the page re-weights and ranks with, aligned
/// with `/api/scores` `code`: the index and every component and indicator
/// score unrounded (serde_json writes the shortest text that reads back as
/// the same f64), and each area's scope group (its position in `groups`,
/// `null` outside a custom scope) with the groups' names in words. Kept
/// out of `/api/scores`, which the first paint waits for.
pub(super) fn scores_exact_json(
    scored: &ScoredDataset,
    schema: &Schema,
    scope: &ScopeGroups,
) -> Value {
    let n = scored.dataset.len();
    let mut out = Map::new();
    let exact = |f: &&crate::schema::Field| {
        matches!(
            f.of,
            Of::Code | Of::Index | Of::Component(_) | Of::Indicator(_)
        )
    };
    for f in schema.api_fields(ApiLevel::Scores).filter(exact) {
        let col: Vec<Value> = (0..n).map(|i| cell_json(f, f.exact(scored, i))).collect();
        out.insert(f.name.clone(), Value::Array(col));
    }
    out.insert("scope".into(), json!(scored.methodology.scope.as_str()));
    out.insert("group".into(), json!(scope.groups.group_of));
    out.insert("groups".into(), json!(scope.names));
    Value::Object(out)
}

/// The scope groups scoring normalised and ranked within, with each
/// group's name in words and its number of ranked areas (the N of "rank r
/// of N").
#[derive(Debug)]
pub struct ScopeGroups {
    /// The groups of the methodology in force (it carries a run's scope).
    pub groups: Groups,
    /// Each group's name: "areas in Camden", "all areas".
    pub names: Vec<Option<String>>,
    /// Each group's areas with a rank.
    pub ranked: Vec<usize>,
}

impl ScopeGroups {
    /// The groups of `scored`, as scoring made them. The one way to fail
    /// is a scope with no area here (a custom scope, served `--within`
    /// areas outside it): then no area has a group, which is the truth.
    pub fn of(scored: &ScoredDataset) -> ScopeGroups {
        let m = &scored.methodology;
        let n = scored.dataset.len();
        let groups = crate::score::groups(&scored.dataset, &m.scope, &m.origin, "scope")
            .unwrap_or_else(|_| Groups::new(Vec::new(), n));
        let names = groups
            .groups
            .iter()
            .map(|g| g.first().and_then(|&i| compared_with(scored, i)))
            .collect();
        let rank = &scored.scores.rank;
        let ranked_of = &scored.scores.ranked_of;
        // The run's own count where scoring kept it (a `--within` part
        // ranks among the whole run's areas), else the areas ranked here.
        let ranked = groups
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .find_map(|&i| ranked_of.get(i).copied().flatten())
                    .map_or_else(
                        || {
                            g.iter()
                                .filter(|&&i| rank.get(i).is_some_and(Option::is_some))
                                .count()
                        },
                        |n| n as usize,
                    )
            })
            .collect();
        ScopeGroups {
            groups,
            names,
            ranked,
        }
    }

    /// Area `i`'s group as `{name, ranked}`; null outside the scope.
    fn of_area(&self, i: usize) -> Value {
        match self.groups.group_of.get(i).copied().flatten() {
            Some(g) => json!({
                "name": self.names.get(g as usize),
                "ranked": self.ranked.get(g as usize),
            }),
            None => Value::Null,
        }
    }
}

/// `/api/key-groups`: each key group's share and count fields by area,
/// aligned with `/api/scores` `code`. Kept out of `/api/scores`, which the
/// map needs before its first paint.
pub(super) fn key_groups_json(scored: &ScoredDataset, schema: &Schema) -> Value {
    let n = scored.dataset.len();
    let column = |name: String| -> Vec<Value> {
        match schema.field(&name) {
            Some(f) => (0..n).map(|i| cell_json(f, f.value(scored, i))).collect(),
            None => vec![Value::Null; n],
        }
    };
    let groups: Map<String, Value> = scored
        .scores
        .personas
        .iter()
        .map(|k| {
            (
                k.id.0.clone(),
                json!({
                    "label": k.label,
                    "availability": k.availability,
                    "share": column(format!("k_{}_share", k.id.0)),
                    "count": column(format!("k_{}_count", k.id.0)),
                }),
            )
        })
        .collect();
    let code = schema.field("code").map(|f| {
        (0..n)
            .map(|i| cell_json(f, f.value(scored, i)))
            .collect::<Vec<_>>()
    });
    let needs: Map<String, Value> = scored
        .need_types()
        .iter()
        .map(|t| {
            let count = column(format!("n_{}_count", t.id));
            (t.id.clone(), json!({ "label": t.label, "count": count }))
        })
        .collect();
    json!({ "code": code, "groups": groups, "needs": needs })
}

/// One area's detail: every schema field at the detail level, then the same
/// scores grouped with their labels and weights, the top drivers, the
/// sensitivity draws and the sources.
pub(super) fn area_detail(
    scored: &ScoredDataset,
    schema: &Schema,
    raw_range: &[(Option<f64>, Option<f64>)],
    source_columns: &[usize],
    scope: &ScopeGroups,
    i: usize,
) -> Value {
    let ds = &scored.dataset;
    let s = &scored.scores;
    let mut v = schema.area_json(scored, i, ApiLevel::Detail);
    let field = |name: String| -> Value {
        schema
            .field(&name)
            .map_or(Value::Null, |f| cell_json(f, f.value(scored, i)))
    };
    let raw_field = |j: usize| {
        let col = s.indicators.get(j).map(|ind| ind.column.as_str());
        schema
            .fields
            .iter()
            .find(|f| matches!(f.of, Of::Column(c) if Some(ds.columns[c].id.as_str()) == col))
    };
    let raw = |j: usize| raw_field(j).map_or(Value::Null, |f| cell_json(f, f.value(scored, i)));
    let directions: Vec<&str> = scored
        .methodology
        .indicators()
        .map(|(_, ind)| ind.direction.as_str())
        .collect();
    let detail = json!({
        "insufficiency": scored.insufficiency(i),
        "scope_group": scope.of_area(i),
        "components": s.components.iter().map(|c| json!({
            "id": c.id.0, "label": c.label, "weight": score_num(c.weight),
            "score": field(format!("c_{}", c.id.0)),
        })).collect::<Vec<_>>(),
        "indicators": s.indicators.iter().zip(raw_range).enumerate().map(|(j, (ind, (lo, hi)))| json!({
            "id": ind.id.0, "label": ind.label, "component": ind.component.0,
            "weight": score_num(ind.weight), "raw": raw(j),
            "raw_field": raw_field(j).map(|f| f.name.as_str()),
            "score": field(format!("i_{}", ind.id.0)),
            "min": lo, "max": hi,
        })).collect::<Vec<_>>(),
        "drivers": s.drivers.get(i).map(|d| d.iter().map(|d| {
            let f = raw_field(d.indicator);
            json!({
                "indicator": s.indicators.get(d.indicator).map(|i| i.id.0.as_str()),
                "label": s.indicators.get(d.indicator).map(|i| i.label.as_str()),
                "contribution": score_num(d.contribution),
                "direction": directions.get(d.indicator),
                "raw": raw(d.indicator),
                "median": f.map_or(Value::Null, |f| cell_json(f, d.median.map(|m| Cell::Num(round(m, f.decimals))))),
                "kind": f.map(|f| f.kind.as_str()),
                "unit": f.map(|f| f.unit),
                "decimals": f.map(|f| f.decimals),
                "compared_with": compared_with(scored, i),
            })
        }).collect::<Vec<_>>()).unwrap_or_default(),
        "personas": s.personas.iter().map(|k| json!({
            "id": k.id.0, "label": k.label, "availability": k.availability,
            "count": field(format!("k_{}_count", k.id.0)),
            "share": field(format!("k_{}_share", k.id.0)),
        })).collect::<Vec<_>>(),
        "needs": scored.need_types().iter().map(|n| {
            let count = scored.need_count(n.position, i);
            json!({
                "id": n.id, "label": n.label, "description": n.description,
                "count": field(format!("n_{}_count", n.id)),
                "upper": count.upper.map(f64::round),
                "groups": scored.need_groups(n.position, i).iter().map(|g| json!({
                    "id": s.personas[g.persona].id.0, "label": s.personas[g.persona].label,
                    "count": field(format!("k_{}_count", s.personas[g.persona].id.0)),
                    "reason": g.reason, "source": g.source,
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "sensitivity": s.sensitivity.as_ref().map(|x| json!({"draws": x.draws})),
        "sources": source_columns.iter().map(|&c| source_json(&ds.columns[c])).collect::<Vec<_>>(),
    });
    if let (Value::Object(m), Value::Object(d)) = (&mut v, detail) {
        m.extend(d);
    }
    v
}

/// The areas area `i`'s drivers are measured against (its scope group), in
/// words: "areas in Camden", "areas in England", "all areas".
fn compared_with(scored: &ScoredDataset, i: usize) -> Option<String> {
    let a = scored.dataset.areas.get(i)?;
    Some(match &scored.methodology.scope {
        // Areas with no borough are scored as one group of their own.
        Scope::LocalAuthority => match &a.borough {
            Some(b) => format!("areas in {}", b.label()),
            None => "areas with no local authority".into(),
        },
        // The median is over the dataset's areas of that nation, which on
        // a London map are London's: "areas in England" would overstate it.
        Scope::Nation => match a.code.as_str().chars().next() {
            Some('E') => "areas in England on this map".into(),
            Some('W') => "areas in Wales on this map".into(),
            _ => "areas of the same nation on this map".into(),
        },
        Scope::All => "all areas".into(),
        Scope::Custom(_) => "the areas in the methodology's scope".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_like_the_schema() {
        assert_eq!(score_num(1.234_56), 1.2346);
    }
}
