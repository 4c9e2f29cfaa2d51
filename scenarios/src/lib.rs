//! Shakedown, the user-facing crate: scenario files, the seed-sweep runner,
//! replay, shrinking, reports, test helpers and the command line.
//!
//! - [`scenario`]: the scenario file format ([`scenario::ScenarioFile`]) and
//!   its checks, with `file:line:column` errors.
//! - [`models`]: the registry of cluster models scenario files name; your
//!   own models go in the same [`models::Registry`] as the built-in ones.
//! - [`runner`]: one seed (simulate, check, write a run directory) and seed
//!   sweeps; the verdicts `crashed` and `nondeterministic` beside the
//!   checker's.
//! - [`testing`]: `cargo test` helpers and [`scenario_test!`].
//! - `cli` (feature `cli`, on by default): the whole `shakedown` command
//!   line for any binary, over any registry: `shakedown::cli::main_with`.
//! - [`plan`]: a scenario and a seed to the simulator's configuration.
//! - [`seeds`]: how seeds and seed sets are written.
//!
//! Exit codes follow Jepsen: [`EXIT_VALID`] 0, [`EXIT_INVALID`] 1,
//! [`EXIT_UNKNOWN`] 2, and [`EXIT_BAD_INPUT`] 3.

pub mod artifacts;
pub mod atomic;
#[cfg(feature = "cli")]
pub mod cli;
pub mod models;
pub mod plan;
pub mod regressions;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod seeds;
pub mod shard;
pub mod shrink;
pub mod stdio;
pub mod testing;

/// Exit code: valid / every run as expected.
pub const EXIT_VALID: u8 = 0;
/// Exit code: invalid / a run contradicted its expectation.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: unknown.
pub const EXIT_UNKNOWN: u8 = 2;
/// Exit code: bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 3;
/// Exit code: the user interrupted a sweep (SIGINT); the seeds in flight
/// finished and the summary was written.
pub const EXIT_INTERRUPTED: u8 = 130;
