//! The determinism check: what a run did, step by step, and where two runs
//! of the same seed first part ways.
//!
//! Every run folds what happens into its digest ([`crate::RunRecord::digest`]):
//! each delivered message, client request and response, each timer set
//! (with its delay) and fired, and each history event, with the simulated
//! time. Two runs of one seed must end with the same digest. With
//! [`crate::SimConfig::trace`] on, the run also keeps a [`TraceEntry`] per
//! step, so that [`first_divergence`] can name the first step where two runs
//! differ.

use crate::record::RunRecord;
use std::fmt;

/// One step of a traced run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// Simulated time, ns.
    pub sim_ns: i64,
    /// The step in words: `n0 -> n2 message {...}`, `n1 timer 4 set after 153ms: Election`.
    pub what: String,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {:.6} s: {}", self.sim_ns as f64 / 1e9, self.what)
    }
}

/// Where two runs of the same seed first differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the first differing step, when both runs were traced. With
    /// none, `first` and `second` (if set) say how each run ended.
    pub step: Option<usize>,
    /// That step in the first run (`None`: the first run had ended).
    pub first: Option<TraceEntry>,
    /// That step in the second run (`None`: the second run had ended).
    pub second: Option<TraceEntry>,
    /// The two runs' digests.
    pub digests: (u64, u64),
}

/// What usually makes a simulated run nondeterministic, for people.
pub const USUAL_CAUSES: &str = "usual causes: a thread-local or OS RNG \
(rand::thread_rng, rand::random, HashMap's RandomState, uuid v4) instead of ctx.rng(); \
the wall clock (Instant::now, SystemTime::now) instead of ctx.now(); \
iterating a std HashMap or HashSet (use BTreeMap, or sort first); \
threads, or global state kept from one run to the next (statics, lazy caches)";

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => {
                writeln!(f, "two runs of the same seed first differ at step {step}:")?;
                let side = |e: &Option<TraceEntry>| {
                    e.as_ref()
                        .map_or_else(|| "(the run had ended)".to_owned(), ToString::to_string)
                };
                writeln!(f, "  first run:  {}", side(&self.first))?;
                writeln!(f, "  second run: {}", side(&self.second))?;
            }
            None => match (&self.first, &self.second) {
                // No steps to compare (one run could not finish): how each ended.
                (Some(a), Some(b)) => {
                    writeln!(f, "two runs of the same seed ended differently:")?;
                    writeln!(f, "  first run:  {a}")?;
                    writeln!(f, "  second run: {b}")?;
                }
                _ => writeln!(
                    f,
                    "two runs of the same seed ended with different digests ({:016x} and {:016x})",
                    self.digests.0, self.digests.1
                )?,
            },
        }
        write!(f, "  {USUAL_CAUSES}")
    }
}

/// The first difference between two runs of one seed, or `None` when they
/// agree: same digest, same history, same end.
pub fn first_divergence(a: &RunRecord, b: &RunRecord) -> Option<Divergence> {
    let same = a.digest == b.digest
        && a.history == b.history
        && a.end_ns == b.end_ns
        && a.trace == b.trace;
    if same {
        return None;
    }
    let digests = (a.digest, b.digest);
    if a.trace.is_empty() && b.trace.is_empty() {
        return Some(Divergence {
            step: None,
            first: None,
            second: None,
            digests,
        });
    }
    let step = a
        .trace
        .iter()
        .zip(&b.trace)
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.trace.len().min(b.trace.len()));
    Some(Divergence {
        step: Some(step),
        first: a.trace.get(step).cloned(),
        second: b.trace.get(step).cloned(),
        digests,
    })
}
