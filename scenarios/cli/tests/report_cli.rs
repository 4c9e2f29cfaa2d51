//! `shakedown report RUN_DIR` end to end: the binary, its output and exit codes.

#[path = "../../tests/report_support/mod.rs"]
mod report_support;

use report_support::*;
use shakedown::artifacts::{write_run_dir, RunArtifacts};
use shakedown_checkers::Value;
use std::process::Command;

fn shakedown(args: &[&std::ffi::OsStr]) -> (u8, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(args)
        .output()
        .expect("runs shakedown");
    (
        out.status.code().expect("exit code") as u8,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_rebuilds_report_html_from_a_run_directory() {
    let history = failing_history();
    let verdict = check(&history, "cas-register", Value::Nil);
    let dir = scratch_dir("cli-rebuild");
    let written = write_run_dir(
        &dir,
        &RunArtifacts::new("cli", &history, &verdict, "cas-register"),
    )
    .unwrap();
    let original = std::fs::read(&written.report_html).unwrap();
    std::fs::remove_file(&written.report_html).unwrap();

    let (code, stdout, stderr) = shakedown(&["report".as_ref(), dir.as_os_str()]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(stdout.contains("report.html"), "{stdout}");
    assert_eq!(std::fs::read(&written.report_html).unwrap(), original);

    let other = dir.join("elsewhere").join("r.html");
    let (code, _, stderr) = shakedown(&[
        "report".as_ref(),
        dir.as_os_str(),
        "-o".as_ref(),
        other.as_os_str(),
    ]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(std::fs::read(&other).unwrap(), original);
}

#[test]
fn report_on_a_missing_or_malformed_directory_exits_3_and_says_why() {
    let dir = scratch_dir("cli-bad");
    let missing = dir.join("no-such-run");
    let (code, _, stderr) = shakedown(&["report".as_ref(), missing.as_os_str()]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("no-such-run") && stderr.contains("not a run directory"),
        "{stderr}"
    );

    let (code, _, stderr) = shakedown(&["report".as_ref(), dir.as_os_str()]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("results.json") && stderr.contains("missing"),
        "{stderr}"
    );

    std::fs::write(
        dir.join("results.json"),
        "{\"format\": \"shakedown-results\", \"format_version\": 1,\n \"title\": 7}",
    )
    .unwrap();
    let (code, _, stderr) = shakedown(&["report".as_ref(), dir.as_os_str()]);
    assert_eq!(code, 3);
    assert!(stderr.contains("results.json:2:"), "{stderr}");
}
