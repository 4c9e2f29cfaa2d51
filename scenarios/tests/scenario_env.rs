//! `SHAKEDOWN_SEED` runs exactly one seed; `SHAKEDOWN_SEEDS` replaces the
//! sweep. One test, so no other test reads the environment meanwhile.

use shakedown::models::Registry;
use shakedown::testing;

#[test]
fn seed_environment_variables_choose_the_seeds() {
    std::env::set_var(testing::SEED_ENV, "0x2a");
    let sweep = testing::run_scenario("tests/fixtures/register-valid.toml");
    assert_eq!(
        sweep.runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
        vec![42]
    );

    std::env::remove_var(testing::SEED_ENV);
    std::env::set_var(testing::SEEDS_ENV, "100..106");
    let sweep = testing::run_scenario("tests/fixtures/register-valid.toml");
    assert_eq!(
        sweep.runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
        (100..106).collect::<Vec<_>>()
    );

    std::env::set_var(testing::SEEDS_ENV, "lots");
    let err = testing::try_run_scenario("tests/fixtures/register-valid.toml", &Registry::builtin())
        .unwrap_err();
    assert!(err.contains("SHAKEDOWN_SEEDS"), "{err}");
    std::env::remove_var(testing::SEEDS_ENV);

    std::env::set_var(testing::SEED_ENV, "0xnope");
    let err = testing::try_run_scenario("tests/fixtures/register-valid.toml", &Registry::builtin())
        .unwrap_err();
    assert!(err.contains("SHAKEDOWN_SEED"), "{err}");
    std::env::remove_var(testing::SEED_ENV);
}
