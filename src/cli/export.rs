//! `dxmap export` (stub: being written).

/// Arguments of `dxmap export`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `dxmap export`.
pub fn run(_args: Args, _quiet: bool) -> anyhow::Result<()> {
    anyhow::bail!("'dxmap export' is not implemented yet")
}
