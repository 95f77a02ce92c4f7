//! The aggregating stage: each area's value from the rows that reach it.
//!
//! In: one dataset's typed cells ([`Cell`], per column and row), its row
//! weights and the rows' [`Contrib`]s to the areas. Out: one [`Column`] per
//! project column, with its [`Source`] (dataset, vintage, the method in
//! words, what it measures). Counts are summed (by fraction), rates are
//! summed numerator over summed denominator, values are weighted means
//! (by the weight column, else by overlap), categories take the heaviest
//! label. A non-finite result is missing, never a number.

use std::collections::BTreeMap;

use super::geography::Contrib;
use super::project::{ColumnKind, DatasetSpec};
use super::validate::{Cell, Rows};
use crate::dataset::{Column, ColumnId, Measure, Source, Values};

/// The columns of one dataset over `n` areas; `method_tail` ends each
/// column's method (how rows reached the areas).
pub(super) fn columns(
    d: &DatasetSpec,
    kinds: &[ColumnKind],
    rows: &Rows,
    contribs: &[Contrib],
    n: usize,
    method_tail: &str,
) -> Vec<Column> {
    let is_points = d.geography == super::project::GeographyKind::Points;
    let mut columns = Vec::with_capacity(kinds.len());
    for (i, (c, kind)) in d.columns.iter().zip(kinds).enumerate() {
        let c = c.get_ref();
        let values = aggregate(
            kind,
            &rows.cells[i],
            &rows.weights,
            d.weight.is_some(),
            contribs,
            n,
            is_points,
        );
        let source = c.source.as_deref().unwrap_or(&d.source);
        let method = match source {
            "" => format!("{}{method_tail}", describe(kind, d.weight.as_deref())),
            s => format!("{s}; {}{method_tail}", describe(kind, d.weight.as_deref())),
        };
        columns.push(Column {
            id: ColumnId(c.id.clone()),
            label: c.label.clone(),
            values,
            source: Source {
                dataset: d.name.clone(),
                file: d.file.clone(),
                vintage: c.vintage.clone().unwrap_or_else(|| d.vintage.clone()),
                method,
                demonstration: d.demonstration,
                measure: measure(kind),
                // Checked with the project file.
                unit: c.unit().ok().flatten(),
            },
        });
    }
    columns
}

/// What a column measures, for roll-ups (see [`Measure`]).
fn measure(kind: &ColumnKind) -> Measure {
    match kind {
        ColumnKind::Count(_) => Measure::Count,
        ColumnKind::Rate(_, d) => Measure::Rate {
            denominator: d.join(" + "),
        },
        ColumnKind::Value(_) => Measure::Value,
        ColumnKind::Category(_) => Measure::Category,
    }
}

fn describe(kind: &ColumnKind, weight: Option<&str>) -> String {
    match kind {
        ColumnKind::Count(c) if c.iter().any(|x| x == "*") => "count of points".into(),
        ColumnKind::Count(c) => format!("count: {}", c.join(" + ")),
        ColumnKind::Rate(a, b) => format!("rate: ({}) / ({})", a.join(" + "), b.join(" + ")),
        ColumnKind::Value(v) => match weight {
            Some(w) => format!("value: {v} (averages weighted by {w})"),
            None => format!("value: {v}"),
        },
        ColumnKind::Category(v) => format!("category: {v}"),
    }
}

/// Combines the contributions to each area into one value per area.
fn aggregate(
    kind: &ColumnKind,
    cells: &[Cell],
    weights: &[Option<f64>],
    weighted: bool,
    contribs: &[Contrib],
    n: usize,
    zero_when_none: bool,
) -> Values {
    let groups = contribs.chunk_by(|a, b| a.target == b.target);
    match kind {
        ColumnKind::Category(_) => {
            let mut out = vec![None; n];
            for g in groups {
                let mut tally: BTreeMap<&str, f64> = BTreeMap::new();
                for c in g {
                    let w = if weighted {
                        weights[c.row].unwrap_or(0.0) * c.fraction
                    } else {
                        c.area_weight
                    };
                    if let Cell::Label(l) = &cells[c.row] {
                        *tally.entry(l.as_str()).or_default() += w;
                    }
                }
                let mut best: Option<(&str, f64)> = None;
                for (l, w) in tally {
                    if best.is_none_or(|(_, bw)| w > bw) {
                        best = Some((l, w));
                    }
                }
                out[g[0].target] = best.map(|(l, _)| l.to_string());
            }
            Values::Category(out)
        }
        _ => {
            let mut out = vec![
                if zero_when_none && matches!(kind, ColumnKind::Count(_)) {
                    Some(0.0)
                } else {
                    None
                };
                n
            ];
            for g in groups {
                let v = match kind {
                    ColumnKind::Count(_) => g.iter().try_fold(0.0, |acc, c| match cells[c.row] {
                        Cell::Num(x) => Some(acc + c.fraction * x),
                        _ => None,
                    }),
                    ColumnKind::Rate(..) => g
                        .iter()
                        .try_fold((0.0, 0.0), |(a, b), c| match cells[c.row] {
                            Cell::Pair(x, y) => Some((a + c.fraction * x, b + c.fraction * y)),
                            _ => None,
                        })
                        .and_then(|(a, b)| (b > 0.0).then(|| a / b)),
                    _ => {
                        let (mut s, mut sw) = (0.0, 0.0);
                        for c in g {
                            if let Cell::Num(x) = cells[c.row] {
                                let w = if weighted {
                                    weights[c.row].unwrap_or(0.0) * c.fraction
                                } else {
                                    c.area_weight
                                };
                                s += w * x;
                                sw += w;
                            }
                        }
                        (sw > 0.0).then(|| s / sw)
                    }
                };
                out[g[0].target] = v.filter(|x| x.is_finite());
            }
            Values::Numeric(out)
        }
    }
}
