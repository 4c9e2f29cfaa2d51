//! Checking a schedule before it runs: every error names the event (its
//! index in the schedule, from 0, and its time) and says what to change.
//!
//! What is checked, per event:
//! - the fault exists (built in, or defined by the model when the model's
//!   faults are given), with the model's parameters;
//! - targets exist: node indices below the node count, roles the model
//!   defines (when its roles are given), no empty node list;
//! - values are sane: rates in 0.0..=1.0, drift rate in 0.01..=100,
//!   clock offsets within a year, latencies within an hour, a strobe period
//!   of at least 1 ms and at most 100,000 flips, no zero `duration`, no
//!   `duration` on a fault that is itself an undo;
//! - partition groups are disjoint; one-way `from` and `to` do not overlap.
//!
//! And across events, in the order they happen (undos before starts at the
//! same time), for nodes a target names explicitly (indices; `all` counts
//! as explicit for clock, packet and model windows):
//! - crashing a node that is crashed, or paused (resume it first);
//! - pausing a node that is paused, or crashed;
//! - restarting a node that is not crashed, resuming one that is not
//!   paused, or doing either by hand inside another event's window (that
//!   window's own undo would then hit the wrong incarnation);
//! - starting a partition while another is in force (heal it first: a new
//!   partition replaces the old one, so the old one's undo would heal the
//!   new one early);
//! - two clock windows, two packet windows, or two windows of the same
//!   model fault overlapping on one node (the first undo would cancel the
//!   second fault).
//!
//! Random targets (`one`, `minority`, `majority`, roles) cannot be checked
//! across events in advance; at run time the nemesis picks only eligible
//! nodes for them (see [`crate::nemesis`]). `all` for restart and resume
//! means "every crashed (paused) node", so it never conflicts; `heal`,
//! `clock-reset` and `net-reset` are always allowed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::catalog::{self, ModelFaultInfo};
use crate::duration::SimDuration;
use crate::fault::Fault;
use crate::schedule::Schedule;
use crate::suggest::did_you_mean;
use crate::target::Target;

/// Largest clock offset accepted, in milliseconds: one year.
pub const CLOCK_OFFSET_MS_LIMIT: u64 = 365 * 24 * 3_600_000;
/// Largest latency or jitter accepted, in milliseconds: one hour.
pub const LATENCY_MS_LIMIT: u64 = 3_600_000;
/// Drift rates accepted: clock seconds per simulated second.
pub const DRIFT_RATE_RANGE: (f64, f64) = (0.01, 100.0);
/// Most clock-strobe flips in one event.
pub const STROBE_FLIPS_LIMIT: u64 = 100_000;

/// What validation knows about the cluster and its model.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// The number of nodes.
    pub node_count: usize,
    /// The roles the model defines (`leader`, …); `None` skips role checks.
    pub roles: Option<&'a [String]>,
    /// The faults the model defines; `None` accepts any model fault name.
    pub model_faults: Option<&'a [ModelFaultInfo]>,
    /// How long the run lasts; events starting after it are errors.
    pub run_length: Option<SimDuration>,
}

impl<'a> Context<'a> {
    /// A context that knows only the node count.
    pub fn new(node_count: usize) -> Context<'a> {
        Context {
            node_count,
            ..Context::default()
        }
    }
}

/// One problem with one event.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("event {event} (`{fault}` at {at}): {problem}")]
pub struct ValidationError {
    /// The event's index in the schedule, from 0.
    pub event: usize,
    /// When it starts.
    pub at: SimDuration,
    /// The fault's name.
    pub fault: String,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with an event.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The cluster has no nodes at all.
    #[error("the cluster has no nodes")]
    NoNodes,
    /// Neither built in nor defined by the model.
    #[error("unknown fault `{name}`{}; `shakedown list faults` lists them all", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownFault {
        /// The name given.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// A model fault got a parameter it does not take.
    #[error("model fault `{fault}` takes no parameter `{param}`{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownParam {
        /// The fault.
        fault: String,
        /// The parameter.
        param: String,
        /// The closest known parameter.
        suggestion: Option<String>,
    },
    /// A model fault lacks a required parameter.
    #[error("model fault `{fault}` needs `{param}`")]
    MissingParam {
        /// The fault.
        fault: String,
        /// The parameter.
        param: String,
    },
    /// A node index past the node count.
    #[error("`{param}` names node {node}, but the cluster has {node_count} nodes, numbered 0 to {}", node_count.saturating_sub(1))]
    NoSuchNode {
        /// Which parameter.
        param: String,
        /// The node.
        node: usize,
        /// The node count.
        node_count: usize,
    },
    /// An empty node list.
    #[error("`{0}` is an empty list of nodes")]
    EmptyTarget(String),
    /// A role the model does not define.
    #[error("`{param}` names role `{role}`, which the model does not define{}; targets are a node index, a list of them, one, minority, majority, all{}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), if roles.is_empty() { String::new() } else { format!(", or a role: {}", roles.join(", ")) })]
    UnknownRole {
        /// Which parameter.
        param: String,
        /// The role given.
        role: String,
        /// The closest known target word.
        suggestion: Option<String>,
        /// The roles the model defines.
        roles: Vec<String>,
    },
    /// A value out of its range.
    #[error("`{param}` is {value}, but it must be {expected}")]
    OutOfRange {
        /// Which parameter.
        param: String,
        /// The value given.
        value: String,
        /// The range.
        expected: String,
    },
    /// `duration = "0s"`.
    #[error("`duration` is 0: give a positive duration, or leave it out to never undo the fault")]
    ZeroDuration,
    /// `duration` on a fault that has no undo.
    #[error("`{0}` undoes other faults and has no undo of its own: remove `duration`")]
    DurationOnUndo(String),
    /// The event starts after the run ends.
    #[error("starts after the run ends at {0}")]
    AfterEnd(SimDuration),
    /// A node in two partition groups.
    #[error("node {0} is in two groups; groups must be disjoint")]
    NodeInTwoGroups(usize),
    /// An empty partition group.
    #[error("group {0} is empty")]
    EmptyGroup(usize),
    /// One-way with a node on both sides.
    #[error("node {0} is in both `from` and `to`")]
    OneWayOverlap(usize),
    /// Crash or pause of a node that is crashed.
    #[error("node {node} is already crashed (by event {by}){}", hint(*window_end))]
    AlreadyCrashed {
        /// The node.
        node: usize,
        /// The event that crashed it.
        by: usize,
        /// When that event's window ends, if it has one.
        window_end: Option<SimDuration>,
    },
    /// Crash or pause of a node that is paused.
    #[error("node {node} is paused (by event {by}){}; resume it first", hint(*window_end))]
    AlreadyPaused {
        /// The node.
        node: usize,
        /// The event that paused it.
        by: usize,
        /// When that event's window ends, if it has one.
        window_end: Option<SimDuration>,
    },
    /// Restart of a running node.
    #[error("node {0} is not crashed, so there is nothing to restart")]
    NotCrashed(usize),
    /// Resume of a node that is not paused.
    #[error("node {0} is not paused, so there is nothing to resume")]
    NotPaused(usize),
    /// A manual restart or resume inside another event's window.
    #[error("node {node} is down until {window_end} by the window of event {by}, which undoes itself then; drop this event or that `duration`")]
    InsideWindow {
        /// The node.
        node: usize,
        /// The event whose window it is.
        by: usize,
        /// When that window ends.
        window_end: SimDuration,
    },
    /// A partition while another is in force.
    #[error("a partition (event {by}) is already in force; heal it first")]
    PartitionInForce {
        /// The partition in force.
        by: usize,
    },
    /// Two windows of the same kind overlapping on a node.
    #[error("overlaps the {kind} window of event {by} on node {node} (until {window_end}); the first undo would cancel the second fault")]
    OverlappingWindow {
        /// `clock`, `packet` or a model fault name.
        kind: String,
        /// The node.
        node: usize,
        /// The other event.
        by: usize,
        /// When the other window ends.
        window_end: SimDuration,
    },
}

fn hint(window_end: Option<SimDuration>) -> String {
    window_end
        .map(|t| format!(" until {t}"))
        .unwrap_or_default()
}

/// Every error in the schedule, in event order; empty means valid.
pub fn validate(schedule: &Schedule, ctx: &Context<'_>) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if ctx.node_count == 0 {
        if let Some(e) = schedule.events.first() {
            errors.push(ValidationError {
                event: 0,
                at: e.at,
                fault: e.fault.name().to_string(),
                problem: Problem::NoNodes,
            });
        }
        return errors;
    }
    for (i, e) in schedule.events.iter().enumerate() {
        let mut problems = Vec::new();
        check_event_alone(&e.fault, e.duration, ctx, &mut problems);
        if let Some(end) = ctx.run_length {
            if e.at > end {
                problems.push(Problem::AfterEnd(end));
            }
        }
        errors.extend(problems.into_iter().map(|problem| ValidationError {
            event: i,
            at: e.at,
            fault: e.fault.name().to_string(),
            problem,
        }));
    }
    // Cross-event rules only make sense for events that are sound alone.
    let sound: BTreeSet<usize> = (0..schedule.events.len())
        .filter(|i| !errors.iter().any(|e| e.event == *i))
        .collect();
    errors.extend(check_timeline(schedule, ctx, &sound));
    errors.sort_by_key(|e| (e.event, e.at));
    errors
}

/// [`validate`], as a `Result` for `?`.
pub fn check(schedule: &Schedule, ctx: &Context<'_>) -> Result<(), ValidationErrors> {
    let errors = validate(schedule, ctx);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(errors))
    }
}

/// One or more validation errors.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

fn out_of_range(param: &str, value: impl fmt::Display, expected: &str) -> Problem {
    Problem::OutOfRange {
        param: param.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

const TARGET_WORDS: [&str; 4] = ["one", "minority", "majority", "all"];

fn check_target(param: &str, target: &Target, ctx: &Context<'_>, out: &mut Vec<Problem>) {
    match target {
        Target::Node(n) if *n >= ctx.node_count => out.push(Problem::NoSuchNode {
            param: param.into(),
            node: *n,
            node_count: ctx.node_count,
        }),
        Target::Nodes(ns) => {
            if ns.is_empty() {
                out.push(Problem::EmptyTarget(param.into()));
            }
            for &n in ns.iter().collect::<BTreeSet<_>>() {
                if n >= ctx.node_count {
                    out.push(Problem::NoSuchNode {
                        param: param.into(),
                        node: n,
                        node_count: ctx.node_count,
                    });
                }
            }
        }
        Target::Role(role) => {
            if let Some(roles) = ctx.roles {
                if !roles.iter().any(|r| r == role) {
                    let words = TARGET_WORDS
                        .iter()
                        .copied()
                        .chain(roles.iter().map(String::as_str));
                    out.push(Problem::UnknownRole {
                        param: param.into(),
                        role: role.clone(),
                        suggestion: did_you_mean(role, words).map(str::to_string),
                        roles: roles.to_vec(),
                    });
                }
            }
        }
        _ => {}
    }
}

fn check_rate(param: &str, rate: f64, out: &mut Vec<Problem>) {
    if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
        out.push(out_of_range(param, rate, "a probability from 0.0 to 1.0"));
    }
}

fn check_offset(offset_ms: i64, out: &mut Vec<Problem>) {
    if offset_ms.unsigned_abs() > CLOCK_OFFSET_MS_LIMIT {
        out.push(out_of_range(
            "offset_ms",
            offset_ms,
            "within one year (±31536000000 ms)",
        ));
    }
}

fn check_event_alone(
    fault: &Fault,
    duration: Option<SimDuration>,
    ctx: &Context<'_>,
    out: &mut Vec<Problem>,
) {
    if let Some(d) = duration {
        if d.is_zero() {
            out.push(Problem::ZeroDuration);
        } else if fault.undo().is_none() {
            out.push(Problem::DurationOnUndo(fault.name().to_string()));
        }
    }
    match fault {
        Fault::RandomHalves | Fault::MajoritiesRing | Fault::Bridge | Fault::Heal => {}
        Fault::Isolate { target }
        | Fault::Crash { target }
        | Fault::Restart { target }
        | Fault::Pause { target }
        | Fault::Resume { target }
        | Fault::ClockReset { target }
        | Fault::NetReset { target } => check_target("target", target, ctx, out),
        Fault::OneWay { from, to } => {
            check_target("from", from, ctx, out);
            if let Some(to) = to {
                check_target("to", to, ctx, out);
                if let (Some(f), Some(t)) = (from.explicit_nodes(), to.explicit_nodes()) {
                    if let Some(n) = f.iter().find(|n| t.contains(n)) {
                        out.push(Problem::OneWayOverlap(*n));
                    }
                }
            }
        }
        Fault::Groups { groups } => {
            let mut seen = BTreeSet::new();
            for (gi, g) in groups.iter().enumerate() {
                if g.is_empty() {
                    out.push(Problem::EmptyGroup(gi));
                }
                for &n in g {
                    if n >= ctx.node_count {
                        out.push(Problem::NoSuchNode {
                            param: "groups".into(),
                            node: n,
                            node_count: ctx.node_count,
                        });
                    } else if !seen.insert(n) {
                        out.push(Problem::NodeInTwoGroups(n));
                    }
                }
            }
        }
        Fault::ClockBump { target, offset_ms } => {
            check_target("target", target, ctx, out);
            check_offset(*offset_ms, out);
        }
        Fault::ClockStrobe {
            target,
            offset_ms,
            period_ms,
            duration_ms,
        } => {
            check_target("target", target, ctx, out);
            check_offset(*offset_ms, out);
            if *period_ms == 0 {
                out.push(out_of_range("period_ms", period_ms, "at least 1"));
            }
            if *duration_ms == 0 {
                out.push(out_of_range("duration_ms", duration_ms, "at least 1"));
            }
            if *period_ms > 0 && duration_ms / period_ms > STROBE_FLIPS_LIMIT {
                out.push(out_of_range(
                    "duration_ms / period_ms",
                    duration_ms / period_ms,
                    "at most 100000 flips: lengthen period_ms or shorten duration_ms",
                ));
            }
        }
        Fault::ClockDrift { target, rate } => {
            check_target("target", target, ctx, out);
            let (lo, hi) = DRIFT_RATE_RANGE;
            if !(rate.is_finite() && (lo..=hi).contains(rate)) {
                out.push(out_of_range(
                    "rate",
                    rate,
                    "from 0.01 to 100 clock seconds per simulated second (1.0 is true time)",
                ));
            }
        }
        Fault::PacketLoss { target, rate } | Fault::PacketDuplicate { target, rate } => {
            check_target("target", target, ctx, out);
            check_rate("rate", *rate, out);
        }
        Fault::PacketDelay { target, latency } => {
            check_target("target", target, ctx, out);
            if latency.latency_ms > LATENCY_MS_LIMIT {
                out.push(out_of_range(
                    "latency_ms",
                    latency.latency_ms,
                    "at most one hour (3600000)",
                ));
            }
            if latency.jitter_ms > LATENCY_MS_LIMIT {
                out.push(out_of_range(
                    "jitter_ms",
                    latency.jitter_ms,
                    "at most one hour (3600000)",
                ));
            }
        }
        Fault::Model {
            name,
            target,
            params,
        } => {
            check_target("target", target, ctx, out);
            if let Some(specs) = ctx.model_faults {
                match specs.iter().find(|s| &s.name == name) {
                    None => out.push(unknown_fault(name, specs)),
                    Some(spec) => {
                        for key in params.keys() {
                            if !spec.params.iter().any(|p| &p.name == key) {
                                out.push(Problem::UnknownParam {
                                    fault: name.clone(),
                                    param: key.clone(),
                                    suggestion: did_you_mean(
                                        key,
                                        spec.params.iter().map(|p| p.name.as_str()),
                                    )
                                    .map(str::to_string),
                                });
                            }
                        }
                        for p in &spec.params {
                            if p.default.is_none() && !params.contains_key(&p.name) {
                                out.push(Problem::MissingParam {
                                    fault: name.clone(),
                                    param: p.name.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
        Fault::ModelStop { name, target } => {
            check_target("target", target, ctx, out);
            if let Some(specs) = ctx.model_faults {
                if !specs.iter().any(|s| &s.name == name) {
                    out.push(unknown_fault(name, specs));
                }
            }
        }
    }
}

fn unknown_fault(name: &str, specs: &[ModelFaultInfo]) -> Problem {
    let builtins = catalog::catalog();
    let names = builtins
        .iter()
        .map(|f| f.name)
        .chain(specs.iter().map(|s| s.name.as_str()));
    Problem::UnknownFault {
        name: name.to_string(),
        suggestion: did_you_mean(name, names).map(str::to_string),
    }
}

/// A node's process state as far as explicit targets tell.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Proc {
    Running,
    Crashed {
        by: usize,
        window_end: Option<SimDuration>,
    },
    Paused {
        by: usize,
        window_end: Option<SimDuration>,
    },
    /// A random target may have hit it: it may be crashed, or paused, as
    /// the flags say, or running.
    Unknown {
        /// It may be crashed.
        crashed: bool,
        /// It may be paused.
        paused: bool,
    },
}

/// A point on the timeline: a start, or the undo of a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Point {
    at: SimDuration,
    /// 0 for undos, 1 for starts, as the running nemesis orders them.
    class: u8,
    event: usize,
}

fn check_timeline(
    schedule: &Schedule,
    ctx: &Context<'_>,
    sound: &BTreeSet<usize>,
) -> Vec<ValidationError> {
    let n = ctx.node_count;
    let mut points = Vec::new();
    for &i in sound {
        let e = &schedule.events[i];
        points.push(Point {
            at: e.at,
            class: 1,
            event: i,
        });
        if let Some(end) = e.end() {
            points.push(Point {
                at: end,
                class: 0,
                event: i,
            });
        }
    }
    points.sort();

    let mut errors = Vec::new();
    let mut procs = vec![Proc::Running; n];
    let mut partition: Option<usize> = None;
    // Open windows of clock, packet and model faults: kind -> node -> (event, end).
    let mut windows: BTreeMap<String, BTreeMap<usize, (usize, SimDuration)>> = BTreeMap::new();

    for p in points {
        let e = &schedule.events[p.event];
        let mut problems = Vec::new();
        let explicit = e.fault.target().and_then(Target::explicit_nodes);
        if p.class == 0 {
            // An undo: release what the start took.
            match &e.fault {
                f if f.is_partition() => {
                    if partition == Some(p.event) {
                        partition = None;
                    }
                }
                Fault::Crash { .. } | Fault::Pause { .. } => {
                    for proc in procs.iter_mut() {
                        if let Proc::Crashed { by, .. } | Proc::Paused { by, .. } = *proc {
                            if by == p.event {
                                *proc = Proc::Running;
                            }
                        }
                    }
                }
                _ => {
                    if let Some(kind) = window_kind(&e.fault) {
                        if let Some(w) = windows.get_mut(&kind) {
                            w.retain(|_, (by, _)| *by != p.event);
                        }
                    }
                }
            }
            continue;
        }
        let window_end = e.end();
        match &e.fault {
            f if f.is_partition() => {
                if let Some(by) = partition {
                    problems.push(Problem::PartitionInForce { by });
                }
                partition = Some(p.event);
            }
            Fault::Heal => partition = None,
            Fault::Crash { target } | Fault::Pause { target } => {
                let crash = matches!(e.fault, Fault::Crash { .. });
                let taken = |by: usize| {
                    if crash {
                        Proc::Crashed { by, window_end }
                    } else {
                        Proc::Paused { by, window_end }
                    }
                };
                let nodes: Vec<usize> = explicit.clone().unwrap_or_else(|| (0..n).collect());
                for x in nodes {
                    match procs[x] {
                        Proc::Crashed { by, window_end } if explicit.is_some() => {
                            problems.push(Problem::AlreadyCrashed {
                                node: x,
                                by,
                                window_end,
                            })
                        }
                        Proc::Paused { by, window_end } if explicit.is_some() => {
                            problems.push(Problem::AlreadyPaused {
                                node: x,
                                by,
                                window_end,
                            })
                        }
                        // At run time, crash and pause take running nodes only.
                        Proc::Crashed { .. } | Proc::Paused { .. } => {}
                        Proc::Running if explicit.is_some() || *target == Target::All => {
                            procs[x] = taken(p.event)
                        }
                        Proc::Running => {
                            procs[x] = Proc::Unknown {
                                crashed: crash,
                                paused: !crash,
                            }
                        }
                        Proc::Unknown { crashed, paused } => {
                            procs[x] = Proc::Unknown {
                                crashed: crashed || crash,
                                paused: paused || !crash,
                            }
                        }
                    }
                }
            }
            Fault::Restart { target } | Fault::Resume { target } => {
                let restart = matches!(e.fault, Fault::Restart { .. });
                let certain = explicit.is_some() || *target == Target::All;
                let nodes: Vec<usize> = explicit.clone().unwrap_or_else(|| (0..n).collect());
                for x in nodes {
                    match (restart, procs[x]) {
                        (
                            true,
                            Proc::Crashed {
                                by,
                                window_end: Some(end),
                            },
                        )
                        | (
                            false,
                            Proc::Paused {
                                by,
                                window_end: Some(end),
                            },
                        ) if explicit.is_some() => problems.push(Problem::InsideWindow {
                            node: x,
                            by,
                            window_end: end,
                        }),
                        (true, Proc::Crashed { .. }) | (false, Proc::Paused { .. }) => {
                            procs[x] = if certain {
                                Proc::Running
                            } else {
                                Proc::Unknown {
                                    crashed: restart,
                                    paused: !restart,
                                }
                            }
                        }
                        (_, Proc::Unknown { crashed, paused }) if certain => {
                            // A restart revives a crashed node and leaves a
                            // paused one paused; a resume the converse.
                            let (crashed, paused) = if restart {
                                (false, paused)
                            } else {
                                (crashed, false)
                            };
                            procs[x] = if crashed || paused {
                                Proc::Unknown { crashed, paused }
                            } else {
                                Proc::Running
                            };
                        }
                        (_, Proc::Unknown { .. }) => {}
                        (true, _) if explicit.is_some() => problems.push(Problem::NotCrashed(x)),
                        (false, _) if explicit.is_some() => problems.push(Problem::NotPaused(x)),
                        _ => {}
                    }
                }
            }
            f => {
                if let (Some(kind), Some(end)) = (window_kind(f), window_end) {
                    let nodes = match f.target() {
                        Some(Target::All) => Some((0..n).collect::<Vec<_>>()),
                        Some(t) => t.explicit_nodes(),
                        None => None,
                    };
                    if let Some(nodes) = nodes {
                        let open = windows.entry(kind.clone()).or_default();
                        for x in nodes {
                            if let Some(&(by, other_end)) = open.get(&x) {
                                problems.push(Problem::OverlappingWindow {
                                    kind: kind.clone(),
                                    node: x,
                                    by,
                                    window_end: other_end,
                                });
                                break;
                            }
                            open.insert(x, (p.event, end));
                        }
                    }
                }
            }
        }
        errors.extend(problems.into_iter().map(|problem| ValidationError {
            event: p.event,
            at: e.at,
            fault: e.fault.name().to_string(),
            problem,
        }));
    }
    errors
}

/// The window family a fault's undo resets, for overlap checks.
fn window_kind(fault: &Fault) -> Option<String> {
    match fault {
        Fault::ClockBump { .. } | Fault::ClockStrobe { .. } | Fault::ClockDrift { .. } => {
            Some("clock".into())
        }
        Fault::PacketLoss { .. } | Fault::PacketDuplicate { .. } | Fault::PacketDelay { .. } => {
            Some("packet".into())
        }
        Fault::Model { name, .. } => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ModelParamInfo;
    use crate::schedule::Event;

    fn s(secs: u64) -> SimDuration {
        SimDuration::from_secs(secs)
    }

    fn problems(events: Vec<Event>, ctx: &Context<'_>) -> Vec<(usize, Problem)> {
        validate(&Schedule::new(events), ctx)
            .into_iter()
            .map(|e| (e.event, e.problem))
            .collect()
    }

    #[test]
    fn node_seven_of_five_is_named() {
        let errs = validate(
            &Schedule::new(vec![
                Event::new(s(1), Fault::Heal),
                Event::new(
                    s(2),
                    Fault::Crash {
                        target: Target::Node(7),
                    },
                ),
            ]),
            &Context::new(5),
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "event 1 (`crash` at 2s): `target` names node 7, but the cluster has 5 nodes, numbered 0 to 4"
        );
    }

    #[test]
    fn unknown_fault_names_get_suggestions_when_the_model_is_known() {
        let specs = vec![ModelFaultInfo {
            name: "hint-backlog".into(),
            description: "hold hints".into(),
            params: vec![ModelParamInfo {
                name: "throttle".into(),
                kind: "float".into(),
                default: None,
                description: "share of hints replayed".into(),
            }],
        }];
        let ctx = Context {
            model_faults: Some(&specs),
            ..Context::new(3)
        };
        let model = |name: &str, params: &[(&str, f64)]| Fault::Model {
            name: name.into(),
            target: Target::All,
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect(),
        };
        let got = problems(
            vec![
                Event::new(s(1), model("crsh", &[])),
                Event::new(s(2), model("hint-backlgo", &[("throttle", 0.5)])),
                Event::new(s(3), model("hint-backlog", &[("throtle", 0.5)])),
            ],
            &ctx,
        );
        assert_eq!(
            got[0].1,
            Problem::UnknownFault {
                name: "crsh".into(),
                suggestion: Some("crash".into())
            }
        );
        assert_eq!(
            got[1].1,
            Problem::UnknownFault {
                name: "hint-backlgo".into(),
                suggestion: Some("hint-backlog".into())
            }
        );
        assert!(
            matches!(&got[2].1, Problem::UnknownParam { suggestion: Some(s), .. } if s == "throttle")
        );
        assert!(matches!(&got[3].1, Problem::MissingParam { param, .. } if param == "throttle"));
    }

    #[test]
    fn contradictory_process_events_are_errors() {
        let crash = |n| Fault::Crash {
            target: Target::Node(n),
        };
        let pause = |n| Fault::Pause {
            target: Target::Node(n),
        };
        let got = problems(
            vec![
                Event::new(s(1), crash(0)),
                Event::new(s(2), crash(0)),
                Event::new(s(3), pause(0)),
                Event::new(
                    s(4),
                    Fault::Resume {
                        target: Target::Node(1),
                    },
                ),
                Event::new(
                    s(5),
                    Fault::Restart {
                        target: Target::Node(2),
                    },
                ),
                Event::with_duration(s(6), pause(3), s(10)),
                Event::new(s(7), crash(3)),
                Event::new(
                    s(8),
                    Fault::Resume {
                        target: Target::Node(3),
                    },
                ),
            ],
            &Context::new(5),
        );
        let kinds: Vec<(usize, &str)> = got
            .iter()
            .map(|(i, p)| {
                (
                    *i,
                    match p {
                        Problem::AlreadyCrashed { .. } => "already-crashed",
                        Problem::AlreadyPaused { .. } => "already-paused",
                        Problem::NotPaused(_) => "not-paused",
                        Problem::NotCrashed(_) => "not-crashed",
                        Problem::InsideWindow { .. } => "inside-window",
                        _ => "other",
                    },
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, "already-crashed"),
                (2, "already-crashed"),
                (3, "not-paused"),
                (4, "not-crashed"),
                (6, "already-paused"),
                (7, "inside-window"),
            ]
        );
    }

    #[test]
    fn random_targets_leave_nodes_uncertain_but_all_is_certain() {
        let got = problems(
            vec![
                Event::new(
                    s(1),
                    Fault::Crash {
                        target: Target::One,
                    },
                ),
                Event::new(
                    s(2),
                    Fault::Restart {
                        target: Target::Node(2),
                    },
                ),
                Event::new(
                    s(3),
                    Fault::Pause {
                        target: Target::All,
                    },
                ),
                Event::new(
                    s(4),
                    Fault::Restart {
                        target: Target::All,
                    },
                ),
                Event::new(
                    s(5),
                    Fault::Pause {
                        target: Target::Node(0),
                    },
                ),
                Event::new(
                    s(6),
                    Fault::Resume {
                        target: Target::All,
                    },
                ),
                Event::new(
                    s(7),
                    Fault::Resume {
                        target: Target::Node(0),
                    },
                ),
            ],
            &Context::new(3),
        );
        // Node 2 may be the one crashed: restarting it is fine. After
        // `pause all`, `restart all` leaves node 0 paused (if it was not
        // crashed at 1 s, it is now paused), yet it may have been crashed
        // since 1 s, so only the resume of a node that cannot be paused
        // after `resume all` is an error.
        assert_eq!(got, vec![(6, Problem::NotPaused(0))], "{got:?}");
    }

    #[test]
    fn a_window_ends_before_a_start_at_the_same_time() {
        let got = problems(
            vec![
                Event::with_duration(
                    s(1),
                    Fault::Crash {
                        target: Target::Node(0),
                    },
                    s(4),
                ),
                Event::new(
                    s(5),
                    Fault::Crash {
                        target: Target::Node(0),
                    },
                ),
                Event::new(
                    s(6),
                    Fault::Restart {
                        target: Target::Node(0),
                    },
                ),
            ],
            &Context::new(3),
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn overlapping_partitions_and_windows_are_errors() {
        let got = problems(
            vec![
                Event::with_duration(s(1), Fault::RandomHalves, s(10)),
                Event::new(s(2), Fault::Bridge),
                Event::with_duration(
                    s(1),
                    Fault::ClockBump {
                        target: Target::Node(1),
                        offset_ms: 5,
                    },
                    s(10),
                ),
                Event::with_duration(
                    s(2),
                    Fault::ClockDrift {
                        target: Target::All,
                        rate: 2.0,
                    },
                    s(1),
                ),
                Event::with_duration(
                    s(20),
                    Fault::ClockDrift {
                        target: Target::All,
                        rate: 2.0,
                    },
                    s(1),
                ),
            ],
            &Context::new(3),
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], (1, Problem::PartitionInForce { by: 0 }));
        assert!(matches!(
            got[1],
            (3, Problem::OverlappingWindow { node: 1, by: 2, .. })
        ));
    }

    #[test]
    fn absurd_values_and_zero_durations_are_errors() {
        let got = problems(
            vec![
                Event::new(
                    s(1),
                    Fault::PacketLoss {
                        target: Target::All,
                        rate: 1.5,
                    },
                ),
                Event::new(
                    s(1),
                    Fault::PacketDuplicate {
                        target: Target::All,
                        rate: f64::NAN,
                    },
                ),
                Event::new(
                    s(1),
                    Fault::ClockDrift {
                        target: Target::One,
                        rate: -1.0,
                    },
                ),
                Event::new(
                    s(1),
                    Fault::ClockBump {
                        target: Target::One,
                        offset_ms: i64::MIN,
                    },
                ),
                Event::with_duration(
                    s(1),
                    Fault::Crash {
                        target: Target::One,
                    },
                    SimDuration::ZERO,
                ),
                Event::with_duration(s(1), Fault::Heal, s(1)),
                Event::new(
                    s(1),
                    Fault::ClockStrobe {
                        target: Target::One,
                        offset_ms: 1,
                        period_ms: 0,
                        duration_ms: 10,
                    },
                ),
                Event::new(
                    s(1),
                    Fault::Groups {
                        groups: vec![vec![0, 1], vec![1], vec![]],
                    },
                ),
                Event::new(
                    s(1),
                    Fault::OneWay {
                        from: Target::Node(1),
                        to: Some(Target::Nodes(vec![0, 1])),
                    },
                ),
                Event::new(
                    s(1),
                    Fault::Isolate {
                        target: Target::Role("leadr".into()),
                    },
                ),
            ],
            &Context {
                roles: Some(&["leader".to_string()]),
                ..Context::new(3)
            },
        );
        let events: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
        assert_eq!(events, vec![0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9], "{got:?}");
        assert!(
            matches!(&got[10].1, Problem::UnknownRole { suggestion: Some(s), .. } if s == "leader")
        );
    }

    #[test]
    fn empty_cluster_is_an_error_not_a_panic() {
        let got = problems(
            vec![Event::new(
                s(1),
                Fault::Crash {
                    target: Target::One,
                },
            )],
            &Context::new(0),
        );
        assert_eq!(got, vec![(0, Problem::NoNodes)]);
    }
}
