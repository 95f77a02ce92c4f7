//! Outline layers dissolved from the areas: boroughs, wards.
//!
//! In: the areas and a key per area (borough or ward code and name). Out: a
//! [`Layer`] with one feature per key, its geometry the union of its areas'
//! polygons, sorted by code. Groups are dissolved in parallel (rayon); each
//! group is one n-ary union of all its polygons. A cascade of pairwise
//! unions left dozens of micrometre-wide sliver holes per borough and split
//! boroughs into parts along sliver gaps, which the map draws as stray
//! outlines. [`outlines`] gives the layers a project asks for.

use std::collections::BTreeMap;

use geo_types::{MultiPolygon, Polygon};
use rayon::prelude::*;

use super::project::ProjectSpec;
use crate::dataset::{AdminUnit, Area, Layer, LayerFeature};

/// The `boroughs` layer (when any area has a borough) and the `wards`
/// layer (when the project names wards), unless `layers = false`.
pub(super) fn outlines(spec: &ProjectSpec, areas: &[Area]) -> Vec<Layer> {
    let mut out = Vec::new();
    if !spec.layers {
        return out;
    }
    if areas.iter().any(|a| a.borough.is_some()) {
        out.push(dissolve("boroughs", areas, |a| a.borough.clone()));
    }
    if let Some(w) = &spec.wards {
        let mut wards = dissolve("wards", areas, |a| a.ward.clone());
        wards.vintage = w.vintage();
        out.push(wards);
    }
    out
}

/// Dissolves areas into one feature per key; areas whose key is `None` are left out.
pub fn dissolve<F>(name: &str, areas: &[Area], key: F) -> Layer
where
    F: Fn(&Area) -> Option<AdminUnit>,
{
    let mut groups: BTreeMap<String, (String, Vec<&MultiPolygon<f64>>)> = BTreeMap::new();
    for a in areas {
        if let Some(AdminUnit { code, name }) = key(a) {
            if code.is_empty() {
                continue;
            }
            groups
                .entry(code)
                .or_insert_with(|| (name, Vec::new()))
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
        vintage: String::new(),
        features,
    }
}

/// Union of all parts in one boolean operation (geo's `unary_union`).
pub fn union_all(parts: Vec<MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> = parts.into_iter().flat_map(|m| m.0).collect();
    geo::unary_union(&polys)
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
            borough: Some(AdminUnit::new(borough, format!("B{borough}"))),
            ward: None,
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
        let l = dissolve("boroughs", &areas, |a| a.borough.clone());
        assert_eq!(l.features.len(), 2);
        assert_eq!(l.features[0].code, "1");
        assert_eq!(l.features[0].name, "B1");
        assert_eq!(l.features[0].geometry.0.len(), 1, "shared edge removed");
        assert!((l.features[0].geometry.unsigned_area() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn london_boroughs_dissolve_without_slivers() {
        // GEOS (shapely's unary_union of the embedded LSOA 2021 polygons)
        // agrees: every London borough is one polygon without holes, except
        // those with islands or detached parts in the 20 m boundaries.
        let out = crate::ingest::embedded_default(&crate::ingest::BuildOptions::default())
            .expect("embedded default");
        let l = out.dataset.layer("boroughs").expect("boroughs layer");
        assert_eq!(l.features.len(), 33);
        for f in &l.features {
            let holes: usize = f.geometry.0.iter().map(|p| p.interiors().len()).sum();
            assert_eq!(holes, 0, "{}: sliver holes", f.code);
            let want = match f.code.as_str() {
                "E09000002" | "E09000011" | "E09000013" => 2,
                "E09000004" => 3,
                "E09000018" => 6,
                "E09000027" => 8,
                _ => 1,
            };
            assert_eq!(f.geometry.0.len(), want, "{}: parts", f.code);
        }
    }
}
