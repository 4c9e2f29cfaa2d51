//! Shakedown, the user-facing crate: scenario files, the seed-sweep runner,
//! replay, shrinking, reports and the `shakedown` command.

pub mod cli;
pub mod report;
