//! Jepsen-compatible histories and linearizability checkers.
//!
//! This crate has no simulation dependency: it checks any history, whether
//! Shakedown recorded it or Jepsen, knossos or porcupine did.
//!
//! ```
//! use shakedown_checkers::{check, edn, models::CasRegister, Budget, Outcome, Value};
//!
//! let history = edn::parse_history(
//!     "{:process 0, :type :invoke, :f :write, :value 1}
//!      {:process 0, :type :ok, :f :write, :value 1}
//!      {:process 1, :type :invoke, :f :read, :value nil}
//!      {:process 1, :type :ok, :f :read, :value 1}",
//! )
//! .unwrap();
//! let verdict = check(&history, &CasRegister::new(Value::Nil), Budget::default());
//! assert_eq!(verdict.outcome, Outcome::Valid);
//! ```

mod check;
pub mod edn;
pub mod format;
pub mod history;
pub mod jsonl;
pub mod lost;
mod meter;
pub mod model;
pub mod models;
mod precheck;
mod search;
mod sequential;
mod unique;
pub mod value;
pub mod verdict;

pub use check::{check, check_with, describe_op, try_check};
pub use format::{
    read_history_file, read_history_file_limited, read_history_file_with_positions,
    write_history_file, HistoryFormat, ParseError, ReadError, ReadLimits,
};
pub use history::{Completion, Event, EventType, History, Op, PairingError, Process, Skipped};
pub use lost::{lost_writes, LostWrite};
pub use model::{model_by_name, AnyModel, CheckError, Model, ModelError, ValueFlow, MODELS};
pub use value::Value;
pub use verdict::{Budget, CheckOptions, CheckReport, Counterexample, OpSummary, Outcome, Verdict};
