//! A real simulated run, end to end: the simulator's history and metrics,
//! checked, written as a run directory, and opened in headless Chromium.

mod report_support;

use report_support::*;
use shakedown::artifacts::{read_run_dir, write_run_dir, RunArtifacts};
use shakedown::report::{Metrics, SeriesKind};
use shakedown_checkers::Value;
use shakedown_nemesis::{Event, Fault, Schedule, SimDuration, Target};
use shakedown_sim::models::PrimaryBackupModel;
use shakedown_sim::{run, KeyDistribution, LinkConfig, OpKind, SimConfig, Workload};

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        nodes: 3,
        clients: 5,
        workload: Workload {
            mix: vec![(OpKind::Read, 2), (OpKind::Write, 2), (OpKind::Cas, 1)],
            keys: Some(3),
            key_distribution: KeyDistribution::Zipf { exponent: 1.0 },
            limit: shakedown_sim::OpLimit::Count(300),
            timeout_ms: 200,
            ..Workload::default()
        },
        network: LinkConfig {
            loss_rate: 0.02,
            duplicate_rate: 0.02,
            ..LinkConfig::default()
        },
        duration_ms: 5_000,
        nemesis: Some(Schedule::new(vec![
            Event::with_duration(ms(50), Fault::RandomHalves, ms(60)),
            Event::with_duration(
                ms(150),
                Fault::Crash {
                    target: Target::One,
                },
                ms(50),
            ),
            Event::with_duration(
                ms(250),
                Fault::Pause {
                    target: Target::All,
                },
                ms(40),
            ),
        ])),
        ..SimConfig::default()
    }
}

#[test]
fn a_simulated_run_writes_a_run_directory_whose_report_shows_its_faults() {
    let record = run(&config(0x5eed), PrimaryBackupModel::default()).expect("simulated run");
    let metrics = Metrics::from(&record.metrics);
    assert!(metrics
        .of_kind(SeriesKind::Counter)
        .any(|s| s.last_value().unwrap_or(0.0) > 0.0));
    let verdict = check(&record.history, "kv", Value::Nil);
    let mut run = RunArtifacts::new(
        "primary-backup under faults",
        &record.history,
        &verdict,
        "kv",
    );
    run.report.seed = Some(record.seed);
    run.report.replay_command = Some(format!(
        "SHAKEDOWN_SEED={:#x} cargo test -p shakedown --test report_sim",
        record.seed
    ));
    run.report.metrics = Some(&metrics);
    let dir = scratch_dir("sim-run");
    let written = write_run_dir(&dir.join("run"), &run).unwrap();
    let loaded = read_run_dir(&written.dir).unwrap();
    assert_eq!(loaded.history, record.history);
    assert_eq!(loaded.metrics.as_ref(), Some(&metrics));

    let html = std::fs::read_to_string(&written.report_html).unwrap();
    for fault in ["random-halves", "crash", "pause"] {
        assert!(
            html.contains(&format!("<tr><td>{fault}</td>")),
            "no {fault} window in the faults table"
        );
    }

    let Some(chromium) = browser_or_skip("a_simulated_run_report") else {
        return;
    };
    let dom = run_chromium(
        &chromium,
        &written.report_html,
        &["--dump-dom".into()],
        &dir,
    );
    assert_eq!(
        html_attribute(&dom.stdout, "data-rendered").as_deref(),
        Some("ok")
    );
    assert_eq!(html_attribute(&dom.stdout, "data-js-errors"), None);
    assert!(
        console_errors(&dom.stderr).is_empty(),
        "{:#?}",
        console_errors(&dom.stderr)
    );
    let windows: usize = html_attribute(&dom.stdout, "data-fault-windows")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(windows >= 3, "the timeline drew {windows} fault windows");
    let shot = dir.join("sim-run.png");
    run_chromium(
        &chromium,
        &written.report_html,
        &[format!("--screenshot={}", shot.display())],
        &dir,
    );
    assert!(std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 20_000);
}
