//! `shakedown run`: run scenario files over their seeds, in parallel.

use super::{bad_input, EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID};
use crate::models::Registry;
use crate::runner::{self, ArtifactsMode, DeterminismCheck, Progress, SweepOptions};
use crate::scenario::{Engine, Scenario};
use crate::seeds::SeedSet;
use crate::stdio::{errln, outln};
use std::path::PathBuf;

/// Arguments of `shakedown run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Seeds to run instead of the file's: a count (`200`), a range
    /// (`1000..2000`) or a list (`7,0x1f2e`).
    #[arg(long, value_name = "N|A..B")]
    pub seeds: Option<SeedSet>,
    /// The engine, overriding the file's: `discrete` (the default for
    /// callback models) or `turmoil` (the engine of async services, and a
    /// cross-check); `madsim` needs a madsim build.
    #[arg(long)]
    pub engine: Option<String>,
    /// Run every seed of every scenario, even after one settles the sweep.
    #[arg(long)]
    pub keep_going: bool,
    /// Which runs get a run directory.
    #[arg(long, value_enum, default_value = "failures")]
    pub artifacts: ArtifactsMode,
    /// Where run directories go (default `target/shakedown`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Parallel runs (default: one per core; at most 4 per core, and
    /// never more than there are seeds).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// One line per seed instead of a progress bar.
    #[arg(long)]
    pub lines: bool,
    /// Machine-readable output on stdout: one JSON object per seed run (in
    /// seed order), then one summary object per scenario; no progress.
    #[arg(long)]
    pub json: bool,
    /// Write one JSON summary per scenario to this file (for merging shards).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Run every seed twice and compare the runs step by step (by default
    /// only the first two seeds of each sweep are checked).
    #[arg(long, conflicts_with = "no_determinism_check")]
    pub check_determinism: bool,
    /// Run every seed once: no determinism check at all.
    #[arg(long)]
    pub no_determinism_check: bool,
    /// Neither run the seeds of each scenario's regressions file first nor
    /// record the bugs found there (`<scenario>.regressions`).
    #[arg(long)]
    pub no_regressions: bool,
}

/// The worse of two exit codes: bad input, then invalid, then unknown.
pub fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        EXIT_BAD_INPUT => 3,
        EXIT_INVALID => 2,
        EXIT_UNKNOWN => 1,
        _ => 0,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Reads an `--engine` value: `discrete` and `turmoil` are built in,
/// `madsim` in a `--cfg madsim` build.
pub fn check_engine(engine: Option<&str>) -> Result<Option<Engine>, String> {
    match engine.map(str::parse::<Engine>) {
        None => Ok(None),
        Some(Err(e)) => Err(e),
        Some(Ok(e)) if e.is_built_in() => Ok(Some(e)),
        Some(Ok(e)) => Err(format!(
            "engine `{}` is not built in this binary: only `discrete` and `turmoil` are. {}",
            e.name(),
            shakedown_sim::engine::MADSIM_BUILD_HINT
        )),
    }
}

/// Runs `scenario` on `engine` (`--engine`), if one was given.
pub fn override_engine(
    scenario: &mut Scenario,
    engine: Option<Engine>,
    registry: &Registry,
) -> Result<(), String> {
    match engine {
        Some(e) => scenario
            .set_engine(e, registry)
            .map_err(|m| format!("{}: {m}", scenario.path.display())),
        None => Ok(()),
    }
}

/// Most parallel runs per core that `--jobs` accepts.
pub const JOBS_PER_CORE_MAX: usize = 4;

/// The number of threads for `--jobs` on a machine of `cores` cores and a
/// sweep of `seeds` seeds: refused above [`JOBS_PER_CORE_MAX`] per core,
/// and never more threads than seeds (default: one per core).
pub fn jobs(jobs: Option<usize>, cores: usize, seeds: u64) -> Result<usize, String> {
    let cores = cores.max(1);
    let max = JOBS_PER_CORE_MAX * cores;
    let n = match jobs {
        Some(0) => return Err("`--jobs 0`: give at least 1".into()),
        Some(n) if n > max => {
            return Err(format!(
                "`--jobs {n}`: at most {max} ({JOBS_PER_CORE_MAX} per core on this machine's {cores}); \
                 runs are single-threaded, so more threads than cores only add switching"
            ))
        }
        Some(n) => n,
        None => cores,
    };
    Ok(n.min(usize::try_from(seeds.max(1)).unwrap_or(usize::MAX)))
}

/// Builds the thread pool for `--jobs` and a sweep of `seeds` seeds.
pub fn set_jobs(jobs: Option<usize>, seeds: u64) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let n = self::jobs(jobs, cores, seeds)?;
    // Fails only if a pool exists already, which then serves as well.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    Ok(())
}

/// Runs `shakedown run` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    let engine = match check_engine(args.engine.as_deref()) {
        Ok(e) => e,
        Err(e) => return bad_input(e),
    };
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        match Scenario::load(path, registry) {
            Ok(mut s) => {
                if let Err(e) = override_engine(&mut s, engine, registry) {
                    return bad_input(e);
                }
                scenarios.push(s)
            }
            Err(e) => {
                errln!("{e}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    let seeds_max = scenarios
        .iter()
        .map(|s| args.seeds.clone().unwrap_or_else(|| s.seeds()).len())
        .max()
        .unwrap_or(1);
    if let Err(e) = set_jobs(args.jobs, seeds_max) {
        return bad_input(e);
    }
    let options = SweepOptions {
        seeds: args.seeds.clone(),
        keep_going: args.keep_going,
        artifacts: args.artifacts,
        out_dir: args.out.clone().unwrap_or_else(runner::default_out_dir),
        progress: if args.json {
            Progress::Quiet
        } else if args.lines {
            Progress::Lines
        } else {
            Progress::Auto
        },
        regressions: !args.no_regressions,
        determinism: if args.check_determinism {
            DeterminismCheck::All
        } else if args.no_determinism_check {
            DeterminismCheck::First(0)
        } else {
            match DeterminismCheck::from_env() {
                Ok(d) => d,
                Err(e) => return bad_input(e),
            }
        },
    };
    let mut code = EXIT_VALID;
    let mut summaries = Vec::new();
    for scenario in &scenarios {
        match runner::sweep(scenario, registry, &options) {
            Ok(sweep) => {
                if args.json {
                    print_json(&sweep);
                } else {
                    outln!("{}", sweep.summary());
                }
                summaries.push(crate::shard::SweepSummary::of(&sweep));
                code = worse(code, sweep.status().exit_code());
                // A failing seed whose evidence could not be kept fails the
                // command: the run directory is what the user acts on.
                for r in sweep
                    .runs
                    .iter()
                    .filter(|r| r.outcome() != runner::RunOutcome::Valid)
                {
                    if let Some(e) = &r.artifact_error {
                        errln!(
                            "error: seed {}: run directory not written: {e}",
                            crate::seeds::format_seed(r.seed)
                        );
                        code = worse(code, EXIT_BAD_INPUT);
                    }
                }
            }
            Err(e) => {
                errln!("error: {e}");
                code = worse(code, EXIT_BAD_INPUT);
            }
        }
        if runner::interrupted() || (code != EXIT_VALID && !args.keep_going) {
            break;
        }
    }
    if let Some(path) = &args.summary_json {
        if let Err(e) = crate::shard::write_summaries(path, &summaries) {
            return worse(code, bad_input(e));
        }
    }
    if runner::interrupted() {
        return crate::EXIT_INTERRUPTED;
    }
    code
}

/// `--json`: one object per seed, then the summary.
fn print_json(sweep: &runner::Sweep) {
    let summary = crate::shard::SweepSummary::of(sweep);
    for (run, result) in sweep.runs.iter().zip(&summary.runs) {
        let line = serde_json::json!({
            "type": "seed",
            "scenario": summary.path,
            "seed": result.seed,
            "seed_hex": result.seed_hex,
            "outcome": result.outcome,
            "detail": runner::outcome_line(run),
            "lost_writes": run.lost_writes,
            "ops": result.ops,
            "sim_ns": result.sim_ns,
            "dir": result.dir,
        });
        outln!("{line}");
    }
    let counts: serde_json::Map<String, serde_json::Value> = runner::RunOutcome::ALL
        .iter()
        .map(|o| (o.name().to_owned(), sweep.count(*o).into()))
        .collect();
    let notable = sweep.notable();
    let line = serde_json::json!({
        "type": "summary",
        "scenario": summary.path,
        "engine": sweep.engine.name(),
        "expect": sweep.expect.name(),
        "status": match sweep.status() {
            runner::Status::Met => "met",
            runner::Status::Contradicted => "contradicted",
            runner::Status::Unknown => "unknown",
        },
        "exit_code": sweep.status().exit_code(),
        "seeds_planned": sweep.seeds_planned,
        "seeds_run": sweep.runs.len(),
        "set_aside": sweep.set_aside,
        "interrupted": sweep.interrupted,
        "counts": counts,
        "notable_seed": notable.map(|r| r.seed),
        "report": notable.and_then(|r| r.dir.as_ref()).map(|d| d.join(crate::artifacts::REPORT_HTML).display().to_string()),
        "ops": sweep.ops(),
    });
    outln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_bounded_by_cores_and_seeds() {
        assert_eq!(jobs(None, 2, 1000), Ok(2));
        assert_eq!(jobs(Some(8), 2, 1000), Ok(8));
        assert_eq!(jobs(Some(8), 2, 3), Ok(3));
        assert_eq!(jobs(None, 16, 1), Ok(1));
        let e = jobs(Some(100_000), 2, 1000).unwrap_err();
        assert!(e.contains("at most 8"), "{e}");
        assert!(jobs(Some(0), 2, 10).unwrap_err().contains("at least 1"));
    }
}
