//! The runner: one seed of a scenario (simulate, check, write artifacts),
//! and seed sweeps across cores.
//!
//! Each run is single-threaded and a pure function of its scenario and seed;
//! a sweep runs seeds in parallel with rayon and orders its results by the
//! seed's position in the sweep, so the outcome (and every file written)
//! does not depend on scheduling. Without `keep_going`, a sweep stops at its
//! first invalid seed, but only after every earlier seed has run, so the
//! seed it reports is always the same one.

use crate::artifacts::{write_run_dir, RunArtifacts, Timings, WrittenRun};
use crate::models::{Registry, RunError};
use crate::plan;
use crate::report::Metrics as ReportMetrics;
use crate::scenario::{Expect, Scenario};
use crate::seeds::{format_seed, SeedSet};
use rayon::prelude::*;
use shakedown_checkers::{History, Outcome, Verdict};
use shakedown_sim::RunRecord;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which runs get a run directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ArtifactsMode {
    /// Runs whose verdict is invalid or unknown (default).
    #[default]
    Failures,
    /// Every run.
    All,
    /// None.
    None,
}

/// How progress is shown while a sweep runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar on a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// One plain line per finished seed, on stderr.
    Lines,
    /// Nothing.
    Quiet,
}

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// The seeds; `None`: the scenario's own.
    pub seeds: Option<SeedSet>,
    /// Run every seed even after one settles the sweep.
    pub keep_going: bool,
    /// Which runs get a run directory.
    pub artifacts: ArtifactsMode,
    /// Run directories go to `<out_dir>/<scenario>/<seed>/`.
    pub out_dir: PathBuf,
    /// Progress display.
    pub progress: Progress,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            seeds: None,
            keep_going: false,
            artifacts: ArtifactsMode::Failures,
            out_dir: default_out_dir(),
            progress: Progress::Auto,
        }
    }
}

/// `target/shakedown` (or `$CARGO_TARGET_DIR/shakedown`).
pub fn default_out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("shakedown")
}

/// What one seed gave.
#[derive(Clone, Debug)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// The checker's verdict (unknown if the run itself failed).
    pub verdict: Verdict,
    /// Client operations invoked.
    pub ops: usize,
    /// Simulated time the run covered, ns.
    pub sim_ns: u64,
    /// Wall time of the simulation and the check.
    pub timings: Timings,
    /// The run directory, if one was written.
    pub dir: Option<PathBuf>,
    /// Why no directory was written although one was asked for.
    pub artifact_error: Option<String>,
}

/// One seed of a scenario, kept whole (for replay, shrinking and tests).
#[derive(Clone, Debug)]
pub struct FullRun {
    /// The summary.
    pub summary: SeedRun,
    /// The simulator's record (`None` if the run failed before it made one).
    pub record: Option<RunRecord>,
}

impl FullRun {
    /// The history, empty if the run failed.
    pub fn history(&self) -> History {
        self.record
            .as_ref()
            .map(|r| r.history.clone())
            .unwrap_or_default()
    }
}

/// A scenario could not run at all (bad input, not a verdict).
#[derive(Debug, thiserror::Error)]
#[error("{scenario}: {message}")]
pub struct RunnerError {
    /// The scenario file.
    pub scenario: String,
    /// What is wrong.
    pub message: String,
}

/// The command that replays one seed of a scenario.
pub fn replay_command(scenario: &Scenario, seed: u64) -> String {
    format!(
        "shakedown replay {} --seed {}",
        scenario.path.display(),
        format_seed(seed)
    )
}

/// The run directory of one seed: `<out_dir>/<scenario stem>/<seed>`.
pub fn run_dir(out_dir: &Path, scenario: &Scenario, seed: u64) -> PathBuf {
    out_dir.join(&scenario.name).join(format_seed(seed))
}

/// The simulator's metrics as the report draws them.
pub fn report_metrics(record: &RunRecord) -> ReportMetrics {
    ReportMetrics::from(&record.metrics)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Runs one seed: simulate, check, and write its run directory when `dir`
/// is given. A simulator failure during the run is an `unknown` verdict
/// with the reason; a configuration the simulator refuses is an error.
pub fn run_seed(
    scenario: &Scenario,
    registry: &Registry,
    seed: u64,
    dir: Option<&Path>,
) -> Result<FullRun, RunnerError> {
    let err = |message: String| RunnerError {
        scenario: scenario.path.display().to_string(),
        message,
    };
    let runner = registry
        .get(scenario.model())
        .ok_or_else(|| err(format!("unknown cluster model `{}`", scenario.model())))?;
    let config = plan::sim_config(scenario, seed)
        .map_err(|m| err(format!("seed {}: {m}", format_seed(seed))))?;
    let checker = plan::checker(scenario).map_err(err)?;

    let started = Instant::now();
    let result = runner.run(&scenario.settings(), &config);
    let run_ms = ms(started.elapsed());
    let (record, verdict, check_ms) = match result {
        Ok(record) => {
            let started = Instant::now();
            let mut verdict = match checker.check_history(&record.history, plan::budget(scenario)) {
                Ok(v) => v,
                Err(e) => Verdict::unknown(0, format!("the history could not be checked: {e}")),
            };
            if verdict.outcome == Outcome::Valid {
                if let Some(liveness) = plan::final_reads_verdict(
                    scenario,
                    &record.history,
                    config.workload.final_reads_at_ms,
                ) {
                    verdict = liveness;
                }
            }
            (Some(record), verdict, Some(ms(started.elapsed())))
        }
        Err(RunError::Sim(shakedown_sim::SimError::Engine { at_ms, message })) => (
            None,
            Verdict::unknown(0, format!("the simulation failed at {at_ms} ms: {message}")),
            None,
        ),
        Err(e) => return Err(err(format!("seed {}: {e}", format_seed(seed)))),
    };
    let ops = record
        .as_ref()
        .and_then(|r| r.history.client_ops().ok())
        .map_or(0, |ops| ops.len());
    let sim_ns = record
        .as_ref()
        .map_or(0, |r| u64::try_from(r.end_ns).unwrap_or(0));
    let timings = Timings {
        run_ms: Some(run_ms),
        check_ms,
    };
    let mut summary = SeedRun {
        seed,
        verdict,
        ops,
        sim_ns,
        timings,
        dir: None,
        artifact_error: None,
    };
    if let Some(dir) = dir {
        match write_artifacts(scenario, &summary, record.as_ref(), dir) {
            Ok(written) => summary.dir = Some(written.dir),
            Err(e) => summary.artifact_error = Some(e),
        }
    }
    Ok(FullRun { summary, record })
}

/// Writes one run's directory.
pub fn write_artifacts(
    scenario: &Scenario,
    run: &SeedRun,
    record: Option<&RunRecord>,
    dir: &Path,
) -> Result<WrittenRun, String> {
    let empty = History::default();
    let history = record.map_or(&empty, |r| &r.history);
    let metrics = record.map(report_metrics);
    let mut artifacts = RunArtifacts::new(
        scenario.name.clone(),
        history,
        &run.verdict,
        scenario.file.checker.model.get_ref().clone(),
    );
    artifacts.report.seed = Some(run.seed);
    artifacts.report.replay_command = Some(replay_command(scenario, run.seed));
    artifacts.report.metrics = metrics.as_ref();
    artifacts.report.context = crate::report::RunContext::of_scenario(scenario, run.seed);
    artifacts.timings = run.timings;
    write_run_dir(dir, &artifacts).map_err(|e| e.to_string())
}

/// Whether a sweep met its expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every run as expected (`valid`), or a bug found (`invalid`).
    Met,
    /// A run contradicted the expectation, or the bug was not found.
    Contradicted,
    /// Not settled: some verdicts were unknown.
    Unknown,
}

impl Status {
    /// Exit code: 0 met, 1 contradicted, 2 unknown.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Met => crate::cli::EXIT_VALID,
            Status::Contradicted => crate::cli::EXIT_INVALID,
            Status::Unknown => crate::cli::EXIT_UNKNOWN,
        }
    }

    /// What the status means for an expectation.
    pub fn of(expect: Expect, valid: usize, invalid: usize, unknown: usize) -> Status {
        let _ = valid;
        match expect {
            Expect::Valid if invalid > 0 => Status::Contradicted,
            Expect::Invalid if invalid > 0 => Status::Met,
            _ if unknown > 0 => Status::Unknown,
            Expect::Valid => Status::Met,
            Expect::Invalid => Status::Contradicted,
        }
    }
}

/// What a sweep gave.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The scenario's name (its file stem).
    pub scenario: String,
    /// Its file.
    pub path: PathBuf,
    /// What it expected.
    pub expect: Expect,
    /// The runs, in sweep order (seeds skipped after an early stop are not
    /// here).
    pub runs: Vec<SeedRun>,
    /// Seeds the sweep was asked to run.
    pub seeds_planned: u64,
    /// Wall time of the whole sweep.
    pub wall: Duration,
}

impl Sweep {
    /// Runs with this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.runs
            .iter()
            .filter(|r| r.verdict.outcome == outcome)
            .count()
    }

    /// Met, contradicted or unknown.
    pub fn status(&self) -> Status {
        Status::of(
            self.expect,
            self.count(Outcome::Valid),
            self.count(Outcome::Invalid),
            self.count(Outcome::Unknown),
        )
    }

    /// The first run whose verdict is invalid, in sweep order.
    pub fn first_invalid(&self) -> Option<&SeedRun> {
        self.runs
            .iter()
            .find(|r| r.verdict.outcome == Outcome::Invalid)
    }

    /// The run that best explains the status: the first invalid seed if
    /// contradicted under `valid` or met under `invalid`, else the first
    /// unknown one.
    pub fn notable(&self) -> Option<&SeedRun> {
        self.first_invalid().or_else(|| {
            self.runs
                .iter()
                .find(|r| r.verdict.outcome == Outcome::Unknown)
        })
    }

    /// Client ops over all runs.
    pub fn ops(&self) -> usize {
        self.runs.iter().map(|r| r.ops).sum()
    }

    /// Simulated time over all runs.
    pub fn sim_time(&self) -> Duration {
        Duration::from_nanos(self.runs.iter().map(|r| r.sim_ns).sum())
    }

    /// The summary lines printed after a sweep.
    pub fn summary(&self) -> String {
        let wall = self.wall.as_secs_f64().max(1e-9);
        let sim = self.sim_time().as_secs_f64();
        let status = match self.status() {
            Status::Met => "as expected",
            Status::Contradicted => "CONTRADICTED",
            Status::Unknown => "UNKNOWN",
        };
        let mut out = format!(
            "{}: {status} (expect {}): {} of {} seeds run: {} valid, {} invalid, {} unknown\n  {} ops in {:.2}s wall: {:.0} ops/s; simulated {:.1}s: {:.1}x wall time",
            self.path.display(),
            self.expect.name(),
            self.runs.len(),
            self.seeds_planned,
            self.count(Outcome::Valid),
            self.count(Outcome::Invalid),
            self.count(Outcome::Unknown),
            self.ops(),
            wall,
            self.ops() as f64 / wall,
            sim,
            sim / wall,
        );
        if let Some(r) = self.notable() {
            out.push_str(&format!(
                "\n  seed {}: {}",
                format_seed(r.seed),
                verdict_line(&r.verdict)
            ));
            if let Some(dir) = &r.dir {
                out.push_str(&format!(
                    "\n  report: {}",
                    dir.join(crate::artifacts::REPORT_HTML).display()
                ));
            }
            if let Some(e) = &r.artifact_error {
                out.push_str(&format!("\n  artifacts not written: {e}"));
            }
            out.push_str(&format!(
                "\n  replay: shakedown replay {} --seed {}",
                self.path.display(),
                format_seed(r.seed)
            ));
        }
        out
    }
}

/// A verdict in one line: `invalid: <explanation>`.
pub fn verdict_line(v: &Verdict) -> String {
    let detail = match v.outcome {
        Outcome::Valid => None,
        Outcome::Invalid => v
            .counterexample
            .as_ref()
            .map(|c| c.explanation.lines().next().unwrap_or("").to_owned()),
        Outcome::Unknown => v.reason.clone(),
    };
    match detail {
        Some(d) if !d.is_empty() => format!("{}: {d}", v.outcome.name()),
        _ => v.outcome.name().to_owned(),
    }
}

/// Runs a scenario over its seeds (or `options.seeds`) in parallel.
pub fn sweep(
    scenario: &Scenario,
    registry: &Registry,
    options: &SweepOptions,
) -> Result<Sweep, RunnerError> {
    let seeds = options.seeds.clone().unwrap_or_else(|| scenario.seeds());
    let total = seeds.len();
    let started = Instant::now();
    // Index of the first invalid seed seen so far; later seeds are skipped.
    let stop_at = AtomicU64::new(u64::MAX);
    let progress = ProgressSink::new(options.progress, total, &scenario.name);
    let results: Mutex<Vec<(u64, Result<SeedRun, RunnerError>)>> = Mutex::new(Vec::new());
    (0..total).into_par_iter().for_each(|i| {
        if !options.keep_going && i > stop_at.load(Ordering::SeqCst) {
            return;
        }
        let Some(seed) = seeds.get(i) else { return };
        let dir = run_dir(&options.out_dir, scenario, seed);
        let always = options.artifacts == ArtifactsMode::All;
        let result =
            run_seed(scenario, registry, seed, always.then_some(dir.as_path())).map(|full| {
                let mut run = full.summary;
                if options.artifacts == ArtifactsMode::Failures
                    && run.verdict.outcome != Outcome::Valid
                {
                    match write_artifacts(scenario, &run, full.record.as_ref(), &dir) {
                        Ok(w) => run.dir = Some(w.dir),
                        Err(e) => run.artifact_error = Some(e),
                    }
                }
                run
            });
        let stop = match &result {
            Ok(run) => run.verdict.outcome == Outcome::Invalid,
            Err(_) => true,
        };
        if stop {
            stop_at.fetch_min(i, Ordering::SeqCst);
        }
        progress.finished(result.as_ref().ok());
        if let Ok(mut r) = results.lock() {
            r.push((i, result));
        }
    });
    progress.done();
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let stop = if options.keep_going {
        u64::MAX
    } else {
        stop_at.load(Ordering::SeqCst)
    };
    let mut runs = Vec::new();
    for (i, r) in results {
        if i > stop {
            break;
        }
        runs.push(r?);
    }
    Ok(Sweep {
        scenario: scenario.name.clone(),
        path: scenario.path.clone(),
        expect: scenario.expect(),
        runs,
        seeds_planned: total,
        wall: started.elapsed(),
    })
}

/// Shows progress: a bar on a terminal, lines otherwise.
struct ProgressSink {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    name: String,
}

impl ProgressSink {
    fn new(mode: Progress, total: u64, name: &str) -> Self {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let (bar, lines) = match mode {
            Progress::Quiet => (false, false),
            Progress::Lines => (false, true),
            Progress::Auto => (terminal, !terminal),
        };
        let bar = bar.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} seeds {msg} ({elapsed}, eta {eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(name.to_owned());
            bar
        });
        ProgressSink {
            bar,
            lines,
            name: name.to_owned(),
        }
    }

    fn finished(&self, run: Option<&SeedRun>) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Some(r) = run {
                if r.verdict.outcome != Outcome::Valid {
                    bar.set_message(format!(
                        "seed {} {}",
                        format_seed(r.seed),
                        r.verdict.outcome.name()
                    ));
                }
            }
        } else if self.lines {
            if let Some(r) = run {
                eprintln!(
                    "{} seed {}: {} ({} ops, {:.1}s simulated)",
                    self.name,
                    format_seed(r.seed),
                    verdict_line(&r.verdict),
                    r.ops,
                    r.sim_ns as f64 / 1e9
                );
            }
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
