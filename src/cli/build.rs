//! `dxmap build` (stub: being written).

/// Arguments of `dxmap build`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `dxmap build`.
pub fn run(_args: Args, _quiet: bool) -> anyhow::Result<()> {
    anyhow::bail!("'dxmap build' is not implemented yet")
}
