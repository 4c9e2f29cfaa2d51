//! Panics in model code are findings, not engine failures.
//!
//! Every call into a model (building a node, each callback) runs under
//! [`catch`]. A panic there is caught, described ([`NodePanic`]: message,
//! source location, backtrace) and handed to the engine, which ends the run
//! with the verdict `crashed`. While model code runs, the process's panic
//! hook stays quiet: the message and backtrace go into the run's record (and
//! from there into its run directory), not onto the terminal once per seed.
//! Panics anywhere else reach the hook that was installed before.

use crate::node::NodeId;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// A panic inside a node of the model under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePanic {
    /// The node whose code panicked.
    pub node: NodeId,
    /// Simulated time of the panic, ns.
    pub at_ns: i64,
    /// What the node was doing: `on_message from n1`, `on_timer`, `build`, ...
    pub during: String,
    /// The panic message.
    pub message: String,
    /// Where it panicked (`src/node.rs:120:9`), when known.
    pub location: Option<String>,
    /// The backtrace, captured at the panic.
    pub backtrace: String,
}

impl fmt::Display for NodePanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} panicked at {:.3} s simulated ({}): {}",
            self.node,
            self.at_ns as f64 / 1e9,
            self.during,
            self.message
        )?;
        if let Some(location) = &self.location {
            write!(f, " [{location}]")?;
        }
        Ok(())
    }
}

/// What the quiet hook saw of the last panic on this thread.
struct Seen {
    location: Option<String>,
    backtrace: String,
}

thread_local! {
    /// Model code is running on this thread: panics are ours to report.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static SEEN: RefCell<Option<Seen>> = const { RefCell::new(None) };
    /// An engine is stepping a simulation on this thread: a panic outside
    /// [`catch`] (in a task the service spawned, which tokio swallows) is
    /// kept here for the engine instead of being lost.
    static STRAYS: Cell<bool> = const { Cell::new(false) };
    static STRAY: RefCell<Option<(String, Seen)>> = const { RefCell::new(None) };
}

/// Runs `f` (an engine step) with stray panics kept: a panic raised on
/// this thread outside [`catch`] and swallowed by a runtime is returned as
/// `(message, location, backtrace)` after `f` instead of reaching the
/// terminal and being forgotten. Only the first stray is kept.
pub(crate) fn with_strays<R>(
    f: impl FnOnce() -> R,
) -> (R, Option<(String, Option<String>, String)>) {
    install_hook();
    let was = STRAYS.with(|s| s.replace(true));
    let r = f();
    STRAYS.with(|s| s.set(was));
    let stray = STRAY.with(|s| s.borrow_mut().take());
    (r, stray.map(|(m, seen)| (m, seen.location, seen.backtrace)))
}

static INSTALL: Once = Once::new();

/// Puts a hook in front of the current one that records panics raised
/// inside [`catch`] and passes every other panic on.
fn install_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let seen = Seen {
                    location: info.location().map(|l| l.to_string()),
                    backtrace: std::backtrace::Backtrace::force_capture().to_string(),
                };
                SEEN.with(|s| *s.borrow_mut() = Some(seen));
            } else if STRAYS.with(Cell::get) {
                let seen = Seen {
                    location: info.location().map(|l| l.to_string()),
                    backtrace: std::backtrace::Backtrace::force_capture().to_string(),
                };
                let message = payload_message(info.payload());
                STRAY.with(|s| {
                    s.borrow_mut().get_or_insert((message, seen));
                });
            } else {
                previous(info);
            }
        }));
    });
}

/// The text of a panic payload.
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-string payload)".to_owned()
    }
}

/// Runs model code; a panic becomes a [`NodePanic`] for `node` at `at_ns`.
pub(crate) fn catch<R>(
    node: NodeId,
    at_ns: i64,
    during: impl FnOnce() -> String,
    f: impl FnOnce() -> R,
) -> Result<R, Box<NodePanic>> {
    install_hook();
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        let seen = SEEN.with(|s| s.borrow_mut().take());
        Box::new(NodePanic {
            node,
            at_ns,
            during: during(),
            message: payload_message(payload.as_ref()),
            location: seen.as_ref().and_then(|s| s.location.clone()),
            backtrace: seen.map(|s| s.backtrace).unwrap_or_default(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_caught_with_its_message_and_location() {
        let p = catch(
            NodeId(2),
            1_500_000_000,
            || "on_timer".into(),
            || panic!("index {} out of range", 7),
        )
        .unwrap_err();
        assert_eq!(p.node, NodeId(2));
        assert_eq!(p.message, "index 7 out of range");
        assert!(
            p.location
                .as_deref()
                .is_some_and(|l| l.contains("panic.rs")),
            "{p:?}"
        );
        assert!(!p.backtrace.is_empty());
        assert_eq!(
            p.to_string().split(" [").next().unwrap(),
            "n2 panicked at 1.500 s simulated (on_timer): index 7 out of range"
        );
        // No panic: the value comes back.
        assert_eq!(catch(NodeId(0), 0, String::new, || 5).unwrap(), 5);
    }
}
