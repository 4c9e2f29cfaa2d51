//! `shakedown shrink`.

/// Arguments of `shakedown shrink`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown shrink` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown shrink` is not built yet")
}
