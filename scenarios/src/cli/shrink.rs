//! `shakedown shrink`: minimise an invalid seed into a small scenario file.

use super::{bad_input, EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID};
use crate::models::Registry;
use crate::scenario::Scenario;
use crate::seeds::parse_seed;
use crate::shrink::{shrink, ShrinkError};
use crate::stdio::{errln, outln};
use std::path::PathBuf;

/// Arguments of `shakedown shrink`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// The invalid seed, in decimal or hex (`0x1f2e`).
    #[arg(long, value_parser = parse_seed)]
    pub seed: u64,
    /// Where to write the minimal scenario.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The engine, overriding the file's: `discrete` or `turmoil`.
    #[arg(long)]
    pub engine: Option<String>,
}

/// Runs `shakedown shrink` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    let engine = match super::run::check_engine(args.engine.as_deref()) {
        Ok(e) => e,
        Err(e) => return bad_input(e),
    };
    let mut scenario = match Scenario::load(&args.scenario, registry) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Err(e) = super::run::override_engine(&mut scenario, engine, registry) {
        return bad_input(e);
    }
    let shrunk = match shrink(&scenario, registry, args.seed) {
        Ok(s) => s,
        Err(e @ ShrinkError::NotInvalid { .. }) => {
            errln!("error: {e}");
            return if e.to_string().contains("unknown") {
                EXIT_UNKNOWN
            } else {
                EXIT_INVALID
            };
        }
        Err(e) => return bad_input(e),
    };
    if let Err(e) = std::fs::write(&args.output, &shrunk.toml) {
        return bad_input(format!("{}: {e}", args.output.display()));
    }
    outln!("before: {}", shrunk.before);
    outln!("after:  {}", shrunk.after);
    outln!("verdict: {}", shrunk.verdict);
    outln!(
        "{} candidate runs; wrote {} (run it: {} run {})",
        shrunk.attempts,
        args.output.display(),
        registry.command(),
        crate::runner::shell_word(&args.output.to_string_lossy())
    );
    EXIT_VALID
}
