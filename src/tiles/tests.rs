//! Unit tests of whole tiles, read back with a minimal MVT decoder written
//! here (independent of the `mvt` crate's encoder).

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::topology::seg_dist2;
use super::*;

/// A decoded feature: id and rings (with their spec area sign).
#[derive(Debug)]
struct Feat {
    id: u64,
    geom_type: u64,
    rings: Vec<Vec<[i64; 2]>>,
    tags: usize,
}

#[derive(Debug)]
struct Lay {
    name: String,
    extent: u64,
    features: Vec<Feat>,
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// Fields of a protobuf message: (field number, varint value or bytes).
fn fields(b: &[u8]) -> Vec<(u64, u64, &[u8])> {
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let key = varint(b, &mut i);
        match key & 7 {
            0 => out.push((key >> 3, varint(b, &mut i), &b[0..0])),
            2 => {
                let len = varint(b, &mut i) as usize;
                out.push((key >> 3, 0, &b[i..i + len]));
                i += len;
            }
            1 => i += 8,
            5 => i += 4,
            w => panic!("wire type {w}"),
        }
    }
    out
}

fn packed(b: &[u8]) -> Vec<u64> {
    let mut i = 0;
    let mut v = Vec::new();
    while i < b.len() {
        v.push(varint(b, &mut i));
    }
    v
}

fn decode(bytes: &[u8]) -> Vec<Lay> {
    let mut layers = Vec::new();
    for (f, _, lb) in fields(bytes) {
        assert_eq!(f, 3, "tile field");
        let mut lay = Lay {
            name: String::new(),
            extent: 4096,
            features: Vec::new(),
        };
        for (lf, lv, b) in fields(lb) {
            match lf {
                1 => lay.name = String::from_utf8(b.to_vec()).expect("utf8 name"),
                5 => lay.extent = lv,
                2 => {
                    let mut feat = Feat {
                        id: 0,
                        geom_type: 0,
                        rings: Vec::new(),
                        tags: 0,
                    };
                    for (ff, fv, fb) in fields(b) {
                        match ff {
                            1 => feat.id = fv,
                            2 => feat.tags = packed(fb).len(),
                            3 => feat.geom_type = fv,
                            4 => feat.rings = rings(&packed(fb)),
                            _ => {}
                        }
                    }
                    lay.features.push(feat);
                }
                _ => {}
            }
        }
        layers.push(lay);
    }
    layers
}

/// Decodes polygon commands, asserting the command grammar of the spec:
/// MoveTo(1), LineTo(n ≥ 2), ClosePath(1), per ring.
fn rings(cmds: &[u64]) -> Vec<Vec<[i64; 2]>> {
    let zz = |v: u64| ((v >> 1) as i64) ^ -((v & 1) as i64);
    let (mut x, mut y) = (0i64, 0i64);
    let mut out = Vec::new();
    let mut i = 0;
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
        assert_eq!(
            (id, count),
            (1, 1),
            "ring must start with MoveTo(1) at {i}: {cmds:?}"
        );
        x += zz(cmds[i + 1]);
        y += zz(cmds[i + 2]);
        let mut ring = vec![[x, y]];
        i += 3;
        let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
        assert_eq!(id, 2, "LineTo expected");
        assert!(count >= 2, "LineTo needs 2+ points");
        i += 1;
        for _ in 0..count {
            x += zz(cmds[i]);
            y += zz(cmds[i + 1]);
            i += 2;
            ring.push([x, y]);
        }
        assert_eq!(cmds[i], 7 | (1 << 3), "ClosePath expected");
        i += 1;
        out.push(ring);
    }
    out
}

fn area2(r: &[[i64; 2]]) -> i64 {
    (0..r.len())
        .map(|i| r[i][0] * r[(i + 1) % r.len()][1] - r[(i + 1) % r.len()][0] * r[i][1])
        .sum()
}

fn ls(pts: &[(f64, f64)]) -> LineString<f64> {
    let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
    v.push(v[0]);
    LineString(v)
}

fn set_of(polys: Vec<Polygon<f64>>, opts: TileOptions) -> TileSet {
    TileSet::build(vec![layer_of(polys)], opts).expect("build")
}

fn layer_of(polys: Vec<Polygon<f64>>) -> LayerData {
    LayerData {
        meta: LayerMeta {
            name: "lsoa".into(),
            description: "test".into(),
            minzoom: 0,
            maxzoom: 14,
            property_minzoom: Default::default(),
        },
        features: polys
            .into_iter()
            .enumerate()
            .map(|(i, p)| FeatureData {
                id: i as u64,
                geometry: MultiPolygon(vec![p]),
                properties: vec![
                    ("code".into(), PropValue::Str(format!("E0{i}"))),
                    ("score".into(), PropValue::Num(i as f64 / 3.0)),
                    ("rank".into(), PropValue::Int(i as i64)),
                    ("demo".into(), PropValue::Bool(true)),
                ],
            })
            .collect(),
    }
}

fn all_coords_in_bounds(l: &Lay, buffer: i64) {
    let (lo, hi) = (-buffer, l.extent as i64 + buffer);
    for f in &l.features {
        for r in &f.rings {
            for p in r {
                assert!(
                    p[0] >= lo && p[0] <= hi && p[1] >= lo && p[1] <= hi,
                    "{p:?} outside"
                );
            }
        }
    }
}

#[test]
fn prepared_attributes_carry_no_spare_capacity() {
    // Collecting the 12-byte attributes in place over the 40-byte
    // properties kept the larger buffer: ~45 MB for England and Wales.
    let sq = |x: f64| {
        Polygon::new(
            ls(&[(x, 51.0), (x + 0.1, 51.0), (x + 0.1, 51.1), (x, 51.1)]),
            vec![],
        )
    };
    let set = set_of(vec![sq(0.0), sq(0.2), sq(0.4)], TileOptions::default());
    let features = &set.prepared[0].features;
    assert_eq!(features.len(), 3);
    for f in features {
        assert_eq!(f.properties.len(), 4);
        assert_eq!(f.properties.capacity(), f.properties.len());
    }
}

#[test]
fn properties_with_a_minzoom_are_left_out_below_it() {
    let sq = Polygon::new(
        ls(&[(-1.0, 51.0), (1.0, 51.0), (1.0, 52.0), (-1.0, 52.0)]),
        vec![],
    );
    let mut layer = layer_of(vec![sq]);
    layer.meta.property_minzoom = [("score".to_string(), 6), ("rank".to_string(), 6)]
        .into_iter()
        .collect();
    let set = TileSet::build(vec![layer], TileOptions::default()).expect("build");
    let tags_at = |z: u32, x: u32, y: u32| {
        let bytes = set
            .tile(TileCoord::new(z, x, y).expect("coord"))
            .expect("tile")
            .expect("non-empty");
        decode(&bytes)[0].features[0].tags
    };
    assert_eq!(tags_at(5, 15, 10), 4, "code and demo only at zoom 5");
    assert_eq!(tags_at(6, 31, 21), 8, "all four from zoom 6");
    let info = &set.layers()[0];
    assert_eq!(info.fields.len(), 4, "TileJSON lists every field");
    assert_eq!(info.field_minzoom.get("score"), Some(&6));
    assert_eq!(info.field_minzoom.get("code"), None);
}

#[test]
fn big_square_is_clipped_to_the_buffered_tile() {
    // Much larger than tile 10/511/340 (around London).
    let sq = Polygon::new(
        ls(&[(-1.0, 51.0), (1.0, 51.0), (1.0, 52.0), (-1.0, 52.0)]),
        vec![],
    );
    let set = set_of(vec![sq], TileOptions::default());
    let bytes = set
        .tile(TileCoord::new(10, 511, 340).expect("coord"))
        .expect("tile")
        .expect("non-empty");
    let layers = decode(&bytes);
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].name, "lsoa");
    let f = &layers[0].features[0];
    assert_eq!(f.geom_type, 3);
    assert_eq!(f.tags, 8);
    assert_eq!(f.rings.len(), 1);
    let r = &f.rings[0];
    assert_eq!(r.len(), 4, "{r:?}");
    for p in r {
        assert!(p[0] == -64 || p[0] == 4160, "{p:?}");
        assert!(p[1] == -64 || p[1] == 4160, "{p:?}");
    }
    assert_eq!(area2(r), 2 * 4224 * 4224);
}

#[test]
fn winding_follows_the_spec_for_either_input_orientation() {
    let cw = Polygon::new(
        ls(&[(-0.5, 51.4), (-0.5, 51.6), (-0.3, 51.6), (-0.3, 51.4)]),
        vec![],
    );
    let ccw = Polygon::new(
        ls(&[(-0.25, 51.4), (-0.05, 51.4), (-0.05, 51.6), (-0.25, 51.6)]),
        vec![],
    );
    let set = set_of(vec![cw, ccw], TileOptions::default());
    let bytes = set
        .tile(TileCoord::new(8, 127, 85).expect("coord"))
        .expect("tile")
        .expect("non-empty");
    let layers = decode(&bytes);
    assert_eq!(layers[0].features.len(), 2);
    for f in &layers[0].features {
        assert_eq!(f.rings.len(), 1);
        assert!(
            area2(&f.rings[0]) > 0,
            "exterior must have positive area: {:?}",
            f.rings[0]
        );
    }
}

#[test]
fn hole_has_negative_area_and_follows_its_exterior() {
    let p = Polygon::new(
        ls(&[(-0.5, 51.4), (-0.1, 51.4), (-0.1, 51.6), (-0.5, 51.6)]),
        vec![ls(&[
            (-0.4, 51.45),
            (-0.2, 51.45),
            (-0.2, 51.55),
            (-0.4, 51.55),
        ])],
    );
    let set = set_of(vec![p], TileOptions::default());
    let bytes = set
        .tile(TileCoord::new(8, 127, 85).expect("coord"))
        .expect("tile")
        .expect("non-empty");
    let layers = decode(&bytes);
    let f = &layers[0].features[0];
    assert_eq!(f.rings.len(), 2);
    assert!(area2(&f.rings[0]) > 0);
    assert!(area2(&f.rings[1]) < 0);
    all_coords_in_bounds(&layers[0], 64);
}

#[test]
fn tiny_polygon_is_still_present_at_zoom_zero() {
    // About 10 m across: far below one unit of a zoom 0 tile.
    let tiny = Polygon::new(
        ls(&[(-0.1, 51.5), (-0.0999, 51.5), (-0.0999, 51.5001)]),
        vec![],
    );
    let set = set_of(vec![tiny], TileOptions::default());
    for z in 0..=14u32 {
        let n = 1u32 << z;
        let x = ((-0.1 + 180.0) / 360.0 * n as f64) as u32;
        let w = project::to_world(-0.09995, 51.50003);
        let y = (w[1] * n as f64) as u32;
        let bytes = set
            .tile(TileCoord::new(z, x, y).expect("coord"))
            .expect("tile");
        let bytes = bytes.unwrap_or_else(|| panic!("zoom {z}: tile is empty"));
        let layers = decode(&bytes);
        assert_eq!(layers[0].features.len(), 1, "zoom {z}");
        let f = &layers[0].features[0];
        assert!(
            !f.rings.is_empty() && area2(&f.rings[0]) > 0,
            "zoom {z}: {f:?}"
        );
    }
}

#[test]
fn out_of_range_tiles_are_errors() {
    let sq = Polygon::new(ls(&[(-1.0, 51.0), (1.0, 51.0), (1.0, 52.0)]), vec![]);
    let opts = TileOptions {
        min_zoom: 2,
        max_zoom: 12,
        ..TileOptions::default()
    };
    let set = set_of(vec![sq], opts);
    assert!(matches!(
        set.tile(TileCoord { z: 13, x: 0, y: 0 }),
        Err(TileError::OutOfRange { .. })
    ));
    assert!(matches!(
        set.tile(TileCoord { z: 1, x: 0, y: 0 }),
        Err(TileError::OutOfRange { .. })
    ));
    assert!(matches!(
        set.tile(TileCoord { z: 3, x: 8, y: 0 }),
        Err(TileError::OutOfRange { .. })
    ));
    assert!(TileCoord::new(3, 8, 0).is_err());
    assert!(TileCoord::new(31, 0, 0).is_err());
    // Far from the data: an empty tile, not an error.
    assert!(
        set.tile(TileCoord::new(5, 0, 0).expect("coord"))
            .expect("tile")
            .is_none()
    );
}

#[test]
fn bytes_are_deterministic_and_fields_typed() {
    let a = Polygon::new(
        ls(&[(-0.2, 51.4), (0.0, 51.4), (0.0, 51.6), (-0.2, 51.6)]),
        vec![],
    );
    let b = Polygon::new(
        ls(&[(0.0, 51.4), (0.2, 51.4), (0.2, 51.6), (0.0, 51.6)]),
        vec![],
    );
    let t1 = set_of(vec![a.clone(), b.clone()], TileOptions::default())
        .tile(TileCoord::new(9, 255, 170).expect("coord"));
    let t2 = set_of(vec![a, b], TileOptions::default())
        .tile(TileCoord::new(9, 255, 170).expect("coord"));
    let (t1, t2) = (t1.expect("tile"), t2.expect("tile"));
    assert!(t1.is_some());
    assert_eq!(t1, t2);
    let set = set_of(vec![], TileOptions::default());
    assert_eq!(set.layers().len(), 1);
    let set = set_of(
        vec![Polygon::new(
            ls(&[(0.0, 1.0), (1.0, 1.0), (1.0, 2.0)]),
            vec![],
        )],
        TileOptions::default(),
    );
    let f = &set.layers()[0].fields;
    assert_eq!(f["code"], "String");
    assert_eq!(f["score"], "Number");
    assert_eq!(f["rank"], "Number");
    assert_eq!(f["demo"], "Boolean");
    let tj = tilejson(&set, "http://x/tiles/{z}/{x}/{y}.mvt", "n", "a");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["vector_layers"][0]["id"], "lsoa");
    assert_eq!(tj["vector_layers"][0]["fields"]["demo"], "Boolean");
    let (xs, ys) = tile_range(&set, 1).expect("range");
    assert_eq!((xs, ys), (1..=1, 0..=0));
}

#[test]
fn adjacent_polygons_cover_the_tile_exactly() {
    // A 3×3 grid of squares with jagged shared edges, bigger than the tile:
    // decoded areas (clipped to the tile) must add up to the tile.
    let mut polys = Vec::new();
    let xs: Vec<f64> = (0..4).map(|i| -1.0 + 0.5 * i as f64).collect();
    let ys: Vec<f64> = (0..4).map(|i| 51.0 + 0.4 * i as f64).collect();
    // Shared wiggly vertical and horizontal lines.
    let vline = |x: f64, y0: f64, y1: f64| -> Vec<(f64, f64)> {
        (0..=20)
            .map(|k| {
                (
                    x + if k % 2 == 1 {
                        0.0013 * (k as f64).sin()
                    } else {
                        0.0
                    },
                    y0 + (y1 - y0) * k as f64 / 20.0,
                )
            })
            .collect()
    };
    let hline = |y: f64, x0: f64, x1: f64| -> Vec<(f64, f64)> {
        (0..=20)
            .map(|k| {
                (
                    x0 + (x1 - x0) * k as f64 / 20.0,
                    y + if k % 2 == 1 {
                        0.0009 * (k as f64).cos()
                    } else {
                        0.0
                    },
                )
            })
            .collect()
    };
    for i in 0..3 {
        for j in 0..3 {
            let mut ring = hline(ys[j], xs[i], xs[i + 1]);
            ring.pop();
            ring.extend(vline(xs[i + 1], ys[j], ys[j + 1]).into_iter().take(20));
            ring.extend(
                hline(ys[j + 1], xs[i], xs[i + 1])
                    .into_iter()
                    .rev()
                    .take(20),
            );
            ring.extend(vline(xs[i], ys[j], ys[j + 1]).into_iter().rev().take(20));
            polys.push(Polygon::new(ls(&ring), vec![]));
        }
    }
    let set = set_of(
        polys,
        TileOptions {
            buffer: 0,
            ..TileOptions::default()
        },
    );
    // The tiles holding (-0.35, 51.5) at these zooms lie within the grid.
    for z in [9u32, 10, 11] {
        let w = project::to_world(-0.35, 51.5);
        let (x, y) = (
            (w[0] * f64::from(1u32 << z)) as u32,
            (w[1] * f64::from(1u32 << z)) as u32,
        );
        let bytes = set
            .tile(TileCoord::new(z, x, y).expect("coord"))
            .expect("tile")
            .expect("non-empty");
        let layers = decode(&bytes);
        let total: i64 = layers[0]
            .features
            .iter()
            .flat_map(|f| f.rings.iter())
            .map(|r| area2(r))
            .sum();
        assert_eq!(
            total,
            2 * 4096 * 4096,
            "zoom {z}: decoded areas must tile the square exactly"
        );
    }
}

#[test]
fn oversized_tile_does_not_coarsen_a_small_outline_layer() {
    // Tile 10/511/340. A choropleth layer (from zoom 8) whose attributes
    // alone exceed MAX_TILE_BYTES, so no geometry coarsening can bring the
    // tile under the limit, and an outline layer (from zoom 0) whose 360-gon
    // spans the tile. The outline must keep this zoom's geometry: every
    // decoded edge inside the visible tile lies on the source boundary
    // (coarsening it to zoom 0 arcs drew long diagonals and boxes).
    let (z, x, y) = (10u32, 511u32, 340u32);
    let n = f64::from(1u32 << z);
    let lonlat = |tx: f64, ty: f64| {
        let w = project::to_lonlat([
            (f64::from(x) + tx / 4096.0) / n,
            (f64::from(y) + ty / 4096.0) / n,
        ]);
        Coord { x: w[0], y: w[1] }
    };
    let mut cells = Vec::new();
    let k = 64u32;
    let side = 4096.0 / f64::from(k);
    for i in 0..k {
        for j in 0..k {
            let (x0, y0) = (f64::from(i) * side, f64::from(j) * side);
            let ring = [
                (x0, y0),
                (x0 + side, y0),
                (x0 + side, y0 + side),
                (x0, y0 + side),
                (x0, y0),
            ];
            let id = u64::from(i * k + j);
            cells.push(FeatureData {
                id,
                geometry: MultiPolygon(vec![Polygon::new(
                    LineString(ring.iter().map(|&(a, b)| lonlat(a, b)).collect()),
                    vec![],
                )]),
                properties: (0..40)
                    .map(|p| {
                        (
                            format!("p{p}"),
                            PropValue::Num(id as f64 * 40.0 + f64::from(p) + 0.5),
                        )
                    })
                    .collect(),
            });
        }
    }
    let (cx, cy, r) = (2048.0, 2048.0, 1500.0);
    let outline: Vec<[f64; 2]> = (0..360)
        .map(|d| {
            let a = f64::from(d).to_radians();
            // A slight wobble so that simplification has work to do.
            let rr = r + 20.0 * (7.0 * a).sin();
            [cx + rr * a.cos(), cy + rr * a.sin()]
        })
        .collect();
    let mut closed: Vec<Coord<f64>> = outline.iter().map(|p| lonlat(p[0], p[1])).collect();
    closed.push(closed[0]);
    let layers = vec![
        LayerData {
            meta: LayerMeta {
                name: "lsoa".into(),
                description: "cells".into(),
                minzoom: 8,
                maxzoom: 14,
                property_minzoom: Default::default(),
            },
            features: cells,
        },
        LayerData {
            meta: LayerMeta {
                name: "boroughs".into(),
                description: "outline".into(),
                minzoom: 0,
                maxzoom: 14,
                property_minzoom: Default::default(),
            },
            features: vec![FeatureData {
                id: 0,
                geometry: MultiPolygon(vec![Polygon::new(LineString(closed), vec![])]),
                properties: vec![("code".into(), PropValue::Str("B".into()))],
            }],
        },
    ];
    let set = TileSet::build(layers, TileOptions::default()).expect("build");
    let bytes = set
        .tile(TileCoord::new(z, x, y).expect("coord"))
        .expect("tile")
        .expect("non-empty tile");
    assert!(
        bytes.len() > MAX_TILE_BYTES,
        "the attributes should exceed the limit: {}",
        bytes.len()
    );
    let decoded = decode(&bytes);
    let b = decoded
        .iter()
        .find(|l| l.name == "boroughs")
        .expect("boroughs layer");
    assert_eq!(b.features.len(), 1);
    let f = &b.features[0];
    assert_eq!(f.rings.len(), 1, "one ring: {:?}", f.rings);
    let m = outline.len();
    let near = |p: [f64; 2]| {
        (0..m)
            .map(|i| seg_dist2(p, outline[i], outline[(i + 1) % m]))
            .fold(f64::MAX, f64::min)
            .sqrt()
    };
    let ring = &f.rings[0];
    assert!(ring.len() >= 60, "the outline kept {} points", ring.len());
    for i in 0..ring.len() {
        let (a, c) = (ring[i], ring[(i + 1) % ring.len()]);
        for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let p = [
                a[0] as f64 + t * (c[0] - a[0]) as f64,
                a[1] as f64 + t * (c[1] - a[1]) as f64,
            ];
            let d = near(p);
            assert!(
                d <= 5.0,
                "edge {a:?}-{c:?} strays {d:.1} units from the outline"
            );
        }
    }
}

#[test]
fn candidate_tiles_by_bitmap_and_by_sorting_agree() {
    // Scattered squares of several sizes, some far apart, some overlapping.
    let polys: Vec<Polygon<f64>> = (0..40)
        .map(|i| {
            let f = f64::from(i);
            let (x, y) = (-3.0 + (f * 0.37) % 4.0, 50.0 + (f * 0.23) % 3.0);
            let d = 0.002 * (1.0 + f * f / 10.0);
            Polygon::new(
                ls(&[(x, y), (x + d, y), (x + d, y + d), (x, y + d)]),
                vec![],
            )
        })
        .collect();
    let set = set_of(polys, TileOptions::default());
    for z in 0..=14u8 {
        let bitmap = tilejson::candidates(&set, z, usize::MAX);
        let sorted = tilejson::candidates(&set, z, 0);
        assert_eq!(bitmap, sorted, "zoom {z}");
        let mut want = std::collections::BTreeSet::new();
        for b in set.prepared[0].bboxes.iter().flatten() {
            let n = f64::from(1u32 << z);
            let t = |w: f64| (w * n).floor() as u32;
            for x in t(b[0])..=t(b[2]) {
                for y in t(b[1])..=t(b[3]) {
                    want.insert(TileCoord { z, x, y });
                }
            }
        }
        assert_eq!(bitmap, want.into_iter().collect::<Vec<_>>(), "zoom {z}");
        assert!(bitmap.len() > 1 || z < 6, "zoom {z}: too few tiles to test");
    }
}
