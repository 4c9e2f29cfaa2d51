//! What R + W > N does and does not buy, end to end.
//!
//! The claim (also in the README):
//!
//! 1. **Strict quorums with blocking read repair are linearizable** per key
//!    when clocks agree: R + W > N, `sloppy_quorum = false`,
//!    `read_repair = "blocking"`, no clock faults. Every read quorum meets
//!    every write quorum on the key's preference list, last-write-wins
//!    orders non-overlapping writes by real time (the coordinator stamps a
//!    write after its invocation, and a write that starts after another
//!    completed is stamped later), and a read writes its answer back to W
//!    replicas before answering, so no later read can see anything older
//!    (ABD's write-back). Partitions, crashes, pauses and packet faults cost
//!    availability (`fail`/`info`), not consistency.
//! 2. **Sloppy quorums void the overlap**: the W acknowledgements may come
//!    from fallback nodes outside the preference list, so a read quorum
//!    drawn from the preference list can miss an acknowledged write.
//! 3. **Clock skew voids last-write-wins**: a coordinator whose clock runs
//!    behind stamps a newer write older; replicas keep the older value and
//!    the acknowledged write is lost, however large R and W are.
//! 4. **Without blocking read repair, R + W > N is not linearizable either**:
//!    a read may see a write still in progress on one replica, and a later
//!    read a quorum that it has not reached yet (new, then old).

mod common;

use common::*;
use shakedown_checkers::{Completion, Outcome};
use shakedown_dynamo::{DynamoConfig, ReadRepair};
use shakedown_nemesis::{generate, GeneratorConfig, Package, SimDuration};
use shakedown_sim::{ControlOp, Latency, LinkConfig, RunRecord, SimConfig, TimedOp};

const NODES: usize = 5;

fn strict() -> DynamoConfig {
    DynamoConfig {
        replication_factor: 3,
        read_quorum: 2,
        write_quorum: 2,
        sloppy_quorum: false,
        read_repair: ReadRepair::Blocking,
        ..DynamoConfig::default()
    }
}

/// A run under generated faults from `packages` (20 s of faults, then a
/// healed recovery window and a final read of every key).
fn faulty_run(seed: u64, packages: &[Package], config: DynamoConfig) -> RunRecord {
    #[derive(serde::Deserialize)]
    struct ModelFaults {
        model_faults: Vec<shakedown_nemesis::Fault>,
    }
    let model: ModelFaults = toml::from_str(
        r#"model_faults = [
            { fault = "hint-backlog", rate_per_s = 0, target = "all" },
            { fault = "drop-hints", target = "one" },
        ]"#,
    )
    .expect("model faults parse");
    let generator = GeneratorConfig {
        packages: packages.to_vec(),
        model_faults: model.model_faults,
        interval: SimDuration::from_secs(2),
        jitter: SimDuration::from_secs(1),
        recovery: SimDuration::from_secs(3),
        ..GeneratorConfig::default()
    };
    let g =
        generate(&generator, NODES, SimDuration::from_secs(20), seed).expect("schedule generates");
    let mut w = workload(5, 40.0, 20_000);
    w.final_reads_at_ms = Some(g.quiet_until.as_millis());
    let sim = SimConfig {
        nemesis: Some(g.schedule),
        ..sim(seed, NODES, 5, w, Vec::new())
    };
    run_dynamo(&sim, config)
}

fn outcomes(record: &RunRecord) -> (usize, usize) {
    let ops = record.history.client_ops().expect("pairs");
    let ok = ops
        .iter()
        .filter(|o| o.completion == Completion::Ok)
        .count();
    (ok, ops.len() - ok)
}

#[test]
fn strict_quorums_with_blocking_read_repair_stay_linearizable_under_faults() {
    let packages = [
        Package::Partition,
        Package::Kill,
        Package::Pause,
        Package::Packet,
        Package::Model,
    ];
    let mut unavailable = 0;
    let mut model_faults = std::collections::BTreeSet::new();
    for seed in 0..6 {
        let record = faulty_run(seed, &packages, strict());
        for e in &record.nemesis_log {
            if e.outcome == "ok" && (e.f == "hint-backlog" || e.f == "drop-hints") {
                model_faults.insert(e.f.clone());
            }
        }
        let v = verdict(&record);
        let (ok, not_ok) = outcomes(&record);
        eprintln!("seed {seed}: {:?}, {ok} ok, {not_ok} fail/info", v.outcome);
        assert_eq!(
            v.outcome,
            Outcome::Valid,
            "seed {seed}: {:?}",
            v.counterexample
        );
        assert!(ok > 150, "seed {seed}: only {ok} ops succeeded");
        unavailable += not_ok;
    }
    assert_eq!(
        model_faults.len(),
        2,
        "both model faults ran: {model_faults:?}"
    );
    // Not vacuous: the faults cost availability.
    assert!(
        unavailable > 0,
        "no op failed or timed out: the faults did nothing"
    );
}

/// The same claim over 200 seeds (about a minute in release mode):
/// `cargo test -p shakedown-dynamo --release --test quorum -- --ignored`.
#[test]
#[ignore]
fn strict_quorum_sweep_200_seeds() {
    let packages = [
        Package::Partition,
        Package::Kill,
        Package::Pause,
        Package::Packet,
        Package::Model,
    ];
    let seeds = shakedown_sim::seeds(0..200).expect("SHAKEDOWN_SEED parses");
    for seed in seeds {
        let record = faulty_run(seed, &packages, strict());
        let v = verdict(&record);
        assert_eq!(
            v.outcome,
            Outcome::Valid,
            "{}: {:?}",
            shakedown_sim::replay_hint(seed, "strict_quorum_sweep_200_seeds"),
            v.counterexample
        );
    }
}

#[test]
fn sloppy_quorums_lose_the_overlap_and_stale_reads_are_found() {
    let config = DynamoConfig {
        sloppy_quorum: true,
        ..strict()
    };
    let found = (0..10).find(|seed| {
        invalid(&verdict(&faulty_run(
            *seed,
            &[Package::Partition],
            config.clone(),
        )))
    });
    eprintln!("sloppy: first invalid seed {found:?}");
    let seed = found.expect("a sloppy quorum let a stale read through within 10 seeds");
    // The same seed with strict quorums is fine: the sloppiness did it.
    let record = faulty_run(seed, &[Package::Partition], strict());
    assert_eq!(verdict(&record).outcome, Outcome::Valid);
}

#[test]
fn clock_skew_loses_acknowledged_writes_even_with_strict_quorums() {
    // n0's clock jumps 2 s back at t = 3 s: every write it coordinates
    // after that loses to the writes of the last 2 s.
    let ops = vec![TimedOp {
        at_ms: 3_000,
        op: ControlOp::ClockBump {
            node: n(0),
            delta_ns: -2_000_000_000,
        },
    }];
    let found = (0..5).find(|seed| {
        let record = run_dynamo(
            &sim(*seed, NODES, 5, workload(3, 60.0, 8_000), ops.clone()),
            strict(),
        );
        invalid(&verdict(&record))
    });
    eprintln!("clock skew: first invalid seed {found:?}");
    assert!(
        found.is_some(),
        "a lost write after a clock bump was not found in 5 seeds"
    );
}

#[test]
fn without_blocking_read_repair_new_then_old_reads_happen() {
    // One hot key, many clients, slow and jittery links: reads often land
    // while a write is on one replica but not yet on a quorum.
    let config = DynamoConfig {
        read_repair: ReadRepair::None,
        ..strict()
    };
    let found = (0..10).find(|seed| {
        let mut w = workload(1, 200.0, 10_000);
        w.timeout_ms = 2_000;
        let sim = SimConfig {
            network: LinkConfig {
                latency: Latency::uniform_ms(1, 40),
                ..LinkConfig::default()
            },
            ..sim(*seed, 3, 10, w, Vec::new())
        };
        invalid(&verdict(&run_dynamo(&sim, config.clone())))
    });
    eprintln!("no read repair: first invalid seed {found:?}");
    assert!(found.is_some(), "no new-then-old read in 10 seeds");
}
