//! Place names and outlines for finding one's way on the map, from the
//! dataset's own boroughs and wards (so they work offline).
//!
//! In: a [`Dataset`]. Out: [`Places`], one [`Place`] per borough and per ward
//! with a label point inside it, its bounding box and its area count, as
//! GeoJSON points by [`Places::labels_geojson`]; and [`ward_outlines`], the
//! ward boundaries (the dataset's `wards` layer, or the wards dissolved from
//! the areas' ward codes when it has none) simplified for the street zooms
//! they are drawn at. Both are pure and deterministic; the server caches them.

use std::collections::BTreeMap;

use geo::{Area as _, BoundingRect, Simplify};
use geo_types::{MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

use crate::dataset::{AdminUnit, Area, Dataset, label_point};
use crate::schema::{COORD_DECIMALS, round, ward_vintage};

/// Decimals of label and outline coordinates: 1e-5° is about a metre.
const OUTLINE_DECIMALS: u8 = 5;

/// What a place is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PlaceKind {
    /// A local authority (borough).
    Borough,
    /// An electoral ward.
    Ward,
}

impl PlaceKind {
    /// The kind's name in GeoJSON properties.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Borough => "borough",
            PlaceKind::Ward => "ward",
        }
    }

    /// The dataset layer holding this kind's dissolved outlines.
    fn layer_name(self) -> &'static str {
        match self {
            PlaceKind::Borough => "boroughs",
            PlaceKind::Ward => "wards",
        }
    }
}

/// A borough or ward, for map labels and search.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Borough or ward.
    pub kind: PlaceKind,
    /// Its code, e.g. `E09000005` or `E05013500`.
    pub code: String,
    /// Its name, e.g. "Brent" or "Wembley Park".
    pub name: String,
    /// The borough it lies in (a ward's; a borough's own code).
    pub borough_code: String,
    /// That borough's name.
    pub borough_name: String,
    /// A point inside it where its label goes.
    pub label: Point<f64>,
    /// WGS84 bounds of its areas: west, south, east, north.
    pub bbox: [f64; 4],
    /// How many areas it holds.
    pub areas: usize,
}

/// Every borough and ward of a dataset: boroughs first, each kind sorted by code.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Places {
    /// The places.
    pub places: Vec<Place>,
}

/// One group of areas sharing a borough or ward code.
struct Group {
    name: String,
    borough: AdminUnit,
    members: Vec<usize>,
}

fn groups(ds: &Dataset, kind: PlaceKind) -> BTreeMap<String, Group> {
    let mut out: BTreeMap<String, Group> = BTreeMap::new();
    for (i, a) in ds.areas.iter().enumerate() {
        let key = match kind {
            PlaceKind::Borough => a
                .borough
                .as_ref()
                .map(|u| (u.code.as_str(), u.name.as_str())),
            // A ward the lookup gives no name is called by its code.
            PlaceKind::Ward => a.ward.as_ref().map(|u| (u.code.as_str(), u.label())),
        };
        let Some((code, name)) = key.filter(|(c, _)| !c.trim().is_empty()) else {
            continue;
        };
        out.entry(code.to_string())
            .or_insert_with(|| Group {
                name: name.to_string(),
                borough: a.borough.clone().unwrap_or_default(),
                members: Vec::new(),
            })
            .members
            .push(i);
    }
    out
}

/// The label point of a group: inside its dissolved outline when the dataset
/// has one, else inside its largest area (the earliest of equal ones).
fn group_label(ds: &Dataset, kind: PlaceKind, code: &str, members: &[usize]) -> Option<Point<f64>> {
    let outline = ds
        .layer(kind.layer_name())
        .and_then(|l| l.features.iter().find(|f| f.code == code))
        .and_then(|f| label_point(&f.geometry));
    outline.or_else(|| {
        let mut by_size: Vec<(f64, usize)> = members
            .iter()
            .map(|&i| (ds.areas[i].geometry.unsigned_area(), i))
            .collect();
        by_size.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        by_size
            .iter()
            .find_map(|&(_, i)| label_point(&ds.areas[i].geometry))
    })
}

fn group_bbox(areas: &[Area], members: &[usize]) -> Option<[f64; 4]> {
    members
        .iter()
        .filter_map(|&i| areas[i].geometry.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
}

impl Places {
    /// The boroughs and wards of `ds`. A unit with no area of usable
    /// geometry has no label point and is left out.
    pub fn of(ds: &Dataset) -> Places {
        let mut places = Vec::new();
        for kind in [PlaceKind::Borough, PlaceKind::Ward] {
            for (code, g) in groups(ds, kind) {
                let (Some(label), Some(bbox)) = (
                    group_label(ds, kind, &code, &g.members),
                    group_bbox(&ds.areas, &g.members),
                ) else {
                    continue;
                };
                places.push(Place {
                    kind,
                    code,
                    name: g.name,
                    borough_code: g.borough.code,
                    borough_name: g.borough.name,
                    label,
                    bbox,
                    areas: g.members.len(),
                });
            }
        }
        Places { places }
    }

    /// The places as a GeoJSON FeatureCollection of label points, with the
    /// ward set's vintage (`null` when the dataset does not record it).
    pub fn labels_geojson(&self, ds: &Dataset) -> Value {
        let features: Vec<Value> = self
            .places
            .iter()
            .map(|p| {
                json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [
                        round(p.label.x(), OUTLINE_DECIMALS), round(p.label.y(), OUTLINE_DECIMALS)]},
                    "properties": {
                        "kind": p.kind.as_str(),
                        "code": p.code,
                        "name": p.name,
                        "borough_code": p.borough_code,
                        "borough_name": p.borough_name,
                        "bbox": p.bbox.map(|v| round(v, COORD_DECIMALS)),
                        "areas": p.areas,
                    },
                })
            })
            .collect();
        let vintage = ward_vintage(ds);
        json!({
            "type": "FeatureCollection",
            "ward_vintage": if vintage.is_empty() { Value::Null } else { json!(vintage) },
            "features": features,
        })
    }
}

/// Ward outlines as a GeoJSON FeatureCollection (properties `code`, `name`),
/// each simplified (Douglas-Peucker) to `tolerance` degrees and rounded to
/// about a metre. From the dataset's `wards` layer; without one, the areas
/// are dissolved by ward code as ingest would. Empty when no area has a ward.
pub fn ward_outlines(ds: &Dataset, tolerance: f64) -> Value {
    let dissolved;
    let layer = match ds.layer("wards") {
        Some(l) => l,
        None => {
            dissolved = crate::ingest::dissolve("wards", &ds.areas, |a| {
                let ward = a.ward.as_ref()?;
                Some(AdminUnit::new(ward.code.as_str(), ward.label()))
            });
            &dissolved
        }
    };
    let features: Vec<Value> = layer
        .features
        .iter()
        .filter_map(|f| {
            let coords = polygons_json(&f.geometry.simplify(tolerance));
            (!coords.is_empty()).then(|| {
                json!({
                    "type": "Feature",
                    "geometry": {"type": "MultiPolygon", "coordinates": coords},
                    "properties": {"code": f.code, "name": f.name},
                })
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Rings as GeoJSON coordinate arrays, dropping any that simplification
/// left with fewer than four positions (and polygons whose exterior went).
fn polygons_json(mp: &MultiPolygon<f64>) -> Vec<Value> {
    let ring = |ls: &geo_types::LineString<f64>| -> Option<Value> {
        let pts: Vec<[f64; 2]> = ls
            .coords()
            .map(|c| [round(c.x, OUTLINE_DECIMALS), round(c.y, OUTLINE_DECIMALS)])
            .collect();
        (pts.len() >= 4).then(|| json!(pts))
    };
    mp.0.iter()
        .filter_map(|p: &Polygon<f64>| {
            let ext = ring(p.exterior())?;
            let mut rings = vec![ext];
            rings.extend(p.interiors().iter().filter_map(ring));
            Some(Value::Array(rings))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Layer, LayerFeature, LsoaCode};
    use geo::Contains;
    use geo_types::{Rect, coord};

    fn square(w: f64, s: f64, size: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            Rect::new(coord! {x: w, y: s}, coord! {x: w + size, y: s + size}).to_polygon(),
        ])
    }

    /// Two boroughs; borough A has wards A1 (two areas) and A2 (one big
    /// area), borough B one ward B1 (one area).
    fn ds() -> Dataset {
        let area = |k: &str, b: &str, w: &str, geom| Area {
            code: LsoaCode::new(k),
            name: format!("Area {k}"),
            borough: Some(AdminUnit::new(b, format!("Borough {b}"))),
            ward: Some(AdminUnit::new(w, format!("Ward {w}"))),
            geometry: geom,
        };
        Dataset {
            title: "t".into(),
            areas: vec![
                area("E1", "A", "A1", square(0.0, 0.0, 0.01)),
                area("E2", "A", "A1", square(0.01, 0.0, 0.01)),
                area("E3", "A", "A2", square(0.0, 0.01, 0.02)),
                area("E4", "B", "B1", square(0.02, 0.0, 0.01)),
            ],
            ..Dataset::default()
        }
    }

    #[test]
    fn one_place_per_borough_and_ward_with_a_label_inside_it() {
        let d = ds();
        let p = Places::of(&d);
        let names: Vec<(&str, &str, usize)> = p
            .places
            .iter()
            .map(|p| (p.kind.as_str(), p.code.as_str(), p.areas))
            .collect();
        assert_eq!(
            names,
            [
                ("borough", "A", 3),
                ("borough", "B", 1),
                ("ward", "A1", 2),
                ("ward", "A2", 1),
                ("ward", "B1", 1)
            ]
        );
        for place in &p.places {
            let inside = d.areas.iter().any(|a| {
                let unit = match place.kind {
                    PlaceKind::Borough => a.borough_code().unwrap(),
                    PlaceKind::Ward => a.ward_code().unwrap(),
                };
                unit == place.code && a.geometry.contains(&place.label)
            });
            assert!(
                inside,
                "{} label {:?} is not inside it",
                place.code, place.label
            );
        }
        let a1 = &p.places[2];
        assert_eq!(a1.bbox, [0.0, 0.0, 0.02, 0.01]);
        assert_eq!(a1.borough_name, "Borough A");
    }

    #[test]
    fn a_dissolved_outline_is_preferred_for_the_label() {
        let mut d = ds();
        // An outline layer whose feature lies away from its areas: the
        // label follows the layer.
        d.layers.push(Layer {
            name: "wards".into(),
            vintage: "wards, May 2024".into(),
            features: vec![LayerFeature {
                code: "B1".into(),
                name: "Ward B1".into(),
                geometry: square(1.0, 1.0, 0.01),
            }],
        });
        let p = Places::of(&d);
        let b1 = p.places.iter().find(|p| p.code == "B1").unwrap();
        assert!(square(1.0, 1.0, 0.01).contains(&b1.label));
        let j = p.labels_geojson(&d);
        assert_eq!(j["ward_vintage"], "wards, May 2024");
        assert_eq!(j["features"].as_array().unwrap().len(), 5);
        assert_eq!(j["features"][4]["properties"]["kind"], "ward");
        assert_eq!(j["features"][4]["properties"]["borough_name"], "Borough B");
    }

    #[test]
    fn ward_outlines_are_dissolved_when_the_dataset_has_no_layer() {
        let d = ds();
        let j = ward_outlines(&d, 1e-6);
        let f = j["features"].as_array().unwrap();
        let codes: Vec<&str> = f
            .iter()
            .map(|f| f["properties"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["A1", "A2", "B1"]);
        // A1's two squares dissolve into one rectangle: one ring of 5 positions.
        let rings = f[0]["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(rings.len(), 1, "{}", f[0]);
        assert_eq!(rings[0][0].as_array().unwrap().len(), 5, "{}", f[0]);
        assert_eq!(ward_outlines(&d, 1e-6), j, "deterministic");
    }
}
