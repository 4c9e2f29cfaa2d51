//! `shakedown replay`: run one seed of a scenario again, exactly, and write
//! its run directory.

use super::{bad_input, EXIT_BAD_INPUT};
use crate::models::Registry;
use crate::runner::{self, Status};
use crate::scenario::Scenario;
use crate::seeds::{format_seed, parse_seed};
use crate::stdio::{errln, outln};
use std::path::PathBuf;

/// Arguments of `shakedown replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// The seed, in decimal or hex (`0x1f2e`), as `shakedown run` printed it.
    #[arg(long, value_parser = parse_seed)]
    pub seed: u64,
    /// Where the run directory goes (default `target/shakedown`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The engine, overriding the file's: `discrete` or `turmoil`.
    #[arg(long)]
    pub engine: Option<String>,
    /// Run the seed once only: skip the determinism check (by default a
    /// replay runs twice and compares the runs step by step).
    #[arg(long)]
    pub no_determinism_check: bool,
}

/// Runs `shakedown replay` and returns the exit code.
pub fn run(args: Args, registry: &Registry) -> u8 {
    let engine = match super::run::check_engine(args.engine.as_deref()) {
        Ok(e) => e,
        Err(e) => return bad_input(e),
    };
    let mut scenario = match Scenario::load(&args.scenario, registry) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Err(e) = super::run::override_engine(&mut scenario, engine, registry) {
        return bad_input(e);
    }
    let out = args.out.unwrap_or_else(runner::default_out_dir);
    let dir = runner::run_dir(&out, &scenario, args.seed);
    let check = !args.no_determinism_check;
    let run = match runner::run_seed(&scenario, registry, args.seed, Some(&dir), check) {
        Ok(run) => run,
        Err(e) => return bad_input(e),
    };
    let s = &run.summary;
    outln!(
        "{} seed {}: {}",
        scenario.path.display(),
        format_seed(s.seed),
        runner::outcome_line(s)
    );
    if let Some(runner::Finding::Nondeterministic(d)) = &s.finding {
        for line in d.to_string().lines().skip(1) {
            outln!("  {line}");
        }
    }
    if !s.knobs.is_empty() {
        outln!("  knobs: {}", runner::knobs_line(&s.knobs));
    }
    if let Some(record) = &run.record {
        outln!(
            "  {} ops, {} history events, {:.1}s simulated on the {} engine, digest {}",
            s.ops,
            record.history.len(),
            s.sim_ns as f64 / 1e9,
            scenario.engine().name(),
            record.digest_hex()
        );
    }
    match (&s.dir, &s.artifact_error) {
        (Some(dir), _) => outln!(
            "  report: {}",
            dir.join(crate::artifacts::REPORT_HTML).display()
        ),
        (None, Some(e)) => errln!("error: artifacts not written: {e}"),
        _ => {}
    }
    if check && s.finding.is_none() {
        outln!("  determinism: two runs, identical step by step");
    }
    let status = Status::of(scenario.expect(), [s.outcome()]);
    outln!(
        "  expected {}: {}",
        scenario.expect().name(),
        status.describe()
    );
    if s.artifact_error.is_some() {
        // The run directory was the point of a replay.
        return crate::EXIT_BAD_INPUT;
    }
    status.exit_code()
}
