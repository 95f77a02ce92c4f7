//! MapLibre Tile (MLT) encoding: the same features the MVT writer takes in,
//! the bytes of a single-layer MLT tile out.
//!
//! [`MltLayerWriter`] takes a layer's features one by one, exactly as
//! [`super::mvt_layer::LayerWriter`] does (id, valid polygon rings, tags),
//! and lays them out by column: a layer header naming each column and its
//! type ([`metadata`]), the ids as deltas, the geometry ([`geometry`]) and
//! one typed column per property key ([`properties`]), each column made of
//! streams ([`streams`]). Only the plain encodings (varint, zigzag, delta,
//! byte RLE) are used; every MLT decoder reads them. A tile of several
//! layers is the concatenation of single-layer tiles, as with MVT.

mod geometry;
mod metadata;
mod properties;
mod streams;
#[cfg(test)]
mod tests;

use geometry::GeometryColumn;
use properties::PropertyColumn;

use super::mvt_layer::{TagValue, polygon_commands};

/// Builds one MLT layer, feature by feature.
pub(crate) struct MltLayerWriter<'a> {
    name: &'a str,
    extent: u32,
    /// Column of each caller key index (`usize::MAX`: not used yet).
    key_column: Vec<usize>,
    ids: Vec<u64>,
    geometry: GeometryColumn,
    columns: Vec<PropertyColumn<'a>>,
    commands: Vec<u32>,
}

impl<'a> MltLayerWriter<'a> {
    /// A layer called `name` whose features may use `n_keys` keys.
    pub(crate) fn new(name: &'a str, extent: u32, n_keys: usize) -> MltLayerWriter<'a> {
        MltLayerWriter {
            name,
            extent,
            key_column: vec![usize::MAX; n_keys],
            ids: Vec::new(),
            geometry: GeometryColumn::default(),
            columns: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// Features written so far.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds a polygon feature: `rings` valid (3+ distinct points, no
    /// closing point, exterior first, exteriors positive by the MVT
    /// formula), `tags` as (caller key index, key, value). Fails, naming
    /// the key, when a key's values are of types one column cannot hold,
    /// and on a feature with no ring (an MLT polygon needs one).
    pub(crate) fn add_polygon(
        &mut self,
        id: u64,
        rings: &[Vec<[i32; 2]>],
        tags: impl IntoIterator<Item = (usize, &'a str, TagValue<'a>)>,
    ) -> Result<(), String> {
        // Checked first, so a refused feature leaves every column aligned.
        polygon_commands(rings, &mut self.commands);
        if self.commands.is_empty() {
            return Err(format!("feature {id}: no ring to encode"));
        }
        let n = self.ids.len();
        for (ki, key, value) in tags {
            let col = match self.key_column.get(ki).copied() {
                Some(c) if c != usize::MAX => c,
                _ => {
                    let c = self.columns.len();
                    if let Some(slot) = self.key_column.get_mut(ki) {
                        *slot = c;
                    }
                    self.columns.push(PropertyColumn::new(key, n, value));
                    c
                }
            };
            self.columns[col].push(value)?;
        }
        for c in &mut self.columns {
            c.fill_to(n + 1);
        }
        self.geometry.push(&self.commands);
        self.ids.push(id);
        Ok(())
    }

    /// The single-layer tile's bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut body = Vec::new();
        metadata::write_header(&mut body, self.name, self.extent, &self.ids, &self.columns);
        metadata::write_ids(&mut body, &self.ids);
        self.geometry.write(&mut body);
        for c in &self.columns {
            c.write(&mut body);
        }
        let mut tile = Vec::with_capacity(body.len() + 4);
        streams::varint(&mut tile, body.len() as u64);
        tile.extend_from_slice(&body);
        tile
    }
}
