//! The attribute table behind every text export, at LSOA, ward or borough level.
//!
//! In: a [`ScoredDataset`] and a [`Level`]. Out: a [`Table`]: one column per
//! field of the dataset's [`Schema`] in schema order (identity, index, rank,
//! decile, component and indicator scores, uncertainty, key groups, the
//! demonstration flag, then every source column's raw values), one geometry
//! per row, and the metadata member that GeoJSON carries. Ward and borough
//! tables are built by [`super::rollup`] from the schema's roll-up methods.

use std::collections::BTreeSet;

use geo_types::MultiPolygon;
use serde_json::{Value, json};

use super::{ExportError, GENERATOR, Level};
use crate::schema::{Cell, Field, Schema, ward_vintage};
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
    /// Integers (rank, decile, head-counts, counts of areas).
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

    /// Numbers of a field: whole numbers (0 decimals) as integers.
    pub(crate) fn numbers(values: Vec<Option<f64>>, decimals: u8) -> Cells {
        if decimals == 0 {
            Cells::Int(values.iter().map(|x| x.map(|x| x.round() as i64)).collect())
        } else {
            Cells::Num { values, decimals }
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
    let schema = Schema::of(scored);
    match level {
        Level::Lsoa => Ok(lsoa_table(scored, &schema)),
        Level::Ward | Level::Borough => super::rollup::rollup(scored, &schema, level),
    }
}

/// One field's column over every area, unrounded (written at its decimals).
fn field_column(scored: &ScoredDataset, f: &Field) -> TableColumn {
    let n = scored.dataset.areas.len();
    let cells = match f.kind.is_numeric() {
        true => Cells::numbers(
            (0..n)
                .map(|i| match f.exact(scored, i) {
                    Some(Cell::Num(x)) => Some(x),
                    _ => None,
                })
                .collect(),
            f.decimals,
        ),
        false if f.kind == crate::schema::Kind::Flag => Cells::Bool(
            (0..n)
                .map(|i| match f.value(scored, i) {
                    Some(Cell::Bool(b)) => Some(b),
                    _ => None,
                })
                .collect(),
        ),
        false => Cells::Text(
            (0..n)
                .map(|i| match f.value(scored, i) {
                    Some(Cell::Text(t)) => Some(t.to_string()),
                    _ => None,
                })
                .collect(),
        ),
    };
    TableColumn {
        name: f.name.clone(),
        cells,
    }
}

/// The LSOA-level table: every schema field, in schema order.
fn lsoa_table<'a>(scored: &'a ScoredDataset, schema: &Schema) -> Table<'a> {
    let ds = &*scored.dataset;
    let columns = schema
        .fields
        .iter()
        .map(|f| field_column(scored, f))
        .collect();
    let geometry = ds.areas.iter().map(|a| Some(&a.geometry)).collect();
    let metadata = metadata(scored, Level::Lsoa, ds.areas.len(), json!(null));
    Table {
        level: Level::Lsoa,
        columns,
        geometry,
        metadata,
    }
}

/// A column's provenance and unit, as the exports' metadata, `/api/meta`
/// `sources` and an area's `sources` list it.
pub(crate) fn source_json(c: &crate::dataset::Column) -> Value {
    json!({
        "column": c.id.0,
        "label": c.label,
        "dataset": c.source.dataset,
        "file": c.source.file,
        "vintage": c.source.vintage,
        "method": c.source.method,
        "measure": c.source.measure.as_str(),
        "unit": crate::schema::column_kind_unit(c).1,
        "demonstration": c.source.demonstration,
    })
}

/// The metadata member; `rollup` describes the aggregation (null at LSOA level).
pub(crate) fn metadata(scored: &ScoredDataset, level: Level, rows: usize, rollup: Value) -> Value {
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
    let sources: Vec<Value> = ds.columns.iter().map(source_json).collect();
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
    let wards = ward_vintage(ds);
    json!({
        "generator": GENERATOR,
        "title": ds.title,
        "geography": ds.geography,
        "ward_vintage": if wards.is_empty() { Value::Null } else { json!(wards) },
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
