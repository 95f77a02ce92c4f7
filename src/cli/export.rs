//! `dxmap export`: score a dataset and write it as GeoJSON, CSV, MBTiles or
//! PMTiles. An output that is one of the run's inputs (the dataset, the
//! project and its files, the methodology and its persona file), or a FIFO
//! or device, is refused before the dataset is read or built.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::ValueEnum;

use dxmap::export::tiling::TileExportOptions;
use dxmap::export::{self, Level};
use dxmap::score::{self, Methodology, ScoredDataset};
use dxmap::select;
use dxmap::tiles::TileEncoding;

use super::common::{DatasetSource, check_run_files, load_methodology_with_files};
use super::progress::Bar;
use super::score::SelectArgs;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// RFC 7946 GeoJSON with a `metadata` member.
    Geojson,
    /// CSV, same columns as GeoJSON, no geometry.
    Csv,
    /// MBTiles (SQLite) with gzip-compressed vector tiles.
    Mbtiles,
    /// PMTiles v3 with gzip-compressed vector tiles (MVT, or MLT with
    /// `--encoding mlt`).
    Pmtiles,
    /// A directory of static files: the map page, its JSON and uncompressed
    /// tiles, for any static web host (docs/EXPORTS.md).
    Site,
}

/// Arguments of `dxmap export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(value_enum)]
    pub format: Format,
    /// Destination file (replaced atomically); for `site`, a new or empty
    /// directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Dataset artifact written by `dxmap build`, or a project `.toml` to build
    /// on the fly (default: the embedded London dataset).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Methodology file (default: the embedded methodology/dxmap-2025-london.toml).
    #[arg(long)]
    pub methodology: Option<PathBuf>,
    /// Rows per LSOA, or rolled up to wards or boroughs (GeoJSON and CSV).
    #[arg(long, default_value = "lsoa", value_parser = parse_level)]
    pub level: Level,
    /// Highest zoom to pre-generate (MBTiles, PMTiles and site).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u8).range(0..=20))]
    pub max_zoom: u8,
    /// Tile encoding of a PMTiles archive: `mvt` (Mapbox Vector Tiles) or
    /// `mlt` (MapLibre Tiles, columnar; MapLibre GL JS reads them with
    /// `encoding: "mlt"`).
    #[arg(long, default_value = "mvt", value_parser = parse_encoding)]
    pub encoding: TileEncoding,
    /// Weight-sensitivity draws for the uncertainty columns (0 = none;
    /// default 200, and for `site` 1000 as `dxmap serve` draws).
    #[arg(long)]
    pub sensitivity_draws: Option<u32>,
    #[command(flatten)]
    pub select: SelectArgs,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

fn parse_encoding(s: &str) -> Result<TileEncoding, String> {
    s.parse()
}

impl Args {
    /// The run's dataset source and methodology, after checking every file
    /// they name and the `--within` file against `outputs` (no output may
    /// be an input).
    pub(super) fn open(
        &self,
        outputs: &[(&str, &Path)],
    ) -> anyhow::Result<(DatasetSource, Methodology)> {
        let source = DatasetSource::open(self.dataset.as_deref())?;
        let (methodology, files) = load_methodology_with_files(self.methodology.as_deref())?;
        let mut inputs = source.inputs();
        inputs.extend(files);
        inputs.extend(self.select.inputs());
        check_run_files(&inputs, outputs)?;
        Ok((source, methodology))
    }
}

/// Runs `dxmap export`.
pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    if args.encoding != TileEncoding::Mvt && args.format != Format::Pmtiles {
        anyhow::bail!(
            "--encoding {} applies to pmtiles only (MBTiles, the site and GeoJSON/CSV \
             carry no MapLibre Tiles)",
            args.encoding
        );
    }
    if args.format == Format::Site {
        return super::site::run(args, quiet);
    }
    let started = Instant::now();
    let (source, methodology) = args.open(&[("--out", args.out.as_path())])?;
    let dataset = source.load(quiet)?;
    let opts = args.select.options(args.sensitivity_draws.unwrap_or(200));
    let selection = args.select.resolve(&dataset)?;
    let scores = score::score(&dataset, &methodology, &opts).context("scoring")?;
    let scored = ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: Arc::new(methodology.in_force(&opts)),
        scores,
    };
    let out = &args.out;
    match args.format {
        Format::Geojson | Format::Csv => {
            let mut table = export::table(&scored, args.level)?;
            if let Some(sel) = &selection {
                table = select::select_table(table, &scored.dataset, sel)?;
            }
            if args.format == Format::Geojson {
                export::geojson::export_geojson(&table, out)?;
            } else {
                export::csv::export_csv(&table, out)?;
            }
            if !quiet {
                eprintln!(
                    "wrote {} ({} {} rows) in {:.2?}",
                    out.display(),
                    table.len(),
                    args.level,
                    started.elapsed()
                );
            }
        }
        // Written by `super::site` before the dataset is loaded here.
        Format::Site => anyhow::bail!("export site: dispatched twice"),
        Format::Mbtiles | Format::Pmtiles => {
            if args.level != Level::Lsoa {
                anyhow::bail!("--level applies to geojson and csv; tiles always carry every layer");
            }
            let topts = TileExportOptions {
                min_zoom: 0,
                max_zoom: args.max_zoom,
                encoding: args.encoding,
                progress: (!quiet).then(Bar::tiles),
            };
            let scored = match &selection {
                Some(sel) => select::restrict(&scored, sel),
                None => scored,
            };
            let stats = if args.format == Format::Mbtiles {
                export::mbtiles::export_mbtiles(&scored, topts, out)?
            } else {
                export::pmtiles::export_pmtiles(&scored, topts, out)?
            };
            if !quiet {
                eprintln!(
                    "wrote {}: {} tiles ({} distinct), {} bytes, largest {} bytes, z0-{} in {:.2?}",
                    out.display(),
                    stats.tiles,
                    stats.unique,
                    stats.bytes,
                    stats.largest,
                    args.max_zoom,
                    started.elapsed()
                );
            }
        }
    }
    Ok(())
}
