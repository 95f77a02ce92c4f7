//! [`ScoreColumn`]: one score per area, stored dense.
//!
//! Scores are `f64` with NaN standing for "no score" (missing input or out
//! of scope). A `Vec<Option<f64>>` takes 16 bytes a value, with the flag
//! and the value interleaved, so every scoring pass branched on the flag
//! and could not use vector instructions; dense columns are half the memory
//! and the passes over them are straight-line arithmetic. The NaN never
//! leaves this type: everything public reads `Option<f64>`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One 0–10 score per area, aligned with `Dataset::areas`; `None` where an
/// area has no score.
#[derive(Clone, Default)]
pub struct ScoreColumn(Vec<f64>);

impl ScoreColumn {
    /// A column of `n` areas with no score.
    pub fn empty(n: usize) -> ScoreColumn {
        ScoreColumn(vec![f64::NAN; n])
    }

    /// From dense values, NaN meaning no score.
    pub(crate) fn from_dense(values: Vec<f64>) -> ScoreColumn {
        ScoreColumn(values)
    }

    /// The dense values, NaN meaning no score (for the scoring passes).
    pub(crate) fn dense(&self) -> &[f64] {
        &self.0
    }

    /// The dense values, mutable (for the scoring passes).
    pub(crate) fn dense_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no areas.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The score of area `a`; `None` when it has none or is past the end.
    pub fn get(&self, a: usize) -> Option<f64> {
        self.0.get(a).copied().filter(|v| !v.is_nan())
    }

    /// Every area's score, in area order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|v| (!v.is_nan()).then_some(*v))
    }

    /// The scores as options.
    pub fn to_vec(&self) -> Vec<Option<f64>> {
        self.iter().collect()
    }
}

impl From<Vec<Option<f64>>> for ScoreColumn {
    /// A present NaN counts as no score.
    fn from(v: Vec<Option<f64>>) -> ScoreColumn {
        v.into_iter().collect()
    }
}

impl FromIterator<Option<f64>> for ScoreColumn {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(iter: I) -> ScoreColumn {
        ScoreColumn(iter.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

impl PartialEq for ScoreColumn {
    /// As `Vec<Option<f64>>` compares (so `0.0 == -0.0`).
    fn eq(&self, other: &ScoreColumn) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for ScoreColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ScoreColumn {
    /// As a sequence of numbers and nulls.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ScoreColumn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ScoreColumn, D::Error> {
        Vec::<Option<f64>>::deserialize(d).map(ScoreColumn::from)
    }
}

#[cfg(test)]
mod tests {
    use super::ScoreColumn;

    #[test]
    fn nan_is_never_a_score() {
        let c = ScoreColumn::from(vec![Some(1.5), None, Some(f64::NAN), Some(-0.0)]);
        assert_eq!(c.to_vec(), vec![Some(1.5), None, None, Some(-0.0)]);
        assert_eq!(c.get(2), None);
        assert_eq!(c.get(9), None);
        assert_eq!(format!("{c:?}"), "[Some(1.5), None, None, Some(-0.0)]");
        let json = serde_json::to_string(&c).expect("json");
        assert_eq!(json, "[1.5,null,null,-0.0]");
        let back: ScoreColumn = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, c);
    }
}
