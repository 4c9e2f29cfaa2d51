//! The shipped scenarios give the same verdicts on every engine built in:
//! the discrete engine (the default for callback models), turmoil (the
//! cross-check) and, in a `--cfg madsim` build, madsim. Each test prints a
//! row per engine (`-- --nocapture`): scenario, engine, verdict, seeds,
//! simulated over wall time. The engines interleave events differently (turmoil rounds
//! every event up to a 1 ms tick), so a bug hunt may find its bug on
//! another seed; what must hold is the verdict: every seed of a `valid`
//! scenario valid on both, every bug hunt met on both.

use shakedown::runner::{
    self, ArtifactsMode, DeterminismCheck, Progress, RunOutcome, SweepOptions,
};
use shakedown::scenario::{Engine, Expect, Scenario};
use shakedown::seeds::SeedSet;
use shakedown_cli::registry;

/// Seeds of a `valid` scenario compared per seed.
const VALID_SEEDS: u64 = 6;

fn sweep(path: &str, engine: Engine) -> runner::Sweep {
    let registry = registry();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    let mut scenario = Scenario::load(&file, &registry).expect("shipped scenario loads");
    scenario.set_engine(engine, &registry).expect("engine");
    let seeds = match scenario.expect() {
        // A bug hunt stops at its first invalid seed.
        Expect::Invalid => None,
        Expect::Valid => {
            let all = scenario.seeds();
            Some(SeedSet::List(
                (0..VALID_SEEDS.min(all.len()))
                    .filter_map(|i| all.get(i))
                    .collect(),
            ))
        }
    };
    let options = SweepOptions {
        seeds,
        artifacts: ArtifactsMode::None,
        progress: Progress::Quiet,
        determinism: DeterminismCheck::First(0),
        ..SweepOptions::default()
    };
    runner::sweep(&scenario, &registry, &options).expect("sweep runs")
}

fn same_verdicts(path: &str) {
    let engines: Vec<Engine> = [Engine::Discrete, Engine::Turmoil, Engine::Madsim]
        .into_iter()
        .filter(|e| e.is_built_in())
        .collect();
    let sweeps: Vec<runner::Sweep> = engines.iter().map(|&e| sweep(path, e)).collect();
    let outcomes = |s: &runner::Sweep| -> Vec<(u64, RunOutcome)> {
        s.runs.iter().map(|r| (r.seed, r.outcome())).collect()
    };
    // The table: scenario, engine, verdict, seeds, simulated over wall.
    for s in &sweeps {
        let wall = s.wall.as_secs_f64().max(1e-9);
        let verdict = match s.first_invalid() {
            Some(r) => format!("invalid at {:#x}", r.seed),
            None => s.counts_line(),
        };
        println!(
            "{path:<40} {:<9} {verdict:<36} {:>3} seeds {:>9.1}x sim/wall ({})",
            s.engine.name(),
            s.runs.len(),
            s.sim_time().as_secs_f64() / wall,
            s.status().describe()
        );
    }
    let (first, rest) = sweeps
        .split_first()
        .expect("the discrete engine is built in");
    assert_eq!(first.engine, Engine::Discrete);
    for s in &sweeps {
        assert_eq!(
            s.status(),
            runner::Status::Met,
            "{path} on {}: {:?}",
            s.engine.name(),
            outcomes(s)
        );
    }
    if first.expect == Expect::Valid {
        assert_eq!(
            first.runs.len() as u64,
            VALID_SEEDS.min(first.seeds_planned)
        );
        for s in rest {
            assert_eq!(
                outcomes(first),
                outcomes(s),
                "{path} on {}",
                s.engine.name()
            );
        }
    } else {
        assert!(sweeps.iter().all(|s| s.first_invalid().is_some()));
    }
}

macro_rules! on_both_engines {
    ($($name:ident: $path:literal,)*) => {
        $(
            #[test]
            fn $name() {
                same_verdicts($path);
            }
        )*
    };
}

on_both_engines! {
    raft_kv_combined: "scenarios/raft-kv-combined.toml",
    raft_kv_stale_reads: "scenarios/raft-kv-stale-reads.toml",
    raft_kv_no_sync: "scenarios/raft-kv-no-sync.toml",
    raft_kv_lease_skew: "scenarios/raft-kv-lease-skew.toml",
    dynamo_quorum: "scenarios/dynamo-quorum.toml",
    dynamo_hint_backlog: "scenarios/dynamo-hint-backlog.toml",
    dynamo_sloppy_quorum: "scenarios/dynamo-sloppy-quorum.toml",
    dynamo_clock_skew: "scenarios/dynamo-clock-skew.toml",
    example: "scenarios/example.toml",
}

/// A scenario added to `scenarios/` must be added to the list above.
#[test]
fn every_shipped_scenario_is_covered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && n != "Cargo.toml")
        .collect();
    names.sort();
    let source = include_str!("engines.rs");
    for name in names {
        assert!(
            source.contains(&format!("\"scenarios/{name}\"")),
            "scenarios/{name} is not compared across engines here"
        );
    }
}
