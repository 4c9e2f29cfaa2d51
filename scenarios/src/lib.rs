//! Shakedown, the user-facing crate: scenario files, the seed-sweep runner,
//! replay, shrinking, reports and the `shakedown` command.

pub mod artifacts;
pub mod cli;
pub mod report;
