//! Scoring: a [`Methodology`] applied to a [`Dataset`] gives [`Scores`].
//!
//! In: a dataset (columnar numeric indicators aligned with its areas) and a
//! methodology parsed from the text of `methodology/*.toml`
//! ([`Methodology::parse`]; `crate::methodology_file` reads the files). Out:
//! [`Scores`]: every indicator transformed to 0–10 within its scope group
//! (10 = highest risk), weighted component means, the index, rank (1 =
//! highest risk, ties to the lower code) and decile (10 = highest-risk tenth)
//! within scope, the top drivers of each area's index (what raises it above
//! a typical area in its scope group), optional weight
//! sensitivity, and key-group (persona) estimates. All work is per area or per
//! draw on rayon, with every floating-point sum taken in a fixed order, so the
//! result is bit-identical on any number of threads. Never NaN: missing input
//! gives `None` per the methodology's missing-data policy. Score columns are
//! [`ScoreColumn`]s: dense `f64` inside, `Option<f64>` to every reader.
//!
//! No silent partial scores: each area's coverage (the share of the index
//! weight its present indicators carry) is kept, and an area below the
//! methodology's `min_coverage` (overall, or in any weighted component) gets
//! no index, rank or decile: its [`IndexStatus`] is `InsufficientData`, and
//! [`Scores::missing_inputs`] names what is missing.
//!
//! Re-scoring is column by column: each indicator's scores in one pass over
//! its column (indicators in parallel), then components and index over area
//! chunks (beside each indicator's scope-group medians), then the ranks (a
//! radix sort) beside the drivers, which reuse the chunks' weight sums and
//! select column-wise, without branches. `tests.rs`
//! keeps the straightforward per-group, row-major pipeline this replaced and
//! checks every output against it bit for bit.
//!
//! One step per file: [`methodology`](Methodology) (TOML), `scope` (groups),
//! `transform` (0–10), `weights` (combination), `rank` (ranks, deciles), `drivers`,
//! `sensitivity`, `personas` (key groups and their needs), `needs` (need
//! head-counts per area), `error`; `parse` reads the TOML, `check`
//! checks it against a dataset, and `scored` keeps dataset, methodology and
//! scores together.

mod check;
mod column;
mod drivers;
mod error;
mod medians;
mod methodology;
mod needs;
mod parse;
mod persona_file;
mod personas;
mod rank;
mod scope;
mod scored;
mod sensitivity;
mod transform;
mod weights;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, LsoaCode};

pub use column::ScoreColumn;
pub use error::ScoreError;
pub use methodology::{
    Component, DEFAULT_MIN_COVERAGE, Direction, IndexRescale, Indicator, Methodology,
    MissingPolicy, Origin, SensitivitySettings, Transform,
};
pub use needs::{NeedCount, NeedGroup};
pub use persona_file::parse_personas;
pub use personas::{Availability, Estimate, NeedType, Persona, PersonaNeed, need_types};
pub use scope::{Groups, LONG_RUN, Segment, groups};
pub use scored::ScoredDataset;
pub use transform::{DEGENERATE_SCORE, imd_exponential, transform_column, transform_group};
/// The decile formula, also what `crate::export` ranks roll-ups with.
pub use rank::decile;
/// Ranks and deciles within groups: also what `crate::select` ranks a selection with.
pub use rank::ranks;

/// Identifier of an indicator, e.g. `aged_65_plus`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IndicatorId(pub String);
/// Identifier of a component, e.g. `demography`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ComponentId(pub String);
/// Identifier of a key group (persona), e.g. `older_75_plus`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PersonaId(pub String);
/// The area set that normalisation is computed within.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Scope {
    /// Each local authority separately.
    LocalAuthority,
    /// Each nation (first letter of the code) separately.
    Nation,
    /// All areas together.
    All,
    /// Only the listed areas (the "reactive" scope); others get no score.
    Custom(Vec<LsoaCode>),
}

impl Scope {
    /// The TOML and API spelling: `local_authority`, `nation`, `all`, `custom`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::LocalAuthority => "local_authority",
            Scope::Nation => "nation",
            Scope::All => "all",
            Scope::Custom(_) => "custom",
        }
    }
}

/// Per-run options.
#[derive(Clone, Debug, Default)]
pub struct ScoreOptions {
    /// Overrides the methodology's normalisation scope.
    pub scope: Option<Scope>,
    /// Run the weight-sensitivity analysis with this many draws (band and
    /// seed come from the methodology's `[sensitivity]` table).
    pub sensitivity_draws: Option<u32>,
}

/// Scores of one indicator for every area (aligned with `Dataset::areas`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    /// Indicator id.
    pub id: IndicatorId,
    /// Label.
    pub label: String,
    /// The component it belongs to.
    pub component: ComponentId,
    /// Its weight within the component, normalised to sum to 1.
    pub weight: f64,
    /// The dataset column it reads (its raw values are
    /// [`ScoredDataset::raw`]: not copied here, as re-scoring would pay for
    /// the copy every time).
    pub column: String,
    /// The transformed score, 0–10 where 10 is highest risk.
    pub score: ScoreColumn,
}

/// Scores of one component for every area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentScore {
    /// Component id.
    pub id: ComponentId,
    /// Label.
    pub label: String,
    /// Its weight in the index, normalised to sum to 1.
    pub weight: f64,
    /// 0–10, 10 is highest risk.
    pub score: ScoreColumn,
}

/// One indicator that raises an area's index above a typical area's in its
/// scope group (see `drivers.rs` and methodology/README.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// The indicator, as its position in [`Scores::indicators`] (a number, not
    /// an id string, so that re-scoring allocates nothing per area).
    pub indicator: usize,
    /// Index points it adds relative to the scope median: its effective
    /// weight × (the area's score − the scope group's median score); always
    /// positive.
    pub contribution: f64,
    /// The scope group's median raw value of the indicator, to set the
    /// area's raw value against.
    #[serde(default)]
    pub median: Option<f64>,
}

/// The top drivers of every area, stored flat (a fixed number of slots per
/// area) rather than one vector per area.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Drivers {
    /// Slots per area.
    top: usize,
    /// Drivers used in each area's slots.
    used: Vec<u8>,
    /// `top` slots per area.
    slots: Vec<Driver>,
}

impl Drivers {
    /// Number of areas.
    pub fn len(&self) -> usize {
        self.used.len()
    }

    /// True when there are no areas.
    pub fn is_empty(&self) -> bool {
        self.used.is_empty()
    }

    /// Drivers of area `a`, largest contribution first; `None` past the end.
    pub fn get(&self, a: usize) -> Option<&[Driver]> {
        let used = usize::from(*self.used.get(a)?);
        self.slots.get(a * self.top..a * self.top + used)
    }

    /// Every area's drivers, in area order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[Driver]> + '_ {
        (0..self.len()).map(|a| self.get(a).unwrap_or(&[]))
    }
}

impl From<Vec<Vec<Driver>>> for Drivers {
    /// Drivers per area (at most 255 each).
    fn from(per_area: Vec<Vec<Driver>>) -> Drivers {
        let top = per_area.iter().map(Vec::len).max().unwrap_or(0).min(255);
        let mut d = Drivers {
            top,
            used: Vec::with_capacity(per_area.len()),
            slots: vec![Driver::default(); top * per_area.len()],
        };
        for (a, v) in per_area.iter().enumerate() {
            let k = v.len().min(top);
            d.slots[a * top..a * top + k].copy_from_slice(&v[..k]);
            d.used.push(k as u8);
        }
        d
    }
}

/// Weight-sensitivity results per area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    /// Number of random weight draws.
    pub draws: u32,
    /// 5th percentile of the area's rank over the draws (1 = highest risk).
    pub rank_p05: Vec<Option<f64>>,
    /// 95th percentile of the rank.
    pub rank_p95: Vec<Option<f64>>,
    /// Probability of being in the top (highest-risk) decile.
    pub p_top_decile: Vec<Option<f64>>,
}

/// Estimated residents of one key group per area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaScore {
    /// Key-group id.
    pub id: PersonaId,
    /// Label.
    pub label: String,
    /// Whether the dataset holds the group's inputs; when not, which
    /// columns are missing and why (then every share and count is `None`).
    pub availability: Availability,
    /// Estimated count of residents.
    pub count: Vec<Option<f64>>,
    /// Estimated share of residents, 0–1.
    pub share: Vec<Option<f64>>,
}

/// Whether an area has an index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexStatus {
    /// The area has an index, rank and decile.
    #[default]
    Ok,
    /// In scope, but too little of its input is present for an index (below
    /// `min_coverage`, or any input missing under `missing =
    /// "exclude_area"`, or nothing at all): no index, rank or decile.
    InsufficientData,
    /// Outside the run's custom scope: not scored.
    OutOfScope,
}

impl IndexStatus {
    /// The spelling in the API and exports: `ok`, `insufficient_data`,
    /// `out_of_scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Ok => "ok",
            IndexStatus::InsufficientData => "insufficient_data",
            IndexStatus::OutOfScope => "out_of_scope",
        }
    }
}

/// Everything scoring produces, aligned with `Dataset::areas`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Indicator scores.
    pub indicators: Vec<IndicatorScore>,
    /// Component scores.
    pub components: Vec<ComponentScore>,
    /// The index, 0–10.
    pub index: ScoreColumn,
    /// Rank within scope, 1 = highest risk.
    pub rank: Vec<Option<u32>>,
    /// Decile within scope, 10 = highest-risk tenth.
    pub decile: Vec<Option<u8>>,
    /// Share of the index weight present, 0–1: Σ over the area's indicators
    /// with a score of (component weight × indicator weight), both
    /// normalised; `None` outside the scope.
    #[serde(default)]
    pub coverage: ScoreColumn,
    /// Whether each area has an index, and if not why (see
    /// [`Scores::status_of`]).
    #[serde(default)]
    pub status: Vec<IndexStatus>,
    /// Top drivers per area, largest contribution first: what raises the
    /// area's index above a typical area's in its scope group.
    pub drivers: Drivers,
    /// Sensitivity, when requested.
    pub sensitivity: Option<Sensitivity>,
    /// Key-group estimates.
    pub personas: Vec<PersonaScore>,
}

impl Scores {
    /// The status of area `a`. Scores made without statuses (by hand, or
    /// read from an older file) answer from the index: `Ok` where there is
    /// one, else `InsufficientData`.
    pub fn status_of(&self, a: usize) -> IndexStatus {
        match self.status.get(a) {
            Some(s) => *s,
            None if self.index.get(a).is_some() => IndexStatus::Ok,
            None => IndexStatus::InsufficientData,
        }
    }

    /// The indicators area `a` has no score for, in methodology order
    /// (none outside the scope, where nothing is scored): worked out on
    /// demand from the score columns, so scoring stores nothing per area.
    pub fn missing_inputs(&self, a: usize) -> impl Iterator<Item = &IndicatorId> + '_ {
        let in_scope = self.status_of(a) != IndexStatus::OutOfScope;
        self.indicators
            .iter()
            .filter(move |ind| in_scope && ind.score.get(a).is_none())
            .map(|ind| &ind.id)
    }

    /// [`Scores::missing_inputs`] joined with `;` (empty when none), as the
    /// exports write it.
    pub fn missing_inputs_joined(&self, a: usize) -> String {
        let ids: Vec<&str> = self.missing_inputs(a).map(|id| id.0.as_str()).collect();
        ids.join(";")
    }
}

/// Scores the dataset: see the module docs for the stages.
pub fn score(
    dataset: &Dataset,
    methodology: &Methodology,
    opts: &ScoreOptions,
) -> Result<Scores, ScoreError> {
    methodology.check(dataset)?;
    let groups = run_groups(dataset, methodology, opts)?;
    let n = dataset.len();
    let inds: Vec<(usize, &Indicator)> = methodology.indicators().collect();
    let by_id = check::column_map(dataset);
    let raws: Vec<&[Option<f64>]> = inds
        .iter()
        .map(|(_, ind)| {
            let v = match by_id.get(ind.column.as_str()).map(|c| &c.values) {
                Some(crate::dataset::Values::Numeric(v)) => v.as_slice(),
                _ => {
                    return Err(ScoreError::Other(format!(
                        "column '{}' is not numeric",
                        ind.column
                    )));
                }
            };
            if v.len() != n {
                return Err(ScoreError::Other(format!(
                    "column '{}' has {} values for {n} areas",
                    ind.column,
                    v.len()
                )));
            }
            Ok(v)
        })
        .collect::<Result<_, _>>()?;
    // Each indicator's scores; columns in parallel.
    let columns = inds
        .par_iter()
        .zip(raws.par_iter())
        .map(|((_, ind), raw)| {
            transform::transform_column(raw, &groups, ind.transform, ind.direction)
        })
        .collect::<Vec<_>>();
    let (iw, cw) = weights::normalised(methodology);
    let cols: Vec<&[f64]> = columns.iter().map(ScoreColumn::dense).collect();
    let (
        medians,
        weights::Combined {
            components: comps,
            mut index,
            mut coverage,
            sums,
        },
    ) = rayon::join(
        || medians::medians(&cols, &raws, &groups),
        || weights::combine_columns(methodology, &cols, &iw, &cw, n),
    );
    let status = area_status(index.dense(), coverage.dense_mut(), &groups);
    // The ranks are one sort per group: the drivers, from the same sums,
    // keep the other cores busy meanwhile.
    let (drivers, (rank, decile)) = rayon::join(
        || {
            let typical = medians::Typical {
                medians: &medians,
                group_of: &groups.group_of,
            };
            drivers::drivers(methodology, &cols, &iw, &cw, n, &sums, typical)
        },
        || {
            weights::rescale(index.dense_mut(), &groups, methodology.index_rescale);
            rank::ranks(index.dense(), &groups)
        },
    );

    let sensitivity = match opts.sensitivity_draws {
        Some(d) if d > 0 => {
            let s = &methodology.sensitivity;
            // The draws rank the areas this run gives an index, whatever
            // the perturbed weights would make of their coverage.
            let mut prepared = weights::Prepared::new(methodology, &cols, n);
            prepared.keep_only(index.dense());
            Some(sensitivity::sensitivity(
                &prepared, &groups, &iw, &cw, d, s.band, s.seed,
            ))
        }
        _ => None,
    };
    let personas = methodology
        .personas
        .par_iter()
        .map(|p| personas::estimate(dataset, p))
        .collect();

    let indicators = inds
        .iter()
        .zip(columns)
        .enumerate()
        .map(|(j, ((c, ind), score))| IndicatorScore {
            id: ind.id.clone(),
            label: ind.label.clone(),
            component: methodology.components[*c].id.clone(),
            weight: iw[j],
            column: ind.column.clone(),
            score,
        })
        .collect();
    let components = methodology
        .components
        .iter()
        .zip(comps)
        .enumerate()
        .map(|(c, (comp, score))| ComponentScore {
            id: comp.id.clone(),
            label: comp.label.clone(),
            weight: cw[c],
            score,
        })
        .collect();
    Ok(Scores {
        indicators,
        components,
        index,
        rank,
        decile,
        coverage,
        status,
        drivers,
        sensitivity,
        personas,
    })
}

/// Each area's status, from its index (NaN: none) and scope group; clears
/// the coverage of areas outside the scope, where nothing was scored.
fn area_status(index: &[f64], coverage: &mut [f64], groups: &Groups) -> Vec<IndexStatus> {
    index
        .iter()
        .zip(coverage)
        .zip(&groups.group_of)
        .map(|((ix, cov), g)| {
            if g.is_none() {
                *cov = f64::NAN;
                IndexStatus::OutOfScope
            } else if ix.is_nan() {
                IndexStatus::InsufficientData
            } else {
                IndexStatus::Ok
            }
        })
        .collect()
}

fn run_groups(
    dataset: &Dataset,
    methodology: &Methodology,
    opts: &ScoreOptions,
) -> Result<Groups, ScoreError> {
    match &opts.scope {
        Some(s) => {
            let origin = Origin {
                file: "options".into(),
                lines: BTreeMap::new(),
            };
            groups(dataset, s, &origin, "scope")
        }
        None => groups(dataset, &methodology.scope, &methodology.origin, "scope"),
    }
}

/// The component-to-index stage on its own: component scores (one vector per
/// methodology component, in order, aligned with `dataset.areas`) combined
/// with the methodology's component weights, missing-data policy and index
/// rescaling, within the run's scope. Used to check the method against
/// published component scores.
pub fn index_from_components(
    dataset: &Dataset,
    methodology: &Methodology,
    opts: &ScoreOptions,
    components: &[Vec<Option<f64>>],
) -> Result<Vec<Option<f64>>, ScoreError> {
    let k = methodology.components.len();
    let n = dataset.len();
    if components.len() != k || components.iter().any(|c| c.len() != n) {
        return Err(ScoreError::Other(format!(
            "{}: expected {k} component vectors of {n} values",
            methodology.name
        )));
    }
    let groups = run_groups(dataset, methodology, opts)?;
    let mut flat = vec![None; n * k];
    for (c, col) in components.iter().enumerate() {
        for (a, v) in col.iter().enumerate() {
            if groups.group_of[a].is_some() {
                flat[a * k + c] = v.filter(|v| v.is_finite());
            }
        }
    }
    let p = weights::Prepared {
        n,
        k,
        scores: flat,
        comp_of: (0..k).collect(),
        ncomp: k,
        policy: methodology.missing,
        min_coverage: methodology.min_coverage,
    };
    let (_, cw) = weights::normalised(methodology);
    let (_, index) = weights::combine_all(&p, &vec![1.0; k], &cw);
    let mut index = ScoreColumn::from(index);
    weights::rescale(index.dense_mut(), &groups, methodology.index_rescale);
    Ok(index.to_vec())
}

#[cfg(test)]
mod tests;
