//! The timeline's data: every op in a compact, columnar form that the page's
//! script draws on a canvas.
//!
//! A 100,000-op history must give a report of a few megabytes that opens in
//! seconds, so ops are not DOM nodes: each is a handful of integers, and
//! repeated strings (`:f` names, values) are interned in one table.

use super::axis::Axis;
use super::faults::Faults;
use serde::Serialize;
use shakedown_checkers::{Completion, Counterexample, History, Op, Process, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Longest value text kept for hover; longer ones are cut with a note.
pub const VALUE_CHARS_MAX: usize = 400;

/// Completion codes in [`TimelineData::kind`].
pub const KIND_OK: u8 = 0;
/// See [`KIND_OK`].
pub const KIND_FAIL: u8 = 1;
/// See [`KIND_OK`].
pub const KIND_INFO: u8 = 2;

/// A fault window as the page's script reads it: `[name, detail, start,
/// end, open_ended, nodes, state]`.
pub type FaultSpan = (String, String, i64, i64, bool, Vec<usize>, String);

/// The timeline as the page's script reads it (JSON, columnar).
#[derive(Debug, Serialize)]
pub struct TimelineData {
    /// `ns` or `events`.
    pub axis: &'static str,
    /// End of the axis.
    pub end: i64,
    /// Lane labels: the processes that ran in the lane, in order (`p0`, or
    /// `p0, p6, p12` when a process retired after an `info` op and its
    /// client continued as a new one). Lanes are in order of process.
    pub lanes: Vec<String>,
    /// Node rows above the lanes (`n0`, `n1`, …), when the history says
    /// which nodes faults hit or served ops; else empty.
    pub nodes: Vec<String>,
    /// Interned strings: `:f` names, keys and values.
    pub strs: Vec<String>,
    /// Per op: lane index.
    pub lane: Vec<u32>,
    /// Per op: the process, index into `strs`.
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
    /// Per op: the node that answered (the completion's `:node`), index
    /// into `strs`, or -1; empty when no op names one.
    pub node: Vec<i64>,
    /// Fault windows: `[name, detail, start, end, open_ended, nodes, state]`
    /// (`nodes`: indices of the node rows it affected; `state`: what they
    /// were meanwhile, such as `isolated`).
    pub faults: Vec<FaultSpan>,
    /// Instant nemesis events: `[name, detail, at, nodes]`.
    pub marks: Vec<(String, String, i64, Vec<usize>)>,
    /// The op that cannot be linearized (its index in the op arrays), if any.
    pub cx_op: Option<usize>,
    /// Ops of the longest linearizable prefix (indices in the op arrays).
    pub cx_prefix: Vec<usize>,
    /// Ops that explain the counterexample, with why: the write the state
    /// came from, the write of the value a stale read returned, a read that
    /// saw the newer value first. "Show counterexample" zooms to show them.
    pub cx_related: Vec<(usize, String)>,
}

/// The node that answered an op: its completion's `:node`, as written
/// (`n1`; an integer `i` reads as `n{i}`).
pub fn serving_node(history: &History, op: &Op) -> Option<String> {
    let event = history.events.get(op.complete_index?)?;
    match event.extra_field("node")? {
        Value::Str(s) | Value::Keyword(s) | Value::Symbol(s) => Some(s.clone()),
        Value::Int(i) => Some(format!("n{i}")),
        other => Some(other.to_string()),
    }
}

/// The node rows of the timeline: `n0` to `n{count-1}` when the cluster's
/// size is known, else as many as faults and `:node` keys name; none when
/// nothing names a node.
fn node_rows(node_count: Option<usize>, faults: &Faults, served: &[Option<String>]) -> Vec<String> {
    let from_faults = faults
        .windows
        .iter()
        .flat_map(|w| w.nodes.iter())
        .chain(faults.marks.iter().flat_map(|m| m.nodes.iter()))
        .map(|n| n + 1)
        .max()
        .unwrap_or(0);
    let from_ops = served
        .iter()
        .flatten()
        .filter_map(|n| n.strip_prefix('n').and_then(|d| d.parse::<usize>().ok()))
        .map(|n| n + 1)
        .max()
        .unwrap_or(0);
    let count = node_count.unwrap_or(0).max(from_faults).max(from_ops);
    (0..count.min(NODE_ROWS_MAX))
        .map(|n| format!("n{n}"))
        .collect()
}

/// Node rows drawn at most.
pub const NODE_ROWS_MAX: usize = 64;

fn is_read(f: &str) -> bool {
    matches!(f, "read" | "get")
}

/// The value an op wrote, if it writes one: a write's or put's value, a
/// cas's new value.
fn written_value(op: &Op) -> Option<&Value> {
    match op.f.as_str() {
        "write" | "put" => Some(&op.invoke_value),
        "cas" => match &op.invoke_value {
            Value::Vector(v) if v.len() == 2 => Some(&v[1]),
            _ => None,
        },
        _ => None,
    }
}

fn describe_op(op: &Op) -> String {
    let value = match written_value(op) {
        Some(v) => v.to_string(),
        None => op.value.to_string(),
    };
    format!("{} {} by process {}", op.f, value, op.process)
}

/// The ops that explain a counterexample (see [`TimelineData::cx_related`]).
fn explaining_ops(
    ops: &[Op],
    by_invoke: &BTreeMap<usize, usize>,
    cx: &Counterexample,
    cx_i: usize,
) -> Vec<(usize, String)> {
    let bad = &ops[cx_i];
    let prefix: Vec<usize> = cx
        .prefix
        .iter()
        .filter_map(|o| by_invoke.get(&o.invoke_index).copied())
        .filter(|&i| ops[i].key == bad.key)
        .collect();
    let mut out: Vec<(usize, String)> = Vec::new();
    let add = |i: usize, why: String, out: &mut Vec<(usize, String)>| {
        if i != cx_i && !out.iter().any(|(j, _)| *j == i) && out.len() < 4 {
            out.push((i, why));
        }
    };
    let last_write = prefix.iter().rev().copied().find(|&i| !is_read(&ops[i].f));
    if let Some(w) = last_write {
        add(
            w,
            format!(
                "{}: the last write linearized before it",
                describe_op(&ops[w])
            ),
            &mut out,
        );
        let state = written_value(&ops[w]).cloned();
        // A read of the newer state that completed before the bad op began.
        let seen_first = prefix.iter().rev().copied().find(|&i| {
            let o = &ops[i];
            is_read(&o.f)
                && Some(&o.value) == state.as_ref()
                && o.complete_time_ns
                    .zip(bad.invoke_time_ns)
                    .is_some_and(|(c, s)| c < s)
        });
        if let Some(r) = seen_first {
            add(
                r,
                format!(
                    "{}: saw the newer value before it began",
                    describe_op(&ops[r])
                ),
                &mut out,
            );
        }
    }
    if is_read(&bad.f) && !bad.value.is_nil() {
        // The write of the value the read returned: the latest one invoked
        // before the read completed.
        let limit = bad.complete_index.unwrap_or(usize::MAX);
        let source = ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.key == bad.key && o.invoke_index < limit)
            .filter(|(_, o)| written_value(o) == Some(&bad.value))
            .map(|(i, _)| i)
            .next_back();
        if let Some(s) = source {
            add(
                s,
                format!("{}: wrote the value it returned", describe_op(&ops[s])),
                &mut out,
            );
        }
    }
    if out.is_empty() {
        for &i in prefix.iter().rev().take(2) {
            add(
                i,
                format!("{}: linearized just before it", describe_op(&ops[i])),
                &mut out,
            );
        }
    }
    out
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
    if let Some(lanes) = jepsen_client_lanes(ops, &spans) {
        return lanes;
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
    // Lanes in order of their first process; labelled with every process
    // that ran in them, in order.
    let mut order: Vec<u32> = (0..members.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let first = |l: u32| members[l as usize].iter().min().copied();
        first(a).cmp(&first(b))
    });
    let mut new_index = vec![0u32; members.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
    }
    for lane in lane_of.values_mut() {
        *lane = new_index[*lane as usize];
    }
    let labels = order
        .iter()
        .map(|&l| lane_label(&members[l as usize]))
        .collect();
    (lane_of, labels)
}

/// Jepsen's (and Shakedown's) clients: with `c` clients, client `k` runs
/// as process `k`, then `k + c`, `k + 2c`, … after each `info` op. When the
/// processes are integers and `c` can be read off the history (the
/// processes that began before the first op ended `info`), one lane per
/// client, if that puts no two overlapping processes in one lane.
fn jepsen_client_lanes(
    ops: &[Op],
    spans: &[(Process, i64, i64)],
) -> Option<(BTreeMap<Process, u32>, Vec<String>)> {
    let first_info = ops
        .iter()
        .filter(|o| o.completion == Completion::Info)
        .filter_map(|o| o.complete_index)
        .min()
        .unwrap_or(usize::MAX);
    let mut initial: BTreeSet<i64> = BTreeSet::new();
    for op in ops.iter().filter(|o| o.invoke_index < first_info) {
        match op.process {
            Process::Client(p) if p >= 0 => initial.insert(p),
            _ => return None,
        };
    }
    let clients = initial.len() as i64;
    // The first processes must be exactly 0..c.
    if clients < 2 || initial.iter().copied().ne(0..clients) {
        return None;
    }
    let mut lanes: Vec<Vec<(i64, i64, i64)>> = vec![Vec::new(); clients as usize];
    for (process, start, end) in spans {
        let Process::Client(p) = process else {
            return None;
        };
        if *p < 0 {
            return None;
        }
        lanes[(p % clients) as usize].push((*p, *start, *end));
    }
    for lane in &mut lanes {
        lane.sort_unstable();
        if lane.windows(2).any(|w| w[1].1 < w[0].2) {
            return None;
        }
    }
    let lane_of = spans
        .iter()
        .filter_map(|(process, _, _)| match process {
            Process::Client(p) => Some((process.clone(), (p % clients) as u32)),
            _ => None,
        })
        .collect();
    let labels = lanes
        .iter()
        .map(|lane| {
            let procs: Vec<Process> = lane.iter().map(|&(p, _, _)| Process::Client(p)).collect();
            let refs: Vec<&Process> = procs.iter().collect();
            lane_label(&refs)
        })
        .collect();
    Some((lane_of, labels))
}

/// A lane's label: `p3`, or `p0, p6, p12` for a client that continued as
/// new processes, shortened to `p0, p6 … p30 (6)` past three.
fn lane_label(processes: &[&Process]) -> String {
    let name = |p: &Process| match p {
        Process::Client(i) => format!("p{i}"),
        other => other.to_string(),
    };
    match processes {
        [] => String::new(),
        [a] => name(a),
        [a, b] => format!("{}, {}", name(a), name(b)),
        [a, b, c] => format!("{}, {}, {}", name(a), name(b), name(c)),
        [a, b, .., z] => format!(
            "{}, {} … {} ({})",
            name(a),
            name(b),
            name(z),
            processes.len()
        ),
    }
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
    /// Builds the timeline of `ops` (from [`History::client_ops`] of
    /// `history`), with node rows for a cluster of `node_count` nodes if
    /// known.
    pub fn new(
        history: &History,
        ops: &[Op],
        axis: &Axis,
        faults: &Faults,
        counterexample: Option<&Counterexample>,
        node_count: Option<usize>,
    ) -> Self {
        let (lanes_by_process, lane_labels) = assign_lanes(ops, axis);
        let served: Vec<Option<String>> = ops.iter().map(|o| serving_node(history, o)).collect();
        let nodes = node_rows(node_count, faults, &served);
        let mut strs = Interner::default();
        let n = ops.len();
        let mut data = TimelineData {
            axis: axis.kind.name(),
            end: axis.end,
            lanes: lane_labels,
            nodes,
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
            node: Vec::new(),
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
                        w.nodes.clone(),
                        w.state.clone(),
                    )
                })
                .collect(),
            marks: faults
                .marks
                .iter()
                .map(|m| {
                    (
                        m.name.clone(),
                        clip(m.detail.clone()),
                        m.at,
                        m.nodes.clone(),
                    )
                })
                .collect(),
            cx_op: None,
            cx_prefix: Vec::new(),
            cx_related: Vec::new(),
        };
        if served.iter().any(Option::is_some) {
            data.node = served
                .iter()
                .map(|s| s.as_ref().map_or(-1, |s| i64::from(strs.intern(s.clone()))))
                .collect();
        }
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
            if let Some(i) = data.cx_op {
                data.cx_related = explaining_ops(ops, &by_invoke, cx, i);
            }
        }
        data.strs = strs.strs;
        fit_to_budget(&mut data.strs, STRS_BYTES_MAX);
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shakedown_checkers::{Event, EventType};

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
        assert_eq!(labels, vec!["p0, p2".to_owned(), "p1".to_owned()]);
    }
}
