//! Pre-cutting a whole tile pyramid for MBTiles and PMTiles.
//!
//! In: a [`ScoredDataset`] and [`TileExportOptions`]. Out: a [`Pyramid`]: the
//! prepared [`TileSet`], the candidate tiles of each zoom (as the tiles module
//! lists them for the server, in PMTiles tile-id order), and
//! [`Pyramid::for_each_tile`], which cuts and gzips them in parallel with
//! rayon, a batch at a time, and streams them in that order to the archive
//! writer, dropping empty tiles; [`TileHashes`] counts distinct tiles by
//! content hash without holding their bytes. A caller's [`Progress`] hears
//! the number of candidate tiles, each one cut, and the end of the run
//! (when the pyramid is dropped, finished or failed).

use std::fmt;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::{Value, json};

use super::{ExportError, GENERATOR};
use crate::progress::Progress;
use crate::score::ScoredDataset;
use crate::tiles::{
    GzipMemo, TileCoord, TileEncoding, TileOptions, TileSet, attributes, candidate_tiles,
};

/// Options of a tile export.
#[derive(Clone)]
pub struct TileExportOptions {
    /// Lowest zoom written.
    pub min_zoom: u8,
    /// Highest zoom written (default 14).
    pub max_zoom: u8,
    /// Tile encoding (default MVT; MLT is written to PMTiles only).
    pub encoding: TileEncoding,
    /// Told the number of candidate tiles, then advanced once per tile cut
    /// (the CLI draws a bar).
    pub progress: Option<Arc<dyn Progress>>,
}

impl fmt::Debug for TileExportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileExportOptions")
            .field("min_zoom", &self.min_zoom)
            .field("max_zoom", &self.max_zoom)
            .field("encoding", &self.encoding)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for TileExportOptions {
    fn default() -> Self {
        TileExportOptions {
            min_zoom: 0,
            max_zoom: 14,
            encoding: TileEncoding::Mvt,
            progress: None,
        }
    }
}

/// What a tile export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TileStats {
    /// Non-empty tiles addressed.
    pub tiles: u64,
    /// Distinct tile contents stored (after de-duplication).
    pub unique: u64,
    /// Bytes of all addressed tiles (gzip-compressed), counting duplicates.
    pub bytes: u64,
    /// The largest compressed tile, in bytes.
    pub largest: u64,
}

impl TileStats {
    pub(crate) fn add(&mut self, gz: &[u8]) {
        self.tiles += 1;
        self.bytes += gz.len() as u64;
        self.largest = self.largest.max(gz.len() as u64);
    }
}

/// Tiles cut in parallel at a time by [`Pyramid::for_each_tile`]: enough to
/// keep every core busy, few enough that a batch of the largest tiles is a
/// few megabytes.
pub const BATCH: usize = 128;

/// The PMTiles tile id (position on the Hilbert curve of all zooms) of `c`.
pub fn tile_id(c: TileCoord) -> u64 {
    pmtiles::TileCoord::new(c.z, c.x, c.y)
        .map(|t| pmtiles::TileId::from(t).value())
        .unwrap_or(u64::MAX)
}

/// A prepared tile set and the tiles to cut, per zoom.
pub struct Pyramid {
    /// The prepared layers.
    pub tileset: TileSet,
    /// Candidate tiles per zoom from `min_zoom` to `max_zoom`, in tile-id
    /// ([`tile_id`]) order.
    pub zooms: Vec<Vec<TileCoord>>,
    /// Options in force.
    pub options: TileExportOptions,
    /// Recent small tiles' gzip bytes: repeated interior tiles are not
    /// deflated again.
    memo: GzipMemo,
}

impl Pyramid {
    /// Builds the tile set of `scored` and lists candidate tiles.
    pub fn new(scored: &ScoredDataset, options: TileExportOptions) -> Result<Pyramid, ExportError> {
        if options.min_zoom > options.max_zoom || options.max_zoom > 24 {
            return Err(ExportError::Options(format!(
                "zoom range {}..={} must be ascending and at most 24",
                options.min_zoom, options.max_zoom
            )));
        }
        let layers = attributes::keyed_layers_from_scored(scored);
        let tile_opts = TileOptions {
            min_zoom: options.min_zoom,
            max_zoom: options.max_zoom,
            ..TileOptions::default()
        };
        let tileset = TileSet::build_keyed(layers, tile_opts).map_err(ExportError::TileSet)?;
        // The same candidate list the server's TileJSON is based on, in
        // PMTiles tile-id (Hilbert) order: a PMTiles archive written in that
        // order is clustered, and neighbouring tiles are cut together.
        let zooms = (options.min_zoom..=options.max_zoom)
            .into_par_iter()
            .map(|z| {
                let mut tiles = candidate_tiles(&tileset, z);
                tiles.sort_by_cached_key(|c| tile_id(*c));
                tiles
            })
            .collect::<Vec<_>>();
        if let Some(p) = &options.progress {
            p.start(zooms.iter().map(|z| z.len() as u64).sum());
        }
        Ok(Pyramid {
            tileset,
            zooms,
            options,
            memo: GzipMemo::default(),
        })
    }

    /// Cuts and gzips the candidate tiles of zoom `z` in parallel; returns the
    /// non-empty ones in candidate order.
    pub fn cut_zoom(&self, z: u8) -> Result<Vec<(TileCoord, Vec<u8>)>, ExportError> {
        let Some(coords) = z
            .checked_sub(self.options.min_zoom)
            .and_then(|i| self.zooms.get(usize::from(i)))
        else {
            return Ok(Vec::new());
        };
        let cut: Vec<Option<Vec<u8>>> = coords
            .par_iter()
            .map(|&c| self.cut(c))
            .collect::<Result<_, ExportError>>()?;
        Ok(coords
            .iter()
            .zip(cut)
            .filter_map(|(&c, gz)| Some((c, gz?)))
            .collect())
    }

    /// Cuts and gzips every candidate tile, zoom by zoom in candidate order,
    /// [`BATCH`] tiles at a time in parallel, and hands each non-empty one to
    /// `write` in that order. Only one batch of tiles is held at once, so
    /// memory does not grow with the size of a zoom.
    pub fn for_each_tile(
        &self,
        mut write: impl FnMut(TileCoord, Vec<u8>) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        for coords in &self.zooms {
            for batch in coords.chunks(BATCH) {
                let cut: Vec<Option<Vec<u8>>> = batch
                    .par_iter()
                    .map(|&c| self.cut(c))
                    .collect::<Result<_, ExportError>>()?;
                for (&c, gz) in batch.iter().zip(cut) {
                    if let Some(gz) = gz {
                        write(c, gz)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// One tile, gzipped; `None` when empty.
    fn cut(&self, c: TileCoord) -> Result<Option<Vec<u8>>, ExportError> {
        let tile = self
            .tileset
            .tile_as(c, self.options.encoding)
            .map_err(|source| ExportError::Tile {
                z: c.z,
                x: c.x,
                y: c.y,
                source,
            })?;
        if let Some(p) = &self.options.progress {
            p.advance(1);
        }
        match tile {
            Some(bytes) if !bytes.is_empty() => Ok(Some(self.memo.gzip(&bytes)?)),
            _ => Ok(None),
        }
    }

    /// The zooms to cut, ascending.
    pub fn zoom_range(&self) -> std::ops::RangeInclusive<u8> {
        self.options.min_zoom..=self.options.max_zoom
    }

    /// Bounds as west, south, east, north, clamped to the web-mercator range.
    pub fn bounds(&self) -> [f64; 4] {
        let [w, s, e, n] = self.tileset.bounds();
        [
            w.max(-180.0),
            s.max(-85.051129),
            e.min(180.0),
            n.min(85.051129),
        ]
    }

    /// Centre longitude, latitude and zoom.
    pub fn center(&self) -> (f64, f64, u8) {
        let [w, s, e, n] = self.bounds();
        let z = 10.clamp(self.options.min_zoom, self.options.max_zoom);
        ((w + e) / 2.0, (s + n) / 2.0, z)
    }

    /// `vector_layers` as in TileJSON 3.0.0.
    pub fn vector_layers(&self) -> Value {
        crate::tiles::vector_layers(&self.tileset, self.options.min_zoom, self.options.max_zoom)
    }
}

impl Drop for Pyramid {
    /// The run is over, however it ended: an export that fails part way
    /// still tells its progress so.
    fn drop(&mut self) {
        if let Some(p) = &self.options.progress {
            p.finish();
        }
    }
}

/// The metadata shared by MBTiles and PMTiles (TileJSON-like).
pub fn tile_metadata(scored: &ScoredDataset, pyramid: &Pyramid) -> Value {
    let ds = &*scored.dataset;
    json!({
        "name": if ds.title.is_empty() { "dxmap" } else { ds.title.as_str() },
        "description": format!(
            "Digital-exclusion risk ({}) for {}",
            scored.methodology.name,
            if ds.geography.is_empty() { "small areas" } else { ds.geography.as_str() }
        ),
        "attribution": ds.attribution.join("; "),
        "generator": GENERATOR,
        "demonstration": ds.has_demonstration_data(),
        "methodology": scored.methodology.name,
        "vector_layers": pyramid.vector_layers(),
    })
}

/// Distinct tile contents seen so far, by 128-bit content hash (as the
/// PMTiles writer de-duplicates), so de-duplication holds 16 bytes a tile
/// rather than the tile.
#[derive(Debug, Default)]
pub struct TileHashes(std::collections::HashMap<u128, u64>);

impl TileHashes {
    /// The id of `gz`'s content and whether it is new: ids count up from 0
    /// in order of first appearance.
    pub fn id(&mut self, gz: &[u8]) -> (u64, bool) {
        let next = self.0.len() as u64;
        match self.0.entry(twox_hash::XxHash3_128::oneshot(gz)) {
            std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
            std::collections::hash_map::Entry::Vacant(e) => (*e.insert(next), true),
        }
    }

    /// Distinct contents seen.
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }

    /// True before the first tile.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
