//! The scenario files shipped under `scenarios/` meet their expectations.
//! Bug hunts run their whole sweep (it stops at the first invalid seed);
//! the `valid` scenarios run a prefix here and their whole sweep in the
//! ignored tests below and in CI's sharded sweep (`tests/sweep.rs`).

use shakedown::testing::{run_scenario_prefix_with, run_scenario_with};
use shakedown_cli::registry;

fn run_scenario(path: &str) {
    run_scenario_with(path, &registry());
}

fn run_scenario_prefix(path: &str, count: u64) {
    run_scenario_prefix_with(path, count, &registry());
}

shakedown::scenario_test!(
    raft_kv_stale_reads_are_found,
    "scenarios/raft-kv-stale-reads.toml",
    shakedown_cli::registry()
);
shakedown::scenario_test!(
    raft_kv_no_sync_loses_writes,
    "scenarios/raft-kv-no-sync.toml",
    shakedown_cli::registry()
);
shakedown::scenario_test!(
    raft_kv_lease_skew_is_found,
    "scenarios/raft-kv-lease-skew.toml",
    shakedown_cli::registry()
);
shakedown::scenario_test!(
    dynamo_hint_backlog_serves_stale_reads,
    "scenarios/dynamo-hint-backlog.toml",
    shakedown_cli::registry()
);
shakedown::scenario_test!(
    dynamo_sloppy_quorum_loses_writes,
    "scenarios/dynamo-sloppy-quorum.toml",
    shakedown_cli::registry()
);
shakedown::scenario_test!(
    dynamo_clock_skew_breaks_lww,
    "scenarios/dynamo-clock-skew.toml",
    shakedown_cli::registry()
);

#[test]
fn raft_kv_combined_first_seeds_are_linearizable() {
    run_scenario_prefix("scenarios/raft-kv-combined.toml", 4);
}

#[test]
fn dynamo_quorum_first_seeds_are_linearizable() {
    run_scenario_prefix("scenarios/dynamo-quorum.toml", 4);
}

#[test]
fn the_commented_example_first_seeds_are_linearizable() {
    run_scenario_prefix("scenarios/example.toml", 2);
}

#[test]
#[ignore = "the full 200-seed sweep: cargo test --release -p shakedown-cli --test shipped -- --ignored"]
fn raft_kv_combined_every_seed_is_linearizable() {
    run_scenario("scenarios/raft-kv-combined.toml");
}

#[test]
#[ignore = "the full sweep: cargo test --release -p shakedown-cli --test shipped -- --ignored"]
fn dynamo_quorum_every_seed_is_linearizable() {
    run_scenario("scenarios/dynamo-quorum.toml");
}

#[test]
fn a_shipped_scenario_replays_bit_for_bit() {
    let a = shakedown::testing::run_one_with("scenarios/raft-kv-combined.toml", 0x2a, &registry());
    let b = shakedown::testing::run_one_with("scenarios/raft-kv-combined.toml", 0x2a, &registry());
    let edn = |r: &shakedown::runner::FullRun| shakedown_checkers::edn::write_history(&r.history());
    assert_eq!(edn(&a), edn(&b));
    let (ra, rb) = (a.record.unwrap(), b.record.unwrap());
    assert_eq!(ra.digest, rb.digest);
    assert!(
        ra.history.len() > 100,
        "a real run: {} events",
        ra.history.len()
    );
    let c = shakedown::testing::run_one_with("scenarios/raft-kv-combined.toml", 0x2b, &registry());
    assert_ne!(ra.digest, c.record.unwrap().digest);
}
