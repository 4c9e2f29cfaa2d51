//! `shakedown check`.

/// Arguments of `shakedown check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown check` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown check` is not built yet")
}
