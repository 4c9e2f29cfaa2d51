//! Checking a history for linearizability: preparation, P-compositionality,
//! the budgets, and counterexamples for people.
//!
//! # The order of work
//!
//! A history splits into independent parts (one per key for keyed models).
//! First every part gets the cheap checks: the pre-check (a read of a value
//! nothing wrote) and, for registers with unique writes, the exact
//! interval check. The parts left are then searched in *rounds*: every
//! undecided part is searched with the same step budget, smallest parts
//! first, and the budget doubles from round to round. The check stops at
//! the first round in which some part is proven invalid, and reports the
//! first such part in key order. Whether a part is decided within a step
//! budget does not depend on the machine or the thread schedule, so the
//! same key is reported on every run, and one intractable key cannot hold
//! back a violation on an easy one. Restarting a part in each round costs
//! at most twice the work of its last round.

use crate::history::{Completion, History, Op};
use crate::meter::Meter;
use crate::model::{CheckError, Model};
use crate::precheck;
use crate::search::{self, human_bytes, Failure, Limits, PartOp, SearchResult};
use crate::sequential;
use crate::unique::{self, FastResult};
use crate::value::Value;
use crate::verdict::{Budget, CheckOptions, CheckReport, Counterexample, OpSummary, Verdict};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Most steps spent to explain a pre-check violation more fully.
const PRECHECK_EXPLAIN_STEPS: u64 = 1 << 20;

/// Steps each undecided part gets in the first round of the search.
const FIRST_ROUND_STEPS: u64 = 1 << 14;

/// Checks whether `history` is linearizable with respect to `model`.
///
/// `fail` ops are dropped, `info` ops may take effect at any time after
/// their invocation or never, and ops of the nemesis are skipped. A history
/// that cannot be checked (it does not pair up, the model cannot read an
/// op, or it has no client op) gives [`crate::Outcome::Unknown`] with the
/// reason; use [`try_check`] to get that as an error instead, and
/// [`check_with`] for the other options.
pub fn check<M: Model>(history: &History, model: &M, budget: Budget) -> Verdict {
    match try_check(history, model, budget) {
        Ok(v) => v,
        Err(e) => Verdict::unknown(
            history.client_ops().map_or(0, |ops| ops.len()),
            e.to_string(),
        ),
    }
}

/// Like [`check`], but a history that cannot be checked is an error, not a verdict.
pub fn try_check<M: Model>(
    history: &History,
    model: &M,
    budget: Budget,
) -> Result<Verdict, CheckError> {
    check_with(history, model, &CheckOptions::with_budget(budget)).map(|r| r.verdict)
}

/// Checks `history` against `model` with all the options: the budget, a
/// machine-independent step limit, the processes that are not clients.
/// The report says how many ops were checked and how many events skipped.
pub fn check_with<M: Model>(
    history: &History,
    model: &M,
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let started = options.started.unwrap_or_else(Instant::now);
    let budget = options.budget;
    let meter = Meter::new(budget.memory_limit_bytes);
    let (ops, skipped) = history.client_ops_skipping(&options.non_clients)?;
    if ops.is_empty() && !options.allow_no_client_ops {
        return Err(CheckError::NoClientOps {
            events: history.len(),
            skipped_events: skipped.events,
            skipped_processes: skipped.processes,
        });
    }
    let n = ops.len();
    let mut report = CheckReport {
        verdict: Verdict::valid(n),
        checked_ops: n,
        skipped_events: skipped.events,
        skipped_processes: skipped.processes,
        steps: 0,
    };
    // Positions are kept as u32 to halve the search's memory.
    if history.len() >= u32::MAX as usize {
        report.verdict = Verdict::unknown(
            n,
            format!(
                "a history of {} events is more than the checker can index",
                history.len()
            ),
        );
        return Ok(report);
    }
    let history_bytes = history.approx_bytes() + ops.iter().map(Op::approx_bytes).sum::<u64>();
    if !meter.try_reserve(history_bytes) {
        report.verdict = Verdict::unknown(n, too_big(history_bytes, &meter));
        return Ok(report);
    }
    let (parts, parts_bytes) = prepare(model, &ops)?;
    if !meter.try_reserve(parts_bytes) {
        report.verdict = Verdict::unknown(n, too_big(history_bytes + parts_bytes, &meter));
        return Ok(report);
    }
    let sequential = model.sequential();
    let deadline = budget.time_limit.map(|d| started + d);
    let base = Limits {
        deadline,
        time_limit: budget.time_limit,
        meter: &meter,
        steps: 0,
        first_invalid: &AtomicUsize::new(usize::MAX),
        part: 0,
    };
    fn limits<'a>(
        base: &Limits<'a>,
        steps: u64,
        first_invalid: &'a AtomicUsize,
        part: usize,
    ) -> Limits<'a> {
        Limits {
            deadline: base.deadline,
            time_limit: base.time_limit,
            meter: base.meter,
            steps,
            first_invalid,
            part,
        }
    }
    let search_part = |part: usize, limits: &Limits<'_>| {
        let (key, part_ops) = &parts[part];
        let init = model.init_part(key.as_ref());
        if sequential {
            sequential::search(model, init, part_ops, limits)
        } else {
            search::search(model, init, part_ops, limits)
        }
    };

    // The cheap checks, on every part.
    let quick: Vec<Quick> = parts
        .par_iter()
        .map(|(key, part_ops)| {
            let init = model.init_part(key.as_ref());
            if let Some((stuck, reason)) = precheck::unwritten_read(model, &init, part_ops) {
                return Quick::Unwritten(stuck, reason);
            }
            if sequential {
                return Quick::Search;
            }
            match unique::check(model, &init, part_ops) {
                FastResult::Valid => Quick::Valid,
                FastResult::Invalid { stuck, reason } => Quick::Invalid(stuck, reason),
                FastResult::NotApplicable => Quick::Search,
            }
        })
        .collect();
    if let Some(at) = quick
        .iter()
        .position(|q| matches!(q, Quick::Unwritten(..) | Quick::Invalid(..)))
    {
        let (key, part_ops) = &parts[at];
        // The verdict is known; a search (within what is left of the
        // budget) can show the prefix and states for a fuller explanation.
        let (stuck, reason, steps_cap, same_op) = match &quick[at] {
            Quick::Unwritten(stuck, reason) => (*stuck, reason, PRECHECK_EXPLAIN_STEPS, true),
            Quick::Invalid(stuck, reason) => (*stuck, reason, u64::MAX, false),
            _ => unreachable!("the position found an invalid part"),
        };
        let first_invalid = AtomicUsize::new(usize::MAX);
        let steps = options.steps_limit.unwrap_or(u64::MAX).min(steps_cap);
        let (found, spent) = search_part(at, &limits(&base, steps, &first_invalid, 0));
        report.steps += spent;
        let ce = match found {
            // The pre-check blames one read; keep it unless the search blames it too.
            SearchResult::Invalid(failure) if !same_op || failure.stuck == stuck => {
                explain(model, &ops, key.as_ref(), part_ops, &failure)
            }
            _ => plain_counterexample(&ops, key.as_ref(), part_ops, stuck, reason),
        };
        report.verdict = Verdict::invalid(n, ce);
        return Ok(report);
    }

    // The search, in rounds of doubling step budgets.
    let mut pending: Vec<usize> = (0..parts.len())
        .filter(|&p| matches!(quick[p], Quick::Search))
        .collect();
    pending.sort_by_key(|&p| (parts[p].1.len(), p));
    let mut round_steps = FIRST_ROUND_STEPS;
    while !pending.is_empty() {
        let per_part = match options.steps_limit {
            None => round_steps,
            Some(limit) => {
                let left = limit.saturating_sub(report.steps);
                let share = left / pending.len() as u64;
                if share == 0 {
                    report.verdict = Verdict::unknown(
                        n,
                        format!(
                            "step limit of {limit} steps reached, the same on every machine{}",
                            undecided(pending.len(), parts.len())
                        ),
                    );
                    return Ok(report);
                }
                share.min(round_steps)
            }
        };
        let first_invalid = AtomicUsize::new(usize::MAX);
        let results: Vec<(usize, SearchResult<M::State>, u64)> = pending
            .par_iter()
            .with_max_len(1)
            .map(|&p| {
                let limits = limits(&base, per_part, &first_invalid, p);
                if limits.cancelled() {
                    return (p, SearchResult::Cancelled, 0);
                }
                let (result, steps) = search_part(p, &limits);
                if matches!(result, SearchResult::Invalid(_)) {
                    first_invalid.fetch_min(p, Ordering::Relaxed);
                }
                (p, result, steps)
            })
            .collect();
        report.steps += results.iter().map(|r| r.2).sum::<u64>();
        // Parts after an invalid one are cancelled, never parts before it,
        // so the first invalid part in key order is decided by the round's
        // budget alone.
        if let Some((p, SearchResult::Invalid(failure), _)) = results
            .iter()
            .filter(|r| matches!(r.1, SearchResult::Invalid(_)))
            .min_by_key(|r| r.0)
        {
            let (key, part_ops) = &parts[*p];
            report.verdict =
                Verdict::invalid(n, explain(model, &ops, key.as_ref(), part_ops, failure));
            return Ok(report);
        }
        if let Some((_, SearchResult::Unknown(reason), _)) = results
            .iter()
            .filter(|r| matches!(r.1, SearchResult::Unknown(_)))
            .min_by_key(|r| r.0)
        {
            let open = results
                .iter()
                .filter(|r| !matches!(r.1, SearchResult::Valid))
                .count();
            report.verdict =
                Verdict::unknown(n, format!("{reason}{}", undecided(open, parts.len())));
            return Ok(report);
        }
        pending = results
            .into_iter()
            .filter(|r| matches!(r.1, SearchResult::OutOfSteps))
            .map(|r| r.0)
            .collect();
        round_steps = round_steps.saturating_mul(2);
    }
    Ok(report)
}

/// The client ops of a history, for checkers that do not search (set,
/// queue, counter): the same skipping and the same rule on a history with
/// no client op as [`check_with`]; and a report to fill in (valid so far).
pub(crate) fn client_ops_for(
    history: &History,
    options: &CheckOptions,
) -> Result<(Vec<Op>, CheckReport), CheckError> {
    let (ops, skipped) = history.client_ops_skipping(&options.non_clients)?;
    if ops.is_empty() && !options.allow_no_client_ops {
        return Err(CheckError::NoClientOps {
            events: history.len(),
            skipped_events: skipped.events,
            skipped_processes: skipped.processes,
        });
    }
    let report = CheckReport {
        verdict: Verdict::valid(ops.len()),
        checked_ops: ops.len(),
        skipped_events: skipped.events,
        skipped_processes: skipped.processes,
        steps: 0,
    };
    Ok((ops, report))
}

/// What the cheap checks said about one part.
#[derive(Debug, Clone)]
enum Quick {
    Valid,
    /// The pre-check: this read's value was never written.
    Unwritten(usize, String),
    /// The unique-writes interval check: not linearizable, this op to blame.
    Invalid(usize, String),
    /// Neither applies, or neither decided: search it.
    Search,
}

fn too_big(needed: u64, meter: &Meter) -> String {
    format!(
        "the history needs about {} in memory, more than the memory limit of {}",
        human_bytes(needed),
        human_bytes(meter.limit().unwrap_or(0))
    )
}

/// ` (3 of 10 keys undecided)`, or nothing for a single part.
fn undecided(open: usize, parts: usize) -> String {
    if parts > 1 {
        format!(" ({open} of {parts} keys undecided)")
    } else {
        String::new()
    }
}

/// One independent part of a history (a key, for keyed models) and its ops.
type Part<O> = (Option<Value>, Vec<PartOp<O>>);

/// Drops `fail` ops, prepares the rest and splits them into parts. Also
/// gives about how many bytes the parts hold.
#[allow(clippy::type_complexity)]
fn prepare<M: Model>(model: &M, ops: &[Op]) -> Result<(Vec<Part<M::Op>>, u64), CheckError> {
    let mut parts: BTreeMap<Option<Value>, Vec<PartOp<M::Op>>> = BTreeMap::new();
    let mut heap_bytes: u64 = 0;
    // The latest info op seen with the same f, key and value, per part: its
    // position in the part.
    #[allow(clippy::type_complexity)]
    let mut twins: HashMap<(Option<Value>, &str, Option<&Value>, &Value), u32> = HashMap::new();
    // Process to its index within its part, for the sequential search.
    let mut processes: HashMap<(Option<Value>, &crate::history::Process), u32> = HashMap::new();
    let mut process_counts: BTreeMap<Option<Value>, u32> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        if op.completion == Completion::Fail {
            continue;
        }
        let Some(prepared) = model.prepare(op)? else {
            continue;
        };
        heap_bytes += (op.value.heap_bytes() + op.invoke_value.heap_bytes()) as u64;
        let info = op.completion == Completion::Info;
        let part_key = model.partition(op);
        let process = *processes
            .entry((part_key.clone(), &op.process))
            .or_insert_with(|| {
                let count = process_counts.entry(part_key.clone()).or_insert(0);
                *count += 1;
                *count - 1
            });
        let mut part_op = PartOp {
            op: i,
            prepared,
            info,
            inv: op.invoke_index as u32,
            ret: if info {
                u32::MAX
            } else {
                op.complete_index.unwrap_or(usize::MAX) as u32
            },
            twin_before: search::NO_TWIN,
            process,
        };
        if info {
            // Ops are in invocation order, so the earlier twin comes first.
            let at = parts.get(&part_key).map_or(0, Vec::len) as u32;
            let twin = (
                part_key.clone(),
                op.f.as_str(),
                op.key.as_ref(),
                &op.invoke_value,
            );
            if let Some(before) = twins.insert(twin, at) {
                part_op.twin_before = before;
            }
        }
        parts.entry(part_key).or_default().push(part_op);
    }
    let bytes = heap_bytes
        + parts
            .values()
            .map(|p| (p.capacity() * std::mem::size_of::<PartOp<M::Op>>()) as u64)
            .sum::<u64>();
    Ok((parts.into_iter().collect(), bytes))
}

/// A counterexample with no search behind it: the op to blame and why.
fn plain_counterexample<O>(
    ops: &[Op],
    key: Option<&Value>,
    part_ops: &[PartOp<O>],
    stuck: usize,
    reason: &str,
) -> Counterexample {
    let op = &ops[part_ops[stuck].op];
    Counterexample {
        key: key.map(ToString::to_string),
        op: Some(OpSummary::from(op)),
        prefix: Vec::new(),
        states: Vec::new(),
        explanation: format!(
            "{} cannot be linearized: {reason}.",
            capitalize(&describe_op(op))
        ),
    }
}

fn explain<M: Model>(
    model: &M,
    ops: &[Op],
    key: Option<&Value>,
    part_ops: &[PartOp<M::Op>],
    failure: &Failure<M::State>,
) -> Counterexample {
    let stuck = &part_ops[failure.stuck];
    let op = &ops[stuck.op];
    let states: Vec<String> = failure
        .states
        .iter()
        .map(|s| model.describe_state(s))
        .collect();
    let impossible: Vec<String> = failure
        .states
        .iter()
        .filter(|s| model.step(s, &stuck.prepared).is_none())
        .map(|s| model.explain_step(s, &stuck.prepared))
        .collect();
    let n = failure.prefix.len();
    let (order, verb) = if model.sequential() {
        ("sequentially consistent", "be ordered")
    } else {
        ("linearizable", "be linearized")
    };
    let where_ = match key {
        Some(k) => format!(" on key {k}"),
        None => String::new(),
    };
    let prefix_words = match n {
        0 => "before any operation takes effect".to_owned(),
        1 => format!("after the longest {order} prefix (1 operation)"),
        n => format!("after the longest {order} prefix ({n} operations)"),
    };
    let states_words = match states.as_slice() {
        [one] => format!("the {} is in state {one}", model.name()),
        many => format!(
            "the {} can be in any of the states {}",
            model.name(),
            many.join(", ")
        ),
    };
    let why = if impossible.len() == failure.states.len() {
        match impossible.as_slice() {
            [one] => format!("{one}."),
            [first, ..] if impossible.iter().all(|s| s == first) => format!("{first}."),
            [first, ..] => format!(
                "no state allows it: in state {}, {first}; it is impossible in the others too.",
                states[0]
            ),
            [] => "it cannot take effect.".to_owned(),
        }
    } else {
        "it could take effect there, but then some operation that completed before it cannot."
            .to_owned()
    };
    Counterexample {
        key: key.map(ToString::to_string),
        op: Some(OpSummary::from(op)),
        prefix: failure
            .prefix
            .iter()
            .map(|&i| OpSummary::from(&ops[part_ops[i].op]))
            .collect(),
        states,
        explanation: format!(
            "{}{where_} cannot {verb}: {prefix_words}, {states_words}, and {why}",
            capitalize(&describe_op(op))
        ),
    }
}

/// `the read of 3 by process 1 (events 4 to 6)`.
pub fn describe_op(op: &Op) -> String {
    let what = match op.completion {
        Completion::Ok => format!("{} of {}", op.f, op.value),
        _ => format!("{} of {}", op.f, op.invoke_value),
    };
    let when = match (op.completion, op.complete_index) {
        (Completion::Info, Some(c)) => format!(
            "invoked at event {}, indeterminate (info) at event {c}",
            op.invoke_index
        ),
        (_, None) => format!("invoked at event {}, never completed", op.invoke_index),
        (_, Some(c)) => format!("events {} to {c}", op.invoke_index),
    };
    format!("the {what} by process {} ({when})", op.process)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
