//! Command-line parsing and dispatch. Each subcommand lives in its own file
//! with an `Args` struct and a `run` function; this file only routes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Map digital-exclusion risk for small areas and serve it as vector tiles.
#[derive(Debug, Parser)]
#[command(name = "dxmap", version, about)]
pub struct Cli {
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {}

/// Parses arguments, runs the subcommand and maps errors to exit code 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {};
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dxmap: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
