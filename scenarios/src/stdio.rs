//! Standard output and error for the command line, without panics.
//!
//! `println!` panics when stdout is a closed pipe (`shakedown run … | head
//! -1`) or a full disk (`> /dev/full`), and the verdict is lost. Here a
//! closed pipe ends printing quietly (the command still exits with its
//! verdict's code), and any other write error is remembered: the command
//! then exits with [`crate::EXIT_BAD_INPUT`] and says why on stderr
//! ([`finish`]). Writes to stderr never fail the command.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::Mutex;

/// What became of stdout.
enum State {
    /// Writing works.
    Open,
    /// The reader went away: nothing more is written, and that is fine.
    Closed,
    /// A write failed for another reason.
    Failed(String),
}

static STDOUT: Mutex<State> = Mutex::new(State::Open);

/// Writes to stdout and flushes; see the module docs for errors.
pub fn out(args: fmt::Arguments<'_>) {
    let mut state = STDOUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !matches!(*state, State::Open) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        *state = match e.kind() {
            ErrorKind::BrokenPipe => State::Closed,
            _ => State::Failed(e.to_string()),
        };
    }
}

/// Writes to stderr, ignoring errors (there is nowhere left to report them).
pub fn err(args: fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args).and_then(|()| stderr.flush());
}

/// The exit code once the command is done: `code`, unless writing to
/// stdout failed other than by a closed pipe; then the failure is said on
/// stderr and the code is [`crate::EXIT_BAD_INPUT`].
pub fn finish(code: u8) -> u8 {
    let state = STDOUT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match &*state {
        State::Failed(e) => {
            err(format_args!(
                "error: writing to standard output failed: {e}\n"
            ));
            crate::EXIT_BAD_INPUT
        }
        State::Open | State::Closed => code,
    }
}

/// `println!` to stdout through [`out`].
macro_rules! outln {
    () => { $crate::stdio::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdio::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` to stderr through [`err`].
macro_rules! errln {
    ($($arg:tt)*) => { $crate::stdio::err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, outln};
