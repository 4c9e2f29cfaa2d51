//! `shakedown report`: rebuild `report.html` from a run directory's artifacts.

use crate::artifacts::{self, ArtifactError};
use crate::report::{self, ReportInput};
use crate::stdio::outln;
use shakedown_checkers::{History, Verdict};
use std::path::{Path, PathBuf};

/// Arguments of `shakedown report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run directory: `results.json` and `history.edn` (or
    /// `history.jsonl`), and `metrics.json` if the run had metrics.
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// Where to write the report (default: `RUN_DIR/report.html`).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `shakedown report` and returns the exit code: 0 when the report was
/// written, 3 when the run directory is missing or malformed.
pub fn run(args: Args) -> u8 {
    let written = match &args.output {
        None => artifacts::rebuild_report(&args.run_dir),
        Some(out) => artifacts::read_run_dir(&args.run_dir).and_then(|run| {
            report::write_report(out, &run.report_input())?;
            Ok(out.clone())
        }),
    };
    match written {
        Ok(path) => {
            outln!("wrote {}", path.display());
            super::EXIT_VALID
        }
        Err(e) => super::bad_input(describe(&e)),
    }
}

fn describe(e: &ArtifactError) -> String {
    match e {
        ArtifactError::NotARunDir { .. } | ArtifactError::Missing { .. } => format!(
            "{e}\n  `shakedown report RUN_DIR` reads a directory written by `shakedown run`/`replay` (or `check --report`)"
        ),
        _ => e.to_string(),
    }
}

/// Writes `report.html` for a checked history from elsewhere: what
/// `shakedown check --report out.html history.edn` calls after checking.
/// The title is the history's file name.
pub fn write_check_report(
    out: &Path,
    history_path: &Path,
    history: &History,
    verdict: &Verdict,
    model: &str,
) -> Result<(), report::ReportError> {
    let title = history_path.file_name().map_or_else(
        || history_path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    report::write_report(out, &ReportInput::new(title, history, verdict, model))
}
