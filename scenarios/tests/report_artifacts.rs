//! Run directories: written, read back, and rebuilt into a report.

mod report_support;

use report_support::*;
use shakedown::artifacts::{
    read_run_dir, rebuild_report, write_run_dir, ArtifactError, RunArtifacts, Timings,
};
use shakedown::report::RunContext;
use shakedown_checkers::{edn, read_history_file, Value, Verdict};

#[test]
fn a_run_directory_round_trips() {
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let metrics = synthetic_metrics(&history, 2, 10_000_000);
    let mut run = RunArtifacts::new("round trip", &history, &verdict, "cas-register");
    run.report.seed = Some(42);
    run.report.replay_command = Some("shakedown replay x.toml --seed 0x2a".into());
    run.report.metrics = Some(&metrics);
    run.report.context = RunContext {
        description: Some("a register <b>under</b> partitions".into()),
        settings: vec![("stale_reads".into(), "true".into())],
        engine: Some("turmoil".into()),
        nodes: Some(3),
        initial: None,
        command: Some("shakedown run x.toml".into()),
        scenario_file: Some(("x.toml".into(), "expect = \"invalid\"\n".into())),
    };
    run.timings = Timings {
        run_ms: Some(12),
        check_ms: Some(3),
    };
    let dir = scratch_dir("round-trip");
    let written = write_run_dir(&dir, &run).unwrap();
    for p in [
        &written.history_edn,
        &written.history_jsonl,
        &written.results_json,
        &written.report_html,
    ] {
        assert!(p.is_file(), "{} missing", p.display());
    }
    assert!(written.metrics_json.as_ref().is_some_and(|p| p.is_file()));

    // history.edn: one map per line, read back identical; the JSONL too.
    let text = std::fs::read_to_string(&written.history_edn).unwrap();
    assert_eq!(text.lines().count(), history.len());
    assert!(text.lines().all(|l| l.starts_with('{') && l.ends_with('}')));
    assert_eq!(read_history_file(&written.history_edn).unwrap(), history);
    assert_eq!(read_history_file(&written.history_jsonl).unwrap(), history);

    let loaded = read_run_dir(&dir).unwrap();
    assert_eq!(loaded.history, history);
    assert_eq!(loaded.verdict, verdict);
    assert_eq!(loaded.metrics.as_ref(), Some(&metrics));
    assert_eq!(loaded.results.seed, Some(42));
    assert_eq!(loaded.results.timings.run_ms, Some(12));
    assert_eq!(loaded.results.context, run.report.context);
    let html = std::fs::read_to_string(&written.report_html).unwrap();
    for needle in [
        "a register &lt;b&gt;under&lt;/b&gt; partitions",
        "stale_reads = true",
        "turmoil",
        "3 (n0, n1, n2)",
        "shakedown run x.toml",
    ] {
        assert!(html.contains(needle), "the report lacks {needle:?}");
    }

    // The rebuilt report is byte for byte the one written with the run.
    let before = std::fs::read(&written.report_html).unwrap();
    std::fs::remove_file(&written.report_html).unwrap();
    let path = rebuild_report(&dir).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), before);
}

#[test]
fn history_edn_read_back_and_checked_gives_the_same_verdict() {
    for (history, model, initial) in [
        (failing_history(), "cas-register", Value::Nil),
        (
            reference_history("knossos-cas-register-bad-cas-failure.edn").1,
            "cas-register",
            Value::Int(0),
        ),
        (
            reference_history("etcd-002.edn").1,
            "cas-register",
            Value::Nil,
        ),
        (reference_history("kv-c01-bad.edn").1, "kv", Value::Nil),
    ] {
        let verdict = check(&history, model, initial.clone());
        let dir = scratch_dir(&format!("recheck-{}", history.len()));
        write_run_dir(
            &dir,
            &RunArtifacts::new("recheck", &history, &verdict, model),
        )
        .unwrap();
        let loaded = read_run_dir(&dir).unwrap();
        assert_eq!(loaded.history, history);
        assert_eq!(loaded.verdict, verdict, "results.json changed the verdict");
        let again = check(
            &read_history_file(dir.join("history.edn")).unwrap(),
            model,
            initial,
        );
        assert_eq!(again, verdict, "history.edn checks differently");
    }
}

#[test]
fn results_json_snapshot() {
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let mut run = RunArtifacts::new("snapshot", &history, &verdict, "cas-register");
    run.report.seed = Some(0x1f2e);
    run.report.replay_command =
        Some("shakedown replay scenarios/register.toml --seed 0x1f2e".into());
    run.timings = Timings {
        run_ms: Some(5),
        check_ms: Some(1),
    };
    let dir = scratch_dir("snapshot");
    let written = write_run_dir(&dir, &run).unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(written.results_json).unwrap()).unwrap();
    insta::assert_json_snapshot!("results_json_failing_run", results);
}

#[test]
fn bad_run_directories_get_clear_errors() {
    let dir = scratch_dir("bad-dirs");
    let err = read_run_dir(&dir.join("nope")).unwrap_err();
    assert!(matches!(err, ArtifactError::NotARunDir { .. }), "{err}");

    let err = read_run_dir(&dir).unwrap_err();
    assert!(matches!(err, ArtifactError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("results.json"), "{err}");

    std::fs::write(
        dir.join("results.json"),
        "{\n  \"format\": \"shakedown-results\",\n  oops\n}",
    )
    .unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    let ArtifactError::Json { line, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(line, 3);

    // Valid results.json, history missing, then malformed.
    let history = failing_history();
    let verdict = Verdict::valid(9);
    write_run_dir(
        &dir,
        &RunArtifacts::new("t", &history, &verdict, "register"),
    )
    .unwrap();
    std::fs::remove_file(dir.join("history.edn")).unwrap();
    std::fs::remove_file(dir.join("history.jsonl")).unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    assert!(matches!(err, ArtifactError::Missing { .. }), "{err}");
    std::fs::write(
        dir.join("history.edn"),
        "{:process 0, :type :invoke, :f :read :value nil}\n{:process 0 :type",
    )
    .unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("history.edn:2:"), "{err}");
}

#[test]
fn edn_written_for_a_reference_history_reads_back_identical() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../checkers/histories");
    let path = shared.join("knossos-cas-register-bad-cas-failure.edn");
    let history = read_history_file(&path).unwrap();
    let again = shakedown_checkers::edn::parse_history(&edn::write_history(&history)).unwrap();
    assert_eq!(again, history);
}

#[test]
fn a_results_json_from_before_the_run_context_still_loads() {
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let dir = scratch_dir("old-results");
    let run = RunArtifacts::new("old", &history, &verdict, "cas-register");
    let written = write_run_dir(&dir, &run).unwrap();
    let text = std::fs::read_to_string(&written.results_json).unwrap();
    assert!(
        !text.contains("\"context\""),
        "an empty context is left out"
    );
    let loaded = read_run_dir(&dir).unwrap();
    assert!(loaded.results.context.is_empty());
    rebuild_report(&dir).expect("the report rebuilds");
}
