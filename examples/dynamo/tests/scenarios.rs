//! The shipped `scenarios/dynamo-*.toml` files reach the verdicts they
//! state, through the same runner as `shakedown run` and `cargo test`.

use shakedown::models::Registry;
use shakedown::testing::run_scenario_with;
use shakedown_dynamo::{Dynamo, DynamoConfig};

/// The built-in models plus this one (registered here too, so these tests
/// do not depend on the registry's wiring).
fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register(
        "dynamo",
        "leaderless Dynamo/Cassandra-style store: ring, R/W quorums, hinted handoff, LWW",
        |c: DynamoConfig| Dynamo::new(c),
    );
    r
}

#[test]
fn dynamo_hint_backlog_is_found() {
    run_scenario_with("scenarios/dynamo-hint-backlog.toml", &registry());
}

#[test]
fn dynamo_quorum_stays_linearizable() {
    run_scenario_with("scenarios/dynamo-quorum.toml", &registry());
}

#[test]
fn dynamo_sloppy_quorum_is_found() {
    run_scenario_with("scenarios/dynamo-sloppy-quorum.toml", &registry());
}

#[test]
fn dynamo_clock_skew_is_found() {
    run_scenario_with("scenarios/dynamo-clock-skew.toml", &registry());
}

#[test]
fn contradictory_settings_are_refused_with_the_file_named() {
    let dir = std::env::temp_dir().join(format!("dynamo-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "expect = \"valid\"\n[cluster]\nmodel = \"dynamo\"\nnodes = 3\n[cluster.settings]\nreplication_factor = 3\nread_quorum = 4\n",
    )
    .unwrap();
    let err = shakedown::testing::try_run_scenario(&path, &registry()).unwrap_err();
    assert!(err.contains("bad.toml"), "{err}");
    assert!(
        err.contains("read_quorum (R) = 4 is larger than replication_factor (N) = 3"),
        "{err}"
    );
    std::fs::write(&path, "expect = \"valid\"\n[cluster]\nmodel = \"dynamo\"\nnodes = 3\n[cluster.settings]\nread_quorom = 2\n").unwrap();
    let err = shakedown::testing::try_run_scenario(&path, &registry()).unwrap_err();
    assert!(err.contains("read_quorom"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
