//! A small run's history, nemesis log and digest, pinned as a snapshot. It
//! shows what the recorder writes, and it catches any change in what a seed
//! produces (across processes and machines, not only within one run).

use shakedown_sim::models::PrimaryBackupModel;
use shakedown_sim::*;

fn snapshot_text(engine: Engine) -> String {
    let config = SimConfig {
        engine: Some(engine),
        seed: 0x5eed,
        nodes: 3,
        clients: 2,
        workload: Workload {
            keys: Some(2),
            limit: OpLimit::Count(12),
            timeout_ms: 40,
            ..Workload::default()
        },
        ops: vec![
            TimedOp {
                at_ms: 10,
                op: ControlOp::Crash(NodeId(1)),
            },
            TimedOp {
                at_ms: 12,
                op: ControlOp::ClockBump {
                    node: NodeId(2),
                    delta_ns: -3_000_000_000,
                },
            },
            TimedOp {
                at_ms: 25,
                op: ControlOp::Partition(vec![(NodeId(0), NodeId(2))]),
            },
            TimedOp {
                at_ms: 40,
                op: ControlOp::Restart(NodeId(1)),
            },
            TimedOp {
                at_ms: 60,
                op: ControlOp::Heal,
            },
        ],
        ..SimConfig::default()
    };
    let r = run(&config, PrimaryBackupModel::default()).expect("run");
    let mut text = shakedown_checkers::edn::write_history(&r.history);
    text.push_str(&format!(
        "\nended: {:?} at {} ns; delivered {}; digest {}\n",
        r.ended,
        r.end_ns,
        r.delivered,
        r.digest_hex()
    ));
    for e in &r.nemesis_log {
        text.push_str(&format!(
            "{} {} {} {:?} {} {}\n",
            e.time_ns, e.f, e.phase, e.nodes, e.detail, e.outcome
        ));
    }
    text
}

#[test]
fn primary_backup_history_snapshot() {
    insta::assert_snapshot!(snapshot_text(Engine::Turmoil));
}

/// The same run on the discrete engine: times are no longer whole
/// milliseconds (no tick), and the run ends at its last event.
#[test]
fn primary_backup_history_snapshot_discrete() {
    insta::assert_snapshot!(snapshot_text(Engine::Discrete));
}
