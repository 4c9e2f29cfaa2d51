//! `cargo test` integration: one line runs a scenario; failures say how to
//! replay; one pinned seed's history is a snapshot.

use shakedown::models::Registry;
use shakedown::testing;

shakedown::scenario_test!(
    register_stays_linearizable_through_crashes,
    "tests/fixtures/register-valid.toml"
);

#[test]
fn a_bug_hunt_passes_when_it_finds_the_bug() {
    let sweep = testing::run_scenario("scenarios/tests/fixtures/register-lost-writes.toml");
    assert!(sweep.first_invalid().is_some());
}

#[test]
fn a_failing_scenario_names_seed_verdict_report_and_replay_commands() {
    let dir = std::env::temp_dir().join(format!("shakedown-fail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("claims-valid.toml");
    let text = std::fs::read_to_string("tests/fixtures/register-lost-writes.toml")
        .unwrap()
        .replace("expect = \"invalid\"", "expect = \"valid\"");
    std::fs::write(&file, text).unwrap();
    let message = testing::try_run_scenario(&file, &Registry::builtin()).unwrap_err();
    // Which seed fails first depends on the engine's interleavings; the
    // message must name it everywhere.
    let seed = message
        .lines()
        .find_map(|l| l.strip_prefix("seed: "))
        .unwrap_or_else(|| panic!("no seed line in:\n{message}"))
        .to_owned();
    assert!(seed.starts_with("0x"), "{seed}");
    for needle in [
        "expected valid".to_owned(),
        "verdict: invalid: ".to_owned(),
        "report: ".to_owned(),
        "claims-valid-".to_owned(),
        format!("/{seed}/report.html"),
        format!("SHAKEDOWN_SEED={seed} cargo test -p shakedown a_failing_scenario_names_seed_verdict_report_and_replay_commands"),
        "shakedown replay ".to_owned(),
        format!("claims-valid.toml --seed {seed}"),
    ] {
        assert!(message.contains(&needle), "`{needle}` missing from:\n{message}");
    }
    let report = message
        .lines()
        .find_map(|l| l.strip_prefix("report: "))
        .unwrap();
    assert!(std::path::Path::new(report).exists(), "{report}");
}

#[test]
fn a_bug_hunt_that_finds_nothing_fails() {
    let message =
        testing::try_run_scenario("tests/fixtures/register-valid.toml", &Registry::builtin())
            .map(|_| ())
            .and_then(|()| {
                let dir =
                    std::env::temp_dir().join(format!("shakedown-hunt-{}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join("hunt.toml");
                let text = std::fs::read_to_string("tests/fixtures/register-valid.toml")
                    .unwrap()
                    .replace("expect = \"valid\"", "expect = \"invalid\"");
                std::fs::write(&file, text).unwrap();
                testing::try_run_scenario(&file, &Registry::builtin()).map(|_| ())
            })
            .unwrap_err();
    assert!(message.contains("the bug was not found"), "{message}");
}

#[test]
fn a_users_own_model_runs_from_a_registry() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        lose_writes: bool,
    }
    let mut registry = Registry::empty();
    registry.register("mine", "test model", |s: Settings| {
        shakedown_sim::models::RegisterModel {
            sync_writes: !s.lose_writes,
        }
    });
    let dir = std::env::temp_dir().join(format!("shakedown-own-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mine.toml");
    let text = std::fs::read_to_string("tests/fixtures/register-lost-writes.toml")
        .unwrap()
        .replacen("model = \"register\"\n", "model = \"mine\"\n", 1)
        .replace("sync_writes = false", "lose_writes = true");
    std::fs::write(&file, text).unwrap();
    let sweep = testing::run_scenario_with(&file, &registry);
    assert!(sweep.first_invalid().is_some());
    // The built-in registry does not know it.
    assert!(testing::try_run_scenario(&file, &Registry::builtin())
        .unwrap_err()
        .contains("unknown cluster model `mine`"));
}

#[test]
fn a_pinned_seed_history_is_stable() {
    let run = testing::run_one("tests/fixtures/register-valid.toml", 0x1f2e);
    let edn = shakedown_checkers::edn::write_history(&run.history());
    insta::assert_snapshot!("register_valid_seed_0x1f2e_history", edn);
}

#[test]
fn a_step_limit_gives_the_same_unknown_on_every_run() {
    let dir = std::env::temp_dir().join(format!("shakedown-steps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("few-steps.toml");
    let text = std::fs::read_to_string("tests/fixtures/register-valid.toml").unwrap()
        + "\n[limits]\ncheck_steps = 3\n";
    std::fs::write(&file, text).unwrap();
    let verdicts: Vec<String> = (0..2)
        .map(|_| {
            let run = testing::run_one(&file, 1);
            assert_eq!(
                run.summary.verdict.outcome,
                shakedown_checkers::Outcome::Unknown
            );
            run.summary.verdict.reason.clone().unwrap_or_default()
        })
        .collect();
    assert!(verdicts[0].contains("step"), "{}", verdicts[0]);
    assert_eq!(verdicts[0], verdicts[1]);
    // Without the limit the same seed is decided.
    let decided = testing::run_one("tests/fixtures/register-valid.toml", 1);
    assert_eq!(
        decided.summary.verdict.outcome,
        shakedown_checkers::Outcome::Valid
    );
}
