//! The `shakedown` command line, as a library: [`main_with`] gives any
//! binary the whole CLI (`run`, `replay`, `shrink`, `list`, `report`,
//! `check`, `merge`) over the models of a [`Registry`], so a user's crate
//! gets it with one line:
//!
//! ```no_run
//! use shakedown::models::Registry;
//!
//! fn main() -> std::process::ExitCode {
//!     let mut registry = Registry::builtin();
//!     // registry.register("my-system", "what it is", my_system::MyModel::new);
//!     shakedown::cli::main_with(registry)
//! }
//! ```
//!
//! Every command the CLI prints (replay, shrink, run) names the binary as
//! it was invoked, so it runs when copied verbatim.
//!
//! Exit codes follow Jepsen: 0 valid (or: every run matched its expected
//! verdict), 1 invalid (a run contradicted it), 2 unknown; 3 for bad
//! input or usage, or an output that could not be written; 130 for a
//! sweep interrupted by SIGINT.

pub mod check;
pub mod list;
pub mod merge;
pub mod replay;
pub mod report;
pub mod run;
pub mod shrink;

use crate::models::Registry;
use crate::stdio::errln;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

/// Exit codes, shown under every `--help`.
const EXIT_CODES_HELP: &str = "Exit codes: 0 valid (every sweep met its expectation), \
1 invalid or contradicted (a bug found where none was expected, a bug not found, \
a crashed or nondeterministic run), 2 unknown (a checker limit, or a run that could \
not finish), 3 bad input or usage (or an output that could not be written), \
130 interrupted (`run`: the seeds in flight finished and the summary was written).";

/// Shakedown: deterministic fault-injection testing with linearizability checking.
#[derive(Parser)]
#[command(version, about, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check recorded histories (EDN or JSONL) against a model.
    #[command(after_help = EXIT_CODES_HELP)]
    Check(check::Args),
    /// Run scenario files over their seeds.
    #[command(after_help = EXIT_CODES_HELP)]
    Run(run::Args),
    /// Replay one seed of a scenario exactly and write its artifacts.
    #[command(after_help = EXIT_CODES_HELP)]
    Replay(replay::Args),
    /// Shrink a failing seed to a minimal scenario file.
    #[command(after_help = EXIT_CODES_HELP)]
    Shrink(shrink::Args),
    /// Rebuild report.html from a run directory's artifacts.
    #[command(after_help = EXIT_CODES_HELP)]
    Report(report::Args),
    /// List models, scenarios or faults.
    #[command(after_help = EXIT_CODES_HELP)]
    List(list::Args),
    /// Merge the sweep summaries of several shards by seed.
    #[command(after_help = EXIT_CODES_HELP)]
    Merge(merge::Args),
}

/// The whole command line over `registry`'s models, reading the process's
/// arguments: call it from `main`.
pub fn main_with(registry: Registry) -> ExitCode {
    main_from(registry, std::env::args_os())
}

/// [`main_with`] over explicit arguments (the first is the program name).
pub fn main_from(mut registry: Registry, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let mut args = args.into_iter();
    let program = args.next().unwrap_or_else(|| OsString::from("shakedown"));
    registry.set_command(command_name(Path::new(&program)));
    let name = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "shakedown".to_owned());
    let parsed = <Cli as clap::CommandFactory>::command()
        .bin_name(name)
        .try_get_matches_from(std::iter::once(program).chain(args))
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are not errors.
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            // Printing to a closed pipe is not worth a panic.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if matches!(cli.command, Command::Run(_)) {
        catch_interrupts();
    }
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args, &registry),
        Command::Replay(args) => replay::run(args, &registry),
        Command::Shrink(args) => shrink::run(args, &registry),
        Command::Report(args) => report::run(args),
        Command::List(args) => list::run(args, &registry),
        Command::Merge(args) => merge::run(args),
    };
    ExitCode::from(crate::stdio::finish(code))
}

/// On the first SIGINT, sweeps finish the seeds in flight, skip the rest
/// and write their summaries (exit [`EXIT_INTERRUPTED`]); a second one
/// stops the process at once.
fn catch_interrupts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Without a handler (none can be set) SIGINT keeps its default.
        let _ = ctrlc::set_handler(|| {
            if crate::runner::interrupted() {
                errln!("interrupted again: stopping now");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            crate::runner::interrupt();
            errln!("interrupted: finishing the seeds in flight (Ctrl-C again stops at once)");
        });
    });
}

/// How printed commands should name this program so that they run when
/// copied: a bare name found on `PATH` stays bare, a path under the current
/// directory becomes relative to it, anything else stays as invoked.
fn command_name(program: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| program.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .filter(|rel| rel.components().count() > 1)
        .unwrap_or_else(|| program.to_path_buf());
    crate::runner::shell_word(&shown.to_string_lossy())
}

pub use crate::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID};

/// Prints an error for the user and returns [`EXIT_BAD_INPUT`].
pub fn bad_input(message: impl std::fmt::Display) -> u8 {
    errln!("error: {message}");
    EXIT_BAD_INPUT
}
