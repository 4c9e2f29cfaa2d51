//! Reports: one self-contained `report.html` per run, for people.
//!
//! The input is engine-neutral ([`ReportInput`]): a history, its verdict and,
//! when a Shakedown run made it, a seed, a replay command and [`Metrics`]. A
//! history from elsewhere (`shakedown check --report out.html history.edn`)
//! gets the same report without the run-only parts.
//!
//! The page needs no network and loads nothing: CSS, script, SVG charts and
//! the timeline's data are inline, and a Content-Security-Policy admits only
//! the page's own two scripts (by hash), so even a value that slipped past
//! escaping could not run. Every value from a history is escaped
//! ([`escape`]).

mod axis;
mod charts;
mod context;
mod describe;
pub mod escape;
mod faults;
pub mod lost;
pub mod metrics;
mod page;
mod states;
mod timeline;

pub use context::RunContext;
pub use metrics::{Metrics, Point, Series, SeriesKind};

use serde::{Deserialize, Serialize};
use shakedown_checkers::{Completion, History, Op, Verdict};
use std::path::{Path, PathBuf};

/// Everything a report shows. Borrowed, so callers keep their data.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The page title: the scenario name, or the history's file name.
    pub title: String,
    /// The history, client ops and nemesis events alike.
    pub history: &'a History,
    /// What the checker concluded.
    pub verdict: &'a Verdict,
    /// The model checked against (`cas-register`, `kv`, ...).
    pub model: String,
    /// The run's seed, for Shakedown's own runs.
    pub seed: Option<u64>,
    /// The command that replays the run bit for bit.
    pub replay_command: Option<String>,
    /// Message counts and model gauges over time, if the run recorded any.
    pub metrics: Option<&'a Metrics>,
    /// How the run was made: scenario description and settings, engine,
    /// command (empty for a history from elsewhere).
    pub context: RunContext,
}

impl<'a> ReportInput<'a> {
    /// A report of `history` checked against `model`, with no seed, replay
    /// command or metrics (as for a history from elsewhere).
    pub fn new(
        title: impl Into<String>,
        history: &'a History,
        verdict: &'a Verdict,
        model: impl Into<String>,
    ) -> Self {
        ReportInput {
            title: title.into(),
            history,
            verdict,
            model: model.into(),
            seed: None,
            replay_command: None,
            metrics: None,
            context: RunContext::default(),
        }
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the replay command.
    pub fn with_replay_command(mut self, command: impl Into<String>) -> Self {
        self.replay_command = Some(command.into());
        self
    }

    /// Sets the metrics.
    pub fn with_metrics(mut self, metrics: &'a Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Sets how the run was made.
    pub fn with_context(mut self, context: RunContext) -> Self {
        self.context = context;
        self
    }
}

/// How a history's client ops completed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// All client ops.
    pub total: usize,
    /// Completed `ok`.
    pub ok: usize,
    /// Completed `fail`.
    pub fail: usize,
    /// Completed `info`, or never completed.
    pub info: usize,
}

impl OpCounts {
    /// Counts `ops` by completion.
    pub fn of(ops: &[Op]) -> Self {
        let mut c = OpCounts {
            total: ops.len(),
            ..OpCounts::default()
        };
        for op in ops {
            match op.completion {
                Completion::Ok => c.ok += 1,
                Completion::Fail => c.fail += 1,
                Completion::Info => c.info += 1,
            }
        }
        c
    }
}

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing the file failed.
    #[error("cannot write report {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Encoding the timeline's data failed (not expected for any history).
    #[error("cannot encode the report's data: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Renders the report as one HTML document.
pub fn render_html(input: &ReportInput<'_>) -> Result<String, ReportError> {
    page::render(input)
}

/// Renders the report and writes it to `path` (creating parent directories).
///
/// This is what `shakedown check --report out.html` calls for a history from
/// elsewhere, and what the run directory writer calls for `report.html`.
pub fn write_report(path: &Path, input: &ReportInput<'_>) -> Result<(), ReportError> {
    let html = render_html(input)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| ReportError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    crate::atomic::write_atomic(path, html.as_bytes()).map_err(|source| ReportError::Write {
        path: path.to_owned(),
        source,
    })
}
