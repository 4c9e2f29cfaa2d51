//! `[checker] require_final_reads`: a run whose final reads are not served
//! is invalid even when its history is linearizable.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scenario(name: &str, faults: &str, checker: &str, final_reads: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shakedown-liveness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "expect = \"valid\"\nseeds = 2\n\n[cluster]\nmodel = \"raft-kv\"\nnodes = 3\n\n\
         [workload]\nclients = 3\nduration = \"2s\"\nfinal_reads = {final_reads}\n\n\
         {faults}\n[checker]\n{checker}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn run(path: &PathBuf) -> (Option<i32>, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "--lines", "--artifacts", "none"])
        .arg(path)
        .output()
        .expect("the shakedown binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

const ISOLATE: &str =
    "[[faults.timeline]]\nat = \"500ms\"\nfault = \"isolate\"\ntarget = 0\nduration = \"1s\"\n";
/// Every node crashes and none restarts: nothing can serve the final reads.
const CRASH_ALL: &str =
    "[[faults.timeline]]\nat = \"500ms\"\nfault = \"crash\"\ntarget = \"all\"\n";

#[test]
fn served_final_reads_keep_the_run_valid() {
    let path = scenario("served", ISOLATE, "require_final_reads = true", true);
    let (code, text) = run(&path);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 valid, 0 invalid"), "{text}");
}

#[test]
fn unserved_final_reads_make_the_run_invalid_only_when_required() {
    // Linearizable either way: ops on a dead cluster just time out into info.
    let path = scenario("unrequired", CRASH_ALL, "", true);
    let (code, text) = run(&path);
    assert_eq!(code, Some(0), "{text}");

    let path = scenario("required", CRASH_ALL, "require_final_reads = true", true);
    let (code, text) = run(&path);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Liveness: the final read by process"),
        "{text}"
    );
    assert!(text.contains("was not served"), "{text}");
}

#[test]
fn requiring_final_reads_without_them_is_an_error_at_the_key() {
    let path = scenario(
        "contradiction",
        ISOLATE,
        "require_final_reads = true",
        false,
    );
    let (code, text) = run(&path);
    assert_eq!(code, Some(3), "{text}");
    assert!(
        text.contains("contradiction.toml:20:23: `require_final_reads` needs final reads"),
        "{text}"
    );
}
