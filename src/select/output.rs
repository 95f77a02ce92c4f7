//! A [`Selection`] applied to what was scored over the whole dataset: an
//! export table cut to the selected rows with their rank and decile within
//! the selection added ([`select_table`]), or a scored dataset cut to the
//! selected areas for tiles and the server ([`restrict`]). Values are copied,
//! never recomputed, so every score is the national run's bit for bit.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Selection;
use crate::dataset::{Dataset, Values};
use crate::export::{Cells, ExportError, Level, Table, TableColumn};
use crate::score::{
    ComponentScore, Drivers, Groups, IndicatorScore, PersonaScore, ScoreColumn, ScoredDataset,
    Scores, Sensitivity, ranks,
};

/// Rank (1 = highest index, ties to the earlier row) and decile (10 =
/// highest tenth) of each of `rows` among `rows` alone, from `index` (one
/// value per row of the whole table; `None`: no index, so no rank). The
/// score stage's own ranking, over a single group. Aligned with `rows`,
/// which must be ascending.
pub fn within_ranks(index: &[Option<f64>], rows: &[usize]) -> (Vec<Option<u32>>, Vec<Option<u8>>) {
    // The score stage ranks a dense column, NaN meaning "no index".
    let dense: Vec<f64> = rows
        .iter()
        .map(|&r| index.get(r).copied().flatten().unwrap_or(f64::NAN))
        .collect();
    let groups = Groups::new(vec![(0..rows.len()).collect()], rows.len());
    let r = ranks(&dense, &groups);
    (r.rank, r.decile)
}

/// The rows of `table` (built over the whole of `dataset`) that the
/// selection covers, with `rank_within` and `decile_within` after `decile`,
/// and a `selection` member in the metadata. At LSOA level a row is an area;
/// at ward or borough level a row is kept when any selected area lies in
/// it, with the values it has in the whole table (its roll-up over all its
/// areas).
pub fn select_table<'a>(
    table: Table<'a>,
    dataset: &Dataset,
    selection: &Selection,
) -> Result<Table<'a>, ExportError> {
    let rows: Vec<usize> = match table.level {
        Level::Lsoa => {
            if table.len() != dataset.len() {
                return Err(ExportError::Options(format!(
                    "the table has {} rows for {} areas",
                    table.len(),
                    dataset.len()
                )));
            }
            selection.areas.clone()
        }
        level => {
            let units: BTreeSet<&str> = selection
                .areas
                .iter()
                .filter_map(|&i| {
                    let a = dataset.areas.get(i)?;
                    match level {
                        Level::Ward => a.ward_code(),
                        _ => a.borough_code(),
                    }
                })
                .collect();
            let codes = match table.column("code").map(|c| &c.cells) {
                Some(Cells::Text(v)) => v,
                _ => {
                    return Err(ExportError::Rollup {
                        level,
                        why: "the table has no code column".into(),
                    });
                }
            };
            (0..table.len())
                .filter(|&r| codes[r].as_deref().is_some_and(|c| units.contains(c)))
                .collect()
        }
    };
    let index = match table.column("index").map(|c| &c.cells) {
        Some(Cells::Num { values, .. }) => values.clone(),
        _ => vec![None; table.len()],
    };
    let (rank, decile) = within_ranks(&index, &rows);
    let Table {
        level,
        columns,
        geometry,
        mut metadata,
    } = table;
    let mut out: Vec<TableColumn> = columns
        .into_iter()
        .map(|c| TableColumn {
            name: c.name,
            cells: pick_cells(&c.cells, &rows),
        })
        .collect();
    let at = out
        .iter()
        .position(|c| c.name == "decile")
        .map_or(out.len(), |p| p + 1);
    let ints = |v: Vec<Option<i64>>| Cells::Int(v);
    out.insert(
        at,
        TableColumn {
            name: "decile_within".into(),
            cells: ints(decile.iter().map(|d| d.map(i64::from)).collect()),
        },
    );
    out.insert(
        at,
        TableColumn {
            name: "rank_within".into(),
            cells: ints(rank.iter().map(|r| r.map(i64::from)).collect()),
        },
    );
    let geometry = rows.iter().map(|&r| geometry[r]).collect();
    if let Value::Object(m) = &mut metadata {
        m.insert("count".into(), json!(rows.len()));
        m.insert(
            "selection".into(),
            json!({
                "within": selection.within,
                "areas": selection.len(),
                "rows": rows.len(),
                "method": "scored over the whole dataset, then cut to the selection: index, \
                    rank, decile and every other value are those of the whole run; \
                    rank_within and decile_within rank the rows of this file among themselves \
                    (rank 1 = highest index, decile 10 = highest tenth)",
            }),
        );
    }
    Ok(Table {
        level,
        columns: out,
        geometry,
        metadata,
    })
}

fn pick<T: Clone>(v: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().filter_map(|&r| v.get(r).cloned()).collect()
}

fn pick_cells(cells: &Cells, rows: &[usize]) -> Cells {
    match cells {
        Cells::Text(v) => Cells::Text(pick(v, rows)),
        Cells::Num { values, decimals } => Cells::Num {
            values: pick(values, rows),
            decimals: *decimals,
        },
        Cells::Int(v) => Cells::Int(pick(v, rows)),
        Cells::Bool(v) => Cells::Bool(pick(v, rows)),
    }
}

fn pick_column(c: &ScoreColumn, rows: &[usize]) -> ScoreColumn {
    rows.iter().map(|&r| c.get(r)).collect()
}

/// `scored` cut to the selected areas, every score copied as it is (the
/// ranks stay those within the whole run's scope); outline layers keep the
/// boroughs and wards the selected areas lie in. The title says what was
/// selected.
pub fn restrict(scored: &ScoredDataset, selection: &Selection) -> ScoredDataset {
    let rows = &selection.areas;
    let ds = &*scored.dataset;
    let boroughs: BTreeSet<&str> = rows
        .iter()
        .filter_map(|&i| ds.areas.get(i))
        .filter_map(|a| a.borough_code())
        .collect();
    let wards: BTreeSet<&str> = rows
        .iter()
        .filter_map(|&i| ds.areas.get(i)?.ward_code())
        .collect();
    let mut layers = ds.layers.clone();
    for l in &mut layers {
        let keep: Option<&BTreeSet<&str>> = match l.name.as_str() {
            "boroughs" => Some(&boroughs),
            "wards" => Some(&wards),
            _ => None,
        };
        if let Some(keep) = keep {
            l.features.retain(|f| keep.contains(f.code.as_str()));
        }
    }
    let mut columns = ds.columns.clone();
    for c in &mut columns {
        c.values = match &c.values {
            Values::Numeric(v) => Values::Numeric(pick(v, rows)),
            Values::Category(v) => Values::Category(pick(v, rows)),
        };
    }
    let dataset = Dataset {
        title: format!("{} (within {})", ds.title, selection.within),
        geography: ds.geography.clone(),
        areas: pick(&ds.areas, rows),
        columns,
        layers,
        attribution: ds.attribution.clone(),
    };
    // Destructured in full: a new per-area field of `Scores` must be cut
    // here too, and will not compile until it is.
    let Scores {
        indicators,
        components,
        index,
        rank,
        decile,
        ranked_of,
        coverage,
        status,
        drivers,
        sensitivity,
        personas,
    } = &scored.scores;
    let scores = Scores {
        indicators: indicators
            .iter()
            .map(|i| IndicatorScore {
                score: pick_column(&i.score, rows),
                ..i.clone()
            })
            .collect(),
        components: components
            .iter()
            .map(|c| ComponentScore {
                score: pick_column(&c.score, rows),
                ..c.clone()
            })
            .collect(),
        index: pick_column(index, rows),
        rank: pick(rank, rows),
        decile: pick(decile, rows),
        // Empty stays empty: "count the served areas" (ScopeGroups).
        ranked_of: if ranked_of.is_empty() {
            Vec::new()
        } else {
            pick(ranked_of, rows)
        },
        coverage: pick_column(coverage, rows),
        // Empty means "derived from the index" (see `Scores::status_of`).
        status: if status.is_empty() {
            Vec::new()
        } else {
            pick(status, rows)
        },
        drivers: Drivers::from(
            rows.iter()
                .map(|&r| drivers.get(r).unwrap_or(&[]).to_vec())
                .collect::<Vec<_>>(),
        ),
        sensitivity: sensitivity.as_ref().map(|s| Sensitivity {
            draws: s.draws,
            rank_p05: pick(&s.rank_p05, rows),
            rank_p95: pick(&s.rank_p95, rows),
            p_top_decile: pick(&s.p_top_decile, rows),
        }),
        personas: personas
            .iter()
            .map(|p| PersonaScore {
                count: pick(&p.count, rows),
                share: pick(&p.share, rows),
                ..p.clone()
            })
            .collect(),
    };
    ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: scored.methodology.clone(),
        scores,
    }
}
