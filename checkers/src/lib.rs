//! Jepsen-compatible histories and linearizability checkers.
//!
//! This crate has no simulation dependency: it checks any history, whether
//! Shakedown recorded it or Jepsen, knossos or porcupine did.

pub mod edn;
pub mod format;
pub mod history;
pub mod jsonl;
pub mod value;
pub mod verdict;

pub use format::{read_history_file, write_history_file, HistoryFormat, ParseError, ReadError};
pub use history::{Completion, Event, EventType, History, Op, PairingError, Process};
pub use value::Value;
pub use verdict::{Budget, Counterexample, OpSummary, Outcome, Verdict};
