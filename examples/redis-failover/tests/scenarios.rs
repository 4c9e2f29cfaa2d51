//! The failover store through the user-crate path: registered with
//! `register_service`, run by scenario files like any callback model.

shakedown::scenario_test!(
    an_isolated_primary_loses_acknowledged_writes,
    "scenarios/partitioned-primary.toml",
    shakedown_redis_failover::registry()
);

/// Same seed twice: byte-identical history (the runner's determinism check
/// compares the first seeds step by step too).
#[test]
fn same_seed_same_history_bytes() {
    let registry = shakedown_redis_failover::registry();
    let a = shakedown::testing::run_one_with("scenarios/partitioned-primary.toml", 3, &registry);
    let b = shakedown::testing::run_one_with("scenarios/partitioned-primary.toml", 3, &registry);
    let (ha, hb) = (a.history(), b.history());
    assert_eq!(
        shakedown_checkers::edn::write_history(&ha),
        shakedown_checkers::edn::write_history(&hb)
    );
    assert!(ha.events.len() > 100, "{} events", ha.events.len());
}

/// A scenario that asks an async service for packet duplication is refused
/// with the file, line and column.
#[test]
fn duplication_in_a_scenario_is_refused_at_its_line() {
    let dir = std::env::temp_dir().join("redis-failover-dup");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dup.toml");
    let text = std::fs::read_to_string("scenarios/partitioned-primary.toml")
        .unwrap()
        .replace(
            "[checker]",
            "[[faults.timeline]]\nat = \"2s\"\nfault = \"packet-duplicate\"\ntarget = \"all\"\nrate = 0.5\n\n[checker]",
        );
    std::fs::write(&path, text).unwrap();
    let err = shakedown::scenario::Scenario::load(&path, &shakedown_redis_failover::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("dup.toml:"), "{err}");
    assert!(
        err.contains("packet-duplicate` cannot act on model `redis-failover`"),
        "{err}"
    );
}
