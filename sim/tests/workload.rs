//! The client side: pacing, limits, timeouts that retire processes, final
//! reads, and the metric series a run returns.

use shakedown_checkers::{EventType, Process, Value};
use shakedown_sim::models::{PrimaryBackupModel, RegisterModel};
use shakedown_sim::*;
use std::collections::BTreeSet;

fn invokes(r: &RunRecord) -> Vec<&shakedown_checkers::Event> {
    r.history
        .events
        .iter()
        .filter(|e| e.kind == EventType::Invoke)
        .collect()
}

#[test]
fn timeouts_complete_as_info_and_retire_the_process() {
    // Node 0 is paused for a while: its clients time out, and after each
    // timeout the client continues under a fresh process id (old + clients),
    // as in Jepsen.
    let clients = 3;
    let config = SimConfig {
        seed: 3,
        nodes: 1,
        clients,
        workload: Workload {
            timeout_ms: 50,
            limit: OpLimit::Count(60),
            ..Workload::default()
        },
        ops: vec![
            TimedOp {
                at_ms: 20,
                op: ControlOp::Pause(NodeId(0)),
            },
            TimedOp {
                at_ms: 200,
                op: ControlOp::Resume(NodeId(0)),
            },
        ],
        ..SimConfig::default()
    };
    let r = run(&config, RegisterModel::default()).expect("run");
    let timeouts: Vec<_> = r
        .history
        .events
        .iter()
        .filter(|e| e.kind == EventType::Info && e.process.is_client())
        .collect();
    // 180 ms of pause and a 50 ms timeout: each client times out 3 times.
    assert_eq!(timeouts.len(), 3 * clients, "{timeouts:?}");
    for t in &timeouts {
        assert_eq!(t.extra_field("error"), Some(&Value::keyword("timeout")));
        let Process::Client(p) = t.process else {
            unreachable!()
        };
        // The old process never invokes again; the new one does.
        let later: Vec<_> = r
            .history
            .events
            .iter()
            .filter(|e| e.kind == EventType::Invoke && e.time_ns >= t.time_ns)
            .collect();
        assert!(later.iter().all(|e| e.process != t.process));
        assert!(later
            .iter()
            .any(|e| e.process == Process::Client(p + clients as i64)));
    }
    // The history pairs up: no process invokes twice without completing.
    let ops = r.history.client_ops().expect("well-formed history");
    assert_eq!(ops.len(), 60);
}

#[test]
fn rate_limited_clients_keep_to_the_rate_and_stop_at_the_duration() {
    let config = SimConfig {
        seed: 4,
        nodes: 3,
        clients: 4,
        workload: Workload {
            pacing: Pacing::Rate { ops_per_s: 200.0 },
            limit: OpLimit::DurationMs(5_000),
            keys: Some(5),
            ..Workload::default()
        },
        duration_ms: 20_000,
        ..SimConfig::default()
    };
    let r = run(&config, PrimaryBackupModel::default()).expect("run");
    let inv = invokes(&r);
    // 200 ops/s for 5 s is about 1000 ops.
    assert!(
        (800..=1200).contains(&inv.len()),
        "{} invocations",
        inv.len()
    );
    assert!(inv.iter().all(|e| e.time_ns.unwrap_or(0) < 5_000_000_000));
    assert_eq!(r.ended, EndReason::Completed);
    let keys: BTreeSet<_> = inv.iter().filter_map(|e| e.key.clone()).collect();
    assert_eq!(keys.len(), 5);
}

#[test]
fn final_reads_read_every_key_after_the_quiet_window() {
    let config = SimConfig {
        seed: 5,
        nodes: 3,
        clients: 2,
        workload: Workload {
            keys: Some(4),
            limit: OpLimit::Count(40),
            final_reads_at_ms: Some(3_000),
            ..Workload::default()
        },
        ..SimConfig::default()
    };
    let r = run(&config, PrimaryBackupModel::default()).expect("run");
    let finals: Vec<_> = invokes(&r)
        .into_iter()
        .filter(|e| e.time_ns.unwrap_or(0) >= 3_000_000_000)
        .collect();
    assert_eq!(finals.len(), 4);
    assert!(finals.iter().all(|e| e.f == "read"));
    let keys: BTreeSet<_> = finals.iter().filter_map(|e| e.key.clone()).collect();
    assert_eq!(keys.len(), 4);
}

#[test]
fn metrics_count_messages_and_carry_model_gauges() {
    let config = SimConfig {
        seed: 6,
        nodes: 3,
        clients: 3,
        network: LinkConfig {
            loss_rate: 0.1,
            duplicate_rate: 0.1,
            ..LinkConfig::default()
        },
        workload: Workload {
            limit: OpLimit::Count(200),
            ..Workload::default()
        },
        metrics_interval_ms: 50,
        ..SimConfig::default()
    };
    let r = run(&config, PrimaryBackupModel::default()).expect("run");
    let m = &r.metrics;
    assert_eq!(m.node_names, ["n0", "n1", "n2"]);
    assert!(m.samples.len() > 3);
    for pair in m.samples.windows(2) {
        assert!(pair[0].time_ns < pair[1].time_ns);
        for (a, b) in pair[0].nodes.iter().zip(&pair[1].nodes) {
            assert!(a.sent <= b.sent && a.delivered <= b.delivered && a.dropped <= b.dropped);
        }
    }
    let t = m.totals();
    assert!(t.sent > 0 && t.dropped > 0 && t.duplicated > 0, "{t:?}");
    // Everything sent was delivered, dropped, or is still in flight; copies add.
    assert!(t.delivered <= t.sent + t.duplicated - t.dropped.min(t.sent));
    // Requests reach n0 directly only from its own clients; the primary
    // reports its replication backlog.
    let backlog = m.gauge_series(NodeId(0), "pending_acks");
    assert!(!backlog.is_empty());
    assert!(m.gauge_series(NodeId(1), "pending_acks").is_empty());
    assert!(
        r.delivered > t.delivered,
        "digest also covers client requests and responses"
    );
}
