//! Ward and borough roll-ups of the export table.
//!
//! In: a [`ScoredDataset`], its [`Schema`] and a [`Level`]. Out: a [`Table`]
//! with one row per ward or borough. The LSOAs are grouped by
//! `Area::ward_code` / `Area::borough_code`, and each field rolls up as its
//! schema entry says ([`Rollup`]), which follows from the field's kind and,
//! for source columns, from what the project file says the column measures
//! (`count =`, `rate =`, `value =`), never from its name: head-counts are
//! summed; scores, shares, rates and other values are population-weighted
//! means (weights from the `population` column); rank and decile are
//! recomputed among the units from the rolled-up index. The method of every
//! column is written into the metadata.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::table::{Cells, Table, TableColumn, metadata};
use super::{ExportError, Level};
use crate::dataset::AdminUnit;
use crate::schema::{Cell, Field, Rollup, Schema, lsoa_count_field};
use crate::score::ScoredDataset;

fn text(name: &str, values: Vec<Option<String>>) -> TableColumn {
    TableColumn {
        name: name.to_string(),
        cells: Cells::Text(values),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The units of `level` and their member areas, in code order, and the
/// number of areas in none.
fn groups(scored: &ScoredDataset, level: Level) -> (BTreeMap<&str, Vec<usize>>, usize) {
    let ds = &*scored.dataset;
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut unassigned = 0usize;
    for (i, a) in ds.areas.iter().enumerate() {
        let key = match level {
            Level::Ward => a.ward_code(),
            _ => a.borough_code(),
        };
        match key.filter(|c| !c.is_empty()) {
            Some(k) => groups.entry(k).or_default().push(i),
            None => unassigned += 1,
        }
    }
    (groups, unassigned)
}

/// Rank 1 = highest index, ties by code; decile 10 = top tenth.
fn rank_and_decile(index: &[Option<f64>], codes: &[&str]) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let m = index.len();
    let mut order: Vec<usize> = (0..m).filter(|&j| index[j].is_some()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (index[a].unwrap_or(0.0), index[b].unwrap_or(0.0));
        y.total_cmp(&x).then(codes[a].cmp(codes[b]))
    });
    let ranked = order.len();
    let mut rank = vec![None; m];
    let mut decile = vec![None; m];
    for (r, &j) in order.iter().enumerate() {
        rank[j] = Some(r as f64 + 1.0);
        decile[j] = Some(f64::from(crate::score::decile(r as u32 + 1, ranked)));
    }
    (rank, decile)
}

/// Builds the ward or borough table.
pub(crate) fn rollup<'a>(
    scored: &'a ScoredDataset,
    schema: &Schema,
    level: Level,
) -> Result<Table<'a>, ExportError> {
    let ds = &*scored.dataset;
    let (groups, unassigned) = groups(scored, level);
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

    // Identity: the unit's code, name and (for a ward) borough, and geometry.
    let layer_name = match level {
        Level::Ward => "wards",
        _ => "boroughs",
    };
    let layer = ds.layer(layer_name);
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
        let from_areas = g.iter().find_map(|&i| {
            let a = &ds.areas[i];
            match level {
                Level::Ward => a.ward_name().and_then(non_empty),
                _ => a.borough_name().and_then(non_empty),
            }
        });
        names.push(from_areas.or_else(|| feature.map(|f| f.name.clone())));
        geometry.push(feature.map(|f| &f.geometry));
        // A ward's borough: the one most of its LSOAs lie in (ties: lowest
        // code; none counts as lowest).
        let mut tally: BTreeMap<Option<&AdminUnit>, usize> = BTreeMap::new();
        for &i in g.iter() {
            *tally.entry(ds.areas[i].borough.as_ref()).or_default() += 1;
        }
        let best = tally
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .and_then(|(k, _)| *k);
        boroughs.push(best);
    }
    let mut cols = vec![
        text("code", codes.iter().map(|c| Some(c.to_string())).collect()),
        text("name", names),
    ];
    if level == Level::Ward {
        let (codes_of, names_of): (Vec<_>, Vec<_>) = boroughs
            .iter()
            .map(|b| {
                (
                    b.and_then(|b| non_empty(&b.code)),
                    b.and_then(|b| non_empty(&b.name)),
                )
            })
            .unzip();
        cols.push(text("borough_code", codes_of));
        cols.push(text("borough_name", names_of));
    }
    let count = lsoa_count_field();
    cols.push(TableColumn {
        name: count.name.clone(),
        cells: Cells::Int(members.iter().map(|g| Some(g.len() as i64)).collect()),
    });
    let mut methods = serde_json::Map::new();
    methods.insert(count.name.clone(), json!(count.rollup.as_str()));

    let exact = |f: &Field, i: usize| match f.exact(scored, i) {
        Some(Cell::Num(x)) => Some(x),
        _ => None,
    };
    let mut index: Option<Vec<Option<f64>>> = None;
    for f in &schema.fields {
        let values: Vec<Option<f64>> = match f.rollup {
            Rollup::Key | Rollup::Drop => continue,
            Rollup::Recompute => {
                // Rank and decile follow the index, which comes before them.
                let Some(index) = &index else { continue };
                let (rank, decile) = rank_and_decile(index, &codes);
                match f.name.as_str() {
                    "rank" => rank,
                    "decile" => decile,
                    _ => continue,
                }
            }
            Rollup::Any => {
                let flags = members
                    .iter()
                    .map(|g| {
                        Some(
                            g.iter()
                                .any(|&i| f.value(scored, i) == Some(Cell::Bool(true))),
                        )
                    })
                    .collect();
                cols.push(TableColumn {
                    name: f.name.clone(),
                    cells: Cells::Bool(flags),
                });
                methods.insert(f.name.clone(), json!(f.rollup.as_str()));
                continue;
            }
            Rollup::Sum => members
                .iter()
                .map(|g| {
                    let present: Vec<f64> = g.iter().filter_map(|&i| exact(f, i)).collect();
                    (!present.is_empty()).then(|| present.iter().sum())
                })
                .collect(),
            Rollup::WeightedMean => members
                .iter()
                .map(|g| {
                    let (mut sw, mut swx) = (0.0, 0.0);
                    for &i in g.iter() {
                        if let (Some(w), Some(x)) = (weight(i), exact(f, i)) {
                            sw += w;
                            swx += w * x;
                        }
                    }
                    (sw > 0.0).then(|| swx / sw)
                })
                .collect(),
        };
        if f.name == "index" {
            index = Some(values.clone());
        }
        cols.push(TableColumn {
            name: f.name.clone(),
            cells: Cells::numbers(values, f.decimals),
        });
        methods.insert(f.name.clone(), json!(f.rollup.as_str()));
    }

    let unit = level.as_str();
    let method = format!(
        "LSOAs grouped by {unit} code; each column rolls up as 'columns' says: head-counts \
         (key-group counts and source columns given as count =) are summed; index, component and \
         indicator scores, shares, rates and other values are {} means of the LSOA values (scores \
         are means of area scores, not re-scored); rank and decile are recomputed among {unit}s \
         from the mean index (rank 1 = highest, decile 10 = highest tenth); rank_p05/rank_p95 \
         and text columns are dropped",
        if weights.is_some() {
            "population-weighted (column 'population')"
        } else {
            "unweighted (the dataset has no 'population' column)"
        }
    );
    let without_geometry = geometry.iter().filter(|g| g.is_none()).count();
    let rollup_meta = json!({
        "level": unit,
        "method": method,
        "columns": Value::Object(methods),
        "weight": if weights.is_some() { Value::from("population") } else { Value::Null },
        "areas_without_unit": unassigned,
        "areas_without_population": missing_population,
        "units_without_geometry": without_geometry,
        "geometry_layer": layer_name,
    });
    let metadata = metadata(scored, level, m, rollup_meta);
    Ok(Table {
        level,
        columns: cols,
        geometry,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_up_deciles_are_the_scoring_deciles_of_their_ranks() {
        for n in 1..=37usize {
            let index: Vec<Option<f64>> = (0..n).map(|i| Some(i as f64)).chain([None]).collect();
            let codes: Vec<String> = (0..=n).map(|i| format!("C{i:02}")).collect();
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            let (rank, decile) = rank_and_decile(&index, &codes);
            assert_eq!((rank[n], decile[n]), (None, None));
            for i in 0..n {
                let r = rank[i].expect("ranked") as u32;
                assert_eq!(r as usize, n - i, "highest index ranks first");
                assert_eq!(decile[i], Some(f64::from(crate::score::decile(r, n))));
            }
        }
    }
}
