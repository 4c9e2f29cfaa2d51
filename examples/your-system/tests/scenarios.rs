//! Your scenario files in `cargo test`: one line each. A failing seed
//! panics with the seed, the verdict, the report's path and the commands
//! that replay it (`SHAKEDOWN_SEED=0x.. cargo test NAME`, or the binary).

shakedown::scenario_test!(
    quorum_reads_are_linearizable,
    "scenarios/quorum.toml",
    your_system::registry()
);

shakedown::scenario_test!(
    fast_reads_serve_stale_values,
    "scenarios/fast-reads.toml",
    your_system::registry()
);

/// Your own assertions on one run: the whole history and record.
#[test]
fn a_write_is_read_back() {
    let run = shakedown::testing::run_one_with("scenarios/quorum.toml", 0, &your_system::registry());
    let history = run.history();
    let ok_reads = history
        .events
        .iter()
        .filter(|e| e.f == "read" && e.kind == shakedown_checkers::EventType::Ok)
        .count();
    assert!(ok_reads > 10, "{ok_reads} reads answered");
}
