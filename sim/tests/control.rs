//! The control surface and the run API refuse bad input with clear errors
//! (never a panic), and the simulator's own events carry simulated time
//! and the node id for `RUST_LOG` debugging.

use shakedown_sim::models::{PrimaryBackupModel, RegisterModel};
use shakedown_sim::*;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn cluster(nodes: usize) -> TurmoilCluster<PrimaryBackupModel> {
    let config = SimConfig {
        seed: 5,
        nodes,
        clients: 2,
        ..SimConfig::default()
    };
    TurmoilCluster::new(&config, PrimaryBackupModel::default()).expect("valid config")
}

#[test]
fn unknown_nodes_are_refused_by_every_operation() {
    let mut c = cluster(3);
    let ghost = NodeId(3);
    let fault = ModelFault {
        name: "stop-replication".into(),
        params: Default::default(),
    };
    let results: Vec<(&str, Result<Applied, ControlError>)> = vec![
        ("partition", c.partition(&[(NodeId(0), ghost)])),
        ("groups", c.partition_groups(&[vec![ghost]])),
        ("one-way", c.partition_one_way(&[ghost], &[NodeId(0)])),
        ("crash", c.crash(ghost)),
        ("restart", c.restart(ghost)),
        ("pause", c.pause(ghost)),
        ("resume", c.resume(ghost)),
        ("clock-set", c.clock_set(ghost, Timestamp(0))),
        ("clock-bump", c.clock_bump(ghost, 1)),
        ("clock-drift", c.clock_drift(ghost, 1.0)),
        ("clock-reset", c.clock_reset(ghost)),
        (
            "update-link",
            c.update_link(NodeId(0), ghost, &LinkUpdate::default()),
        ),
        ("packet-loss", c.packet_loss(ghost, 0.1)),
        ("net-reset", c.net_reset(ghost)),
        ("model-fault", c.model_fault(ghost, &fault)),
        (
            "model-fault-stop",
            c.model_fault_stop(ghost, "stop-replication"),
        ),
    ];
    for (name, r) in results {
        let err = r.expect_err(name);
        assert_eq!(
            err,
            ControlError::UnknownNode {
                node: ghost,
                nodes: 3
            },
            "{name}"
        );
        assert_eq!(
            err.to_string(),
            "node n3 does not exist: the cluster has 3 nodes (n0 to n2)"
        );
    }
    assert!(c.status(ghost).is_err() && c.clock(ghost).is_err() && c.storage(ghost).is_err());
}

#[test]
fn absurd_values_are_refused() {
    let mut c = cluster(3);
    let n = NodeId(1);
    for rate in [-0.1, 1.01, f64::NAN, f64::INFINITY] {
        let err = c.packet_loss(n, rate).unwrap_err().to_string();
        assert!(err.contains("not a probability"), "{err}");
        assert!(c.packet_duplicate(n, rate).is_err());
    }
    for rate in [0.0, -1.0, 1000.0, f64::NAN] {
        let err = c.clock_drift(n, rate).unwrap_err().to_string();
        assert!(err.contains("clock rate"), "{err}");
    }
    assert!(c.clock_bump(n, i64::MAX).is_err());
    assert!(c.clock_set(n, Timestamp(i64::MIN)).is_err());
    let slow = Latency {
        base_ns: 2 * net::LATENCY_NS_MAX,
        jitter_ns: 0,
        shape: Shape::Uniform,
    };
    assert!(c
        .packet_delay(n, slow)
        .unwrap_err()
        .to_string()
        .contains("absurd"));
    c.run_for(Duration::from_millis(5)).expect("nodes start");
    let refused = c.model_fault(
        n,
        &ModelFault {
            name: "no-such".into(),
            params: Default::default(),
        },
    );
    assert!(
        matches!(refused, Err(ControlError::ModelFault { .. })),
        "{refused:?}"
    );
    // The cluster still runs after all of that.
    c.run_for(Duration::from_millis(50)).expect("still runs");
}

#[test]
fn bad_configurations_fail_before_running() {
    let base = SimConfig {
        seed: 1,
        nodes: 3,
        ..SimConfig::default()
    };
    let cases: Vec<(SimConfig, &str)> = vec![
        (
            SimConfig {
                nodes: 0,
                ..base.clone()
            },
            "at least 1 node",
        ),
        (
            SimConfig {
                duration_ms: 0,
                ..base.clone()
            },
            "duration_ms",
        ),
        (
            SimConfig {
                duration_ms: u64::MAX,
                ..base.clone()
            },
            "absurd",
        ),
        (
            SimConfig {
                network: LinkConfig {
                    loss_rate: -1.0,
                    ..LinkConfig::default()
                },
                ..base.clone()
            },
            "loss_rate",
        ),
        (
            SimConfig {
                workload: Workload {
                    pacing: Pacing::Rate { ops_per_s: 1e300 },
                    ..Workload::default()
                },
                ..base.clone()
            },
            "absurd",
        ),
        (
            SimConfig {
                workload: Workload {
                    limit: OpLimit::DurationMs(0),
                    ..Workload::default()
                },
                ..base.clone()
            },
            "duration is 0",
        ),
        (
            SimConfig {
                ops: vec![TimedOp {
                    at_ms: 10,
                    op: ControlOp::Pause(NodeId(9)),
                }],
                ..base.clone()
            },
            "control operation 0 (`pause` at 10 ms): node n9 does not exist",
        ),
        (
            SimConfig {
                nemesis: Some(shakedown_nemesis::Schedule::new(vec![
                    shakedown_nemesis::Event::new(
                        shakedown_nemesis::SimDuration::from_millis(5),
                        shakedown_nemesis::Fault::Crash {
                            target: shakedown_nemesis::Target::Node(7),
                        },
                    ),
                ])),
                ..base.clone()
            },
            "nemesis schedule",
        ),
    ];
    for (config, needle) in cases {
        let err = run(&config, RegisterModel::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "`{err}` should contain `{needle}`");
    }
}

#[test]
fn a_node_that_panics_ends_the_run_as_crashed_with_the_record() {
    struct Bomb;
    impl Node for Bomb {
        type Message = ();
        type Timer = ();
        fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
            ctx.set_timer(Duration::from_millis(20), ());
        }
        fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}
        fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {
            panic!("model bug");
        }
        fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ClientRequest) {}
    }
    struct BombModel;
    impl ClusterModel for BombModel {
        type Node = Bomb;
        fn name(&self) -> &str {
            "bomb"
        }
        fn build(&self, _: &NodeInit<'_>) -> Bomb {
            Bomb
        }
    }
    let config = SimConfig {
        seed: 1,
        nodes: 1,
        clients: 0,
        duration_ms: 100,
        ..SimConfig::default()
    };
    let err = run(&config, BombModel).unwrap_err();
    let shakedown_sim::SimError::Crashed(crashed) = &err else {
        panic!("{err}")
    };
    assert_eq!(crashed.panic.node, NodeId(0));
    assert_eq!(crashed.panic.message, "model bug");
    assert_eq!(crashed.panic.during, "on_timer");
    assert_eq!(crashed.panic.at_ns, 20_000_000);
    assert_eq!(crashed.record.ended, shakedown_sim::EndReason::Crashed);
    assert!(
        err.to_string()
            .starts_with("n0 panicked at 0.020 s simulated (on_timer): model bug"),
        "{err}"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn tracing_events_carry_simulated_time_and_node() {
    struct Chatty;
    impl Node for Chatty {
        type Message = ();
        type Timer = ();
        fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
            ctx.set_timer(Duration::from_millis(7), ());
        }
        fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}
        fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {
            tracing::info!("model says hello");
        }
        fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ClientRequest) {}
    }
    struct ChattyModel;
    impl ClusterModel for ChattyModel {
        type Node = Chatty;
        fn name(&self) -> &str {
            "chatty"
        }
        fn build(&self, _: &NodeInit<'_>) -> Chatty {
            Chatty
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let config = SimConfig {
        seed: 1,
        nodes: 2,
        clients: 0,
        duration_ms: 20,
        ops: vec![TimedOp {
            at_ms: 3,
            op: ControlOp::Crash(NodeId(1)),
        }],
        ..SimConfig::default()
    };
    tracing::subscriber::with_default(subscriber, || {
        run(&config, ChattyModel).expect("run");
    });
    let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    let hello = text
        .lines()
        .find(|l| l.contains("model says hello"))
        .unwrap_or_else(|| panic!("no model event in:\n{text}"));
    assert!(hello.contains("node{id=n0 sim_ns=7000000}"), "{hello}");
    let crash = text
        .lines()
        .find(|l| l.contains("crash") && l.contains("sim_ns=3000000"))
        .unwrap_or_else(|| panic!("no crash event in:\n{text}"));
    assert!(crash.contains("n1"), "{crash}");
}
