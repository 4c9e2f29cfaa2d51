//! The timeline's data: every op in a compact, columnar form that the page's
//! script draws on a canvas.
//!
//! A 100,000-op history must give a report of a few megabytes that opens in
//! seconds, so ops are not DOM nodes: each is a handful of integers, and
//! repeated strings (`:f` names, values) are interned in one table.

use super::axis::Axis;
use super::faults::Faults;
use serde::Serialize;
use shakedown_checkers::{Completion, Counterexample, Op, Process, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Longest value text kept for hover; longer ones are cut with a note.
pub const VALUE_CHARS_MAX: usize = 400;

/// Completion codes in [`TimelineData::kind`].
pub const KIND_OK: u8 = 0;
/// See [`KIND_OK`].
pub const KIND_FAIL: u8 = 1;
/// See [`KIND_OK`].
pub const KIND_INFO: u8 = 2;

/// The timeline as the page's script reads it (JSON, columnar).
#[derive(Debug, Serialize)]
pub struct TimelineData {
    /// `ns` or `events`.
    pub axis: &'static str,
    /// End of the axis.
    pub end: i64,
    /// Lane labels: a process, or the first of the processes sharing the
    /// lane and how many more (`12 +3`).
    pub lanes: Vec<String>,
    /// Interned strings: `:f` names, keys and values.
    pub strs: Vec<String>,
    /// Per op: lane index.
    pub lane: Vec<u32>,
    /// Per op: the process, index into `strs`; empty when every lane holds
    /// one process (its label is the process).
    pub proc: Vec<u32>,
    /// Per op: invocation position on the axis, as the difference from the
    /// previous op's (the first from 0): ops come in invocation order, so
    /// these are small numbers. The page adds them up.
    pub start: Vec<i64>,
    /// Per op: completion minus invocation, or -1 if it never completed.
    pub dur: Vec<i64>,
    /// Per op: [`KIND_OK`], [`KIND_FAIL`] or [`KIND_INFO`].
    pub kind: Vec<u8>,
    /// Per op: `:f`, index into `strs`.
    pub f: Vec<u32>,
    /// Per op: `:key`, index into `strs`, or -1.
    pub key: Vec<i64>,
    /// Per op: invoked value, index into `strs`.
    pub inv: Vec<u32>,
    /// Per op: completed value, index into `strs`.
    pub val: Vec<u32>,
    /// Fault windows: `[name, detail, start, end, open_ended]`.
    pub faults: Vec<(String, String, i64, i64, bool)>,
    /// Instant nemesis events: `[name, detail, at]`.
    pub marks: Vec<(String, String, i64)>,
    /// The op that cannot be linearized (its index in the op arrays), if any.
    pub cx_op: Option<usize>,
    /// Ops of the longest linearizable prefix (indices in the op arrays).
    pub cx_prefix: Vec<usize>,
}

#[derive(Default)]
struct Interner {
    strs: Vec<String>,
    index: BTreeMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: String) -> u32 {
        if let Some(&i) = self.index.get(&s) {
            return i;
        }
        let i = self.strs.len() as u32;
        self.index.insert(s.clone(), i);
        self.strs.push(s);
        i
    }

    fn value(&mut self, v: &Value) -> u32 {
        self.intern(clip(v.to_string()))
    }
}

/// Gives each process a lane. Jepsen retires a process after an `info` op
/// and continues with a fresh id, so a long run with many timeouts has
/// thousands of processes but only as many at once as it has clients. A
/// process whose ops all lie after another's last op shares its lane; when
/// no lane is shared, lanes are in process order. Returns each process's
/// lane and the lane labels.
fn assign_lanes(ops: &[Op], axis: &Axis) -> (BTreeMap<Process, u32>, Vec<String>) {
    // Each process's span: first invocation to last completion (the axis end
    // if an op never completed). Ops come in invocation order.
    let mut spans: Vec<(Process, i64, i64)> = Vec::new();
    let mut index: BTreeMap<&Process, usize> = BTreeMap::new();
    for op in ops {
        let start = axis.pos.get(op.invoke_index).copied().unwrap_or(0);
        let end = op
            .complete_index
            .map_or(axis.end, |c| axis.pos.get(c).copied().unwrap_or(start));
        match index.get(&op.process) {
            Some(&i) => spans[i].2 = spans[i].2.max(end),
            None => {
                index.insert(&op.process, spans.len());
                spans.push((op.process.clone(), start, end));
            }
        }
    }
    // Interval partitioning: reuse the lane that frees up first, if it is
    // free before this process starts.
    let mut free_at: BTreeSet<(i64, u32)> = BTreeSet::new();
    let mut members: Vec<Vec<&Process>> = Vec::new();
    let mut lane_of: BTreeMap<Process, u32> = BTreeMap::new();
    for (process, start, end) in &spans {
        let lane = match free_at.first().copied() {
            Some((free, lane)) if free < *start => {
                free_at.remove(&(free, lane));
                lane
            }
            _ => {
                members.push(Vec::new());
                (members.len() - 1) as u32
            }
        };
        free_at.insert((*end, lane));
        members[lane as usize].push(process);
        lane_of.insert(process.clone(), lane);
    }
    if members.iter().all(|m| m.len() == 1) {
        // One process per lane: order lanes by process.
        let ordered: BTreeMap<Process, u32> = lane_of
            .keys()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as u32))
            .collect();
        let labels = ordered.keys().map(ToString::to_string).collect();
        return (ordered, labels);
    }
    let labels = members
        .iter()
        .map(|m| match m.len() {
            1 => m[0].to_string(),
            n => format!("{} +{}", m[0], n - 1),
        })
        .collect();
    (lane_of, labels)
}

/// Bytes of interned text a report may carry. Past it, long values are cut
/// shorter, so a history of long distinct values (growing lists in an
/// append workload) still gives a report of a few megabytes.
pub const STRS_BYTES_MAX: usize = 3_000_000;

/// Cuts the longest strings until all together fit in `budget` bytes: finds
/// the largest per-string length (at least 24 characters) that fits.
fn fit_to_budget(strs: &mut [String], budget: usize) {
    let total: usize = strs.iter().map(String::len).sum();
    if total <= budget {
        return;
    }
    let size_at = |limit: usize| -> usize {
        strs.iter()
            .map(|s| {
                s.char_indices()
                    .nth(limit)
                    .map_or(s.len(), |(at, _)| at + '…'.len_utf8())
            })
            .sum()
    };
    let (mut lo, mut hi) = (24usize, VALUE_CHARS_MAX);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if size_at(mid) <= budget {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    for s in strs.iter_mut() {
        if s.chars().count() > lo {
            let cut: String = s.chars().take(lo).collect();
            *s = format!("{cut}…");
        }
    }
}

/// Cuts a long text to [`VALUE_CHARS_MAX`] characters with a note.
pub fn clip(text: String) -> String {
    if text.chars().count() <= VALUE_CHARS_MAX {
        return text;
    }
    let total = text.chars().count();
    let mut cut: String = text.chars().take(VALUE_CHARS_MAX).collect();
    cut.push_str(&format!("… ({total} characters in all)"));
    cut
}

impl TimelineData {
    /// Builds the timeline of `ops` (from [`shakedown_checkers::History::client_ops`]).
    pub fn new(
        ops: &[Op],
        axis: &Axis,
        faults: &Faults,
        counterexample: Option<&Counterexample>,
    ) -> Self {
        let (lanes_by_process, lane_labels) = assign_lanes(ops, axis);
        let mut strs = Interner::default();
        let n = ops.len();
        let mut data = TimelineData {
            axis: axis.kind.name(),
            end: axis.end,
            lanes: lane_labels,
            strs: Vec::new(),
            lane: Vec::with_capacity(n),
            proc: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            dur: Vec::with_capacity(n),
            kind: Vec::with_capacity(n),
            f: Vec::with_capacity(n),
            key: Vec::with_capacity(n),
            inv: Vec::with_capacity(n),
            val: Vec::with_capacity(n),
            faults: faults
                .windows
                .iter()
                .map(|w| {
                    (
                        w.name.clone(),
                        clip(w.detail.clone()),
                        w.start,
                        w.end,
                        w.open_ended,
                    )
                })
                .collect(),
            marks: faults
                .marks
                .iter()
                .map(|m| (m.name.clone(), clip(m.detail.clone()), m.at))
                .collect(),
            cx_op: None,
            cx_prefix: Vec::new(),
        };
        let mut previous_start = 0i64;
        for op in ops {
            let start = axis.pos.get(op.invoke_index).copied().unwrap_or(0);
            let dur = match op.complete_index {
                Some(c) => (axis.pos.get(c).copied().unwrap_or(start) - start).max(0),
                None => -1,
            };
            data.lane.push(lanes_by_process[&op.process]);
            data.proc.push(strs.intern(op.process.to_string()));
            data.start.push(start - previous_start);
            previous_start = start;
            data.dur.push(dur);
            data.kind.push(match op.completion {
                Completion::Ok => KIND_OK,
                Completion::Fail => KIND_FAIL,
                Completion::Info => KIND_INFO,
            });
            data.f.push(strs.intern(op.f.clone()));
            data.key
                .push(op.key.as_ref().map_or(-1, |k| i64::from(strs.value(k))));
            data.inv.push(strs.value(&op.invoke_value));
            data.val.push(strs.value(&op.value));
        }
        if let Some(cx) = counterexample {
            // Match by invoke event index: robust to any re-numbering of op ids.
            let by_invoke: BTreeMap<usize, usize> = ops
                .iter()
                .enumerate()
                .map(|(i, op)| (op.invoke_index, i))
                .collect();
            data.cx_op = cx
                .op
                .as_ref()
                .and_then(|o| by_invoke.get(&o.invoke_index).copied());
            data.cx_prefix = cx
                .prefix
                .iter()
                .filter_map(|o| by_invoke.get(&o.invoke_index).copied())
                .collect();
        }
        if data.lanes.len() == lanes_by_process.len() {
            data.proc.clear();
        }
        data.strs = strs.strs;
        fit_to_budget(&mut data.strs, STRS_BYTES_MAX);
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shakedown_checkers::{Event, EventType, History};

    #[test]
    fn long_values_are_cut_to_fit_the_budget() {
        let mut strs: Vec<String> = (0..1000).map(|i| format!("{i:0>300}")).collect();
        strs.push("short".into());
        fit_to_budget(&mut strs, 100_000);
        let total: usize = strs.iter().map(String::len).sum();
        assert!(total < 140_000, "{total}");
        assert_eq!(strs.last().map(String::as_str), Some("short"));
        assert!(strs[0].ends_with('…') && strs[0].chars().count() <= VALUE_CHARS_MAX);
    }

    #[test]
    fn retired_processes_share_a_lane_and_live_ones_do_not() {
        let ev = |p: i64, kind: EventType, t: i64| {
            Event::new(Process::Client(p), kind, "read", Value::Nil).at(t)
        };
        let h = History::new(vec![
            ev(0, EventType::Invoke, 0),
            ev(1, EventType::Invoke, 1),
            ev(0, EventType::Info, 5),
            ev(2, EventType::Invoke, 6), // 2 replaces retired 0
            ev(1, EventType::Ok, 7),
            ev(1, EventType::Invoke, 8),
            ev(2, EventType::Ok, 9),
            ev(1, EventType::Ok, 10),
        ]);
        let ops = h.client_ops().unwrap();
        let axis = Axis::of(&h);
        let (lanes, labels) = assign_lanes(&ops, &axis);
        assert_eq!(lanes[&Process::Client(0)], lanes[&Process::Client(2)]);
        assert_ne!(lanes[&Process::Client(0)], lanes[&Process::Client(1)]);
        assert_eq!(labels, vec!["0 +1".to_owned(), "1".to_owned()]);
    }
}
