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

/// `scenarios/partitioned-primary.toml` with `edit` applied, written as
/// `name` in a scratch directory of this test binary; its path and text.
fn variant(name: &str, edit: impl FnOnce(String) -> String) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join("redis-failover-variants");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let text = edit(std::fs::read_to_string("scenarios/partitioned-primary.toml").unwrap());
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// `text` with one more timeline fault (TOML lines) before `[checker]`.
fn with_fault(text: String, fault: &str) -> String {
    text.replace(
        "[checker]",
        &format!("[[faults.timeline]]\nat = \"2s\"\n{fault}\n\n[checker]"),
    )
}

/// A scenario that asks an async service for packet duplication is refused
/// with the file, line and column.
#[test]
fn duplication_in_a_scenario_is_refused_at_its_line() {
    let (path, _) = variant("dup.toml", |t| {
        with_fault(
            t,
            "fault = \"packet-duplicate\"\ntarget = \"all\"\nrate = 0.5",
        )
    });
    let err = shakedown::scenario::Scenario::load(&path, &shakedown_redis_failover::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("dup.toml:"), "{err}");
    assert!(
        err.contains("packet-duplicate` cannot act on model `redis-failover`"),
        "{err}"
    );
}

// Raising `min_replicas_to_write` narrows the window; it cannot close it.
shakedown::scenario_test!(
    min_replicas_narrows_the_window_but_writes_are_still_lost,
    "scenarios/min-replicas.toml",
    shakedown_redis_failover::registry()
);

// Jepsen's set test: the adds the isolated primary acknowledged are lost.
shakedown::scenario_test!(
    an_isolated_primary_loses_acknowledged_adds,
    "scenarios/lost-adds.toml",
    shakedown_redis_failover::registry()
);

/// The run names the adds the failover lost, and every one of them was
/// acknowledged by the isolated primary.
#[test]
fn the_lost_adds_are_named_and_were_acknowledged_by_the_isolated_primary() {
    let registry = shakedown_redis_failover::registry();
    let run = shakedown::testing::run_one_with("scenarios/lost-adds.toml", 0, &registry);
    assert_eq!(
        run.summary.verdict.outcome,
        shakedown_checkers::Outcome::Invalid
    );
    let line = run.summary.lost_writes.clone().expect("a lost-writes line");
    assert!(line.contains("acknowledged adds lost"), "{line}");
    let history = run.history();
    let lost =
        shakedown::report::lost::LostWrites::of(&history, "set", None).expect("a set history");
    let nodes: std::collections::BTreeSet<String> = lost
        .for_good()
        .map(|l| {
            let op = &lost.ops[l.write];
            let done = &history.events[op.complete_index.expect("acknowledged")];
            done.extra_field("node")
                .expect("served by a node")
                .to_string()
        })
        .collect();
    assert!(lost.for_good().count() >= 10, "{line}");
    assert_eq!(nodes, ["\"n0\"".to_owned()].into(), "{line}");
    // The report lists them.
    let input =
        shakedown::report::ReportInput::new("lost-adds", &history, &run.summary.verdict, "set");
    let html = shakedown::report::render_html(&input).expect("a report");
    assert!(html.contains(r#"<section id="lost-writes">"#));
    assert!(html.contains(&format!(
        r#"<strong id="lost-count">{}</strong>"#,
        lost.for_good().count()
    )));
}

/// A service runs on turmoil when its scenario names no engine; asking it
/// for the discrete engine (which runs callback models) is refused with
/// the file, line and column, and so is `--engine discrete`.
#[test]
fn a_service_runs_on_turmoil_and_refuses_the_discrete_engine() {
    let registry = shakedown_redis_failover::registry();
    let scenario =
        shakedown::scenario::Scenario::load("scenarios/partitioned-primary.toml", &registry)
            .unwrap();
    assert_eq!(
        scenario.engine(),
        shakedown::scenario::Engine::service_default()
    );
    let mut overridden = scenario.clone();
    let err = overridden
        .set_engine(shakedown::scenario::Engine::Discrete, &registry)
        .unwrap_err();
    assert!(err.contains("async service"), "{err}");

    let (path, text) = variant("discrete.toml", |t| {
        t.replacen("[cluster]\n", "[cluster]\nengine = \"discrete\"\n", 1)
    });
    let line = text
        .lines()
        .position(|l| l.starts_with("engine = "))
        .unwrap()
        + 1;
    let err = shakedown::scenario::Scenario::load(&path, &registry)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("discrete.toml:{line}:10")), "{err}");
    assert!(err.contains("runs on turmoil"), "{err}");
}

/// Every scenario of this crate gives its expected verdict on its engine:
/// turmoil in a normal build, madsim in a `--cfg madsim` build (one source:
/// this crate's `tokio` is madsim's shim, its sockets chosen by cfg). Prints a row per
/// engine (`-- --nocapture`): scenario, engine, verdict, seeds, simulated
/// over wall time. On madsim the same seed also gives identical bytes.
#[test]
fn every_scenario_gives_its_verdict_on_every_engine() {
    use shakedown::runner::{self, ArtifactsMode, Progress, SweepOptions};
    use shakedown::scenario::{Engine, Scenario};
    let registry = shakedown_redis_failover::registry();
    // This crate's sockets and timers are turmoil's in a normal build and
    // madsim's in a madsim build: each build runs it on its engine.
    let engines = [Engine::service_default()];
    for path in [
        "scenarios/partitioned-primary.toml",
        "scenarios/lost-adds.toml",
        "scenarios/min-replicas.toml",
    ] {
        for &engine in &engines {
            let mut scenario = Scenario::load(path, &registry).unwrap();
            scenario.set_engine(engine, &registry).unwrap();
            let options = SweepOptions {
                artifacts: ArtifactsMode::None,
                progress: Progress::Quiet,
                ..SweepOptions::default()
            };
            let sweep = runner::sweep(&scenario, &registry, &options).unwrap();
            let wall = sweep.wall.as_secs_f64().max(1e-9);
            let verdict = match sweep.first_invalid() {
                Some(r) => format!("invalid at {:#x}", r.seed),
                None => sweep.counts_line(),
            };
            println!(
                "{path:<38} {:<8} {verdict:<16} {:>2} seeds {:>7.1}x sim/wall ({})",
                engine.name(),
                sweep.runs.len(),
                sweep.sim_time().as_secs_f64() / wall,
                sweep.status().describe()
            );
            assert_eq!(
                sweep.status(),
                runner::Status::Met,
                "{path} on {}: {}",
                engine.name(),
                sweep.summary()
            );
        }
    }
}

/// On madsim too, the same seed gives the same bytes.
#[cfg(madsim)]
#[test]
fn same_seed_same_history_bytes_on_madsim() {
    use shakedown::scenario::{Engine, Scenario};
    let registry = shakedown_redis_failover::registry();
    let history = || {
        let mut scenario = Scenario::load("scenarios/partitioned-primary.toml", &registry).unwrap();
        scenario.set_engine(Engine::Madsim, &registry).unwrap();
        let run = shakedown::runner::run_seed(&scenario, &registry, 3, None, false).unwrap();
        shakedown_checkers::edn::write_history(&run.history())
    };
    let (a, b) = (history(), history());
    assert!(a.lines().count() > 100);
    assert_eq!(a, b);
}

/// On madsim (its network has one latency range for every link), a
/// scenario that asks for per-link delay is refused at its line.
#[cfg(madsim)]
#[test]
fn per_link_delay_on_madsim_is_refused_at_its_line() {
    let (path, _) = variant("delay.toml", |t| {
        with_fault(
            t,
            "fault = \"packet-delay\"\ntarget = \"all\"\nlatency_ms = 5",
        )
    });
    let err = shakedown::scenario::Scenario::load(&path, &shakedown_redis_failover::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("delay.toml:"), "{err}");
    assert!(err.contains("one latency range"), "{err}");
}

/// On madsim, the generated `packet` package is refused at its table, and
/// switching a turmoil file with per-link delay to madsim (`--engine
/// madsim`) is refused with the fault's line and column.
#[cfg(madsim)]
#[test]
fn per_link_faults_are_refused_on_madsim_from_the_file_and_from_the_flag() {
    use shakedown::scenario::{Engine, Scenario};
    let registry = shakedown_redis_failover::registry();
    let (generated, _) = variant("generated.toml", |t| {
        t.replace(
            "[checker]",
            "[faults.generate]\npackages = [\"partition\", \"packet\"]\n\n[checker]",
        )
    });
    let err = Scenario::load(&generated, &registry)
        .unwrap_err()
        .to_string();
    assert!(err.contains("generated.toml:"), "{err}");
    assert!(err.contains("`packet` package"), "{err}");

    let (on_turmoil, text) = variant("on-turmoil.toml", |t| {
        let t = t.replacen("[cluster]\n", "[cluster]\nengine = \"turmoil\"\n", 1);
        with_fault(t, "fault = \"packet-loss\"\ntarget = \"all\"\nrate = 0.1")
    });
    let mut scenario = Scenario::load(&on_turmoil, &registry).unwrap();
    let err = scenario.set_engine(Engine::Madsim, &registry).unwrap_err();
    // The loss is the last timeline event (the file's isolate comes first).
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[faults.timeline]]")
        .last()
        .map(|(i, _)| i + 1)
        .unwrap();
    assert!(
        err.contains(&format!("`packet-loss` at line {line}, column 1")),
        "{err}"
    );
    assert!(err.contains("one latency range"), "{err}");
}
