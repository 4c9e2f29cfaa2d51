//! Run directories are data: a hostile or damaged one (a CI artifact from
//! someone else's pull request, a run killed while writing) cannot make
//! `shakedown report` read or write other files, and is refused, not
//! half-trusted.

use shakedown::artifacts::{self, read_run_dir, rebuild_report, ArtifactError};
use shakedown::models::Registry;
use shakedown::runner;
use shakedown::scenario::Scenario;
use std::fs;
use std::path::{Path, PathBuf};

/// A real run directory of a failing seed.
fn run_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shakedown-hostile-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let registry = Registry::builtin();
    let scenario = Scenario::load("tests/fixtures/register-lost-writes.toml", &registry).unwrap();
    let run = runner::run_seed(&scenario, &registry, 0, Some(&dir), false).unwrap();
    assert_eq!(
        run.summary.dir.as_deref(),
        Some(dir.as_path()),
        "{:?}",
        run.summary.artifact_error
    );
    dir
}

fn edit_results(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(artifacts::RESULTS_JSON);
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn paths_named_in_results_json_are_never_followed() {
    let secret = std::env::temp_dir().join(format!("shakedown-secret-{}.edn", std::process::id()));
    fs::write(
        &secret,
        "{:process 0 :type :invoke :f :read :value \"TOP-SECRET\"}\n",
    )
    .unwrap();
    for (field, value) in [
        ("history_edn", secret.display().to_string()),
        ("history_edn", "../../../../etc/passwd".to_owned()),
        ("report_html", "../overwritten.html".to_owned()),
        ("metrics_json", "/etc/passwd".to_owned()),
    ] {
        let dir = run_dir("paths");
        edit_results(&dir, |v| {
            v["files"][field] = serde_json::Value::String(value.clone())
        });
        let err = rebuild_report(&dir).unwrap_err().to_string();
        assert!(err.contains("fixed names"), "{field}={value}: {err}");
        assert!(
            !err.contains("TOP-SECRET") && !err.contains("root:"),
            "{err}"
        );
        assert!(!dir.parent().unwrap().join("overwritten.html").exists());
    }
}

#[cfg(unix)]
#[test]
fn links_are_neither_read_nor_written_through() {
    let dir = run_dir("links");
    let secret = dir
        .parent()
        .unwrap()
        .join(format!("secret-{}.edn", std::process::id()));
    fs::copy(dir.join("history.edn"), &secret).unwrap();
    fs::remove_file(dir.join("history.edn")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.join("history.edn")).unwrap();
    let err = read_run_dir(&dir).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");

    let dir = run_dir("report-link");
    let victim = dir
        .parent()
        .unwrap()
        .join(format!("victim-{}.txt", std::process::id()));
    fs::write(&victim, "precious").unwrap();
    fs::remove_file(dir.join("report.html")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("report.html")).unwrap();
    rebuild_report(&dir).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .contains("<html"));
}

#[test]
fn a_truncated_or_empty_history_is_refused() {
    for cut in [0usize, 2] {
        let dir = run_dir("truncated");
        let path = dir.join("history.edn");
        let text = fs::read_to_string(&path).unwrap();
        let kept: String = text.lines().take(cut).map(|l| format!("{l}\n")).collect();
        fs::write(&path, kept).unwrap();
        let err = read_run_dir(&dir).unwrap_err();
        assert!(matches!(err, ArtifactError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn a_directory_without_results_json_is_incomplete() {
    // A run killed while writing: results.json is written last.
    let dir = run_dir("killed");
    fs::remove_file(dir.join("results.json")).unwrap();
    let err = read_run_dir(&dir).unwrap_err();
    assert!(matches!(err, ArtifactError::Missing { .. }), "{err}");
    // No temporary files are left behind by a completed write.
    let dir = run_dir("clean");
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}
