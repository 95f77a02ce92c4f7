//! What scoring gives: [`Scores`], every output aligned with the
//! dataset's areas: the indicator and component score columns
//! ([`IndicatorScore`], [`ComponentScore`]), the index with its rank,
//! decile, coverage and [`IndexStatus`], each area's top [`Drivers`], the
//! optional [`Sensitivity`] and the key-group estimates
//! ([`PersonaScore`]). Plain data, serialised into dataset artefacts and
//! read by the exports, tiles and server.

use serde::{Deserialize, Serialize};

use super::personas::Availability;
use super::{ComponentId, IndicatorId, PersonaId, ScoreColumn};

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
    pub(super) top: usize,
    /// Drivers used in each area's slots.
    pub(super) used: Vec<u8>,
    /// `top` slots per area.
    pub(super) slots: Vec<Driver>,
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
    /// The N of each ranked area's "rank r of N": how many areas its scope
    /// group ranks in this run. Kept per area so that a part of a run
    /// (`serve --within`) still says of how many its ranks are. Empty for
    /// scores made by hand or read from an older file.
    #[serde(default)]
    pub ranked_of: Vec<Option<u32>>,
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
