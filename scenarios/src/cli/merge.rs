//! `shakedown merge`: join the sweep summaries of several shards by seed.

use super::{bad_input, EXIT_VALID};
use crate::shard;
use std::path::PathBuf;

/// Arguments of `shakedown merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sweep summary files (`shakedown run --summary-json`), or directories
    /// searched for `*.sweep.json`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
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
    let mut summaries = Vec::new();
    for f in &files {
        match shard::read_summaries(f) {
            Ok(s) => summaries.extend(s),
            Err(e) => return bad_input(e),
        }
    }
    let mut code = EXIT_VALID;
    for m in shard::merge(&summaries) {
        println!("{}", m.line());
        code = super::run::worse(code, m.status().exit_code());
    }
    code
}
