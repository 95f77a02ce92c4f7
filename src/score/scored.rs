//! A dataset with its scores: a [`Dataset`], a [`Methodology`] and run
//! options in, a [`ScoredDataset`] out, which tiles, server and export
//! consume; with the raw inputs of each indicator and, for an area without
//! an index, the reason in words.

use std::sync::Arc;

use super::weights;
use super::{IndexStatus, Methodology, MissingPolicy, ScoreError, ScoreOptions, Scores, score};
use crate::dataset::Dataset;

/// A dataset with the scores of one methodology: what tiles, server and export consume.
#[derive(Clone, Debug)]
pub struct ScoredDataset {
    /// The joined data.
    pub dataset: Arc<Dataset>,
    /// The methodology in force (with a run's `--scope`, see
    /// [`Methodology::in_force`]).
    pub methodology: Arc<Methodology>,
    /// Its results.
    pub scores: Scores,
}

impl ScoredDataset {
    /// Scores `dataset` with `methodology` and keeps all three together.
    pub fn new(
        dataset: Arc<Dataset>,
        methodology: Arc<Methodology>,
        opts: &ScoreOptions,
    ) -> Result<ScoredDataset, ScoreError> {
        let scores = score(&dataset, &methodology, opts)?;
        let methodology = match opts.scope {
            Some(_) => Arc::new(methodology.in_force(opts)),
            None => methodology,
        };
        Ok(ScoredDataset {
            dataset,
            methodology,
            scores,
        })
    }

    /// Why area `a` has no index, in words ("insufficient data: …", naming
    /// the shares present and the missing inputs); `None` when it has one
    /// or is outside the scope.
    pub fn insufficiency(&self, a: usize) -> Option<String> {
        let s = &self.scores;
        if s.status_of(a) != IndexStatus::InsufficientData {
            return None;
        }
        let m = &self.methodology;
        let missing: Vec<&str> = s.missing_inputs(a).map(|id| id.0.as_str()).collect();
        let mut why = Vec::new();
        if missing.len() == s.indicators.len() {
            why.push("no input is present".to_string());
        } else if m.missing == MissingPolicy::ExcludeArea && !missing.is_empty() {
            why.push("missing = \"exclude_area\" needs every input".to_string());
        } else {
            let pct = |x: f64| format!("{:.0}%", 100.0 * x);
            let cov = s.coverage.get(a).unwrap_or(0.0);
            why.push(format!(
                "{} of the index weight present (minimum {})",
                pct(cov),
                pct(m.min_coverage)
            ));
            for comp in &s.components {
                let present: f64 = s
                    .indicators
                    .iter()
                    .filter(|i| i.component == comp.id && i.score.get(a).is_some())
                    .map(|i| i.weight)
                    .sum();
                if comp.weight > 0.0 && present < weights::threshold(m.min_coverage) {
                    why.push(format!("{} of component '{}'", pct(present), comp.id.0));
                }
            }
        }
        Some(format!(
            "insufficient data: {}; missing {}",
            why.join(", "),
            if missing.is_empty() {
                "nothing".to_string()
            } else {
                missing.join(", ")
            }
        ))
    }

    /// The raw input values of indicator `j` (in [`Scores::indicators`]
    /// order), aligned with the areas; empty when there is no such indicator.
    pub fn raw(&self, j: usize) -> &[Option<f64>] {
        self.scores
            .indicators
            .get(j)
            .and_then(|ind| self.dataset.numeric(&ind.column))
            .unwrap_or_default()
    }
}
