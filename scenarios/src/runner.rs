//! The runner: one seed of a scenario (simulate, check, write artifacts),
//! and seed sweeps across cores.
//!
//! Each run is single-threaded and a pure function of its scenario and seed;
//! a sweep runs seeds in parallel with rayon and orders its results by the
//! seed's position in the sweep, so the outcome (and every file written)
//! does not depend on scheduling. Without `keep_going`, a sweep stops at its
//! first invalid seed, but only after every earlier seed has run, so the
//! seed it reports is always the same one.

use crate::artifacts::{write_run_dir, RunArtifacts, RunFinding, Timings, WrittenRun};
use crate::models::{Registry, RunError};
use crate::plan;
use crate::report::Metrics as ReportMetrics;
use crate::scenario::{Expect, Scenario};
use crate::seeds::{format_seed, SeedSet};
use crate::stdio::errln;
use rayon::prelude::*;
use shakedown_checkers::{History, Outcome, Verdict};
use shakedown_nemesis::SimDuration;
use shakedown_sim::{first_divergence, Divergence, NodePanic, RunRecord, SimError, TraceEntry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which runs get a run directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
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
    /// Which seeds run twice to check that they replay exactly.
    pub determinism: DeterminismCheck,
    /// Run the seeds of the scenario's regressions file first, and record
    /// the bugs this sweep finds there ([`crate::regressions`]); a scenario
    /// can still say `regressions = false`.
    pub regressions: bool,
}

/// Which seeds of a sweep run twice, their digests compared
/// (`nondeterministic` if they differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeterminismCheck {
    /// The first this-many seeds of the sweep (default: 2). Cheap, and a
    /// thread RNG or a wall-clock read shows on the first seed.
    First(u64),
    /// Every seed (twice the time).
    All,
}

impl Default for DeterminismCheck {
    fn default() -> Self {
        DeterminismCheck::First(DETERMINISM_CHECKED_SEEDS)
    }
}

impl DeterminismCheck {
    /// Whether the seed at `position` in the sweep is checked.
    pub fn covers(self, position: u64) -> bool {
        match self {
            DeterminismCheck::First(n) => position < n,
            DeterminismCheck::All => true,
        }
    }

    /// `SHAKEDOWN_CHECK_DETERMINISM`: `1`/`all` checks every seed, `0`
    /// none, a number that many first seeds; unset, the default.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(DETERMINISM_ENV) {
            Err(_) => Ok(DeterminismCheck::default()),
            Ok(v) => match v.trim() {
                "" => Ok(DeterminismCheck::default()),
                "1" | "all" | "true" => Ok(DeterminismCheck::All),
                "false" => Ok(DeterminismCheck::First(0)),
                n => n.parse().map(DeterminismCheck::First).map_err(|_| {
                    format!("{DETERMINISM_ENV}={v}: write 1 (every seed), 0 (none) or a count of first seeds")
                }),
            },
        }
    }
}

/// How many first seeds of a sweep are run twice by default.
pub const DETERMINISM_CHECKED_SEEDS: u64 = 2;
/// Environment variable for [`DeterminismCheck::from_env`].
pub const DETERMINISM_ENV: &str = "SHAKEDOWN_CHECK_DETERMINISM";

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            seeds: None,
            keep_going: false,
            artifacts: ArtifactsMode::Failures,
            out_dir: default_out_dir(),
            progress: Progress::Auto,
            determinism: DeterminismCheck::default(),
            regressions: true,
        }
    }
}

/// Environment variable that turns regressions files off (`0`) for the
/// sweeps of `shakedown::testing`.
pub const REGRESSIONS_ENV: &str = "SHAKEDOWN_REGRESSIONS";

/// Whether [`REGRESSIONS_ENV`] leaves regressions files on (unset, or
/// anything but `0`, `false`, `off`, `no`).
pub fn regressions_from_env() -> bool {
    !matches!(
        std::env::var(REGRESSIONS_ENV).as_deref(),
        Ok("0" | "false" | "off" | "no")
    )
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
    /// What the run itself found, beyond the checker: a panic, or a second
    /// run that differed.
    pub finding: Option<Finding>,
    /// For an invalid register or kv history: the acknowledged writes a
    /// later read went back past, in one line
    /// ([`crate::report::lost::LostWrites::summary`]).
    pub lost_writes: Option<String>,
    /// The knob values the seed drew (`[cluster] knobs`).
    pub knobs: Vec<(String, i64)>,
}

impl SeedRun {
    /// The run's outcome: its finding if it has one, else the checker's.
    pub fn outcome(&self) -> RunOutcome {
        match &self.finding {
            Some(Finding::Crashed(_)) => RunOutcome::Crashed,
            Some(Finding::Nondeterministic(_)) => RunOutcome::Nondeterministic,
            None => RunOutcome::from(self.verdict.outcome),
        }
    }
}

/// What a run found beyond the checker's verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// Model code panicked; the run stopped there.
    Crashed(NodePanic),
    /// A second run of the same seed differed from the first.
    Nondeterministic(Divergence),
}

impl Finding {
    /// The finding in words (several lines for a divergence).
    pub fn describe(&self) -> String {
        match self {
            Finding::Crashed(p) => p.to_string(),
            Finding::Nondeterministic(d) => d.to_string(),
        }
    }
}

/// How one run ended: the checker's three verdicts, and the run's own two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunOutcome {
    /// The history is linearizable (and live, if required).
    Valid,
    /// The history is not: a bug.
    Invalid,
    /// The checker could not decide, or the run could not finish.
    Unknown,
    /// Model code panicked: a bug, like `invalid`.
    Crashed,
    /// Two runs of the seed differed: the run cannot be replayed.
    Nondeterministic,
}

impl RunOutcome {
    /// Every outcome, in display order.
    pub const ALL: [RunOutcome; 5] = [
        RunOutcome::Valid,
        RunOutcome::Invalid,
        RunOutcome::Unknown,
        RunOutcome::Crashed,
        RunOutcome::Nondeterministic,
    ];

    /// `valid`, `invalid`, `unknown`, `crashed` or `nondeterministic`.
    pub fn name(self) -> &'static str {
        match self {
            RunOutcome::Valid => "valid",
            RunOutcome::Invalid => "invalid",
            RunOutcome::Unknown => "unknown",
            RunOutcome::Crashed => "crashed",
            RunOutcome::Nondeterministic => "nondeterministic",
        }
    }

    /// The outcome called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    /// A bug found: `invalid` or `crashed`. It settles an `expect =
    /// "invalid"` sweep and stops a sweep.
    pub fn is_bug(self) -> bool {
        matches!(self, RunOutcome::Invalid | RunOutcome::Crashed)
    }

    /// Ends a sweep early: a bug, or a run that cannot be trusted.
    pub fn stops_sweep(self) -> bool {
        self.is_bug() || self == RunOutcome::Nondeterministic
    }
}

impl From<Outcome> for RunOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Valid => RunOutcome::Valid,
            Outcome::Invalid => RunOutcome::Invalid,
            Outcome::Unknown => RunOutcome::Unknown,
        }
    }
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

/// The command that replays one seed of a scenario, with `command`
/// running the CLI ([`Registry::command`]).
/// It keeps `--engine` when that overrode the file.
pub fn replay_command(command: &str, scenario: &Scenario, seed: u64) -> String {
    replay_line(
        command,
        &scenario.path,
        seed,
        scenario.engine_override(),
        None,
    )
}

/// [`replay_command`] for run directories under `out_dir`: it keeps
/// `--out` when that is not the default, so that the replay writes where
/// the run did.
pub fn replay_command_in(command: &str, scenario: &Scenario, seed: u64, out_dir: &Path) -> String {
    replay_line(
        command,
        &scenario.path,
        seed,
        scenario.engine_override(),
        Some(out_dir),
    )
}

/// The replay command: `--engine` when it overrode the file, `--out` when
/// it is not the default.
fn replay_line(
    command: &str,
    path: &Path,
    seed: u64,
    engine: Option<crate::scenario::Engine>,
    out_dir: Option<&Path>,
) -> String {
    let mut line = format!(
        "{command} replay {} --seed {}",
        shell_word(&path.to_string_lossy()),
        format_seed(seed)
    );
    if let Some(engine) = engine {
        line.push_str(" --engine ");
        line.push_str(engine.name());
    }
    if let Some(out_dir) = out_dir.filter(|d| *d != default_out_dir()) {
        line.push_str(" --out ");
        line.push_str(&shell_word(&out_dir.to_string_lossy()));
    }
    line
}

/// `word` quoted for a POSIX shell when it needs it, so that printed
/// commands run when copied.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The run directory of one seed: `<out_dir>/<scenario key>/<seed>`, the
/// key being [`Scenario::artifact_key`] (the file's path without `.toml`).
pub fn run_dir(out_dir: &Path, scenario: &Scenario, seed: u64) -> PathBuf {
    out_dir
        .join(scenario.artifact_key())
        .join(format_seed(seed))
}

/// The simulator's metrics as the report draws them.
pub fn report_metrics(record: &RunRecord) -> ReportMetrics {
    ReportMetrics::from(&record.metrics)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What one simulation gave, before checking.
struct Simulated {
    record: Option<RunRecord>,
    /// A panic in model code.
    crash: Option<NodePanic>,
    /// The engine could not finish (a limit): the run's verdict is unknown.
    failure: Option<String>,
}

fn simulate(
    runner: &dyn crate::models::ClusterRunner,
    scenario: &Scenario,
    config: &shakedown_sim::SimConfig,
) -> Result<Simulated, String> {
    match runner.run(&scenario.settings_for(config.seed), config) {
        Ok(record) => Ok(Simulated {
            record: Some(record),
            crash: None,
            failure: None,
        }),
        Err(RunError::Sim(SimError::Crashed(c))) => {
            let c = *c;
            Ok(Simulated {
                record: Some(c.record),
                crash: Some(c.panic),
                failure: None,
            })
        }
        Err(RunError::Sim(SimError::Engine { at_ms, message })) => Ok(Simulated {
            record: None,
            crash: None,
            failure: Some(format!("the simulation failed at {at_ms} ms: {message}")),
        }),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs one seed: simulate, check, and write its run directory when `dir`
/// is given. With `check_determinism`, the seed runs twice and the two runs
/// are compared step by step; a difference is the finding
/// `nondeterministic`. A panic in model code is the finding `crashed`. A
/// simulator failure during the run is an `unknown` verdict with the
/// reason; a configuration the simulator refuses is an error.
pub fn run_seed(
    scenario: &Scenario,
    registry: &Registry,
    seed: u64,
    dir: Option<&Path>,
    check_determinism: bool,
) -> Result<FullRun, RunnerError> {
    let err = |message: String| RunnerError {
        scenario: scenario.path.display().to_string(),
        message,
    };
    let runner = registry
        .get(scenario.model())
        .ok_or_else(|| err(format!("unknown cluster model `{}`", scenario.model())))?;
    let mut config = plan::sim_config(scenario, seed)
        .map_err(|m| err(format!("seed {}: {m}", format_seed(seed))))?;
    config.trace = check_determinism;
    let checker = plan::checker(scenario).map_err(err)?;

    let started = Instant::now();
    let seed_err = |m: String| err(format!("seed {}: {m}", format_seed(seed)));
    let first = simulate(runner.as_ref(), scenario, &config).map_err(seed_err)?;
    let mut finding = first.crash.clone().map(Finding::Crashed);
    if check_determinism {
        let second = simulate(runner.as_ref(), scenario, &config).map_err(seed_err)?;
        let divergence = match (&first.record, &second.record) {
            (Some(a), Some(b)) => first_divergence(a, b),
            _ if first.failure != second.failure => {
                let end = |s: &Simulated| TraceEntry {
                    sim_ns: s.record.as_ref().map_or(0, |r| r.end_ns),
                    what: s
                        .failure
                        .clone()
                        .unwrap_or_else(|| "the run finished".to_owned()),
                };
                Some(Divergence {
                    step: None,
                    first: Some(end(&first)),
                    second: Some(end(&second)),
                    digests: (0, 0),
                })
            }
            _ => None,
        };
        if let Some(d) = divergence {
            finding = Some(Finding::Nondeterministic(d));
        }
    }
    let run_ms = ms(started.elapsed());
    let Simulated {
        mut record,
        crash,
        failure,
    } = first;
    if let Some(r) = record.as_mut() {
        // The trace served the comparison; the record keeps the history.
        r.trace = Vec::new();
    }
    let ops = record
        .as_ref()
        .and_then(|r| r.history.client_ops().ok())
        .map_or(0, |ops| ops.len());
    let (verdict, check_ms) = match (&record, &crash, failure) {
        (_, _, Some(reason)) => (Verdict::unknown(0, reason), None),
        (Some(_), Some(panic), _) => (
            Verdict::unknown(ops, format!("not checked: the run crashed: {panic}")),
            None,
        ),
        (Some(record), None, None) => {
            let started = Instant::now();
            let options = plan::check_options(scenario);
            let mut verdict = match checker.check_with(&record.history, &options) {
                Ok(report) => report.verdict,
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
            if verdict.outcome == Outcome::Valid {
                if let Some(reason) = vacuous(record, &config.workload) {
                    verdict = Verdict::unknown(verdict.ops, reason);
                }
            }
            (verdict, Some(ms(started.elapsed())))
        }
        (None, _, None) => (Verdict::unknown(0, "the run left no record"), None),
    };
    let sim_ns = record
        .as_ref()
        .map_or(0, |r| u64::try_from(r.end_ns).unwrap_or(0));
    let timings = Timings {
        run_ms: Some(run_ms),
        check_ms,
    };
    let lost_writes = match (&record, verdict.outcome) {
        (Some(record), Outcome::Invalid) => crate::report::lost::LostWrites::of(
            &record.history,
            scenario.file.checker.model.get_ref(),
            scenario
                .file
                .checker
                .initial
                .as_ref()
                .map(|i| i.get_ref().as_str()),
        )
        .and_then(|l| l.summary()),
        _ => None,
    };
    let mut summary = SeedRun {
        seed,
        verdict,
        ops,
        sim_ns,
        timings,
        dir: None,
        artifact_error: None,
        finding,
        lost_writes,
        knobs: scenario.knob_values(seed),
    };
    if let Some(dir) = dir {
        match write_artifacts(scenario, registry.command(), &summary, record.as_ref(), dir) {
            Ok(written) => summary.dir = Some(written.dir),
            Err(e) => summary.artifact_error = Some(e),
        }
    }
    Ok(FullRun { summary, record })
}

/// How the reason of a run that checked nothing begins.
const VACUOUS_NOTHING: &str = "nothing was checked";
/// How the reason of a run cut short by its time limit begins.
const VACUOUS_LIMIT: &str = "the run hit its simulated-time limit";

/// Why a `valid` verdict of this run proves nothing, if it does not: no
/// client op completed (`ok` or `fail`), or the simulated time limit came
/// before the workload had issued all its ops.
fn vacuous(record: &RunRecord, workload: &shakedown_sim::workload::Workload) -> Option<String> {
    use shakedown_checkers::Completion;
    use shakedown_sim::workload::OpLimit;
    let ops = record.history.client_ops().ok()?;
    let completed = ops
        .iter()
        .filter(|op| op.completion != Completion::Info)
        .count();
    if completed == 0 {
        return Some(format!(
            "{VACUOUS_NOTHING}: no client op completed ({} invoked, none ok or fail); \
             give the workload more time or ops, or look at why every op timed out",
            ops.len()
        ));
    }
    if record.ended != shakedown_sim::record::EndReason::TimeLimit {
        return None;
    }
    let end = Duration::from_nanos(u64::try_from(record.end_ns).unwrap_or(0));
    let unfinished = match workload.limit {
        OpLimit::Count(n) => (ops.len() as u64) < n,
        OpLimit::DurationMs(ms) => end < Duration::from_millis(ms),
    };
    unfinished.then(|| {
        let planned = match workload.limit {
            OpLimit::Count(n) => format!("{n} ops"),
            OpLimit::DurationMs(ms) => format!("{}", SimDuration::from_millis(ms)),
        };
        format!(
            "{VACUOUS_LIMIT} ({}) before the workload finished: \
             {} of {planned} issued; raise [limits] duration or shorten the workload",
            SimDuration::from_nanos(end.as_nanos() as u64),
            ops.len()
        )
    })
}

/// Writes one run's directory.
pub fn write_artifacts(
    scenario: &Scenario,
    command: &str,
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
    // A run directory is `<out>/<scenario key>/<seed>` (see [`run_dir`]).
    let key = scenario.artifact_key();
    let out_dir = dir
        .parent()
        .filter(|p| p.ends_with(&key))
        .and_then(|p| p.ancestors().nth(key.components().count()))
        .or_else(|| dir.parent().and_then(Path::parent))
        .unwrap_or(dir);
    artifacts.report.replay_command = Some(replay_command_in(command, scenario, run.seed, out_dir));
    artifacts.finding = run.finding.as_ref().map(|f| RunFinding {
        outcome: run.outcome().name().to_owned(),
        description: f.describe(),
        backtrace: match f {
            Finding::Crashed(p) => Some(p.backtrace.clone()),
            Finding::Nondeterministic(_) => None,
        },
    });
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
            Status::Met => crate::EXIT_VALID,
            Status::Contradicted => crate::EXIT_INVALID,
            Status::Unknown => crate::EXIT_UNKNOWN,
        }
    }

    /// What a set of run outcomes means for an expectation. A
    /// nondeterministic run contradicts either expectation (its verdict
    /// cannot be replayed); a crash is a bug, like an invalid history.
    pub fn of(expect: Expect, outcomes: impl IntoIterator<Item = RunOutcome>) -> Status {
        let (mut bug, mut unknown, mut nondeterministic) = (false, false, false);
        for o in outcomes {
            bug |= o.is_bug();
            unknown |= o == RunOutcome::Unknown;
            nondeterministic |= o == RunOutcome::Nondeterministic;
        }
        match expect {
            _ if nondeterministic => Status::Contradicted,
            Expect::Valid if bug => Status::Contradicted,
            Expect::Invalid if bug => Status::Met,
            _ if unknown => Status::Unknown,
            Expect::Valid => Status::Met,
            Expect::Invalid => Status::Contradicted,
        }
    }

    /// The status in words, with what to do next.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Met => "as expected",
            Status::Contradicted => "CONTRADICTED",
            Status::Unknown => "UNKNOWN",
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
    /// The engine the runs used.
    pub engine: crate::scenario::Engine,
    /// The engine `--engine` chose over the file's, if any (printed
    /// commands keep it).
    pub engine_override: Option<crate::scenario::Engine>,
    /// The runs, in sweep order (seeds skipped after an early stop are not
    /// here).
    pub runs: Vec<SeedRun>,
    /// Seeds the sweep was asked to run.
    pub seeds_planned: u64,
    /// Wall time of the whole sweep.
    pub wall: Duration,
    /// The command that runs the CLI, for the replay line.
    pub command: String,
    /// Where run directories went.
    pub out_dir: PathBuf,
    /// Seeds after the one that stopped the sweep that had already run (in
    /// parallel) when it stopped: not reported, no run directory.
    pub set_aside: usize,
    /// The user interrupted the sweep (SIGINT): seeds not yet started did
    /// not run, and the status is unknown unless a bug already settled it.
    pub interrupted: bool,
    /// How many seeds of the sweep came first from the regressions file.
    pub regression_seeds: usize,
    /// The scenario's regressions file.
    pub regressions_file: PathBuf,
    /// Seeds this sweep added to the regressions file.
    pub recorded: Vec<u64>,
    /// Why the regressions file could not be written, if it could not.
    pub regressions_error: Option<String>,
}

impl Sweep {
    /// Runs with this outcome.
    pub fn count(&self, outcome: impl Into<RunOutcome>) -> usize {
        let outcome = outcome.into();
        self.runs.iter().filter(|r| r.outcome() == outcome).count()
    }

    /// Met, contradicted or unknown. An interrupted sweep that found no
    /// bug is unknown: the seeds it skipped might have.
    pub fn status(&self) -> Status {
        let status = Status::of(self.expect, self.runs.iter().map(SeedRun::outcome));
        let bug = self.runs.iter().any(|r| r.outcome().is_bug());
        if self.interrupted && !bug {
            Status::Unknown
        } else {
            status
        }
    }

    /// The first run whose verdict is invalid, in sweep order.
    pub fn first_invalid(&self) -> Option<&SeedRun> {
        self.runs
            .iter()
            .find(|r| r.outcome() == RunOutcome::Invalid)
    }

    /// The run that best explains the status: the first run that stopped
    /// the sweep (invalid, crashed, nondeterministic), else the first
    /// unknown one.
    pub fn notable(&self) -> Option<&SeedRun> {
        self.runs
            .iter()
            .find(|r| r.outcome().stops_sweep())
            .or_else(|| {
                self.runs
                    .iter()
                    .find(|r| r.outcome() == RunOutcome::Unknown)
            })
    }

    /// `N valid, N invalid, N unknown`, plus crashed and nondeterministic
    /// runs when there are any.
    pub fn counts_line(&self) -> String {
        let mut parts = Vec::new();
        for o in RunOutcome::ALL {
            let n = self.count(o);
            if n > 0
                || matches!(
                    o,
                    RunOutcome::Valid | RunOutcome::Invalid | RunOutcome::Unknown
                )
            {
                parts.push(format!("{n} {}", o.name()));
            }
        }
        parts.join(", ")
    }

    /// Client ops over all runs.
    pub fn ops(&self) -> usize {
        self.runs.iter().map(|r| r.ops).sum()
    }

    /// ` --engine NAME` when `--engine` overrode the file, for printed
    /// commands.
    fn engine_flag(&self) -> String {
        self.engine_override
            .map(|e| format!(" --engine {}", e.name()))
            .unwrap_or_default()
    }

    /// Simulated time over all runs.
    pub fn sim_time(&self) -> Duration {
        Duration::from_nanos(self.runs.iter().map(|r| r.sim_ns).sum())
    }

    /// The summary lines printed after a sweep.
    pub fn summary(&self) -> String {
        let wall = self.wall.as_secs_f64().max(1e-9);
        let sim = self.sim_time().as_secs_f64();
        let status = if self.interrupted {
            format!("INTERRUPTED, {}", self.status().describe())
        } else {
            self.status().describe().to_owned()
        };
        let set_aside = if self.set_aside > 0 {
            format!(
                " ({} later seed{} also ran in parallel and {} set aside)",
                self.set_aside,
                if self.set_aside == 1 { "" } else { "s" },
                if self.set_aside == 1 { "was" } else { "were" }
            )
        } else {
            String::new()
        };
        let mut out = format!(
            "{}: {status} (expect {}): {} of {} seeds run: {}{set_aside}\n  {} ops in {:.2}s wall: {:.0} ops/s; simulated {:.1}s: {:.1}x wall time on the {} engine",
            self.path.display(),
            self.expect.name(),
            self.runs.len(),
            self.seeds_planned,
            self.counts_line(),
            self.ops(),
            wall,
            self.ops() as f64 / wall,
            sim,
            sim / wall,
            self.engine.name(),
        );
        if let Some(r) = self.notable() {
            out.push_str(&format!(
                "\n  seed {}: {}",
                format_seed(r.seed),
                outcome_line(r)
            ));
            if let Some(lost) = &r.lost_writes {
                out.push_str(&format!("\n  lost writes: {lost}"));
            }
            if !r.knobs.is_empty() {
                out.push_str(&format!("\n  knobs: {}", knobs_line(&r.knobs)));
            }
            if let Some(Finding::Nondeterministic(d)) = &r.finding {
                for line in d.to_string().lines().skip(1) {
                    out.push_str(&format!("\n  {line}"));
                }
            }
            if let Some(dir) = &r.dir {
                out.push_str(&format!(
                    "\n  report: {}",
                    dir.join(crate::artifacts::REPORT_HTML).display()
                ));
            }
            if let Some(e) = &r.artifact_error {
                out.push_str(&format!("\n  artifacts not written: {e}"));
            }
            let line = replay_line(
                &self.command,
                &self.path,
                r.seed,
                self.engine_override,
                Some(&self.out_dir),
            );
            out.push_str(&format!("\n  replay: {line}"));
        }
        if self.regression_seeds > 0 {
            out.push_str(&format!(
                "\n  {} regression seed{} from {} ran first",
                self.regression_seeds,
                if self.regression_seeds == 1 { "" } else { "s" },
                self.regressions_file.display()
            ));
        }
        if !self.recorded.is_empty() {
            let seeds: Vec<String> = self.recorded.iter().map(|s| format_seed(*s)).collect();
            out.push_str(&format!(
                "\n  recorded: seed {} in {} (every later sweep runs it first; commit the file)",
                seeds.join(", "),
                self.regressions_file.display()
            ));
        }
        if let Some(e) = &self.regressions_error {
            out.push_str(&format!("\n  regressions file not written: {e}"));
        }
        if let Some(next) = self.next_step() {
            out.push_str(&format!("\n  next: {next}"));
        }
        out
    }

    /// What to do about a sweep that did not meet its expectation.
    fn next_step(&self) -> Option<String> {
        let path = shell_word(&self.path.to_string_lossy());
        let notable = self.notable();
        match (self.status(), notable.map(SeedRun::outcome)) {
            (Status::Met, _) => None,
            _ if self.interrupted && notable.is_none_or(|r| !r.outcome().is_bug()) => Some(format!(
                "interrupted after {} of {} seeds: run again to finish the sweep",
                self.runs.len(),
                self.seeds_planned
            )),
            (_, Some(RunOutcome::Nondeterministic)) => Some(
                "the seed did not replay the same way twice: remove the cause above (see the two steps), then run again"
                    .to_owned(),
            ),
            (Status::Contradicted, Some(o)) if o.is_bug() => notable.map(|r| {
                format!(
                    "a bug: read the report, then shrink it to a minimal scenario: {} shrink {path} --seed {}{} -o target/minimal.toml",
                    self.command,
                    format_seed(r.seed),
                    self.engine_flag()
                )
            }),
            (Status::Contradicted, _) => Some(format!(
                "the bug was not found in {} seeds: widen the sweep ({} run {path} --seeds 1000{}) or add faults",
                self.runs.len(),
                self.command,
                self.engine_flag()
            )),
            (Status::Unknown, _)
                if notable
                    .and_then(|r| r.verdict.reason.as_deref())
                    .is_some_and(|r| r.starts_with(VACUOUS_NOTHING) || r.starts_with(VACUOUS_LIMIT)) =>
            {
                Some("the workload did not run to its end, so a valid history would prove nothing: fix what the reason above names".to_owned())
            }
            (Status::Unknown, _) => {
                // A run stopped by a run limit says which; raising the
                // checker's budget would not help it.
                let run_limit = self.runs.iter().find_map(|r| {
                    let reason = r.verdict.reason.as_deref()?;
                    ["messages_delivered_max", "events_handled_max", "wall_time", "history_events_max"]
                        .into_iter()
                        .find(|l| reason.contains(&format!("limits.{l}")))
                });
                Some(match run_limit {
                    Some(limit) => format!(
                        "some verdicts are unknown: a run passed [limits] {limit}: raise it if the run is sound, or look for a message storm (replay the seed)"
                    ),
                    None => "some verdicts are unknown: raise [limits] check_time/check_memory_mb (or set check_steps), or shorten the workload"
                        .to_owned(),
                })
            }
        }
    }
}

/// Knob values as `a = 1, b = 2`.
pub fn knobs_line(knobs: &[(String, i64)]) -> String {
    knobs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A run's outcome in one line: `invalid: <explanation>`, `crashed: n1
/// panicked at ...`, `nondeterministic: ...`.
pub fn outcome_line(run: &SeedRun) -> String {
    match &run.finding {
        None => verdict_line(&run.verdict),
        Some(f) => format!(
            "{}: {}",
            run.outcome().name(),
            f.describe().lines().next().unwrap_or("")
        ),
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

/// Set when the user asked the process to stop (SIGINT): sweeps start no
/// new seed, finish the ones in flight and report what ran.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks every sweep in this process to stop after the seeds in flight.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Runs a scenario over its seeds (or `options.seeds`) in parallel.
pub fn sweep(
    scenario: &Scenario,
    registry: &Registry,
    options: &SweepOptions,
) -> Result<Sweep, RunnerError> {
    let planned = options.seeds.clone().unwrap_or_else(|| scenario.seeds());
    let use_regressions = options.regressions && scenario.file.regressions.unwrap_or(true);
    let regressions_file = crate::regressions::path_for(&scenario.path);
    let regression_seeds = if use_regressions {
        crate::regressions::read(&regressions_file).map_err(|message| RunnerError {
            scenario: scenario.path.display().to_string(),
            message,
        })?
    } else {
        Vec::new()
    };
    let seeds = with_regressions_first(&regression_seeds, planned);
    let total = seeds.len();
    let started = Instant::now();
    // Index of the first invalid seed seen so far; later seeds are skipped.
    let stop_at = AtomicU64::new(u64::MAX);
    let progress = ProgressSink::new(options.progress, total, &scenario.name);
    // Failing runs keep their record until the sweep knows which of them it
    // reports: seeds that ran past the first failure get no run directory.
    type Kept = (SeedRun, Option<RunRecord>);
    let results: Mutex<Vec<(u64, Result<Kept, RunnerError>)>> = Mutex::new(Vec::new());
    (0..total).into_par_iter().for_each(|i| {
        if interrupted() || (!options.keep_going && i > stop_at.load(Ordering::SeqCst)) {
            return;
        }
        let Some(seed) = seeds.get(i) else { return };
        let dir = run_dir(&options.out_dir, scenario, seed);
        let always = options.artifacts == ArtifactsMode::All;
        let check = options.determinism.covers(i);
        let result = run_seed(
            scenario,
            registry,
            seed,
            always.then_some(dir.as_path()),
            check,
        )
        .map(|full| {
            let keep = options.artifacts == ArtifactsMode::Failures
                && full.summary.outcome() != RunOutcome::Valid;
            (full.summary, full.record.filter(|_| keep))
        });
        let stop = match &result {
            Ok((run, _)) => run.outcome().stops_sweep(),
            Err(_) => true,
        };
        if stop {
            stop_at.fetch_min(i, Ordering::SeqCst);
        }
        progress.finished(i, result.as_ref().ok().map(|(run, _)| run), &stop_at);
        if let Ok(mut r) = results.lock() {
            r.push((i, result));
        }
    });
    let stop = if options.keep_going {
        u64::MAX
    } else {
        stop_at.load(Ordering::SeqCst)
    };
    progress.done(stop);
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let set_aside = results.iter().filter(|(i, _)| *i > stop).count();
    let mut runs = Vec::new();
    for (i, r) in results {
        if i > stop {
            break;
        }
        let (mut run, record) = r?;
        if let Some(record) = record {
            let dir = run_dir(&options.out_dir, scenario, run.seed);
            match write_artifacts(scenario, registry.command(), &run, Some(&record), &dir) {
                Ok(w) => run.dir = Some(w.dir),
                Err(e) => run.artifact_error = Some(e),
            }
        } else if options.artifacts == ArtifactsMode::Failures && run.outcome() != RunOutcome::Valid
        {
            // A run that left no record (the engine failed): its directory
            // still says why.
            let dir = run_dir(&options.out_dir, scenario, run.seed);
            match write_artifacts(scenario, registry.command(), &run, None, &dir) {
                Ok(w) => run.dir = Some(w.dir),
                Err(e) => run.artifact_error = Some(e),
            }
        }
        runs.push(run);
    }
    let mut recorded = Vec::new();
    let mut regressions_error = None;
    if use_regressions && scenario.expect() == Expect::Valid {
        let found: Vec<(u64, String)> = runs
            .iter()
            .filter(|r| r.outcome().is_bug())
            .map(|r| (r.seed, outcome_line(r)))
            .collect();
        if !found.is_empty() {
            match crate::regressions::record(&scenario.path, &found) {
                Ok(new) => recorded = new,
                Err(e) => regressions_error = Some(e),
            }
        }
    }
    Ok(Sweep {
        scenario: scenario.name.clone(),
        path: scenario.path.clone(),
        expect: scenario.expect(),
        engine: scenario.engine(),
        engine_override: scenario.engine_override(),
        runs,
        seeds_planned: total,
        wall: started.elapsed(),
        command: registry.command().to_owned(),
        out_dir: options.out_dir.clone(),
        set_aside,
        interrupted: interrupted(),
        regression_seeds: regression_seeds.len(),
        regressions_file,
        recorded,
        regressions_error,
    })
}

/// The sweep's seeds: the regression seeds first, then the planned ones
/// that are not among them (a plan of more than ten million seeds is not
/// searched for repeats: a repeated seed just runs twice).
fn with_regressions_first(regressions: &[u64], planned: SeedSet) -> SeedSet {
    if regressions.is_empty() {
        return planned;
    }
    let mut seeds = regressions.to_vec();
    if planned.len() <= 10_000_000 {
        let first: std::collections::BTreeSet<u64> = regressions.iter().copied().collect();
        seeds.extend(planned.to_vec().into_iter().filter(|s| !first.contains(s)));
    } else {
        seeds.extend(planned.to_vec());
    }
    SeedSet::List(seeds)
}

/// The progress bar: indicatif's with the `cli` feature; without it a
/// sweep shows plain lines.
#[cfg(feature = "cli")]
type Bar = indicatif::ProgressBar;
#[cfg(not(feature = "cli"))]
type Bar = std::convert::Infallible;

#[cfg(feature = "cli")]
fn new_bar(total: u64, name: &str) -> Option<Bar> {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:30}] {pos}/{len} seeds {msg} ({elapsed}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    Some(bar)
}

#[cfg(not(feature = "cli"))]
fn new_bar(_total: u64, _name: &str) -> Option<Bar> {
    None
}

/// Shows progress: a bar on a terminal, lines otherwise. Lines come in
/// sweep order (a line waits for the seeds before it), and seeds past the
/// one that stopped the sweep get none.
struct ProgressSink {
    bar: Option<Bar>,
    lines: bool,
    name: String,
    /// The next position to print, and the lines waiting for it.
    pending: Mutex<(u64, BTreeMap<u64, String>)>,
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
        let bar = if bar { new_bar(total, name) } else { None };
        ProgressSink {
            lines: lines || (mode == Progress::Auto && bar.is_none()),
            bar,
            name: name.to_owned(),
            pending: Mutex::new((0, BTreeMap::new())),
        }
    }

    fn finished(&self, position: u64, run: Option<&SeedRun>, stop_at: &AtomicU64) {
        #[cfg(feature = "cli")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Some(r) = run {
                if r.outcome() != RunOutcome::Valid {
                    bar.set_message(format!(
                        "seed {} {}",
                        format_seed(r.seed),
                        r.outcome().name()
                    ));
                }
            }
            return;
        }
        if !self.lines {
            return;
        }
        let line = run.map(|r| {
            format!(
                "{} seed {}: {} ({} ops, {:.1}s simulated)",
                self.name,
                format_seed(r.seed),
                outcome_line(r),
                r.ops,
                r.sim_ns as f64 / 1e9
            )
        });
        if let Ok(mut pending) = self.pending.lock() {
            pending.1.insert(position, line.unwrap_or_default());
            self.flush(&mut pending, stop_at.load(Ordering::SeqCst));
        }
    }

    /// Prints the waiting lines that are next in order, up to `stop`.
    fn flush(&self, pending: &mut (u64, BTreeMap<u64, String>), stop: u64) {
        while pending.0 <= stop {
            let Some(line) = pending.1.remove(&pending.0) else {
                break;
            };
            if !line.is_empty() {
                errln!("{line}");
            }
            pending.0 += 1;
        }
    }

    fn done(&self, stop: u64) {
        #[cfg(feature = "cli")]
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if let Ok(mut pending) = self.pending.lock() {
            self.flush(&mut pending, stop);
        }
    }
}
