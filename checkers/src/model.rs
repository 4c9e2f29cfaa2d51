//! Sequential models: what a correct single copy of a system would do.
//!
//! A [`Model`] says which operations a state allows and what state follows.
//! The checker searches for an order of a history's operations, consistent
//! with real time, that the model accepts. Implement the trait for your own
//! system, or pick a built-in model by name with [`model_by_name`].
//!
//! # A model of your own
//!
//! A counter that clients increment (`:f :add`, `:value 2`) and read:
//!
//! ```
//! use shakedown_checkers::model::{Model, ModelError};
//! use shakedown_checkers::{check, edn, Budget, Completion, Op, Outcome, Value};
//!
//! struct Counter;
//!
//! #[derive(Debug, Clone)]
//! enum CounterOp {
//!     Add(i64),
//!     Read(i64),
//! }
//!
//! impl Model for Counter {
//!     type State = i64;
//!     type Op = CounterOp;
//!
//!     fn name(&self) -> &str {
//!         "counter"
//!     }
//!
//!     fn init(&self) -> i64 {
//!         0
//!     }
//!
//!     fn prepare(&self, op: &Op) -> Result<Option<CounterOp>, ModelError> {
//!         match (op.f.as_str(), &op.value) {
//!             ("add", Value::Int(n)) => Ok(Some(CounterOp::Add(*n))),
//!             // A read that timed out tells us nothing: leave it out.
//!             ("read", _) if op.completion == Completion::Info => Ok(None),
//!             ("read", Value::Int(n)) => Ok(Some(CounterOp::Read(*n))),
//!             _ => Err(ModelError::for_op(op, "counter ops are `:add n` and `:read`")),
//!         }
//!     }
//!
//!     fn step(&self, state: &i64, op: &CounterOp) -> Option<i64> {
//!         match op {
//!             CounterOp::Add(n) => Some(state + n),
//!             CounterOp::Read(n) => (n == state).then_some(*state),
//!         }
//!     }
//! }
//!
//! let history = edn::parse_history(
//!     "{:process 0, :type :invoke, :f :add, :value 2}
//!      {:process 1, :type :invoke, :f :read, :value nil}
//!      {:process 1, :type :ok, :f :read, :value 2}
//!      {:process 0, :type :ok, :f :add, :value 2}
//!      {:process 1, :type :invoke, :f :read, :value nil}
//!      {:process 1, :type :ok, :f :read, :value 1}",
//! )
//! .unwrap();
//! let verdict = check(&history, &Counter, Budget::default());
//! assert_eq!(verdict.outcome, Outcome::Invalid);
//! let why = verdict.counterexample.unwrap();
//! assert_eq!(why.op.unwrap().value, "1");
//! ```

use crate::history::{Completion, History, Op};
use crate::value::Value;
use crate::verdict::{Budget, CheckOptions, CheckReport, Verdict};
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification that histories are checked against.
///
/// The search calls [`Model::prepare`] once per operation, then
/// [`Model::step`] many times, so `step` should be cheap and states small.
pub trait Model: Send + Sync {
    /// The model's state. States are compared and hashed to memoise the search.
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    /// An operation as the model needs it, prepared once from an [`Op`].
    type Op: Clone + Debug + Send + Sync;

    /// The model's name, as `--model` takes it.
    fn name(&self) -> &str;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state before any operation of the part with this partition key
    /// (see [`Model::partition`]). Defaults to [`Model::init`].
    fn init_part(&self, _key: Option<&Value>) -> Self::State {
        self.init()
    }

    /// Prepares one operation of the history, or rejects it with a reason.
    ///
    /// `fail` ops are dropped before this is called. For an `info` op
    /// ([`Completion::Info`]) the result is unknown and `op.value` is what
    /// was invoked: accept any result. Return `Ok(None)` for an operation
    /// that cannot affect the verdict in any order (such as a read that
    /// timed out); the search then leaves it out.
    fn prepare(&self, op: &Op) -> Result<Option<Self::Op>, ModelError>;

    /// Applies `op` to `state`: the next state, or `None` if a correct
    /// system could not have done this in this state.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;

    /// P-compositionality: operations with different partition keys are
    /// independent (as the keys of a key-value store are), so each part is
    /// checked on its own. `None` (the default) puts every op in one part.
    fn partition(&self, _op: &Op) -> Option<Value> {
        None
    }

    /// The state as a person reads it. Defaults to its `Debug` form.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }

    /// Why `op` cannot happen in `state`, in a few words.
    fn explain_step(&self, state: &Self::State, _op: &Self::Op) -> String {
        format!("it is not possible in state {}", self.describe_state(state))
    }

    /// For the exact fast path on histories whose writes are unique: this op
    /// as a plain register access, if it is one. Models other than
    /// registers keep the default, `None`.
    fn register_access(&self, _op: &Self::Op) -> Option<RegisterAccess> {
        None
    }

    /// For the fast path: the register's value in this state. Models that
    /// implement [`Model::register_access`] implement this too.
    fn register_value(&self, _state: &Self::State) -> Option<Value> {
        None
    }

    /// For the pre-check, which finds reads of values that no operation
    /// could have produced: what this op reads or writes. The default,
    /// [`ValueFlow::Opaque`], turns the pre-check off for the part.
    fn value_flow<'a>(&self, _op: &'a Self::Op) -> ValueFlow<'a> {
        ValueFlow::Opaque
    }

    /// Heap bytes this state owns beyond `size_of::<State>()`, allocator
    /// overhead included, so that the memory limit counts real bytes. The
    /// default, 0, suits states without heap parts.
    fn state_heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }

    /// True to check sequential consistency instead of linearizability:
    /// real-time order is dropped and only each process's own order is
    /// kept (what ZooKeeper promises). Such a model is checked as one part
    /// (sequential consistency does not compose per key).
    fn sequential(&self) -> bool {
        false
    }
}

/// What an operation does with values, for the pre-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFlow<'a> {
    /// It read this value: some write (or the initial state) must hold it.
    Reads(&'a Value),
    /// It may write this value.
    Writes(&'a Value),
    /// Neither reads a value nor writes one.
    Neither,
    /// It may produce values that cannot be listed (an append): the
    /// pre-check does not apply to a part with such an op.
    Opaque,
}

/// A plain register access, for the unique-writes fast path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterAccess {
    /// A read that returned this value.
    Read(Value),
    /// A write of this value.
    Write(Value),
}

/// An operation the model cannot interpret, or a bad model setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", event.map(|i| format!("event {i}: ")).unwrap_or_default())]
pub struct ModelError {
    /// Index in [`History::events`] of the offending op's invocation, if an op is at fault.
    pub event: Option<usize>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl ModelError {
    /// An error about one operation.
    pub fn for_op(op: &Op, message: impl Into<String>) -> Self {
        ModelError {
            event: Some(op.invoke_index),
            message: message.into(),
        }
    }

    /// An error about the model's settings, such as its initial state.
    pub fn setting(message: impl Into<String>) -> Self {
        ModelError {
            event: None,
            message: message.into(),
        }
    }
}

/// A history that cannot be checked: it does not pair up, or the model
/// cannot interpret one of its operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Invocations and completions do not pair up.
    #[error("malformed history: {0}")]
    Pairing(#[from] crate::history::PairingError),
    /// The model rejected an operation.
    #[error("{0}")]
    Model(#[from] ModelError),
    /// The history has no client operation, so there is nothing to check
    /// (set [`crate::CheckOptions::allow_no_client_ops`] to call that valid).
    #[error("the history has no client operation to check ({events} events{}); a history with no client op is not evidence of anything", skipped_words(*.skipped_events, skipped_processes))]
    NoClientOps {
        /// Events in the history.
        events: usize,
        /// Events of skipped (non-client) processes.
        skipped_events: usize,
        /// Those processes.
        skipped_processes: Vec<String>,
    },
}

fn skipped_words(events: usize, processes: &[String]) -> String {
    if events == 0 {
        String::new()
    } else {
        format!(
            ", {events} of them from processes that are not clients: {}",
            processes.join(", ")
        )
    }
}

impl CheckError {
    /// Index of the event at fault, if there is one.
    pub fn event(&self) -> Option<usize> {
        match self {
            CheckError::Pairing(crate::history::PairingError::DoubleInvoke { index, .. })
            | CheckError::Pairing(crate::history::PairingError::Unmatched { index, .. }) => {
                Some(*index)
            }
            CheckError::Model(e) => e.event,
            CheckError::NoClientOps { .. } => None,
        }
    }
}

/// A model or checker chosen at run time, by name: what the CLI holds.
pub trait AnyModel: Send + Sync {
    /// The model's name.
    fn model_name(&self) -> &str;
    /// Checks a history; see [`crate::try_check`].
    fn check_history(&self, history: &History, budget: Budget) -> Result<Verdict, CheckError> {
        self.check_with(history, &CheckOptions::with_budget(budget))
            .map(|r| r.verdict)
    }
    /// Checks a history with all the options; see [`crate::check_with`].
    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError>;
}

impl<M: Model> AnyModel for M {
    fn model_name(&self) -> &str {
        self.name()
    }
    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        crate::check::check_with(history, self, options)
    }
}

/// The built-in models: name and one line on what it checks.
pub const MODELS: [(&str, &str); 12] = [
    ("register", "a read/write register (:read, :write)"),
    (
        "cas-register",
        "a register with compare-and-set (:read, :write, :cas [old new])",
    ),
    (
        "kv",
        "a key-value store, one register per :key (:get, :put, :append, :cas), checked key by key",
    ),
    ("mutex", "a lock (:acquire, :release)"),
    (
        "multi-register",
        "registers read and written together in transactions (:txn [[:r :x nil] [:w :y 2]])",
    ),
    (
        "set",
        "Jepsen's set checker: :add x, then a final :read of every element (lost, unexpected, recovered)",
    ),
    (
        "queue",
        "a FIFO queue (:enqueue, :dequeue, :drain): lost, duplicated and unexpected messages, then order",
    ),
    (
        "unordered-queue",
        "a queue without order (:enqueue, :dequeue, :drain): every message delivered exactly once",
    ),
    (
        "counter",
        "a counter (:add n, :read): each read within the bounds the adds allow",
    ),
    (
        "sequential-register",
        "`register`, checked for sequential consistency (each process's order, not real time)",
    ),
    (
        "sequential-cas-register",
        "`cas-register`, checked for sequential consistency",
    ),
    (
        "sequential-kv",
        "`kv`, checked for sequential consistency (the whole store at once: it does not compose by key)",
    ),
];

/// A built-in model by name, starting from `initial` (nil for the default).
pub fn model_by_name(name: &str, initial: Value) -> Result<Box<dyn AnyModel>, ModelError> {
    use crate::models::*;
    Ok(match name {
        "register" => Box::new(Register::new(initial)),
        "cas-register" => Box::new(CasRegister::new(initial)),
        "kv" => Box::new(Kv::new(initial)),
        "mutex" => Box::new(Mutex::new(initial)?),
        "multi-register" => Box::new(MultiRegister::new(initial)?),
        "set" => Box::new(SetChecker),
        "queue" => Box::new(Queue),
        "unordered-queue" => Box::new(UnorderedQueue),
        "counter" => Box::new(CounterChecker::new(initial)?),
        "sequential-register" => Box::new(Sequential::new(Register::new(initial))),
        "sequential-cas-register" => Box::new(Sequential::new(CasRegister::new(initial))),
        "sequential-kv" => Box::new(SequentialKv::new(initial)),
        _ => {
            let names: Vec<&str> = MODELS.iter().map(|(n, _)| *n).collect();
            return Err(ModelError::setting(format!(
                "unknown model `{name}`; the models are {}",
                names.join(", ")
            )));
        }
    })
}

/// True if the op completed `info`: its result is unknown.
pub(crate) fn is_info(op: &Op) -> bool {
    op.completion == Completion::Info
}
