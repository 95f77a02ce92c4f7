//! The `dxmap` command line: one subcommand per pipeline stage.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
