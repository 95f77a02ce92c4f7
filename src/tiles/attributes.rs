//! Tile layers from a scored dataset: which attributes each feature carries.
//!
//! In: a [`ScoredDataset`]. Out: [`LayerData`] for the `lsoa` layer (one
//! feature per area, feature id = position in `Dataset::areas`, scores as
//! properties) and the `boroughs` and `wards` outline layers taken from
//! `Dataset::layers`. Missing values are omitted rather than written as
//! sentinels, and floats are rounded to a few decimals so tiles stay small and
//! byte-identical between runs.

use super::{FeatureData, LayerData, PropValue};
use crate::dataset::{Dataset, Values};
use crate::score::{IndexStatus, ScoredDataset};

/// Lowest zoom of the `lsoa` layer: below it LSOAs are smaller than a pixel.
pub const LSOA_MINZOOM: u8 = 8;
/// Lowest zoom of the `wards` layer.
pub const WARDS_MINZOOM: u8 = 10;
/// Highest zoom of every layer (clients over-zoom beyond it).
pub const MAXZOOM: u8 = 14;
/// First zoom at which `lsoa` features carry their detail properties
/// (indicator scores `i_*`, key groups `k_*`, ward, rank interval). Below it
/// a tile holds thousands of areas and those ~30 properties would make it
/// several times the size; the web map takes them from `/api/scores` there.
pub const DETAIL_MINZOOM: u8 = 11;

/// Whether an `lsoa` property is a detail one (see [`DETAIL_MINZOOM`]).
pub fn is_detail_property(name: &str) -> bool {
    name.starts_with("i_")
        || name.starts_with("k_")
        || matches!(name, "ward" | "ward_code" | "rank_p05" | "rank_p95")
}

/// Decimals kept for 0–10 scores (index, components, indicators).
const SCORE_DECIMALS: i32 = 3;
/// Decimals kept for shares and probabilities (0–1).
const SHARE_DECIMALS: i32 = 4;

/// Rounds to `decimals` places; deterministic for a given input.
fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    // Normalise -0.0 so identical values encode identically.
    if r == 0.0 { 0.0 } else { r }
}

fn num(v: Option<f64>, decimals: i32) -> Option<PropValue> {
    v.filter(|x| x.is_finite())
        .map(|x| PropValue::Num(round(x, decimals)))
}

fn int(v: Option<f64>) -> Option<PropValue> {
    v.filter(|x| x.is_finite())
        .map(|x| PropValue::Int(x.round() as i64))
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

/// The `lsoa`, `boroughs` and (where present) `wards` layers of a scored dataset.
pub fn layers_from_scored(scored: &ScoredDataset) -> Vec<LayerData> {
    let mut out = vec![lsoa_layer(scored)];
    let ds = &scored.dataset;
    for (name, minzoom, description) in [
        ("boroughs", 0, "Local authority (borough) outlines"),
        ("wards", WARDS_MINZOOM, "Electoral ward outlines"),
    ] {
        if let Some(layer) = ds.layer(name) {
            out.push(LayerData {
                name: name.to_string(),
                description: description.to_string(),
                minzoom,
                maxzoom: MAXZOOM,
                property_minzoom: Default::default(),
                features: layer
                    .features
                    .iter()
                    .enumerate()
                    .map(|(i, f)| FeatureData {
                        id: i as u64,
                        geometry: f.geometry.clone(),
                        properties: vec![
                            ("code".into(), PropValue::Str(f.code.clone())),
                            ("name".into(), PropValue::Str(f.name.clone())),
                        ],
                    })
                    .collect(),
            });
        }
    }
    out
}

fn lsoa_layer(scored: &ScoredDataset) -> LayerData {
    let ds = &scored.dataset;
    let s = &scored.scores;
    let at = |v: &[Option<f64>], i: usize| v.get(i).copied().flatten();
    let features: Vec<FeatureData> = ds
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut p: Vec<(String, PropValue)> = Vec::with_capacity(32);
            p.push(("code".into(), PropValue::Str(a.code.as_str().to_string())));
            p.push(("name".into(), PropValue::Str(a.name.clone())));
            if !a.borough_name.is_empty() {
                p.push(("borough".into(), PropValue::Str(a.borough_name.clone())));
            }
            if !a.borough_code.is_empty() {
                p.push((
                    "borough_code".into(),
                    PropValue::Str(a.borough_code.clone()),
                ));
            }
            if let Some(w) = &a.ward_name {
                p.push(("ward".into(), PropValue::Str(w.clone())));
            }
            if let Some(w) = &a.ward_code {
                p.push(("ward_code".into(), PropValue::Str(w.clone())));
            }
            let mut push = |k: String, v: Option<PropValue>| {
                if let Some(v) = v {
                    p.push((k, v));
                }
            };
            push("index".into(), num(s.index.get(i), SCORE_DECIMALS));
            push(
                "rank".into(),
                s.rank
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|r| PropValue::Int(r as i64)),
            );
            push(
                "decile".into(),
                s.decile
                    .get(i)
                    .copied()
                    .flatten()
                    .map(|d| PropValue::Int(d as i64)),
            );
            // Only where the area has no index (absent means "ok"), so
            // tiles of fully scored areas stay as small as before.
            let status = s.status_of(i);
            if status != IndexStatus::Ok {
                push(
                    "index_status".into(),
                    Some(PropValue::Str(status.as_str().into())),
                );
                let missing = s.missing_inputs_joined(i);
                push("missing_inputs".into(), Some(PropValue::Str(missing)));
            }
            for c in &s.components {
                push(format!("c_{}", c.id.0), num(c.score.get(i), SCORE_DECIMALS));
            }
            for ind in &s.indicators {
                push(
                    format!("i_{}", ind.id.0),
                    num(ind.score.get(i), SCORE_DECIMALS),
                );
            }
            if let Some(sens) = &s.sensitivity {
                push(
                    "p_top".into(),
                    num(at(&sens.p_top_decile, i), SHARE_DECIMALS),
                );
                push("rank_p05".into(), int(at(&sens.rank_p05, i)));
                push("rank_p95".into(), int(at(&sens.rank_p95, i)));
            }
            for k in &s.personas {
                push(
                    format!("k_{}_share", k.id.0),
                    num(at(&k.share, i), SHARE_DECIMALS),
                );
                push(format!("k_{}_count", k.id.0), int(at(&k.count, i)));
            }
            p.push(("demo".into(), PropValue::Bool(area_is_demonstration(ds, i))));
            FeatureData {
                id: i as u64,
                geometry: a.geometry.clone(),
                properties: p,
            }
        })
        .collect();
    let property_minzoom = features
        .iter()
        .flat_map(|f| f.properties.iter().map(|(k, _)| k))
        .filter(|k| is_detail_property(k))
        .map(|k| (k.clone(), DETAIL_MINZOOM))
        .collect();
    LayerData {
        name: "lsoa".into(),
        description: format!(
            "{}: digital-exclusion risk scores per area (indicator scores i_*, key groups k_*, \
             ward and rank interval from zoom {DETAIL_MINZOOM})",
            ds.title
        ),
        minzoom: LSOA_MINZOOM,
        maxzoom: MAXZOOM,
        property_minzoom,
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Area, Column, ColumnId, Layer, LayerFeature, LsoaCode, Source};
    use crate::score::{
        Availability, ComponentId, ComponentScore, IndicatorId, IndicatorScore, Methodology,
        PersonaId, PersonaScore, Scores, Sensitivity,
    };
    use geo_types::{LineString, MultiPolygon, Polygon};
    use std::sync::Arc;

    fn square(x: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (x, 0.0),
                (x + 1.0, 0.0),
                (x + 1.0, 1.0),
                (x, 1.0),
                (x, 0.0),
            ]),
            vec![],
        )])
    }

    fn scored() -> ScoredDataset {
        let area = |code: &str, x: f64, ward: bool| Area {
            code: LsoaCode::new(code),
            name: format!("Area {code}"),
            borough_code: "E09000001".into(),
            borough_name: "City".into(),
            ward_code: ward.then(|| "W1".to_string()),
            ward_name: ward.then(|| "Ward One".to_string()),
            geometry: square(x),
        };
        let dataset = Dataset {
            title: "Test".into(),
            areas: vec![area("A1", 0.0, true), area("A2", 1.0, false)],
            columns: vec![Column {
                id: ColumnId("demo_col".into()),
                label: "Demo".into(),
                values: Values::Numeric(vec![Some(1.0), None]),
                source: Source {
                    demonstration: true,
                    ..Source::default()
                },
            }],
            layers: vec![Layer {
                name: "boroughs".into(),
                features: vec![LayerFeature {
                    code: "E09000001".into(),
                    name: "City".into(),
                    geometry: square(0.0),
                }],
            }],
            ..Dataset::default()
        };
        let scores = Scores {
            indicators: vec![IndicatorScore {
                id: IndicatorId("age".into()),
                label: "Age".into(),
                component: ComponentId("demo".into()),
                weight: 1.0,
                column: "age".into(),
                score: vec![Some(1.234567), None].into(),
            }],
            components: vec![ComponentScore {
                id: ComponentId("demog".into()),
                label: "Demography".into(),
                weight: 1.0,
                score: vec![Some(2.0), Some(-0.00001)].into(),
            }],
            index: vec![Some(7.77777), None].into(),
            rank: vec![Some(1), None],
            decile: vec![Some(10), None],
            coverage: Default::default(),
            status: Vec::new(),
            drivers: vec![vec![], vec![]].into(),
            sensitivity: Some(Sensitivity {
                draws: 10,
                rank_p05: vec![Some(1.0), None],
                rank_p95: vec![Some(2.4), None],
                p_top_decile: vec![Some(0.912345), None],
            }),
            personas: vec![PersonaScore {
                id: PersonaId("older".into()),
                label: "Older".into(),
                availability: Availability::Available,
                count: vec![Some(120.6), None],
                share: vec![Some(0.123456), None],
            }],
        };
        ScoredDataset {
            dataset: Arc::new(dataset),
            methodology: Arc::new(Methodology {
                name: "m".into(),
                ..Default::default()
            }),
            scores,
        }
    }

    fn prop<'a>(f: &'a FeatureData, k: &str) -> Option<&'a PropValue> {
        f.properties.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    #[test]
    fn lsoa_layer_carries_rounded_scores_and_omits_missing() {
        let layers = layers_from_scored(&scored());
        let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["lsoa", "boroughs"], "no wards layer in the data");
        let lsoa = &layers[0];
        let f0 = &lsoa.features[0];
        assert_eq!(f0.id, 0);
        assert_eq!(prop(f0, "code"), Some(&PropValue::Str("A1".into())));
        assert_eq!(prop(f0, "borough"), Some(&PropValue::Str("City".into())));
        assert_eq!(prop(f0, "ward"), Some(&PropValue::Str("Ward One".into())));
        assert_eq!(prop(f0, "index"), Some(&PropValue::Num(7.778)));
        assert_eq!(prop(f0, "rank"), Some(&PropValue::Int(1)));
        assert_eq!(prop(f0, "decile"), Some(&PropValue::Int(10)));
        assert_eq!(prop(f0, "c_demog"), Some(&PropValue::Num(2.0)));
        assert_eq!(prop(f0, "i_age"), Some(&PropValue::Num(1.235)));
        assert_eq!(prop(f0, "p_top"), Some(&PropValue::Num(0.9123)));
        assert_eq!(prop(f0, "rank_p95"), Some(&PropValue::Int(2)));
        assert_eq!(prop(f0, "k_older_share"), Some(&PropValue::Num(0.1235)));
        assert_eq!(prop(f0, "k_older_count"), Some(&PropValue::Int(121)));
        assert_eq!(prop(f0, "demo"), Some(&PropValue::Bool(true)));

        let f1 = &lsoa.features[1];
        assert_eq!(f1.id, 1);
        for k in [
            "index",
            "rank",
            "decile",
            "i_age",
            "p_top",
            "ward",
            "k_older_count",
        ] {
            assert_eq!(prop(f1, k), None, "{k} is missing for A2");
        }
        // -0.00001 rounds to zero, written as +0.0.
        match prop(f1, "c_demog") {
            Some(PropValue::Num(v)) => assert!(*v == 0.0 && v.is_sign_positive()),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(prop(f1, "demo"), Some(&PropValue::Bool(false)));
    }

    #[test]
    fn detail_properties_start_at_the_detail_zoom() {
        let layers = layers_from_scored(&scored());
        let z = &layers[0].property_minzoom;
        for k in [
            "i_age",
            "k_older_share",
            "k_older_count",
            "ward",
            "rank_p05",
        ] {
            assert_eq!(z.get(k), Some(&DETAIL_MINZOOM), "{k}");
        }
        for k in [
            "code", "name", "index", "decile", "c_demog", "p_top", "demo",
        ] {
            assert_eq!(z.get(k), None, "{k} is at every zoom");
        }
        assert!(layers[1].property_minzoom.is_empty());
    }

    #[test]
    fn outline_layers_come_from_dataset_layers() {
        let layers = layers_from_scored(&scored());
        let b = &layers[1];
        assert_eq!(b.features.len(), 1);
        assert_eq!(
            prop(&b.features[0], "name"),
            Some(&PropValue::Str("City".into()))
        );
        assert!(b.minzoom < LSOA_MINZOOM);
    }
}
