//! The one description of a scored area's attributes, shared by tiles,
//! exports and the JSON API.
//!
//! In: a [`ScoredDataset`]. Out: a [`Schema`]: one [`Field`] per attribute
//! (identity, scores, uncertainty, key groups, the demonstration flag, then
//! every source column), each with its name, [`Kind`], unit, decimal places,
//! how it rolls up to wards and boroughs ([`Rollup`]), the zoom at which it
//! enters the `lsoa` tile layer and the API bodies that carry it
//! ([`ApiLevel`]), with a sentence saying what it is and what a higher
//! value means (for legends). [`Field::value`] reads one area's value, already rounded
//! by [`round`], so every output writes the same number under the same name.
//! A new attribute is one entry in [`Schema::of`].

mod fields;

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::dataset::{Dataset, Values};
use crate::score::ScoredDataset;

pub use fields::{cell_json, column_kind_unit, lsoa_count_field, unit_from_label};

/// Lowest zoom of the `lsoa` tile layer: below it LSOAs are smaller than a pixel.
pub const LSOA_MINZOOM: u8 = 8;
/// First zoom at which `lsoa` tiles carry every tile field. Below it (the
/// overview zooms, where a tile holds thousands of areas) they carry only
/// the fields `Schema::of` marks as overview ones: the code the page joins on, the
/// index, decile and index status. The web map takes everything else from
/// `/api/scores` there; GIS readers get the full set from this zoom on.
pub const DETAIL_MINZOOM: u8 = 11;
/// Decimal places of coordinates (about 0.1 m), as RFC 7946 suggests.
pub const COORD_DECIMALS: u8 = 6;
/// Decimal places of raw source values: enough that re-ingesting an export
/// gives the same scores.
pub const RAW_DECIMALS: u8 = 9;

/// What a field holds; it fixes the default unit and precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text (codes, names).
    Text,
    /// A 0–10 score (index, component, indicator).
    Score,
    /// A proportion 0–1 (shares, probabilities, rates).
    Share,
    /// A head-count.
    Count,
    /// A rank or decile (whole numbers).
    Rank,
    /// True or false.
    Flag,
    /// A label from a fixed set.
    Category,
    /// Any other number (a source value such as an IMD score).
    Value,
}

impl Kind {
    /// The kind's name in `/api/meta` and docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Score => "score",
            Kind::Share => "share",
            Kind::Count => "count",
            Kind::Rank => "rank",
            Kind::Flag => "flag",
            Kind::Category => "category",
            Kind::Value => "value",
        }
    }

    /// Decimal places written for a derived field of this kind: scores to
    /// 1/10,000 of a point, shares to a hundredth of a percentage point,
    /// counts and ranks whole.
    pub fn decimals(self) -> u8 {
        match self {
            Kind::Score | Kind::Share => 4,
            Kind::Value => RAW_DECIMALS,
            _ => 0,
        }
    }

    /// The unit, for labels.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Score => "score 0–10",
            Kind::Share => "proportion 0–1",
            Kind::Count => "people",
            Kind::Rank => "rank",
            _ => "",
        }
    }

    /// True for numeric kinds.
    pub fn is_numeric(self) -> bool {
        !matches!(self, Kind::Text | Kind::Flag | Kind::Category)
    }
}

/// How a field becomes one value per ward or borough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollup {
    /// Identifies the unit (code, name): replaced by the unit's own.
    Key,
    /// Summed over the unit's areas (head-counts).
    Sum,
    /// Population-weighted mean over the unit's areas with a value. For a
    /// share of residents this is the unit's share recomputed from summed
    /// numerators and population.
    WeightedMean,
    /// Recomputed among the units (rank and decile from the rolled-up index).
    Recompute,
    /// True when any of the unit's areas is true.
    Any,
    /// Not meaningful for a unit; left out.
    Drop,
}

impl Rollup {
    /// The method's name in `/api/meta` and export metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Rollup::Key => "key",
            Rollup::Sum => "sum",
            Rollup::WeightedMean => "population_weighted_mean",
            Rollup::Recompute => "recompute",
            Rollup::Any => "any",
            Rollup::Drop => "drop",
        }
    }
}

/// Which API bodies carry a field (each level includes the ones before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiLevel {
    /// Area lists (`/api/areas?…`), `/api/scores` and area details.
    Summary,
    /// `/api/scores` (the map's columns) and area details.
    Scores,
    /// Area details only (`/api/areas/{code}`, `/api/lookup`).
    Detail,
}

/// Where a field's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Of {
    /// `Area::code`.
    Code,
    /// `Area::name`.
    Name,
    /// `Area::borough_code`.
    BoroughCode,
    /// `Area::borough_name`.
    BoroughName,
    /// `Area::ward_code`.
    WardCode,
    /// `Area::ward_name`.
    WardName,
    /// `Scores::index`.
    Index,
    /// `Scores::rank`.
    Rank,
    /// `Scores::decile`.
    Decile,
    /// `Scores::status_of`: `ok`, `insufficient_data` or `out_of_scope`.
    IndexStatus,
    /// `Scores::missing_inputs`, joined with `;`.
    MissingInputs,
    /// `Scores::coverage`: the share of the index weight present.
    Coverage,
    /// `Scores::drivers`: the driving indicators' ids, `;`-separated.
    Drivers,
    /// `Scores::components[j]`.
    Component(usize),
    /// `Scores::indicators[j]`.
    Indicator(usize),
    /// `Sensitivity::p_top_decile`.
    TopDecileProbability,
    /// `Sensitivity::rank_p05`.
    RankP05,
    /// `Sensitivity::rank_p95`.
    RankP95,
    /// `Scores::personas[j].count`.
    KeyGroupCount(usize),
    /// `Scores::personas[j].share`.
    KeyGroupShare(usize),
    /// `ScoredDataset::need_count(j, ·).estimate`: need type `j` (its place
    /// in the persona file's `[[need]]` list), the largest group behind it.
    NeedCount(usize),
    /// `ScoredDataset::need_count(j, ·).upper`: its upper bound.
    NeedUpper(usize),
    /// [`area_is_demonstration`].
    Demonstration,
    /// `Dataset::columns[j]`, raw.
    Column(usize),
    /// The number of areas in a ward or borough (roll-ups only).
    AreaCount,
}

/// One attribute of a scored area.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Name in tiles, CSV headers, GeoJSON properties and JSON bodies.
    pub name: String,
    /// Human label.
    pub label: String,
    /// What it holds.
    pub kind: Kind,
    /// Unit, for labels ("" for text).
    pub unit: &'static str,
    /// Decimal places kept everywhere (0: written as a whole number).
    pub decimals: u8,
    /// How it rolls up to wards and boroughs.
    pub rollup: Rollup,
    /// Zoom from which `lsoa` tiles carry it; `None`: not in tiles.
    pub tile_minzoom: Option<u8>,
    /// API bodies that carry it; `None`: exports only.
    pub api: Option<ApiLevel>,
    /// Where its values come from.
    pub of: Of,
    /// What it is, in a sentence, for legends and the page's "About" ("" when
    /// the label says it all).
    pub description: String,
    /// What a higher value means, for legends ("higher risk", "more
    /// residents in the group"); "" when more is neither better nor worse.
    pub higher: &'static str,
}

/// One area's value of a field, rounded.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Text (never empty).
    Text(Cow<'a, str>),
    /// A finite number rounded to the field's decimals.
    Num(f64),
    /// A flag.
    Bool(bool),
}

/// Every field of a scored dataset, in output order.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The fields.
    pub fields: Vec<Field>,
}

/// `x` rounded to `decimals` places (half away from zero), `-0` as `0`:
/// the only rounding of attribute values, so equal values encode equally.
pub fn round(x: f64, decimals: u8) -> f64 {
    let p = 10f64.powi(i32::from(decimals));
    let scaled = x * p;
    // Beyond 2^52 every double is already an integer at this scale.
    let r = if scaled.abs() < 4.503_599_627_370_496e15 {
        scaled.round() / p
    } else {
        x
    };
    if r == 0.0 { 0.0 } else { r }
}

/// True when area `i` has a present value in any demonstration column.
pub fn area_is_demonstration(dataset: &Dataset, i: usize) -> bool {
    dataset.columns.iter().any(|c| {
        c.source.demonstration
            && match &c.values {
                Values::Numeric(v) => v.get(i).is_some_and(|x| x.is_some()),
                Values::Category(v) => v.get(i).is_some_and(|x| x.is_some()),
            }
    })
}

/// The vintage of the ward boundaries areas are assigned to (the `wards`
/// layer's), or "" when the dataset has no wards or does not say.
pub fn ward_vintage(dataset: &Dataset) -> &str {
    dataset.layer("wards").map_or("", |l| l.vintage.as_str())
}

impl Field {
    pub(crate) fn new(
        name: impl Into<String>,
        label: impl Into<String>,
        kind: Kind,
        of: Of,
    ) -> Field {
        let rollup = match kind {
            Kind::Text | Kind::Category => Rollup::Drop,
            Kind::Count => Rollup::Sum,
            Kind::Rank => Rollup::Recompute,
            Kind::Flag => Rollup::Any,
            Kind::Score | Kind::Share | Kind::Value => Rollup::WeightedMean,
        };
        Field {
            name: name.into(),
            label: label.into(),
            kind,
            unit: kind.unit(),
            decimals: kind.decimals(),
            rollup,
            tile_minzoom: Some(DETAIL_MINZOOM),
            api: Some(ApiLevel::Scores),
            of,
            description: String::new(),
            higher: "",
        }
    }

    pub(crate) fn describe(
        mut self,
        description: impl Into<String>,
        higher: &'static str,
    ) -> Field {
        self.description = description.into();
        self.higher = higher;
        self
    }

    pub(crate) fn rollup(mut self, r: Rollup) -> Field {
        self.rollup = r;
        self
    }

    /// In tiles from the layer's first zoom: one of the few fields the
    /// overview zooms carry.
    pub(crate) fn overview(mut self) -> Field {
        self.tile_minzoom = Some(LSOA_MINZOOM);
        self
    }

    pub(crate) fn detail(mut self) -> Field {
        self.tile_minzoom = Some(DETAIL_MINZOOM);
        self.api = Some(ApiLevel::Detail);
        self
    }

    pub(crate) fn api(mut self, level: Option<ApiLevel>) -> Field {
        self.api = level;
        self
    }

    /// Area `i`'s value, rounded to the field's decimals; `None` when
    /// missing (or empty text).
    pub fn value<'a>(&self, scored: &'a ScoredDataset, i: usize) -> Option<Cell<'a>> {
        match self.exact(scored, i)? {
            Cell::Num(x) => Some(Cell::Num(round(x, self.decimals))),
            c => Some(c),
        }
    }

    /// Area `i`'s value before rounding (roll-ups aggregate these).
    pub fn exact<'a>(&self, scored: &'a ScoredDataset, i: usize) -> Option<Cell<'a>> {
        let ds = &*scored.dataset;
        let s = &scored.scores;
        let a = ds.areas.get(i)?;
        let text = |t: &'a str| (!t.is_empty()).then_some(Cell::Text(Cow::Borrowed(t)));
        let at = |v: &[Option<f64>]| v.get(i).copied().flatten();
        let x = match self.of {
            Of::Code => return text(a.code.as_str()),
            Of::Name => return text(&a.name),
            Of::BoroughCode => return a.borough_code().and_then(text),
            Of::BoroughName => return a.borough_name().and_then(text),
            Of::WardCode => return a.ward_code().and_then(text),
            Of::WardName => return a.ward_name().and_then(text),
            Of::Demonstration => return Some(Cell::Bool(area_is_demonstration(ds, i))),
            Of::AreaCount => Some(1.0),
            Of::Index => s.index.get(i),
            Of::Rank => s.rank.get(i).copied().flatten().map(f64::from),
            Of::Decile => s.decile.get(i).copied().flatten().map(f64::from),
            Of::IndexStatus => return text(s.status_of(i).as_str()),
            Of::MissingInputs => {
                let joined = s.missing_inputs_joined(i);
                return (!joined.is_empty()).then_some(Cell::Text(Cow::Owned(joined)));
            }
            Of::Coverage => s.coverage.get(i),
            Of::Drivers => {
                let ids: Vec<&str> = s
                    .drivers
                    .get(i)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|d| s.indicators.get(d.indicator))
                    .map(|ind| ind.id.0.as_str())
                    .collect();
                return (!ids.is_empty()).then(|| Cell::Text(Cow::Owned(ids.join(";"))));
            }
            Of::Component(j) => s.components.get(j)?.score.get(i),
            Of::Indicator(j) => s.indicators.get(j)?.score.get(i),
            Of::TopDecileProbability => at(&s.sensitivity.as_ref()?.p_top_decile),
            Of::RankP05 => at(&s.sensitivity.as_ref()?.rank_p05),
            Of::RankP95 => at(&s.sensitivity.as_ref()?.rank_p95),
            Of::KeyGroupCount(j) => at(&s.personas.get(j)?.count),
            Of::KeyGroupShare(j) => at(&s.personas.get(j)?.share),
            Of::NeedCount(j) => scored.need_count(j, i).estimate,
            Of::NeedUpper(j) => scored.need_count(j, i).upper,
            Of::Column(j) => match &ds.columns.get(j)?.values {
                Values::Numeric(v) => at(v),
                Values::Category(v) => {
                    return v.get(i)?.as_deref().and_then(text);
                }
            },
        };
        x.filter(|x| x.is_finite()).map(Cell::Num)
    }

    /// The field's entry in `/api/meta` `fields`.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "label": self.label,
            "kind": self.kind.as_str(),
            "unit": self.unit,
            "decimals": self.decimals,
            "rollup": self.rollup.as_str(),
            "tile_minzoom": self.tile_minzoom,
            "api": self.api.map(|l| match l {
                ApiLevel::Summary => "summary",
                ApiLevel::Scores => "scores",
                ApiLevel::Detail => "detail",
            }),
            "description": self.description,
            "higher": self.higher,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_is_half_away_from_zero_without_negative_zero() {
        assert_eq!(round(0.1 + 0.2, 6), 0.3);
        assert_eq!(round(1.23456, 4), 1.2346);
        assert_eq!(round(-1.23455, 4), -1.2346);
        let z = round(-0.00001, 4);
        assert!(z == 0.0 && z.is_sign_positive());
        assert_eq!(round(1e20, 9), 1e20);
    }

    #[test]
    fn kinds_fix_default_precision_and_rollup() {
        let f = |k| Field::new("x", "x", k, Of::Index);
        assert_eq!(f(Kind::Count).rollup, Rollup::Sum);
        assert_eq!(f(Kind::Count).decimals, 0);
        assert_eq!(f(Kind::Share).rollup, Rollup::WeightedMean);
        assert_eq!(f(Kind::Rank).rollup, Rollup::Recompute);
        assert_eq!(f(Kind::Text).rollup, Rollup::Drop);
        assert_eq!(f(Kind::Score).decimals, 4);
    }

    #[test]
    fn a_value_columns_unit_follows_its_label() {
        assert_eq!(
            unit_from_label("Premises without gigabit-capable broadband (%)"),
            "percent"
        );
        assert_eq!(
            unit_from_label("Share aged 65 and over"),
            Kind::Share.unit()
        );
        assert_eq!(unit_from_label("IMD 2025 score"), "");
    }
}
