//! `SHAKEDOWN_SEED` pins a test to exactly one seed. This lives in its own
//! test binary because it sets the variable for the whole process.

use shakedown_sim::{seeds, SEED_ENV};

#[test]
fn shakedown_seed_runs_exactly_one_seed() {
    std::env::remove_var(SEED_ENV);
    assert_eq!(seeds(0..20).expect("no variable").len(), 20);
    std::env::set_var(SEED_ENV, "0x1f2e");
    assert_eq!(seeds(0..20).expect("hex seed"), vec![0x1f2e]);
    std::env::set_var(SEED_ENV, "42");
    assert_eq!(seeds(0..20).expect("decimal seed"), vec![42]);
    std::env::set_var(SEED_ENV, "forty-two");
    let err = seeds(0..20).unwrap_err().to_string();
    assert!(err.contains("forty-two") && err.contains("hex"), "{err}");
    std::env::remove_var(SEED_ENV);
}
