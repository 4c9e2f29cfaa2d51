//! The report as HTML: self-contained, escaped, and complete.

mod report_support;

use report_support::*;
use shakedown::report::{render_html, Metrics, ReportInput, Series};
use shakedown_checkers::{Value, Verdict};

#[test]
fn failing_run_report_has_every_part_and_loads_nothing() {
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let metrics = synthetic_metrics(&history, 3, 5_000_000);
    let input = ReportInput::new(
        "register under partitions",
        &history,
        &verdict,
        "cas-register",
    )
    .with_seed(0x1f2e)
    .with_replay_command("shakedown replay scenarios/register.toml --seed 0x1f2e")
    .with_metrics(&metrics);
    let html = render_html(&input).unwrap();
    let dir = scratch_dir("failing_run_report_has_every_part");
    std::fs::write(dir.join("report.html"), &html).unwrap();

    for needle in [
        r#"id="counterexample""#,
        r#"data-verdict="invalid""#,
        "0x1f2e (7982)",
        "shakedown replay scenarios/register.toml --seed 0x1f2e",
        r#"id="timeline""#,
        r#"id="chart-latency""#,
        r#"id="chart-throughput""#,
        r#"id="chart-counter-0""#,
        r#"id="chart-gauge-0""#,
        "hint_backlog",
        "duplicated",
        "partition",
        "longest linearizable prefix has <strong>5</strong> ops",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    // Self-contained: nothing is fetched.
    for forbidden in [
        "http://", "https://", "<img", "<iframe", "<link", "@import", "url(",
    ] {
        assert!(!html.contains(forbidden), "report contains {forbidden:?}");
    }
}

#[test]
fn history_values_are_escaped_everywhere() {
    let history = failing_history();
    let verdict = failing_verdict(&history);
    let input = ReportInput::new(
        "<script>alert(1)</script>",
        &history,
        &verdict,
        "<b>model</b>",
    )
    .with_replay_command("x </script><script>alert(2)</script>");
    let html = render_html(&input).unwrap();
    // Exactly our two scripts and the data block open a <script> element.
    assert_eq!(
        html.matches("<script").count(),
        3,
        "unexpected script elements"
    );
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;b&gt;not bold&lt;/b&gt;"));
    // The embedded data is JSON that parses back to the original strings.
    let start = html
        .find(r#"<script type="application/json" id="timeline-data">"#)
        .unwrap();
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let data: serde_json::Value = serde_json::from_str(body).unwrap();
    let strs: Vec<&str> = data["strs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        strs.iter()
            .any(|s| s.contains("<script>document.documentElement")),
        "{strs:?}"
    );
}

#[test]
fn reports_render_for_valid_unknown_untimed_and_unpaired_histories() {
    let history = failing_history();
    let valid = Verdict::valid(10);
    let html = render_html(&ReportInput::new("ok", &history, &valid, "register")).unwrap();
    assert!(html.contains(r#"data-verdict="valid""#) && !html.contains(r#"id="counterexample""#));

    let unknown = Verdict::unknown(10, "search budget of 60 s spent");
    let html = render_html(&ReportInput::new("?", &history, &unknown, "register")).unwrap();
    assert!(html.contains("search budget of 60 s spent"));

    let mut untimed = history.clone();
    for e in &mut untimed.events {
        e.time_ns = None;
    }
    let html = render_html(&ReportInput::new("untimed", &untimed, &valid, "register")).unwrap();
    assert!(html.contains("event order (history has no :time)"));

    let mut unpaired = history.clone();
    unpaired.events.remove(0);
    let html = render_html(&ReportInput::new("bad", &unpaired, &valid, "register")).unwrap();
    assert!(html.contains(r#"id="pairing-error""#));

    let empty = shakedown_checkers::History::default();
    render_html(&ReportInput::new(
        "empty",
        &empty,
        &Verdict::valid(0),
        "register",
    ))
    .unwrap();
}

#[test]
fn a_large_history_gives_a_small_report() {
    let history = synthetic_history(20_000, 10, 1);
    let metrics = synthetic_metrics(&history, 5, 10_000_000);
    let verdict = Verdict::valid(20_000);
    let html = render_html(
        &ReportInput::new("large", &history, &verdict, "cas-register").with_metrics(&metrics),
    )
    .unwrap();
    // 20k ops: well under a fifth of the 10 MB allowed for 100k.
    assert!(html.len() < 2_000_000, "report is {} bytes", html.len());
}

#[test]
fn long_distinct_values_are_cut_so_the_report_stays_small() {
    let mut history = synthetic_history(20_000, 10, 2);
    for (i, e) in history.events.iter_mut().enumerate() {
        if e.process.is_client() {
            e.value = shakedown_checkers::Value::Str(format!("{i}-{}", "x".repeat(2_000)));
        }
    }
    let verdict = Verdict::valid(20_000);
    let html = render_html(&ReportInput::new(
        "long values",
        &history,
        &verdict,
        "register",
    ))
    .unwrap();
    // 40,000 distinct 2 kB values would be 80 MB uncut.
    assert!(html.len() < 5_000_000, "report is {} bytes", html.len());
}

#[test]
fn non_finite_metric_values_are_not_drawn() {
    use shakedown::report::{Metrics, Series};
    let history = failing_history();
    let verdict = Verdict::valid(9);
    let t = 1_000_000_000;
    let metrics = Metrics::new(vec![
        Series::gauge(
            "g",
            "n1",
            [
                (t, 1.0),
                (t + 5, f64::NAN),
                (t + 9, f64::INFINITY),
                (t + 20, 2.0),
            ],
        ),
        Series::counter("sent", "n1", [(t, f64::NAN)]),
    ]);
    let html = render_html(
        &ReportInput::new("nan", &history, &verdict, "register").with_metrics(&metrics),
    )
    .unwrap();
    std::fs::write(scratch_dir("nan").join("report.html"), &html).unwrap();
    assert!(
        !html.contains("NaN")
            && !html.contains(",inf ")
            && !html.contains(" inf,")
            && !html.contains("\"inf,")
            && !html.contains(">inf<"),
        "a non-finite number reached the page"
    );
}

#[test]
fn a_100k_op_history_with_a_counterexample_gives_a_report_under_10_mb() {
    use shakedown_checkers::{Completion, Counterexample, OpSummary};
    let history = synthetic_history(100_000, 20, 1);
    let metrics = synthetic_metrics(&history, 5, 10_000_000);
    let ops = history.client_ops().unwrap();
    let last_read = ops.iter().rposition(|o| o.f == "read").unwrap();
    let prefix = ops[..last_read]
        .iter()
        .filter(|o| o.completion == Completion::Ok);
    let verdict = Verdict::invalid(
        ops.len(),
        Counterexample {
            key: None,
            op: Some(OpSummary::from(&ops[last_read])),
            prefix: prefix.map(OpSummary::from).collect(),
            states: vec!["7".into()],
            explanation: "the last read".into(),
        },
    );
    let input = ReportInput::new("100k", &history, &verdict, "cas-register").with_metrics(&metrics);
    let html = render_html(&input).unwrap();
    assert!(html.len() < 10_000_000, "report is {} bytes", html.len());
}

#[test]
fn zero_series_are_named_not_drawn_and_equal_ones_share_a_line() {
    let history = failing_history();
    let verdict = check(&history, "cas-register", Value::Nil);
    let flat = |v: f64| vec![(1_000_000_000, v), (1_050_000_000, v)];
    let metrics = Metrics::new(vec![
        Series::counter("duplicated", "n0", flat(0.0)),
        Series::counter("duplicated", "n1", flat(0.0)),
        Series::counter(
            "sent",
            "n0",
            vec![(1_000_000_000, 0.0), (1_050_000_000, 3.0)],
        ),
        Series::counter(
            "sent",
            "n1",
            vec![(1_000_000_000, 0.0), (1_050_000_000, 3.0)],
        ),
        Series::counter("sent", "n2", flat(0.0)),
    ]);
    let html = render_html(
        &ReportInput::new("series", &history, &verdict, "cas-register").with_metrics(&metrics),
    )
    .unwrap();
    assert!(
        html.contains("0 throughout on every node, not drawn: duplicated"),
        "all-zero series are named"
    );
    assert!(
        !html.contains(r#"aria-label="duplicated""#),
        "no chart of zeros"
    );
    assert!(
        html.contains("n0 = n1"),
        "equal series share a legend entry"
    );
    assert!(html.contains("n2: 0 throughout (not drawn)"));
    // The sent chart's y ticks are integers: 0, 1, 2, 3.
    let sent = html.split(r#"aria-label="sent""#).nth(1).unwrap();
    let sent = sent.split("</figure>").next().unwrap();
    for wrong in [">0.5<", ">0.25<", ">1.5<"] {
        assert!(
            !sent.contains(wrong),
            "fractional tick {wrong} on an integer series"
        );
    }
}

#[test]
fn an_untimed_history_gets_no_latency_chart_and_the_prefix_gets_states() {
    let (_, history) = reference_history("knossos-cas-register-bad-cas-failure.edn");
    let verdict = check(&history, "cas-register", Value::Int(0));
    let html = render_html(&ReportInput::new(
        "knossos",
        &history,
        &verdict,
        "cas-register",
    ))
    .unwrap();
    assert!(html.contains(r#"id="no-latency""#));
    assert!(!html.contains("latency (events)"));
    assert!(html.contains("<th>state after</th>"), "per-op model states");
    assert!(html.contains("no state allows it"));
}
