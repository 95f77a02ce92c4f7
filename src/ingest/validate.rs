//! Checking a table's rows and turning them into typed cells.
//!
//! In: a [`Table`], the dataset's columns resolved to [`ColumnKind`]s, and a
//! test for whether a code is known (a boundary code, an OA in the lookup…).
//! Out: [`Rows`]: for each kept row its code, line and one [`Cell`] per
//! column, plus every problem found (code missing from the boundaries,
//! duplicate code, empty or non-numeric value, negative count, zero
//! denominator), each naming the file, line, column and value. The caller's
//! policy decides whether problems fail the build or become warnings (the
//! cell is then missing).

use std::collections::HashMap;
use std::path::Path;

use super::IngestError;
use super::project::{ColumnKind, Unmatched};
use super::tables::Table;

/// One column's value in one row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A count or a ready-made value.
    Num(f64),
    /// A rate's numerator and denominator (denominator > 0).
    Pair(f64, f64),
    /// A category label.
    Label(String),
    /// Missing (empty, or invalid under the `warn` policy).
    Missing,
}

/// The kept rows of a table.
#[derive(Debug, Default)]
pub struct Rows {
    /// Code of each kept row (empty for points).
    pub codes: Vec<String>,
    /// 1-based line of each kept row.
    pub lines: Vec<usize>,
    /// `cells[column][row]`.
    pub cells: Vec<Vec<Cell>>,
    /// Weight of each kept row (1 when no weight column).
    pub weights: Vec<Option<f64>>,
    /// Point coordinates of each kept row, for points.
    pub points: Vec<Option<(f64, f64)>>,
    /// Rows skipped because their code matched nothing (`unmatched_rows = "ignore"`).
    pub ignored: usize,
    /// Rows whose code matched nothing, reported as problems (`unmatched_rows = "report"`).
    pub unmatched: usize,
    /// Every problem, in file order.
    pub problems: Vec<IngestError>,
}

/// What to read besides the columns.
pub struct Extract<'a> {
    /// Code column (`None` for points).
    pub code: Option<&'a str>,
    /// Whether a code is known, and the phrase for an unknown one ("is not in the boundaries").
    pub known: &'a dyn Fn(&str) -> bool,
    /// How an unknown code is described.
    pub unknown_phrase: &'a str,
    /// Unmatched rows: a problem, or skipped.
    pub unmatched: Unmatched,
    /// Weight column.
    pub weight: Option<&'a str>,
    /// Point coordinate columns (x, y).
    pub point: Option<(&'a str, &'a str)>,
    /// Duplicate codes are problems (not for points).
    pub unique: bool,
    /// Empty values are plain missing data rather than problems.
    pub allow_empty: bool,
    /// The boundaries' vintage (the project's `geography`, e.g. "LSOA 2011"),
    /// to explain a code of another vintage.
    pub geography: &'a str,
}

/// England and Wales LSOA codes new in 2021: above the last 2011 code, up to
/// the last 2021 code (ONS Census 2021 tables: 35,672 LSOAs).
const NEW_IN_2021_LSOA: [(&str, u32, u32); 2] = [("E01", 33_768, 35_762), ("W01", 1_958, 2_040)];

/// Why an unknown code may be unknown: it is a 2021 LSOA code and the
/// boundaries are LSOA 2011. `None` when there is nothing to say.
pub fn lsoa_vintage_hint(code: &str, geography: &str) -> Option<&'static str> {
    if !geography.contains("2011") {
        return None;
    }
    let (prefix, digits) = code.split_at_checked(3)?;
    let n: u32 = digits.parse().ok().filter(|_| digits.len() == 6)?;
    let (_, last_2011, last_2021) = NEW_IN_2021_LSOA.iter().find(|(p, ..)| *p == prefix)?;
    (n > *last_2011 && n <= *last_2021).then_some(
        "; it is a 2021 LSOA code (new in 2021) but the boundaries are LSOA 2011: \
         bring a 2021 table onto them with geography = \"lookup\" and the ONS \
         LSOA 2011 to 2021 best-fit lookup",
    )
}

/// Every source column a dataset needs that the table lacks.
pub fn missing_columns(
    table: &Table,
    kinds: &[ColumnKind],
    ex: &Extract,
) -> Vec<(Option<usize>, String)> {
    let mut out = Vec::new();
    let mut need = |col: Option<usize>, name: &str| {
        if name != "*" && !table.has(name) {
            out.push((col, name.to_string()));
        }
    };
    for n in [ex.code, ex.weight].into_iter().flatten() {
        need(None, n);
    }
    if let Some((x, y)) = ex.point {
        need(None, x);
        need(None, y);
    }
    for (i, k) in kinds.iter().enumerate() {
        match k {
            ColumnKind::Count(c) => c.iter().for_each(|n| need(Some(i), n)),
            ColumnKind::Rate(a, b) => a.iter().chain(b).for_each(|n| need(Some(i), n)),
            ColumnKind::Value(n) | ColumnKind::Category(n) => need(Some(i), n),
        }
    }
    out
}

const EMPTY: &str = "empty value";

/// Reads and checks every row. Call [`missing_columns`] first: absent columns read as empty.
pub fn extract(table: &Table, kinds: &[ColumnKind], ex: &Extract) -> Rows {
    let file = table.file.as_path();
    let n = table.len();
    let col = |name: &str| table.column(name).unwrap_or_else(|| vec![None; n]);
    let codes = ex.code.map(col);
    let weights = ex.weight.map(col);
    let points = ex.point.map(|(x, y)| (col(x), col(y)));
    // Source columns per output column, read once.
    let read = |names: &[String]| -> Vec<(String, Vec<Option<&str>>)> {
        names
            .iter()
            .map(|nm| {
                let v = if nm == "*" {
                    vec![Some("1"); n]
                } else {
                    col(nm)
                };
                (nm.clone(), v)
            })
            .collect()
    };
    enum Src<'t> {
        Sum(Vec<(String, Vec<Option<&'t str>>)>),
        Rate(
            Vec<(String, Vec<Option<&'t str>>)>,
            Vec<(String, Vec<Option<&'t str>>)>,
        ),
        Value(String, Vec<Option<&'t str>>),
        Cat(String, Vec<Option<&'t str>>),
    }
    let srcs: Vec<Src> = kinds
        .iter()
        .map(|k| match k {
            ColumnKind::Count(c) => Src::Sum(read(c)),
            ColumnKind::Rate(a, b) => Src::Rate(read(a), read(b)),
            ColumnKind::Value(v) => Src::Value(v.clone(), col(v)),
            ColumnKind::Category(v) => Src::Cat(v.clone(), col(v)),
        })
        .collect();

    let mut rows = Rows {
        cells: vec![Vec::new(); kinds.len()],
        ..Rows::default()
    };
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for r in 0..n {
        let line = table.line(r);
        let problem = |m: String| IngestError::Row {
            file: file.to_path_buf(),
            line,
            message: m,
        };
        let mut code = String::new();
        if let (Some(codes), Some(code_col)) = (&codes, ex.code) {
            match codes[r] {
                None => {
                    rows.problems
                        .push(problem(format!("column '{code_col}': empty code")));
                    continue;
                }
                Some(c) => code = c.to_string(),
            }
            if !(ex.known)(&code) {
                match ex.unmatched {
                    Unmatched::Ignore => rows.ignored += 1,
                    Unmatched::Report => {
                        rows.unmatched += 1;
                        rows.problems.push(problem(format!(
                            "column '{code_col}': code '{code}' {}{}",
                            ex.unknown_phrase,
                            lsoa_vintage_hint(&code, ex.geography).unwrap_or_default()
                        )))
                    }
                }
                continue;
            }
            if ex.unique {
                if let Some(first) = first_line.get(&code) {
                    rows.problems.push(problem(format!(
                        "column '{code_col}': duplicate code '{code}' (first on line {first})"
                    )));
                    continue;
                }
                first_line.insert(code.clone(), line);
            }
        }
        let mut local = Vec::new();
        for (i, s) in srcs.iter().enumerate() {
            let cell = match s {
                Src::Sum(parts) => sum(parts, r, true, &mut local).map_or(Cell::Missing, Cell::Num),
                Src::Rate(a, b) => {
                    let num = sum(a, r, true, &mut local);
                    let den = sum(b, r, true, &mut local);
                    match (num, den) {
                        (Some(x), Some(y)) if y > 0.0 => Cell::Pair(x, y),
                        (Some(x), Some(_)) => {
                            let names: Vec<&str> = b.iter().map(|(n, _)| n.as_str()).collect();
                            local.push(format!(
                                "column '{}': zero denominator (numerator {})",
                                names.join("+"),
                                fmt_num(x)
                            ));
                            Cell::Missing
                        }
                        _ => Cell::Missing,
                    }
                }
                Src::Value(name, v) => {
                    number(name, v[r], false, &mut local).map_or(Cell::Missing, Cell::Num)
                }
                Src::Cat(name, v) => match v[r] {
                    Some(s) => Cell::Label(s.to_string()),
                    None => {
                        local.push(format!("column '{name}': {EMPTY}"));
                        Cell::Missing
                    }
                },
            };
            rows.cells[i].push(cell);
        }
        let w = match (&weights, ex.weight) {
            (Some(w), Some(name)) => number(name, w[r], true, &mut local),
            _ => Some(1.0),
        };
        let p = match (&points, ex.point) {
            (Some((xs, ys)), Some((xn, yn))) => {
                match (
                    number(xn, xs[r], false, &mut local),
                    number(yn, ys[r], false, &mut local),
                ) {
                    (Some(x), Some(y)) => Some((x, y)),
                    _ => None,
                }
            }
            _ => None,
        };
        if ex.allow_empty {
            local.retain(|m| !m.ends_with(EMPTY));
        }
        // A source column used by two output columns is reported once.
        let mut said = std::collections::HashSet::new();
        local.retain(|m| said.insert(m.clone()));
        rows.problems.extend(local.drain(..).map(&problem));
        rows.codes.push(code);
        rows.lines.push(line);
        rows.weights.push(w);
        rows.points.push(p);
    }
    rows
}

fn sum(
    parts: &[(String, Vec<Option<&str>>)],
    r: usize,
    count: bool,
    problems: &mut Vec<String>,
) -> Option<f64> {
    let mut total = Some(0.0);
    for (name, v) in parts {
        let x = number(name, v[r], count, problems);
        total = match (total, x) {
            (Some(t), Some(x)) => Some(t + x),
            _ => None,
        };
    }
    total
}

/// Parses one number; a count must not be negative.
fn number(name: &str, v: Option<&str>, count: bool, problems: &mut Vec<String>) -> Option<f64> {
    let Some(s) = v else {
        problems.push(format!("column '{name}': {EMPTY}"));
        return None;
    };
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => {
            if count && x < 0.0 {
                problems.push(format!("column '{name}': negative count {s}"));
                None
            } else {
                Some(x)
            }
        }
        _ => {
            problems.push(format!("column '{name}': '{s}' is not a number"));
            None
        }
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Reads a two-column code lookup (`from` → `to`), checking for empty codes.
pub fn read_pairs(
    table: &Table,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>, IngestError> {
    let a = table.require(from)?;
    let b = table.require(to)?;
    let mut out = Vec::with_capacity(a.len());
    let mut problems = Vec::new();
    for (r, (x, y)) in a.iter().zip(&b).enumerate() {
        match (x, y) {
            (Some(x), Some(y)) => out.push((x.to_string(), y.to_string())),
            _ => problems.push(IngestError::Row {
                file: table.file.clone(),
                line: table.line(r),
                message: format!("empty code in column '{from}' or '{to}'"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(IngestError::one_or_many(problems))
    }
}

/// Shortens a long problem list for display: the first `keep`, then a count.
pub fn summarise(file: &Path, mut problems: Vec<IngestError>, keep: usize) -> Vec<IngestError> {
    if problems.len() > keep {
        let more = problems.len() - keep;
        problems.truncate(keep);
        problems.push(IngestError::Note {
            file: file.to_path_buf(),
            more,
            message: format!("... and {more} more problems"),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &str, kinds: &[ColumnKind], unmatched: Unmatched) -> Rows {
        let t = Table::parse(csv.as_bytes(), Path::new("t.csv")).unwrap();
        let known = |c: &str| c.starts_with('E');
        let ex = Extract {
            code: Some("code"),
            known: &known,
            unknown_phrase: "is not in the boundaries",
            unmatched,
            weight: None,
            point: None,
            unique: true,
            allow_empty: false,
            geography: "LSOA 2011",
        };
        assert!(missing_columns(&t, kinds, &ex).is_empty());
        extract(&t, kinds, &ex)
    }

    fn msgs(r: &Rows) -> Vec<String> {
        r.problems.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn every_problem_is_reported_with_line_column_and_value() {
        let kinds = [
            ColumnKind::Count(vec!["n".into()]),
            ColumnKind::Rate(vec!["n".into()], vec!["d".into()]),
        ];
        let csv = "code,n,d\nE1,1,2\nE1,1,2\nX9,1,2\nE2,abc,2\nE3,-4,2\nE4,3,0\nE5,,1\n";
        let r = run(csv, &kinds, Unmatched::Report);
        let m = msgs(&r);
        assert_eq!(
            m[0],
            "t.csv: line 3: column 'code': duplicate code 'E1' (first on line 2)"
        );
        assert_eq!(
            m[1],
            "t.csv: line 4: column 'code': code 'X9' is not in the boundaries"
        );
        assert!(
            m[2].starts_with("t.csv: line 5: column 'n': 'abc' is not a number"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x == "t.csv: line 6: column 'n': negative count -4"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x == "t.csv: line 7: column 'd': zero denominator (numerator 3)"),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|x| x == "t.csv: line 8: column 'n': empty value"),
            "{m:?}"
        );
        assert_eq!(r.codes, ["E1", "E2", "E3", "E4", "E5"]);
        assert_eq!(r.cells[0][0], Cell::Num(1.0));
        assert_eq!(r.cells[1][0], Cell::Pair(1.0, 2.0));
        assert_eq!(r.cells[1][3], Cell::Missing);
    }

    #[test]
    fn unmatched_rows_can_be_ignored() {
        let kinds = [
            ColumnKind::Value("v".into()),
            ColumnKind::Category("c".into()),
        ];
        let r = run("code,v,c\nE1,-1.5,x\nW1,2,y\n", &kinds, Unmatched::Ignore);
        assert!(r.problems.is_empty());
        assert_eq!(r.ignored, 1);
        assert_eq!(r.cells[0], [Cell::Num(-1.5)], "values may be negative");
        assert_eq!(r.cells[1], [Cell::Label("x".into())]);
    }

    #[test]
    fn a_2021_code_among_2011_areas_is_explained() {
        assert!(lsoa_vintage_hint("E01033769", "LSOA 2011").is_some());
        assert!(lsoa_vintage_hint("W01002034", "LSOA 2011").is_some());
        assert_eq!(lsoa_vintage_hint("E01033768", "LSOA 2011"), None);
        assert_eq!(lsoa_vintage_hint("E01999999", "LSOA 2011"), None);
        assert_eq!(lsoa_vintage_hint("E01033769", "LSOA 2021"), None);
        assert_eq!(lsoa_vintage_hint("E0103376x", "LSOA 2011"), None);
        let r = run(
            "code,v\nX01033769,1\n",
            &[ColumnKind::Value("v".into())],
            Unmatched::Report,
        );
        assert_eq!(
            msgs(&r),
            ["t.csv: line 2: column 'code': code 'X01033769' is not in the boundaries"]
        );
    }

    #[test]
    fn nan_text_is_not_a_number() {
        let r = run(
            "code,v\nE1,NaN\n",
            &[ColumnKind::Value("v".into())],
            Unmatched::Report,
        );
        assert_eq!(
            msgs(&r),
            ["t.csv: line 2: column 'v': 'NaN' is not a number"]
        );
    }
}
