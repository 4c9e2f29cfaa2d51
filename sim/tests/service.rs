//! Async services: a tiny register over TCP gives a checkable,
//! deterministic record, and each fault kind acts on it. One source for
//! both engines, as a user writes it: `tokio` is madsim's shim (plain tokio
//! in a normal build, madsim's in a `--cfg madsim` build) and the sockets
//! are turmoil's or madsim's by cfg; each build runs the tests on its
//! engine (turmoil, or madsim).

use madsim_tokio as tokio;
use shakedown_checkers::models::Register;
use shakedown_checkers::{check, edn, Budget, Outcome, Value};
use shakedown_sim::service::{ClientHandle, NodeHandle, Op, ServiceCluster, ServiceModel};
use shakedown_sim::workload::{OpKind, OpLimit, Workload};
use shakedown_sim::Engine;
use shakedown_sim::{
    run_service, ClientResponse, Control, ControlOp, NodeId, SimConfig, SimError, TimedOp,
};
use std::cell::{Cell, RefCell};
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
#[cfg(madsim)]
use tokio::net::{TcpListener, TcpStream};
#[cfg(not(madsim))]
use turmoil::net::{TcpListener, TcpStream};

/// The engine this build runs services on.
fn engine() -> Option<Engine> {
    Some(if cfg!(madsim) {
        Engine::Madsim
    } else {
        Engine::Turmoil
    })
}

const PORT: u16 = 7000;

/// A register per node over a line protocol (`GET`, `PUT v`, `PING`); n0
/// pings n1 every 10 ms and reports how many pongs it got, what its clock
/// reads and its incarnation; every node writes one synced and one unsynced
/// key to its disk at boot.
#[derive(Default)]
struct Lab {
    /// Panic in the adapter on the first write (for the crashed verdict).
    panic_on_write: bool,
    /// n1 spawns a task that panics 50 ms in (tokio would swallow it).
    panic_in_task: bool,
}

async fn handle(stream: TcpStream, value: Rc<RefCell<i64>>) -> std::io::Result<()> {
    let (r, mut w) = tokio::io::split(stream);
    let mut lines = BufReader::new(r).lines();
    while let Some(line) = lines.next_line().await? {
        let reply = match line.split_once(' ') {
            Some(("PUT", v)) => {
                *value.borrow_mut() = v.parse().unwrap_or(0);
                "OK".to_owned()
            }
            _ if line == "GET" => format!("VALUE {}", value.borrow()),
            _ => "PONG".to_owned(),
        };
        w.write_all(format!("{reply}\n").as_bytes()).await?;
        w.flush().await?;
    }
    Ok(())
}

async fn request(host: &str, line: &str) -> std::io::Result<String> {
    let stream = TcpStream::connect((host, PORT)).await?;
    let (r, mut w) = tokio::io::split(stream);
    w.write_all(format!("{line}\n").as_bytes()).await?;
    w.flush().await?;
    let mut lines = BufReader::new(r).lines();
    Ok(lines.next_line().await?.unwrap_or_default())
}

impl ServiceModel for Lab {
    fn name(&self) -> &str {
        "lab"
    }

    async fn serve(&self, node: NodeHandle) -> std::io::Result<()> {
        node.with_disk(|d| {
            d.put(format!("synced-{}", node.incarnation()), "x");
            d.sync();
            d.put(format!("unsynced-{}", node.incarnation()), "y");
        });
        node.gauge("incarnation", f64::from(node.incarnation()));
        let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT)).await?;
        if node.id() == NodeId(0) && node.nodes().len() > 1 {
            let n = node.clone();
            tokio::task::spawn_local(async move {
                let pongs = Rc::new(Cell::new(0u32));
                loop {
                    let ping =
                        tokio::time::timeout(Duration::from_millis(20), request("n1", "PING"));
                    if let Ok(Ok(reply)) = ping.await {
                        if reply == "PONG" {
                            pongs.set(pongs.get() + 1);
                        }
                    }
                    n.gauge("pongs", f64::from(pongs.get()));
                    n.gauge("clock_ms", n.now().as_millis() as f64);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
        }
        if self.panic_in_task && node.id() == NodeId(1) {
            tokio::task::spawn_local(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                panic!("bug in a spawned task");
            });
        }
        let value = Rc::new(RefCell::new(0i64));
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::task::spawn_local(handle(stream, value.clone()));
        }
    }

    async fn call(&self, client: &ClientHandle, op: Op) -> ClientResponse {
        let line = match op.f.as_str() {
            "read" => "GET".to_owned(),
            "write" => {
                assert!(!self.panic_on_write, "adapter bug on write");
                format!("PUT {}", op.value.as_int().unwrap_or(0))
            }
            other => return ClientResponse::fail(format!("unsupported {other}")),
        };
        match request(&client.node_name(), &line).await {
            Ok(reply) => match reply.split_once(' ') {
                Some(("VALUE", v)) => ClientResponse::ok(Value::Int(v.parse().unwrap_or(0))),
                _ if reply == "OK" => ClientResponse::ok(op.value),
                _ => ClientResponse::unknown(format!("bad reply {reply}")),
            },
            Err(e) => ClientResponse::unknown(e.to_string()),
        }
    }
}

fn register_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        nodes: 1,
        clients: 3,
        workload: Workload {
            mix: vec![(OpKind::Read, 1), (OpKind::Write, 1)],
            keys: None,
            limit: OpLimit::Count(100),
            ..Workload::default()
        },
        duration_ms: 20_000,
        engine: engine(),
        ..SimConfig::default()
    }
}

#[test]
fn a_register_service_gives_a_linearizable_deterministic_history() {
    let a = run_service(&register_config(7), Lab::default()).unwrap();
    let b = run_service(&register_config(7), Lab::default()).unwrap();
    let (ea, eb) = (
        edn::write_history(&a.history),
        edn::write_history(&b.history),
    );
    assert_eq!(ea, eb, "same seed, same history bytes");
    assert_eq!(a.digest, b.digest);
    assert!(a.history.len() >= 200, "{} events", a.history.len());
    let ok = a
        .history
        .events
        .iter()
        .filter(|e| e.kind == shakedown_checkers::EventType::Ok)
        .count();
    assert!(ok >= 90, "{ok} ops ok");
    let verdict = check(&a.history, &Register::new(Value::Int(0)), Budget::default());
    assert_eq!(verdict.outcome, Outcome::Valid, "{verdict:?}");
    // Another seed, another (still valid) history.
    let c = run_service(&register_config(8), Lab::default()).unwrap();
    assert_ne!(a.digest, c.digest);
}

fn lab(nodes: usize) -> ServiceCluster<Lab> {
    let config = SimConfig {
        seed: 3,
        nodes,
        clients: 0,
        duration_ms: 10_000,
        engine: engine(),
        ..SimConfig::default()
    };
    ServiceCluster::new(&config, Lab::default()).unwrap()
}

fn gauge(c: &ServiceCluster<Lab>, node: u32, name: &str) -> f64 {
    c.gauges(NodeId(node))
        .unwrap()
        .get(name)
        .copied()
        .unwrap_or(-1.0)
}

#[test]
fn a_partition_stops_tcp_traffic_across_it_and_heal_restores_it() {
    let mut c = lab(2);
    c.run_for(Duration::from_millis(200)).unwrap();
    let before = gauge(&c, 0, "pongs");
    assert!(before > 5.0, "{before} pongs before the partition");
    c.partition_groups(&[vec![NodeId(0)], vec![NodeId(1)]])
        .unwrap();
    c.run_for(Duration::from_millis(50)).unwrap();
    let cut = gauge(&c, 0, "pongs");
    c.run_for(Duration::from_millis(300)).unwrap();
    assert_eq!(gauge(&c, 0, "pongs"), cut, "no pong crosses the cut");
    c.heal();
    c.run_for(Duration::from_millis(300)).unwrap();
    assert!(gauge(&c, 0, "pongs") > cut + 5.0, "pongs resume after heal");
}

#[test]
fn a_pause_holds_traffic_and_resume_releases_it() {
    let mut c = lab(2);
    c.run_for(Duration::from_millis(200)).unwrap();
    c.pause(NodeId(1)).unwrap();
    c.run_for(Duration::from_millis(50)).unwrap();
    let paused = gauge(&c, 0, "pongs");
    c.run_for(Duration::from_millis(300)).unwrap();
    assert_eq!(
        gauge(&c, 0, "pongs"),
        paused,
        "a paused node answers nothing"
    );
    c.resume(NodeId(1)).unwrap();
    c.run_for(Duration::from_millis(300)).unwrap();
    assert!(gauge(&c, 0, "pongs") > paused + 5.0);
}

#[test]
fn a_crash_drops_memory_and_unsynced_writes_and_restart_serves_again() {
    let mut c = lab(2);
    c.run_for(Duration::from_millis(200)).unwrap();
    assert!(gauge(&c, 0, "pongs") > 5.0);
    c.crash(NodeId(0)).unwrap();
    let disk = c.disk(NodeId(0)).unwrap();
    assert!(disk.contains("synced-0"));
    assert!(!disk.contains("unsynced-0"), "unsynced write lost");
    assert_eq!(
        gauge(&c, 0, "pongs"),
        -1.0,
        "a crashed node reports nothing"
    );
    c.run_for(Duration::from_millis(100)).unwrap();
    c.restart(NodeId(0)).unwrap();
    c.run_for(Duration::from_millis(200)).unwrap();
    assert_eq!(gauge(&c, 0, "incarnation"), 1.0);
    let pongs = gauge(&c, 0, "pongs");
    // In-memory state started over: the count restarted from zero.
    assert!(pongs > 5.0 && pongs < 25.0, "{pongs}");
    assert!(c.disk(NodeId(0)).unwrap().contains("synced-1"));
}

#[test]
fn a_crashed_server_refuses_tcp_until_restarted() {
    let mut c = lab(2);
    c.run_for(Duration::from_millis(100)).unwrap();
    c.crash(NodeId(1)).unwrap();
    c.run_for(Duration::from_millis(50)).unwrap();
    let down = gauge(&c, 0, "pongs");
    c.run_for(Duration::from_millis(200)).unwrap();
    assert_eq!(gauge(&c, 0, "pongs"), down);
    c.restart(NodeId(1)).unwrap();
    c.run_for(Duration::from_millis(200)).unwrap();
    assert!(gauge(&c, 0, "pongs") > down + 5.0);
}

#[test]
fn a_clock_fault_moves_the_clock_the_service_reads() {
    let mut c = lab(2);
    c.run_for(Duration::from_millis(100)).unwrap();
    let before = gauge(&c, 0, "clock_ms");
    assert!((50.0..=150.0).contains(&before), "{before}");
    c.clock_bump(NodeId(0), 5_000_000_000).unwrap();
    c.run_for(Duration::from_millis(100)).unwrap();
    let after = gauge(&c, 0, "clock_ms");
    assert!(after >= before + 5_000.0, "{before} -> {after}");
    c.clock_drift(NodeId(0), 2.0).unwrap();
    c.run_for(Duration::from_millis(1000)).unwrap();
    let drifted = gauge(&c, 0, "clock_ms");
    assert!(drifted - after >= 1_900.0, "{after} -> {drifted}");
}

#[test]
fn a_panic_in_the_adapter_is_the_crashed_verdict() {
    let config = register_config(1);
    let err = run_service(
        &config,
        Lab {
            panic_on_write: true,
            ..Lab::default()
        },
    )
    .unwrap_err();
    match err {
        SimError::Crashed(run) => {
            assert!(run.panic.message.contains("adapter bug"), "{}", run.panic);
            assert!(run.panic.during.contains("client adapter"));
        }
        other => panic!("expected crashed, got {other}"),
    }
}

/// tokio catches a panic in a spawned task and drops the task; the run
/// must not carry on as if nothing happened.
#[test]
fn a_panic_in_a_task_the_service_spawned_is_the_crashed_verdict() {
    let config = SimConfig {
        nodes: 2,
        ..register_config(2)
    };
    let err = run_service(
        &config,
        Lab {
            panic_in_task: true,
            ..Lab::default()
        },
    )
    .unwrap_err();
    match err {
        SimError::Crashed(run) => {
            assert_eq!(run.panic.message, "bug in a spawned task");
            assert!(run.panic.during.contains("spawned"), "{}", run.panic);
            assert!(
                run.panic
                    .location
                    .as_deref()
                    .is_some_and(|l| l.contains("service.rs")),
                "{:?}",
                run.panic.location
            );
            let at_ms = run.panic.at_ns / 1_000_000;
            assert!((50..60).contains(&at_ms), "{at_ms} ms");
        }
        other => panic!("expected crashed, got {other}"),
    }
}

#[test]
fn duplication_is_refused_with_a_reason() {
    let mut c = lab(2);
    let err = c.packet_duplicate(NodeId(0), 0.5).unwrap_err().to_string();
    assert!(err.contains("at most once"), "{err}");
    let mut config = register_config(1);
    config.network.duplicate_rate = 0.1;
    let err = ServiceCluster::new(&config, Lab::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("duplicate_rate"), "{err}");
}

#[test]
fn scheduled_ops_are_logged_like_callback_models() {
    let mut config = register_config(2);
    config.nodes = 2;
    config.ops = vec![
        TimedOp {
            at_ms: 10,
            op: ControlOp::Crash(NodeId(1)),
        },
        TimedOp {
            at_ms: 50,
            op: ControlOp::Restart(NodeId(1)),
        },
    ];
    let r = run_service(&config, Lab::default()).unwrap();
    let fs: Vec<(&str, &str)> = r
        .nemesis_log
        .iter()
        .map(|e| (e.f.as_str(), e.phase.as_str()))
        .collect();
    assert_eq!(fs, vec![("crash", "start"), ("crash", "stop")]);
}
