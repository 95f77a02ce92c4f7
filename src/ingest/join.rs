//! Joining one table to the areas: the table-level stages in order.
//!
//! In: the project, one dataset's spec and the sorted areas. Out: a
//! [`Joined`]: the dataset's columns, its [`Coverage`] and the warnings its
//! `warn` policy left. The steps: read the table ([`read`], which the build
//! runs for every table at once, beside the boundaries), choose the route
//! ([`route`]), check and type the rows ([`validate`]), apply the policy
//! ([`policy`]), route the rows to areas, aggregate ([`aggregate`]) and
//! measure coverage ([`coverage`]).

use std::ops::Range;

use super::project::{ColumnKind, DatasetSpec, GeographyKind, Project};
use super::report::Coverage;
use super::tables::Table;
use super::validate::{self, Extract};
use super::{IngestError, aggregate, coverage, policy, route};
use crate::dataset::{Area, Column};

/// One table joined to the areas.
pub(super) struct Joined {
    /// One column per project column.
    pub columns: Vec<Column>,
    /// How well the table reached the areas.
    pub coverage: Coverage,
    /// Problems left as missing values under `on_invalid = "warn"`.
    pub warnings: Vec<String>,
}

/// Reads and parses one dataset's table. Needs no areas, so the build reads
/// every table while it reads the boundaries.
pub(super) fn read(project: &Project, d: &DatasetSpec) -> Result<Table, IngestError> {
    let files = &project.files;
    Table::parse(&files.read_table(&d.file)?, &files.display_path(&d.file))
}

/// Checks and joins one table, as [`read`] gave it.
pub(super) fn join(
    project: &Project,
    d: &DatasetSpec,
    table: Table,
    span: &Range<usize>,
    areas: &[Area],
    codes: &[&str],
) -> Result<Joined, IngestError> {
    let path = project.files.display_path(&d.file);
    if table.is_empty() {
        return Err(IngestError::File {
            file: path,
            message: "no rows (only a header line)".into(),
        });
    }
    let kinds: Vec<ColumnKind> = d
        .columns
        .iter()
        .filter_map(|c| c.get_ref().kind())
        .collect();

    let route = route::choose(project, d, span, areas, codes)?;
    let is_points = d.geography == GeographyKind::Points;
    let known = |c: &str| route.routes.knows(c);
    let (point, bng) = route::point_columns(d);
    let ex = Extract {
        code: if is_points { None } else { d.code.as_deref() },
        known: &known,
        unknown_phrase: &route.unknown_phrase,
        unmatched: d.unmatched_rows,
        weight: d.weight.as_deref(),
        point: if is_points { point } else { None },
        unique: !is_points,
        allow_empty: d.allow_empty,
        geography: &project.spec.geography,
    };
    let missing = validate::missing_columns(&table, &kinds, &ex);
    if !missing.is_empty() {
        return Err(policy::missing_columns(project, d, span, &table, missing));
    }

    let mut rows = validate::extract(&table, &kinds, &ex);
    let warnings = policy::apply(d, &path, &mut rows)?;
    let contribs = if is_points {
        route::point_contribs(areas, &mut rows.points, bng)
    } else {
        route.routes.contribs(&rows.codes)
    };
    let columns = aggregate::columns(d, &kinds, &rows, &contribs, areas.len(), &route.method_tail);
    let coverage = coverage::coverage(d, &rows, &contribs, areas, &columns);
    Ok(Joined {
        columns,
        coverage,
        warnings,
    })
}
