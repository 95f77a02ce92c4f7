//! `dxmap serve` (stub: being written).

/// Arguments of `dxmap serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `dxmap serve`.
pub fn run(_args: Args, _quiet: bool) -> anyhow::Result<()> {
    anyhow::bail!("'dxmap serve' is not implemented yet")
}
