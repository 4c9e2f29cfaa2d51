//! Run directories: the files a run leaves behind, and reading them back.
//!
//! A run directory holds
//! - `history.edn`: Jepsen's layout, one map per line, readable by
//!   `shakedown check`, knossos and elle;
//! - `history.jsonl`: the same events as JSON Lines;
//! - `results.json`: verdict, seed, model, op counts, timings and the
//!   counterexample ([`ResultsFile`]);
//! - `metrics.json`, when the run recorded metrics ([`Metrics`]);
//! - `report.html`, the self-contained report;
//! - `finding.txt`, when the run itself found something beyond the checker:
//!   a panic in model code (message, node, simulated time and backtrace) or
//!   a second run of the seed that differed (the first diverging step).
//!
//! `shakedown report RUN_DIR` rebuilds `report.html` from the other files
//! alone, so a report can be regenerated after the report code improves.
//!
//! Artifacts are data. Every file is written atomically (temporary name,
//! sync, rename), and `results.json` last: a directory without it is
//! incomplete (a run killed while writing) and is refused. The names inside
//! a run directory are fixed: nothing read from a file chooses a path, and
//! files that are links are not read. A history shorter than the one
//! `results.json` describes is refused as truncated.

use crate::report::{self, Metrics, OpCounts, ReportError, ReportInput, RunContext};
use serde::{Deserialize, Serialize};
use shakedown_checkers::{edn, jsonl, Counterexample, History, Outcome, ReadError, Verdict};
use std::path::{Path, PathBuf};

/// `history.edn`.
pub const HISTORY_EDN: &str = "history.edn";
/// `history.jsonl`.
pub const HISTORY_JSONL: &str = "history.jsonl";
/// `results.json`.
pub const RESULTS_JSON: &str = "results.json";
/// `metrics.json`.
pub const METRICS_JSON: &str = "metrics.json";
/// `report.html`.
pub const REPORT_HTML: &str = "report.html";
/// `finding.txt`.
pub const FINDING_TXT: &str = "finding.txt";

/// What a run found beyond the checker's verdict (see
/// [`crate::runner::Finding`]), as its run directory records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFinding {
    /// `crashed` or `nondeterministic`.
    pub outcome: String,
    /// The finding in words.
    pub description: String,
    /// The panic's backtrace (written to `finding.txt`, not `results.json`).
    #[serde(skip)]
    pub backtrace: Option<String>,
}

/// The value of [`ResultsFile::format`].
pub const RESULTS_FORMAT: &str = "shakedown-results";
/// The version of `results.json` this code writes and reads.
pub const RESULTS_FORMAT_VERSION: u32 = 1;

/// Wall-clock timings of a run, in milliseconds, where the caller measured
/// them. They go into `results.json` only, never into the report, which
/// stays a pure function of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// Time spent simulating the run.
    pub run_ms: Option<u64>,
    /// Time spent checking the history.
    pub check_ms: Option<u64>,
}

/// Everything a run directory is written from: what the report shows, plus
/// the run's timings. Borrowed, so the runner and the check command keep
/// their data.
#[derive(Debug, Clone)]
pub struct RunArtifacts<'a> {
    /// Title, history, verdict, model, seed, replay command and metrics.
    pub report: ReportInput<'a>,
    /// Wall-clock timings.
    pub timings: Timings,
    /// A panic or a divergence, if the run found one.
    pub finding: Option<RunFinding>,
}

impl<'a> RunArtifacts<'a> {
    /// Artifacts of `history` checked against `model`, with no seed, replay
    /// command, metrics or timings.
    pub fn new(
        title: impl Into<String>,
        history: &'a History,
        verdict: &'a Verdict,
        model: impl Into<String>,
    ) -> Self {
        RunArtifacts {
            report: ReportInput::new(title, history, verdict, model),
            timings: Timings::default(),
            finding: None,
        }
    }

    /// What the report shows.
    pub fn report_input(&self) -> ReportInput<'a> {
        self.report.clone()
    }

    /// The contents of `results.json`.
    pub fn results(&self) -> ResultsFile {
        let counts = match self.report.history.client_ops() {
            Ok(ops) => OpCounts::of(&ops),
            Err(_) => OpCounts::default(),
        };
        let span = {
            let times = self.report.history.events.iter().filter_map(|e| e.time_ns);
            let (lo, hi) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
                (
                    Some(lo.map_or(t, |l| l.min(t))),
                    Some(hi.map_or(t, |h| h.max(t))),
                )
            });
            lo.zip(hi).map(|(lo, hi)| hi - lo)
        };
        ResultsFile {
            format: RESULTS_FORMAT.to_owned(),
            format_version: RESULTS_FORMAT_VERSION,
            title: self.report.title.clone(),
            valid: match (&self.finding, self.report.verdict.outcome) {
                (Some(_), _) | (None, Outcome::Invalid) => serde_json::Value::Bool(false),
                (None, Outcome::Valid) => serde_json::Value::Bool(true),
                (None, Outcome::Unknown) => serde_json::Value::String("unknown".to_owned()),
            },
            finding: self.finding.clone(),
            outcome: self.report.verdict.outcome.name().to_owned(),
            model: self.report.model.clone(),
            seed: self.report.seed,
            seed_hex: self.report.seed.map(|s| format!("{s:#x}")),
            replay_command: self.report.replay_command.clone(),
            context: self.report.context.clone(),
            op_counts: counts,
            checked_ops: self.report.verdict.ops,
            events: self.report.history.len(),
            history_span_ns: span,
            timings: self.timings,
            reason: self.report.verdict.reason.clone(),
            counterexample: self.report.verdict.counterexample.clone(),
            files: Files {
                history_edn: HISTORY_EDN.to_owned(),
                history_jsonl: HISTORY_JSONL.to_owned(),
                metrics_json: self.report.metrics.map(|_| METRICS_JSON.to_owned()),
                report_html: REPORT_HTML.to_owned(),
            },
        }
    }
}

/// `results.json`: what a run concluded, for machines (CI, dashboards,
/// merging sweep shards by seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsFile {
    /// Always [`RESULTS_FORMAT`].
    pub format: String,
    /// [`RESULTS_FORMAT_VERSION`].
    pub format_version: u32,
    /// Scenario name, or the history's file name.
    pub title: String,
    /// Jepsen's `:valid?`: `true`, `false` or `"unknown"`.
    pub valid: serde_json::Value,
    /// `valid`, `invalid` or `unknown`.
    pub outcome: String,
    /// The model checked against.
    pub model: String,
    /// The seed, if the run had one.
    pub seed: Option<u64>,
    /// The seed in hex, as the replay command writes it.
    pub seed_hex: Option<String>,
    /// The command that replays the run.
    pub replay_command: Option<String>,
    /// How the run was made (absent in files from before it was recorded).
    #[serde(default, skip_serializing_if = "RunContext::is_empty")]
    pub context: RunContext,
    /// Client ops by completion.
    pub op_counts: OpCounts,
    /// Ops the checker counted ([`Verdict::ops`]).
    pub checked_ops: usize,
    /// Events in the history.
    pub events: usize,
    /// Last `:time` minus first, in nanoseconds, if the history is timed.
    pub history_span_ns: Option<i64>,
    /// Wall-clock timings.
    pub timings: Timings,
    /// Why the verdict is unknown.
    pub reason: Option<String>,
    /// Why the verdict is invalid.
    pub counterexample: Option<Counterexample>,
    /// The other files of the run directory.
    pub files: Files,
    /// A panic or a divergence the run found (then `outcome` is the
    /// checker's verdict on what was recorded, and `valid` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<RunFinding>,
}

/// The files a run directory holds, relative to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// `history.edn`.
    pub history_edn: String,
    /// `history.jsonl`.
    pub history_jsonl: String,
    /// `metrics.json`, if written.
    pub metrics_json: Option<String>,
    /// `report.html`.
    pub report_html: String,
}

impl ResultsFile {
    /// The verdict this file records.
    pub fn verdict(&self) -> Result<Verdict, String> {
        let outcome = match self.outcome.as_str() {
            "valid" => Outcome::Valid,
            "invalid" => Outcome::Invalid,
            "unknown" => Outcome::Unknown,
            other => {
                return Err(format!(
                    "\"outcome\" is {other:?}; write \"valid\", \"invalid\" or \"unknown\""
                ))
            }
        };
        Ok(Verdict {
            outcome,
            counterexample: self.counterexample.clone(),
            reason: self.reason.clone(),
            ops: self.checked_ops,
        })
    }
}

/// A run directory could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The run directory does not exist or is not a directory.
    #[error("{}: not a run directory ({reason})", dir.display())]
    NotARunDir {
        /// The directory.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file the run directory must hold is missing.
    #[error("{}: missing; a run directory holds {RESULTS_JSON} and {HISTORY_EDN} (or {HISTORY_JSONL})", path.display())]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A JSON file is malformed.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file parsed but says something impossible.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what to write instead.
        message: String,
    },
    /// The history file could not be read.
    #[error(transparent)]
    History(#[from] ReadError),
    /// The report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
}

fn write_file(path: PathBuf, contents: &[u8]) -> Result<PathBuf, ArtifactError> {
    crate::atomic::write_atomic(&path, contents).map_err(|source| ArtifactError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

fn to_json<T: Serialize>(path: &Path, value: &T) -> Result<String, ArtifactError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| ArtifactError::Invalid {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}

/// The paths written by [`write_run_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenRun {
    /// The run directory.
    pub dir: PathBuf,
    /// `history.edn`.
    pub history_edn: PathBuf,
    /// `history.jsonl`.
    pub history_jsonl: PathBuf,
    /// `results.json`.
    pub results_json: PathBuf,
    /// `metrics.json`, if written.
    pub metrics_json: Option<PathBuf>,
    /// `report.html`.
    pub report_html: PathBuf,
}

/// Writes a run directory (creating it): history in EDN and JSON Lines,
/// `metrics.json` when there are metrics, `finding.txt` when the run found
/// one, `report.html`, and last `results.json`, which marks the directory
/// complete. Files already there with these names are replaced; others are
/// left alone.
pub fn write_run_dir(dir: &Path, run: &RunArtifacts<'_>) -> Result<WrittenRun, ArtifactError> {
    std::fs::create_dir_all(dir).map_err(|source| ArtifactError::Io {
        path: dir.to_owned(),
        source,
    })?;
    // An old results.json would vouch for files about to be replaced.
    let results_path = dir.join(RESULTS_JSON);
    match std::fs::remove_file(&results_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(ArtifactError::Io {
                path: results_path,
                source,
            })
        }
    }
    let history_edn = write_file(
        dir.join(HISTORY_EDN),
        edn::write_history(run.report.history).as_bytes(),
    )?;
    let history_jsonl = write_file(
        dir.join(HISTORY_JSONL),
        jsonl::write_history(run.report.history).as_bytes(),
    )?;
    let metrics_json = match run.report.metrics {
        Some(m) => {
            // Compact: a long run has hundreds of thousands of points.
            let path = dir.join(METRICS_JSON);
            let text = serde_json::to_string(m).map_err(|e| ArtifactError::Invalid {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Some(write_file(path, text.as_bytes())?)
        }
        None => None,
    };
    let results = to_json(&results_path, &run.results())?;
    if let Some(f) = &run.finding {
        let mut text = format!("{}: {}\n", f.outcome, f.description);
        if let Some(bt) = f.backtrace.as_ref().filter(|b| !b.is_empty()) {
            text.push_str("\nbacktrace:\n");
            text.push_str(bt);
        }
        write_file(dir.join(FINDING_TXT), text.as_bytes())?;
    }
    let report_html = dir.join(REPORT_HTML);
    report::write_report(&report_html, &run.report_input())?;
    let results_json = write_file(results_path, results.as_bytes())?;
    Ok(WrittenRun {
        dir: dir.to_owned(),
        history_edn,
        history_jsonl,
        results_json,
        metrics_json,
        report_html,
    })
}

/// A run directory read back.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    /// The directory.
    pub dir: PathBuf,
    /// `results.json`.
    pub results: ResultsFile,
    /// The verdict `results.json` records.
    pub verdict: Verdict,
    /// The history, from `history.edn` (or `history.jsonl` if there is no EDN).
    pub history: History,
    /// `metrics.json`, if present.
    pub metrics: Option<Metrics>,
}

impl LoadedRun {
    /// What the report shows, as it was when the run was written.
    pub fn report_input(&self) -> ReportInput<'_> {
        ReportInput {
            title: self.results.title.clone(),
            history: &self.history,
            verdict: &self.verdict,
            model: self.results.model.clone(),
            seed: self.results.seed,
            replay_command: self.results.replay_command.clone(),
            metrics: self.metrics.as_ref(),
            context: self.results.context.clone(),
        }
    }
}

fn read_text(path: &Path) -> Result<String, ArtifactError> {
    let bytes = crate::atomic::read_regular(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ArtifactError::Missing {
                path: path.to_owned(),
            }
        } else {
            ArtifactError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    String::from_utf8(bytes).map_err(|e| ArtifactError::Invalid {
        path: path.to_owned(),
        message: format!("not UTF-8 text ({e})"),
    })
}

/// Refuses a `results.json` whose `files` name anything but the fixed names.
fn check_file_names(path: &Path, files: &Files) -> Result<(), ArtifactError> {
    let expected = [
        ("history_edn", Some(files.history_edn.as_str()), HISTORY_EDN),
        (
            "history_jsonl",
            Some(files.history_jsonl.as_str()),
            HISTORY_JSONL,
        ),
        ("metrics_json", files.metrics_json.as_deref(), METRICS_JSON),
        ("report_html", Some(files.report_html.as_str()), REPORT_HTML),
    ];
    for (field, given, fixed) in expected {
        if let Some(given) = given.filter(|g| *g != fixed) {
            return Err(ArtifactError::Invalid {
                path: path.to_owned(),
                message: format!(
                    "\"files\".\"{field}\" is {given:?}: the files of a run directory have fixed names (write {fixed:?}); a path chosen by the file is never followed"
                ),
            });
        }
    }
    Ok(())
}

fn from_json<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, ArtifactError> {
    serde_json::from_str(text).map_err(|e| ArtifactError::Json {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Reads a run directory written by [`write_run_dir`] (or by hand: only
/// `results.json` and one history file are required).
pub fn read_run_dir(dir: &Path) -> Result<LoadedRun, ArtifactError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(ArtifactError::NotARunDir {
                dir: dir.to_owned(),
                reason: "it is a file".to_owned(),
            })
        }
        Err(e) => {
            return Err(ArtifactError::NotARunDir {
                dir: dir.to_owned(),
                reason: e.to_string(),
            })
        }
    }
    let results_path = dir.join(RESULTS_JSON);
    let results: ResultsFile = from_json(&results_path, &read_text(&results_path)?)?;
    if results.format != RESULTS_FORMAT || results.format_version > RESULTS_FORMAT_VERSION {
        return Err(ArtifactError::Invalid {
            path: results_path,
            message: format!(
                "format {:?} version {} is not one this shakedown reads ({RESULTS_FORMAT:?} up to version {RESULTS_FORMAT_VERSION})",
                results.format, results.format_version
            ),
        });
    }
    let verdict = results
        .verdict()
        .map_err(|message| ArtifactError::Invalid {
            path: results_path.clone(),
            message,
        })?;
    check_file_names(&results_path, &results.files)?;
    let edn_path = dir.join(HISTORY_EDN);
    let jsonl_path = dir.join(HISTORY_JSONL);
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let (history_path, format) = if exists(&edn_path) {
        (edn_path, shakedown_checkers::HistoryFormat::Edn)
    } else if exists(&jsonl_path) {
        (jsonl_path, shakedown_checkers::HistoryFormat::Jsonl)
    } else {
        return Err(ArtifactError::Missing { path: edn_path });
    };
    let text = read_text(&history_path)?;
    let history = shakedown_checkers::format::parse_history_as(&text, format).map_err(|error| {
        ReadError::Parse {
            path: history_path.clone(),
            error,
        }
    })?;
    if history.len() != results.events {
        return Err(ArtifactError::Invalid {
            path: history_path,
            message: format!(
                "{} events, but {RESULTS_JSON} describes {}: the history is truncated or was replaced; replay the run to write it again",
                history.len(),
                results.events
            ),
        });
    }
    let metrics_path = dir.join(METRICS_JSON);
    let metrics = if results.files.metrics_json.is_some() || exists(&metrics_path) {
        Some(from_json(&metrics_path, &read_text(&metrics_path)?)?)
    } else {
        None
    };
    Ok(LoadedRun {
        dir: dir.to_owned(),
        results,
        verdict,
        history,
        metrics,
    })
}

/// Rebuilds `report.html` in a run directory from its other files, and
/// returns its path.
pub fn rebuild_report(dir: &Path) -> Result<PathBuf, ArtifactError> {
    let run = read_run_dir(dir)?;
    let path = dir.join(REPORT_HTML);
    report::write_report(&path, &run.report_input())?;
    Ok(path)
}
