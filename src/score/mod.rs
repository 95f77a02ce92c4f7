//! Scoring: a [`Methodology`] applied to a [`Dataset`] gives [`Scores`].
//!
//! (Contract stub: the score helper replaces the bodies; the public names and
//! fields below are what `tiles`, `server` and `export` code against. Add
//! freely; change only with care.)

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, LsoaCode};

/// Errors from loading a methodology or scoring.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// Placeholder until the scoring core lands.
    #[error("{0}")]
    Other(String),
}

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

/// A methodology: indicators, weights, components, normalisation, personas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Methodology {
    /// Short name, e.g. "DERI v1.6".
    pub name: String,
}

impl Methodology {
    /// Loads a methodology TOML file.
    pub fn load(path: &Path) -> Result<Methodology, ScoreError> {
        Err(ScoreError::Other(format!("{}: not implemented", path.display())))
    }
}

/// Per-run options.
#[derive(Clone, Debug, Default)]
pub struct ScoreOptions {
    /// Overrides the methodology's normalisation scope.
    pub scope: Option<Scope>,
    /// Run the weight-sensitivity analysis with this many draws.
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
    /// The raw input value.
    pub raw: Vec<Option<f64>>,
    /// The transformed score, 0–10 where 10 is highest risk.
    pub score: Vec<Option<f64>>,
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
    pub score: Vec<Option<f64>>,
}

/// One indicator's contribution to an area's index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// The indicator.
    pub indicator: IndicatorId,
    /// Its contribution to the index, in index points.
    pub contribution: f64,
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
    /// Estimated count of residents.
    pub count: Vec<Option<f64>>,
    /// Estimated share of residents, 0–1.
    pub share: Vec<Option<f64>>,
}

/// Everything scoring produces, aligned with `Dataset::areas`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Indicator scores.
    pub indicators: Vec<IndicatorScore>,
    /// Component scores.
    pub components: Vec<ComponentScore>,
    /// The index, 0–10.
    pub index: Vec<Option<f64>>,
    /// Rank within scope, 1 = highest risk.
    pub rank: Vec<Option<u32>>,
    /// Decile within scope, 10 = highest-risk tenth.
    pub decile: Vec<Option<u8>>,
    /// Top drivers per area, largest contribution first.
    pub drivers: Vec<Vec<Driver>>,
    /// Sensitivity, when requested.
    pub sensitivity: Option<Sensitivity>,
    /// Key-group estimates.
    pub personas: Vec<PersonaScore>,
}

/// Scores the dataset.
pub fn score(
    dataset: &Dataset,
    methodology: &Methodology,
    _opts: &ScoreOptions,
) -> Result<Scores, ScoreError> {
    let _ = (dataset, methodology);
    Err(ScoreError::Other("scoring not implemented".into()))
}

/// A dataset with the scores of one methodology: what tiles, server and export consume.
#[derive(Clone, Debug)]
pub struct ScoredDataset {
    /// The joined data.
    pub dataset: Arc<Dataset>,
    /// The methodology in force.
    pub methodology: Arc<Methodology>,
    /// Its results.
    pub scores: Scores,
}
