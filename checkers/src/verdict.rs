//! What a checker concludes about a history, and the budget it may spend.

use crate::history::Op;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Jepsen's three verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The history is linearizable (exit code 0).
    Valid,
    /// It is not: there is a counterexample (exit code 1).
    Invalid,
    /// The checker could not decide within its budget, or the input did not
    /// allow a decision (exit code 2).
    Unknown,
}

impl Outcome {
    /// Jepsen's exit code convention: 0 valid, 1 invalid, 2 unknown.
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Valid => 0,
            Outcome::Invalid => 1,
            Outcome::Unknown => 2,
        }
    }

    /// `valid`, `invalid` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Invalid => "invalid",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Limits on one check. Hitting either gives [`Outcome::Unknown`], never a
/// hang or an abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock limit for the search. `None`: no limit.
    pub time_limit: Option<Duration>,
    /// Approximate cap on the memory the search's caches may hold, in bytes.
    pub memory_limit_bytes: Option<u64>,
}

impl Default for Budget {
    /// 60 s and 4 GiB.
    fn default() -> Self {
        Budget {
            time_limit: Some(Duration::from_secs(60)),
            memory_limit_bytes: Some(4 << 30),
        }
    }
}

/// Everything a check can be told besides the model and the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// Time and memory limits. Both can give a different verdict on a
    /// slower or smaller machine; [`CheckOptions::steps_limit`] cannot.
    pub budget: Budget,
    /// Most search steps to spend, over all parts: a budget that gives the
    /// same verdict on every machine (`unknown` past it). `None`: no limit.
    pub steps_limit: Option<u64>,
    /// Processes that are not clients, besides the nemesis: their events
    /// are skipped (and counted in [`CheckReport::skipped_events`]). Names
    /// as [`crate::Process::matches`] takes them: `3`, `c1`, `:c1`.
    pub non_clients: Vec<String>,
    /// Call a history with no client operation valid rather than an error.
    pub allow_no_client_ops: bool,
    /// When the time limit started: reading the history counts too if the
    /// caller started the clock before reading it. `None`: when the check starts.
    pub started: Option<Instant>,
}

impl CheckOptions {
    /// The default options with this budget.
    pub fn with_budget(budget: Budget) -> Self {
        CheckOptions {
            budget,
            ..CheckOptions::default()
        }
    }
}

impl Default for CheckOptions {
    /// The default budget, no step limit, only the nemesis skipped, and a
    /// history with no client op an error.
    fn default() -> Self {
        CheckOptions {
            budget: Budget::default(),
            steps_limit: None,
            non_clients: Vec::new(),
            allow_no_client_ops: false,
            started: None,
        }
    }
}

/// A verdict and what the check looked at to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Valid, invalid or unknown.
    pub verdict: Verdict,
    /// Client operations checked (the same as [`Verdict::ops`]).
    pub checked_ops: usize,
    /// Events left out because their process is not a client (the nemesis,
    /// or one named in [`CheckOptions::non_clients`]).
    pub skipped_events: usize,
    /// Those processes, as written in EDN, sorted.
    pub skipped_processes: Vec<String>,
    /// Search steps spent over all parts. The same on every machine, unless
    /// the time or memory limit stopped the check.
    pub steps: u64,
}

impl CheckReport {
    /// `2,000 ops checked, 4 events skipped (:nemesis)`.
    pub fn counts(&self) -> String {
        let mut s = format!(
            "{} ops checked, {} events skipped",
            self.checked_ops, self.skipped_events
        );
        if !self.skipped_processes.is_empty() {
            s.push_str(&format!(" ({})", self.skipped_processes.join(", ")));
        }
        s
    }
}

/// Why an operation cannot be linearized, told for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The key of the independent part that failed (for keyed models).
    pub key: Option<String>,
    /// The operation that cannot be linearized after the longest prefix.
    pub op: Option<OpSummary>,
    /// The longest linearizable prefix found, in linearization order.
    pub prefix: Vec<OpSummary>,
    /// Model states reachable after that prefix, rendered as text.
    pub states: Vec<String>,
    /// A sentence or two that explains the violation.
    pub explanation: String,
}

/// An operation as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpSummary {
    /// [`Op::id`] of the operation.
    pub id: usize,
    /// Index of its invoke event in the history.
    pub invoke_index: usize,
    /// Index of its completion event, if it completed.
    pub complete_index: Option<usize>,
    /// The process, as written in EDN.
    pub process: String,
    /// `:f`.
    pub f: String,
    /// `:key`, as EDN, if any.
    pub key: Option<String>,
    /// Invoked value, as EDN.
    pub invoke_value: String,
    /// Completed value, as EDN.
    pub value: String,
    /// `ok`, `fail` or `info`.
    pub completion: String,
}

impl From<&Op> for OpSummary {
    fn from(op: &Op) -> Self {
        OpSummary {
            id: op.id,
            invoke_index: op.invoke_index,
            complete_index: op.complete_index,
            process: op.process.to_string(),
            f: op.f.clone(),
            key: op.key.as_ref().map(ToString::to_string),
            invoke_value: op.invoke_value.to_string(),
            value: op.value.to_string(),
            completion: match op.completion {
                crate::history::Completion::Ok => "ok",
                crate::history::Completion::Fail => "fail",
                crate::history::Completion::Info => "info",
            }
            .to_owned(),
        }
    }
}

/// The result of checking one history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Valid, invalid or unknown.
    pub outcome: Outcome,
    /// Present when `outcome` is invalid.
    pub counterexample: Option<Counterexample>,
    /// Present when `outcome` is unknown: why (budget, malformed history, ...).
    pub reason: Option<String>,
    /// Client operations checked (after pairing, `fail` ops included in the count).
    pub ops: usize,
}

impl Verdict {
    /// A valid verdict for `ops` operations.
    pub fn valid(ops: usize) -> Self {
        Verdict {
            outcome: Outcome::Valid,
            counterexample: None,
            reason: None,
            ops,
        }
    }

    /// An unknown verdict with its reason.
    pub fn unknown(ops: usize, reason: impl Into<String>) -> Self {
        Verdict {
            outcome: Outcome::Unknown,
            counterexample: None,
            reason: Some(reason.into()),
            ops,
        }
    }

    /// An invalid verdict with its counterexample.
    pub fn invalid(ops: usize, counterexample: Counterexample) -> Self {
        Verdict {
            outcome: Outcome::Invalid,
            counterexample: Some(counterexample),
            reason: None,
            ops,
        }
    }
}
