//! An exact O(n log n) check for register histories whose writes are unique.
//!
//! When every write puts a distinct value (and none writes the initial
//! value), each read names the one write it saw, and the question is no
//! longer which order but whether the *clusters* (a write with the reads of
//! its value) can be laid out one after another. Gibbons and Korach (1997)
//! showed this is decided by intervals alone. For a cluster, let `min_ret` be
//! the earliest completion of its ops and `max_inv` the latest invocation.
//! The value must be held from before `min_ret` until after `max_inv`:
//!
//! - if `min_ret < max_inv`, the cluster's *forward zone* `(min_ret,
//!   max_inv)` belongs to it alone: two forward zones must not overlap;
//! - otherwise its *backward zone* `(max_inv, min_ret)` needs one free point,
//!   so it must not lie inside another cluster's forward zone;
//! - and no read may complete before its write is invoked.
//!
//! `info` writes complete at infinity; an `info` write nobody read may never
//! have happened and is left out. Reads of the initial value form a cluster
//! whose write happened before everything.
//!
//! This replaces the general search on such histories (a register with
//! 100,000 ops is checked in milliseconds). When it finds a violation, the
//! general search is still run to build the counterexample for people.

use crate::model::{Model, RegisterAccess};
use crate::search::PartOp;
use crate::value::Value;
use std::collections::HashMap;

/// What the fast path concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FastResult {
    /// It does not apply: an op is not a plain read or write, or two writes
    /// share a value.
    NotApplicable,
    Valid,
    /// Not linearizable: the part-op index of an op involved, and why.
    Invalid {
        stuck: usize,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy)]
struct Cluster {
    /// Part-op index of the write (`usize::MAX` for the initial value).
    write: usize,
    min_ret: i64,
    max_inv: i64,
    reads: usize,
    /// The op with the latest invocation, to blame.
    last: usize,
}

/// Runs the unique-writes check on one part, if it applies.
pub(crate) fn check<M: Model>(model: &M, init: &M::State, ops: &[PartOp<M::Op>]) -> FastResult {
    let Some(initial) = model.register_value(init) else {
        return FastResult::NotApplicable;
    };
    let mut accesses = Vec::with_capacity(ops.len());
    for op in ops {
        match model.register_access(&op.prepared) {
            Some(a) => accesses.push(a),
            None => return FastResult::NotApplicable,
        }
    }
    let ret_of = |op: &PartOp<M::Op>| if op.info { i64::MAX } else { i64::from(op.ret) };
    // One cluster per written value, plus the initial value's.
    let mut clusters: Vec<Cluster> = vec![Cluster {
        write: usize::MAX,
        min_ret: -1,
        max_inv: -1,
        reads: 0,
        last: usize::MAX,
    }];
    let mut by_value: HashMap<&Value, usize> = HashMap::new();
    by_value.insert(&initial, 0);
    for (i, (op, a)) in ops.iter().zip(&accesses).enumerate() {
        if let RegisterAccess::Write(v) = a {
            if by_value.insert(v, clusters.len()).is_some() {
                return FastResult::NotApplicable;
            }
            clusters.push(Cluster {
                write: i,
                min_ret: ret_of(op),
                max_inv: i64::from(op.inv),
                reads: 0,
                last: i,
            });
        }
    }
    for (i, (op, a)) in ops.iter().zip(&accesses).enumerate() {
        let RegisterAccess::Read(v) = a else { continue };
        let Some(&c) = by_value.get(v) else {
            return FastResult::Invalid {
                stuck: i,
                reason: format!("it read {v}, a value that no operation wrote"),
            };
        };
        let cluster = &mut clusters[c];
        if cluster.write != usize::MAX && i64::from(op.ret) < i64::from(ops[cluster.write].inv) {
            return FastResult::Invalid {
                stuck: i,
                reason: format!("it read {v} and completed before the write of {v} was invoked"),
            };
        }
        cluster.reads += 1;
        cluster.min_ret = cluster.min_ret.min(i64::from(op.ret));
        if i64::from(op.inv) > cluster.max_inv {
            cluster.max_inv = i64::from(op.inv);
            cluster.last = i;
        }
    }
    let mut forward: Vec<(i64, i64, usize)> = Vec::new();
    let mut backward: Vec<(i64, i64, usize)> = Vec::new();
    for (c, cluster) in clusters.iter().enumerate() {
        let unread_info =
            cluster.write != usize::MAX && cluster.reads == 0 && ops[cluster.write].info;
        if (c == 0 && cluster.reads == 0) || unread_info {
            continue;
        }
        if cluster.min_ret < cluster.max_inv {
            forward.push((cluster.min_ret, cluster.max_inv, c));
        } else {
            backward.push((cluster.max_inv, cluster.min_ret, c));
        }
    }
    forward.sort_unstable();
    for pair in forward.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b.0 < a.1 {
            return FastResult::Invalid {
                stuck: clusters[b.2].last,
                reason: format!(
                    "the register must hold {} from event {} to event {} and {} from event {} to event {}, and these overlap",
                    value_of(&clusters[a.2], ops, &accesses, &initial),
                    a.0.max(0),
                    a.1,
                    value_of(&clusters[b.2], ops, &accesses, &initial),
                    b.0.max(0),
                    b.1
                ),
            };
        }
    }
    for &(start, end, c) in &backward {
        // The forward zone that starts last before `start`, if any, is the only one that could contain it.
        let k = forward.partition_point(|z| z.0 < start);
        if k > 0 {
            let z = forward[k - 1];
            if end < z.1 {
                return FastResult::Invalid {
                    stuck: clusters[c].last,
                    reason: format!(
                        "{} must take effect between event {} and event {}, but the register must hold {} throughout",
                        describe_cluster(&clusters[c], &accesses, &initial),
                        start.max(0),
                        end,
                        value_of(&clusters[z.2], ops, &accesses, &initial)
                    ),
                };
            }
        }
    }
    FastResult::Valid
}

fn value_of<O>(
    c: &Cluster,
    _ops: &[PartOp<O>],
    accesses: &[RegisterAccess],
    initial: &Value,
) -> String {
    match accesses.get(c.write) {
        Some(RegisterAccess::Write(v)) => v.to_string(),
        _ => initial.to_string(),
    }
}

fn describe_cluster(c: &Cluster, accesses: &[RegisterAccess], initial: &Value) -> String {
    match accesses.get(c.write) {
        Some(RegisterAccess::Write(v)) if c.reads == 0 => format!("the write of {v}"),
        Some(RegisterAccess::Write(v)) => format!("the write of {v} and its reads"),
        _ => format!("the reads of the initial value {initial}"),
    }
}
