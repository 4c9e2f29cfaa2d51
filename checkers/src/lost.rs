//! Lost writes: acknowledged writes that a later read went back past.
//!
//! A linearizability counterexample names one operation that cannot be
//! placed. For a register or a key-value store a reader usually wants the
//! whole damage instead: which acknowledged writes were lost. This module
//! finds them without a search, from real-time order alone, so it is exact
//! wherever it answers:
//!
//! A write `w` of value `v` completed `ok`. A read `r` that was invoked
//! after `w` completed returned a value `u` whose only write completed
//! before `w` was invoked (or `u` is the initial value). Then the register
//! went back past `w`: in any linearization `r` must see `v` or something
//! newer, so `w` was lost at least for `r`. If a read invoked after `r`
//! completed saw `v` again, the loss was temporary (a stale read) and the
//! write is marked `restored`; otherwise it is lost: no read after `r`
//! returned it. (A later write may have overwritten it anyway; a register's
//! history cannot tell that apart from a loss, so "lost" means "gone past
//! and never seen again", not "proven absent from the final state".)
//!
//! It needs values that say who wrote them: a read of a value written by
//! more than one op, or by an op that was not acknowledged, is passed over.
//!
//! Collections are read whole, so for them the rule is simpler: an `add`
//! (to a set) or `append` (to a list) acknowledged `ok` whose element is
//! missing from a read invoked after the acknowledgement is lost for that
//! read, and `restored` if a read invoked after that one holds it again.
//! Histories of other shapes (queues, counters) give no result.

use crate::history::{Completion, Op};
use crate::value::Value;
use std::collections::BTreeMap;

/// Reads × writes of one key examined at most; past it the analysis gives
/// up (`None`) rather than take long.
const PAIRS_MAX: u64 = 200_000_000;

/// An acknowledged write that a later read went back past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostWrite {
    /// Index of the write in the ops given.
    pub write: usize,
    /// Index of the first read that went back past it.
    pub read: usize,
    /// The write whose value that read returned (index in the ops), or
    /// `None` when it returned the initial value.
    pub read_from: Option<usize>,
    /// A read invoked after that one completed saw this write's value
    /// again: the loss was temporary (a stale read).
    pub restored: bool,
}

/// The lost writes of a register-like history (`read`, `write`, `cas` ops,
/// keyed by `:key` or not), in the order of the writes' invocations.
/// `initial` is the register's value before any write (`nil` when `None`).
///
/// `None` when the history has no reads and writes of that shape, or is
/// too large to examine; `Some(vec![])` when no write was lost.
pub fn lost_writes(ops: &[Op], initial: Option<&Value>) -> Option<Vec<LostWrite>> {
    let nil = Value::Nil;
    let initial = initial.unwrap_or(&nil);
    // Per key: writes (op index, value written) and ok reads.
    let mut keys: BTreeMap<Option<&Value>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    // Collections: acknowledged adds and appends, and reads of the whole.
    let mut collections: BTreeMap<Option<&Value>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        let key = op.key.as_ref();
        match op.f.as_str() {
            "write" | "cas" if op.completion != Completion::Fail => {
                keys.entry(key).or_default().0.push(i)
            }
            "add" | "append" if op.completion == Completion::Ok => {
                collections.entry(key).or_default().0.push(i)
            }
            "read" if op.completion == Completion::Ok => match &op.value {
                Value::Vector(_) | Value::List(_) | Value::Set(_) => {
                    collections.entry(key).or_default().1.push(i)
                }
                _ => keys.entry(key).or_default().1.push(i),
            },
            _ => {}
        }
    }
    let readable = |m: &BTreeMap<Option<&Value>, (Vec<usize>, Vec<usize>)>| {
        m.values().any(|(w, r)| !w.is_empty() && !r.is_empty())
    };
    if !readable(&keys) && !readable(&collections) {
        return None;
    }
    let mut lost = Vec::new();
    for (writes, reads) in keys.values() {
        let pairs = writes.len() as u64 * reads.len() as u64;
        if pairs > PAIRS_MAX {
            return None;
        }
        lost_in_key(ops, writes, reads, initial, &mut lost);
    }
    for (adds, reads) in collections.values() {
        let pairs = adds.len() as u64 * reads.len() as u64;
        if pairs > PAIRS_MAX {
            return None;
        }
        missing_in_key(ops, adds, reads, &mut lost);
    }
    lost.sort_by_key(|l| (ops[l.write].invoke_index, l.write));
    Some(lost)
}

/// The value an op wrote: a write's value, a cas's new value.
fn written(op: &Op) -> Option<&Value> {
    match op.f.as_str() {
        "write" => Some(&op.invoke_value),
        "cas" => match &op.invoke_value {
            Value::Vector(v) | Value::List(v) if v.len() == 2 => Some(&v[1]),
            _ => None,
        },
        _ => None,
    }
}

fn lost_in_key(
    ops: &[Op],
    writes: &[usize],
    reads: &[usize],
    initial: &Value,
    lost: &mut Vec<LostWrite>,
) {
    // Who wrote each value; `None` when several ops did.
    let mut writer: BTreeMap<&Value, Option<usize>> = BTreeMap::new();
    for &w in writes {
        if let Some(v) = written(&ops[w]) {
            writer.entry(v).and_modify(|e| *e = None).or_insert(Some(w));
        }
    }
    // Reads in invocation order.
    let mut reads: Vec<usize> = reads.to_vec();
    reads.sort_by_key(|&r| ops[r].invoke_index);
    // Acknowledged writes with a value of their own, by completion.
    let mut acked: Vec<usize> = writes
        .iter()
        .copied()
        .filter(|&w| {
            ops[w].completion == Completion::Ok
                && written(&ops[w]).is_some_and(|v| writer.get(v) == Some(&Some(w)))
        })
        .collect();
    acked.sort_by_key(|&w| ops[w].complete_index);
    let mut found: BTreeMap<usize, LostWrite> = BTreeMap::new();
    for (pos, &r) in reads.iter().enumerate() {
        let read = &ops[r];
        // When the value read was certainly in place: after its write completed.
        let (from, older_than) = match writer.get(&read.value) {
            Some(Some(w)) => match ops[*w].complete_index {
                Some(c) if ops[*w].completion == Completion::Ok => (Some(*w), c),
                _ => continue,
            },
            Some(None) => continue,
            None if &read.value == initial => (None, 0),
            None => continue,
        };
        for &w in &acked {
            let write = &ops[w];
            let Some(done) = write.complete_index else {
                continue;
            };
            if done >= read.invoke_index {
                break;
            }
            let newer = from.is_none() || write.invoke_index > older_than;
            if !newer || Some(w) == from || found.contains_key(&w) {
                continue;
            }
            let after = read.complete_index.unwrap_or(usize::MAX);
            let first_after = reads.partition_point(|&x| ops[x].invoke_index <= after);
            let restored = reads[first_after.max(pos + 1)..]
                .iter()
                .any(|&x| written(write) == Some(&ops[x].value));
            found.insert(
                w,
                LostWrite {
                    write: w,
                    read: r,
                    read_from: from,
                    restored,
                },
            );
        }
    }
    lost.extend(found.into_values());
}

/// Collections (`add` to a set, `append` to a list): an acknowledged
/// element missing from a read invoked after it was acknowledged is lost
/// for that read; `restored` if a read after that one holds it again.
fn missing_in_key(ops: &[Op], adds: &[usize], reads: &[usize], lost: &mut Vec<LostWrite>) {
    let mut reads: Vec<usize> = reads.to_vec();
    reads.sort_by_key(|&r| ops[r].invoke_index);
    let holds = |r: usize, e: &Value| match &ops[r].value {
        Value::Vector(items) | Value::List(items) | Value::Set(items) => items.contains(e),
        _ => false,
    };
    for &a in adds {
        let add = &ops[a];
        let Some(done) = add.complete_index else {
            continue;
        };
        let first = reads.partition_point(|&r| ops[r].invoke_index <= done);
        let Some(pos) = (first..reads.len()).find(|&p| !holds(reads[p], &add.invoke_value)) else {
            continue;
        };
        let r = reads[pos];
        let after = ops[r].complete_index.unwrap_or(usize::MAX);
        let restored = reads[pos + 1..]
            .iter()
            .any(|&x| ops[x].invoke_index > after && holds(x, &add.invoke_value));
        lost.push(LostWrite {
            write: a,
            read: r,
            read_from: None,
            restored,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Event, EventType, History, Process};

    /// Builds ops from `(process, f, value, invoke_at, complete_at)` in event
    /// positions; `complete_at` None is an op that never completed.
    fn history(spec: &[(i64, &str, Value, Option<Value>)]) -> Vec<Op> {
        // Each entry is one op run alone: invoke then complete.
        let mut events = Vec::new();
        for (p, f, v, out) in spec {
            events.push(Event::new(
                Process::Client(*p),
                EventType::Invoke,
                *f,
                v.clone(),
            ));
            if let Some(out) = out {
                events.push(Event::new(
                    Process::Client(*p),
                    EventType::Ok,
                    *f,
                    out.clone(),
                ));
            }
        }
        History::new(events).client_ops().expect("pairs")
    }

    fn w(v: i64) -> (i64, &'static str, Value, Option<Value>) {
        (0, "write", Value::Int(v), Some(Value::Int(v)))
    }
    fn r(v: i64) -> (i64, &'static str, Value, Option<Value>) {
        (1, "read", Value::Nil, Some(Value::Int(v)))
    }

    #[test]
    fn a_read_going_back_past_acknowledged_writes_names_them() {
        // w1 w2 w3 then a read of 1: 2 and 3 are lost for good.
        let ops = history(&[w(1), w(2), w(3), r(1), r(1)]);
        let lost = lost_writes(&ops, None).expect("register shape");
        let lost_values: Vec<_> = lost
            .iter()
            .map(|l| ops[l.write].invoke_value.clone())
            .collect();
        assert_eq!(lost_values, vec![Value::Int(2), Value::Int(3)]);
        assert!(lost
            .iter()
            .all(|l| !l.restored && l.read == 3 && l.read_from == Some(0)));
    }

    #[test]
    fn a_stale_read_that_is_later_corrected_is_marked_restored() {
        let ops = history(&[w(1), w(2), r(1), r(2)]);
        let lost = lost_writes(&ops, None).expect("register shape");
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].write, 1);
        assert!(lost[0].restored);
    }

    #[test]
    fn reading_the_initial_value_after_a_write_loses_it() {
        let ops = history(&[w(5), r(0)]);
        let lost = lost_writes(&ops, Some(&Value::Int(0))).expect("register shape");
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].read_from, None);
    }

    #[test]
    fn a_linearizable_history_loses_nothing() {
        let ops = history(&[w(1), r(1), w(2), r(2), w(3), r(3)]);
        assert_eq!(lost_writes(&ops, None), Some(vec![]));
    }

    #[test]
    fn concurrent_writes_are_not_lost() {
        // w1 and w2 overlap; a later read of 1 is fine (w2 may come first).
        let events = vec![
            Event::new(
                Process::Client(0),
                EventType::Invoke,
                "write",
                Value::Int(1),
            ),
            Event::new(
                Process::Client(1),
                EventType::Invoke,
                "write",
                Value::Int(2),
            ),
            Event::new(Process::Client(1), EventType::Ok, "write", Value::Int(2)),
            Event::new(Process::Client(0), EventType::Ok, "write", Value::Int(1)),
            Event::new(Process::Client(2), EventType::Invoke, "read", Value::Nil),
            Event::new(Process::Client(2), EventType::Ok, "read", Value::Int(1)),
        ];
        let ops = History::new(events).client_ops().expect("pairs");
        assert_eq!(lost_writes(&ops, None), Some(vec![]));
    }

    #[test]
    fn values_written_twice_are_passed_over_and_other_shapes_give_none() {
        let ops = history(&[w(1), w(2), w(1), r(1)]);
        assert_eq!(lost_writes(&ops, None), Some(vec![]));
        let queue = history(&[(0, "enqueue", Value::Int(1), Some(Value::Int(1)))]);
        assert_eq!(lost_writes(&queue, None), None);
    }

    #[test]
    fn an_acknowledged_add_missing_from_a_later_read_is_lost() {
        let add = |v: i64| (0, "add", Value::Int(v), Some(Value::Int(v)));
        let read = |items: &[i64]| {
            let set = Value::Set(items.iter().map(|&i| Value::Int(i)).collect());
            (1, "read", Value::Nil, Some(set))
        };
        let ops = history(&[
            add(1),
            add(2),
            read(&[1]),
            add(3),
            read(&[1, 3]),
            read(&[1, 2]),
        ]);
        let lost = lost_writes(&ops, None).expect("set shape");
        // 2 is missing from the first read and back in the last: stale.
        // 3 is missing from the last read and never seen again: lost.
        let found: Vec<_> = lost.iter().map(|l| (l.write, l.read, l.restored)).collect();
        assert_eq!(found, vec![(1, 2, true), (3, 5, false)]);
    }

    #[test]
    fn keys_are_independent() {
        let k = |key: i64, (p, f, v, out): (i64, &'static str, Value, Option<Value>)| {
            let mut events =
                vec![Event::new(Process::Client(p), EventType::Invoke, f, v)
                    .with_key(Value::Int(key))];
            if let Some(out) = out {
                events.push(
                    Event::new(Process::Client(p), EventType::Ok, f, out).with_key(Value::Int(key)),
                );
            }
            events
        };
        let mut events = Vec::new();
        events.extend(k(1, w(1)));
        events.extend(k(2, w(2)));
        events.extend(k(1, r(1)));
        events.extend(k(2, r(0)));
        let ops = History::new(events).client_ops().expect("pairs");
        let lost = lost_writes(&ops, Some(&Value::Int(0))).expect("kv shape");
        assert_eq!(lost.len(), 1);
        assert_eq!(ops[lost[0].write].key, Some(Value::Int(2)));
    }
}
