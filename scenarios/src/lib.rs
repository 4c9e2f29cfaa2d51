//! Shakedown, the user-facing crate: scenario files, the seed-sweep runner,
//! replay, shrinking, reports and the `shakedown` command.
//!
//! - [`scenario`]: the scenario file format ([`scenario::ScenarioFile`]) and
//!   its checks, with `file:line:column` errors.
//! - [`models`]: the registry of cluster models scenario files name.
//! - [`plan`]: a scenario and a seed to the simulator's configuration.
//! - [`seeds`]: how seeds and seed sets are written.

pub mod artifacts;
pub mod cli;
pub mod models;
pub mod plan;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod seeds;
pub mod shard;
pub mod shrink;
pub mod testing;
