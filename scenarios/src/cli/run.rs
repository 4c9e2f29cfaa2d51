//! `shakedown run`.

/// Arguments of `shakedown run`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `shakedown run` and returns the exit code.
pub fn run(_args: Args) -> u8 {
    super::bad_input("`shakedown run` is not built yet")
}
