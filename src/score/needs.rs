//! Types of need per area. In: a [`ScoredDataset`] whose key groups list
//! their likely needs (`[[persona.need]]`) and their estimated head-counts.
//! Out: for each area and need type, the groups behind the need with their
//! head-counts, and the need's head-count without double counting: the
//! groups overlap (an older disabled resident on a low income is in three),
//! so the estimate is the largest group behind the need, stated with the
//! bound largest group ≤ people with the need ≤ min(sum of the groups,
//! population) ([`NeedCount`]).

use super::personas::NeedType;
use super::{ScoredDataset, need_types};

/// An area's head-count for one need type.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NeedCount {
    /// The largest group behind the need: the estimate, and the lower bound.
    /// `None` where no group behind it has a count for the area.
    pub estimate: Option<f64>,
    /// min(sum of the groups, population): the upper bound. `None` where
    /// some group behind the need has no count for the area (the sum would
    /// not bound it).
    pub upper: Option<f64>,
}

/// One group behind an area's need.
#[derive(Clone, Debug, PartialEq)]
pub struct NeedGroup {
    /// The group's position in [`Scores::personas`](super::Scores::personas).
    pub persona: usize,
    /// Its estimated residents in the area (`None`: no estimate).
    pub count: Option<f64>,
    /// Why the group is likely to have the need.
    pub reason: String,
    /// The source of the reason.
    pub source: String,
}

impl ScoredDataset {
    /// The need types the methodology's key groups list, in file order.
    pub fn need_types(&self) -> Vec<NeedType> {
        need_types(&self.methodology.personas)
    }

    /// The groups behind need `position` (its place in the `[[need]]`
    /// list) in area `a`, in persona order.
    pub fn need_groups(&self, position: usize, a: usize) -> Vec<NeedGroup> {
        let s = &self.scores;
        self.methodology
            .personas
            .iter()
            .filter_map(|p| {
                let n = p.needs.iter().find(|n| n.need.position == position)?;
                let persona = s.personas.iter().position(|k| k.id == p.id)?;
                Some(NeedGroup {
                    persona,
                    count: s.personas[persona].count.get(a).copied().flatten(),
                    reason: n.reason.clone(),
                    source: n.source.clone(),
                })
            })
            .collect()
    }

    /// Area `a`'s head-count for need `position` (allocation-free: tiles
    /// and exports read it for every area).
    pub fn need_count(&self, position: usize, a: usize) -> NeedCount {
        let s = &self.scores;
        let (mut max, mut sum, mut complete, mut pop) = (None::<f64>, 0.0, true, None);
        for p in &self.methodology.personas {
            if !p.needs.iter().any(|n| n.need.position == position) {
                continue;
            }
            let Some(k) = s.personas.iter().find(|k| k.id == p.id) else {
                continue;
            };
            match k.count.get(a).copied().flatten() {
                Some(c) => {
                    max = Some(max.map_or(c, |m| m.max(c)));
                    sum += c;
                }
                None => complete = false,
            }
            if pop.is_none() {
                pop = self
                    .dataset
                    .numeric(&p.population)
                    .and_then(|v| v.get(a).copied().flatten());
            }
        }
        NeedCount {
            estimate: max,
            // Never below the estimate, should groups count different populations.
            upper: max
                .filter(|_| complete)
                .map(|m| pop.map_or(sum, |p| sum.min(p)).max(m)),
        }
    }
}
