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
//! `transform` (0–10), `weights` (combination), `rank` (ranks, deciles),
//! `medians` (the typical area drivers are measured against), `drivers`,
//! `sensitivity`, `personas` (key groups and their needs; `persona_file`
//! reads them), `needs` (need head-counts per area), `scores` (what scoring
//! gives), `error`; `parse` reads the TOML, `check` checks it against a
//! dataset, and `scored` keeps dataset, methodology and scores together.

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
mod scores;
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
/// The decile formula, also what `crate::export` ranks roll-ups with.
pub use rank::decile;
/// Ranks and deciles within groups: also what `crate::select` ranks a selection with.
pub use rank::{Ranks, ranks};
pub use scope::{Groups, LONG_RUN, Segment, groups};
pub use scored::ScoredDataset;
pub use scores::{
    ComponentScore, Driver, Drivers, IndexStatus, IndicatorScore, PersonaScore, Scores, Sensitivity,
};
pub use transform::{DEGENERATE_SCORE, imd_exponential, transform_column, transform_group};

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

/// Scores the dataset: see the module docs for the stages.
pub fn score(
    dataset: &Dataset,
    methodology: &Methodology,
    opts: &ScoreOptions,
) -> Result<Scores, ScoreError> {
    // Run on one of rayon's threads. Called from outside the pool, each of
    // the parallel steps would be sent in as a job and its workers woken,
    // which they sleep again between the steps; on a worker, each step is
    // a join the other worker steals from. 7–10% off re-scoring E&W by
    // local authority (benches/README.md, "Scoring").
    rayon::scope(|_| score_in_pool(dataset, methodology, opts))
}

/// [`score`], on a rayon thread.
fn score_in_pool(
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
    let (
        drivers,
        rank::Ranks {
            rank,
            decile,
            of: ranked_of,
        },
    ) = rayon::join(
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
        ranked_of,
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
