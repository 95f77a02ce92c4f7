//! GeoJSON geometry objects: a `Polygon` or `MultiPolygon` deserialised
//! straight into one flat buffer of positions with the array ends of each
//! nesting level, then cut into rings and polygons; any other type, or
//! coordinates nested to the wrong depth, is an error saying which.

use std::fmt;

use geo_types::Coord;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

/// A GeoJSON geometry object: its type and its coordinates, flattened.
#[derive(serde::Deserialize)]
pub(super) struct RawGeometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Option<CoordTree>,
}

impl RawGeometry {
    pub(super) fn into_polygons(self) -> Result<Vec<Vec<Vec<Coord<f64>>>>, String> {
        let depth = match self.kind.as_str() {
            "Polygon" => 2,
            "MultiPolygon" => 3,
            other => {
                return Err(format!(
                    "geometry type {other} is not supported; only Polygon and MultiPolygon"
                ));
            }
        };
        let Some(tree) = self.coordinates else {
            return Err(format!("{} has no coordinates", self.kind));
        };
        if tree.positions.is_empty() {
            return Ok(Vec::new());
        }
        if tree.pos_level != Some(depth) {
            return Err(format!(
                "{} coordinates are not nested {} deep",
                self.kind,
                depth + 1
            ));
        }
        let ring_ends = &tree.ends[depth - 1];
        let mut rings = Vec::with_capacity(ring_ends.len());
        let mut start = 0;
        for &end in ring_ends {
            rings.push(tree.positions[start..end].to_vec());
            start = end;
        }
        if depth == 2 {
            return Ok(vec![rings]);
        }
        let mut polygons = Vec::with_capacity(tree.ends[1].len());
        let mut rings = rings.into_iter();
        let mut start = 0;
        for &end in &tree.ends[1] {
            polygons.push(rings.by_ref().take(end - start).collect());
            start = end;
        }
        Ok(polygons)
    }
}

/// Nested coordinate arrays, flattened: `positions` in order and, for each
/// nesting level, the running count of children at the end of each array.
#[derive(Default)]
struct CoordTree {
    /// The nesting level at which arrays hold numbers (positions).
    pos_level: Option<usize>,
    positions: Vec<Coord<f64>>,
    ends: [Vec<usize>; MAX_LEVELS],
}

/// MultiPolygon nests 4 deep (levels 0..=3); deeper is an error.
const MAX_LEVELS: usize = 4;

impl<'de> serde::Deserialize<'de> for CoordTree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut tree = CoordTree::default();
        d.deserialize_seq(ArrayVisitor {
            tree: &mut tree,
            level: 0,
        })?;
        Ok(tree)
    }
}

struct ArrayVisitor<'t> {
    tree: &'t mut CoordTree,
    level: usize,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let level = self.level;
        let mut xy = [0.0; 2];
        let (mut numbers, mut arrays) = (0usize, 0usize);
        while let Some(elem) = seq.next_element_seed(ElemSeed {
            tree: &mut *self.tree,
            level: level + 1,
        })? {
            match elem {
                Elem::Number(v) => {
                    if numbers < 2 {
                        xy[numbers] = v;
                    }
                    numbers += 1;
                }
                Elem::Array => arrays += 1,
            }
        }
        let tree = self.tree;
        if numbers > 0 {
            if arrays > 0 {
                return Err(de::Error::custom(
                    "coordinate array mixes numbers and arrays",
                ));
            }
            if numbers < 2 {
                return Err(de::Error::custom("position has only 1 number"));
            }
            match tree.pos_level {
                None => tree.pos_level = Some(level),
                Some(l) if l != level => {
                    return Err(de::Error::custom(
                        "positions are nested at different depths",
                    ));
                }
                Some(_) => {}
            }
            tree.positions.push(Coord { x: xy[0], y: xy[1] });
        } else if arrays == 0 {
            if level > 0 {
                return Err(de::Error::custom("empty coordinate array"));
            }
        } else {
            let count = if tree.pos_level == Some(level + 1) {
                tree.positions.len()
            } else {
                tree.ends.get(level + 1).map_or(0, Vec::len)
            };
            if let Some(ends) = tree.ends.get_mut(level) {
                ends.push(count);
            }
        }
        Ok(())
    }
}

enum Elem {
    Number(f64),
    Array,
}

struct ElemSeed<'t> {
    tree: &'t mut CoordTree,
    level: usize,
}

impl<'de> DeserializeSeed<'de> for ElemSeed<'_> {
    type Value = Elem;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Elem, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElemSeed<'_> {
    type Value = Elem;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a coordinate number or array")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Elem, E> {
        if v.is_finite() {
            Ok(Elem::Number(v))
        } else {
            Err(E::custom(format!("coordinate {v} is not a finite number")))
        }
    }
    fn visit_i64<E>(self, v: i64) -> Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Elem, E> {
        Ok(Elem::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Elem, A::Error> {
        if self.level >= MAX_LEVELS {
            return Err(de::Error::custom("coordinates are nested too deeply"));
        }
        ArrayVisitor {
            tree: self.tree,
            level: self.level,
        }
        .visit_seq(seq)?;
        Ok(Elem::Array)
    }
}
