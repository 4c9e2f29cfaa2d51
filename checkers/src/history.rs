//! Histories: the events a test recorded, and the operations they pair into.
//!
//! The vocabulary is Jepsen's. An operation is an `invoke` event followed by
//! one completion from the same process: `ok` (it happened, with this
//! result), `fail` (it certainly did not happen) or `info` (unknown: it may
//! take effect at any time after its invocation, or never). An invocation
//! with no completion counts as `info`.

use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Who performed an event: a client process (an integer) or a named process
/// such as `:nemesis`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    /// A client process. Jepsen retires a process after an `info` and uses a
    /// fresh id for the next op of that client.
    Client(i64),
    /// A named process, written as a keyword: `:nemesis`.
    Named(String),
}

impl Process {
    /// The nemesis process, `:nemesis`.
    pub fn nemesis() -> Self {
        Process::Named("nemesis".to_owned())
    }

    /// True for client processes, the only ones the checkers search over.
    pub fn is_client(&self) -> bool {
        matches!(self, Process::Client(_))
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(p) => write!(f, "{p}"),
            Process::Named(n) => write!(f, ":{n}"),
        }
    }
}

/// The `:type` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// The operation started.
    Invoke,
    /// It happened, with the event's value as its result.
    Ok,
    /// It certainly did not happen.
    Fail,
    /// Indeterminate: it may have happened at any time after its invocation, or never.
    Info,
}

impl EventType {
    /// The keyword name: `invoke`, `ok`, `fail` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }

    /// Parses a keyword name (without `:`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "invoke" => EventType::Invoke,
            "ok" => EventType::Ok,
            "fail" => EventType::Fail,
            "info" => EventType::Info,
            _ => return None,
        })
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One event of a history: one map in Jepsen's `history.edn`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// `:process`.
    pub process: Process,
    /// `:type`.
    pub kind: EventType,
    /// `:f`, the operation's name without `:` (`read`, `write`, `cas`, ...).
    pub f: String,
    /// `:key`, for keyed models (`kv`); `None` when the event has no `:key`.
    pub key: Option<Value>,
    /// `:value`.
    pub value: Value,
    /// `:time`, in nanoseconds (simulated time for Shakedown's own runs).
    pub time_ns: Option<i64>,
    /// `:index`, if the history carried one.
    pub index: Option<i64>,
    /// Every other key of the map, in the order written, kept as it was.
    pub extra: Vec<(Value, Value)>,
}

impl Event {
    /// A new event with no key, time, index or extra fields.
    pub fn new(process: Process, kind: EventType, f: impl Into<String>, value: Value) -> Self {
        Event {
            process,
            kind,
            f: f.into(),
            key: None,
            value,
            time_ns: None,
            index: None,
            extra: Vec::new(),
        }
    }

    /// Sets `:time` in nanoseconds.
    pub fn at(mut self, time_ns: i64) -> Self {
        self.time_ns = Some(time_ns);
        self
    }

    /// Sets `:key`.
    pub fn with_key(mut self, key: Value) -> Self {
        self.key = Some(key);
        self
    }

    /// The value of an extra (unknown) field, looked up by keyword name.
    pub fn extra_field(&self, name: &str) -> Option<&Value> {
        self.extra
            .iter()
            .find(|(k, _)| matches!(k, Value::Keyword(n) if n == name))
            .map(|(_, v)| v)
    }
}

/// A history: events in the order they happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct History {
    /// The events, in real-time order.
    pub events: Vec<Event>,
}

/// How an operation completed, after pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Completion {
    /// Completed `ok`.
    Ok,
    /// Completed `fail`.
    Fail,
    /// Completed `info`, or never completed.
    Info,
}

/// An operation: an invocation paired with its completion.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Op {
    /// Position of this op among all paired ops (in invocation order).
    pub id: usize,
    /// The process that ran it.
    pub process: Process,
    /// `:f`.
    pub f: String,
    /// `:key`, from the invocation (or the completion if only it had one).
    pub key: Option<Value>,
    /// The value the invocation carried (for a write: what was written).
    pub invoke_value: Value,
    /// The value the completion carried (for a read: what was read). For an
    /// `info` or missing completion this is the invocation's value.
    pub value: Value,
    /// How it completed.
    pub completion: Completion,
    /// Index of the invoke event in [`History::events`].
    pub invoke_index: usize,
    /// Index of the completion event, `None` if it never completed.
    pub complete_index: Option<usize>,
    /// Invocation time in ns, if recorded.
    pub invoke_time_ns: Option<i64>,
    /// Completion time in ns, if recorded and completed.
    pub complete_time_ns: Option<i64>,
}

/// A history that does not pair up: what is wrong and at which event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    /// A process invoked a second op before the first completed.
    #[error("event {index}: process {process} invoked `{f}` while its previous op (event {open}) had not completed")]
    DoubleInvoke {
        /// The offending event.
        index: usize,
        /// Its process.
        process: Process,
        /// Its `:f`.
        f: String,
        /// The still-open invocation.
        open: usize,
    },
    /// A completion with no open invocation from that process.
    #[error(
        "event {index}: process {process} completed `{f}` ({kind}) without an open invocation"
    )]
    Unmatched {
        /// The offending event.
        index: usize,
        /// Its process.
        process: Process,
        /// Its `:f`.
        f: String,
        /// Its type.
        kind: EventType,
    },
}

impl History {
    /// A history of these events.
    pub fn new(events: Vec<Event>) -> Self {
        History { events }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Pairs the events of client processes into operations, in invocation
    /// order. Events of named processes (such as `:nemesis`) are skipped: they
    /// stay in the history for reports but are not operations to linearize.
    ///
    /// Jepsen's nemesis logs `info` events without invocations; a named
    /// process never causes a pairing error.
    pub fn client_ops(&self) -> Result<Vec<Op>, PairingError> {
        let mut ops: Vec<Op> = Vec::with_capacity(self.events.len() / 2 + 1);
        // process -> index into `ops` of its open invocation
        let mut open: BTreeMap<&Process, usize> = BTreeMap::new();
        for (index, e) in self.events.iter().enumerate() {
            if !e.process.is_client() {
                continue;
            }
            match e.kind {
                EventType::Invoke => {
                    if let Some(&prev) = open.get(&e.process) {
                        return Err(PairingError::DoubleInvoke {
                            index,
                            process: e.process.clone(),
                            f: e.f.clone(),
                            open: ops[prev].invoke_index,
                        });
                    }
                    open.insert(&e.process, ops.len());
                    ops.push(Op {
                        id: ops.len(),
                        process: e.process.clone(),
                        f: e.f.clone(),
                        key: e.key.clone(),
                        invoke_value: e.value.clone(),
                        value: e.value.clone(),
                        completion: Completion::Info,
                        invoke_index: index,
                        complete_index: None,
                        invoke_time_ns: e.time_ns,
                        complete_time_ns: None,
                    });
                }
                kind => {
                    let Some(at) = open.remove(&e.process) else {
                        return Err(PairingError::Unmatched {
                            index,
                            process: e.process.clone(),
                            f: e.f.clone(),
                            kind,
                        });
                    };
                    let op = &mut ops[at];
                    op.complete_index = Some(index);
                    op.complete_time_ns = e.time_ns;
                    if op.key.is_none() {
                        op.key = e.key.clone();
                    }
                    op.completion = match kind {
                        EventType::Ok => Completion::Ok,
                        EventType::Fail => Completion::Fail,
                        _ => Completion::Info,
                    };
                    // An info completion says nothing certain about the
                    // result; keep what was invoked.
                    if kind != EventType::Info {
                        op.value = e.value.clone();
                    }
                }
            }
        }
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(p: i64, kind: EventType, f: &str, v: Value) -> Event {
        Event::new(Process::Client(p), kind, f, v)
    }

    #[test]
    fn pairs_ops_and_treats_missing_completions_as_info() {
        let h = History::new(vec![
            ev(0, EventType::Invoke, "write", 1.into()),
            Event::new(Process::nemesis(), EventType::Info, "start", Value::Nil),
            ev(1, EventType::Invoke, "read", Value::Nil),
            ev(0, EventType::Ok, "write", 1.into()),
            ev(1, EventType::Ok, "read", 1.into()),
            ev(2, EventType::Invoke, "write", 2.into()),
        ]);
        let ops = h.client_ops().unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].completion, Completion::Ok);
        assert_eq!(ops[0].complete_index, Some(3));
        assert_eq!(ops[1].value, Value::Int(1));
        assert_eq!(ops[1].invoke_value, Value::Nil);
        assert_eq!(ops[2].completion, Completion::Info);
        assert_eq!(ops[2].complete_index, None);
    }

    #[test]
    fn rejects_double_invoke_and_unmatched_completion() {
        let h = History::new(vec![
            ev(0, EventType::Invoke, "write", 1.into()),
            ev(0, EventType::Invoke, "write", 2.into()),
        ]);
        assert!(matches!(
            h.client_ops(),
            Err(PairingError::DoubleInvoke {
                index: 1,
                open: 0,
                ..
            })
        ));
        let h = History::new(vec![ev(3, EventType::Ok, "read", 1.into())]);
        assert!(matches!(
            h.client_ops(),
            Err(PairingError::Unmatched { index: 0, .. })
        ));
    }
}
