//! The command line tried as a careless or hostile user would: closed
//! pipes, full disks, files that share a name, reports aimed at their own
//! input, interrupted sweeps, missing shards and settings that would make
//! a run prove nothing. Each test failed before the hardening it names.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn fixture(name: &str) -> PathBuf {
    repo().join("scenarios/tests/fixtures").join(name)
}

fn history(name: &str) -> PathBuf {
    repo().join("checkers/histories").join(name)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run shakedown")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("shakedown-hardening-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn no_panic(o: &Output) {
    let t = text(o);
    assert!(!t.contains("panicked"), "{t}");
    assert_ne!(code(o), 101, "{t}");
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_verdicts_exit_code() {
    // `shakedown check bad.edn | head -0`: the reader is gone before the
    // first line is written.
    let bad = history("knossos-cas-register-bad-cas-failure.edn");
    let mut child = bin()
        .args(["check", "--model", "cas-register"])
        .args([&bad, &bad, &bad])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert_eq!(code(&out), 1, "invalid stays invalid: {}", text(&out));

    // `shakedown run … | head -1`: one line read, then the pipe closes.
    let mut child = bin()
        .args(["run", "--seeds", "2", "--no-determinism-check"])
        .arg(fixture("register-lost-writes.toml"))
        .arg(fixture("register-valid.toml"))
        .args(["--keep-going", "--artifacts", "none"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert!(first.contains("register-lost-writes"), "{first}");
    assert_eq!(code(&out), 0, "both met their expectations: {}", text(&out));
}

#[test]
fn a_full_disk_on_stdout_is_exit_3_with_a_message() {
    let Ok(full) = std::fs::File::create("/dev/full") else {
        eprintln!("no /dev/full here: skipped");
        return;
    };
    let out = bin()
        .args(["check", "--model", "cas-register"])
        .arg(history("knossos-cas-register-good-cas-register-bug.edn"))
        .stdout(full)
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("writing to standard output failed"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_failing_seed_whose_run_directory_cannot_be_written_fails_the_command() {
    // /dev/null is not a directory: every write under it fails, as on a
    // full disk.
    let dir = scratch("unwritable");
    let scenario = fixture("register-lost-writes.toml");
    let s = scenario.to_str().unwrap();
    let out = run_in(&dir, &["run", s, "--seeds", "1", "--out", "/dev/null/x"]);
    no_panic(&out);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("run directory not written"),
        "{}",
        text(&out)
    );
    let out = run_in(&dir, &["replay", s, "--seed", "0", "--out", "/dev/null/x"]);
    no_panic(&out);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("artifacts not written"),
        "{}",
        text(&out)
    );
}

#[test]
fn two_scenario_files_with_one_name_get_their_own_run_directories() {
    let dir = scratch("collide");
    for (sub, source) in [
        ("a", "register-valid.toml"),
        ("b", "register-lost-writes.toml"),
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::copy(fixture(source), dir.join(sub).join("x.toml")).unwrap();
    }
    // And a file whose stem would climb out of the output directory.
    std::fs::copy(fixture("register-lost-writes.toml"), dir.join("...toml")).unwrap();
    let out = run_in(
        &dir,
        &[
            "run",
            "a/x.toml",
            "b/x.toml",
            "...toml",
            "--seeds",
            "1",
            "--artifacts",
            "all",
            "--keep-going",
            "--no-determinism-check",
        ],
    );
    no_panic(&out);
    let verdict = |p: &str| {
        let results = std::fs::read_to_string(dir.join(p).join("results.json"))
            .unwrap_or_else(|e| panic!("{p}: {e}\n{}", text(&out)));
        let v: serde_json::Value = serde_json::from_str(&results).unwrap();
        v["outcome"].as_str().unwrap().to_owned()
    };
    assert_eq!(verdict("target/shakedown/a/x/0x0"), "valid");
    assert_eq!(verdict("target/shakedown/b/x/0x0"), "invalid");
    let results =
        std::fs::read_to_string(dir.join("target/shakedown/b/x/0x0/results.json")).unwrap();
    assert!(
        results.contains("replay b/x.toml --seed 0x0\""),
        "the default output directory needs no --out: {results}"
    );
    // The printed report path is b's own.
    assert!(
        text(&out).contains("target/shakedown/b/x/0x0/report.html"),
        "{}",
        text(&out)
    );
    // `...toml` stays inside target/shakedown.
    assert_eq!(verdict("target/shakedown/_../0x0"), "invalid");
    let outside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut outside = outside;
    outside.sort();
    assert_eq!(outside, ["...toml", "a", "b", "target"]);
}

#[test]
fn a_report_never_overwrites_its_input_and_each_input_gets_its_own() {
    let dir = scratch("check-report");
    let h = dir.join("h.edn");
    std::fs::copy(history("knossos-cas-register-bad-cas-failure.edn"), &h).unwrap();
    let before = std::fs::read(&h).unwrap();
    let out = run_in(
        &dir,
        &[
            "check",
            "--model",
            "cas-register",
            "--report",
            "h.edn",
            "h.edn",
        ],
    );
    no_panic(&out);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("would overwrite"), "{}", text(&out));
    assert_eq!(std::fs::read(&h).unwrap(), before, "the input is untouched");
    // The same file through another spelling of its path.
    let out = run_in(
        &dir,
        &[
            "check",
            "--model",
            "cas-register",
            "--report",
            "./h.edn",
            "h.edn",
        ],
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert_eq!(std::fs::read(&h).unwrap(), before);

    // Two inputs with one stem: two reports.
    for (sub, name) in [
        ("sa", "knossos-cas-register-bad-cas-failure.edn"),
        ("sb", "knossos-cas-register-good-cas-register-bug.edn"),
    ] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::copy(history(name), dir.join(sub).join("x.edn")).unwrap();
    }
    let out = run_in(
        &dir,
        &[
            "check",
            "--model",
            "cas-register",
            "--report",
            "rdir",
            "sa/x.edn",
            "sb/x.edn",
        ],
    );
    no_panic(&out);
    let mut reports: Vec<String> = std::fs::read_dir(dir.join("rdir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    reports.sort();
    assert_eq!(reports, ["sa_x.html", "sb_x.html"], "{}", text(&out));
    let a = std::fs::read_to_string(dir.join("rdir/sa_x.html")).unwrap();
    let b = std::fs::read_to_string(dir.join("rdir/sb_x.html")).unwrap();
    assert_ne!(a, b);
}

/// A one-node register scenario with one line added to one section.
fn scenario_with(dir: &Path, name: &str, section: &str, line: &str) -> PathBuf {
    let mut workload = String::from("timeout = \"200ms\"\n");
    if !(section == "workload" && line.starts_with("ops ")) {
        workload.push_str("ops = 20\n");
    }
    let mut rest = String::new();
    if section == "workload" {
        workload.push_str(line);
        workload.push('\n');
    } else {
        rest = format!("\n[{section}]\n{line}\n");
    }
    let text = format!(
        "expect = \"valid\"\nseeds = 1\n\n[cluster]\nmodel = \"register\"\nnodes = 1\n\n[workload]\n{workload}{rest}"
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn impossible_settings_are_refused_at_their_line_and_column() {
    let dir = scratch("refused");
    let cases = [
        ("workload", "clients = 0", "`clients` is 0"),
        ("workload", "ops = 0", "`ops` is 0"),
        ("workload", "ops_per_s = nan", "`ops_per_s` = NaN"),
        ("workload", "ops_per_s = inf", "`ops_per_s` = inf"),
        ("workload", "ops_per_s = -1.0", "`ops_per_s` = -1"),
        (
            "network",
            "loss_rate = 2.0",
            "`loss_rate` = 2 is not a probability",
        ),
        (
            "network",
            "duplicate_rate = -0.5",
            "`duplicate_rate` = -0.5 is not a probability",
        ),
        ("limits", "check_time = \"0s\"", "`check_time` is 0"),
        ("limits", "check_memory_mb = 0", "`check_memory_mb` is 0"),
    ];
    for (i, (section, line, expected)) in cases.iter().enumerate() {
        let path = scenario_with(&dir, &format!("s{i}"), section, line);
        let out = run_in(&dir, &["run", path.to_str().unwrap()]);
        no_panic(&out);
        assert_eq!(code(&out), 3, "{line}: {}", text(&out));
        let t = text(&out);
        assert!(t.contains(expected), "{line}: {t}");
        // The error names the line of the setting and the column of its value.
        let text = std::fs::read_to_string(&path).unwrap();
        let row = text.lines().position(|l| l == *line).unwrap() + 1;
        let col = line.find('=').unwrap() + 3;
        let at = format!("s{i}.toml:{row}:{col}:");
        assert!(t.contains(&at), "{line}: expected {at} in {t}");
    }
}

#[test]
fn a_run_that_checked_nothing_or_was_cut_short_is_not_valid() {
    let dir = scratch("vacuous");
    let cases = [
        // Nothing completes within a nanosecond.
        ("limits", "duration = \"1ns\"", "nothing was checked"),
        // A rate so slow that no op is ever issued.
        ("workload", "ops_per_s = 1e-300", "no client operation"),
        // Far more ops than the time limit allows.
        (
            "workload",
            "ops = 100000000\n[limits]\nduration = \"1s\"",
            "before the workload finished",
        ),
    ];
    for (i, (section, line, expected)) in cases.iter().enumerate() {
        let path = scenario_with(&dir, &format!("v{i}"), section, line);
        let out = run_in(
            &dir,
            &["run", path.to_str().unwrap(), "--artifacts", "none"],
        );
        no_panic(&out);
        assert_eq!(code(&out), 2, "{line}: {}", text(&out));
        assert!(text(&out).contains(expected), "{line}: {}", text(&out));
        assert!(
            !text(&out).contains("as expected"),
            "{line}: {}",
            text(&out)
        );
    }
}

#[test]
fn merge_is_told_how_many_shards_to_expect() {
    let dir = scratch("merge");
    let scenario = fixture("register-valid.toml");
    let s = scenario.to_str().unwrap();
    let out = run_in(
        &dir,
        &[
            "run",
            s,
            "--seeds",
            "0..2",
            "--summary-json",
            "shard-0.sweep.json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    // One of two shards never wrote its summary.
    let out = run_in(
        &dir,
        &["merge", "--expect-shards", "2", "shard-0.sweep.json"],
    );
    no_panic(&out);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("--expect-shards 2: found 1 shard file"),
        "{}",
        text(&out)
    );
    let out = run_in(
        &dir,
        &["merge", "--expect-shards", "1", "shard-0.sweep.json"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A shard that ran no seed is not "as expected".
    let summary = std::fs::read_to_string(dir.join("shard-0.sweep.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    v[0]["runs"] = serde_json::json!([]);
    std::fs::write(dir.join("empty.sweep.json"), v.to_string()).unwrap();
    let out = run_in(&dir, &["merge", "empty.sweep.json"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(!text(&out).contains("as expected"), "{}", text(&out));
    assert!(
        text(&out).contains("interrupted or empty"),
        "{}",
        text(&out)
    );
}

#[test]
fn sigint_finishes_the_seeds_in_flight_writes_the_summary_and_exits_130() {
    let dir = scratch("sigint");
    let scenario = fixture("register-valid.toml");
    let mut child = bin()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--seeds",
            "0..100000",
            "--lines",
        ])
        .args([
            "--summary-json",
            "sweep.json",
            "--artifacts",
            "none",
            "-j",
            "1",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until seeds are running, then interrupt.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 && !line.contains("seed 0x3") {
        line.clear();
    }
    let pid = child.id().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}{rest}");
    assert!(stdout.contains("INTERRUPTED"), "{stdout}");
    assert!(!stdout.contains("as expected"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(summary[0]["interrupted"], true);
    let runs = summary[0]["runs"].as_array().unwrap().len();
    assert!((4..100000).contains(&runs), "{runs} seeds ran");
}
