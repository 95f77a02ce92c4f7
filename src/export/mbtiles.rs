//! MBTiles 1.3 export: every vector tile from zoom 0 to the maximum zoom in
//! one SQLite file.
//!
//! In: a [`ScoredDataset`] and [`TileExportOptions`]. Out: an MBTiles file
//! with gzip-compressed MVT tiles, rows flipped to the TMS scheme, identical
//! tiles stored once (the `map` + `images` schema behind a `tiles` view), and
//! the spec's metadata (name, format=pbf, bounds, center, minzoom, maxzoom,
//! attribution, type, `json` with `vector_layers`). The database is built in a
//! temporary file beside the destination and renamed over it at the end.

use std::path::Path;

use rusqlite::{Connection, params};

use super::ExportError;
use super::tiling::{Pyramid, TileExportOptions, TileHashes, TileStats, tile_metadata};
use crate::atomic::write_atomic_path;
use crate::score::ScoredDataset;
use crate::tiles::TileEncoding;

/// Writes the tile pyramid of `scored` to `path` as MBTiles, atomically.
pub fn export_mbtiles(
    scored: &ScoredDataset,
    options: TileExportOptions,
    path: &Path,
) -> Result<TileStats, ExportError> {
    if options.encoding != TileEncoding::Mvt {
        // MBTiles 1.3 names no format for MapLibre Tiles.
        return Err(ExportError::Options(format!(
            "{}: MBTiles holds MVT tiles only; write {} tiles to PMTiles",
            path.display(),
            options.encoding
        )));
    }
    let pyramid = Pyramid::new(scored, options)?;
    let mut stats = TileStats::default();
    write_atomic_path(path, |tmp| -> Result<(), ExportError> {
        // tempfile created an empty file: SQLite treats it as a new database.
        let conn = Connection::open(tmp).map_err(|source| sqlite(path, source))?;
        stats = fill(&conn, scored, &pyramid, path).map_err(|e| match e {
            ExportError::Unplaced(source) => ExportError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        conn.close().map_err(|(_, source)| sqlite(path, source))?;
        Ok(())
    })
    .map_err(|e| e.at(path))?;
    Ok(stats)
}

/// The error for a failed SQLite call on the MBTiles file at `path`: a
/// full disk or failed write says so, anything else is SQLite's own words.
fn sqlite(path: &Path, source: rusqlite::Error) -> ExportError {
    use rusqlite::ErrorCode::{DiskFull, SystemIoFailure};
    match source.sqlite_error_code() {
        Some(code @ (DiskFull | SystemIoFailure)) => ExportError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                if code == DiskFull {
                    std::io::ErrorKind::StorageFull
                } else {
                    std::io::ErrorKind::Other
                },
                format!(
                    "writing the MBTiles file failed ({}): sqlite: {source}",
                    if code == DiskFull {
                        "the disk is full"
                    } else {
                        "the disk is full, the file too large, or the device failed"
                    }
                ),
            ),
        },
        _ => ExportError::Sqlite {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn fill(
    conn: &Connection,
    scored: &ScoredDataset,
    pyramid: &Pyramid,
    path: &Path,
) -> Result<TileStats, ExportError> {
    let q = |e: rusqlite::Error| sqlite(path, e);
    // The file is renamed into place only when complete, so durability
    // during the build buys nothing.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA application_id = 0x4d504258;
         BEGIN;
         CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
         CREATE TABLE map (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                           tile_row INTEGER NOT NULL, tile_id TEXT NOT NULL);
         CREATE TABLE images (tile_id TEXT NOT NULL, tile_data BLOB NOT NULL);
         CREATE VIEW tiles AS
           SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,
                  map.tile_row AS tile_row, images.tile_data AS tile_data
           FROM map JOIN images ON images.tile_id = map.tile_id;",
    )
    .map_err(q)?;

    let mut stats = TileStats::default();
    let mut seen = TileHashes::default();
    {
        let mut put_map = conn
            .prepare("INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)")
            .map_err(q)?;
        let mut put_image = conn
            .prepare("INSERT INTO images (tile_id, tile_data) VALUES (?1, ?2)")
            .map_err(q)?;
        // Each tile goes to SQLite as it is cut; only content hashes stay.
        pyramid.for_each_tile(|c, gz| {
            stats.add(&gz);
            let (id, new) = seen.id(&gz);
            if new {
                put_image.execute(params![id.to_string(), &gz]).map_err(q)?;
            }
            let tms_row = (1u32 << c.z) - 1 - c.y;
            put_map
                .execute(params![c.z, c.x, tms_row, id.to_string()])
                .map_err(q)?;
            Ok(())
        })?;
    }
    stats.unique = seen.len();

    let meta = tile_metadata(scored, pyramid);
    let [w, s, e, n] = pyramid.bounds();
    let (clon, clat, cz) = pyramid.center();
    let text = |k: &str| {
        meta.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let json_member = serde_json::json!({
        "vector_layers": meta["vector_layers"],
    });
    let rows: Vec<(&str, String)> = vec![
        ("name", text("name")),
        ("format", "pbf".into()),
        ("type", "overlay".into()),
        ("version", "1.3".into()),
        ("description", text("description")),
        ("attribution", text("attribution")),
        ("bounds", format!("{w:.6},{s:.6},{e:.6},{n:.6}")),
        ("center", format!("{clon:.6},{clat:.6},{cz}")),
        ("minzoom", pyramid.options.min_zoom.to_string()),
        ("maxzoom", pyramid.options.max_zoom.to_string()),
        ("generator", text("generator")),
        ("json", json_member.to_string()),
    ];
    for (k, v) in rows {
        conn.execute(
            "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
            params![k, v],
        )
        .map_err(q)?;
    }
    conn.execute_batch(
        "CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
         CREATE UNIQUE INDEX images_id ON images (tile_id);
         CREATE UNIQUE INDEX name ON metadata (name);
         COMMIT;",
    )
    .map_err(q)?;
    Ok(stats)
}
