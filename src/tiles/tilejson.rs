//! TileJSON and tile ranges: a [`TileSet`] in, the TileJSON 3.0.0 document
//! (server, MBTiles metadata) and the tiles worth generating per zoom
//! (MBTiles/PMTiles export) out.

use std::ops::RangeInclusive;

use serde_json::{Value, json};

use super::{TileCoord, TileSet, project};

/// TileJSON 3.0.0 for `set`, with `tile_url` as the single tile template
/// (e.g. `https://host/tiles/{z}/{x}/{y}.mvt`).
pub fn tilejson(set: &TileSet, tile_url: &str, name: &str, attribution: &str) -> Value {
    let o = set.options();
    let b = set.bounds();
    let width = (b[2] - b[0]).max(1e-9);
    // The zoom at which the bounds span about one tile.
    let fit = (360.0 / width).log2().floor();
    let zoom = if fit.is_finite() {
        fit.clamp(f64::from(o.min_zoom), f64::from(o.max_zoom))
    } else {
        f64::from(o.min_zoom)
    };
    let layers = vector_layers(set, o.min_zoom, o.max_zoom);
    json!({
        "tilejson": "3.0.0",
        "name": name,
        "attribution": attribution,
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": o.min_zoom,
        "maxzoom": o.max_zoom,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, zoom],
        "vector_layers": layers,
    })
}

/// TileJSON `vector_layers` for `set`, with each layer's zoom range clipped to
/// `min_zoom..=max_zoom` (the served range, or an export's chosen range).
pub fn vector_layers(set: &TileSet, min_zoom: u8, max_zoom: u8) -> Value {
    let layers: Vec<Value> = set
        .layers()
        .iter()
        .map(|l| {
            json!({
                "id": l.name,
                "description": l.description,
                "minzoom": l.minzoom.max(min_zoom),
                "maxzoom": l.maxzoom.min(max_zoom),
                "fields": l.fields,
            })
        })
        .collect();
    Value::from(layers)
}

/// Columns and rows of the tiles at zoom `z` that the data's bounds touch;
/// `None` when `z` is outside the served zooms.
pub fn tile_range(set: &TileSet, z: u8) -> Option<(RangeInclusive<u32>, RangeInclusive<u32>)> {
    let o = set.options();
    if z < o.min_zoom || z > o.max_zoom {
        return None;
    }
    let b = set.bounds();
    let nw = project::to_world(b[0], b[3]);
    let se = project::to_world(b[2], b[1]);
    let (x0, y0) = (tile_index(nw[0], z), tile_index(nw[1], z));
    let (x1, y1) = (tile_index(se[0], z), tile_index(se[1], z));
    Some((x0..=x1, y0..=y1))
}

/// Every tile at zoom `z` that some feature's bounding box touches, in
/// (x, y) order: the tiles an exporter should try (a few may still be empty).
pub fn candidate_tiles(set: &TileSet, z: u8) -> Vec<TileCoord> {
    candidates(set, z, 1 << 27)
}

/// [`candidate_tiles`], marking tiles in a bitmap over the features' tile
/// range when it has at most `max_bits` tiles (a national z14 has about a
/// million (feature, tile) pairs, mostly repeats, over 250,000 tiles), else
/// sorting the pairs.
pub(super) fn candidates(set: &TileSet, z: u8, max_bits: usize) -> Vec<TileCoord> {
    let o = set.options();
    if z < o.min_zoom || z > o.max_zoom {
        return Vec::new();
    }
    // Each feature's tile range at z.
    let ranges = || {
        set.prepared
            .iter()
            .filter(move |l| z >= l.minzoom && z <= l.maxzoom)
            .flat_map(|l| l.bboxes.iter().flatten())
            .map(move |b| {
                let xs = tile_index(b[0], z)..=tile_index(b[2], z);
                (xs, tile_index(b[1], z)..=tile_index(b[3], z))
            })
    };
    let Some((x0, y0, x1, y1)) = ranges().fold(None, |acc, (xs, ys)| {
        let (a, b, c, d) = acc.unwrap_or((u32::MAX, u32::MAX, 0, 0));
        Some((
            a.min(*xs.start()),
            b.min(*ys.start()),
            c.max(*xs.end()),
            d.max(*ys.end()),
        ))
    }) else {
        return Vec::new();
    };
    let (w, h) = ((x1 - x0) as usize + 1, (y1 - y0) as usize + 1);
    match w.checked_mul(h).filter(|&bits| bits <= max_bits) {
        Some(bits) => {
            // Bit (x - x0) · h + (y - y0): reading them in order is (x, y) order.
            let mut seen = vec![0u64; bits.div_ceil(64)];
            for (xs, ys) in ranges() {
                for x in xs {
                    for y in ys.clone() {
                        let i = (x - x0) as usize * h + (y - y0) as usize;
                        seen[i / 64] |= 1 << (i % 64);
                    }
                }
            }
            let mut tiles = Vec::new();
            for (word, &bits) in seen.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let i = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let (x, y) = (x0 + (i / h) as u32, y0 + (i % h) as u32);
                    tiles.push(TileCoord { z, x, y });
                }
            }
            tiles
        }
        None => {
            let mut tiles: Vec<TileCoord> = ranges()
                .flat_map(|(xs, ys)| {
                    xs.flat_map(move |x| ys.clone().map(move |y| TileCoord { z, x, y }))
                })
                .collect();
            tiles.sort_unstable();
            tiles.dedup();
            tiles
        }
    }
}

/// The tile column (or row) holding world coordinate `w` at zoom `z`.
fn tile_index(w: f64, z: u8) -> u32 {
    let n = f64::from(1u32 << z);
    (w * n).floor().clamp(0.0, n - 1.0) as u32
}
