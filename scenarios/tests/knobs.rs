//! Randomized knobs: settings a model declares that each seed draws within
//! a range, opted into by `[cluster] knobs`.

use shakedown::models::Registry;
use shakedown::runner;
use shakedown::scenario::Scenario;
use std::path::Path;

fn scenario(knobs: &str, settings: &str) -> Result<Scenario, String> {
    let text = format!(
        "expect = \"valid\"\nseeds = 8\n\n[cluster]\nmodel = \"primary-backup\"\nnodes = 3\n{knobs}\n{settings}\n[workload]\nops = 30\n"
    );
    Scenario::parse(Path::new("knobs.toml"), &text, &Registry::builtin()).map_err(|e| e.to_string())
}

#[test]
fn each_seed_draws_its_own_values_within_the_range_and_always_the_same() {
    let s = scenario("knobs = true", "").unwrap();
    let values: Vec<i64> = (0..200).map(|seed| s.knob_values(seed)[0].1).collect();
    assert!(values.iter().all(|v| (1..=100).contains(v)), "{values:?}");
    // The ends come up often; so do values in between.
    assert!(values.contains(&1) && values.contains(&100), "{values:?}");
    assert!(values.iter().any(|v| (2..100).contains(v)), "{values:?}");
    let again: Vec<i64> = (0..200).map(|seed| s.knob_values(seed)[0].1).collect();
    assert_eq!(values, again);
    // The settings of a seed carry its value.
    let t = s.settings_for(7);
    assert_eq!(t["retransmit_ms"].as_integer(), Some(values[7]));
}

#[test]
fn own_ranges_names_and_opting_out() {
    let s = scenario("knobs = { retransmit_ms = [5, 6] }", "").unwrap();
    assert!((0..50).all(|seed| (5..=6).contains(&s.knob_values(seed)[0].1)));
    let s = scenario("knobs = [\"retransmit_ms\"]", "").unwrap();
    assert_eq!(s.knobs.len(), 1);
    let s = scenario("knobs = false", "").unwrap();
    assert!(s.knob_values(3).is_empty());
    // `true` varies what the file does not fix itself.
    let s = scenario("knobs = true", "[cluster.settings]\nretransmit_ms = 5\n").unwrap();
    assert!(s.knobs.is_empty());
}

#[test]
fn impossible_knobs_are_refused_at_their_position() {
    for (knobs, settings, expected) in [
        (
            "knobs = [\"retransmit\"]",
            "",
            "`retransmit` is not a knob of model `primary-backup`",
        ),
        (
            "knobs = { retransmitms = [1, 2] }",
            "",
            "`retransmitms` is not a setting",
        ),
        ("knobs = { retransmit_ms = [9, 2] }", "", "is empty"),
        (
            "knobs = { retransmit_ms = [0, 20] }",
            "",
            "= 0 (an end of its range [0, 20]) is refused",
        ),
        (
            "knobs = [\"retransmit_ms\"]",
            "[cluster.settings]\nretransmit_ms = 5\n",
            "also fixed in [cluster.settings]",
        ),
    ] {
        let e = scenario(knobs, settings).unwrap_err();
        assert!(e.contains(expected), "{knobs}: {e}");
        assert!(e.contains("knobs.toml:7:9"), "{knobs}: {e}");
    }
    let text = "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodes = 1\nknobs = true\n";
    let e = Scenario::parse(Path::new("r.toml"), text, &Registry::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("r.toml:5:9") && e.contains("declares no knobs"),
        "{e}"
    );
}

#[test]
fn a_run_uses_its_knob_values_and_says_so() {
    let s = scenario("knobs = true", "").unwrap();
    let registry = Registry::builtin();
    let a = runner::run_seed(&s, &registry, 3, None, true).unwrap();
    assert_eq!(a.summary.knobs, s.knob_values(3));
    assert!(a.summary.finding.is_none(), "deterministic with knobs");
    // A different value of the knob gives a different run of the same seed.
    let fixed = |v: i64| {
        let s = scenario("", &format!("[cluster.settings]\nretransmit_ms = {v}\n")).unwrap();
        runner::run_seed(&s, &registry, 3, None, false).unwrap()
    };
    let digest = |r: &runner::FullRun| r.record.as_ref().unwrap().digest;
    assert_eq!(digest(&a), digest(&fixed(s.knob_values(3)[0].1)));
    assert_ne!(digest(&fixed(1)), digest(&fixed(100)));
}
