//! Key-group (persona) overlays: a persona file and a dataset in, estimated
//! count and share of each key group per area out ([`PersonaScore`]).
//!
//! A key group is estimated from small-area proxies, either as a share (the
//! product of one or more share columns, e.g. `income_score`, or
//! `idaopi_score × aged_65_plus` assuming independence), or as category
//! membership (an area whose `iuc_group` is one of the listed groups gets
//! share 1, otherwise 0: an area-level flag, not a share of residents). The
//! count is share × the population column. Columns absent from a dataset do
//! not stop scoring, so one persona bank serves every dataset: the group is
//! then reported [`Availability::Unavailable`], naming the missing columns,
//! with no share or count, never a blank or a zero.
//!
//! The file also declares the types of need (`[[need]]`: devices and
//! connectivity, affordability, …) and each group's likely needs
//! (`[[persona.need]]`, each with a cited reason): [`PersonaNeed`].
//! `persona_file.rs` reads the file; this one holds the types and the
//! estimate.

use serde::{Deserialize, Serialize};

use super::{PersonaId, PersonaScore};
use crate::dataset::{Dataset, Values};

/// Whether a dataset holds what a key group's estimate reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Availability {
    /// Every column is there (single areas may still lack a value).
    Available,
    /// Some column is missing or of the wrong kind: no estimate at all.
    Unavailable {
        /// The columns the dataset lacks (or holds as the wrong kind).
        missing_columns: Vec<String>,
        /// Why, in words: "column 'x' is not in the dataset; …".
        reason: String,
    },
}

impl Availability {
    /// True for [`Availability::Available`].
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    /// The missing columns (empty when available).
    pub fn missing_columns(&self) -> &[String] {
        match self {
            Availability::Available => &[],
            Availability::Unavailable {
                missing_columns, ..
            } => missing_columns,
        }
    }
}

/// How a key group's share is estimated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimate {
    /// Product of share columns (each 0–1, times `scale`).
    Share {
        /// The share columns.
        columns: Vec<String>,
        /// Multiplier applied to the product (0.01 for percentages).
        scale: f64,
    },
    /// 1 when the category column is one of `members`, else 0.
    Category {
        /// The category column.
        column: String,
        /// Member labels.
        members: Vec<String>,
    },
}

/// One key group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    /// Id, e.g. `older_75_plus`.
    pub id: PersonaId,
    /// Label.
    pub label: String,
    /// Who they are.
    pub description: String,
    /// How the share is estimated.
    pub estimate: Estimate,
    /// Population column for counts.
    pub population: String,
    /// Why these proxies.
    pub reasoning: String,
    /// The group's likely types of need, each with its reason.
    #[serde(default)]
    pub needs: Vec<PersonaNeed>,
}

/// A type of support need (the persona file's `[[need]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeedType {
    /// Id, e.g. `basic_skills`.
    pub id: String,
    /// Label.
    pub label: String,
    /// What meeting it takes.
    pub description: String,
    /// Its place in the file's `[[need]]` list: needs are listed in this order.
    pub position: usize,
}

/// One of a key group's likely needs (`[[persona.need]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaNeed {
    /// The need type.
    pub need: NeedType,
    /// Why the group is likely to have it, in a sentence.
    pub reason: String,
    /// The source the reason rests on (Ofcom, ONS, Lloyds Consumer Digital
    /// Index, …).
    pub source: String,
}

/// The need types the personas list, in the file's `[[need]]` order (a need
/// no group lists cannot be estimated, so it is not among them).
pub fn need_types(personas: &[Persona]) -> Vec<NeedType> {
    let mut out: Vec<NeedType> = Vec::new();
    for n in personas.iter().flat_map(|p| &p.needs) {
        if !out.iter().any(|x| x.id == n.need.id) {
            out.push(n.need.clone());
        }
    }
    out.sort_by_key(|n| n.position);
    out
}

impl Persona {
    /// Every dataset column the estimate reads (for the API).
    pub fn columns(&self) -> Vec<String> {
        let mut c = match &self.estimate {
            Estimate::Share { columns, .. } => columns.clone(),
            Estimate::Category { column, .. } => vec![column.clone()],
        };
        c.push(self.population.clone());
        c
    }
}

/// Which of the group's columns the dataset lacks, each with why.
fn availability(dataset: &Dataset, p: &Persona) -> Availability {
    let mut missing = Vec::new();
    let mut why = Vec::new();
    let (numeric, category): (Vec<&String>, Option<&String>) = match &p.estimate {
        Estimate::Share { columns, .. } => (columns.iter().collect(), None),
        Estimate::Category { column, .. } => (Vec::new(), Some(column)),
    };
    let wanted = numeric
        .into_iter()
        .map(|c| (c, true))
        .chain(category.map(|c| (c, false)))
        .chain([(&p.population, true)]);
    for (col, want_numeric) in wanted {
        let problem = match dataset.column(col).map(|c| &c.values) {
            None => "is not in the dataset",
            Some(Values::Numeric(_)) if want_numeric => continue,
            Some(Values::Category(_)) if !want_numeric => continue,
            Some(Values::Numeric(_)) => "is numeric, not a category",
            Some(Values::Category(_)) => "is a category, not numeric",
        };
        if !missing.contains(col) {
            missing.push(col.clone());
            why.push(format!("column '{col}' {problem}"));
        }
    }
    if missing.is_empty() {
        Availability::Available
    } else {
        Availability::Unavailable {
            missing_columns: missing,
            reason: why.join("; "),
        }
    }
}

/// Estimates one key group for every area: no share or count at all when
/// the group is unavailable (a missing population column too: a share
/// without counts would be shown as a group of nobody).
pub fn estimate(dataset: &Dataset, p: &Persona) -> PersonaScore {
    let n = dataset.areas.len();
    let availability = availability(dataset, p);
    if !availability.is_available() {
        return PersonaScore {
            id: p.id.clone(),
            label: p.label.clone(),
            availability,
            count: vec![None; n],
            share: vec![None; n],
        };
    }
    let share: Vec<Option<f64>> = match &p.estimate {
        Estimate::Share { columns, scale } => {
            let cols: Option<Vec<&[Option<f64>]>> =
                columns.iter().map(|c| dataset.numeric(c)).collect();
            match cols {
                None => vec![None; n],
                Some(cols) => (0..n)
                    .map(|a| {
                        let mut s = *scale;
                        for c in &cols {
                            s *= c[a]?;
                        }
                        Some(s.clamp(0.0, 1.0))
                    })
                    .collect(),
            }
        }
        Estimate::Category { column, members } => match dataset.column(column).map(|c| &c.values) {
            Some(Values::Category(v)) => v
                .iter()
                .map(|x| {
                    x.as_ref().map(|x| {
                        if members.iter().any(|m| m == x) {
                            1.0
                        } else {
                            0.0
                        }
                    })
                })
                .collect(),
            _ => vec![None; n],
        },
    };
    let count = match dataset.numeric(&p.population) {
        Some(pop) => share
            .iter()
            .zip(pop)
            .map(|(s, q)| Some(s.as_ref()? * q.as_ref()?))
            .collect(),
        None => vec![None; n],
    };
    PersonaScore {
        id: p.id.clone(),
        label: p.label.clone(),
        availability,
        count,
        share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::parse_personas;

    #[test]
    fn shares_multiply_and_counts_use_population() {
        use crate::dataset::{Column, ColumnId, Source};
        let col = |id: &str, v: Vec<Option<f64>>| Column {
            id: ColumnId(id.into()),
            label: id.into(),
            values: Values::Numeric(v),
            source: Source::default(),
        };
        let area = |c: &str| crate::dataset::Area {
            code: crate::dataset::LsoaCode::new(c),
            name: String::new(),
            borough: None,
            ward: None,
            geometry: geo_types::MultiPolygon(vec![]),
        };
        let d = Dataset {
            areas: vec![area("E1"), area("E2")],
            columns: vec![
                col("population", vec![Some(1000.0), None]),
                col("x", vec![Some(0.5), Some(0.2)]),
                col("y", vec![Some(0.1), Some(0.5)]),
            ],
            ..Dataset::default()
        };
        let p = &parse_personas(
            "[[persona]]\nid = \"xy\"\nlabel = \"XY\"\nshare = [\"x\", \"y\"]\n",
            "p.toml",
        )
        .unwrap()[0];
        let s = estimate(&d, p);
        assert_eq!(s.share, vec![Some(0.05), Some(0.1)]);
        assert_eq!(s.count, vec![Some(50.0), None]);
    }
}
