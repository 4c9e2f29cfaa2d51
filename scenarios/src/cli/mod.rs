//! The subcommands of the `shakedown` binary, one module each.
//!
//! Exit codes follow Jepsen: 0 valid (or: every run matched its expected
//! verdict), 1 invalid (a run contradicted it), 2 unknown; and 3 for bad
//! input or usage.

pub mod check;
pub mod list;
pub mod merge;
pub mod replay;
pub mod report;
pub mod run;
pub mod shrink;

/// Exit code: valid / every run as expected.
pub const EXIT_VALID: u8 = 0;
/// Exit code: invalid / a run contradicted its expectation.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: unknown.
pub const EXIT_UNKNOWN: u8 = 2;
/// Exit code: bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 3;

/// Prints an error for the user and returns [`EXIT_BAD_INPUT`].
pub fn bad_input(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}
