//! How big and how slow is the report of a large history?
//!
//! Builds a synthetic 100,000-op register history (20 clients, a nemesis,
//! five nodes' message counters and a hint backlog gauge), renders
//! report.html with a counterexample at its last read, and prints size and
//! render time; then opens it in headless Chromium (if present) and prints
//! the page's own script time and the browser's wall-clock time.
//!
//! `CARGO_TARGET_DIR=/work/target-report cargo bench -p shakedown --bench report_large`
//! (`SHAKEDOWN_BENCH_OPS=N` for another size.)

#[path = "../tests/report_support/mod.rs"]
mod report_support;

use report_support::*;
use shakedown::report::{render_html, ReportInput};
use shakedown_checkers::{Completion, Counterexample, OpSummary, Verdict};
use std::time::Instant;

fn main() {
    let ops: usize = std::env::var("SHAKEDOWN_BENCH_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let history = synthetic_history(ops, 20, 1);
    let metrics = synthetic_metrics(&history, 5, 10_000_000);
    let paired = history.client_ops().expect("synthetic history pairs");
    let last_read = paired.iter().rposition(|o| o.f == "read").expect("a read");
    let prefix: Vec<OpSummary> = paired[..last_read]
        .iter()
        .filter(|o| o.completion == Completion::Ok)
        .map(OpSummary::from)
        .collect();
    let verdict = Verdict::invalid(
        paired.len(),
        Counterexample {
            key: None,
            op: Some(OpSummary::from(&paired[last_read])),
            prefix,
            states: vec!["7".into()],
            explanation: "synthetic: the last read cannot be linearized".into(),
        },
    );
    println!(
        "history: {} ops, {} events, {} metrics series ({} points); built in {:.2?}",
        paired.len(),
        history.len(),
        metrics.series.len(),
        metrics.series.iter().map(|s| s.points.len()).sum::<usize>(),
        started.elapsed()
    );

    let input = ReportInput::new("report_large bench", &history, &verdict, "cas-register")
        .with_seed(1)
        .with_replay_command("cargo bench -p shakedown --bench report_large")
        .with_metrics(&metrics);
    let mut best = f64::INFINITY;
    let mut html = String::new();
    for _ in 0..3 {
        let t = Instant::now();
        html = render_html(&input).expect("renders");
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "render_html: {:.0} ms (best of 3), report.html {:.2} MB ({} bytes)",
        best * 1e3,
        html.len() as f64 / 1e6,
        html.len()
    );

    let dir = scratch_dir("bench-report-large");
    let page = dir.join("report.html");
    std::fs::write(&page, &html).expect("write report");
    let Some(chromium) = find_chromium() else {
        println!("chromium: not found, browser figures skipped");
        return;
    };
    let dom = run_chromium(&chromium, &page, &["--dump-dom".into()], &dir);
    let errors = html_attribute(&dom.stdout, "data-js-errors");
    println!(
        "chromium --dump-dom: {:.2?} wall-clock (browser start, parse, script, dump); page script {} ms; rendered={:?}; js errors={:?}",
        dom.elapsed,
        html_attribute(&dom.stdout, "data-render-ms").unwrap_or_else(|| "?".into()),
        html_attribute(&dom.stdout, "data-rendered"),
        errors
    );
    let shot = dir.join("report-large.png");
    let run = run_chromium(
        &chromium,
        &page,
        &[format!("--screenshot={}", shot.display())],
        &dir,
    );
    println!(
        "chromium --screenshot: {:.2?} wall-clock, {}",
        run.elapsed,
        shot.display()
    );
}
