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

/// Who performed an event: an integer (Jepsen's clients), a keyword (`:c1`,
/// `:nemesis`) or a string (`"c1"`, as Maelstrom names its clients).
///
/// Every process is a client except the nemesis (`:nemesis` or `"nemesis"`)
/// and the processes a check is told are not clients
/// ([`crate::CheckOptions::non_clients`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Process {
    /// An integer process. Jepsen retires a process after an `info` and uses
    /// a fresh id for the next op of that client.
    Client(i64),
    /// A process named by a keyword: `:nemesis`, `:c1`.
    Named(String),
    /// A process named by a string: `"c1"`.
    Str(String),
}

impl Process {
    /// The nemesis process, `:nemesis`.
    pub fn nemesis() -> Self {
        Process::Named("nemesis".to_owned())
    }

    /// The name of a keyword or string process, `None` for an integer.
    pub fn name(&self) -> Option<&str> {
        match self {
            Process::Client(_) => None,
            Process::Named(n) | Process::Str(n) => Some(n),
        }
    }

    /// True unless this is the nemesis. Checks also skip the processes they
    /// are told are not clients; see [`Process::matches`].
    pub fn is_client(&self) -> bool {
        self.name() != Some("nemesis")
    }

    /// True if `name` names this process: `3` for the integer 3, and `c1`,
    /// `:c1` or `"c1"` for the keyword `:c1` or the string `"c1"`.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim();
        match self {
            Process::Client(p) => name.parse::<i64>() == Ok(*p),
            Process::Named(n) | Process::Str(n) => {
                let bare = name
                    .strip_prefix(':')
                    .or_else(|| name.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                    .unwrap_or(name);
                bare == n
            }
        }
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Process::Client(p) => write!(f, "{p}"),
            Process::Named(n) => write!(f, ":{n}"),
            Process::Str(n) => write!(f, "{}", Value::Str(n.clone())),
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
    /// order. Events of the nemesis are skipped: they stay in the history for
    /// reports but are not operations to linearize.
    ///
    /// Jepsen's nemesis logs `info` events without invocations; a skipped
    /// process never causes a pairing error.
    pub fn client_ops(&self) -> Result<Vec<Op>, PairingError> {
        self.client_ops_skipping(&[]).map(|(ops, _)| ops)
    }

    /// Like [`History::client_ops`], also skipping the processes that
    /// `non_clients` names (see [`Process::matches`]), and saying what was
    /// skipped.
    pub fn client_ops_skipping(
        &self,
        non_clients: &[String],
    ) -> Result<(Vec<Op>, Skipped), PairingError> {
        let mut ops: Vec<Op> = Vec::with_capacity(self.events.len() / 2 + 1);
        let mut skipped = Skipped::default();
        // process -> index into `ops` of its open invocation
        let mut open: BTreeMap<&Process, usize> = BTreeMap::new();
        for (index, e) in self.events.iter().enumerate() {
            if !e.process.is_client() || non_clients.iter().any(|n| e.process.matches(n)) {
                skipped.events += 1;
                let name = e.process.to_string();
                if let Err(at) = skipped.processes.binary_search(&name) {
                    skipped.processes.insert(at, name);
                }
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
        Ok((ops, skipped))
    }

    /// About how many bytes the history holds in memory (its events and
    /// their heap parts), for memory budgets.
    pub fn approx_bytes(&self) -> u64 {
        let events: u64 = self.events.iter().map(Event::approx_heap_bytes).sum();
        events + (self.events.capacity() * std::mem::size_of::<Event>()) as u64
    }
}

impl Event {
    /// About how many heap bytes the event owns beyond its own size.
    pub fn approx_heap_bytes(&self) -> u64 {
        let process = self.process.name().map_or(0, crate::value::alloc_bytes);
        let extra: usize = self
            .extra
            .iter()
            .map(|(k, v)| k.heap_bytes() + v.heap_bytes())
            .sum::<usize>()
            + crate::value::alloc_bytes_n(
                self.extra.capacity() * std::mem::size_of::<(Value, Value)>(),
            );
        (process
            + crate::value::alloc_bytes(&self.f)
            + self.key.as_ref().map_or(0, Value::heap_bytes)
            + self.value.heap_bytes()
            + extra) as u64
    }
}

impl Op {
    /// About how many bytes the op holds in memory, heap parts included.
    pub fn approx_bytes(&self) -> u64 {
        (std::mem::size_of::<Op>()
            + self.process.name().map_or(0, crate::value::alloc_bytes)
            + crate::value::alloc_bytes(&self.f)
            + self.key.as_ref().map_or(0, Value::heap_bytes)
            + self.invoke_value.heap_bytes()
            + self.value.heap_bytes()) as u64
    }
}

/// What [`History::client_ops_skipping`] left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Events of skipped processes.
    pub events: usize,
    /// Those processes, as written in EDN, sorted.
    pub processes: Vec<String>,
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
