//! The shipped scenarios give the same verdicts on both engines: the
//! discrete engine (the default for callback models) and turmoil (the
//! cross-check). The engines interleave events differently (turmoil rounds
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
    let discrete = sweep(path, Engine::Discrete);
    let turmoil = sweep(path, Engine::Turmoil);
    assert_eq!(discrete.engine, Engine::Discrete);
    assert_eq!(turmoil.engine, Engine::Turmoil);
    let outcomes = |s: &runner::Sweep| -> Vec<(u64, RunOutcome)> {
        s.runs.iter().map(|r| (r.seed, r.outcome())).collect()
    };
    assert_eq!(
        discrete.status(),
        runner::Status::Met,
        "{path} on discrete: {:?}",
        outcomes(&discrete)
    );
    assert_eq!(
        turmoil.status(),
        runner::Status::Met,
        "{path} on turmoil: {:?}",
        outcomes(&turmoil)
    );
    if discrete.expect == Expect::Valid {
        assert_eq!(outcomes(&discrete), outcomes(&turmoil), "{path}");
        assert_eq!(
            discrete.runs.len() as u64,
            VALID_SEEDS.min(discrete.seeds_planned)
        );
    } else {
        assert!(discrete.first_invalid().is_some() && turmoil.first_invalid().is_some());
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
