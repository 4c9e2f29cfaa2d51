//! `shakedown run`, `replay`, `list` and `merge` end to end: exit codes,
//! artifacts, and byte-identical histories for the same seed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VALID: &str = "tests/fixtures/register-valid.toml";
const LOST_WRITES: &str = "tests/fixtures/register-lost-writes.toml";

fn shakedown(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .output()
        .expect("the shakedown binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shakedown-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_valid_sweep_exits_0_with_a_summary() {
    let out = temp_dir("valid");
    let o = shakedown(&["run", VALID, "--out", out.to_str().unwrap(), "--lines"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("4 of 4 seeds run: 4 valid, 0 invalid, 0 unknown"),
        "{t}"
    );
    assert!(t.contains("ops/s"), "{t}");
    assert!(t.contains("x wall time"), "{t}");
    // Only failing runs get a directory by default.
    assert!(!out.join("tests/fixtures/register-valid").exists());
}

#[test]
fn a_found_bug_meets_an_invalid_expectation_and_writes_its_report() {
    let out = temp_dir("bug");
    let o = shakedown(&["run", LOST_WRITES, "--out", out.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("as expected (expect invalid)"), "{t}");
    let dir = out.join("tests/fixtures/register-lost-writes").join("0x0");
    for f in [
        "history.edn",
        "history.jsonl",
        "results.json",
        "report.html",
    ] {
        assert!(dir.join(f).exists(), "{f} missing in {}", dir.display());
    }
    // The printed replay line runs as it is, writes the same run
    // directory, and reproduces the history byte for byte.
    let line = t
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay line in {t}"));
    assert!(
        line.ends_with(&format!(
            "replay tests/fixtures/register-lost-writes.toml --seed 0x0 --out {}",
            out.display()
        )),
        "{line}"
    );
    let before = std::fs::read(dir.join("history.edn")).unwrap();
    let replay = Command::new("sh")
        .args(["-c", line])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay));
    assert!(
        text(&replay).contains("determinism: two runs, identical"),
        "{}",
        text(&replay)
    );
    assert_eq!(std::fs::read(dir.join("history.edn")).unwrap(), before);
    // The history written is one `shakedown check` agrees with.
    let results = std::fs::read_to_string(dir.join("results.json")).unwrap();
    assert!(results.contains("\"outcome\": \"invalid\""), "{results}");
}

#[test]
fn a_contradicted_expectation_exits_1() {
    let dir = temp_dir("contradicted");
    let text_in = std::fs::read_to_string(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(LOST_WRITES),
    )
    .unwrap()
    .replace("expect = \"invalid\"", "expect = \"valid\"");
    let file = dir.join("claims-valid.toml");
    std::fs::write(&file, text_in).unwrap();
    let o = shakedown(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("CONTRADICTED"), "{t}");
    // It says what to do next: shrink the failing seed.
    assert!(
        t.contains("next: a bug: read the report, then shrink it")
            && t.contains("shrink")
            && t.contains("--seed 0x0 -o target/minimal.toml"),
        "{t}"
    );
    // A file outside the working directory: its stem and a hash of its path.
    let key = shakedown::scenario::artifact_key(&file);
    assert!(
        key.to_string_lossy().starts_with("claims-valid-"),
        "{key:?}"
    );
    assert!(dir.join(key).join("0x0").join("report.html").exists());
}

#[test]
fn bad_input_exits_3_and_names_the_place() {
    let dir = temp_dir("bad");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "expect = \"valid\"\n[cluster]\nmodel = \"register\"\nnodse = 1\n",
    )
    .unwrap();
    let o = shakedown(&["run", file.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(t.contains("bad.toml:4:1"), "{t}");
    assert!(t.contains("did you mean `nodes`?"), "{t}");

    let o = shakedown(&["run", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    if !cfg!(madsim) {
        let o = shakedown(&["run", VALID, "--engine", "madsim"]);
        assert_eq!(o.status.code(), Some(3));
        assert!(text(&o).contains("not built in this binary"));
    }
    let o = shakedown(&["run", VALID, "--seeds", "9..3"]);
    assert_eq!(o.status.code(), Some(3));
    let o = shakedown(&["run"]);
    assert_eq!(o.status.code(), Some(3));
    let o = shakedown(&["replay", VALID, "--seed", "banana"]);
    assert_eq!(o.status.code(), Some(3));
}

/// On madsim too: every seed checked for determinism passes, and two
/// sweeps write the same bytes.
#[cfg(madsim)]
#[test]
fn madsim_runs_replay_byte_for_byte_and_pass_the_determinism_check() {
    let o = shakedown(&[
        "run",
        VALID,
        "--engine",
        "madsim",
        "--seeds",
        "0..6",
        "--check-determinism",
        "--artifacts",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("on the madsim engine"), "{}", text(&o));
    let histories: Vec<Vec<u8>> = ["madsim-a", "madsim-b"]
        .iter()
        .map(|name| {
            let out = temp_dir(name);
            let o = shakedown(&[
                "run",
                VALID,
                "--engine",
                "madsim",
                "--seeds",
                "3..4",
                "--artifacts",
                "all",
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            std::fs::read(out.join("tests/fixtures/register-valid/0x3/history.edn")).unwrap()
        })
        .collect();
    assert!(!histories[0].is_empty());
    assert_eq!(histories[0], histories[1]);
}

#[test]
fn the_same_seed_writes_byte_identical_histories() {
    // Both sweeps write to one directory (the report names it in its
    // replay command); each result is moved aside before the next.
    let work = temp_dir("same-work");
    let a = temp_dir("same-a");
    let b = temp_dir("same-b");
    for out in [&a, &b] {
        let _ = std::fs::remove_dir_all(&work);
        let o = shakedown(&[
            "run",
            VALID,
            "--seeds",
            "7..9",
            "--artifacts",
            "all",
            "--out",
            work.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        std::fs::remove_dir_all(out).unwrap();
        std::fs::rename(&work, out).unwrap();
    }
    for seed in ["0x7", "0x8"] {
        let read = |d: &PathBuf, f: &str| {
            std::fs::read(d.join("tests/fixtures/register-valid").join(seed).join(f)).unwrap()
        };
        assert_eq!(
            read(&a, "history.edn"),
            read(&b, "history.edn"),
            "seed {seed}"
        );
        assert_eq!(
            read(&a, "history.jsonl"),
            read(&b, "history.jsonl"),
            "seed {seed}"
        );
        assert_eq!(
            read(&a, "report.html"),
            read(&b, "report.html"),
            "seed {seed}"
        );
    }
    let read = |d: &PathBuf, s: &str| {
        std::fs::read(
            d.join("tests/fixtures/register-valid")
                .join(s)
                .join("history.edn"),
        )
        .unwrap()
    };
    assert_ne!(
        read(&a, "0x7"),
        read(&a, "0x8"),
        "different seeds, different histories"
    );
}

#[test]
fn replay_reproduces_a_seed_of_a_sweep() {
    let sweep = temp_dir("replay-sweep");
    let replay = temp_dir("replay-one");
    let o = shakedown(&[
        "run",
        LOST_WRITES,
        "--seeds",
        "5..6",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = shakedown(&[
        "replay",
        LOST_WRITES,
        "--seed",
        "5",
        "--out",
        replay.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("seed 0x5: invalid"), "{t}");
    assert!(t.contains("digest"), "{t}");
    let h = |d: &PathBuf| {
        std::fs::read(d.join("tests/fixtures/register-lost-writes/0x5/history.edn")).unwrap()
    };
    assert_eq!(h(&sweep), h(&replay));
}

#[test]
fn list_shows_models_faults_and_scenarios() {
    let o = shakedown(&["list", "models"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("primary-backup"));
    let o = shakedown(&["list", "faults"]);
    let t = text(&o);
    assert!(t.contains("clock-strobe") && t.contains("no-sync"), "{t}");
    let o = shakedown(&["list", "scenarios", "tests/fixtures"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("register-lost-writes.toml") && t.contains("expect invalid"),
        "{t}"
    );
}

#[test]
fn list_models_shows_each_setting_and_list_json_is_json() {
    let o = shakedown(&["list", "models"]);
    let t = text(&o);
    // A key, its kind and its default, read off the settings type.
    assert!(
        t.lines().any(|l| l.trim_start().starts_with("stale_reads")
            && l.contains("boolean")
            && l.contains("default false")),
        "{t}"
    );
    assert!(
        t.lines().any(
            |l| l.trim_start().starts_with("read_path") && l.contains("default \"read-index\"")
        ),
        "{t}"
    );
    let o = shakedown(&["list", "models", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let models: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let raft = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "raft-kv")
        .unwrap();
    assert_eq!(raft["kind"], "callback");
    let heartbeat = raft["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "heartbeat_ms")
        .unwrap();
    assert_eq!(heartbeat["kind"], "integer");
    assert_eq!(heartbeat["required"], false);
    assert_eq!(heartbeat["default"], "50");
    let o = shakedown(&["list", "faults", "--json"]);
    let faults: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(faults["faults"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "isolate"));
    let o = shakedown(&["list", "scenarios", "tests/fixtures", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["path"] == "tests/fixtures/register-valid.toml" && r["expect"] == "valid"));
}

#[test]
fn shard_summaries_merge_by_seed() {
    let dir = temp_dir("merge");
    for (seeds, name) in [("0..2", "a.sweep.json"), ("2..4", "b.sweep.json")] {
        let o = shakedown(&[
            "run",
            VALID,
            "--seeds",
            seeds,
            "--out",
            dir.to_str().unwrap(),
            "--summary-json",
            dir.join(name).to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let o = shakedown(&["merge", dir.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("register-valid: 4 seeds: 4 valid, 0 invalid, 0 unknown"),
        "{t}"
    );
}

#[test]
fn shrink_writes_a_smaller_scenario_that_still_fails_and_is_deterministic() {
    let dir = temp_dir("shrink");
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    for out in [&a, &b] {
        let o = shakedown(&[
            "shrink",
            LOST_WRITES,
            "--seed",
            "0x0",
            "-o",
            out.to_str().unwrap(),
        ]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{t}");
        assert!(t.contains("before: 2 nemesis events"), "{t}");
        assert!(t.contains("after:  "), "{t}");
    }
    let written = std::fs::read_to_string(&a).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(&b).unwrap(),
        "shrinking is deterministic"
    );
    assert!(written.contains("expect = \"invalid\""), "{written}");
    assert!(written.contains("seeds = [0]"), "{written}");
    let ops: u64 = written
        .lines()
        .find_map(|l| l.strip_prefix("ops = "))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(ops < 80, "{written}");
    // Running it reproduces the violation.
    let o = shakedown(&["run", a.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("1 invalid"), "{t}");
}

#[test]
fn shrink_expands_generated_faults_into_a_timeline() {
    let dir = temp_dir("shrink-generated");
    let text_in = std::fs::read_to_string(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(LOST_WRITES),
    )
    .unwrap();
    let head = text_in.split("[[faults.timeline]]").next().unwrap();
    let file = dir.join("generated.toml");
    std::fs::write(
        &file,
        format!("{head}[faults]\nuntil = \"400ms\"\n[faults.generate]\npackages = [\"kill\"]\ninterval = \"40ms\"\njitter = \"10ms\"\nrecovery = \"50ms\"\n\n[checker]\nmodel = \"register\"\n"),
    )
    .unwrap();
    let o = shakedown(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    let seed = t
        .lines()
        .find_map(|l| l.trim().strip_prefix("seed "))
        .and_then(|l| l.split(':').next())
        .unwrap()
        .to_owned();
    let out = dir.join("min.toml");
    let o = shakedown(&[
        "shrink",
        file.to_str().unwrap(),
        "--seed",
        &seed,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("[[faults.timeline]]"), "{written}");
    assert!(!written.contains("[faults.generate]"), "{written}");
    let o = shakedown(&["run", out.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{written}", text(&o));
}

#[test]
fn shrinking_a_valid_seed_is_refused() {
    let dir = temp_dir("shrink-valid");
    let o = shakedown(&[
        "shrink",
        VALID,
        "--seed",
        "1",
        "-o",
        dir.join("x.toml").to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("not invalid"), "{t}");
}

#[test]
fn every_help_lists_the_exit_codes() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["check", "--help"],
        vec!["replay", "--help"],
        vec!["shrink", "--help"],
        vec!["report", "--help"],
        vec!["list", "--help"],
        vec!["merge", "--help"],
    ] {
        let o = shakedown(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let t = text(&o);
        assert!(t.contains("Exit codes: 0 valid"), "{args:?}: {t}");
        assert!(t.contains("3 bad input"), "{args:?}: {t}");
    }
}

#[test]
fn run_json_prints_one_object_per_seed_then_a_summary() {
    let out = temp_dir("json");
    let o = shakedown(&["run", LOST_WRITES, "--json", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let objects: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (summary, seeds) = objects.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["status"], "met");
    assert_eq!(summary["seeds_run"].as_u64().unwrap() as usize, seeds.len());
    assert!(seeds.iter().all(|s| s["type"] == "seed"));
    let positions: Vec<u64> = seeds.iter().map(|s| s["seed"].as_u64().unwrap()).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted, "seed order");
    assert_eq!(seeds.last().unwrap()["outcome"], "invalid");
    assert!(summary["report"].as_str().unwrap().ends_with("report.html"));
    assert_eq!(
        summary["engine"], "discrete",
        "the default for a callback model"
    );
}

#[test]
fn engine_flag_switches_the_engine_and_refuses_what_is_not_built_in() {
    let out = temp_dir("engine");
    for (flag, engine) in [(None, "discrete"), (Some("turmoil"), "turmoil")] {
        let mut args = vec!["run", VALID, "--out", out.to_str().unwrap()];
        if let Some(e) = flag {
            args.extend(["--engine", e]);
        }
        let o = shakedown(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{t}");
        assert!(
            t.contains(&format!("wall time on the {engine} engine")),
            "{t}"
        );
    }
    let o = shakedown(&["run", VALID, "--engine", "madsim"]);
    if cfg!(madsim) {
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(text(&o).contains("on the madsim engine"), "{}", text(&o));
    } else {
        // A binary built without madsim says how to build one.
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(
            text(&o).contains("only `discrete` and `turmoil`")
                && text(&o).contains("RUSTFLAGS=\"--cfg madsim\" cargo build"),
            "{}",
            text(&o)
        );
    }
    let o = shakedown(&[
        "replay",
        VALID,
        "--seed",
        "1",
        "--engine",
        "turmoil",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("on the turmoil engine"), "{}", text(&o));
    let o = shakedown(&["run", VALID, "-j", "100000"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("per core"), "{}", text(&o));
}

#[test]
fn a_run_limit_gives_unknown_exit_2_and_names_the_limit() {
    let dir = temp_dir("run-limit");
    let text_in =
        std::fs::read_to_string(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(VALID))
            .unwrap()
            + "\n[limits]\nmessages_delivered_max = 10\n";
    let file = dir.join("storm.toml");
    std::fs::write(&file, text_in).unwrap();
    let o = shakedown(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("over limits.messages_delivered_max (10)"),
        "the verdict's reason names the limit: {t}"
    );
    assert!(
        t.contains("a run passed [limits] messages_delivered_max"),
        "the next step names the limit: {t}"
    );
}
