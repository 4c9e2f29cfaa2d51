//! Helpers shared by the end-to-end tests: run configurations, a checker
//! call, a definite-stale-read finder and a slope fit for gauge series.

#![allow(dead_code)]

use shakedown_checkers::models::Kv;
use shakedown_checkers::{check, Budget, Completion, History, Outcome, Value, Verdict};
use shakedown_dynamo::{Dynamo, DynamoConfig};
use shakedown_sim::{
    run, ControlOp, NodeId, OpKind, OpLimit, Pacing, RunRecord, SimConfig, TimedOp, Workload,
};

/// Node `i`.
pub fn n(i: u32) -> NodeId {
    NodeId(i)
}

/// A keyed read/write workload at `ops_per_s` for `duration_ms`.
pub fn workload(keys: usize, ops_per_s: f64, duration_ms: u64) -> Workload {
    Workload {
        mix: vec![(OpKind::Read, 1), (OpKind::Write, 1)],
        keys: Some(keys),
        unique_values: true,
        pacing: Pacing::Rate { ops_per_s },
        limit: OpLimit::DurationMs(duration_ms),
        timeout_ms: 1000,
        ..Workload::default()
    }
}

/// Runs the store and returns the record; panics with the error otherwise
/// (the configurations here are fixed, not user input).
pub fn run_dynamo(sim: &SimConfig, config: DynamoConfig) -> RunRecord {
    run(sim, Dynamo::new(config)).unwrap_or_else(|e| panic!("seed {}: {e}", sim.seed))
}

/// Checks the history against the `kv` model (a register per key).
pub fn verdict(record: &RunRecord) -> Verdict {
    check(&record.history, &Kv::new(Value::Nil), Budget::default())
}

/// True if the verdict is `invalid`.
pub fn invalid(v: &Verdict) -> bool {
    v.outcome == Outcome::Invalid
}

/// A partition of `isolated` from the rest, from `from_ms` to `to_ms`.
pub fn isolate(nodes: usize, isolated: u32, from_ms: u64, to_ms: u64) -> Vec<TimedOp> {
    let rest: Vec<NodeId> = (0..nodes as u32)
        .filter(|i| *i != isolated)
        .map(NodeId)
        .collect();
    vec![
        TimedOp {
            at_ms: from_ms,
            op: ControlOp::PartitionGroups(vec![rest, vec![NodeId(isolated)]]),
        },
        TimedOp {
            at_ms: to_ms,
            op: ControlOp::Heal,
        },
    ]
}

/// A read that is certainly stale: it returned `v` (or nil) although a
/// write of another value completed before the read began, and that write
/// itself began after the write of `v` had completed. No linearization can
/// explain such a read. Returns (read invoke time ns, key) of each one.
pub fn definite_stale_reads(history: &History) -> Vec<(i64, Value)> {
    let ops = history.client_ops().expect("history pairs up");
    let writes: Vec<_> = ops.iter().filter(|o| o.f == "write").collect();
    let mut stale = Vec::new();
    for r in ops
        .iter()
        .filter(|o| o.f == "read" && o.completion == Completion::Ok)
    {
        let (Some(r_inv), Some(key)) = (r.invoke_time_ns, r.key.as_ref()) else {
            continue;
        };
        let same_key = || writes.iter().filter(move |w| w.key.as_ref() == Some(key));
        // When the write of the value read completed (nil: "before time").
        let read_value_done = if r.value == Value::Nil {
            Some(i64::MIN)
        } else {
            same_key()
                .find(|w| w.invoke_value == r.value)
                .and_then(|w| {
                    if w.completion == Completion::Ok {
                        w.complete_time_ns
                    } else {
                        None
                    }
                })
        };
        let Some(done) = read_value_done else {
            continue;
        };
        let superseded = same_key().any(|u| {
            u.completion == Completion::Ok
                && u.invoke_value != r.value
                && u.invoke_time_ns.is_some_and(|t| t > done)
                && u.complete_time_ns.is_some_and(|t| t < r_inv)
        });
        if superseded {
            stale.push((r_inv, key.clone()));
        }
    }
    stale
}

/// The sum over nodes of a gauge, per sample: (time ms, total).
pub fn gauge_total(record: &RunRecord, name: &str, nodes: usize) -> Vec<(f64, f64)> {
    record
        .metrics
        .samples
        .iter()
        .map(|s| {
            let total = (0..nodes)
                .filter_map(|i| s.gauges.get(i).and_then(|g| g.get(name)))
                .sum();
            (s.time_ns as f64 / 1e6, total)
        })
        .collect()
}

/// One node's gauge: (time ms, value).
pub fn gauge(record: &RunRecord, node: u32, name: &str) -> Vec<(f64, f64)> {
    record
        .metrics
        .gauge_series(NodeId(node), name)
        .into_iter()
        .map(|(t, v)| (t as f64 / 1e6, v))
        .collect()
}

/// Least-squares slope (per second) of the points whose value lies between
/// `lo` and `hi`, with `t_ms` at or after `after_ms`.
pub fn slope_per_s(series: &[(f64, f64)], after_ms: f64, lo: f64, hi: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = series
        .iter()
        .copied()
        .filter(|(t, v)| *t >= after_ms && *v >= lo && *v <= hi)
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let k = pts.len() as f64;
    let mt = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let mv = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let cov: f64 = pts.iter().map(|(t, v)| (t - mt) * (v - mv)).sum();
    let var: f64 = pts.iter().map(|(t, _)| (t - mt) * (t - mt)).sum();
    (var > 0.0).then(|| cov / var * 1000.0)
}

/// The simulation settings most tests share.
pub fn sim(
    seed: u64,
    nodes: usize,
    clients: usize,
    workload: Workload,
    ops: Vec<TimedOp>,
) -> SimConfig {
    SimConfig {
        seed,
        nodes,
        clients,
        workload,
        ops,
        duration_ms: 60_000,
        ..SimConfig::default()
    }
}
