//! The attribute table behind every text export, at LSOA, ward or borough level.
//!
//! In: a [`ScoredDataset`] and a [`Level`]. Out: a [`Table`]: named columns in
//! a fixed order (identity, index, rank, decile, component and indicator
//! scores, uncertainty, key groups, the demonstration flag, then every source
//! column's raw values), one geometry per row, and the metadata member that
//! GeoJSON carries. At ward and borough level the LSOAs are grouped by
//! `Area::ward_code` / `Area::borough_code`: scores, shares and other values
//! are population-weighted means (weights from the `population` column),
//! counts (`population`, `*_count`, key-group counts) are summed, and rank and
//! decile are recomputed among the roll-up units. The method is written into
//! the metadata.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo_types::MultiPolygon;
use serde_json::{Value, json};

use super::format::{RAW_DECIMALS, SCORE_DECIMALS};
use super::{ExportError, GENERATOR, Level};
use crate::dataset::Values;
use crate::score::ScoredDataset;

/// The values of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum Cells {
    /// Text; `None` is missing.
    Text(Vec<Option<String>>),
    /// Numbers written rounded to `decimals` places; `None` is missing.
    Num {
        /// Values.
        values: Vec<Option<f64>>,
        /// Decimal places kept on output.
        decimals: u8,
    },
    /// Integers (rank, decile, counts of areas).
    Int(Vec<Option<i64>>),
    /// Flags.
    Bool(Vec<Option<bool>>),
}

impl Cells {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Cells::Text(v) => v.len(),
            Cells::Num { values, .. } => values.len(),
            Cells::Int(v) => v.len(),
            Cells::Bool(v) => v.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's type name as in TileJSON and docs/EXPORTS.md.
    pub fn type_name(&self) -> &'static str {
        match self {
            Cells::Text(_) => "String",
            Cells::Num { .. } | Cells::Int(_) => "Number",
            Cells::Bool(_) => "Boolean",
        }
    }
}

/// One named column.
#[derive(Clone, Debug, PartialEq)]
pub struct TableColumn {
    /// Column name (CSV header, GeoJSON property).
    pub name: String,
    /// Values, one per row.
    pub cells: Cells,
}

/// Rows of one level with their geometry and metadata.
#[derive(Clone, Debug)]
pub struct Table<'a> {
    /// The level of the rows.
    pub level: Level,
    /// Columns in output order.
    pub columns: Vec<TableColumn>,
    /// One geometry per row (`None` where the layer lacks the unit).
    pub geometry: Vec<Option<&'a MultiPolygon<f64>>>,
    /// The GeoJSON `metadata` member: methodology, sources, vintages,
    /// attribution, demonstration flag, generator, roll-up method.
    pub metadata: Value,
}

impl Table<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.geometry.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.geometry.is_empty()
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&TableColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Builds the table of `scored` at `level`.
pub fn table(scored: &ScoredDataset, level: Level) -> Result<Table<'_>, ExportError> {
    let lsoa = lsoa_table(scored);
    match level {
        Level::Lsoa => Ok(lsoa),
        Level::Ward | Level::Borough => rollup(scored, lsoa, level),
    }
}

fn text(name: &str, values: Vec<Option<String>>) -> TableColumn {
    TableColumn {
        name: name.to_string(),
        cells: Cells::Text(values),
    }
}

fn num(name: String, values: Vec<Option<f64>>, decimals: u8) -> TableColumn {
    TableColumn {
        name,
        cells: Cells::Num { values, decimals },
    }
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

/// The LSOA-level table: scores first, then raw source columns.
fn lsoa_table(scored: &ScoredDataset) -> Table<'_> {
    let ds = &*scored.dataset;
    let n = ds.areas.len();
    let mut cols = vec![
        text(
            "code",
            ds.areas.iter().map(|a| Some(a.code.to_string())).collect(),
        ),
        text(
            "name",
            ds.areas.iter().map(|a| non_empty(&a.name)).collect(),
        ),
        text(
            "borough_code",
            ds.areas
                .iter()
                .map(|a| non_empty(&a.borough_code))
                .collect(),
        ),
        text(
            "borough_name",
            ds.areas
                .iter()
                .map(|a| non_empty(&a.borough_name))
                .collect(),
        ),
        text(
            "ward_code",
            ds.areas.iter().map(|a| a.ward_code.clone()).collect(),
        ),
        text(
            "ward_name",
            ds.areas.iter().map(|a| a.ward_name.clone()).collect(),
        ),
    ];
    cols.extend(score_columns(scored));
    cols.push(TableColumn {
        name: "demo".into(),
        cells: Cells::Bool(demo_flags(scored)),
    });
    // Raw values: every source column (each indicator reads one of them).
    let reserved: BTreeSet<String> = cols.iter().map(|c| c.name.clone()).collect();
    for c in &ds.columns {
        let mut name = c.id.to_string();
        if reserved.contains(&name) {
            name = format!("v_{name}");
        }
        cols.push(match &c.values {
            Values::Numeric(v) => num(name, v.clone(), RAW_DECIMALS),
            Values::Category(v) => TableColumn {
                name,
                cells: Cells::Text(v.clone()),
            },
        });
    }
    let geometry = ds.areas.iter().map(|a| Some(&a.geometry)).collect();
    let metadata = metadata(scored, Level::Lsoa, n, json!(null));
    Table {
        level: Level::Lsoa,
        columns: cols,
        geometry,
        metadata,
    }
}

/// index, rank, decile, index_status, missing_inputs, c_*, i_*, p_top, rank_p05, rank_p95, k_*_count, k_*_share.
fn score_columns(scored: &ScoredDataset) -> Vec<TableColumn> {
    let s = &scored.scores;
    let n = scored.dataset.areas.len();
    let mut cols = vec![
        num("index".into(), s.index.to_vec(), SCORE_DECIMALS),
        TableColumn {
            name: "rank".into(),
            cells: Cells::Int(s.rank.iter().map(|r| r.map(i64::from)).collect()),
        },
        TableColumn {
            name: "decile".into(),
            cells: Cells::Int(s.decile.iter().map(|d| d.map(i64::from)).collect()),
        },
        TableColumn {
            name: "index_status".into(),
            cells: Cells::Text(
                (0..n)
                    .map(|a| Some(s.status_of(a).as_str().into()))
                    .collect(),
            ),
        },
        TableColumn {
            name: "missing_inputs".into(),
            cells: Cells::Text((0..n).map(|a| Some(s.missing_inputs_joined(a))).collect()),
        },
    ];
    for c in &s.components {
        cols.push(num(
            format!("c_{}", c.id.0),
            c.score.to_vec(),
            SCORE_DECIMALS,
        ));
    }
    for i in &s.indicators {
        cols.push(num(
            format!("i_{}", i.id.0),
            i.score.to_vec(),
            SCORE_DECIMALS,
        ));
    }
    if let Some(sens) = &s.sensitivity {
        cols.push(num(
            "p_top".into(),
            sens.p_top_decile.clone(),
            SCORE_DECIMALS,
        ));
        cols.push(num(
            "rank_p05".into(),
            sens.rank_p05.clone(),
            SCORE_DECIMALS,
        ));
        cols.push(num(
            "rank_p95".into(),
            sens.rank_p95.clone(),
            SCORE_DECIMALS,
        ));
    }
    for p in &s.personas {
        cols.push(num(
            format!("k_{}_count", p.id.0),
            p.count.clone(),
            SCORE_DECIMALS,
        ));
        cols.push(num(
            format!("k_{}_share", p.id.0),
            p.share.clone(),
            SCORE_DECIMALS,
        ));
    }
    // A malformed Scores (wrong lengths) must not make rows disagree.
    for c in &mut cols {
        pad(&mut c.cells, n);
    }
    cols
}

fn pad(cells: &mut Cells, n: usize) {
    match cells {
        Cells::Text(v) => v.resize(n, None),
        Cells::Num { values, .. } => values.resize(n, None),
        Cells::Int(v) => v.resize(n, None),
        Cells::Bool(v) => v.resize(n, None),
    }
}

/// Per area: true when any demonstration column has a value there.
fn demo_flags(scored: &ScoredDataset) -> Vec<Option<bool>> {
    let ds = &*scored.dataset;
    let mut flags = vec![Some(false); ds.areas.len()];
    for c in ds.columns.iter().filter(|c| c.source.demonstration) {
        for (i, f) in flags.iter_mut().enumerate() {
            let present = match &c.values {
                Values::Numeric(v) => v.get(i).is_some_and(|x| x.is_some()),
                Values::Category(v) => v.get(i).is_some_and(|x| x.is_some()),
            };
            if present {
                *f = Some(true);
            }
        }
    }
    flags
}

/// The metadata member; `rollup` describes the aggregation (null at LSOA level).
fn metadata(scored: &ScoredDataset, level: Level, rows: usize, rollup: Value) -> Value {
    let ds = &*scored.dataset;
    let s = &scored.scores;
    let components: Vec<Value> = s
        .components
        .iter()
        .map(|c| {
            let indicators: Vec<Value> = s
                .indicators
                .iter()
                .filter(|i| i.component == c.id)
                .map(|i| json!({"id": i.id.0, "label": i.label, "weight": i.weight}))
                .collect();
            json!({"id": c.id.0, "label": c.label, "weight": c.weight, "indicators": indicators})
        })
        .collect();
    let sources: Vec<Value> = ds
        .columns
        .iter()
        .map(|c| {
            json!({
                "column": c.id.0,
                "label": c.label,
                "dataset": c.source.dataset,
                "file": c.source.file,
                "vintage": c.source.vintage,
                "method": c.source.method,
                "demonstration": c.source.demonstration,
            })
        })
        .collect();
    let vintages: BTreeSet<&str> = ds
        .columns
        .iter()
        .map(|c| c.source.vintage.as_str())
        .filter(|v| !v.is_empty())
        .collect();
    let rollup = if rollup.is_null() {
        json!({"level": level.as_str(), "method": "none: one row per area as scored"})
    } else {
        rollup
    };
    json!({
        "generator": GENERATOR,
        "title": ds.title,
        "geography": ds.geography,
        "level": level.as_str(),
        "count": rows,
        "methodology": {
            "name": scored.methodology.name,
            "components": components,
            "sensitivity_draws": s.sensitivity.as_ref().map(|x| x.draws),
        },
        "sources": sources,
        "vintages": vintages,
        "attribution": ds.attribution,
        "demonstration": ds.has_demonstration_data(),
        "rollup": rollup,
    })
}

/// How a column is aggregated.
#[derive(Clone, Copy, PartialEq)]
enum Agg {
    Key,
    Sum,
    Mean,
    Recompute,
    Any,
    Drop,
}

fn aggregation(name: &str, cells: &Cells) -> Agg {
    match name {
        "code" | "name" | "borough_code" | "borough_name" | "ward_code" | "ward_name" => Agg::Key,
        "rank" | "decile" => Agg::Recompute,
        "demo" => Agg::Any,
        // A quantile of an LSOA rank says nothing about a ward's rank.
        "rank_p05" | "rank_p95" => Agg::Drop,
        "population" => Agg::Sum,
        _ if name.ends_with("_count") => Agg::Sum,
        _ => match cells {
            Cells::Num { .. } | Cells::Int(_) => Agg::Mean,
            Cells::Text(_) | Cells::Bool(_) => Agg::Drop,
        },
    }
}

fn rollup<'a>(
    scored: &'a ScoredDataset,
    lsoa: Table<'a>,
    level: Level,
) -> Result<Table<'a>, ExportError> {
    let ds = &*scored.dataset;
    let key = |i: usize| -> Option<&str> {
        let a = &ds.areas[i];
        match level {
            Level::Ward => a.ward_code.as_deref().filter(|c| !c.is_empty()),
            _ => Some(a.borough_code.as_str()).filter(|c| !c.is_empty()),
        }
    };
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut unassigned = 0usize;
    for i in 0..ds.areas.len() {
        match key(i) {
            Some(k) => groups.entry(k).or_default().push(i),
            None => unassigned += 1,
        }
    }
    if groups.is_empty() {
        let why = match level {
            Level::Ward => "no area has a ward code (no ward lookup was joined at ingest)",
            _ => "no area has a borough code",
        };
        return Err(ExportError::Rollup {
            level,
            why: why.into(),
        });
    }
    let weights: Option<&[Option<f64>]> = ds.numeric("population");
    let weight = |i: usize| -> Option<f64> {
        match weights {
            Some(w) => w[i].filter(|x| *x > 0.0),
            None => Some(1.0),
        }
    };
    let missing_population = (0..ds.areas.len())
        .filter(|&i| weights.is_some() && weight(i).is_none())
        .count();

    let codes: Vec<&str> = groups.keys().copied().collect();
    let members: Vec<&Vec<usize>> = groups.values().collect();
    let m = codes.len();

    // Identity columns.
    let first_some =
        |g: &[usize], f: &dyn Fn(usize) -> Option<String>| g.iter().find_map(|&i| f(i));
    let layer = ds.layer(match level {
        Level::Ward => "wards",
        _ => "boroughs",
    });
    let layer_index: HashMap<&str, usize> = layer
        .map(|l| {
            l.features
                .iter()
                .enumerate()
                .map(|(i, f)| (f.code.as_str(), i))
                .collect()
        })
        .unwrap_or_default();
    let mut names = Vec::with_capacity(m);
    let mut geometry = Vec::with_capacity(m);
    let mut boroughs = Vec::with_capacity(m);
    for (code, g) in codes.iter().zip(&members) {
        let feature = layer_index
            .get(code)
            .and_then(|&i| layer.map(|l| &l.features[i]));
        let from_areas = match level {
            Level::Ward => first_some(g, &|i| {
                ds.areas[i].ward_name.clone().filter(|s| !s.is_empty())
            }),
            _ => first_some(g, &|i| non_empty(&ds.areas[i].borough_name)),
        };
        names.push(from_areas.or_else(|| feature.map(|f| f.name.clone())));
        geometry.push(feature.map(|f| &f.geometry));
        // A ward's borough: the one most of its LSOAs lie in (ties: lowest code).
        let mut tally: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for &i in g.iter() {
            let a = &ds.areas[i];
            *tally
                .entry((a.borough_code.as_str(), a.borough_name.as_str()))
                .or_default() += 1;
        }
        let best = tally
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, _)| *k);
        boroughs.push(best);
    }
    let mut cols = vec![
        text("code", codes.iter().map(|c| Some(c.to_string())).collect()),
        text("name", names),
    ];
    if level == Level::Ward {
        cols.push(text(
            "borough_code",
            boroughs
                .iter()
                .map(|b| b.and_then(|b| non_empty(b.0)))
                .collect(),
        ));
        cols.push(text(
            "borough_name",
            boroughs
                .iter()
                .map(|b| b.and_then(|b| non_empty(b.1)))
                .collect(),
        ));
    }
    cols.push(TableColumn {
        name: "lsoa_count".into(),
        cells: Cells::Int(members.iter().map(|g| Some(g.len() as i64)).collect()),
    });

    let mut index_values: Option<Vec<Option<f64>>> = None;
    let mut rank_pos = None;
    for col in &lsoa.columns {
        let agg = aggregation(&col.name, &col.cells);
        let values = |i: usize| -> Option<f64> {
            match &col.cells {
                Cells::Num { values, .. } => values[i],
                Cells::Int(v) => v[i].map(|x| x as f64),
                _ => None,
            }
        };
        let decimals = match &col.cells {
            Cells::Num { decimals, .. } => *decimals,
            _ => SCORE_DECIMALS,
        };
        match agg {
            Agg::Key | Agg::Drop => {}
            Agg::Recompute => {
                if rank_pos.is_none() {
                    rank_pos = Some(cols.len());
                }
            }
            Agg::Any => {
                let flags = match &col.cells {
                    Cells::Bool(v) => members
                        .iter()
                        .map(|g| Some(g.iter().any(|&i| v[i] == Some(true))))
                        .collect(),
                    _ => vec![None; m],
                };
                cols.push(TableColumn {
                    name: col.name.clone(),
                    cells: Cells::Bool(flags),
                });
            }
            Agg::Sum => {
                let sums = members
                    .iter()
                    .map(|g| {
                        let present: Vec<f64> = g.iter().filter_map(|&i| values(i)).collect();
                        if present.is_empty() {
                            None
                        } else {
                            Some(present.iter().sum())
                        }
                    })
                    .collect();
                cols.push(num(col.name.clone(), sums, decimals));
            }
            Agg::Mean => {
                let means: Vec<Option<f64>> = members
                    .iter()
                    .map(|g| {
                        let (mut sw, mut swx) = (0.0, 0.0);
                        for &i in g.iter() {
                            if let (Some(w), Some(x)) = (weight(i), values(i)) {
                                sw += w;
                                swx += w * x;
                            }
                        }
                        if sw > 0.0 { Some(swx / sw) } else { None }
                    })
                    .collect();
                if col.name == "index" {
                    index_values = Some(means.clone());
                }
                cols.push(num(col.name.clone(), means, decimals));
            }
        }
    }
    // Rank 1 = highest weighted index; ties by code; decile 10 = top tenth.
    if let (Some(pos), Some(index)) = (rank_pos, &index_values) {
        let mut order: Vec<usize> = (0..m).filter(|&j| index[j].is_some()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (index[a].unwrap_or(0.0), index[b].unwrap_or(0.0));
            y.total_cmp(&x).then(codes[a].cmp(codes[b]))
        });
        let ranked = order.len();
        let mut rank = vec![None; m];
        let mut decile = vec![None; m];
        for (r, &j) in order.iter().enumerate() {
            rank[j] = Some(r as i64 + 1);
            decile[j] = Some(10 - (r * 10 / ranked) as i64);
        }
        cols.insert(
            pos,
            TableColumn {
                name: "decile".into(),
                cells: Cells::Int(decile),
            },
        );
        cols.insert(
            pos,
            TableColumn {
                name: "rank".into(),
                cells: Cells::Int(rank),
            },
        );
    }

    let unit = match level {
        Level::Ward => "ward",
        _ => "borough",
    };
    let method = format!(
        "LSOAs grouped by {unit} code; scores, shares and other values are {} means over the LSOAs \
         with a value; population, *_count and key-group counts are summed; rank and decile are \
         recomputed among {unit}s from the aggregated index (rank 1 = highest, decile 10 = highest \
         tenth); rank_p05/rank_p95 and text columns are dropped",
        if weights.is_some() {
            "population-weighted (column 'population')"
        } else {
            "unweighted (the dataset has no 'population' column)"
        }
    );
    let without_geometry = geometry.iter().filter(|g| g.is_none()).count();
    let rollup_meta = json!({
        "level": level.as_str(),
        "method": method,
        "weight": if weights.is_some() { Value::from("population") } else { Value::Null },
        "areas_without_unit": unassigned,
        "areas_without_population": missing_population,
        "units_without_geometry": without_geometry,
        "geometry_layer": match level { Level::Ward => "wards", _ => "boroughs" },
    });
    let metadata = metadata(scored, level, m, rollup_meta);
    Ok(Table {
        level,
        columns: cols,
        geometry,
        metadata,
    })
}
