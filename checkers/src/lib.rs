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
pub mod model;
pub mod models;
mod search;
mod unique;
pub mod value;
pub mod verdict;

pub use check::{check, describe_op, try_check};
pub use format::{
    read_history_file, read_history_file_with_positions, write_history_file, HistoryFormat,
    ParseError, ReadError,
};
pub use history::{Completion, Event, EventType, History, Op, PairingError, Process};
pub use model::{model_by_name, AnyModel, CheckError, Model, ModelError, MODELS};
pub use value::Value;
pub use verdict::{Budget, Counterexample, OpSummary, Outcome, Verdict};
