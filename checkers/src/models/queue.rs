//! `queue` and `unordered-queue`: message queues (Kafka, RabbitMQ) whose
//! messages must each be delivered exactly once; `queue` also in order.

use crate::check::{check_with, client_ops_for};
use crate::history::{Completion, History, Op};
use crate::model::{is_info, AnyModel, CheckError, Model, ModelError};
use crate::models::set::list;
use crate::value::Value;
use crate::verdict::{CheckOptions, CheckReport, Counterexample, OpSummary, Verdict};
use std::collections::{BTreeMap, BTreeSet};

/// What the accounting of a queue history found (Jepsen's total-queue).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueAnalysis {
    /// Messages enqueued `ok` and never dequeued.
    pub lost: BTreeSet<Value>,
    /// Messages dequeued more often than they were enqueued.
    pub duplicated: BTreeSet<Value>,
    /// Messages dequeued that no enqueue attempted.
    pub unexpected: BTreeSet<Value>,
    /// Messages of timed-out (`info`) enqueues that were dequeued.
    pub recovered: BTreeSet<Value>,
    /// The first dequeue or drain involved in a violation (index into the ops).
    pub blame: Option<usize>,
}

impl QueueAnalysis {
    /// Counts every message in and out. `:enqueue v`; `:dequeue` returning
    /// the message (nil: the queue was empty); `:drain` returning every
    /// message left (a vector).
    pub fn of(ops: &[Op]) -> Result<Self, ModelError> {
        let mut attempted: BTreeMap<&Value, (usize, usize)> = BTreeMap::new(); // (ok, info)
        let mut dequeued: BTreeMap<&Value, (usize, usize)> = BTreeMap::new(); // (count, first op)
        for op in ops {
            match op.f.as_str() {
                "enqueue" => match op.completion {
                    Completion::Fail => {}
                    Completion::Ok => attempted.entry(&op.invoke_value).or_default().0 += 1,
                    Completion::Info => attempted.entry(&op.invoke_value).or_default().1 += 1,
                },
                "dequeue" | "drain" if op.completion == Completion::Ok => {
                    for m in messages(op)? {
                        let e = dequeued.entry(m).or_insert((0, op.id));
                        e.0 += 1;
                    }
                }
                "dequeue" | "drain" => {}
                f => {
                    return Err(ModelError::for_op(
                        op,
                        format!("a queue has no operation `:{f}`; its operations are :enqueue, :dequeue and :drain"),
                    ))
                }
            }
        }
        let mut a = QueueAnalysis::default();
        let blame = |at: usize, a: &mut QueueAnalysis| {
            a.blame = Some(a.blame.map_or(at, |b: usize| b.min(at)));
        };
        for (&m, &(count, first)) in &dequeued {
            match attempted.get(m) {
                None => {
                    a.unexpected.insert(m.clone());
                    blame(first, &mut a);
                }
                Some(&(ok, info)) => {
                    if count > ok + info {
                        a.duplicated.insert(m.clone());
                        blame(first, &mut a);
                    } else if count > ok {
                        a.recovered.insert(m.clone());
                    }
                }
            }
        }
        for (&m, &(ok, _)) in &attempted {
            let count = dequeued.get(m).map_or(0, |d| d.0);
            if count < ok {
                a.lost.insert(m.clone());
            }
        }
        Ok(a)
    }

    /// True when nothing was lost, duplicated or unexpected.
    pub fn is_valid(&self) -> bool {
        self.lost.is_empty() && self.duplicated.is_empty() && self.unexpected.is_empty()
    }

    fn explanation(&self) -> String {
        let mut parts = Vec::new();
        for (what, set, why) in [
            ("lost", &self.lost, "enqueued ok, never dequeued"),
            (
                "duplicated",
                &self.duplicated,
                "dequeued more often than enqueued",
            ),
            ("unexpected", &self.unexpected, "dequeued, never enqueued"),
            (
                "recovered",
                &self.recovered,
                "timed-out enqueues that were delivered",
            ),
        ] {
            if !set.is_empty() {
                parts.push(format!("{} {what} ({why}): {}", set.len(), list(set)));
            }
        }
        parts.join("; ")
    }
}

/// The messages an `ok` dequeue or drain returned.
fn messages(op: &Op) -> Result<Vec<&Value>, ModelError> {
    match (op.f.as_str(), &op.value) {
        ("dequeue", Value::Nil) => Ok(Vec::new()),
        ("dequeue", v) => Ok(vec![v]),
        (_, Value::Vector(items) | Value::List(items)) => Ok(items.iter().collect()),
        (_, Value::Nil) => Ok(Vec::new()),
        (_, v) => Err(ModelError::for_op(
            op,
            format!("a drain returns a vector of messages, not {v}"),
        )),
    }
}

fn accounting_verdict(ops: &[Op], a: &QueueAnalysis) -> Verdict {
    let op = a.blame.map(|i| OpSummary::from(&ops[i]));
    Verdict::invalid(
        ops.len(),
        Counterexample {
            key: None,
            op,
            prefix: Vec::new(),
            states: Vec::new(),
            explanation: format!(
                "Messages were not delivered exactly once: {}.",
                a.explanation()
            ),
        },
    )
}

/// `unordered-queue`: every message enqueued `ok` is dequeued exactly
/// once, in any order; nothing is dequeued that was not enqueued. Timed-out
/// enqueues may be delivered (recovered) or not. Histories should end with
/// a `:drain` (otherwise undelivered messages count as lost).
#[derive(Debug, Clone, Default)]
pub struct UnorderedQueue;

impl AnyModel for UnorderedQueue {
    fn model_name(&self) -> &str {
        "unordered-queue"
    }

    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        let (ops, mut report) = client_ops_for(history, options)?;
        let a = QueueAnalysis::of(&ops)?;
        if !a.is_valid() {
            report.verdict = accounting_verdict(&ops, &a);
        }
        Ok(report)
    }
}

/// `queue`: a FIFO queue. First the accounting of [`UnorderedQueue`]
/// (lost, duplicated, unexpected messages); then a linearizability search
/// against [`FifoQueue`] for the order.
#[derive(Debug, Clone, Default)]
pub struct Queue;

impl AnyModel for Queue {
    fn model_name(&self) -> &str {
        "queue"
    }

    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        let (ops, mut report) = client_ops_for(history, options)?;
        let a = QueueAnalysis::of(&ops)?;
        if !a.is_valid() {
            report.verdict = accounting_verdict(&ops, &a);
            return Ok(report);
        }
        check_with(history, &FifoQueue, options)
    }
}

/// An operation on a FIFO queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOp {
    /// Add this message at the back.
    Enqueue(Value),
    /// Take the front message, which was this (nil: the queue was empty).
    Dequeue(Value),
    /// A dequeue that timed out: it took the front message, if any, or nothing.
    DequeueUnknown,
    /// Take every message, which were these, front first.
    Drain(Vec<Value>),
    /// A drain that timed out: it emptied the queue.
    DrainUnknown,
}

/// The FIFO queue as a sequential model: the state is the messages, front
/// first. Used by [`Queue`]; usable on its own.
#[derive(Debug, Clone, Default)]
pub struct FifoQueue;

impl Model for FifoQueue {
    type State = Vec<Value>;
    type Op = QueueOp;

    fn name(&self) -> &str {
        "queue"
    }

    fn init(&self) -> Vec<Value> {
        Vec::new()
    }

    fn prepare(&self, op: &Op) -> Result<Option<QueueOp>, ModelError> {
        Ok(Some(match op.f.as_str() {
            "enqueue" => QueueOp::Enqueue(op.invoke_value.clone()),
            "dequeue" if is_info(op) => QueueOp::DequeueUnknown,
            "dequeue" => QueueOp::Dequeue(op.value.clone()),
            "drain" if is_info(op) => QueueOp::DrainUnknown,
            "drain" => QueueOp::Drain(messages(op)?.into_iter().cloned().collect()),
            f => {
                return Err(ModelError::for_op(
                    op,
                    format!("a queue has no operation `:{f}`; its operations are :enqueue, :dequeue and :drain"),
                ))
            }
        }))
    }

    fn step(&self, state: &Vec<Value>, op: &QueueOp) -> Option<Vec<Value>> {
        match op {
            QueueOp::Enqueue(v) => {
                let mut next = state.clone();
                next.push(v.clone());
                Some(next)
            }
            QueueOp::Dequeue(Value::Nil) => state.is_empty().then(Vec::new),
            QueueOp::Dequeue(v) => (state.first() == Some(v)).then(|| state[1..].to_vec()),
            QueueOp::DequeueUnknown => {
                Some(state.get(1..).map_or_else(Vec::new, <[Value]>::to_vec))
            }
            QueueOp::Drain(items) => (state == items).then(Vec::new),
            QueueOp::DrainUnknown => Some(Vec::new()),
        }
    }

    fn describe_state(&self, state: &Vec<Value>) -> String {
        Value::Vector(state.clone()).to_string()
    }

    fn state_heap_bytes(&self, state: &Vec<Value>) -> usize {
        crate::value::alloc_bytes_n(state.capacity() * std::mem::size_of::<Value>())
            + state.iter().map(Value::heap_bytes).sum::<usize>()
    }
}
