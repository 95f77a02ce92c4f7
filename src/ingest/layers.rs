//! Outline layers dissolved from the areas: boroughs, wards.
//!
//! In: the areas and a key per area (borough or ward code and name). Out: a
//! [`Layer`] with one feature per key, its geometry the union of its areas'
//! polygons, sorted by code. Groups are dissolved in parallel (rayon); each
//! group is a cascaded union (pairs merged level by level), which keeps every
//! boolean operation small.

use std::collections::BTreeMap;

use geo::BooleanOps;
use geo_types::MultiPolygon;
use rayon::prelude::*;

use crate::dataset::{Area, Layer, LayerFeature};

/// Dissolves areas into one feature per key; areas whose key is `None` are left out.
pub fn dissolve<F>(name: &str, areas: &[Area], key: F) -> Layer
where
    F: Fn(&Area) -> Option<(String, String)>,
{
    let mut groups: BTreeMap<String, (String, Vec<&MultiPolygon<f64>>)> = BTreeMap::new();
    for a in areas {
        if let Some((code, label)) = key(a) {
            if code.is_empty() {
                continue;
            }
            groups
                .entry(code)
                .or_insert_with(|| (label, Vec::new()))
                .1
                .push(&a.geometry);
        }
    }
    let groups: Vec<_> = groups.into_iter().collect();
    let features = groups
        .into_par_iter()
        .map(|(code, (label, geoms))| LayerFeature {
            code,
            name: label,
            geometry: union_all(geoms.into_iter().cloned().collect()),
        })
        .collect();
    Layer {
        name: name.to_string(),
        features,
    }
}

/// Cascaded union: merges neighbours in the given order, halving the count each round.
pub fn union_all(mut parts: Vec<MultiPolygon<f64>>) -> MultiPolygon<f64> {
    if parts.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    while parts.len() > 1 {
        parts = parts
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => a.union(b),
                [a] => a.clone(),
                _ => MultiPolygon::new(vec![]),
            })
            .collect();
    }
    parts.pop().unwrap_or_else(|| MultiPolygon::new(vec![]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::LsoaCode;
    use geo::Area as _;
    use geo_types::polygon;

    fn area(code: &str, borough: &str, x: f64) -> Area {
        Area {
            code: LsoaCode::new(code),
            name: code.to_string(),
            borough_code: borough.to_string(),
            borough_name: format!("B{borough}"),
            ward_code: None,
            ward_name: None,
            geometry: MultiPolygon::new(vec![polygon![
                (x: x, y: 0.0), (x: x + 1.0, y: 0.0), (x: x + 1.0, y: 1.0), (x: x, y: 1.0)
            ]]),
        }
    }

    #[test]
    fn adjacent_areas_dissolve_into_one_polygon() {
        let areas = [
            area("a", "1", 0.0),
            area("b", "1", 1.0),
            area("c", "2", 5.0),
        ];
        let l = dissolve("boroughs", &areas, |a| {
            Some((a.borough_code.clone(), a.borough_name.clone()))
        });
        assert_eq!(l.features.len(), 2);
        assert_eq!(l.features[0].code, "1");
        assert_eq!(l.features[0].name, "B1");
        assert_eq!(l.features[0].geometry.0.len(), 1, "shared edge removed");
        assert!((l.features[0].geometry.unsigned_area() - 2.0).abs() < 1e-9);
    }
}
