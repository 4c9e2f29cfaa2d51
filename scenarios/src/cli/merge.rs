//! `shakedown merge`: join the sweep summaries of several shards by seed.

use super::{bad_input, EXIT_VALID};
use crate::shard;
use crate::stdio::outln;
use std::path::PathBuf;

/// Arguments of `shakedown merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sweep summary files (`shakedown run --summary-json`), or directories
    /// searched for `*.sweep.json`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// How many shard files there should be: fewer (a shard that never
    /// wrote its summary) or more is an error, exit 3.
    #[arg(long, value_name = "N")]
    pub expect_shards: Option<usize>,
}

fn collect(path: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                collect(&p, out)?;
            } else if p.to_string_lossy().ends_with(".sweep.json") {
                out.push(p);
            }
        }
    } else {
        out.push(path.to_owned());
    }
    Ok(())
}

/// Runs `shakedown merge` and returns the exit code.
pub fn run(args: Args) -> u8 {
    let mut files = Vec::new();
    for input in &args.inputs {
        if let Err(e) = collect(input, &mut files) {
            return bad_input(format!("{}: {e}", input.display()));
        }
    }
    if files.is_empty() {
        return bad_input("no *.sweep.json files found");
    }
    if let Some(n) = args.expect_shards {
        if files.len() != n {
            return bad_input(format!(
                "--expect-shards {n}: found {} shard file{} ({}); a shard's summary is missing or extra",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut summaries = Vec::new();
    for f in &files {
        match shard::read_summaries(f) {
            Ok(s) => summaries.extend(s),
            Err(e) => return bad_input(e),
        }
    }
    let mut code = EXIT_VALID;
    for m in shard::merge(&summaries) {
        outln!("{}", m.line());
        code = super::run::worse(code, m.status().exit_code());
    }
    code
}
