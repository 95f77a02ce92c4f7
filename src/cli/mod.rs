//! Command-line parsing and dispatch. Each subcommand lives in its own file
//! with an `Args` struct and a `run` function; this file only routes.

mod build;
mod common;
mod export;
mod progress;
mod score;
mod serve;
mod site;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Map digital-exclusion risk for small areas and serve it as vector tiles.
#[derive(Debug, Parser)]
#[command(name = "dxmap", version, about)]
pub struct Cli {
    /// Print only errors and warnings: no progress bars, build report or summary lines.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Join boundaries and tables named in a project file into a dataset artifact.
    Build(build::Args),
    /// Serve vector tiles, the JSON API and the web map.
    Serve(serve::Args),
    /// Export scores as GeoJSON, CSV, MBTiles or PMTiles, or the map as a static site.
    Export(export::Args),
    /// Score a dataset and write the areas of a selection as CSV or GeoJSON.
    Score(score::Args),
}

/// Parses one subcommand's flags alone, as the tests of each subcommand
/// check them.
#[cfg(test)]
fn parse<A: clap::Args>(argv: &[&str]) -> Result<A, clap::Error> {
    #[derive(Parser)]
    struct Only<A: clap::Args> {
        #[command(flatten)]
        args: A,
    }
    Only::<A>::try_parse_from(argv).map(|o| o.args)
}

/// Parses arguments, runs the subcommand and maps errors to exit code 2.
pub fn main() -> ExitCode {
    dxmap::memory::map_large_blocks();
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let result = match cli.command {
        Command::Build(args) => build::run(args, quiet),
        Command::Serve(args) => serve::run(args, quiet),
        Command::Export(args) => export::run(args, quiet),
        Command::Score(args) => score::run(args, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dxmap: error: {}", common::error_chain(&e));
            ExitCode::from(2)
        }
    }
}
