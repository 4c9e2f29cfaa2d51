//! The scenario file format: the commented example parses, and bad files
//! get errors with file, line, column and a fix, never a panic.

use shakedown::scenario::{Expect, Scenario};
use std::path::Path;

fn parse(text: &str) -> Result<Scenario, String> {
    Scenario::parse(Path::new("bad.toml"), text, &shakedown_cli::registry())
        .map_err(|e| e.to_string())
}

const MINIMAL: &str = r#"
expect = "valid"

[cluster]
model = "primary-backup"
nodes = 3
"#;

#[test]
fn the_commented_example_parses_and_plans() {
    let path = concat!(concat!(env!("CARGO_MANIFEST_DIR"), "/.."), "/example.toml");
    let s = Scenario::load(path, &shakedown_cli::registry()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "example");
    assert_eq!(s.expect(), Expect::Valid);
    assert_eq!(s.seeds().len(), 8);
    let config = shakedown::plan::sim_config(&s, 3).unwrap();
    assert_eq!(config.nodes, 3);
    assert_eq!(config.clients, 3);
    let schedule = config.nemesis.unwrap();
    // Two explicit events plus generated ones ending in the final heal.
    assert!(schedule.events.len() > 2);
    assert!(config.workload.final_reads_at_ms.is_some());
}

#[test]
fn a_minimal_file_gets_defaults() {
    let s = parse(MINIMAL).unwrap();
    assert_eq!(s.seeds().to_vec(), (0..10).collect::<Vec<u64>>());
    let c = shakedown::plan::sim_config(&s, 1).unwrap();
    assert_eq!(c.clients, 3);
    assert!(c.nemesis.is_none());
    assert_eq!(c.duration_ms, 60_000);
}

fn assert_error(text: &str, position: &str, needles: &[&str]) {
    let err = parse(text).expect_err("should be rejected");
    assert!(
        err.starts_with(&format!("error: bad.toml:{position}")),
        "expected position {position}:\n{err}"
    );
    for n in needles {
        assert!(err.contains(n), "expected `{n}` in:\n{err}");
    }
}

#[test]
fn unknown_keys_get_did_you_mean_with_their_position() {
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodse = 3\n",
        "4:1",
        &["unknown field `nodse`", "did you mean `nodes`?"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[workload]\nclinets = 2\n",
        "6:1",
        &["did you mean `clients`?"],
    );
    assert_error(
        "expect = \"vaild\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n",
        "1:10",
        &["did you mean `valid`?"],
    );
}

#[test]
fn unknown_models_and_settings_are_named() {
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"primary-bakcup\"\nnodes = 3\n",
        "3:9",
        &["unknown cluster model", "did you mean `primary-backup`?"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[cluster.settings]\nsync_write = false\n",
        "6:1",
        &["unknown field `sync_write`", "did you mean `sync_writes`?"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"primary-backup\"\nnodes = 3\nsettings = { retransmit_ms = 0 }\n",
        "5:",
        &["retransmit_ms"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[checker]\nmodel = \"cas-regster\"\n",
        "6:9",
        &["did you mean `cas-register`?"],
    );
}

#[test]
fn contradictions_are_errors() {
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 0\n",
        "4:9",
        &["at least 1 node"],
    );
    if !cfg!(madsim) {
        assert_error(
            "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\nengine = \"madsim\"\n",
            "5:10",
            &["not built in this binary", "--cfg madsim"],
        );
    }
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\nengine = \"discrte\"\n",
        "5:10",
        &["did you mean `discrete`?"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[limits]\nhistory_events_max = 100000001\n",
        "6:22",
        &["at most 100000000"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[limits]\nmessages_delivered_max = 0\n",
        "6:26",
        &["`messages_delivered_max` is 0"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[limits]\nwall_time = \"1 fortnight\"\n",
        "6:",
        &["wall_time"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[workload]\nops = 5\nduration = \"3s\"\n",
        "7:12",
        &["give one of them"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 3\n[[faults.timeline]]\nat = \"1s\"\nfault = \"crash\"\ntarget = 7\n",
        "5:1",
        &["event 0", "crash"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 3\n[[faults.timeline]]\nat = \"-1s\"\nfault = \"crash\"\n",
        "6:",
        &["negative"],
    );
    assert_error(
        "expect = \"valid\"\nseeds = \"9..3\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n",
        "2:9",
        &["empty"],
    );
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\n[checker]\ninitial = \"{:x\"\n",
        "6:11",
        &["not EDN"],
    );
}

#[test]
fn broken_toml_names_its_position() {
    assert_error("expect = \"valid\"\n[cluster\n", "2:", &[]);
    assert_error("expect = \n", "1:", &[]);
    let err = parse("").unwrap_err();
    assert!(err.contains("missing field `expect`"), "{err}");
}

#[test]
fn the_models_own_checks_apply() {
    // R > N in the Dynamo example: its validate() says so, at the settings.
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"dynamo\"\nnodes = 5\n[cluster.settings]\nreplication_factor = 3\nread_quorum = 4\n",
        "7:1",
        &["[cluster.settings] of model `dynamo`", "read_quorum"],
    );
    // N > nodes.
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"dynamo\"\nnodes = 2\n[cluster.settings]\nreplication_factor = 3\n",
        "6:1",
        &["replication_factor (N) = 3"],
    );
    // A typo in raft-kv's settings.
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"raft-kv\"\nnodes = 3\n[cluster.settings]\nstale_read = true\n",
        "6:1",
        &["did you mean `stale_reads`?"],
    );
    // A model fault the model does not have, in the timeline.
    assert_error(
        "expect = \"valid\"\n[cluster]\nmodel = \"raft-kv\"\nnodes = 3\n[[faults.timeline]]\nat = \"1s\"\nfault = \"hint-backlog\"\n",
        "5:1",
        &["hint-backlog"],
    );
}
