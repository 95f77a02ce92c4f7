//! `dxmap export site`: a dataset and methodology in, the map as a
//! directory of static files out ([`dxmap::server::site`]), scored as
//! `dxmap serve` scores it. The inputs are checked and the destination
//! refused (a file, an input, a directory with something in it) before the
//! dataset is read or built.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use dxmap::export::Level;
use dxmap::score::ScoredDataset;
use dxmap::server::Served;
use dxmap::server::site::{check_destination, write_site};
use dxmap::tiles::TileOptions;

use super::common::progress_bar;
use super::export::Args;

/// Sensitivity draws when none are given: as many as `dxmap serve` makes,
/// so the panel's ranges are the live server's.
const SERVE_DRAWS: u32 = 1000;

/// Runs `dxmap export site`.
pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    if args.level != Level::Lsoa {
        anyhow::bail!("--level applies to geojson and csv; a site always carries every layer");
    }
    let (source, methodology) = args.open(&[])?;
    check_destination(&args.out)?;

    let dataset = Arc::new(source.load(quiet)?);
    let opts = args
        .select
        .options(args.sensitivity_draws.unwrap_or(SERVE_DRAWS));
    let scored = ScoredDataset::new(dataset, Arc::new(methodology), &opts).context("scoring")?;
    let scored = args.select.apply(scored)?;
    let tile_options = TileOptions {
        max_zoom: args.max_zoom,
        ..TileOptions::default()
    };
    let served = Served::build(scored, tile_options, 0)?;
    let stats = write_site(served, &args.out, progress_bar(quiet))?;
    if !quiet {
        eprintln!(
            "wrote {}: {} files ({} tiles), {} bytes, z0-{} in {:.2?}",
            args.out.display(),
            stats.files,
            stats.tiles,
            stats.bytes,
            args.max_zoom,
            started.elapsed()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::export::Format;
    use super::super::parse;
    use super::*;

    #[test]
    fn flags_parse_and_draws_default_to_serves() {
        let t = parse::<Args>(&["x", "site", "--out", "dir", "--max-zoom", "12"]).unwrap();
        assert_eq!(t.format, Format::Site);
        assert_eq!(t.max_zoom, 12);
        assert_eq!(t.sensitivity_draws, None);
        let t = parse::<Args>(&["x", "site", "-o", "d", "--sensitivity-draws", "0"]).unwrap();
        assert_eq!(t.sensitivity_draws, Some(0));
        assert!(parse::<Args>(&["x", "site"]).is_err(), "--out is required");
        let e = run(
            parse::<Args>(&["x", "site", "-o", "d", "--level", "ward"]).unwrap(),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--level applies to geojson and csv"), "{e}");
    }
}
