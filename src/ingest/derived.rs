//! Derived columns: values computed from columns already joined, whichever
//! tables they came from.
//!
//! In: the project's `[[derived]]` entries ([`DerivedSpec`]) and the columns
//! every `[[dataset]]` produced. Out: one new [`Column`] per entry, with a
//! [`Source`] naming each input's dataset and file, and a [`DerivedCoverage`]
//! for the build report that gives every area left without a value and why
//! (an input missing, a zero denominator). A rate can take its numerator from
//! one table and its denominator from another, e.g. IoD2025's IDAOPI
//! numerator (a count) over Census 2021 residents aged 60+:
//!
//! ```toml
//! [[derived]]
//! id = "idaopi_rate"
//! label = "Older people in income deprivation"
//! rate = { numerator = "idaopi_numerator", denominator = "residents_60_plus" }
//! ```
//!
//! A zero or missing denominator never gives an infinity or a panic: the
//! value is missing and the report says so for that area. `cap` bounds a
//! result (`cap = 1` keeps such a cross-table rate a share when the two
//! sources count different years); each capped area is listed in the report
//! and counted in the column's method, never capped silently.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::IngestError;
use super::project::{Cols, Project, RateSpec, declared_unit};
use crate::dataset::{Area, Column, ColumnId, Measure, Source, Unit, Values};

/// A column computed from columns already joined, from any table: a rate
/// whose numerator and denominator come from different datasets, a sum or a
/// difference. The names are column ids (of `[[dataset]]` columns or of
/// earlier `[[derived]]` columns), not table headers.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DerivedSpec {
    /// Column id in the dataset, unique.
    pub id: String,
    /// Human label.
    pub label: String,
    /// Sum of the numerator columns over the sum of the denominator columns.
    pub rate: Option<RateSpec>,
    /// Sum of these columns.
    pub sum: Option<Vec<String>>,
    /// The first term minus the second; a term is a column id or a number
    /// (`[100, "gigabit_pct"]`: the share of premises without gigabit).
    pub difference: Option<Vec<Term>>,
    /// Upper limit: a larger result is set to it, and the area is reported.
    pub cap: Option<f64>,
    /// Vintage; default: the inputs' vintages joined with " / ".
    pub vintage: Option<String>,
    /// Source description, put before the computed method.
    pub source: Option<String>,
    /// The values' unit (`share`, `percent`, `count`, `none`); without it
    /// the unit is read from the label.
    pub unit: Option<String>,
}

/// One side of a difference: a column id or a constant.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Term {
    /// A constant, e.g. 100 (per cent).
    Number(f64),
    /// A column id.
    Column(String),
}

impl Term {
    fn column(&self) -> Option<&str> {
        match self {
            Term::Column(c) => Some(c),
            Term::Number(_) => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Term::Column(c) => c.clone(),
            Term::Number(x) => x.to_string(),
        }
    }
}

/// What a derived column computes, resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum DerivedKind {
    /// Sum over sum.
    Rate(Vec<String>, Vec<String>),
    /// Sum.
    Sum(Vec<String>),
    /// First minus second.
    Difference(Term, Term),
}

/// How a derived column rolls up: a rate by its denominator; a sum or
/// difference of head-counts is a head-count; anything else a plain value.
fn derived_measure(kind: &DerivedKind, inputs: &[&Column]) -> Measure {
    match kind {
        DerivedKind::Rate(_, denominator) => Measure::Rate {
            denominator: denominator.join(" + "),
        },
        DerivedKind::Sum(_) | DerivedKind::Difference(..)
            if !inputs.is_empty() && inputs.iter().all(|c| c.source.measure == Measure::Count) =>
        {
            Measure::Count
        }
        _ => Measure::Value,
    }
}

impl DerivedSpec {
    /// The declared unit, checked: a rate's is a share.
    pub fn unit(&self) -> Result<Option<Unit>, String> {
        match self.kind() {
            Some(DerivedKind::Rate(..)) => {
                declared_unit(self.unit.as_deref(), "rate", Some(Unit::Share))
            }
            _ => declared_unit(self.unit.as_deref(), "derived column", None),
        }
    }

    /// The resolved kind; `None` unless exactly one kind is given and a
    /// difference names exactly two columns.
    pub fn kind(&self) -> Option<DerivedKind> {
        let own = |c: &Cols| c.names().iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let kinds = [
            self.rate
                .as_ref()
                .map(|r| DerivedKind::Rate(own(&r.numerator), own(&r.denominator))),
            self.sum.clone().map(DerivedKind::Sum),
            self.difference.as_ref().and_then(|d| match d.as_slice() {
                [a, b] => Some(DerivedKind::Difference(a.clone(), b.clone())),
                _ => None,
            }),
        ];
        let given = [
            self.rate.is_some(),
            self.sum.is_some(),
            self.difference.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return None;
        }
        kinds.into_iter().flatten().next()
    }
}

impl DerivedKind {
    /// Every column id it reads, in order.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            DerivedKind::Rate(a, b) => a.iter().chain(b).map(String::as_str).collect(),
            DerivedKind::Sum(a) => a.iter().map(String::as_str).collect(),
            DerivedKind::Difference(a, b) => [a, b].into_iter().filter_map(Term::column).collect(),
        }
    }
}

/// Checks `[[derived]]`: one kind each, unique ids, and inputs that are
/// numeric columns defined before it. `ids` maps the table columns' ids
/// to whether they are numeric.
pub(super) fn check(
    project: &Project,
    ids: &mut std::collections::BTreeMap<String, bool>,
    problems: &mut Vec<IngestError>,
) {
    for d in &project.spec.derived {
        let span = d.span();
        let d = d.get_ref();
        let at = |m: String| project.error_at(&span, format!("derived '{}': {m}", d.id));
        match d.kind() {
            None if d.difference.as_ref().is_some_and(|v| v.len() != 2) => {
                problems.push(at(format!(
                    "difference: give two column ids, [minuend, subtrahend] (got {})",
                    d.difference.as_ref().map_or(0, Vec::len)
                )))
            }
            None => problems.push(at(
                "give exactly one of 'rate', 'sum' or 'difference'".into()
            )),
            Some(kind) => {
                let key = match kind {
                    DerivedKind::Rate(..) => "rate",
                    DerivedKind::Sum(_) => "sum",
                    DerivedKind::Difference(..) => "difference",
                };
                for input in kind.inputs() {
                    match ids.get(input) {
                        Some(true) => {}
                        Some(false) => problems.push(at(format!(
                            "{key}: column '{input}' holds categories, not numbers"
                        ))),
                        None => problems.push(at(format!(
                            "{key}: no column '{input}' is defined before it (columns: {})",
                            ids.keys().cloned().collect::<Vec<_>>().join(", ")
                        ))),
                    }
                }
            }
        }
        if let Err(m) = d.unit() {
            problems.push(at(m));
        }
        if d.cap.is_some_and(|c| !c.is_finite()) {
            problems.push(at("cap: give a finite number".into()));
        }
        if ids.insert(d.id.clone(), true).is_some() {
            problems.push(at("duplicate column id".into()));
        }
    }
}

/// Where a derived column has values, and why it has none elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct DerivedCoverage {
    /// The derived column id.
    pub id: String,
    /// Areas with a value.
    pub present: usize,
    /// Every area without one: its code and the reason.
    pub missing: Vec<(String, String)>,
    /// The `cap`, and the codes of the areas whose result exceeded it.
    pub capped: Option<(f64, Vec<String>)>,
}

/// Computes every `[[derived]]` column in project order, appending each to
/// `columns` so later entries can use earlier ones. The project check has
/// already refused unknown, categorical and duplicate ids.
pub fn derive(
    project: &Project,
    areas: &[Area],
    columns: &mut Vec<Column>,
) -> Result<Vec<DerivedCoverage>, IngestError> {
    let mut report = Vec::with_capacity(project.spec.derived.len());
    for d in &project.spec.derived {
        let span = d.span();
        let d = d.get_ref();
        let at = |m: String| project.error_at(&span, format!("derived '{}': {m}", d.id));
        let kind = d
            .kind()
            .ok_or_else(|| at("give exactly one of 'rate', 'sum' or 'difference'".into()))?;
        let resolve = |ids: &[String]| -> Result<Vec<Input<'_>>, IngestError> {
            ids.iter().map(|id| input(columns, id, &at)).collect()
        };
        let inputs: Vec<Input> = kind
            .inputs()
            .into_iter()
            .map(|id| input(columns, id, &at))
            .collect::<Result<_, _>>()?;
        // Each side as column sums, or a constant.
        let (left, right): (Side, Option<Side>) = match &kind {
            DerivedKind::Rate(a, b) => (Side::Cols(resolve(a)?), Some(Side::Cols(resolve(b)?))),
            DerivedKind::Sum(a) => (Side::Cols(resolve(a)?), None),
            DerivedKind::Difference(a, b) => {
                let side = |t: &Term| -> Result<Side, IngestError> {
                    Ok(match t {
                        Term::Number(x) => Side::Number(*x),
                        Term::Column(c) => Side::Cols(resolve(std::slice::from_ref(c))?),
                    })
                };
                (side(a)?, Some(side(b)?))
            }
        };
        let is_rate = matches!(kind, DerivedKind::Rate(..));
        let (role_l, role_r) = if is_rate {
            ("numerator ", "denominator ")
        } else {
            ("", "")
        };
        let mut values = Vec::with_capacity(areas.len());
        let mut missing = Vec::new();
        let mut capped = Vec::new();
        for (i, area) in areas.iter().enumerate() {
            let v = left.at(i, role_l).and_then(|l| match &right {
                None => Ok(l),
                Some(r) => {
                    let r = r.at(i, role_r)?;
                    if !is_rate {
                        Ok(l - r)
                    } else if r == 0.0 {
                        Err(format!("denominator {} is zero", right_names(&right)))
                    } else {
                        Ok(l / r)
                    }
                }
            });
            match v.and_then(|x| {
                if x.is_finite() {
                    Ok(x)
                } else {
                    Err("the result is not a finite number".to_string())
                }
            }) {
                Ok(x) => match d.cap {
                    Some(cap) if x > cap => {
                        values.push(Some(cap));
                        capped.push(area.code.to_string());
                    }
                    _ => values.push(Some(x)),
                },
                Err(why) => {
                    values.push(None);
                    missing.push((area.code.to_string(), why));
                }
            }
        }
        let inputs: Vec<&Column> = inputs.iter().map(|c| c.column).collect();
        let mut vintages: Vec<&str> = Vec::new();
        for c in &inputs {
            if !vintages.contains(&c.source.vintage.as_str()) {
                vintages.push(&c.source.vintage);
            }
        }
        let from: Vec<String> = inputs
            .iter()
            .map(|c| format!("{} from {} ({})", c.id, c.source.dataset, c.source.file))
            .collect();
        let mut from_unique = Vec::new();
        for f in from {
            if !from_unique.contains(&f) {
                from_unique.push(f);
            }
        }
        let method = format!(
            "{}; derived across tables: {}; missing where an input is missing{}",
            describe(&kind),
            from_unique.join(", "),
            if matches!(kind, DerivedKind::Rate(..)) {
                " or the denominator is zero"
            } else {
                ""
            }
        );
        let method = match d.cap {
            Some(cap) => format!(
                "{method}; capped at {cap} ({} areas above it)",
                capped.len()
            ),
            None => method,
        };
        let method = match &d.source {
            Some(s) if !s.is_empty() => format!("{s}; {method}"),
            _ => method,
        };
        let column = Column {
            id: ColumnId(d.id.clone()),
            label: d.label.clone(),
            source: Source {
                dataset: "derived".into(),
                file: project.path.display().to_string(),
                vintage: d.vintage.clone().unwrap_or_else(|| vintages.join(" / ")),
                method,
                demonstration: inputs.iter().any(|c| c.source.demonstration),
                measure: derived_measure(&kind, &inputs),
                // Checked with the project file.
                unit: d.unit().ok().flatten(),
            },
            values: Values::Numeric(values),
        };
        report.push(DerivedCoverage {
            id: d.id.clone(),
            present: column.values.present(),
            missing,
            capped: d.cap.map(|cap| (cap, capped)),
        });
        columns.push(column);
    }
    Ok(report)
}

/// A numeric input column.
struct Input<'a> {
    id: &'a str,
    column: &'a Column,
    values: &'a [Option<f64>],
}

fn input<'a>(
    columns: &'a [Column],
    id: &str,
    at: &dyn Fn(String) -> IngestError,
) -> Result<Input<'a>, IngestError> {
    let column = columns
        .iter()
        .find(|c| c.id.as_str() == id)
        .ok_or_else(|| at(format!("no column '{id}'")))?;
    match &column.values {
        Values::Numeric(values) => Ok(Input {
            id: column.id.as_str(),
            column,
            values,
        }),
        Values::Category(_) => Err(at(format!("column '{id}' holds categories, not numbers"))),
    }
}

/// One side of a derived column: summed columns, or a constant.
enum Side<'a> {
    Cols(Vec<Input<'a>>),
    Number(f64),
}

impl Side<'_> {
    /// The side's value for area `i`, or which input is missing.
    fn at(&self, i: usize, role: &str) -> Result<f64, String> {
        match self {
            Side::Number(x) => Ok(*x),
            Side::Cols(cols) => cols.iter().try_fold(0.0, |acc, c| {
                c.values[i]
                    .map(|x| acc + x)
                    .ok_or_else(|| format!("{role}'{}' is missing", c.id))
            }),
        }
    }
}

fn right_names(side: &Option<Side>) -> String {
    match side {
        Some(Side::Cols(cols)) => cols
            .iter()
            .map(|c| format!("'{}'", c.id))
            .collect::<Vec<_>>()
            .join(" + "),
        _ => String::new(),
    }
}

fn describe(kind: &DerivedKind) -> String {
    match kind {
        DerivedKind::Rate(a, b) => format!("rate: ({}) / ({})", a.join(" + "), b.join(" + ")),
        DerivedKind::Sum(a) => format!("sum: {}", a.join(" + ")),
        DerivedKind::Difference(a, b) => {
            format!("difference: {} - {}", a.describe(), b.describe())
        }
    }
}

/// The report lines of derived columns: present count, then the areas
/// without a value grouped by reason, then the capped areas (every area
/// when few, else examples).
pub fn report_lines(d: &DerivedCoverage, areas: usize) -> Vec<String> {
    let mut out = vec![format!("derived {}: {}/{areas} present", d.id, d.present)];
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (code, why) in &d.missing {
        by_reason.entry(why).or_default().push(code);
    }
    for (why, codes) in by_reason {
        out.push(format!(
            "  missing in {} areas: {why} ({})",
            codes.len(),
            code_list(&codes)
        ));
    }
    if let Some((cap, codes)) = d.capped.as_ref().filter(|(_, c)| !c.is_empty()) {
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        out.push(format!(
            "  capped at {cap} in {} areas: the result was above it ({})",
            codes.len(),
            code_list(&codes)
        ));
    }
    out
}

/// Every code when there are at most 20, else the first five and "...".
fn code_list(codes: &[&str]) -> String {
    let shown = if codes.len() <= 20 { codes.len() } else { 5 };
    let mut list = codes[..shown].join(", ");
    if shown < codes.len() {
        list.push_str(", ...");
    }
    list
}
