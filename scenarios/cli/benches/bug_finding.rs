//! Bug-finding power: for every bug switch of the examples, how many seeds
//! and how much wall time it takes to find the bug from a general scenario
//! (a shipped correct scenario with only the switch turned on), over ten
//! seed ranges, median and worst. Each switch runs twice: with the
//! scenario's own generated faults (`plain`), and with swarm testing,
//! randomized knobs and fault points on top (`search`: `[faults.generate]
//! swarm = true`, `[cluster] knobs = true`, `[faults.points]`), so the
//! table shows what the search adds.
//!
//! Run: `cargo bench -p shakedown-cli --bench bug_finding`
//! Knobs: `SHAKEDOWN_BENCH_RANGES` (default 10), `SHAKEDOWN_BENCH_SEEDS`
//! (the most seeds tried per range, default 200), `SHAKEDOWN_BENCH_ONLY`
//! (run only the rows whose name contains it).
//!
//! Range `k` is seeds `k * 1_000_000 ..`: far apart, so the ranges share no
//! luck. A range that finds nothing within its seeds counts as that many
//! seeds and is marked `>`.

use shakedown::runner::{
    self, ArtifactsMode, DeterminismCheck, Progress, RunOutcome, SweepOptions,
};
use shakedown::scenario::Scenario;
use shakedown::seeds::SeedSet;
use std::path::Path;
use std::time::Duration;

/// A bug switch: the base scenario and the settings that turn the bug on.
struct Bug {
    name: &'static str,
    base: &'static str,
    settings: &'static [(&'static str, toml::Value)],
}

fn bugs() -> Vec<Bug> {
    use toml::Value::{Boolean, Integer};
    vec![
        Bug {
            name: "raft-kv stale_reads",
            base: "scenarios/raft-kv-combined.toml",
            settings: &[("stale_reads", Boolean(true))],
        },
        Bug {
            name: "raft-kv no_sync",
            base: "scenarios/raft-kv-combined.toml",
            settings: &[("no_sync", Boolean(true))],
        },
        Bug {
            name: "raft-kv lease_trusts_clock",
            base: "scenarios/raft-kv-combined.toml",
            settings: &[("lease_trusts_clock", Boolean(true))],
        },
        Bug {
            name: "dynamo sloppy_quorum",
            base: "scenarios/dynamo-quorum.toml",
            settings: &[("sloppy_quorum", Boolean(true))],
        },
        Bug {
            name: "dynamo R+W<=N (read_quorum 1)",
            base: "scenarios/dynamo-quorum.toml",
            settings: &[("read_quorum", Integer(1))],
        },
    ]
}

/// The base scenario with the bug on, and the search options if asked.
fn scenario(bug: &Bug, search: bool, registry: &shakedown::models::Registry) -> Scenario {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let path = root.join(bug.base);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: toml::Table = text.parse().unwrap();
    let cluster = doc["cluster"].as_table_mut().unwrap();
    let settings = cluster
        .entry("settings")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .unwrap();
    for (k, v) in bug.settings {
        settings.insert((*k).to_owned(), v.clone());
    }
    if search {
        cluster.insert("knobs".into(), toml::Value::Boolean(true));
        let generate = doc["faults"]["generate"].as_table().cloned();
        let mut generate = generate.expect("the base scenario generates faults");
        generate.insert("swarm".into(), toml::Value::Boolean(true));
        let faults = doc["faults"].as_table_mut().unwrap();
        faults.insert("generate".into(), toml::Value::Table(generate));
        // Fault points with their defaults.
        faults.insert("points".into(), toml::Value::Table(toml::Table::new()));
    }
    // A bug hunt now: met at the first invalid seed.
    doc.insert("expect".into(), toml::Value::String("invalid".into()));
    Scenario::parse(&path, &toml::to_string(&doc).unwrap(), registry)
        .unwrap_or_else(|e| panic!("{}: {e}", bug.name))
}

/// Seeds run until the first failing one (or all of them), and the wall time.
fn first_failure(
    s: &Scenario,
    registry: &shakedown::models::Registry,
    start: u64,
    seeds: u64,
) -> (u64, bool, Duration) {
    let options = SweepOptions {
        seeds: Some(SeedSet::Range {
            start,
            end: start + seeds,
        }),
        keep_going: false,
        artifacts: ArtifactsMode::None,
        out_dir: std::env::temp_dir().join("shakedown-bug-finding"),
        progress: Progress::Quiet,
        determinism: DeterminismCheck::First(0),
        regressions: false,
    };
    let sweep = runner::sweep(s, registry, &options).unwrap();
    let found = sweep
        .runs
        .iter()
        .position(|r| r.outcome().is_bug() || r.outcome() == RunOutcome::Invalid);
    match found {
        Some(i) => (i as u64 + 1, true, sweep.wall),
        None => (seeds, false, sweep.wall),
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let ranges = env("SHAKEDOWN_BENCH_RANGES", 10);
    let seeds = env("SHAKEDOWN_BENCH_SEEDS", 200);
    let only = std::env::var("SHAKEDOWN_BENCH_ONLY").unwrap_or_default();
    let registry = shakedown_cli::registry();
    println!("bug finding: {ranges} seed ranges, at most {seeds} seeds each; seeds to the first failure (median / worst) and wall time (median / worst)");
    println!(
        "{:<32} {:<7} {:>10} {:>8} {:>10} {:>10} {:>6}",
        "bug", "config", "seeds med", "worst", "wall med", "worst", "found"
    );
    for bug in bugs() {
        if !bug.name.contains(only.as_str()) {
            continue;
        }
        for search in [false, true] {
            let s = scenario(&bug, search, &registry);
            let mut counts = Vec::new();
            let mut walls = Vec::new();
            let mut found = 0;
            for k in 0..ranges {
                let (n, hit, wall) = first_failure(&s, &registry, k * 1_000_000, seeds);
                counts.push(n);
                walls.push(wall);
                found += u64::from(hit);
            }
            counts.sort_unstable();
            walls.sort_unstable();
            let mark = |n: u64| {
                if found < ranges && n == seeds {
                    format!(">{n}")
                } else {
                    n.to_string()
                }
            };
            println!(
                "{:<32} {:<7} {:>10} {:>8} {:>9.2}s {:>9.2}s {:>3}/{}",
                bug.name,
                if search { "search" } else { "plain" },
                mark(counts[counts.len() / 2]),
                mark(counts[counts.len() - 1]),
                walls[walls.len() / 2].as_secs_f64(),
                walls[walls.len() - 1].as_secs_f64(),
                found,
                ranges
            );
        }
    }
}
