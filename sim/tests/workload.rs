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

#[test]
fn completions_name_the_node_that_answered_and_survive_edn_and_jsonl() {
    // Three nodes, a node paused long enough for its clients to time out:
    // answered ops name their node (client c talks to node c mod 3), timed
    // out ones name none.
    let config = SimConfig {
        seed: 11,
        nodes: 3,
        clients: 3,
        workload: Workload {
            timeout_ms: 50,
            limit: OpLimit::Count(60),
            ..Workload::default()
        },
        ops: vec![
            TimedOp {
                at_ms: 20,
                op: ControlOp::Pause(NodeId(2)),
            },
            TimedOp {
                at_ms: 200,
                op: ControlOp::Resume(NodeId(2)),
            },
        ],
        ..SimConfig::default()
    };
    let r = run(&config, RegisterModel::default()).expect("run");
    let mut answered = BTreeSet::new();
    let mut timeouts = 0;
    for e in r.history.events.iter().filter(|e| e.process.is_client()) {
        let node = e.extra_field("node");
        match e.kind {
            EventType::Invoke => assert_eq!(node, None, "an invocation names no node: {e:?}"),
            EventType::Info if e.extra_field("error") == Some(&Value::keyword("timeout")) => {
                timeouts += 1;
                assert_eq!(node, None, "a timeout names no node: {e:?}");
            }
            _ => {
                let Some(Value::Str(name)) = node else {
                    panic!("an answered op names its node: {e:?}")
                };
                let Process::Client(p) = e.process else {
                    unreachable!()
                };
                assert_eq!(name, &format!("n{}", p.rem_euclid(3)), "{e:?}");
                answered.insert(name.clone());
            }
        }
    }
    assert!(timeouts > 0, "the pause must cause timeouts");
    assert_eq!(
        answered.len(),
        3,
        "every node answered some op: {answered:?}"
    );
    let edn = shakedown_checkers::edn::write_history(&r.history);
    assert!(edn.contains(":node \"n1\""), "EDN carries :node");
    assert_eq!(
        shakedown_checkers::edn::parse_history(&edn).unwrap(),
        r.history
    );
    let jsonl = shakedown_checkers::jsonl::write_history(&r.history);
    assert_eq!(
        shakedown_checkers::jsonl::parse_history(&jsonl).unwrap(),
        r.history
    );
}
