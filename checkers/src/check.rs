//! Checking a history for linearizability: preparation, P-compositionality,
//! the budget, and counterexamples for people.

use crate::history::{Completion, History, Op};
use crate::model::{CheckError, Model};
use crate::search::{self, Failure, Limits, PartOp, SearchResult};
use crate::unique::{self, FastResult};
use crate::value::Value;
use crate::verdict::{Budget, Counterexample, OpSummary, Verdict};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

/// Checks whether `history` is linearizable with respect to `model`.
///
/// `fail` ops are dropped, `info` ops may take effect at any time after
/// their invocation or never, and ops of non-client processes (`:nemesis`)
/// are skipped. A history that cannot be checked (it does not pair up, or
/// the model cannot read an op) gives [`crate::Outcome::Unknown`] with the
/// reason; use [`try_check`] to get that as an error instead.
pub fn check<M: Model>(history: &History, model: &M, budget: Budget) -> Verdict {
    match try_check(history, model, budget) {
        Ok(v) => v,
        Err(e) => Verdict::unknown(
            history.client_ops().map_or(0, |ops| ops.len()),
            e.to_string(),
        ),
    }
}

/// Like [`check`], but a malformed history is an error, not a verdict.
pub fn try_check<M: Model>(
    history: &History,
    model: &M,
    budget: Budget,
) -> Result<Verdict, CheckError> {
    let started = Instant::now();
    // Positions are kept as u32 to halve the search's memory.
    if history.len() >= u32::MAX as usize {
        return Ok(Verdict::unknown(
            0,
            format!(
                "a history of {} events is more than the checker can index",
                history.len()
            ),
        ));
    }
    let ops = history.client_ops()?;
    let parts = prepare(model, &ops)?;
    let first_invalid = AtomicUsize::new(usize::MAX);
    let memory_used_bytes = AtomicU64::new(0);

    let check_part = |(part, (key, part_ops)): (usize, &Part<M::Op>)| {
        let limits = Limits {
            deadline: budget.time_limit.map(|d| started + d),
            time_limit: budget.time_limit,
            memory_limit_bytes: budget.memory_limit_bytes,
            memory_used_bytes: &memory_used_bytes,
            first_invalid: &first_invalid,
            part,
        };
        if limits.cancelled() {
            return PartResult::Cancelled;
        }
        let init = model.init_part(key.as_ref());
        let result = match unique::check(model, &init, part_ops) {
            FastResult::Valid => PartResult::Valid,
            FastResult::Invalid { stuck, reason } => PartResult::Invalid(Some((stuck, reason))),
            FastResult::NotApplicable => {
                match search::search(model, init, part_ops, &limits, false) {
                    SearchResult::Valid => PartResult::Valid,
                    SearchResult::Invalid(_) => PartResult::Invalid(None),
                    SearchResult::Unknown(reason) => PartResult::Unknown(reason),
                    SearchResult::Cancelled => PartResult::Cancelled,
                }
            }
        };
        if matches!(result, PartResult::Invalid(_)) {
            first_invalid.fetch_min(part, Ordering::Relaxed);
        }
        result
    };
    // Parts after an invalid one are cancelled, never parts before it, so
    // the first `Invalid` below is the first invalid part: the same
    // counterexample on every run.
    let results: Vec<PartResult> = if parts.len() <= 1 {
        parts.iter().enumerate().map(check_part).collect()
    } else {
        parts.par_iter().enumerate().map(check_part).collect()
    };

    let n = ops.len();
    if let Some(at) = results
        .iter()
        .position(|r| matches!(r, PartResult::Invalid(_)))
    {
        let PartResult::Invalid(fast) = &results[at] else {
            unreachable!()
        };
        let (key, part_ops) = &parts[at];
        return Ok(Verdict::invalid(
            n,
            counterexample(
                model,
                &ops,
                key.as_ref(),
                part_ops,
                fast.clone(),
                budget,
                started,
            ),
        ));
    }
    let unknown: Vec<&String> = results
        .iter()
        .filter_map(|r| {
            if let PartResult::Unknown(reason) = r {
                Some(reason)
            } else {
                None
            }
        })
        .collect();
    if let Some(reason) = unknown.first() {
        let reason = if parts.len() > 1 {
            format!(
                "{reason} ({} of {} keys undecided)",
                unknown.len(),
                parts.len()
            )
        } else {
            (*reason).clone()
        };
        return Ok(Verdict::unknown(n, reason));
    }
    Ok(Verdict::valid(n))
}

#[derive(Debug, Clone)]
enum PartResult {
    Valid,
    /// From the fast path: the op to blame and why.
    Invalid(Option<(usize, String)>),
    Unknown(String),
    Cancelled,
}

/// One independent part of a history (a key, for keyed models) and its ops.
type Part<O> = (Option<Value>, Vec<PartOp<O>>);

/// Drops `fail` ops, prepares the rest and splits them into parts.
#[allow(clippy::type_complexity)]
fn prepare<M: Model>(model: &M, ops: &[Op]) -> Result<Vec<Part<M::Op>>, CheckError> {
    let mut parts: BTreeMap<Option<Value>, Vec<PartOp<M::Op>>> = BTreeMap::new();
    // The latest info op seen with the same f, key and value, per part: its
    // position in the part.
    #[allow(clippy::type_complexity)]
    let mut twins: HashMap<(Option<Value>, &str, Option<&Value>, &Value), u32> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        if op.completion == Completion::Fail {
            continue;
        }
        let Some(prepared) = model.prepare(op)? else {
            continue;
        };
        let info = op.completion == Completion::Info;
        let part_op = PartOp {
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
        };
        let part_key = model.partition(op);
        let mut part_op = part_op;
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
    Ok(parts.into_iter().collect())
}

/// Builds the counterexample for an invalid part by searching it again,
/// this time recording the deepest dead end.
fn counterexample<M: Model>(
    model: &M,
    ops: &[Op],
    key: Option<&Value>,
    part_ops: &[PartOp<M::Op>],
    fast: Option<(usize, String)>,
    budget: Budget,
    started: Instant,
) -> Counterexample {
    let first_invalid = AtomicUsize::new(usize::MAX);
    let memory_used_bytes = AtomicU64::new(0);
    let limits = Limits {
        // The verdict is known; only the explanation is at stake. Search
        // until the caller's limit, or for as long again as the first search
        // took if that is later (it found the violation in that time).
        deadline: budget.time_limit.map(|d| {
            let now = Instant::now();
            (started + d).max(now + (now - started))
        }),
        time_limit: budget.time_limit,
        memory_limit_bytes: budget.memory_limit_bytes,
        memory_used_bytes: &memory_used_bytes,
        first_invalid: &first_invalid,
        part: 0,
    };
    let init = model.init_part(key);
    let found = match search::search(model, init, part_ops, &limits, true) {
        SearchResult::Invalid(Some(failure)) => Some(failure),
        _ => None,
    };
    match (found, fast) {
        (Some(failure), _) => explain(model, ops, key, part_ops, &failure),
        (None, Some((stuck, reason))) => {
            let op = &ops[part_ops[stuck].op];
            Counterexample {
                key: key.map(ToString::to_string),
                op: Some(OpSummary::from(op)),
                prefix: Vec::new(),
                states: Vec::new(),
                explanation: format!("{} cannot be linearized: {reason}.", describe_op(op)),
            }
        }
        (None, None) => Counterexample {
            key: key.map(ToString::to_string),
            op: None,
            prefix: Vec::new(),
            states: Vec::new(),
            explanation: "No order of these operations is consistent with the model, but the budget ran out before the counterexample could be rebuilt.".into(),
        },
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
    let where_ = match key {
        Some(k) => format!(" on key {k}"),
        None => String::new(),
    };
    let prefix_words = match n {
        0 => "before any operation takes effect".to_owned(),
        1 => "after the longest linearizable prefix (1 operation)".to_owned(),
        n => format!("after the longest linearizable prefix ({n} operations)"),
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
            "{}{where_} cannot be linearized: {prefix_words}, {states_words}, and {why}",
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
