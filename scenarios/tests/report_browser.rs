//! The report in a real browser: headless Chromium opens the report of a
//! failing run, and the page's own script records errors and what it drew
//! on `<html data-…>` attributes, which `--dump-dom` hands back.
//!
//! Needs Debian's `chromium` (CI installs it). Without it these tests fail,
//! unless `SHAKEDOWN_SKIP_BROWSER=1`.

mod report_support;

use report_support::*;
use shakedown::artifacts::{write_run_dir, RunArtifacts};
use shakedown::cli::report::write_check_report;
use shakedown::report::{write_report, ReportInput};
use shakedown_checkers::{Outcome, Value};

#[test]
fn failing_run_report_opens_without_errors_shows_the_counterexample_and_screenshots() {
    let Some(chromium) = browser_or_skip("failing_run_report_opens") else {
        return;
    };
    let history = failing_history();
    let verdict = check(&history, "cas-register", Value::Nil);
    assert_eq!(
        verdict.outcome,
        Outcome::Invalid,
        "the failing run must fail: {verdict:?}"
    );
    let metrics = synthetic_metrics(&history, 3, 5_000_000);
    let dir = scratch_dir("browser-failing-run");
    let mut run = RunArtifacts::new(
        "register under partitions",
        &history,
        &verdict,
        "cas-register",
    );
    run.report.seed = Some(0x1f2e);
    run.report.replay_command =
        Some("shakedown replay scenarios/register.toml --seed 0x1f2e".into());
    run.report.metrics = Some(&metrics);
    let written = write_run_dir(&dir.join("run"), &run).unwrap();

    let page = written.report_html;
    let dom = run_chromium(&chromium, &page, &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    assert_eq!(
        html_attribute(&dom.stdout, "data-cx-visible").as_deref(),
        Some("yes"),
        "counterexample not visible"
    );
    assert_eq!(
        html_attribute(&dom.stdout, "data-ops-drawn").as_deref(),
        Some("9")
    );
    // The history's markup is on the page as text.
    assert!(
        dom.stdout.contains("&lt;img src=x onerror="),
        "escaped value missing"
    );

    let shot = dir.join("report.png");
    let run = run_chromium(
        &chromium,
        &page,
        &[format!("--screenshot={}", shot.display())],
        &dir,
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{}", shot.display(), run.stderr));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "screenshot is not a PNG"
    );
    assert!(
        png.len() > 20_000,
        "screenshot is only {} bytes: a blank page?",
        png.len()
    );
    eprintln!("screenshot: {} ({} bytes)", shot.display(), png.len());
}

#[test]
fn markup_in_titles_commands_and_values_never_runs() {
    let Some(chromium) = browser_or_skip("markup_never_runs") else {
        return;
    };
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let input = ReportInput::new(
        "<script>document.documentElement.setAttribute('data-pwned','title')</script>",
        &history,
        &verdict,
        "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','model')\">",
    )
    .with_replay_command(
        "</script><script>document.documentElement.setAttribute('data-pwned','cmd')</script>",
    );
    let dir = scratch_dir("browser-markup");
    let page = dir.join("report.html");
    write_report(&page, &input).unwrap();
    let dom = run_chromium(&chromium, &page, &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    assert!(dom
        .stdout
        .contains("&lt;script&gt;document.documentElement.setAttribute('data-pwned','title')"));
}

#[test]
fn a_reference_history_from_knossos_reports_its_counterexample() {
    let Some(chromium) = browser_or_skip("reference_history_report") else {
        return;
    };
    let (path, history) = reference_history("knossos-cas-register-bad-cas-failure.edn");
    let verdict = check(&history, "cas-register", Value::Int(0));
    assert_eq!(verdict.outcome, Outcome::Invalid);
    let dir = scratch_dir("browser-knossos");
    let page = dir.join("out.html");
    write_check_report(&page, &path, &history, &verdict, "cas-register").unwrap();
    let dom = run_chromium(&chromium, &page, &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    assert_eq!(
        html_attribute(&dom.stdout, "data-cx-visible").as_deref(),
        Some("yes")
    );
    assert!(dom
        .stdout
        .contains("knossos-cas-register-bad-cas-failure.edn"));
    assert!(dom.stdout.contains("event order (history has no :time)"));
}

#[test]
fn hovering_shows_op_details_as_text_and_the_counterexample_button_zooms() {
    let Some(chromium) = browser_or_skip("hover_and_zoom") else {
        return;
    };
    let history = failing_history();
    let verdict = check(&history, "cas-register", Value::Nil);
    let dir = scratch_dir("browser-selftest");
    let page = dir.join("report.html");
    write_report(
        &page,
        &ReportInput::new("selftest", &history, &verdict, "cas-register"),
    )
    .unwrap();
    let dom = run_chromium_query(&chromium, &page, "?selftest", &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    let tip = html_attribute(&dom.stdout, "data-selftest-tip").unwrap_or_default();
    assert!(
        tip.contains("the op that cannot be linearized"),
        "tooltip: {tip:?}"
    );
    assert!(
        tip.contains("read") && tip.contains("result: 2"),
        "tooltip: {tip:?}"
    );
    assert!(
        tip.starts_with("process 3 "),
        "the tooltip names the op's own process: {tip:?}"
    );
    // Simulated time from 0: the history's first event is at 1 s.
    assert!(
        tip.contains("invoked at 1.050 s") && tip.contains("took 3 ms"),
        "times: {tip:?}"
    );
    let view = html_attribute(&dom.stdout, "data-selftest-view").expect("the button was pressed");
    let (lo, hi) = view.split_once("..").expect("lo..hi");
    let (lo, hi): (i64, i64) = (lo.parse().unwrap(), hi.parse().unwrap());
    assert!(
        lo > 0 && hi - lo < 58_000_000,
        "zoomed view {view} should be narrower than the whole run"
    );
    // It shows the ops that explain the counterexample: the write of 2
    // that the stale read returned, the write of 4 it missed.
    assert_eq!(
        html_attribute(&dom.stdout, "data-selftest-related").as_deref(),
        Some("2/2"),
        "every explaining op is in the zoomed view"
    );
    assert!(
        tip.contains("wrote the value it returned")
            && tip.contains("the last write linearized before it"),
        "hovering the op names its neighbours: {tip:?}"
    );
}

#[test]
fn a_kv_counterexample_can_narrow_the_timeline_to_its_key() {
    let Some(chromium) = browser_or_skip("kv_key_filter") else {
        return;
    };
    let (path, history) = reference_history("kv-c01-bad.edn");
    let verdict = check(&history, "kv", Value::Nil);
    assert_eq!(verdict.outcome, Outcome::Invalid);
    let key = verdict
        .counterexample
        .as_ref()
        .and_then(|c| c.key.clone())
        .expect("a kv counterexample names its key");
    let dir = scratch_dir("browser-kv");
    let page = dir.join("report.html");
    write_check_report(&page, &path, &history, &verdict, "kv").unwrap();
    let dom = run_chromium_query(&chromium, &page, "?selftest", &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    let tip = html_attribute(&dom.stdout, "data-selftest-tip").unwrap_or_default();
    assert!(tip.contains("key: "), "tooltip: {tip:?}");
    // The page's key is EDN; the counterexample's may be written either way.
    let shown =
        html_attribute(&dom.stdout, "data-selftest-key").expect("the key filter was offered");
    assert!(
        shown.trim_matches('"') == key.trim_matches('"') || shown.contains(key.trim_matches('"')),
        "filter {shown:?} vs key {key:?}"
    );
}
