//! A reader of the MLT subset the writer emits, and round trips through it.
//! The real decoder (`@maplibre/mlt`) checks the same tiles in
//! tests/browser/mlt.test.js.

use super::MltLayerWriter;
use crate::tiles::mvt_layer::TagValue;

/// A decoded property value.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
}

/// A decoded feature: id, rings, properties in column order.
type Feature = (u64, Vec<Vec<[i32; 2]>>, Vec<(String, Val)>);

struct Reader<'b> {
    b: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = self.b[self.at];
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        self.at += n;
        &self.b[self.at - n..self.at]
    }
    fn string(&mut self) -> String {
        let n = self.varint() as usize;
        String::from_utf8(self.bytes(n).to_vec()).unwrap()
    }
    /// A stream: (type byte, encodings byte, values, payload).
    fn stream(&mut self) -> (u8, u8, usize, Vec<u8>) {
        let (t, e) = (self.b[self.at], self.b[self.at + 1]);
        self.at += 2;
        let n = self.varint() as usize;
        let len = self.varint() as usize;
        (t, e, n, self.bytes(len).to_vec())
    }
    fn uints(&mut self, want: u8) -> Vec<u64> {
        let (t, e, n, p) = self.stream();
        assert_eq!(t, want, "stream type");
        let mut r = Reader { b: &p, at: 0 };
        let v: Vec<u64> = (0..n).map(|_| r.varint()).collect();
        assert_eq!(r.at, p.len());
        match e {
            // Plain, or componentwise deltas the caller undoes.
            0x02 | 0x42 => v,
            0x22 => {
                let mut acc = 0u32;
                v.iter()
                    .map(|&z| {
                        acc = acc.wrapping_add(unzig(z) as u32);
                        u64::from(acc)
                    })
                    .collect()
            }
            _ => panic!("encoding {e:#x}"),
        }
    }
    fn bools(&mut self, want: u8) -> Vec<bool> {
        let (t, _, n, p) = self.stream();
        assert_eq!(t, want);
        let mut bytes = Vec::new();
        let mut i = 0;
        while i < p.len() {
            let h = p[i];
            i += 1;
            if h <= 0x7f {
                bytes.extend(std::iter::repeat_n(p[i], usize::from(h) + 3));
                i += 1;
            } else {
                let k = 256 - usize::from(h);
                bytes.extend_from_slice(&p[i..i + k]);
                i += k;
            }
        }
        (0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect()
    }
}

fn unzig(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// Reads every layer of a tile: (name, extent, features).
fn read_tile(tile: &[u8]) -> Vec<(String, u64, Vec<Feature>)> {
    let mut r = Reader { b: tile, at: 0 };
    let mut layers = Vec::new();
    while r.at < tile.len() {
        let len = r.varint() as usize;
        let end = r.at + len;
        assert_eq!(r.varint(), 1, "layer tag");
        let name = r.string();
        let extent = r.varint();
        let n_cols = r.varint() as usize;
        let mut cols = Vec::new();
        for _ in 0..n_cols {
            let code = r.varint();
            let name = if code >= 10 {
                r.string()
            } else {
                String::new()
            };
            cols.push((code, name));
        }
        assert!(cols[0].0 == 0 || cols[0].0 == 2, "id column first");
        assert_eq!(cols[1].0, 4, "geometry second");
        let ids = r.uints(0x10);
        let n = ids.len();
        let streams = r.varint();
        let types = r.uints(0x10);
        let polys = if streams == 5 { r.uints(0x31) } else { vec![] };
        let parts = r.uints(0x32);
        let rings = r.uints(0x33);
        let verts = r.uints(0x13);
        let mut xy = Vec::new();
        let mut cur = [0i64; 2];
        for v in verts.chunks(2) {
            cur = [cur[0] + unzig(v[0]), cur[1] + unzig(v[1])];
            xy.push([cur[0] as i32, cur[1] as i32]);
        }
        let (mut pi, mut pa, mut ri, mut vi) = (0, 0, 0, 0);
        let mut geoms = Vec::new();
        for &t in &types {
            let n_polys = if t == 5 {
                pi += 1;
                polys[pi - 1]
            } else {
                assert_eq!(t, 2);
                1
            };
            let mut g = Vec::new();
            for _ in 0..n_polys {
                for _ in 0..parts[pa] {
                    let k = rings[ri] as usize;
                    g.push(xy[vi..vi + k].to_vec());
                    vi += k;
                    ri += 1;
                }
                pa += 1;
            }
            geoms.push(g);
        }
        assert_eq!(vi, xy.len());
        let mut props: Vec<Vec<(String, Val)>> = vec![Vec::new(); n];
        for (code, name) in &cols[2..] {
            let nullable = code % 2 == 1;
            let scalar = (code - 10) / 2;
            if scalar == 9 {
                r.varint(); // stream count
            }
            let present = if nullable {
                r.bools(0x00)
            } else {
                vec![true; n]
            };
            let k = present.iter().filter(|p| **p).count();
            let vals: Vec<Val> = match scalar {
                0 => r.bools(0x10).into_iter().map(Val::Bool).collect(),
                3 | 5 => r
                    .uints(0x10)
                    .into_iter()
                    .map(|z| Val::Int(unzig(z)))
                    .collect(),
                8 => {
                    let (_, _, _, p) = r.stream();
                    p.chunks(8)
                        .map(|c| Val::Double(f64::from_le_bytes(c.try_into().unwrap())))
                        .collect()
                }
                9 => {
                    let first = r.b[r.at];
                    if first == 0x22 {
                        let offsets = r.uints(0x22);
                        let lens = r.uints(0x36);
                        let (_, _, _, data) = r.stream();
                        let mut dict = Vec::new();
                        let mut at = 0;
                        for l in lens {
                            dict.push(
                                String::from_utf8(data[at..at + l as usize].to_vec()).unwrap(),
                            );
                            at += l as usize;
                        }
                        offsets
                            .iter()
                            .map(|&o| Val::Str(dict[o as usize].clone()))
                            .collect()
                    } else {
                        let lens = r.uints(0x30);
                        let (_, _, _, data) = r.stream();
                        let mut at = 0;
                        lens.iter()
                            .map(|&l| {
                                at += l as usize;
                                Val::Str(
                                    String::from_utf8(data[at - l as usize..at].to_vec()).unwrap(),
                                )
                            })
                            .collect()
                    }
                }
                _ => panic!("type code {code}"),
            };
            assert_eq!(vals.len(), k, "{name}: values of present features");
            let mut vals = vals.into_iter();
            for (i, p) in present.iter().enumerate() {
                if *p {
                    props[i].push((name.clone(), vals.next().unwrap()));
                }
            }
        }
        assert_eq!(r.at, end, "layer {name} read to its end");
        let features = ids
            .into_iter()
            .zip(geoms)
            .zip(props)
            .map(|((i, g), p)| (i, g, p))
            .collect();
        layers.push((name, extent, features));
    }
    layers
}

#[test]
fn features_round_trip_through_the_columns() {
    let square = |x: i32, s: i32| vec![[x, 0], [x + s, 0], [x + s, s], [x, s]];
    let hole = vec![[10, 10], [10, 20], [20, 20], [20, 10]];
    let names = ["code", "index", "decile", "demo", "name"];
    let mut w = MltLayerWriter::new("lsoa", 4096, names.len());
    let tag =
        |k: &'static str, v: TagValue<'static>| (names.iter().position(|n| *n == k).unwrap(), k, v);
    w.add_polygon(
        3,
        &[square(0, 100), hole.clone()],
        [
            tag("code", TagValue::Str("E01000001")),
            tag("index", TagValue::Double(3.25)),
            tag("decile", TagValue::Sint(-7)),
            tag("demo", TagValue::Bool(false)),
        ],
    )
    .unwrap();
    // Two polygons, a far vertex, no index; a key first seen here.
    w.add_polygon(
        9,
        &[square(-64, 4224), square(5000, 3)],
        [
            tag("decile", TagValue::Sint(10)),
            tag("code", TagValue::Str("E01000002")),
            tag("name", TagValue::Str("Camden 001A — “quoted”")),
            tag("demo", TagValue::Bool(true)),
        ],
    )
    .unwrap();
    w.add_polygon(
        4,
        &[square(200, 1)],
        [tag("index", TagValue::Double(f64::MIN_POSITIVE))],
    )
    .unwrap();
    assert_eq!(w.len(), 3);
    let tile = w.finish();
    let layers = read_tile(&tile);
    assert_eq!(layers.len(), 1);
    let (name, extent, features) = &layers[0];
    assert_eq!((name.as_str(), *extent), ("lsoa", 4096));
    let p = |k: &str, v: Val| (k.to_string(), v);
    assert_eq!(
        features[0],
        (
            3,
            vec![square(0, 100), hole],
            vec![
                p("code", Val::Str("E01000001".into())),
                p("index", Val::Double(3.25)),
                p("decile", Val::Int(-7)),
                p("demo", Val::Bool(false)),
            ]
        )
    );
    assert_eq!(
        features[1],
        (
            9,
            vec![square(-64, 4224), square(5000, 3)],
            vec![
                p("code", Val::Str("E01000002".into())),
                p("decile", Val::Int(10)),
                p("demo", Val::Bool(true)),
                p("name", Val::Str("Camden 001A — “quoted”".into())),
            ]
        )
    );
    assert_eq!(
        features[2],
        (
            4,
            vec![square(200, 1)],
            vec![p("index", Val::Double(f64::MIN_POSITIVE))]
        )
    );
}

#[test]
fn many_features_use_dictionaries_and_long_ids() {
    let mut w = MltLayerWriter::new("boroughs", 512, 2);
    let boroughs = ["Camden", "Hackney", "Islington"];
    for i in 0..300u64 {
        let x = (i % 17) as i32 * 20;
        let ring = vec![[x, 0], [x + 10, 0], [x + 10, 10], [x, 10]];
        let id = if i == 299 { 1 << 40 } else { i * 7 };
        w.add_polygon(
            id,
            &[ring],
            [
                (0, "name", TagValue::Str(boroughs[i as usize % 3])),
                (1, "n", TagValue::Sint(i as i64 - 150)),
            ],
        )
        .unwrap();
    }
    let tile = w.finish();
    let (_, extent, features) = &read_tile(&tile)[0];
    assert_eq!(*extent, 512);
    assert_eq!(features.len(), 300);
    for (i, (id, _, props)) in features.iter().enumerate() {
        assert_eq!(*id, if i == 299 { 1 << 40 } else { i as u64 * 7 });
        assert_eq!(props[0].1, Val::Str(boroughs[i % 3].into()));
        assert_eq!(props[1].1, Val::Int(i as i64 - 150));
    }
}

#[test]
fn a_feature_without_rings_is_refused_and_leaves_the_layer_whole() {
    let mut w = MltLayerWriter::new("lsoa", 4096, 1);
    let e = w
        .add_polygon(7, &[], [(0, "code", TagValue::Str("E01"))])
        .unwrap_err();
    assert_eq!(e, "feature 7: no ring to encode");
    assert_eq!(w.len(), 0);
    w.add_polygon(
        8,
        &[vec![[0, 0], [4, 0], [4, 4]]],
        [(0, "code", TagValue::Str("E02"))],
    )
    .unwrap();
    let (_, _, features) = &read_tile(&w.finish())[0];
    assert_eq!(features.len(), 1);
    assert_eq!(
        features[0].2,
        [("code".to_string(), Val::Str("E02".into()))]
    );
}
