//! Shrinking from a general scenario (duration workload, generated faults):
//! the shrunk run never has more ops than the original, its durations are
//! written as people write them, and its summary tells generated faults
//! from timeline ones.

use shakedown::models::Registry;
use shakedown::scenario::Scenario;
use shakedown::shrink::{human, shrink};
use shakedown_nemesis::SimDuration;

const GENERATED: &str = "tests/fixtures/register-lost-writes-generated.toml";

#[test]
fn a_shrunk_run_never_has_more_ops_and_reads_like_a_person_wrote_it() {
    let registry = Registry::builtin();
    let scenario = Scenario::load(GENERATED, &registry).expect("fixture loads");
    let sweep = shakedown::testing::run_scenario_prefix_with(GENERATED, 5, &registry);
    let seed = sweep
        .runs
        .iter()
        .find(|r| r.outcome().is_bug())
        .map(|r| r.seed)
        .expect("one of the first seeds finds the lost write");
    let shrunk = shrink(&scenario, &registry, seed).expect("shrinks");
    assert!(
        shrunk.after.ops <= shrunk.before.ops,
        "{} ops before, {} after",
        shrunk.before.ops,
        shrunk.after.ops
    );
    assert!(shrunk.before.generated > 0 && shrunk.before.generated == shrunk.before.events);
    let summary = shrunk.before.to_string();
    assert!(summary.contains("(generated;"), "{summary}");
    assert!(!summary.contains("(generated; 0s of faults)"), "{summary}");
    assert!(!summary.contains("ns of faults"), "{summary}");
    // Durations in whole milliseconds at worst, never raw nanoseconds.
    for line in shrunk.toml.lines().filter(|l| l.contains('"')) {
        assert!(!line.contains("ns\""), "{line}");
    }
    // The shrunk file reproduces its verdict.
    let dir = shakedown::testing::target_dir().join("shrink-test");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("minimal.toml");
    std::fs::write(&path, &shrunk.toml).unwrap();
    let again = shakedown::testing::run_scenario_with(&path, &registry);
    assert!(
        again.runs.iter().any(|r| r.outcome().is_bug()),
        "{}",
        shrunk.toml
    );
}

#[test]
fn durations_are_written_as_people_write_them() {
    assert_eq!(human(SimDuration::from_millis(2950)), "2.95s");
    assert_eq!(human(SimDuration::from_millis(1475)), "1.475s");
    assert_eq!(human(SimDuration::from_millis(3000)), "3s");
    assert_eq!(human(SimDuration::from_millis(400)), "400ms");
    assert_eq!(human(SimDuration::from_nanos(2_949_466_835)), "2.949s");
    assert_eq!(human(SimDuration::from_nanos(376_201_180)), "376ms");
}
