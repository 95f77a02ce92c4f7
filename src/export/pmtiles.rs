//! PMTiles v3 export through the `pmtiles` crate's writer.
//!
//! In: a [`ScoredDataset`] and [`TileExportOptions`]. Out: one PMTiles
//! archive: gzip-compressed MVT tiles (or MLT tiles, tile type 6, with
//! [`TileEncoding::Mlt`]) streamed to the writer as they are cut,
//! in tile-id (Hilbert) order so the archive is clustered, identical tiles
//! stored once, and JSON metadata with
//! `vector_layers`, attribution and the methodology. Written through a
//! temporary file renamed over the destination at the end.

use std::fs::File;
use std::path::Path;

use pmtiles::{Compression, PmTilesWriter, TileType};

use super::ExportError;
use super::tiling::{Pyramid, TileExportOptions, TileHashes, TileStats, tile_metadata};
use crate::atomic::write_atomic_path;
use crate::score::ScoredDataset;
use crate::tiles::TileEncoding;

/// Writes the tile pyramid of `scored` to `path` as PMTiles v3, atomically.
pub fn export_pmtiles(
    scored: &ScoredDataset,
    options: TileExportOptions,
    path: &Path,
) -> Result<TileStats, ExportError> {
    let pyramid = Pyramid::new(scored, options)?;
    let pm = |source: pmtiles::PmtError| ExportError::Pmtiles {
        path: path.to_path_buf(),
        source,
    };
    let meta = tile_metadata(scored, &pyramid).to_string();
    let [w, s, e, n] = pyramid.bounds();
    let (clon, clat, cz) = pyramid.center();
    let mut stats = TileStats::default();
    let mut seen = TileHashes::default();
    write_atomic_path(path, |tmp| -> Result<(), ExportError> {
        let file = File::create(tmp)?;
        let tile_type = match pyramid.options.encoding {
            TileEncoding::Mvt => TileType::Mvt,
            TileEncoding::Mlt => TileType::Mlt,
        };
        let mut writer = PmTilesWriter::new(tile_type)
            .precompressed(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(pyramid.options.min_zoom)
            .max_zoom(pyramid.options.max_zoom)
            .bounds(w, s, e, n)
            .center(clon, clat)
            .center_zoom(cz)
            .metadata(meta)
            .create(file)
            .map_err(pm)?;
        // Tiles come in tile-id order, so the archive is clustered; each is
        // written as it is cut (the writer de-duplicates by content hash).
        pyramid.for_each_tile(|c, gz| {
            let coord = pmtiles::TileCoord::new(c.z, c.x, c.y).map_err(pm)?;
            writer.add_tile(coord, &gz).map_err(pm)?;
            stats.add(&gz);
            seen.id(&gz);
            Ok(())
        })?;
        writer.finalize().map_err(pm)?;
        Ok(())
    })
    .map_err(|e| e.at(path))?;
    stats.unique = seen.len();
    Ok(stats)
}
