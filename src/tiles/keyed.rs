//! Layers whose attribute names are stored once: a [`LayerData`] in (or a
//! [`KeyedLayer`] built directly), a [`KeyedLayer`] out, whose features
//! refer to names by index. It is what `prepare` keeps, so a layer built
//! keyed is prepared by moving its attributes, not copying them: for
//! England and Wales (35,672 areas with ~45 attributes each) a name per
//! attribute and a second copy while the topology was built were about
//! 150 MB of a national export's peak.

use std::borrow::Cow;
use std::collections::HashMap;

use geo_types::MultiPolygon;

use super::{FeatureData, LayerData, LayerInfo, LayerMeta, PropValue};

/// One layer to tile, with attribute names stored once. Its geometries may
/// be borrowed: a layer built from a dataset refers to the dataset's
/// polygons rather than copying them (for England and Wales a copy was
/// ~70 MB of a national export's peak).
#[derive(Clone, Debug)]
pub struct KeyedLayer<'a> {
    /// Name, description and zooms.
    pub meta: LayerMeta,
    /// Attribute names, referred to by index from the features.
    pub keys: Vec<String>,
    /// Features.
    pub features: Vec<KeyedFeature<'a>>,
}

/// One feature of a [`KeyedLayer`].
#[derive(Clone, Debug)]
pub struct KeyedFeature<'a> {
    /// Integer feature id (MVT `id`).
    pub id: u64,
    /// Geometry in WGS84, owned or borrowed.
    pub geometry: Cow<'a, MultiPolygon<f64>>,
    /// Attributes as (index into [`KeyedLayer::keys`], value), in a stable
    /// order.
    pub properties: Vec<(u32, PropValue)>,
}

impl From<LayerData> for KeyedLayer<'static> {
    /// Interns the names in order of first appearance, consuming the
    /// features one by one so the layer is not held twice.
    fn from(layer: LayerData) -> KeyedLayer<'static> {
        let mut keys: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let features = layer
            .features
            .into_iter()
            .map(|f| KeyedFeature {
                id: f.id,
                geometry: Cow::Owned(f.geometry),
                properties: f
                    .properties
                    .into_iter()
                    .map(|(k, v)| {
                        let next = keys.len() as u32;
                        let i = *index.entry(k).or_insert_with_key(|k| {
                            keys.push(k.clone());
                            next
                        });
                        (i, v)
                    })
                    .collect(),
            })
            .collect();
        KeyedLayer {
            meta: layer.meta,
            keys,
            features,
        }
    }
}

impl From<KeyedLayer<'_>> for LayerData {
    /// Spells each attribute's name out again (an index past the names is
    /// dropped, as tiling drops it).
    fn from(layer: KeyedLayer<'_>) -> LayerData {
        let keys = layer.keys;
        LayerData {
            meta: layer.meta,
            features: layer
                .features
                .into_iter()
                .map(|f| FeatureData {
                    id: f.id,
                    geometry: f.geometry.into_owned(),
                    properties: f
                        .properties
                        .into_iter()
                        .filter_map(|(k, v)| Some((keys.get(k as usize)?.clone(), v)))
                        .collect(),
                })
                .collect(),
        }
    }
}

impl LayerInfo {
    /// [`LayerInfo::of`] for a keyed layer: the same fields and types.
    pub fn of_keyed(layer: &KeyedLayer<'_>) -> LayerInfo {
        // Only each key's first value counts, so later ones are passed over
        // by index here, not looked up by name (1.6 million for England
        // and Wales).
        let mut seen = vec![false; layer.keys.len()];
        LayerInfo::describe(
            &layer.meta,
            layer
                .features
                .iter()
                .flat_map(|f| f.properties.iter())
                .filter_map(|(k, v)| {
                    let first = !std::mem::replace(seen.get_mut(*k as usize)?, true);
                    first.then(|| (layer.keys[*k as usize].as_str(), v))
                }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Polygon};

    fn layer() -> LayerData {
        let sq = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]),
            vec![],
        )]);
        let f = |id, props: Vec<(&str, PropValue)>| FeatureData {
            id,
            geometry: sq.clone(),
            properties: props.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        };
        LayerData {
            meta: LayerMeta {
                name: "l".into(),
                description: "d".into(),
                minzoom: 0,
                maxzoom: 14,
                property_minzoom: [("b".to_string(), 9), ("z".to_string(), 3)].into(),
            },
            features: vec![
                f(
                    7,
                    vec![("b", PropValue::Int(1)), ("a", PropValue::Str("x".into()))],
                ),
                f(8, vec![]),
                f(
                    9,
                    vec![("c", PropValue::Bool(true)), ("b", PropValue::Num(2.5))],
                ),
            ],
        }
    }

    #[test]
    fn keys_are_interned_in_order_of_first_appearance_and_spelled_out_again() {
        let keyed = KeyedLayer::from(layer());
        assert_eq!(keyed.keys, ["b", "a", "c"]);
        let props: Vec<Vec<u32>> = keyed
            .features
            .iter()
            .map(|f| f.properties.iter().map(|p| p.0).collect())
            .collect();
        assert_eq!(props, [vec![0, 1], vec![], vec![2, 0]]);
        assert_eq!(LayerInfo::of_keyed(&keyed), LayerInfo::of(&layer()));
        let back = LayerData::from(keyed);
        let names = |l: &LayerData| -> Vec<Vec<(String, PropValue)>> {
            l.features.iter().map(|f| f.properties.clone()).collect()
        };
        assert_eq!(names(&back), names(&layer()));
    }
}
