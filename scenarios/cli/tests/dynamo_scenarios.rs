//! The dynamo model through scenario files: its own checks reach the user
//! with the file named, and its model faults written in a file reach the
//! nodes. (The shipped `scenarios/dynamo-*.toml` verdicts are in `shipped.rs`.)

use shakedown::models::Registry;
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

/// Model faults written in a scenario file reach the nodes with their
/// parameters: `hint-backlog` holds replay to `rate_per_s` for its
/// `duration`, then `model-stop` restores the configured rate;
/// `drop-hints` empties the store.
#[test]
fn model_faults_in_a_scenario_file_reach_the_nodes() {
    let dir = std::env::temp_dir().join(format!("dynamo-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("faults.toml");
    std::fs::write(
        &path,
        r#"
expect = "invalid"
seeds = 1
[cluster]
model = "dynamo"
nodes = 3
[cluster.settings]
read_quorum = 1
read_repair = "none"
hint_replay_rate_per_s = 50
[workload]
clients = 3
mix = { read = 1, write = 1 }
keys = 40
ops_per_s = 60.0
duration = "12s"
[[faults.timeline]]
at = "1s"
fault = "isolate"
target = 2
duration = "4s"
[[faults.timeline]]
at = "5s"
fault = "hint-backlog"
target = [0, 1]
rate_per_s = 4
duration = "3s"
[[faults.timeline]]
at = "5s"
fault = "drop-hints"
target = 2
[checker]
model = "kv"
"#,
    )
    .unwrap();
    let registry = registry();
    let scenario =
        shakedown::scenario::Scenario::load(&path, &registry).unwrap_or_else(|e| panic!("{e}"));
    let full = shakedown::runner::run_seed(&scenario, &registry, 0, None, false)
        .unwrap_or_else(|e| panic!("{e}"));
    let record = full.record.expect("a record");
    let at = |node: u32, name: &str, t_ms: i64| {
        record
            .metrics
            .gauge_series(shakedown_sim::NodeId(node), name)
            .into_iter()
            .rfind(|(t, _)| *t <= t_ms * 1_000_000)
            .map_or(f64::NAN, |p| p.1)
    };
    for node in 0..2 {
        assert_eq!(
            at(node, "hint_replay_rate_per_s", 4_900),
            50.0,
            "n{node} before"
        );
        assert_eq!(
            at(node, "hint_replay_rate_per_s", 6_000),
            4.0,
            "n{node} during"
        );
        assert_eq!(
            at(node, "hint_replay_rate_per_s", 8_500),
            50.0,
            "n{node} after model-stop"
        );
        let (start, end) = (
            at(node, "hint_queue_depth", 5_200),
            at(node, "hint_queue_depth", 7_800),
        );
        let replayed = start - end;
        assert!(
            (8.0..=11.5).contains(&replayed),
            "n{node} replayed {replayed} hints in 2.6 s at 4/s"
        );
    }
    assert!(
        at(2, "hints_lost", 5_500) > 0.0,
        "n2 held hints for its own info'd writes and lost them"
    );
    assert_eq!(at(2, "hint_queue_depth", 5_500), 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}
