//! Scenario files: what to run, against which faults, checked how, over
//! which seeds, expecting which verdict.
//!
//! A scenario is a TOML file. [`ScenarioFile`] is its exact shape (every
//! table rejects unknown keys with a "did you mean"); [`Scenario::load`]
//! reads one, checks everything that can be checked before a run (the model
//! and its settings, the engine, the fault timeline against the cluster,
//! the checker model) and reports problems as `file:line:column: message`.
//! `scenarios/example.toml` shows every key with a comment and
//! `scenarios/FORMAT.md` is the reference; the shortest
//! useful file is
//!
//! ```toml
//! expect = "valid"
//! seeds = 20
//!
//! [cluster]
//! model = "primary-backup"
//! nodes = 3
//!
//! [faults.generate]
//! packages = ["partition", "kill"]
//! ```

use crate::models::{Knob, Registry};
use crate::seeds::SeedSet;
use serde::{Deserialize, Serialize};
use shakedown_nemesis::{suggest::did_you_mean, GeneratorConfig, Schedule, SimDuration};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Largest scenario file read, in bytes: a limit on everything.
pub const FILE_BYTES_MAX: u64 = 4 << 20;

/// The verdict a scenario expects from its sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// Every seed must be valid (a correct system under faults).
    Valid,
    /// A bug hunt: met as soon as one seed is invalid.
    Invalid,
}

impl Expect {
    /// `valid` or `invalid`.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Valid => "valid",
            Expect::Invalid => "invalid",
        }
    }
}

/// The simulation engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// The discrete-event engine: the default for callback models (no
    /// runtime, no tick; the fastest).
    #[default]
    Discrete,
    /// turmoil: the engine of async services, and a cross-check for
    /// callback models.
    Turmoil,
    /// madsim: callback models on madsim's executor; needs a build with
    /// `--cfg madsim`.
    Madsim,
}

impl Engine {
    /// `discrete`, `turmoil` or `madsim`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Discrete => "discrete",
            Engine::Turmoil => "turmoil",
            Engine::Madsim => "madsim",
        }
    }

    /// The engine a service runs on when its file names none: madsim in a
    /// `--cfg madsim` build (a service written against madsim's tokio shim
    /// uses madsim's sockets and timers there), turmoil otherwise.
    pub fn service_default() -> Engine {
        if cfg!(madsim) {
            Engine::Madsim
        } else {
            Engine::Turmoil
        }
    }

    /// Whether this binary can run the engine.
    pub fn is_built_in(self) -> bool {
        self.sim().is_some()
    }

    /// The simulator's engine, if it is built in.
    pub fn sim(self) -> Option<shakedown_sim::Engine> {
        match self {
            Engine::Discrete => Some(shakedown_sim::Engine::Discrete),
            Engine::Turmoil => Some(shakedown_sim::Engine::Turmoil),
            Engine::Madsim => Some(shakedown_sim::Engine::Madsim).filter(|e| e.is_built_in()),
        }
    }

    /// Why this engine cannot run a model (`service`: an async service),
    /// if it cannot.
    pub fn refusal(self, model: &str, service: bool) -> Option<String> {
        if !self.is_built_in() {
            return Some(format!(
                "engine `{}` is not built in this binary: only `discrete` and `turmoil` are \
                 (leave `engine` out for the model's default). {}",
                self.name(),
                shakedown_sim::engine::MADSIM_BUILD_HINT
            ));
        }
        if service && self == Engine::Discrete {
            return Some(format!(
                "engine `{}` runs callback models, and `{model}` is an async service, \
                 which runs on turmoil or madsim (leave `engine` out, or write engine = \"turmoil\")",
                self.name()
            ));
        }
        None
    }
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "discrete" => Ok(Engine::Discrete),
            "turmoil" => Ok(Engine::Turmoil),
            "madsim" => Ok(Engine::Madsim),
            other => Err(format!(
                "unknown engine `{other}`{}; the engines are discrete, turmoil and madsim",
                suggestion(other, ["discrete", "turmoil", "madsim"])
            )),
        }
    }
}

/// A scenario file, exactly as written. See the [module docs](self) and
/// `scenarios/example.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the scenario shows, in a sentence or two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `valid`: every seed must be valid. `invalid`: at least one seed must
    /// be invalid (a bug hunt).
    pub expect: Spanned<Expect>,
    /// The seeds of the sweep: a count, a range or a list (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Spanned<SeedSet>>,
    /// Run the seeds of the regressions file (`<this file>.regressions`)
    /// first and record the bugs a sweep finds there (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regressions: Option<bool>,
    /// The cluster: model, settings, nodes, engine.
    pub cluster: ClusterSpec,
    /// The network between nodes.
    #[serde(default)]
    pub network: NetworkSpec,
    /// What the clients do.
    #[serde(default)]
    pub workload: WorkloadSpec,
    /// The faults: an explicit timeline, generated packages, or both.
    #[serde(default)]
    pub faults: FaultsSpec,
    /// How the history is checked.
    #[serde(default)]
    pub checker: CheckerSpec,
    /// Limits on the run and the check.
    #[serde(default)]
    pub limits: LimitsSpec,
}

/// `[cluster]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// A registered cluster model (`shakedown list models`).
    pub model: Spanned<String>,
    /// How many nodes.
    pub nodes: Spanned<usize>,
    /// The engine (default: `discrete` for callback models, `turmoil` for
    /// async services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Spanned<Engine>>,
    /// The model's own settings, passed to it as a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Spanned<toml::Table>>,
    /// Settings each seed draws within a range: `true` (every knob the
    /// model declares), a list of their names, or a table of your own
    /// ranges (`{ heartbeat_ms = [10, 50] }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knobs: Option<Spanned<KnobsSpec>>,
}

/// `[cluster] knobs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KnobsSpec {
    /// Every knob the model declares (`true`), or none (`false`).
    All(bool),
    /// These of the model's knobs.
    Names(Vec<String>),
    /// These settings, each within `[min, max]`.
    Ranges(BTreeMap<String, [i64; 2]>),
}

/// A latency distribution: `{ base = "1ms", jitter = "4ms", shape = "uniform" }`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// The least latency (the mean, for `normal`).
    pub base: SimDuration,
    /// The spread: the width for `uniform`, the standard deviation for
    /// `normal`, the mean excess for `exponential`.
    #[serde(default)]
    pub jitter: SimDuration,
    /// `uniform` (default), `normal` or `exponential`.
    #[serde(default)]
    pub shape: LatencyShape,
}

/// How a latency's spread is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyShape {
    /// `base + U[0, jitter]`.
    #[default]
    Uniform,
    /// `N(base, jitter)`, cut at zero.
    Normal,
    /// `base + Exp(mean = jitter)`.
    Exponential,
}

impl Default for LatencySpec {
    /// 1–5 ms, uniform.
    fn default() -> Self {
        LatencySpec {
            base: SimDuration::from_millis(1),
            jitter: SimDuration::from_millis(4),
            shape: LatencyShape::Uniform,
        }
    }
}

/// `[network]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Latency between nodes (default 1–5 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    /// Probability that a message between nodes is lost (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_rate: Option<f64>,
    /// Probability that a message between nodes arrives twice (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_rate: Option<f64>,
    /// Latency between a client and a node (default 1–5 ms). Clients are
    /// never partitioned: they stand for Jepsen's control node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_latency: Option<LatencySpec>,
}

/// How keys are picked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyChoice {
    /// Every key equally likely.
    Uniform,
    /// Key `k` with probability proportional to `1/(k+1)^exponent`.
    Zipf {
        /// The skew (1.0 is classic Zipf).
        exponent: f64,
    },
}

/// `[workload]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Concurrent client processes (default 3).
    #[serde(default = "default_clients")]
    pub clients: Spanned<usize>,
    /// Operation kinds and their relative weights (default read, write and
    /// cas, 1 each). `read`, `write`, `cas` and `append` get values from
    /// the generator; any other name is sent with value nil.
    #[serde(default = "default_mix")]
    pub mix: BTreeMap<String, u32>,
    /// Number of keys; leave out for a single register with no `:key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<usize>,
    /// `"uniform"` (default) or `{ zipf = { exponent = 1.0 } }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_choice: Option<KeyChoice>,
    /// Every written value unique (default true; Knossos-friendly). When
    /// false, values come from `0..value_range`.
    #[serde(default = "yes")]
    pub unique_values: bool,
    /// Range of values when `unique_values` is false (default 5).
    #[serde(default = "default_value_range")]
    pub value_range: i64,
    /// Ops per simulated second over all clients; leave out for closed loop
    /// (each client issues its next op when the last completes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_per_s: Option<f64>,
    /// Stop after this many ops in all (default 200 when `duration` is not
    /// given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<Spanned<u64>>,
    /// Or stop issuing ops after this much simulated time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spanned<SimDuration>>,
    /// A client gives up on an op after this long; the op is `info` and
    /// the process is replaced (default 1s).
    #[serde(default = "default_timeout")]
    pub timeout: SimDuration,
    /// After the faults are over and a quiet window has passed, read every
    /// key once (checks convergence and recovery). Default false.
    #[serde(default)]
    pub final_reads: bool,
}

fn default_clients() -> Spanned<usize> {
    Spanned::new(0..0, 3)
}
fn default_mix() -> BTreeMap<String, u32> {
    [("cas", 1), ("read", 1), ("write", 1)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}
fn yes() -> bool {
    true
}
fn default_value_range() -> i64 {
    5
}
fn default_timeout() -> SimDuration {
    SimDuration::from_secs(1)
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            clients: default_clients(),
            mix: default_mix(),
            keys: None,
            key_choice: None,
            unique_values: true,
            value_range: default_value_range(),
            ops_per_s: None,
            ops: None,
            duration: None,
            timeout: default_timeout(),
            final_reads: false,
        }
    }
}

/// `[faults]`: an explicit `[[faults.timeline]]`, a `[faults.generate]`
/// table, or both (merged).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsSpec {
    /// Faults at fixed simulated times (see `shakedown list faults`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Spanned<shakedown_nemesis::Event>>,
    /// Packages generated from each seed, in the manner of Jepsen's combined
    /// nemesis. They end healed, followed by a quiet recovery window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<Spanned<GeneratorConfig>>,
    /// Generated faults start and end within `[0, until]` (default: the
    /// workload's duration, or 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Spanned<SimDuration>>,
    /// For timeline-only scenarios: the quiet window after the last event
    /// before final reads (default 10s). Generated schedules use
    /// `generate.recovery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<SimDuration>,
    /// Fault points: crash or pause a node when it reaches a moment its
    /// model marks (`shakedown list models` shows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Spanned<PointsSpec>>,
}

/// `[faults.points]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsSpec {
    /// The points that may be armed (default: every point the model marks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<String>>,
    /// Chance, per seed, that each point is armed (default 0.5; at least
    /// one is armed). `1.0` arms them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub armed: Option<f64>,
    /// The most chance that an armed point fires each time a node reaches
    /// it (default 0.2); each seed draws its own, up to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// What a firing does: `crash`, `pause` (default both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<shakedown_sim::PointAction>>,
    /// How long a struck node stays down or frozen, drawn in this range
    /// (default `["50ms", "1s"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down: Option<[SimDuration; 2]>,
    /// The most firings in one run (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Points fire from this simulated time (default 0)...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<SimDuration>,
    /// ...until this one (default `[faults] until`, else the workload's
    /// duration, else the run's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<SimDuration>,
}

/// `[checker]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckerSpec {
    /// The consistency model the history is checked against (`register`,
    /// `cas-register`, `kv`, `mutex`, `multi-register`; default
    /// `cas-register`).
    #[serde(default = "default_checker_model")]
    pub model: Spanned<String>,
    /// The model's initial state, in EDN (`"0"`, `"{:x 0}"`; default nil).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<Spanned<String>>,
    /// Liveness: every final read (`[workload] final_reads`) must complete
    /// `ok`. A final read that times out, fails or is never issued makes
    /// the run invalid, with that read as the counterexample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_final_reads: Option<Spanned<bool>>,
}

fn default_checker_model() -> Spanned<String> {
    Spanned::new(0..0, "cas-register".to_owned())
}

impl Default for CheckerSpec {
    fn default() -> Self {
        CheckerSpec {
            model: default_checker_model(),
            initial: None,
            require_final_reads: None,
        }
    }
}

/// `[limits]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Simulated time limit for one run (default: long enough for the
    /// workload and the faults, at least 60s). Ops still open then are `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Spanned<SimDuration>>,
    /// Wall-clock budget for checking one history (default 60s); past it
    /// the verdict is `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_time: Option<SimDuration>,
    /// Memory budget for checking one history, in MiB (default 4096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_memory_mb: Option<u64>,
    /// Most search steps for checking one history (default: no limit).
    /// Unlike `check_time`, it gives the same verdict on every machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_steps: Option<u64>,
    /// Most history events one run may record (default 10,000,000; at
    /// most 100,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_events_max: Option<Spanned<usize>>,
    /// Most messages one run may deliver (default 50,000,000); past it the
    /// verdict is `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_delivered_max: Option<Spanned<u64>>,
    /// Most events one run may handle (default 100,000,000); past it the
    /// verdict is `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_handled_max: Option<Spanned<u64>>,
    /// Wall-clock time one run may take (default "60s"); past it the
    /// verdict is `unknown`. Unlike the other limits it depends on the
    /// machine, so a seed near it may end differently elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_time: Option<Spanned<SimDuration>>,
}

/// A problem with a scenario file, with its place in the file when there is
/// one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file.
    pub path: PathBuf,
    /// Line, from 1.
    pub line: Option<usize>,
    /// Column, from 1 (in characters).
    pub column: Option<usize>,
    /// What is wrong, and what to write instead.
    pub message: String,
    /// The line of the file the error points at.
    pub source_line: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}", self.message)?;
        if let (Some(src), Some(c)) = (&self.source_line, self.column) {
            let gutter = self.line.map(|l| l.to_string()).unwrap_or_default();
            let pad = " ".repeat(gutter.len());
            write!(
                f,
                "\n {pad} |\n {gutter} | {src}\n {pad} | {}^",
                " ".repeat(c.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

impl ScenarioError {
    /// An error about the whole file (no position).
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.to_owned(),
            line: None,
            column: None,
            message: message.into(),
            source_line: None,
        }
    }

    /// An error at a byte range of `text` (the file's contents). An empty
    /// range `0..0` (a default value) has no position.
    pub fn at(path: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let mut e = ScenarioError::file(path, message);
        if span == (0..0) && !text.is_empty() {
            return e;
        }
        let start = span.start.min(text.len());
        let start = (0..=start)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        e.line = Some(text[..start].matches('\n').count() + 1);
        e.column = Some(text[line_start..start].chars().count() + 1);
        e.source_line = Some(text[line_start..line_end].trim_end_matches('\r').to_owned());
        e
    }
}

/// One or more problems with a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

impl From<ScenarioError> for ScenarioErrors {
    fn from(e: ScenarioError) -> Self {
        ScenarioErrors(vec![e])
    }
}

/// ` (did you mean `x`?)`, or nothing.
pub(crate) fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    // The nemesis's rule first (it knows unit suffixes: `offset` → `offset_ms`),
    // then swapped letters (`nodse` → `nodes`), which it counts as two edits.
    did_you_mean(word, candidates.iter().copied())
        .or_else(|| {
            let limit = (word.chars().count() / 3).max(1);
            candidates
                .iter()
                .map(|c| (strsim::osa_distance(word, c), *c))
                .filter(|(d, _)| *d <= limit)
                .min()
                .map(|(_, c)| c)
        })
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// Adds a "did you mean" to serde's "unknown field `x`, expected one of
/// `a`, `b`" and "unknown variant" messages.
pub(crate) fn improve_message(message: &str) -> String {
    let message = message.trim_end();
    for what in ["unknown field `", "unknown variant `"] {
        let Some(rest) = message.split(what).nth(1) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
        let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        if message.contains("did you mean") {
            return message.to_owned();
        }
        let hint = suggestion(word, candidates.iter().copied());
        if hint.is_empty() {
            return message.to_owned();
        }
        // Say the likely fix first; the full list follows.
        return format!("{what}{word}`{hint}{tail}");
    }
    message.to_owned()
}

/// Where `key` is written inside `span` of `text` (for errors about a key
/// of a table that serde reported without a position).
fn find_key(text: &str, span: &Range<usize>, key: &str) -> Option<Range<usize>> {
    // A `[table]`'s span may cover only its header: look on to the next header.
    let rest = text.get(span.start..)?;
    let mut end = span.end.max(span.start);
    let mut pos = span.start;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if i > 0 && line.trim_start().starts_with('[') && pos >= span.end {
            break;
        }
        pos += line.len();
        end = end.max(pos);
    }
    let span = &(span.start..end.min(text.len()));
    let region = text.get(span.clone())?;
    let mut offset = 0;
    for line in region.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        for candidate in [key.to_owned(), format!("\"{key}\"")] {
            if let Some(after) = trimmed.strip_prefix(candidate.as_str()) {
                if after.trim_start().starts_with('=') {
                    let start = span.start + offset + indent;
                    return Some(start..start + candidate.len());
                }
            }
        }
        // Inline tables: `settings = { a = 1, stale_read = true }`.
        if let Some(i) = line.find(&format!(" {key} =")) {
            let start = span.start + offset + i + 1;
            return Some(start..start + key.len());
        }
        offset += line.len();
    }
    None
}

/// The key named in a serde message (`unknown field `x``, `missing field
/// `x``), if any.
fn named_key(message: &str) -> Option<&str> {
    ["unknown field `", "missing field `"]
        .iter()
        .find_map(|what| message.split(what).nth(1))
        .and_then(|rest| rest.split('`').next())
}

/// A scenario read and checked: ready to plan runs from.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// The file's stem: the name of its artifact directory.
    pub name: String,
    /// The file's text (for error positions).
    pub text: String,
    /// The settings its seeds vary (`[cluster] knobs`), resolved against
    /// the model's declarations.
    pub knobs: Vec<Knob>,
    /// The fault points `[faults.points]` may arm, resolved against the
    /// model's declarations.
    pub points: Vec<String>,
    /// The parsed file.
    pub file: ScenarioFile,
    /// The engine the runs use: the file's `engine`, or the model's
    /// default (`discrete` for callback models, `turmoil` for async
    /// services); `--engine` overrides it ([`Scenario::set_engine`]).
    pub engine: Engine,
}

impl Scenario {
    /// Reads and checks the scenario file at `path`.
    pub fn load(path: impl AsRef<Path>, registry: &Registry) -> Result<Scenario, ScenarioErrors> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| {
            ScenarioError::file(path, format!("cannot read the scenario file: {e}"))
        })?;
        if meta.len() > FILE_BYTES_MAX {
            return Err(ScenarioError::file(
                path,
                format!(
                    "the file is {} bytes: a scenario file is at most {FILE_BYTES_MAX}",
                    meta.len()
                ),
            )
            .into());
        }
        let bytes = std::fs::read(path).map_err(|e| {
            ScenarioError::file(path, format!("cannot read the scenario file: {e}"))
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ScenarioError::file(path, "the file is not UTF-8 text"))?;
        Scenario::parse(path, &text, registry)
    }

    /// Parses and checks scenario text; `path` names it in errors and gives
    /// its name.
    pub fn parse(path: &Path, text: &str, registry: &Registry) -> Result<Scenario, ScenarioErrors> {
        let file = parse_file(path, text)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "scenario".to_owned());
        let service = registry
            .get(file.cluster.model.get_ref())
            .is_some_and(|m| m.is_service());
        let engine = match &file.cluster.engine {
            Some(e) => *e.get_ref(),
            None if service => Engine::service_default(),
            None => Engine::Discrete,
        };
        let mut scenario = Scenario {
            path: path.to_owned(),
            name,
            text: text.to_owned(),
            file,
            knobs: Vec::new(),
            points: Vec::new(),
            engine,
        };
        scenario.check(registry)?;
        scenario.knobs = scenario.resolve_knobs(registry).map_err(ScenarioErrors)?;
        scenario.points = scenario.resolve_points(registry).map_err(ScenarioErrors)?;
        Ok(scenario)
    }

    /// The knobs this scenario varies per seed, from `[cluster] knobs` and
    /// the model's declarations.
    fn resolve_knobs(&self, registry: &Registry) -> Result<Vec<Knob>, Vec<ScenarioError>> {
        let Some(spec) = &self.file.cluster.knobs else {
            return Ok(Vec::new());
        };
        let model = self.model();
        let declared = registry.knobs(model);
        let at = |message: String| vec![self.error_at(spec.span(), message)];
        let names = || {
            declared
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let knobs: Vec<Knob> = match spec.get_ref() {
            KnobsSpec::All(false) => return Ok(Vec::new()),
            KnobsSpec::All(true) if declared.is_empty() => {
                return Err(at(format!(
                    "model `{model}` declares no knobs: give your own ranges, e.g. knobs = {{ some_setting = [1, 10] }}"
                )))
            }
            // Every declared knob the file does not fix itself.
            KnobsSpec::All(true) => {
                let fixed = self.settings();
                declared
                    .iter()
                    .filter(|k| !fixed.contains_key(&k.name))
                    .cloned()
                    .collect()
            }
            KnobsSpec::Names(list) => {
                let mut knobs = Vec::new();
                for name in list {
                    match declared.iter().find(|k| &k.name == name) {
                        Some(k) => knobs.push(k.clone()),
                        None => {
                            return Err(at(format!(
                                "`{name}` is not a knob of model `{model}`{}; its knobs are: {} (or give a range: knobs = {{ {name} = [min, max] }})",
                                suggestion(name, declared.iter().map(|k| k.name.as_str())),
                                if declared.is_empty() { "none".to_owned() } else { names() }
                            )))
                        }
                    }
                }
                knobs
            }
            KnobsSpec::Ranges(ranges) => {
                let keys = registry.settings(model);
                let mut knobs = Vec::new();
                for (name, [min, max]) in ranges {
                    if !keys.is_empty() && !keys.iter().any(|k| &k.name == name) {
                        return Err(at(format!(
                            "`{name}` is not a setting of model `{model}`{}",
                            suggestion(name, keys.iter().map(|k| k.name.as_str()))
                        )));
                    }
                    if min > max {
                        return Err(at(format!(
                            "knob `{name}` = [{min}, {max}] is empty: write the least value first"
                        )));
                    }
                    knobs.push(Knob {
                        name: name.clone(),
                        min: *min,
                        max: *max,
                    });
                }
                knobs
            }
        };
        let settings = self.settings();
        let mut errors = Vec::new();
        if let Some(runner) = registry.get(model) {
            for knob in &knobs {
                if settings.contains_key(&knob.name) {
                    errors.push(self.error_at(
                        spec.span(),
                        format!(
                            "knob `{}` is also fixed in [cluster.settings]: remove it from one of them",
                            knob.name
                        ),
                    ));
                    continue;
                }
                // Both ends of the range must be values the model takes.
                for value in [knob.min, knob.max] {
                    let mut table = settings.clone();
                    table.insert(knob.name.clone(), toml::Value::Integer(value));
                    if let Err(e) = runner.inspect(&table, self.nodes()) {
                        errors.push(self.error_at(
                            spec.span(),
                            format!(
                                "knob `{}` = {value} (an end of its range [{}, {}]) is refused by model `{model}`: {e}",
                                knob.name, knob.min, knob.max
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(knobs)
        } else {
            Err(errors)
        }
    }

    /// The points `[faults.points]` may arm: those it names, or every point
    /// the model marks; checked against the model's declarations.
    fn resolve_points(&self, registry: &Registry) -> Result<Vec<String>, Vec<ScenarioError>> {
        let Some(spec) = &self.file.faults.points else {
            return Ok(Vec::new());
        };
        let model = self.model();
        let at = |message: String| vec![self.error_at(spec.span(), message)];
        let Some(runner) = registry.get(model) else {
            return Ok(Vec::new());
        };
        if runner.is_service() {
            return Err(at(format!(
                "[faults.points]: model `{model}` is an async service; fault points act on callback models only"
            )));
        }
        let info = runner
            .inspect(&self.settings(), self.nodes())
            .map_err(|e| at(format!("[faults.points]: model `{model}`: {e}")))?;
        let declared: Vec<&str> = info.points.iter().map(|(n, _)| n.as_str()).collect();
        if declared.is_empty() {
            return Err(at(format!(
                "[faults.points]: model `{model}` marks no fault points (a model marks them with ctx.fault_point and declares them in ClusterModel::fault_points)"
            )));
        }
        let s = spec.get_ref();
        let check_rate = |name: &str, v: Option<f64>| {
            match v {
            Some(p) if !(0.0..=1.0).contains(&p) => Err(at(format!(
                "[faults.points] `{name}` = {p} is not a probability: write a number from 0.0 to 1.0"
            ))),
            _ => Ok(()),
        }
        };
        check_rate("armed", s.armed)?;
        check_rate("probability", s.probability)?;
        if s.actions.as_ref().is_some_and(Vec::is_empty) {
            return Err(at(
                "[faults.points] `actions` is empty: give crash, pause or both".into(),
            ));
        }
        if let Some([lo, hi]) = s.down {
            if lo > hi {
                return Err(at(format!(
                    "[faults.points] `down` = [\"{lo}\", \"{hi}\"] is empty: write the shorter time first"
                )));
            }
        }
        match &s.points {
            None => Ok(declared.iter().map(|p| (*p).to_owned()).collect()),
            Some(names) => {
                for name in names {
                    if !declared.contains(&name.as_str()) {
                        return Err(at(format!(
                            "[faults.points]: `{name}` is not a fault point of model `{model}`{}; its points are: {}",
                            suggestion(name, declared.iter().copied()),
                            declared.join(", ")
                        )));
                    }
                }
                Ok(names.clone())
            }
        }
    }

    /// The knob values of `seed`, in knob order: each is its range's least
    /// value a quarter of the time, its greatest a quarter, and uniform in
    /// between otherwise (the ends are where batching bugs live). From a
    /// stream of the seed of its own, so the faults and the workload of
    /// the seed stay as they are.
    pub fn knob_values(&self, seed: u64) -> Vec<(String, i64)> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x4b4e_4f42_535f_5345);
        self.knobs
            .iter()
            .map(|k| {
                let value = match rng.random_range(0..4u8) {
                    0 => k.min,
                    1 => k.max,
                    _ => rng.random_range(k.min..=k.max),
                };
                (k.name.clone(), value)
            })
            .collect()
    }

    /// The settings table of `seed`: `[cluster.settings]` plus its knob
    /// values.
    pub fn settings_for(&self, seed: u64) -> toml::Table {
        let mut table = self.settings();
        for (name, value) in self.knob_values(seed) {
            table.insert(name, toml::Value::Integer(value));
        }
        table
    }

    /// Where this scenario's run directories go under an output directory:
    /// its path relative to the working directory, without `.toml`
    /// (`scenarios/raft-kv-stale-reads`), so that `a/x.toml` and `b/x.toml`
    /// never share one. Each part is cut down to letters, digits, `-`, `_`
    /// and `.` (a part may not start with `.`, so nothing climbs out of the
    /// output directory). A file outside the working directory, or named
    /// through `..`, gets its stem and a hash of its absolute path instead
    /// (`x-3fa2c1d0`).
    pub fn artifact_key(&self) -> PathBuf {
        artifact_key(&self.path)
    }

    /// An error at a span of this file.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(&self.path, &self.text, span, message)
    }

    /// The seeds the file asks for (default 10: `0..10`).
    pub fn seeds(&self) -> SeedSet {
        self.file
            .seeds
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default()
    }

    /// The expected verdict.
    pub fn expect(&self) -> Expect {
        *self.file.expect.get_ref()
    }

    /// The engine the runs use (see [`Scenario::engine`]).
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Runs the scenario on `engine` instead (`--engine`); refused when
    /// the engine cannot run the model.
    pub fn set_engine(&mut self, engine: Engine, registry: &Registry) -> Result<(), String> {
        let service = registry.get(self.model()).is_some_and(|m| m.is_service());
        if let Some(why) = engine.refusal(self.model(), service) {
            return Err(format!("--engine {}: {why}", engine.name()));
        }
        if service && engine == Engine::Madsim {
            if let Some(why) = self.madsim_link_faults() {
                return Err(format!("--engine madsim: {why}"));
            }
        }
        self.engine = engine;
        // A shrunk scenario written from this one runs on the same engine.
        self.file.cluster.engine = Some(Spanned::new(0..0, engine));
        Ok(())
    }

    /// Where this file asks for per-link delay or loss (a timeline fault, or
    /// the generated `packet` package), which madsim cannot give a service:
    /// the line, column and why.
    fn madsim_link_faults(&self) -> Option<String> {
        let faults = &self.file.faults;
        let timeline = faults.timeline.iter().find_map(|e| {
            let name = e.get_ref().fault.name();
            shakedown_sim::service::MADSIM_UNSUPPORTED_FAULTS
                .iter()
                .any(|(n, _)| *n == name)
                .then(|| (e.span(), format!("`{name}`")))
        });
        let generated = faults.generate.as_ref().and_then(|g| {
            g.get_ref()
                .packages
                .contains(&shakedown_nemesis::generate::Package::Packet)
                .then(|| (g.span(), "the generated `packet` package".to_owned()))
        });
        let (span, what) = timeline.or(generated)?;
        let at = self.error_at(span, "");
        Some(format!(
            "{} at line {}, column {} cannot act on model `{}` on madsim: {}",
            what,
            at.line.unwrap_or(0),
            at.column.unwrap_or(0),
            self.model(),
            shakedown_sim::service::MADSIM_LINK_FAULTS
        ))
    }

    /// The engine `--engine` chose, if it overrode the file (printed replay
    /// and shrink commands keep it).
    pub fn engine_override(&self) -> Option<Engine> {
        self.file
            .cluster
            .engine
            .as_ref()
            .filter(|e| e.span() == (0..0))
            .map(|e| *e.get_ref())
    }

    /// The cluster model's name.
    pub fn model(&self) -> &str {
        self.file.cluster.model.get_ref()
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        *self.file.cluster.nodes.get_ref()
    }

    /// The model's settings table (empty if none).
    pub fn settings(&self) -> toml::Table {
        self.file
            .cluster
            .settings
            .as_ref()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default()
    }

    /// The explicit timeline (without generated faults).
    pub fn timeline(&self) -> Schedule {
        Schedule::new(
            self.file
                .faults
                .timeline
                .iter()
                .map(|e| e.get_ref().clone())
                .collect(),
        )
    }

    /// Everything that can be checked before a run; every problem found.
    fn check(&self, registry: &Registry) -> Result<(), ScenarioErrors> {
        let mut errors = Vec::new();
        let f = &self.file;
        let c = &f.cluster;

        if let Some(e) = &c.engine {
            let service = registry
                .get(c.model.get_ref())
                .is_some_and(|m| m.is_service());
            if let Some(why) = e.get_ref().refusal(c.model.get_ref(), service) {
                errors.push(self.error_at(e.span(), why));
            }
        }
        if let Some(n) = &f.limits.history_events_max {
            let ceiling = shakedown_sim::config::HISTORY_EVENTS_CEILING;
            if *n.get_ref() > ceiling {
                errors.push(self.error_at(
                    n.span(),
                    format!(
                        "`history_events_max` = {}: at most {ceiling} (100 million events)",
                        n.get_ref()
                    ),
                ));
            }
        }
        for (name, value) in [
            ("messages_delivered_max", &f.limits.messages_delivered_max),
            ("events_handled_max", &f.limits.events_handled_max),
        ] {
            if let Some(v) = value.as_ref().filter(|v| *v.get_ref() == 0) {
                errors.push(self.error_at(
                    v.span(),
                    format!(
                        "`{name}` is 0: a run needs at least one; leave it out for the default"
                    ),
                ));
            }
        }
        if let Some(w) = f
            .limits
            .wall_time
            .as_ref()
            .filter(|w| w.get_ref().is_zero())
        {
            errors.push(self.error_at(
                w.span(),
                "`wall_time` is 0: give a run some wall time, like \"60s\"",
            ));
        }
        let nodes = *c.nodes.get_ref();
        if nodes == 0 {
            errors.push(self.error_at(
                c.nodes.span(),
                "`nodes` is 0: a cluster needs at least 1 node",
            ));
        } else if nodes > shakedown_sim::config::NODES_MAX {
            errors.push(self.error_at(
                c.nodes.span(),
                format!(
                    "`nodes` = {nodes}: at most {}",
                    shakedown_sim::config::NODES_MAX
                ),
            ));
        }

        // The model and its settings.
        let mut model_info = None;
        match registry.get(c.model.get_ref()) {
            None => errors.push(self.error_at(
                c.model.span(),
                format!(
                    "unknown cluster model `{}`{}; the models are {} (`shakedown list models`)",
                    c.model.get_ref(),
                    suggestion(c.model.get_ref(), registry.names()),
                    registry.names().collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(runner) if nodes > 0 => match runner.inspect(&self.settings(), nodes) {
                Ok(mut info) => {
                    // On madsim a service has one latency and loss for all links.
                    if runner.is_service() && self.engine == Engine::Madsim {
                        info.unsupported_faults.extend(
                            shakedown_sim::service::MADSIM_UNSUPPORTED_FAULTS
                                .iter()
                                .map(|(f, why)| ((*f).to_owned(), format!("{why} (on madsim)"))),
                        );
                    }
                    model_info = Some(info)
                }
                Err(message) => errors.push(self.settings_error(&message)),
            },
            Some(_) => {}
        }

        // The checker.
        let checker = f.checker.model.get_ref();
        let initial = match &f.checker.initial {
            Some(s) => {
                match shakedown_checkers::edn::parse_value(s.get_ref()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        errors.push(self.error_at(
                        s.span(),
                        format!("`initial` is not EDN ({e}); write e.g. \"0\", \"nil\" or \"{{:x 0}}\""),
                    ));
                        None
                    }
                }
            }
            None => Some(shakedown_checkers::Value::Nil),
        };
        if let Some(initial) = initial {
            if let Err(e) = shakedown_checkers::model_by_name(checker, initial) {
                let names: Vec<&str> = shakedown_checkers::MODELS.iter().map(|(n, _)| *n).collect();
                errors.push(self.error_at(
                    f.checker.model.span(),
                    format!("{e}{}", suggestion(checker, names.iter().copied())),
                ));
            }
        }

        // The workload.
        let w = &f.workload;
        if let Some(required) = &f.checker.require_final_reads {
            if *required.get_ref() && !w.final_reads {
                errors.push(self.error_at(
                    required.span(),
                    "`require_final_reads` needs final reads: add `final_reads = true` to [workload]",
                ));
            }
        }
        if let (Some(ops), Some(d)) = (&w.ops, &w.duration) {
            errors.push(self.error_at(
                d.span(),
                format!(
                    "the workload has both `ops` = {} and `duration` = \"{}\": give one of them",
                    ops.get_ref(),
                    d.get_ref()
                ),
            ));
        }
        if let Some(d) = &w.duration {
            if d.get_ref().is_zero() {
                errors.push(self.error_at(
                    d.span(),
                    "workload `duration` is 0: give it a positive duration like \"30s\"",
                ));
            }
        }
        if *w.clients.get_ref() == 0 {
            errors.push(self.error_at(
                w.clients.span(),
                "`clients` is 0: no op would run and nothing would be checked; give at least 1",
            ));
        }
        if let Some(ops) = &w.ops {
            if *ops.get_ref() == 0 {
                errors.push(self.error_at(
                    ops.span(),
                    "`ops` is 0: nothing would be checked; give at least 1 op",
                ));
            }
        }
        // Numbers that pass the shape but not the meaning, each at its key.
        let mut refuse = |path: &[&str], message: String| {
            let span = self.value_span(path);
            errors.push(match span {
                Some(span) => self.error_at(span, message),
                None => ScenarioError::file(&self.path, message),
            });
        };
        if let Some(rate) = w.ops_per_s {
            if !(rate.is_finite() && rate > 0.0) {
                refuse(
                    &["workload", "ops_per_s"],
                    format!("`ops_per_s` = {rate}: give a rate above 0, e.g. 100.0 (leave it out for closed-loop clients)"),
                );
            }
        }
        let n = &f.network;
        for (key, rate) in [
            ("loss_rate", n.loss_rate),
            ("duplicate_rate", n.duplicate_rate),
        ] {
            if let Some(rate) = rate.filter(|r| !(0.0..=1.0).contains(r)) {
                refuse(
                    &["network", key],
                    format!(
                        "`{key}` = {rate} is not a probability: write a number from 0.0 to 1.0"
                    ),
                );
            }
        }
        if f.limits.check_time.is_some_and(|t| t.is_zero()) {
            refuse(
                &["limits", "check_time"],
                "`check_time` is 0: no history could be checked; give a budget like \"60s\" (or leave it out)".into(),
            );
        }
        if f.limits.check_memory_mb == Some(0) {
            refuse(
                &["limits", "check_memory_mb"],
                "`check_memory_mb` is 0: no history could be checked; give a budget like 4096 (or leave it out)".into(),
            );
        }
        if f.limits.check_steps == Some(0) {
            refuse(
                &["limits", "check_steps"],
                "`check_steps` is 0: no history could be checked; give a budget like 10000000 (or leave it out)".into(),
            );
        }
        if f.limits
            .history_events_max
            .as_ref()
            .is_some_and(|n| *n.get_ref() == 0)
        {
            refuse(
                &["limits", "history_events_max"],
                "`history_events_max` is 0: no op could be recorded; give a limit like 1000000 (or leave it out)".into(),
            );
        }
        if *w.clients.get_ref() > shakedown_sim::config::CLIENTS_MAX {
            errors.push(self.error_at(
                w.clients.span(),
                format!(
                    "`clients` = {}: at most {}",
                    w.clients.get_ref(),
                    shakedown_sim::config::CLIENTS_MAX
                ),
            ));
        }
        if let Some(limit) = &f.limits.duration {
            if limit.get_ref().is_zero() {
                errors.push(self.error_at(
                    limit.span(),
                    "`limits.duration` is 0: give the run a simulated duration like \"60s\"",
                ));
            }
        }

        // The faults.
        if let Some(g) = &f.faults.generate {
            if let Err(e) = g.get_ref().check() {
                errors.push(self.error_at(g.span(), format!("[faults.generate]: {e}")));
            }
        }
        if nodes > 0 {
            let (roles, faults) = match &model_info {
                Some(info) => (Some(info.roles.as_slice()), Some(info.faults.as_slice())),
                None => (None, None),
            };
            let ctx = shakedown_nemesis::Context {
                node_count: nodes,
                roles,
                model_faults: faults,
                run_length: f.limits.duration.as_ref().map(|d| *d.get_ref()),
            };
            let unsupported = model_info
                .as_ref()
                .map(|i| i.unsupported_faults.as_slice())
                .unwrap_or_default();
            for (event, spanned) in f.faults.timeline.iter().enumerate() {
                let name = spanned.get_ref().fault.name();
                if let Some((_, why)) = unsupported.iter().find(|(n, _)| n == name) {
                    errors.push(self.error_at(
                        spanned.span(),
                        format!(
                            "[[faults.timeline]] event {event}: `{name}` cannot act on model `{}`: {why}; remove it or pick another fault (`shakedown list faults`)",
                            c.model.get_ref()
                        ),
                    ));
                }
            }
            // The `packet` package generates per-link delay and loss, which
            // madsim's network cannot give a service.
            if let Some(g) = &f.faults.generate {
                let packet = g
                    .get_ref()
                    .packages
                    .contains(&shakedown_nemesis::generate::Package::Packet);
                if packet
                    && self.engine == Engine::Madsim
                    && unsupported.iter().any(|(n, _)| n == "packet-delay")
                {
                    errors.push(self.error_at(
                        g.span(),
                        format!(
                            "[faults.generate]: the `packet` package cannot act on model `{}` on madsim: {}; remove it from `packages`",
                            c.model.get_ref(),
                            shakedown_sim::service::MADSIM_LINK_FAULTS
                        ),
                    ));
                }
            }
            for e in shakedown_nemesis::validate(&self.timeline(), &ctx) {
                let span = f.faults.timeline.get(e.event).map(Spanned::span);
                let message = format!("[[faults.timeline]] {e}");
                errors.push(match span {
                    Some(span) => self.error_at(span, message),
                    None => ScenarioError::file(&self.path, message),
                });
            }
        }

        // Everything else the simulator would refuse.
        if errors.is_empty() {
            if let Err(e) = crate::plan::sim_config(self, 0)
                .and_then(|c| c.validate().map_err(|e| e.to_string()))
            {
                errors.push(match self.span_of_message(&e) {
                    Some(span) => self.error_at(span, e),
                    None => ScenarioError::file(&self.path, e),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ScenarioErrors(errors))
        }
    }

    /// The span of the value at a key path (`["workload", "ops_per_s"]`),
    /// if the file has it.
    pub fn value_span(&self, path: &[&str]) -> Option<Range<usize>> {
        let doc = toml::de::DeTable::parse(&self.text).ok()?;
        let mut table = doc.get_ref();
        for (i, key) in path.iter().enumerate() {
            let (_, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *key)?;
            if i + 1 == path.len() {
                return Some(value.span());
            }
            match value.get_ref() {
                toml::de::DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
        None
    }

    /// Where the setting a simulator message is about sits in the file:
    /// the key it names in backticks, or the key its words describe.
    fn span_of_message(&self, message: &str) -> Option<Range<usize>> {
        let named = message.split('`').nth(1).filter(|_| message.contains('`'));
        let described = [
            ("workload rate", "ops_per_s"),
            ("op count", "ops"),
            ("workload duration", "duration"),
            ("timeout", "timeout"),
            ("zipf", "key_choice"),
            ("client latency", "client_latency"),
            ("latency", "latency"),
        ]
        .iter()
        .find(|(words, _)| message.contains(words))
        .map(|(_, key)| *key);
        let key = named.or(described)?;
        let key = key.strip_suffix("_ms").unwrap_or(key);
        ["workload", "network", "limits", "cluster", "checker"]
            .iter()
            .find_map(|section| self.value_span(&[section, key]))
    }

    /// An error about the model settings, pointing at the key it names when
    /// it can.
    fn settings_error(&self, message: &str) -> ScenarioError {
        let message = improve_message(message);
        let c = &self.file.cluster;
        let text = format!(
            "[cluster.settings] of model `{}`: {message}",
            c.model.get_ref()
        );
        match &c.settings {
            Some(s) => {
                // The key the message names in backticks, else the first key
                // of the table the message mentions (`read_quorum (R) = 4 ...`).
                let mentioned = s.get_ref().keys().find(|k| {
                    message
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                        .any(|w| w == k.as_str())
                });
                let span = named_key(&message)
                    .or(mentioned.map(String::as_str))
                    .and_then(|k| find_key(&self.text, &s.span(), k))
                    .unwrap_or_else(|| s.span());
                self.error_at(span, text)
            }
            None => self.error_at(c.model.span(), text),
        }
    }
}

/// [`Scenario::artifact_key`] of a path.
pub fn artifact_key(path: &Path) -> PathBuf {
    use std::path::Component;
    let cwd = std::env::current_dir().ok();
    let relative = if path.is_absolute() {
        cwd.as_deref().and_then(|c| path.strip_prefix(c).ok())
    } else {
        Some(path)
    };
    let relative = relative.filter(|r| {
        r.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    });
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(relative) = relative else {
        let absolute = cwd.map_or_else(|| path.to_owned(), |c| c.join(path));
        let mut digest = shakedown_sim::record::Digest::default();
        digest.write(absolute.to_string_lossy().as_bytes());
        return PathBuf::from(format!(
            "{}-{:08x}",
            safe_part(&stem),
            digest.value() & 0xffff_ffff
        ));
    };
    let mut key = PathBuf::new();
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            let part = part.strip_suffix(".toml").unwrap_or(part);
            let safe = safe_part(part);
            // A stem that reads as a seed would sit beside seed directories.
            if crate::seeds::parse_seed(&safe).is_ok() {
                key.push(format!("_{safe}"));
            } else {
                key.push(safe);
            }
        } else {
            key.push(safe_part(part));
        }
    }
    key
}

/// One path part as a safe directory name: letters, digits, `-`, `_`, `.`,
/// never starting with `.` and never empty.
fn safe_part(part: &str) -> String {
    let mut safe: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        safe.insert(0, '_');
    }
    safe
}

/// Parses the text of a scenario file into its exact shape (no checks
/// beyond the shape). Used by [`Scenario::parse`] and by the fuzz target.
pub fn parse_file(path: &Path, text: &str) -> Result<ScenarioFile, ScenarioError> {
    toml::from_str::<ScenarioFile>(text).map_err(|e| {
        let message = improve_message(e.message());
        match e.span() {
            Some(span) => ScenarioError::at(path, text, span, message),
            None => ScenarioError::file(path, message),
        }
    })
}

/// Writes a scenario file back as TOML (comments are not kept).
pub fn to_toml(file: &ScenarioFile) -> Result<String, String> {
    toml::to_string(file).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_is_added_to_serde_messages() {
        let m =
            improve_message("unknown field `nodse`, expected one of `model`, `nodes`, `engine`");
        assert!(m.contains("did you mean `nodes`?"), "{m}");
        assert!(m.contains("expected one of"), "{m}");
        let m = improve_message(
            "unknown variant `turmol`, expected one of `discrete`, `turmoil`, `madsim`",
        );
        assert!(m.contains("did you mean `turmoil`?"), "{m}");
        let m = improve_message("unknown field `zzzzzz`, expected `a`");
        assert_eq!(m, "unknown field `zzzzzz`, expected `a`");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        let e = ScenarioError::at(Path::new("x.toml"), text, 9..10, "bad");
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
        assert!(e.to_string().starts_with("x.toml:2:3: bad"), "{e}");
        // Out of range and mid-character spans do not panic.
        let _ = ScenarioError::at(Path::new("x.toml"), text, 8..9, "bad");
        let _ = ScenarioError::at(Path::new("x.toml"), text, 100..200, "bad");
    }

    #[test]
    fn keys_are_found_in_a_table() {
        let text = "[cluster.settings]\nfoo = 1\n  stale_read = true\n";
        let span = 0..text.len();
        let r = find_key(text, &span, "stale_read").unwrap();
        assert_eq!(&text[r], "stale_read");
        assert!(find_key(text, &span, "nope").is_none());
    }
}
