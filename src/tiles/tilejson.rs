//! TileJSON and tile ranges: a [`TileSet`] in, the TileJSON 3.0.0 document
//! (server, MBTiles metadata) and the tiles worth generating per zoom
//! (MBTiles/PMTiles export) out.

use std::collections::BTreeSet;
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
    let o = set.options();
    if z < o.min_zoom || z > o.max_zoom {
        return Vec::new();
    }
    let mut tiles = BTreeSet::new();
    for layer in &set.prepared {
        if z < layer.minzoom || z > layer.maxzoom {
            continue;
        }
        for b in layer.bboxes.iter().flatten() {
            for x in tile_index(b[0], z)..=tile_index(b[2], z) {
                for y in tile_index(b[1], z)..=tile_index(b[3], z) {
                    tiles.insert(TileCoord { z, x, y });
                }
            }
        }
    }
    tiles.into_iter().collect()
}

/// The tile column (or row) holding world coordinate `w` at zoom `z`.
fn tile_index(w: f64, z: u8) -> u32 {
    let n = f64::from(1u32 << z);
    (w * n).floor().clamp(0.0, n - 1.0) as u32
}
