//! Writing one MVT layer (Mapbox Vector Tile spec 2.1) as protobuf bytes.
//!
//! In: a layer's name and extent, then its features one by one: an id,
//! valid polygon rings in tile units (exterior then holes, no closing
//! point) and tags as (key, value) pairs. Out: the bytes of a single-layer
//! tile (`Tile.layers[0]`).
//!
//! Why not the `mvt` crate's `Tile`: it allocates a `String` for every key
//! and string value of every feature and hashes each key with SipHash, which
//! was about a third of national tiling time. Here keys are interned by the
//! caller's key index and values borrow the caller's strings. The bytes are
//! the ones `mvt` 0.15 writes (prost's ascending field numbers, its geometry encoder's
//! handling of repeated and collinear points), which a unit test checks
//! against the crate.

use rustc_hash::FxHashMap;

/// A tag value, borrowed from the feature.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TagValue<'a> {
    /// MVT `string_value`.
    Str(&'a str),
    /// MVT `double_value`.
    Double(f64),
    /// MVT `sint_value`.
    Sint(i64),
    /// MVT `bool_value`.
    Bool(bool),
}

/// The identity of a value in a layer's value table: doubles by bits, both
/// zeros as one (as `mvt` does).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
enum ValueKey<'a> {
    Str(&'a str),
    Double(u64),
    Sint(i64),
    Bool(bool),
}

impl<'a> From<TagValue<'a>> for ValueKey<'a> {
    fn from(v: TagValue<'a>) -> ValueKey<'a> {
        match v {
            TagValue::Str(s) => ValueKey::Str(s),
            TagValue::Double(x) => ValueKey::Double(if x == 0.0 { 0 } else { x.to_bits() }),
            TagValue::Sint(i) => ValueKey::Sint(i),
            TagValue::Bool(b) => ValueKey::Bool(b),
        }
    }
}

/// Builds one layer, feature by feature.
pub(crate) struct LayerWriter<'a> {
    name: &'a str,
    extent: u32,
    /// Written key index of each caller key index (`u32::MAX`: not yet used).
    key_slot: Vec<u32>,
    /// Keys in written order.
    keys: Vec<&'a str>,
    /// Value table index by value. FxHash, not SipHash: a tile looks up
    /// every tag of every feature here, and the keys are not attacker-chosen
    /// (they come from the dataset).
    values: FxHashMap<ValueKey<'a>, u32>,
    /// The encoded `Value` messages, in written order.
    value_bytes: Vec<u8>,
    /// Encoded `Feature` messages, each with its field key and length.
    features: Vec<u8>,
    n_features: usize,
    tags: Vec<u32>,
    geometry: Vec<u32>,
    scratch: Vec<u8>,
}

impl<'a> LayerWriter<'a> {
    /// A layer called `name` whose features may use `n_keys` keys.
    pub(crate) fn new(name: &'a str, extent: u32, n_keys: usize) -> LayerWriter<'a> {
        LayerWriter {
            name,
            extent,
            key_slot: vec![u32::MAX; n_keys],
            keys: Vec::new(),
            values: FxHashMap::default(),
            value_bytes: Vec::new(),
            features: Vec::new(),
            n_features: 0,
            tags: Vec::new(),
            geometry: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Features written so far.
    pub(crate) fn len(&self) -> usize {
        self.n_features
    }

    /// Sizes the value table for `features` features of `tags` tags, at
    /// most 2^16 values: most values of a tile (scores, codes) are
    /// distinct, and growing the table rehashed it about eight times a
    /// tile, 5% of a national export's CPU.
    pub(crate) fn reserve(&mut self, features: usize, tags: usize) {
        self.values
            .reserve(features.saturating_mul(tags).min(1 << 16));
    }

    /// Adds a polygon feature: `rings` valid (3+ distinct points, no
    /// closing point, exterior first), `tags` as (caller key index, key,
    /// value).
    pub(crate) fn add_polygon(
        &mut self,
        id: u64,
        rings: &[Vec<[i32; 2]>],
        tags: impl IntoIterator<Item = (usize, &'a str, TagValue<'a>)>,
    ) {
        self.tags.clear();
        for (ki, key, value) in tags {
            let k = match self.key_slot.get(ki).copied() {
                Some(k) if k != u32::MAX => k,
                _ => {
                    let k = self.keys.len() as u32;
                    if let Some(slot) = self.key_slot.get_mut(ki) {
                        *slot = k;
                    }
                    self.keys.push(key);
                    k
                }
            };
            let next = self.values.len() as u32;
            let v = *self.values.entry(ValueKey::from(value)).or_insert_with(|| {
                write_value(&mut self.value_bytes, &mut self.scratch, value);
                next
            });
            self.tags.push(k);
            self.tags.push(v);
        }
        polygon_commands(rings, &mut self.geometry);

        // Feature: id (1), tags (2, packed), type (3) = POLYGON, geometry (4, packed).
        let f = &mut self.scratch;
        f.clear();
        f.push(0x08);
        varint(f, id);
        packed(f, 0x12, &self.tags);
        f.extend_from_slice(&[0x18, 3]);
        packed(f, 0x22, &self.geometry);
        self.features.push(0x12);
        varint(&mut self.features, f.len() as u64);
        self.features.extend_from_slice(f);
        self.n_features += 1;
    }

    /// The single-layer tile's bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        // Layer: name (1), features (2), keys (3), values (4), extent (5),
        // version (15) = 2: ascending field numbers, as prost writes them.
        // Its length first, so the tile's field header goes in front and
        // the layer is written once, straight into the tile.
        let field_len = |n: usize| 1 + varint_len(n as u64) + n;
        let len = field_len(self.name.len())
            + self.features.len()
            + self.keys.iter().map(|k| field_len(k.len())).sum::<usize>()
            + self.value_bytes.len()
            + 1
            + varint_len(u64::from(self.extent))
            + 2;
        let total = 1 + varint_len(len as u64) + len;
        let mut tile = Vec::with_capacity(total);
        tile.push(0x1A);
        varint(&mut tile, len as u64);
        bytes_field(&mut tile, 0x0A, self.name.as_bytes());
        tile.extend_from_slice(&self.features);
        for k in &self.keys {
            bytes_field(&mut tile, 0x1A, k.as_bytes());
        }
        tile.extend_from_slice(&self.value_bytes);
        tile.push(0x28);
        varint(&mut tile, u64::from(self.extent));
        tile.extend_from_slice(&[0x78, 2]);
        debug_assert_eq!(tile.len(), total);
        tile
    }
}

/// Appends one `values` entry (field 4) of a layer.
fn write_value(out: &mut Vec<u8>, scratch: &mut Vec<u8>, v: TagValue<'_>) {
    scratch.clear();
    match v {
        TagValue::Str(s) => bytes_field(scratch, 0x0A, s.as_bytes()),
        TagValue::Double(x) => {
            scratch.push(0x19);
            scratch.extend_from_slice(&x.to_le_bytes());
        }
        TagValue::Sint(i) => {
            scratch.push(0x30);
            varint(scratch, ((i << 1) ^ (i >> 63)) as u64);
        }
        TagValue::Bool(b) => scratch.extend_from_slice(&[0x38, u8::from(b)]),
    }
    bytes_field(out, 0x22, scratch);
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes_field(out: &mut Vec<u8>, key: u8, bytes: &[u8]) {
    out.push(key);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A packed repeated uint32 field; nothing when empty (as prost).
fn packed(out: &mut Vec<u8>, key: u8, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    let len: usize = values.iter().map(|&v| varint_len(u64::from(v))).sum();
    out.push(key);
    varint(out, len as u64);
    for &v in values {
        varint(out, u64::from(v));
    }
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Polygon geometry commands for valid rings, as the `mvt` crate's encoder
/// gives them: a ring is MoveTo, LineTo × (n − 1), ClosePath; a point equal
/// to the one before is dropped (the first point of a ring equal to the
/// last of the previous one loses its MoveTo, which callers avoid by
/// rotating the ring); a point continuing a horizontal or vertical run in
/// the same direction replaces the middle one.
pub(crate) fn polygon_commands(rings: &[Vec<[i32; 2]>], out: &mut Vec<u32>) {
    const MOVE_TO: u32 = 1;
    const LINE_TO: u32 = 2;
    const CLOSE_PATH: u32 = 7;
    let zigzag = |v: i32| ((v << 1) ^ (v >> 31)) as u32;
    out.clear();
    let mut pt0: Option<[i32; 2]> = None;
    let mut pt1: Option<[i32; 2]> = None;
    let mut cmd_at = 0usize;
    for ring in rings {
        let mut count = 0u32;
        for &p in ring {
            if pt1 == Some(p) {
                if count == 0 {
                    count += 1;
                }
                continue;
            }
            match count {
                0 => {
                    cmd_at = out.len();
                    out.push(MOVE_TO | (1 << 3));
                }
                1 => {
                    cmd_at = out.len();
                    out.push(LINE_TO | (1 << 3));
                }
                _ => {}
            }
            if count >= 2
                && let (Some(a), Some(b)) = (pt0, pt1)
                && ((a[0] == b[0]
                    && b[0] == p[0]
                    && ((a[1] < b[1] && b[1] < p[1]) || (a[1] > b[1] && b[1] > p[1])))
                    || (a[1] == b[1]
                        && b[1] == p[1]
                        && ((a[0] < b[0] && b[0] < p[0]) || (a[0] > b[0] && b[0] > p[0]))))
            {
                // Collinear along an axis: drop the middle point.
                out.pop();
                out.pop();
                pt1 = pt0;
                count -= 1;
            }
            pt0 = pt1;
            let [px, py] = pt0.unwrap_or([0, 0]);
            out.push(zigzag(p[0].saturating_sub(px)));
            out.push(zigzag(p[1].saturating_sub(py)));
            pt1 = Some(p);
            count += 1;
        }
        if count > 1 {
            let c = out[cmd_at];
            out[cmd_at] = (c & 0x7) | ((count - 1) << 3);
            out.push(CLOSE_PATH | (1 << 3));
        }
        pt0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feature: id, rings and tags by key name.
    type Feature<'a> = (u64, Vec<Vec<[i32; 2]>>, Vec<(&'a str, TagValue<'a>)>);

    /// The `mvt` crate's bytes for the same layer.
    fn with_mvt(features: &[Feature<'_>]) -> Vec<u8> {
        let tile = mvt::Tile::new(4096);
        let mut layer = tile.create_layer("lsoa");
        for (id, rings, tags) in features {
            let mut enc = mvt::GeomEncoder::<i32>::new(mvt::GeomType::Polygon);
            for ring in rings {
                for p in ring {
                    enc.add_point(p[0], p[1]).unwrap();
                }
                enc.complete_geom().unwrap();
            }
            let mut f = layer.into_feature(enc.encode().unwrap());
            f.set_id(*id);
            for (k, v) in tags {
                match *v {
                    TagValue::Str(s) => f.add_tag_string(k, s),
                    TagValue::Double(x) => f.add_tag_double(k, x),
                    TagValue::Sint(i) => f.add_tag_sint(k, i),
                    TagValue::Bool(b) => f.add_tag_bool(k, b),
                }
            }
            layer = f.into_layer();
        }
        let mut tile = tile;
        tile.add_layer(layer).unwrap();
        tile.to_bytes().unwrap()
    }

    fn with_writer(features: &[Feature<'_>]) -> Vec<u8> {
        let names = ["code", "index", "decile", "demo", "name", "zero"];
        let mut w = LayerWriter::new("lsoa", 4096, names.len());
        for (id, rings, tags) in features {
            w.add_polygon(
                *id,
                rings,
                tags.iter().map(|(k, v)| {
                    let ki = names.iter().position(|n| n == k).unwrap();
                    (ki, names[ki], *v)
                }),
            );
        }
        w.finish()
    }

    #[test]
    fn the_same_bytes_as_the_mvt_crate() {
        let square = |x: i32, s: i32| vec![[x, 0], [x + s, 0], [x + s, s], [x, s]];
        let features = vec![
            (
                0,
                vec![square(0, 100), vec![[10, 10], [10, 20], [20, 20], [20, 10]]],
                vec![
                    ("code", TagValue::Str("E01000001")),
                    ("index", TagValue::Double(3.25)),
                    ("decile", TagValue::Sint(-7)),
                    ("demo", TagValue::Bool(false)),
                ],
            ),
            (
                1 << 40,
                // A repeated point, collinear runs both ways, a far coordinate.
                vec![vec![
                    [-64, -64],
                    [0, -64],
                    [0, -64],
                    [50, -64],
                    [4160, -64],
                    [4160, 4160],
                    [4160, 2000],
                    [-64, 4160],
                ]],
                vec![
                    ("decile", TagValue::Sint(10)),
                    ("code", TagValue::Str("E01000002")),
                    ("index", TagValue::Double(3.25)),
                    ("zero", TagValue::Double(-0.0)),
                    ("name", TagValue::Str("Camden 001A — “quoted”")),
                ],
            ),
            (
                2,
                vec![square(200, 1), square(300, 7)],
                vec![
                    ("zero", TagValue::Double(0.0)),
                    ("demo", TagValue::Bool(true)),
                    ("index", TagValue::Double(f64::MIN_POSITIVE)),
                    ("decile", TagValue::Sint(i64::MIN)),
                ],
            ),
            (3, vec![square(0, 100)], vec![]),
        ];
        assert_eq!(with_writer(&features), with_mvt(&features));
    }

    #[test]
    fn varint_lengths() {
        for v in [
            0u64,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut b = Vec::new();
            varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
        }
    }
}
