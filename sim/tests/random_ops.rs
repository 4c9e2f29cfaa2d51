//! Random control operations, valid or not, applied to a running cluster:
//! the engine never panics, refuses what is invalid with an error, keeps
//! recording a well-formed history, and still replays exactly.

use proptest::prelude::*;
use shakedown_sim::models::PrimaryBackupModel;
use shakedown_sim::*;
use std::time::Duration;

const NODES: usize = 3;

fn node() -> impl Strategy<Value = NodeId> {
    // Mostly real nodes, sometimes one that does not exist.
    prop_oneof![9 => (0..NODES as u32).prop_map(NodeId), 1 => (3u32..10).prop_map(NodeId)]
}

fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![8 => 0.0..=1.0f64, 1 => -2.0..0.0f64, 1 => Just(f64::NAN)]
}

fn op() -> impl Strategy<Value = ControlOp> {
    prop_oneof![
        proptest::collection::vec((node(), node()), 0..4).prop_map(ControlOp::Partition),
        Just(ControlOp::Heal),
        node().prop_map(ControlOp::Crash),
        node().prop_map(ControlOp::Restart),
        node().prop_map(ControlOp::Pause),
        node().prop_map(ControlOp::Resume),
        (node(), -10_000i64..10_000).prop_map(|(node, ms)| ControlOp::ClockBump {
            node,
            delta_ns: ms * 1_000_000
        }),
        (node(), prop_oneof![0.5..2.0f64, Just(0.0), Just(-1.0)])
            .prop_map(|(node, rate)| ControlOp::ClockDrift { node, rate }),
        node().prop_map(ControlOp::ClockReset),
        (node(), rate(), rate()).prop_map(|(node, loss, dup)| ControlOp::UpdateNodeLinks {
            node,
            update: LinkUpdate {
                loss_rate: Some(loss),
                duplicate_rate: Some(dup),
                latency: None,
            },
        }),
        node().prop_map(ControlOp::NetReset),
    ]
}

fn run_ops(seed: u64, ops: &[(u64, ControlOp)]) -> (Vec<bool>, RunRecord) {
    let config = SimConfig {
        seed,
        nodes: NODES,
        clients: 3,
        workload: Workload {
            limit: OpLimit::Count(50),
            timeout_ms: 100,
            ..Workload::default()
        },
        duration_ms: 3_000,
        ..SimConfig::default()
    };
    let mut cluster = TurmoilCluster::new(&config, PrimaryBackupModel::default()).expect("config");
    let mut accepted = Vec::new();
    for (gap_ms, op) in ops {
        cluster
            .run_for(Duration::from_millis(*gap_ms))
            .expect("run");
        let result = cluster.apply_control_op(op);
        let valid = op.validate(NODES).is_ok();
        assert_eq!(result.is_ok(), valid, "{op:?} gave {result:?}");
        accepted.push(result.is_ok());
    }
    let ended = cluster.run_to_end().expect("run to end");
    (accepted, cluster.finish(ended))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_control_ops_never_break_the_engine(
        seed in 0u64..1000,
        ops in proptest::collection::vec((0u64..40, op()), 1..12),
    ) {
        let (accepted, a) = run_ops(seed, &ops);
        prop_assert!(a.history.client_ops().is_ok(), "history does not pair up");
        let (accepted_again, b) = run_ops(seed, &ops);
        prop_assert_eq!(accepted, accepted_again);
        prop_assert_eq!(a, b);
    }
}
