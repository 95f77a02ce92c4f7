//! What a build says about itself: the report types.
//!
//! In: what each stage found (per-table [`Coverage`], boundary repairs,
//! derived-column coverage, warnings, step timings). Out: a [`BuildReport`]
//! that `dxmap build` prints through its `Display` (one line per table, per
//! column, per kind of repair) and that tests and the API read field by field.

use std::collections::BTreeMap;
use std::fmt;

use super::boundaries::Repair;
use super::derived::{self, DerivedCoverage};

/// How well one table joined.
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Dataset name from the project.
    pub dataset: String,
    /// File as given in the project.
    pub file: String,
    /// Rows read (after removing invalid rows).
    pub rows: usize,
    /// Rows skipped because their code matched no area (`unmatched_rows = "ignore"`).
    pub ignored_rows: usize,
    /// Areas that received a value from at least one row.
    pub matched: usize,
    /// Areas that received none.
    pub missing: usize,
    /// Up to 5 codes of areas that received none.
    pub missing_sample: Vec<String>,
    /// Each column id with how many areas have a value.
    pub columns: Vec<(String, usize)>,
}

/// What happened during a build.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildReport {
    /// Number of areas.
    pub areas: usize,
    /// Per-table coverage, in project order.
    pub coverage: Vec<Coverage>,
    /// Repairs made to boundary features.
    pub repairs: Vec<Repair>,
    /// Derived columns: present counts and each area left without a value, with why.
    pub derived: Vec<DerivedCoverage>,
    /// Problems that did not stop the build.
    pub warnings: Vec<String>,
    /// Seconds spent per step.
    pub timings: Vec<(String, f64)>,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} areas", self.areas)?;
        for c in &self.coverage {
            write!(
                f,
                "{}: {} rows, {} areas matched, {} missing",
                c.dataset, c.rows, c.matched, c.missing
            )?;
            if c.ignored_rows > 0 {
                write!(
                    f,
                    ", {} rows outside the boundaries ignored",
                    c.ignored_rows
                )?;
            }
            if !c.missing_sample.is_empty() {
                write!(f, " (e.g. {})", c.missing_sample.join(", "))?;
            }
            writeln!(f)?;
            for (id, present) in &c.columns {
                writeln!(f, "  {id}: {present}/{} present", self.areas)?;
            }
        }
        for d in &self.derived {
            for line in derived::report_lines(d, self.areas) {
                writeln!(f, "{line}")?;
            }
        }
        if !self.repairs.is_empty() {
            writeln!(f, "{} boundary repairs:", self.repairs.len())?;
            // Grouped by kind ("ring 3: closed ..." counts as "closed ...").
            let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for r in &self.repairs {
                let what = match r.what.rsplit_once(": ") {
                    Some((head, rest)) if head.contains("ring ") => rest,
                    _ => r.what.as_str(),
                };
                kinds.entry(what).or_insert((0, r.feature)).0 += 1;
            }
            for (what, (n, first)) in kinds {
                writeln!(f, "  {n} x {what} (first: feature {first})")?;
            }
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        if !self.timings.is_empty() {
            let t: Vec<String> = self
                .timings
                .iter()
                .map(|(s, t)| format!("{s} {t:.2}s"))
                .collect();
            writeln!(f, "timings: {}", t.join(", "))?;
        }
        Ok(())
    }
}
