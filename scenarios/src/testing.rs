//! `cargo test` integration: one line runs a scenario file over its seeds
//! and fails with everything needed to reproduce the failure.
//!
//! ```no_run
//! #[test]
//! fn raft_kv_stays_linearizable() {
//!     shakedown::testing::run_scenario("scenarios/raft-kv-combined.toml");
//! }
//! ```
//!
//! or, the same, `shakedown::scenario_test!(raft_kv_stays_linearizable,
//! "scenarios/raft-kv-combined.toml");`.
//!
//! Your own models: pass your registry, e.g.
//! `shakedown::scenario_test!(finds_lost_update, "scenarios/lost-update.toml",
//! my_system::registry());` or [`run_scenario_with`].
//!
//! - `SHAKEDOWN_SEED=0x1f2e cargo test NAME` runs exactly that seed.
//! - `SHAKEDOWN_SEEDS=1000` (or `0..5000`, or `7,0x1f2e`) replaces the
//!   file's seeds, e.g. to widen a sweep in a nightly job.
//! - The first two seeds of every sweep run twice and are compared step by
//!   step (`nondeterministic` if they differ); `SHAKEDOWN_CHECK_DETERMINISM=1`
//!   checks every seed, `=0` none.
//!
//! Run directories of failing seeds go to `target/shakedown/<scenario path>/<seed>/`.
//! On failure the test panics with the seed, the verdict, the report's path
//! and both replay commands.

use crate::models::Registry;
use crate::runner::{self, DeterminismCheck, Progress, Status, Sweep, SweepOptions};
use crate::scenario::{Expect, Scenario};
use crate::seeds::{format_seed, parse_seed, SeedSet};
use std::path::{Path, PathBuf};

/// Runs exactly this seed: `SHAKEDOWN_SEED=0x1f2e`.
pub const SEED_ENV: &str = "SHAKEDOWN_SEED";
/// Replaces the file's seeds: `SHAKEDOWN_SEEDS=1000`, `0..5000`, `7,0x1f2e`.
pub const SEEDS_ENV: &str = "SHAKEDOWN_SEEDS";

/// The seeds the environment asks for, if any. A malformed value is an
/// error, never silently ignored.
pub fn seeds_from_env() -> Result<Option<SeedSet>, String> {
    if let Ok(text) = std::env::var(SEED_ENV) {
        if !text.trim().is_empty() {
            let seed = parse_seed(&text).map_err(|e| format!("{SEED_ENV}: {e}"))?;
            return Ok(Some(SeedSet::List(vec![seed])));
        }
    }
    if let Ok(text) = std::env::var(SEEDS_ENV) {
        if !text.trim().is_empty() {
            return text
                .parse::<SeedSet>()
                .map(Some)
                .map_err(|e| format!("{SEEDS_ENV}: {e}"));
        }
    }
    Ok(None)
}

/// Finds `path` from the current directory, or from the crate's directory
/// and its ancestors (so `"scenarios/x.toml"` works from any workspace
/// crate's tests).
pub fn find_file(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    if path.is_absolute() || path.exists() {
        return path.to_owned();
    }
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        for base in Path::new(&dir).ancestors() {
            let candidate = base.join(path);
            if candidate.exists() {
                return candidate;
            }
        }
    }
    path.to_owned()
}

/// The target directory: `$CARGO_TARGET_DIR`, or the one the test binary
/// runs from (`<target>/debug/deps/test-binary`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|a| a.file_name().is_some_and(|n| n == "target"))
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Runs the scenario file at `path` over its seeds with the built-in
/// models, and panics unless the sweep meets the file's expectation.
#[track_caller]
pub fn run_scenario(path: impl AsRef<Path>) -> Sweep {
    run_scenario_with(path, &Registry::builtin())
}

/// [`run_scenario`] with your own registry (to run your own model). The
/// failure message's replay line uses [`Registry::command`].
#[track_caller]
pub fn run_scenario_with(path: impl AsRef<Path>, registry: &Registry) -> Sweep {
    match try_run_scenario(path, registry) {
        Ok(sweep) => sweep,
        Err(message) => panic!("{message}"),
    }
}

/// [`run_scenario`] over the first `count` seeds of the file's sweep
/// (unless `SHAKEDOWN_SEED(S)` says otherwise): a quick default test of a
/// scenario whose full sweep runs elsewhere (an ignored test, CI shards).
#[track_caller]
pub fn run_scenario_prefix(path: impl AsRef<Path>, count: u64) -> Sweep {
    run_scenario_prefix_with(path, count, &Registry::builtin())
}

/// [`run_scenario_prefix`] with your own registry.
#[track_caller]
pub fn run_scenario_prefix_with(path: impl AsRef<Path>, count: u64, registry: &Registry) -> Sweep {
    let result = (|| {
        let path = find_file(path);
        let scenario = Scenario::load(&path, registry).map_err(|e| e.to_string())?;
        let all = scenario.seeds();
        let prefix = SeedSet::List(
            (0..count.min(all.len()))
                .filter_map(|i| all.get(i))
                .collect(),
        );
        try_run_with_seeds(&scenario, registry, Some(prefix))
    })();
    match result {
        Ok(sweep) => sweep,
        Err(message) => panic!("{message}"),
    }
}

/// [`run_scenario_with`] without the panic: the failure message instead.
pub fn try_run_scenario(path: impl AsRef<Path>, registry: &Registry) -> Result<Sweep, String> {
    let path = find_file(path);
    let scenario = Scenario::load(&path, registry).map_err(|e| e.to_string())?;
    try_run_with_seeds(&scenario, registry, None)
}

fn try_run_with_seeds(
    scenario: &Scenario,
    registry: &Registry,
    default: Option<SeedSet>,
) -> Result<Sweep, String> {
    let scenario = scenario.clone();
    let seeds = seeds_from_env()?.or(default);
    let options = SweepOptions {
        seeds,
        keep_going: false,
        artifacts: runner::ArtifactsMode::Failures,
        out_dir: target_dir().join("shakedown"),
        progress: Progress::Quiet,
        determinism: DeterminismCheck::from_env()?,
        regressions: runner::regressions_from_env(),
    };
    let sweep = runner::sweep(&scenario, registry, &options).map_err(|e| e.to_string())?;
    match sweep.status() {
        Status::Met => Ok(sweep),
        status => Err(failure_message(&scenario, registry, &sweep, status)),
    }
}

/// What a failing scenario test says.
fn failure_message(
    scenario: &Scenario,
    registry: &Registry,
    sweep: &Sweep,
    status: Status,
) -> String {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_owned)
        .unwrap_or_else(|| "TEST_NAME".to_owned());
    let package = std::env::var("CARGO_PKG_NAME")
        .map(|p| format!(" -p {p}"))
        .unwrap_or_default();
    let mut m = format!(
        "scenario {} expected {} over {} seeds, got: {}",
        scenario.path.display(),
        scenario.expect().name(),
        sweep.runs.len(),
        sweep.counts_line(),
    );
    let run = match (scenario.expect(), status) {
        (Expect::Invalid, Status::Contradicted) => {
            m.push_str("\nthe bug was not found: widen the sweep with SHAKEDOWN_SEEDS=1000");
            None
        }
        _ => sweep.notable(),
    };
    if let Some(r) = run {
        let seed = format_seed(r.seed);
        m.push_str(&format!(
            "\nseed: {seed}\nverdict: {}",
            runner::outcome_line(r)
        ));
        if let Some(runner::Finding::Nondeterministic(d)) = &r.finding {
            m.push('\n');
            m.push_str(&d.to_string());
        }
        match (&r.dir, &r.artifact_error) {
            (Some(dir), _) => m.push_str(&format!(
                "\nreport: {}",
                dir.join(crate::artifacts::REPORT_HTML).display()
            )),
            (None, Some(e)) => m.push_str(&format!("\nreport not written: {e}")),
            _ => {}
        }
        m.push_str(&format!(
            "\nreplay: SHAKEDOWN_SEED={seed} cargo test{package} {test} -- --exact\n    or: {}",
            runner::replay_command(registry.command(), scenario, r.seed)
        ));
    }
    m
}

/// Runs one seed of a scenario and returns it whole (history, record and
/// verdict), writing no files: for snapshot tests and your own assertions.
#[track_caller]
pub fn run_one(path: impl AsRef<Path>, seed: u64) -> runner::FullRun {
    run_one_with(path, seed, &Registry::builtin())
}

/// [`run_one`] with your own registry.
#[track_caller]
pub fn run_one_with(path: impl AsRef<Path>, seed: u64, registry: &Registry) -> runner::FullRun {
    let path = find_file(path);
    let result = Scenario::load(&path, registry)
        .map_err(|e| e.to_string())
        .and_then(|scenario| {
            runner::run_seed(&scenario, registry, seed, None, false).map_err(|e| e.to_string())
        });
    match result {
        Ok(run) => run,
        Err(e) => panic!("{e}"),
    }
}

/// One slice of a long sweep, for sharding with `cargo nextest
/// --partition`: runs the seeds at positions `i` with `i % slices ==
/// slice`, writes `<target>/shakedown/<scenario>/slice-<k>-of-<n>.sweep.json`
/// for `shakedown merge`, and panics unless the slice meets a `valid`
/// expectation (for an `invalid` one, the merge decides).
pub fn run_slice(path: impl AsRef<Path>, slice: u64, slices: u64) -> Sweep {
    run_slice_with(path, slice, slices, &Registry::builtin())
}

/// [`run_slice`] with your own registry.
pub fn run_slice_with(
    path: impl AsRef<Path>,
    slice: u64,
    slices: u64,
    registry: &Registry,
) -> Sweep {
    assert!(slices > 0 && slice < slices, "slice {slice} of {slices}");
    let path = find_file(path);
    let scenario = Scenario::load(&path, registry).unwrap_or_else(|e| panic!("{e}"));
    let all = seeds_from_env()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| scenario.seeds());
    let mine: Vec<u64> = (0..all.len())
        .filter(|i| i % slices == slice)
        .filter_map(|i| all.get(i))
        .collect();
    let out_dir = target_dir().join("shakedown");
    let options = SweepOptions {
        seeds: Some(SeedSet::List(mine)),
        keep_going: true,
        artifacts: runner::ArtifactsMode::Failures,
        out_dir: out_dir.clone(),
        progress: Progress::Quiet,
        determinism: DeterminismCheck::from_env().unwrap_or_else(|e| panic!("{e}")),
        regressions: runner::regressions_from_env(),
    };
    let sweep = runner::sweep(&scenario, registry, &options).unwrap_or_else(|e| panic!("{e}"));
    let file = out_dir
        .join(scenario.artifact_key())
        .join(format!("slice-{slice}-of-{slices}.sweep.json"));
    crate::shard::write_summaries(&file, &[crate::shard::SweepSummary::of(&sweep)])
        .unwrap_or_else(|e| panic!("{e}"));
    if scenario.expect() == Expect::Valid && sweep.status() != Status::Met {
        panic!(
            "{}",
            failure_message(&scenario, registry, &sweep, sweep.status())
        );
    }
    sweep
}

/// A `#[test]` that runs a scenario file over its seeds and fails with the
/// seed, the verdict, the report's path and the replay commands:
///
/// - `scenario_test!(name, "scenarios/x.toml");` with the built-in models;
/// - `scenario_test!(name, "scenarios/x.toml", my_crate::registry());` with
///   your own (any expression giving a [`Registry`]).
#[macro_export]
macro_rules! scenario_test {
    ($name:ident, $path:expr) => {
        #[test]
        fn $name() {
            $crate::testing::run_scenario($path);
        }
    };
    ($name:ident, $path:expr, $registry:expr) => {
        #[test]
        fn $name() {
            $crate::testing::run_scenario_with($path, &$registry);
        }
    };
}
