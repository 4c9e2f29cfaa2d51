//! `shakedown list`.

/// Arguments of `shakedown list`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown list` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown list` is not built yet")
}
