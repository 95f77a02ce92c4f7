//! What a table's problems do to the build: the `on_invalid` policy and the
//! phrasing of what went wrong.
//!
//! In: the problems [`validate`] found in one table's rows, or the columns
//! it lacks, with the dataset's spec. Out: nothing when there were none;
//! under `fail` an error listing them (the first [`MAX_PROBLEMS`], then a
//! count, and advice when rows matched no area); under `warn` warnings for
//! the report (the bad values are left missing).

use std::ops::Range;
use std::path::Path;

use super::IngestError;
use super::project::{DatasetSpec, Policy, Project};
use super::tables::Table;
use super::validate::{self, Rows};

/// Most problems listed per table (the rest are counted).
pub(super) const MAX_PROBLEMS: usize = 50;

/// Most problems of a `warn` table copied into the report's warnings.
const MAX_WARNINGS: usize = 20;

/// The error for columns a table lacks, each placed at the project line
/// that names it (the dataset's, when it is the code or weight column).
pub(super) fn missing_columns(
    project: &Project,
    d: &DatasetSpec,
    span: &Range<usize>,
    table: &Table,
    missing: Vec<(Option<usize>, String)>,
) -> IngestError {
    let shown = table.headers_shown();
    let errs = missing
        .into_iter()
        .map(|(col, name)| {
            let (sp, what) = match col {
                Some(i) => (
                    d.columns[i].span(),
                    format!("column '{}': ", d.columns[i].get_ref().id),
                ),
                None => (span.clone(), String::new()),
            };
            project.error_at(
                &sp,
                format!(
                    "dataset '{}': {what}{} has no column '{name}' (it has: {shown})",
                    d.name,
                    table.file.display(),
                ),
            )
        })
        .collect();
    IngestError::one_or_many(errs)
}

/// Applies the dataset's `on_invalid` policy to the problems in its rows:
/// `fail` returns them all as one error, `warn` returns warnings.
pub(super) fn apply(
    d: &DatasetSpec,
    path: &Path,
    rows: &mut Rows,
) -> Result<Vec<String>, IngestError> {
    let mut warnings = Vec::new();
    if rows.problems.is_empty() {
        return Ok(warnings);
    }
    let problems = std::mem::take(&mut rows.problems);
    match d.on_invalid {
        Policy::Fail => {
            let mut list = validate::summarise(path, problems, MAX_PROBLEMS);
            if rows.unmatched > 0 {
                list.push(unmatched_advice(path, &d.name, rows.unmatched));
            }
            Err(IngestError::Many(list))
        }
        Policy::Warn => {
            let n = problems.len();
            warnings.extend(problems.iter().take(MAX_WARNINGS).map(|p| p.to_string()));
            if n > MAX_WARNINGS {
                warnings.push(format!(
                    "{}: ... and {} more problems (values left missing)",
                    path.display(),
                    n - MAX_WARNINGS
                ));
            }
            Ok(warnings)
        }
    }
}

/// What to do about rows whose code matched no area: usually a table wider
/// than the boundaries (a national table on one council's LSOAs), which
/// `unmatched_rows = "ignore"` skips and counts in the coverage report. Not
/// the default: rows of another code vintage fail the same way, and
/// skipping those silently would leave areas without values.
fn unmatched_advice(file: &Path, dataset: &str, rows: usize) -> IngestError {
    IngestError::Note {
        file: file.to_path_buf(),
        more: 0,
        message: format!(
            "{rows} rows have a code that matches no area; if the table covers more areas than \
             the boundaries (a national table on local boundaries), set unmatched_rows = \"ignore\" \
             in [[dataset]] '{dataset}' to skip them (they are counted in the coverage report)"
        ),
    }
}
