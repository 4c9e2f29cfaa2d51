//! Shrinking: from a seed that found a bug (an invalid history, or a
//! panic: `crashed`) to a smaller scenario that still fails the same way.
//!
//! The seed's fault schedule is first written out as an explicit timeline
//! (generated packages expanded), so every later step edits plain data.
//! Then, greedily and always in the same order, until nothing changes:
//! remove nemesis events (halves, then one at a time), halve event
//! durations, halve the op count (or workload duration), drop clients, and
//! drop nodes while the model and the schedule allow. A candidate is kept
//! only if its run still fails the same way (invalid stays invalid, crashed
//! stays crashed) and runs no more ops than the smallest failing run so far
//! (removing a fault can let more ops through in the same time): a shrunk
//! run never has more ops than the original. A workload given by duration
//! becomes an op count first. Generated times are rounded to whole
//! milliseconds when that still fails, and every duration the file and the
//! summary show is written as people write it (`2.95s`, `376ms`); the
//! summary says which faults were generated and which were the timeline's. The seed itself is first run twice: a nondeterministic
//! seed cannot be shrunk. Each step runs the same seed, so the
//! whole search is deterministic: shrinking twice writes the same file.

use crate::models::Registry;
use crate::plan;
use crate::runner::{self, RunOutcome};
use crate::scenario::{Expect, Scenario, ScenarioFile};
use crate::seeds::{format_seed, SeedSet};
use shakedown_nemesis::{Event, SimDuration};
use std::fmt;
use toml::Spanned;

/// Most candidate runs one shrink may try.
pub const ATTEMPTS_MAX: usize = 400;

/// How big a scenario run is, for "before" and "after".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Nemesis events in the schedule.
    pub events: usize,
    /// How many of them a generator made (the rest are the timeline's).
    pub generated: usize,
    /// Total time faults are in force (sum of event durations).
    pub fault_time: SimDuration,
    /// Client ops invoked in the run.
    pub ops: usize,
    /// Clients.
    pub clients: usize,
    /// Nodes.
    pub nodes: usize,
    /// Events in the history.
    pub history_events: usize,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = match (
            self.generated,
            self.events - self.generated.min(self.events),
        ) {
            (0, _) => "timeline".to_owned(),
            (_, 0) => "generated".to_owned(),
            (g, t) => format!("{g} generated, {t} timeline"),
        };
        write!(
            f,
            "{} nemesis events ({kinds}; {} of faults), {} ops, {} clients, {} nodes, {} history events",
            self.events,
            human(self.fault_time),
            self.ops,
            self.clients,
            self.nodes,
            self.history_events
        )
    }
}

/// A duration as people write it: `2.95s`, `400ms`, `1m30s` (to the
/// millisecond from one millisecond up).
pub fn human(d: SimDuration) -> String {
    let ns = d.as_nanos();
    if ns >= 1_000_000_000 && ns % 1_000_000_000 != 0 {
        let ms = ns / 1_000_000;
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        return format!("{}s", text.trim_end_matches('0').trim_end_matches('.'));
    }
    if ns >= 1_000_000 && ns % 1_000_000 != 0 {
        return format!("{}ms", ns / 1_000_000);
    }
    d.to_string()
}

/// What a shrink found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimal scenario file (pinned seed, explicit schedule, expect invalid).
    pub file: ScenarioFile,
    /// The file as TOML, with a header comment.
    pub toml: String,
    /// Size of the original run.
    pub before: Size,
    /// Size of the minimal run.
    pub after: Size,
    /// Candidate runs tried.
    pub attempts: usize,
    /// The minimal run's verdict, in one line.
    pub verdict: String,
}

/// Why a shrink could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The seed found no bug: nothing to shrink.
    #[error("seed {seed} is {outcome}, not invalid or crashed: only a run that found a bug can be shrunk")]
    NotInvalid {
        /// The seed.
        seed: String,
        /// Its outcome.
        outcome: &'static str,
    },
    /// The run could not happen.
    #[error("{0}")]
    Run(String),
}

struct Search<'a> {
    base: &'a Scenario,
    registry: &'a Registry,
    seed: u64,
    attempts: usize,
    /// How the original run failed; candidates must fail the same way.
    target: RunOutcome,
    /// Ops of the smallest failing run so far: a candidate may not run
    /// more (removing a fault can let more ops through in the same time).
    ops_max: usize,
}

impl Search<'_> {
    fn scenario(&self, file: &ScenarioFile) -> Scenario {
        Scenario {
            path: self.base.path.clone(),
            name: self.base.name.clone(),
            text: String::new(),
            file: file.clone(),
            // A candidate with its knob values pinned in its settings
            // varies nothing.
            knobs: if file.cluster.knobs.is_some() {
                self.base.knobs.clone()
            } else {
                Vec::new()
            },
            points: if file.faults.points.is_some() {
                self.base.points.clone()
            } else {
                Vec::new()
            },
            engine: self.base.engine,
        }
    }

    /// The candidate is sound, still fails the same way, and runs no more
    /// ops than `ops_max`: its size then.
    fn fails(&mut self, file: &ScenarioFile) -> Option<Size> {
        if self.attempts >= ATTEMPTS_MAX {
            return None;
        }
        let s = self.scenario(file);
        let runner = self.registry.get(s.model())?;
        let info = runner.inspect(&s.settings(), s.nodes()).ok()?;
        let ctx = shakedown_nemesis::Context {
            node_count: s.nodes(),
            roles: Some(&info.roles),
            model_faults: Some(&info.faults),
            run_length: None,
        };
        if !shakedown_nemesis::validate(&s.timeline(), &ctx).is_empty() {
            return None;
        }
        plan::sim_config(&s, self.seed).ok()?.validate().ok()?;
        self.attempts += 1;
        let run = runner::run_seed(&s, self.registry, self.seed, None, false).ok()?;
        if run.summary.outcome() != self.target || run.summary.ops > self.ops_max {
            return None;
        }
        let size = size(&s, self.seed, &run);
        self.ops_max = size.ops;
        Some(size)
    }
}

fn size(s: &Scenario, seed: u64, run: &runner::FullRun) -> Size {
    // The seed's whole schedule: the timeline and what a generator made.
    let timeline = s.timeline();
    let schedule = plan::faults(s, seed).map_or(timeline.clone(), |f| f.schedule);
    Size {
        events: schedule.events.len(),
        generated: schedule.events.len().saturating_sub(timeline.events.len()),
        fault_time: schedule
            .events
            .iter()
            .filter_map(|e| e.duration)
            .fold(SimDuration::ZERO, SimDuration::saturating_add),
        ops: run.summary.ops,
        clients: *s.file.workload.clients.get_ref(),
        nodes: s.nodes(),
        history_events: run.record.as_ref().map_or(0, |r| r.history.len()),
    }
}

fn events(file: &ScenarioFile) -> Vec<Event> {
    file.faults
        .timeline
        .iter()
        .map(|e| e.get_ref().clone())
        .collect()
}

fn with_events(file: &ScenarioFile, events: Vec<Event>) -> ScenarioFile {
    let mut f = file.clone();
    f.faults.timeline = events.into_iter().map(|e| Spanned::new(0..0, e)).collect();
    f
}

/// Shrinks `seed` of `scenario`, which must be invalid.
pub fn shrink(scenario: &Scenario, registry: &Registry, seed: u64) -> Result<Shrunk, ShrinkError> {
    let original = runner::run_seed(scenario, registry, seed, None, true)
        .map_err(|e| ShrinkError::Run(e.to_string()))?;
    let target = original.summary.outcome();
    if let Some(runner::Finding::Nondeterministic(d)) = &original.summary.finding {
        return Err(ShrinkError::Run(format!(
            "seed {} is nondeterministic, so it cannot be shrunk: {d}",
            format_seed(seed)
        )));
    }
    if !target.is_bug() {
        return Err(ShrinkError::NotInvalid {
            seed: format_seed(seed),
            outcome: target.name(),
        });
    }
    let before = size(scenario, seed, &original);
    let mut search = Search {
        base: scenario,
        registry,
        seed,
        attempts: 0,
        target,
        ops_max: before.ops,
    };

    // Pin the seed and expectation; expand generated faults into the timeline.
    let mut file = scenario.file.clone();
    file.expect = Spanned::new(0..0, Expect::Invalid);
    file.seeds = Some(Spanned::new(0..0, SeedSet::List(vec![seed])));
    let faults = plan::faults(scenario, seed).map_err(ShrinkError::Run)?;
    let mut current_size = before;
    // Pin the seed's knob values in the settings, where a reader sees them.
    let knob_values = scenario.knob_values(seed);
    if !knob_values.is_empty() {
        let mut settings = scenario.settings();
        for (name, value) in &knob_values {
            settings.insert(name.clone(), toml::Value::Integer(*value));
        }
        file.cluster.settings = Some(Spanned::new(0..0, settings));
        file.cluster.knobs = None;
    }
    if let Some(g) = file.faults.generate.take() {
        // Generated times have nanosecond jitter; a file reads better in
        // whole milliseconds, so try those first, then the exact times.
        let rounded: Vec<Event> = faults
            .schedule
            .events
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.at = SimDuration::from_millis(e.at.as_millis());
                e.duration = e
                    .duration
                    .map(|d| SimDuration::from_millis(d.as_millis().max(1)));
                e
            })
            .collect();
        let mut reproduced = false;
        for events in [rounded, faults.schedule.events.clone()] {
            let mut expanded = with_events(&file, events);
            expanded.faults.until = None;
            expanded.faults.recovery = Some(g.get_ref().recovery);
            if let Some(s) = search.fails(&expanded) {
                file = expanded;
                current_size = s;
                reproduced = true;
                break;
            }
        }
        if !reproduced {
            // The expanded schedule does not reproduce: keep generating.
            file.faults.generate = Some(g);
        }
    }

    loop {
        let start = current_size;
        // 1. Fewer nemesis events: halves, then one at a time from the end.
        if file.faults.generate.is_none() {
            let mut chunk = file.faults.timeline.len().div_ceil(2).max(1);
            while chunk >= 1 && !file.faults.timeline.is_empty() {
                let mut i = 0;
                while i < file.faults.timeline.len() {
                    let mut ev = events(&file);
                    let end = (i + chunk).min(ev.len());
                    ev.drain(i..end);
                    let candidate = with_events(&file, ev);
                    if let Some(s) = search.fails(&candidate) {
                        file = candidate;
                        current_size = s;
                    } else {
                        i += chunk;
                    }
                }
                if chunk == 1 {
                    break;
                }
                chunk = chunk.div_ceil(2);
            }
            // 2. Shorter fault windows.
            for i in 0..file.faults.timeline.len() {
                loop {
                    let mut ev = events(&file);
                    let Some(d) = ev[i].duration else { break };
                    // Whole milliseconds: the file says `1.475s`, not ns.
                    let half = SimDuration::from_millis(d.as_millis() / 2);
                    if half < SimDuration::from_millis(1) {
                        break;
                    }
                    ev[i].duration = Some(half);
                    let candidate = with_events(&file, ev);
                    match search.fails(&candidate) {
                        Some(s) => {
                            file = candidate;
                            current_size = s;
                        }
                        None => break,
                    }
                }
            }
        }
        // 3. Fewer ops. A workload given by duration becomes a count first
        //    (the ops the failing run made), so the count can only fall.
        if file.workload.duration.is_some() && file.workload.ops.is_none() {
            let mut candidate = file.clone();
            candidate.workload.duration = None;
            candidate.workload.ops = Some(Spanned::new(0..0, current_size.ops as u64));
            if let Some(s) = search.fails(&candidate) {
                file = candidate;
                current_size = s;
            }
        }
        loop {
            let mut candidate = file.clone();
            let w = &mut candidate.workload;
            match (&w.ops, &w.duration) {
                (_, Some(d)) => {
                    let half = SimDuration::from_millis(d.get_ref().as_millis() / 2);
                    if half.is_zero() {
                        break;
                    }
                    w.duration = Some(Spanned::new(0..0, half));
                }
                (ops, None) => {
                    let n = ops.as_ref().map_or(200, |o| *o.get_ref());
                    let next = if n > 8 { n - n / 4 } else { n - 1 };
                    if next == 0 {
                        break;
                    }
                    w.ops = Some(Spanned::new(0..0, next));
                }
            }
            match search.fails(&candidate) {
                Some(s) => {
                    file = candidate;
                    current_size = s;
                }
                None => break,
            }
        }
        // 4. Fewer clients.
        while *file.workload.clients.get_ref() > 1 {
            let mut candidate = file.clone();
            candidate.workload.clients = Spanned::new(0..0, *file.workload.clients.get_ref() - 1);
            match search.fails(&candidate) {
                Some(s) => {
                    file = candidate;
                    current_size = s;
                }
                None => break,
            }
        }
        // 5. Fewer nodes, where the model and the schedule allow.
        while *file.cluster.nodes.get_ref() > 1 {
            let mut candidate = file.clone();
            candidate.cluster.nodes = Spanned::new(0..0, *file.cluster.nodes.get_ref() - 1);
            match search.fails(&candidate) {
                Some(s) => {
                    file = candidate;
                    current_size = s;
                }
                None => break,
            }
        }
        // 6. Knob values nearer the least of their range (one entry per
        //    append shows a batching bug more plainly than 37).
        for knob in &scenario.knobs {
            loop {
                let settings = file.cluster.settings.as_ref().map(|s| s.get_ref().clone());
                let Some(mut settings) = settings else { break };
                let Some(value) = settings.get(&knob.name).and_then(toml::Value::as_integer) else {
                    break;
                };
                if value <= knob.min {
                    break;
                }
                let mut moved = false;
                for next in [knob.min, knob.min + (value - knob.min) / 2] {
                    if next >= value {
                        continue;
                    }
                    settings.insert(knob.name.clone(), toml::Value::Integer(next));
                    let mut candidate = file.clone();
                    candidate.cluster.settings = Some(Spanned::new(0..0, settings.clone()));
                    if let Some(s) = search.fails(&candidate) {
                        file = candidate;
                        current_size = s;
                        moved = true;
                        break;
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        if current_size == start || search.attempts >= ATTEMPTS_MAX {
            break;
        }
    }

    // The final run, for its size and verdict.
    let s = search.scenario(&file);
    let run = runner::run_seed(&s, registry, seed, None, false)
        .map_err(|e| ShrinkError::Run(e.to_string()))?;
    let after = size(&s, seed, &run);
    let verdict = runner::outcome_line(&run.summary);
    file.description = Some(format!(
        "Shrunk by `{} shrink` from {} seed {}: {}",
        registry.command(),
        scenario.path.display(),
        format_seed(seed),
        scenario.file.description.as_deref().unwrap_or("")
    ));
    let body = crate::scenario::to_toml(&file).map_err(ShrinkError::Run)?;
    let toml = format!(
        "# Minimal scenario written by `{} shrink {} --seed {}`.\n# Before: {before}\n# After:  {after}\n# Verdict: {}\n\n{body}",
        registry.command(),
        scenario.path.display(),
        format_seed(seed),
        verdict.lines().next().unwrap_or(""),
    );
    Ok(Shrunk {
        file,
        toml,
        before,
        after,
        attempts: search.attempts,
        verdict,
    })
}
