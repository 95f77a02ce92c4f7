//! Tile layers from a scored dataset: which attributes each feature carries.
//!
//! In: a [`ScoredDataset`]. Out: [`KeyedLayer`]s (attribute names stored
//! once; [`LayerData`] with the names spelled out) for the `lsoa` layer (one
//! feature per area, feature id = position in `Dataset::areas`, the tile
//! fields of its [`Schema`] as properties, each from the zoom the schema
//! gives: only the few overview fields below [`DETAIL_MINZOOM`]) and the
//! `boroughs` and `wards` outline layers taken from
//! `Dataset::layers`. Missing values are omitted rather than written as
//! sentinels; values are rounded by the schema, so tiles stay small,
//! byte-identical between runs and equal to the exports and the API.

use std::borrow::Cow;

use super::{KeyedFeature, KeyedLayer, LayerData, LayerMeta, PropValue};
use crate::schema::{Cell, Schema};
use crate::score::ScoredDataset;

pub use crate::schema::{DETAIL_MINZOOM, LSOA_MINZOOM, area_is_demonstration};

/// Lowest zoom of the `wards` layer.
pub const WARDS_MINZOOM: u8 = 10;
/// Highest zoom of every layer (clients over-zoom beyond it).
pub const MAXZOOM: u8 = 14;

/// The outline layers, in the order [`layers_from_scored`] emits them after `lsoa`.
pub const OUTLINE_LAYERS: [(&str, u8, &str); 2] = [
    ("boroughs", 0, "Local authority (borough) outlines"),
    ("wards", WARDS_MINZOOM, "Electoral ward outlines"),
];

/// The `lsoa`, `boroughs` and (where present) `wards` layers of a scored dataset.
pub fn layers_from_scored(scored: &ScoredDataset) -> Vec<LayerData> {
    keyed_layers_from_scored(scored)
        .map(LayerData::from)
        .collect()
}

/// [`layers_from_scored`] with attribute names stored once, for
/// [`TileSet::build_keyed`](super::TileSet::build_keyed): a national layer's
/// attributes are then held once, not once per name and once more while
/// the tile set is prepared. Each layer is built when the iterator reaches
/// it, so only the layer being prepared is held as input.
pub fn keyed_layers_from_scored(
    scored: &ScoredDataset,
) -> impl Iterator<Item = KeyedLayer<'_>> + '_ {
    let ds = &scored.dataset;
    let outlines = OUTLINE_LAYERS
        .into_iter()
        .filter_map(move |(name, minzoom, description)| {
            let layer = ds.layer(name)?;
            let description = if layer.vintage.is_empty() {
                description.to_string()
            } else {
                format!("{description} ({})", layer.vintage)
            };
            Some(KeyedLayer {
                meta: LayerMeta {
                    name: name.to_string(),
                    description,
                    minzoom,
                    maxzoom: MAXZOOM,
                    property_minzoom: Default::default(),
                },
                keys: vec!["code".into(), "name".into()],
                features: layer
                    .features
                    .iter()
                    .enumerate()
                    .map(|(i, f)| KeyedFeature {
                        id: i as u64,
                        geometry: Cow::Borrowed(&f.geometry),
                        properties: vec![
                            (0, PropValue::Str(f.code.clone())),
                            (1, PropValue::Str(f.name.clone())),
                        ],
                    })
                    .collect(),
            })
        });
    std::iter::once_with(move || lsoa_layer(scored)).chain(outlines)
}

/// A schema cell as a tile property: whole numbers as integers.
fn prop(c: Cell<'_>, decimals: u8) -> PropValue {
    match c {
        Cell::Text(t) => PropValue::Str(t.to_string()),
        Cell::Bool(b) => PropValue::Bool(b),
        Cell::Num(x) if decimals == 0 => PropValue::Int(x as i64),
        Cell::Num(x) => PropValue::Num(x),
    }
}

fn lsoa_layer(scored: &ScoredDataset) -> KeyedLayer<'_> {
    let ds = &scored.dataset;
    let schema = Schema::of(scored);
    let fields: Vec<_> = schema.tile_fields().collect();
    // On one thread: built in parallel, the attributes landed in a second
    // malloc arena, and a national export's peak rose by 40 MB.
    let features: Vec<KeyedFeature> = ds
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| KeyedFeature {
            id: i as u64,
            geometry: Cow::Borrowed(&a.geometry),
            properties: fields
                .iter()
                .enumerate()
                .filter_map(|(k, f)| Some((k as u32, prop(f.value(scored, i)?, f.decimals))))
                .collect(),
        })
        .collect();
    let property_minzoom = fields
        .iter()
        .filter_map(|f| Some((f.name.clone(), f.tile_minzoom?)))
        .filter(|(_, z)| *z > LSOA_MINZOOM)
        .collect();
    KeyedLayer {
        meta: LayerMeta {
            name: "lsoa".into(),
            description: format!(
                "{}: digital-exclusion risk scores per area (code, index, decile and \
                 index_status at every zoom; every other field from zoom {DETAIL_MINZOOM})",
                ds.title
            ),
            minzoom: LSOA_MINZOOM,
            maxzoom: MAXZOOM,
            property_minzoom,
        },
        keys: fields.iter().map(|f| f.name.clone()).collect(),
        features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{
        AdminUnit, Area, Column, ColumnId, Dataset, Layer, LayerFeature, LsoaCode, Source, Values,
    };
    use crate::score::{
        Availability, ComponentId, ComponentScore, IndicatorId, IndicatorScore, Methodology,
        PersonaId, PersonaScore, Scores, Sensitivity,
    };
    use crate::tiles::FeatureData;
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
            borough: Some(AdminUnit::new("E09000001", "City")),
            ward: ward.then(|| AdminUnit::new("W1", "Ward One")),
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
                vintage: String::new(),
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
            ranked_of: Vec::new(),
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
        let names: Vec<&str> = layers.iter().map(|l| l.meta.name.as_str()).collect();
        assert_eq!(names, ["lsoa", "boroughs"], "no wards layer in the data");
        let lsoa = &layers[0];
        let f0 = &lsoa.features[0];
        assert_eq!(f0.id, 0);
        assert_eq!(prop(f0, "code"), Some(&PropValue::Str("A1".into())));
        assert_eq!(
            prop(f0, "borough_name"),
            Some(&PropValue::Str("City".into()))
        );
        assert_eq!(
            prop(f0, "ward_name"),
            Some(&PropValue::Str("Ward One".into()))
        );
        assert_eq!(prop(f0, "index"), Some(&PropValue::Num(7.7778)));
        assert_eq!(prop(f0, "rank"), Some(&PropValue::Int(1)));
        assert_eq!(prop(f0, "decile"), Some(&PropValue::Int(10)));
        assert_eq!(prop(f0, "c_demog"), Some(&PropValue::Num(2.0)));
        assert_eq!(prop(f0, "i_age"), Some(&PropValue::Num(1.2346)));
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
            "ward_name",
            "ward_code",
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
        let z = &layers[0].meta.property_minzoom;
        // Overview tiles carry what the page joins and colours on; the rest
        // (the page reads it from /api/scores there) from the detail zoom.
        for k in [
            "name",
            "borough_name",
            "rank",
            "c_demog",
            "p_top",
            "demo",
            "i_age",
            "k_older_share",
            "k_older_count",
            "ward_name",
            "ward_code",
            "rank_p05",
        ] {
            assert_eq!(z.get(k), Some(&DETAIL_MINZOOM), "{k}");
        }
        for k in ["code", "index", "decile", "index_status"] {
            assert_eq!(z.get(k), None, "{k} is at every zoom");
        }
        assert!(layers[1].meta.property_minzoom.is_empty());
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
        assert!(b.meta.minzoom < LSOA_MINZOOM);
    }
}
