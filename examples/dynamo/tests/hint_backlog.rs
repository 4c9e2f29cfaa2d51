//! The hint-backlog scenario, end to end: a replica is cut off while writes
//! continue, hints pile up at the coordinators, and after the heal they
//! drain at the configured replay rate. Reads at R=1 served by the stale
//! replica during the drain return old values: the history is not
//! linearizable, and the checker says so.

mod common;

use common::*;
use shakedown_dynamo::{DynamoConfig, ReadRepair};
use shakedown_sim::RunRecord;

const NODES: usize = 3;
const PARTITION_MS: (u64, u64) = (1_000, 6_000);
const REPLAY_RATE_PER_S: f64 = 20.0;

fn config(rate: f64) -> DynamoConfig {
    DynamoConfig {
        replication_factor: 3,
        read_quorum: 1,
        write_quorum: 2,
        read_repair: ReadRepair::None,
        sloppy_quorum: false,
        hint_replay_rate_per_s: rate,
        ..DynamoConfig::default()
    }
}

fn backlog_run(seed: u64, rate: f64) -> RunRecord {
    let sim = sim(
        seed,
        NODES,
        3,
        workload(40, 60.0, 14_000),
        isolate(NODES, 2, PARTITION_MS.0, PARTITION_MS.1),
    );
    run_dynamo(&sim, config(rate))
}

#[test]
fn hints_pile_up_then_drain_at_the_replay_rate_and_stale_reads_are_found() {
    let record = backlog_run(1, REPLAY_RATE_PER_S);
    let heal_ms = PARTITION_MS.1 as f64;

    // The rise: nothing before the partition, a backlog at the heal.
    for node in 0..2 {
        let depth = gauge(&record, node, "hint_queue_depth");
        let before = depth
            .iter()
            .filter(|(t, _)| *t < PARTITION_MS.0 as f64)
            .map(|p| p.1)
            .fold(0.0, f64::max);
        let at_heal = depth
            .iter()
            .rfind(|(t, _)| *t <= heal_ms)
            .map_or(0.0, |p| p.1);
        let peak = depth.iter().map(|p| p.1).fold(0.0, f64::max);
        let end = depth.last().map_or(-1.0, |p| p.1);
        eprintln!("n{node}: before {before}, at heal {at_heal}, peak {peak}, end {end}");
        assert_eq!(before, 0.0, "n{node} held hints before the partition");
        assert!(
            at_heal >= 30.0,
            "n{node} built only {at_heal} hints during the partition"
        );
        assert_eq!(end, 0.0, "n{node} did not drain its hints by the end");
        // The drain: each coordinator replays at the configured rate.
        let slope =
            slope_per_s(&depth, heal_ms, 0.1 * peak, 0.9 * peak).expect("enough drain samples");
        eprintln!("n{node}: drain slope {slope:.2}/s");
        assert!(
            (slope + REPLAY_RATE_PER_S).abs() <= 0.1 * REPLAY_RATE_PER_S,
            "n{node} drained at {slope:.2} hints/s, configured -{REPLAY_RATE_PER_S}"
        );
        let written = gauge(&record, node, "hints_written")
            .last()
            .map_or(0.0, |p| p.1);
        let replayed = gauge(&record, node, "hints_replayed")
            .last()
            .map_or(0.0, |p| p.1);
        assert_eq!(
            written, replayed,
            "n{node}: every hint written was replayed"
        );
    }

    // Stale reads while the backlog drains, and the checker finds them.
    let stale = definite_stale_reads(&record.history);
    let during_drain = stale
        .iter()
        .filter(|(t, _)| (*t as f64) / 1e6 > heal_ms + 200.0)
        .count();
    eprintln!(
        "stale reads: {} in all, {during_drain} after the heal",
        stale.len()
    );
    assert!(during_drain > 0, "no stale read after the heal");
    let v = verdict(&record);
    assert!(invalid(&v), "expected invalid, got {:?}", v.outcome);
}

#[test]
fn fast_replay_leaves_fewer_stale_reads_after_the_heal() {
    let heal_ns = (PARTITION_MS.1 as i64 + 200) * 1_000_000;
    let count = |rate| {
        let record = backlog_run(1, rate);
        definite_stale_reads(&record.history)
            .iter()
            .filter(|(t, _)| *t > heal_ns)
            .count()
    };
    let slow = count(REPLAY_RATE_PER_S);
    let fast = count(10_000.0);
    eprintln!("stale reads after the heal: throttled {slow}, unthrottled {fast}");
    assert!(slow > fast, "throttled replay {slow} vs unthrottled {fast}");
}
