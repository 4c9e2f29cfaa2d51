//! How fast the store simulates: wall time per run, client ops and
//! delivered messages per wall second, simulated time over wall time.
//!
//! `cargo bench -p shakedown-dynamo --bench runs` (use your own
//! `CARGO_TARGET_DIR` on a shared machine).

use shakedown_checkers::models::Kv;
use shakedown_checkers::{check, Budget, Value};
use shakedown_dynamo::{Dynamo, DynamoConfig, ReadRepair};
use shakedown_nemesis::{generate, GeneratorConfig, Package, SimDuration};
use shakedown_sim::{
    run, ControlOp, NodeId, OpKind, OpLimit, Pacing, SimConfig, TimedOp, Workload,
};
use std::time::Instant;

fn workload(keys: usize, ops_per_s: f64, duration_ms: u64) -> Workload {
    Workload {
        mix: vec![(OpKind::Read, 1), (OpKind::Write, 1)],
        keys: Some(keys),
        pacing: Pacing::Rate { ops_per_s },
        limit: OpLimit::DurationMs(duration_ms),
        ..Workload::default()
    }
}

fn measure(name: &str, seeds: u64, make: impl Fn(u64) -> (SimConfig, DynamoConfig)) {
    let (mut wall_run, mut wall_check, mut ops, mut msgs, mut sim_ns) =
        (0.0, 0.0, 0usize, 0u64, 0i64);
    for seed in 0..seeds {
        let (sim, config) = make(seed);
        let t = Instant::now();
        let record = run(&sim, Dynamo::new(config)).expect("runs");
        wall_run += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let verdict = check(&record.history, &Kv::new(Value::Nil), Budget::default());
        wall_check += t.elapsed().as_secs_f64();
        std::hint::black_box(verdict);
        ops += record.history.client_ops().map_or(0, |o| o.len());
        msgs += record.delivered;
        sim_ns += record.end_ns;
    }
    let n = seeds as f64;
    println!(
        "{name:<28} {seeds:>3} seeds  run {:>7.1} ms/seed  check {:>6.1} ms/seed  {:>8.0} ops/s  {:>9.0} msgs/s  sim/wall {:>6.1}x",
        wall_run / n * 1e3,
        wall_check / n * 1e3,
        ops as f64 / wall_run,
        msgs as f64 / wall_run,
        sim_ns as f64 / 1e9 / wall_run,
    );
}

fn main() {
    measure("hint-backlog (3 nodes, 14 s)", 10, |seed| {
        let ops = vec![
            TimedOp {
                at_ms: 1_000,
                op: ControlOp::PartitionGroups(vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2)]]),
            },
            TimedOp {
                at_ms: 6_000,
                op: ControlOp::Heal,
            },
        ];
        let sim = SimConfig {
            seed,
            nodes: 3,
            clients: 3,
            workload: workload(40, 60.0, 14_000),
            ops,
            ..SimConfig::default()
        };
        let config = DynamoConfig {
            read_quorum: 1,
            read_repair: ReadRepair::None,
            hint_replay_rate_per_s: 20.0,
            ..DynamoConfig::default()
        };
        (sim, config)
    });
    measure("quorum faults (5 nodes, 20 s)", 10, |seed| {
        let generator = GeneratorConfig {
            packages: vec![
                Package::Partition,
                Package::Kill,
                Package::Pause,
                Package::Packet,
            ],
            interval: SimDuration::from_secs(2),
            jitter: SimDuration::from_secs(1),
            recovery: SimDuration::from_secs(3),
            ..GeneratorConfig::default()
        };
        let g = generate(&generator, 5, SimDuration::from_secs(20), seed).expect("generates");
        let mut w = workload(5, 40.0, 20_000);
        w.final_reads_at_ms = Some(g.quiet_until.as_millis());
        let sim = SimConfig {
            seed,
            nodes: 5,
            clients: 5,
            workload: w,
            nemesis: Some(g.schedule),
            ..SimConfig::default()
        };
        (sim, DynamoConfig::default())
    });
    measure("busy (9 nodes, 500 ops/s)", 5, |seed| {
        let sim = SimConfig {
            seed,
            nodes: 9,
            clients: 30,
            workload: workload(100, 500.0, 20_000),
            ..SimConfig::default()
        };
        (sim, DynamoConfig::default())
    });
}
