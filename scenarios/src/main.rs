//! The `shakedown` command: thin glue over the `shakedown` library.

use clap::{Parser, Subcommand};
use shakedown::cli;
use std::process::ExitCode;

/// Shakedown: deterministic fault-injection testing with linearizability checking.
#[derive(Parser)]
#[command(name = "shakedown", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check recorded histories (EDN or JSONL) against a model.
    Check(cli::check::Args),
    /// Run scenario files over their seeds.
    Run(cli::run::Args),
    /// Replay one seed of a scenario exactly and write its artifacts.
    Replay(cli::replay::Args),
    /// Shrink a failing seed to a minimal scenario file.
    Shrink(cli::shrink::Args),
    /// Rebuild report.html from a run directory's artifacts.
    Report(cli::report::Args),
    /// List models, scenarios or faults.
    List(cli::list::Args),
    /// Merge the sweep summaries of several shards by seed.
    Merge(cli::merge::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                cli::EXIT_BAD_INPUT
            } else {
                0
            };
            // Printing to a closed pipe is not worth a panic.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => cli::check::run(args),
        Command::Run(args) => cli::run::run(args),
        Command::Replay(args) => cli::replay::run(args),
        Command::Shrink(args) => cli::shrink::run(args),
        Command::Report(args) => cli::report::run(args),
        Command::List(args) => cli::list::run(args),
        Command::Merge(args) => cli::merge::run(args),
    };
    ExitCode::from(code)
}
