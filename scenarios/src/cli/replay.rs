//! `shakedown replay`.

/// Arguments of `shakedown replay`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown replay` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown replay` is not built yet")
}
