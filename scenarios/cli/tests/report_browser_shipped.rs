//! The report of a shipped bug hunt (raft-kv, registered by this binary's
//! crate) as a person opens it in a real browser.

#[path = "../../tests/report_support/mod.rs"]
mod report_support;

use report_support::*;
use shakedown::runner::run_seed;
use shakedown::scenario::Scenario;
use shakedown_checkers::Outcome;

/// The report of the shipped stale-reads bug hunt, seed 0x0, as a person
/// opens it: the faults say who was cut off, the stale read names the node
/// that served it, the ticks are round, and the page has the run's context.
/// Screenshots at 1400×900, at full page height, and zoomed to the
/// counterexample with its tooltip up.
#[test]
fn the_stale_reads_report_names_nodes_and_faults_and_has_round_ticks() {
    let Some(chromium) = browser_or_skip("stale_reads_report") else {
        return;
    };
    let registry = shakedown_cli::registry();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../raft-kv-stale-reads.toml");
    let scenario = Scenario::load(&path, &registry).expect("the shipped scenario loads");
    let dir = scratch_dir("browser-stale-reads");
    let run =
        run_seed(&scenario, &registry, 0, Some(&dir.join("run")), false).expect("seed 0x0 runs");
    assert_eq!(
        run.summary.verdict.outcome,
        Outcome::Invalid,
        "seed 0x0 finds the bug"
    );
    let page = dir.join("run").join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();

    // Context: description, settings, engine (the one that ran: raft-kv
    // is a callback model), the command.
    for needle in [
        "an isolated node serves old values",
        "stale_reads = true",
        "discrete",
        "made by:",
        "raft-kv-stale-reads.toml",
        "simulated time from the run",
    ] {
        assert!(html.contains(needle), "the page lacks {needle:?}");
    }
    // The faults in words, with the node each one isolated.
    let isolated = regex_like_isolated(&html);
    assert!(
        isolated >= 4,
        "four isolations named in words, found {isolated}"
    );
    assert!(
        !html.contains(r#"{&quot;action&quot;"#),
        "raw JSON left in the fault table"
    );
    // The counterexample names the node that served the stale read.
    let cx_op = html
        .split(r#"id="cx-op">"#)
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .expect("the counterexample op");
    assert!(cx_op.contains("served by n"), "{cx_op}");
    // Every chart's ticks are round.
    for class in ["xtick", "ytick"] {
        for (chart, labels) in chart_ticks(&html, class) {
            if let Err(e) = check_round_ticks(&labels) {
                panic!("{chart} {class}: {e}");
            }
        }
    }

    let dom = run_chromium_query(&chromium, &page, "?selftest", &["--dump-dom".into()], &dir);
    assert_clean_page(&dom.stdout, &dom.stderr);
    let labels = html_attribute(&dom.stdout, "data-fault-labels").unwrap_or_default();
    assert!(
        labels.split('|').all(|l| l.contains(" isolated from n")),
        "fault labels on the timeline: {labels:?}"
    );
    let tip = html_attribute(&dom.stdout, "data-selftest-tip").unwrap_or_default();
    assert!(tip.contains("served by n"), "tooltip: {tip:?}");
    for attr in ["data-ticks", "data-selftest-ticks"] {
        let ticks: Vec<String> = html_attribute(&dom.stdout, attr)
            .unwrap_or_default()
            .split('|')
            .map(str::to_owned)
            .collect();
        if let Err(e) = check_round_ticks(&ticks) {
            panic!("timeline {attr}: {e}");
        }
    }
    let related = html_attribute(&dom.stdout, "data-selftest-related").unwrap_or_default();
    let (shown, all) = related.split_once('/').expect("n/m");
    assert!(
        all != "0" && shown == all,
        "explaining ops in view: {related}"
    );

    let height: u32 = html_attribute(&dom.stdout, "data-page-height")
        .and_then(|h| h.parse().ok())
        .expect("page height");
    screenshot(
        &chromium,
        &page,
        "",
        &dir,
        "stale-reads-1400x900.png",
        (1400, 900),
    );
    screenshot(
        &chromium,
        &page,
        "",
        &dir,
        "stale-reads-full.png",
        (1400, height.clamp(900, 16_000)),
    );
    // Zoomed to the counterexample with its tooltip up; the window is the
    // page's height, as the timeline sits below the first screen.
    screenshot(
        &chromium,
        &page,
        "?selftest=zoom",
        &dir,
        "stale-reads-zoomed.png",
        (1400, height.clamp(900, 16_000)),
    );
}

/// How many times the page says `nX isolated from nY, nZ`.
fn regex_like_isolated(html: &str) -> usize {
    html.match_indices(" isolated from n")
        .filter(|(at, _)| {
            let before = &html[..*at];
            let name: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            name.ends_with('n') && name.len() >= 2
        })
        .count()
}
