//! End-to-end tests of `shakedown check`: the built binary on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn histories() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("../checkers/histories")
}

fn shakedown(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(args)
        .output()
        .expect("run shakedown")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn file(name: &str) -> String {
    histories().join(name).display().to_string()
}

/// A scratch directory for files a test writes.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("shakedown-check-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn valid_history_exits_0() {
    let out = shakedown(&["check", "--model", "cas-register", &file("etcd-002.edn")]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("etcd-002.edn: valid (cas-register, 77 ops"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn invalid_history_exits_1_and_explains() {
    let out = shakedown(&[
        "check",
        "--model",
        "cas-register",
        "--initial",
        "0",
        &file("knossos-cas-register-bad-rethink-fail-minimal.edn"),
    ]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(": invalid (cas-register, 4 ops"), "{text}");
    assert!(
        text.contains("Cannot be linearized: process 1 read 3 [ok] (events 2-4)"),
        "{text}"
    );
    assert!(
        text.contains("Longest linearizable prefix (2 ops):"),
        "{text}"
    );
    assert!(text.contains("States reachable there: 4"), "{text}");
    assert!(
        text.contains("it read 3, but the register holds 4"),
        "{text}"
    );
}

#[test]
fn several_files_report_each_and_exit_with_the_worst() {
    let out = shakedown(&[
        "check",
        "--model",
        "kv",
        &file("kv-c01-ok.edn"),
        &file("kv-c01-bad.edn"),
    ]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.contains("kv-c01-ok.edn: valid"), "{text}");
    assert!(text.contains("kv-c01-bad.edn: invalid"), "{text}");
    assert!(text.contains("Key: \"7\""), "{text}");

    // Bad input outweighs an invalid verdict, and the other files are still checked.
    let dir = scratch("several");
    let bad = write(&dir, "bad.edn", "{:process 0 :type :invoke :f :read");
    let out = shakedown(&[
        "check",
        "--model",
        "kv",
        &file("kv-c01-bad.edn"),
        &bad,
        &file("kv-c01-ok.edn"),
    ]);
    assert_eq!(code(&out), 3);
    assert!(
        stdout(&out).contains("kv-c01-ok.edn: valid"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn json_prints_one_object_per_file() {
    let out = shakedown(&[
        "check",
        "--json",
        "--model",
        "cas-register",
        &file("etcd-000.edn"),
        &file("etcd-002.edn"),
    ]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        text.starts_with("{\"file\":"),
        "fields in the documented order: {text}"
    );
    assert_eq!(lines[0]["model"], "cas-register");
    assert_eq!(lines[0]["valid"], false);
    assert_eq!(lines[0]["ops"], 85);
    assert!(lines[0]["elapsed_ms"].as_f64().unwrap() >= 0.0);
    let ce = &lines[0]["counterexample"];
    assert_eq!(ce["op"]["f"], "read");
    assert!(!ce["prefix"].as_array().unwrap().is_empty());
    assert!(ce["explanation"]
        .as_str()
        .unwrap()
        .contains("cannot be linearized"));
    assert_eq!(lines[1]["valid"], true);
    assert!(lines[1]["counterexample"].is_null());
}

#[test]
fn malformed_edn_names_file_line_and_column_and_exits_3() {
    let dir = scratch("edn");
    let path = write(
        &dir,
        "broken.edn",
        "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :okk, :f :read, :value 1}\n",
    );
    let out = shakedown(&["check", "--model", "register", &path]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:2:20:")), "{err}");
    assert!(err.contains(":invoke, :ok, :fail or :info"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_jsonl_names_file_line_and_column_and_exits_3() {
    let dir = scratch("jsonl");
    let path = write(
        &dir,
        "broken.jsonl",
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1,}\n",
    );
    let out = shakedown(&["check", "--json", "--model", "register", &path]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:2:")), "{err}");
    let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(line["valid"].is_null());
    assert!(line["error"].as_str().unwrap().contains(":2:"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn double_invoke_and_bad_ops_name_the_event_and_exit_3() {
    let dir = scratch("pairing");
    let path = write(
        &dir,
        "double.edn",
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :invoke, :f :write, :value 2}\n",
    );
    let out = shakedown(&["check", "--model", "register", &path]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:2:1:")), "{err}");
    assert!(err.contains("malformed history"), "{err}");

    let path = write(
        &dir,
        "cas.edn",
        "[{:process 0, :type :invoke, :f :write, :value 1}\n {:process 0, :type :ok, :f :write, :value 1}\n {:process 1, :type :invoke, :f :cas, :value 7}]",
    );
    let out = shakedown(&["check", "--model", "cas-register", &path]);
    assert_eq!(code(&out), 3);
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:3:2:")), "{err}");
    assert!(err.contains("[old new]"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn usage_errors_exit_3() {
    let out = shakedown(&["check", "--model", "stack", &file("etcd-002.edn")]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("unknown model `stack`"),
        "{}",
        stderr(&out)
    );
    let out = shakedown(&[
        "check",
        "--model",
        "register",
        "--initial",
        "{:x",
        &file("etcd-002.edn"),
    ]);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("--initial"), "{}", stderr(&out));
    let out = shakedown(&[
        "check",
        "--model",
        "register",
        "--time-limit",
        "soon",
        &file("etcd-002.edn"),
    ]);
    assert_eq!(code(&out), 3);
    let out = shakedown(&["check", "--model", "register"]);
    assert_eq!(code(&out), 3);
    let out = shakedown(&["check", "--model", "register", "/no/such/history.edn"]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("/no/such/history.edn"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn initial_state_changes_the_verdict() {
    let dir = scratch("initial");
    let path = write(
        &dir,
        "h.edn",
        "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 5}\n",
    );
    assert_eq!(
        code(&shakedown(&["check", "--model", "register", &path])),
        1
    );
    assert_eq!(
        code(&shakedown(&[
            "check",
            "--model",
            "register",
            "--initial",
            "5",
            &path
        ])),
        0
    );
    let path = write(
        &dir,
        "m.edn",
        "{:process 0, :type :invoke, :f :txn, :value [[:r :x nil] [:w :y 1]]}\n{:process 0, :type :ok, :f :txn, :value [[:r :x 0] [:w :y 1]]}\n",
    );
    assert_eq!(
        code(&shakedown(&[
            "check",
            "--model",
            "multi-register",
            "--initial",
            "{:x 0 :y 0}",
            &path
        ])),
        0
    );
    assert_eq!(
        code(&shakedown(&[
            "check",
            "--model",
            "multi-register",
            "--initial",
            "{:x 1}",
            &path
        ])),
        1
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Dozens of concurrent `info` writes, then reads no order can explain:
/// the search space is exponential, so the time limit must answer.
fn pathological_history() -> String {
    let mut text = String::new();
    for p in 0..40 {
        text.push_str(&format!(
            "{{:process {p}, :type :invoke, :f :write, :value {}}}\n",
            p % 20
        ));
    }
    for p in 0..40 {
        text.push_str(&format!(
            "{{:process {p}, :type :info, :f :write, :value {}, :error :timed-out}}\n",
            p % 20
        ));
    }
    for (i, v) in [1, 2, 1, 2, 1, 2].iter().enumerate() {
        let p = 100 + i;
        text.push_str(&format!(
            "{{:process {p}, :type :invoke, :f :read, :value nil}}\n"
        ));
        text.push_str(&format!(
            "{{:process {p}, :type :ok, :f :read, :value {v}}}\n"
        ));
    }
    text
}

#[test]
fn time_limit_gives_unknown_and_exit_2() {
    let dir = scratch("limit");
    let path = write(&dir, "slow.edn", &pathological_history());
    let started = Instant::now();
    let out = shakedown(&[
        "check",
        "--json",
        "--model",
        "cas-register",
        "--time-limit",
        "1s",
        &path,
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["valid"], "unknown");
    assert!(
        line["reason"]
            .as_str()
            .unwrap()
            .contains("time limit of 1 s"),
        "{line}"
    );

    let out = shakedown(&[
        "check",
        "--model",
        "cas-register",
        "--memory-limit",
        "8MiB",
        &path,
    ]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("memory limit of 8 MiB"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jsonl_histories_check_like_their_edn() {
    let dir = scratch("jsonl-verdicts");
    let h = shakedown_checkers::read_history_file(histories().join("kv-c01-bad.edn")).unwrap();
    let jsonl = write(
        &dir,
        "kv-c01-bad.jsonl",
        &shakedown_checkers::jsonl::write_history(&h),
    );
    // No telling extension: the format is sniffed from the contents.
    let sniffed = write(
        &dir,
        "kv-c01-bad.log",
        &shakedown_checkers::jsonl::write_history(&h),
    );
    let edn = file("kv-c01-bad.edn");
    let mut explanations = Vec::new();
    for path in [&edn, &jsonl, &sniffed] {
        let out = shakedown(&["check", "--json", "--model", "kv", path]);
        assert_eq!(code(&out), 1, "{path}: {}{}", stdout(&out), stderr(&out));
        let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        explanations.push(line["counterexample"]["explanation"].clone());
    }
    assert_eq!(explanations[0], explanations[1]);
    assert_eq!(explanations[0], explanations[2]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn report_flag_writes_a_report_per_history() {
    let dir = scratch("report");
    let one = dir.join("one.html");
    let out = shakedown(&[
        "check",
        "--model",
        "cas-register",
        "--initial",
        "0",
        "--report",
        &one.display().to_string(),
        &file("knossos-cas-register-bad-rethink-fail-minimal.edn"),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let html = std::fs::read_to_string(&one).expect("report written");
    assert!(
        html.contains("id=\"counterexample\""),
        "report has no counterexample section"
    );
    assert!(html.contains("invalid"));

    let many = dir.join("many");
    let out = shakedown(&[
        "check",
        "--model",
        "cas-register",
        "--initial",
        "0",
        "--report",
        &many.display().to_string(),
        &file("knossos-cas-register-good-cas-register-bug.edn"),
        &file("knossos-cas-register-bad-immediate-failure.edn"),
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    for stem in [
        "knossos-cas-register-good-cas-register-bug",
        "knossos-cas-register-bad-immediate-failure",
    ] {
        assert!(
            many.join(format!("{stem}.html")).is_file(),
            "no report for {stem}"
        );
    }
}
