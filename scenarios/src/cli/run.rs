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
    /// The engine, overriding the file's (`turmoil`; `madsim` needs a
    /// madsim build).
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
    /// Parallel runs (default: one per core).
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

/// Checks an `--engine` value: only turmoil is built in.
pub fn check_engine(engine: Option<&str>) -> Result<(), String> {
    match engine.map(str::parse::<Engine>) {
        None => Ok(()),
        Some(Err(e)) => Err(e),
        Some(Ok(e)) if e.is_built_in() => Ok(()),
        Some(Ok(e)) => Err(format!(
            "engine `{}` is not built in this binary: only `turmoil` is",
            e.name()
        )),
    }
}

/// Builds the thread pool for `--jobs`.
pub fn set_jobs(jobs: Option<usize>) -> Result<(), String> {
    if let Some(n) = jobs {
        if n == 0 {
            return Err("`--jobs 0`: give at least 1".into());
        }
        // Fails only if a pool exists already, which then serves as well.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    Ok(())
}

/// Runs `shakedown run` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    if let Err(e) = check_engine(args.engine.as_deref()).and_then(|()| set_jobs(args.jobs)) {
        return bad_input(e);
    }
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        match Scenario::load(path, registry) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                errln!("{e}");
                return EXIT_BAD_INPUT;
            }
        }
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
