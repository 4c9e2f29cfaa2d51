//! Seed-sweep throughput of the Raft KV model: simulated runs per second,
//! client ops per second, messages per op, and the checker's share.
//!
//! `cargo bench -p shakedown-raft-kv --bench sweep` (or with
//! `CARGO_TARGET_DIR=/work/target-<you>` to stay off the shared build lock).
//! `RAFT_KV_BENCH_SEEDS=N` changes the number of seeds (default 50).

use shakedown_checkers::models::Kv;
use shakedown_checkers::{check, Budget, Outcome, Value};
use shakedown_nemesis::{generate, GeneratorConfig, SimDuration};
use shakedown_raft_kv::RaftKv;
use shakedown_sim::{run, LinkConfig, OpKind, OpLimit, Pacing, SimConfig, Workload};
use std::time::{Duration, Instant};

fn config(seed: u64) -> SimConfig {
    let generator = GeneratorConfig {
        interval: SimDuration::from_millis(700),
        jitter: SimDuration::from_millis(300),
        recovery: SimDuration::from_millis(1500),
        clock_offset_ms_max: 3_000,
        ..GeneratorConfig::default()
    };
    let generated =
        generate(&generator, 3, SimDuration::from_secs(6), seed).expect("schedule generates");
    SimConfig {
        seed,
        nodes: 3,
        clients: 6,
        workload: Workload {
            mix: vec![(OpKind::Read, 2), (OpKind::Write, 2), (OpKind::Cas, 1)],
            keys: Some(4),
            pacing: Pacing::Rate { ops_per_s: 150.0 },
            limit: OpLimit::DurationMs(6_000),
            timeout_ms: 500,
            final_reads_at_ms: Some(generated.quiet_until.as_millis()),
            ..Workload::default()
        },
        network: LinkConfig {
            loss_rate: 0.01,
            duplicate_rate: 0.01,
            ..LinkConfig::default()
        },
        duration_ms: generated.quiet_until.as_millis() + 5_000,
        nemesis: Some(generated.schedule),
        ..SimConfig::default()
    }
}

fn main() {
    let seeds: u64 = std::env::var("RAFT_KV_BENCH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let mut sim = Duration::ZERO;
    let mut checking = Duration::ZERO;
    let (mut ops, mut delivered, mut sim_ns) = (0u64, 0u64, 0i64);
    for seed in 0..seeds {
        let started = Instant::now();
        let record = run(&config(seed), RaftKv::default()).expect("runs");
        sim += started.elapsed();
        let started = Instant::now();
        let verdict = check(&record.history, &Kv::new(Value::Nil), Budget::default());
        checking += started.elapsed();
        assert_eq!(verdict.outcome, Outcome::Valid, "seed {seed}");
        ops += (record.history.events.len() / 2) as u64;
        delivered += record.delivered;
        sim_ns += record.end_ns;
    }
    let wall = (sim + checking).as_secs_f64();
    println!("raft-kv sweep: {seeds} seeds of combined faults (3 nodes, 6 clients, 150 ops/s, 6 s of faults)");
    println!(
        "  wall: {wall:.2} s ({:.1} seeds/s); simulation {:.2} s, checking {:.2} s",
        seeds as f64 / wall,
        sim.as_secs_f64(),
        checking.as_secs_f64()
    );
    println!(
        "  ops: {ops} ({:.0} ops/s wall); simulated {:.0} s ({:.0}x wall)",
        ops as f64 / wall,
        sim_ns as f64 / 1e9,
        sim_ns as f64 / 1e9 / wall
    );
    println!(
        "  messages delivered: {delivered} ({:.1} per op)",
        delivered as f64 / ops as f64
    );
}
