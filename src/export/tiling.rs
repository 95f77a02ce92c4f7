//! Pre-cutting a whole tile pyramid for MBTiles and PMTiles.
//!
//! In: a [`ScoredDataset`] and [`TileExportOptions`]. Out: a [`Pyramid`]: the
//! prepared [`TileSet`], the candidate tiles of each zoom (as the tiles module
//! lists them for the server, in a fixed order), and
//! [`Pyramid::cut_zoom`], which cuts and gzips one zoom's tiles in parallel
//! with rayon while keeping that order, dropping empty tiles.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::{ExportError, GENERATOR};
use crate::score::ScoredDataset;
use crate::tiles::{TileCoord, TileOptions, TileSet, attributes, candidate_tiles};

/// Options of a tile export.
#[derive(Clone, Debug)]
pub struct TileExportOptions {
    /// Lowest zoom written.
    pub min_zoom: u8,
    /// Highest zoom written (default 14).
    pub max_zoom: u8,
    /// Progress bar advanced once per candidate tile (hidden when `None`).
    pub progress: Option<ProgressBar>,
}

impl Default for TileExportOptions {
    fn default() -> Self {
        TileExportOptions {
            min_zoom: 0,
            max_zoom: 14,
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

/// A prepared tile set and the tiles to cut, per zoom.
pub struct Pyramid {
    /// The prepared layers.
    pub tileset: TileSet,
    /// Candidate tiles per zoom from `min_zoom` to `max_zoom`, sorted by (x, y).
    pub zooms: Vec<Vec<TileCoord>>,
    /// Options in force.
    pub options: TileExportOptions,
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
        let layers = attributes::layers_from_scored(scored);
        let tile_opts = TileOptions {
            min_zoom: options.min_zoom,
            max_zoom: options.max_zoom,
            ..TileOptions::default()
        };
        let tileset = TileSet::build(layers, tile_opts).map_err(ExportError::TileSet)?;
        // The same candidate list the server's TileJSON is based on.
        let zooms = (options.min_zoom..=options.max_zoom)
            .map(|z| candidate_tiles(&tileset, z))
            .collect::<Vec<_>>();
        if let Some(pb) = &options.progress {
            pb.set_length(zooms.iter().map(|z| z.len() as u64).sum());
        }
        Ok(Pyramid {
            tileset,
            zooms,
            options,
        })
    }

    /// Cuts and gzips the candidate tiles of zoom `z` in parallel; returns the
    /// non-empty ones in candidate order.
    pub fn cut_zoom(&self, z: u8) -> Result<Vec<(TileCoord, Vec<u8>)>, ExportError> {
        let Some(coords) = self
            .zooms
            .get(usize::from(z.saturating_sub(self.options.min_zoom)))
        else {
            return Ok(Vec::new());
        };
        if z < self.options.min_zoom {
            return Ok(Vec::new());
        }
        let cut: Vec<Option<(TileCoord, Vec<u8>)>> = coords
            .par_iter()
            .map(|&c| {
                let tile = self.tileset.tile(c).map_err(|source| ExportError::Tile {
                    z: c.z,
                    x: c.x,
                    y: c.y,
                    source,
                })?;
                if let Some(pb) = &self.options.progress {
                    pb.inc(1);
                }
                match tile {
                    Some(bytes) if !bytes.is_empty() => Ok(Some((c, gzip(&bytes)?))),
                    _ => Ok(None),
                }
            })
            .collect::<Result<_, ExportError>>()?;
        Ok(cut.into_iter().flatten().collect())
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

/// Deterministic gzip (no name, no timestamp).
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, ExportError> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        Compression::default(),
    );
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
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
