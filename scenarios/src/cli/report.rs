//! `shakedown report`.

/// Arguments of `shakedown report`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown report` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown report` is not built yet")
}
