//! Regressions files: a bug a sweep finds is written next to the scenario
//! and runs first on every later sweep, whatever seeds that sweep asks for.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "shakedown-regressions-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The lost-writes fixture claiming to be correct: every seed contradicts it.
fn claims_valid(dir: &Path, extra: &str) -> PathBuf {
    let fixture = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/register-lost-writes.toml"
    ));
    let text = std::fs::read_to_string(fixture).unwrap().replace(
        "expect = \"invalid\"",
        &format!("expect = \"valid\"\n{extra}"),
    );
    let path = dir.join("claims.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(args)
        .args(["--artifacts", "none", "-j", "1"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_found_bug_is_recorded_and_runs_first_on_the_next_sweep() {
    let dir = scratch("found");
    claims_valid(&dir, "");
    let o = run(&dir, &["run", "claims.toml", "--seeds", "3..5"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("recorded: seed 0x3 in claims.regressions"),
        "{}",
        text(&o)
    );
    let file = std::fs::read_to_string(dir.join("claims.regressions")).unwrap();
    assert!(
        file.lines().any(|l| l.starts_with("seed 0x3  # invalid: ")),
        "{file}"
    );

    // Another range: the recorded seed still runs first, and is the one reported.
    let o = run(&dir, &["run", "claims.toml", "--seeds", "1000..1003"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("1 regression seed from claims.regressions ran first"),
        "{t}"
    );
    assert!(t.contains("  seed 0x3: invalid"), "{t}");
    // Nothing new to record: the file is unchanged.
    assert_eq!(
        std::fs::read_to_string(dir.join("claims.regressions")).unwrap(),
        file
    );

    // Turned off for one command.
    let o = run(
        &dir,
        &[
            "run",
            "claims.toml",
            "--seeds",
            "1000..1003",
            "--no-regressions",
        ],
    );
    let t = text(&o);
    assert!(t.contains("  seed 0x3e8: invalid"), "{t}");
    assert!(!t.contains("regression seed"), "{t}");
}

#[test]
fn a_scenario_can_opt_out_and_a_bug_hunt_records_nothing() {
    let dir = scratch("opt-out");
    claims_valid(&dir, "regressions = false");
    let o = run(&dir, &["run", "claims.toml", "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!dir.join("claims.regressions").exists());
    // A bug hunt expects its bug: finding it is not a regression.
    let fixture = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/register-lost-writes.toml"
    ));
    std::fs::copy(fixture, dir.join("hunt.toml")).unwrap();
    let o = run(&dir, &["run", "hunt.toml", "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!dir.join("hunt.regressions").exists());
}

#[test]
fn a_damaged_regressions_file_is_refused_with_its_position() {
    let dir = scratch("damaged");
    claims_valid(&dir, "");
    std::fs::write(dir.join("claims.regressions"), "seed 0x3\n  seeds 4\n").unwrap();
    let o = run(&dir, &["run", "claims.toml", "--seeds", "2"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("claims.regressions:2:3: expected `seed"),
        "{}",
        text(&o)
    );
}
