//! `set`: Jepsen's set checker. Clients add elements; a final read returns
//! the whole set. Not a linearizability search: an accounting of elements.

use crate::check::client_ops_for;
use crate::history::{Completion, History, Op};
use crate::model::{AnyModel, CheckError, ModelError};
use crate::value::Value;
use crate::verdict::{CheckOptions, CheckReport, Counterexample, OpSummary, Verdict};
use std::collections::BTreeSet;

/// `set`: `:add x` ops and `:read` ops that return every element (a set or
/// a vector). The last `ok` read is the final read. Of the adds that
/// completed `ok` before it was invoked, any it misses is *lost*; any
/// element it holds that no add attempted is *unexpected*; elements of
/// adds that timed out (`info`) and are present are *recovered*. Valid when
/// nothing is lost or unexpected. With no `ok` read the verdict is
/// `unknown`: the set was never read.
#[derive(Debug, Clone, Default)]
pub struct SetChecker;

/// What the set checker found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetAnalysis {
    /// `ok` adds that completed before the final read and are missing from it.
    pub lost: BTreeSet<Value>,
    /// Read elements that no add attempted.
    pub unexpected: BTreeSet<Value>,
    /// `info` adds whose element the final read holds.
    pub recovered: BTreeSet<Value>,
    /// The final read (index into the ops), if there was one.
    pub final_read: Option<usize>,
}

impl SetAnalysis {
    /// Analyses paired client ops.
    pub fn of(ops: &[Op]) -> Result<Self, ModelError> {
        let mut final_read: Option<&Op> = None;
        for op in ops {
            match op.f.as_str() {
                "add" => {}
                "read" => {
                    if op.completion == Completion::Ok
                        && final_read.is_none_or(|r| r.complete_index < op.complete_index)
                    {
                        final_read = Some(op);
                    }
                }
                f => {
                    return Err(ModelError::for_op(
                        op,
                        format!("`set` has no operation `:{f}`; its operations are :add and :read"),
                    ))
                }
            }
        }
        let Some(read) = final_read else {
            return Ok(SetAnalysis::default());
        };
        let Some(elements) = elements(&read.value) else {
            return Err(ModelError::for_op(
                read,
                format!(
                    "a set read returns a set or a vector of elements, not {}",
                    read.value
                ),
            ));
        };
        let read_set: BTreeSet<&Value> = elements.iter().collect();
        let mut analysis = SetAnalysis {
            final_read: Some(read.id),
            ..SetAnalysis::default()
        };
        let mut attempted: BTreeSet<&Value> = BTreeSet::new();
        for op in ops.iter().filter(|o| o.f == "add") {
            let element = &op.invoke_value;
            match op.completion {
                Completion::Fail => continue,
                Completion::Ok => {
                    let before = op.complete_index.is_some_and(|c| c < read.invoke_index);
                    if before && !read_set.contains(element) {
                        analysis.lost.insert(element.clone());
                    }
                }
                Completion::Info => {
                    if read_set.contains(element) {
                        analysis.recovered.insert(element.clone());
                    }
                }
            }
            attempted.insert(element);
        }
        analysis.unexpected = read_set
            .into_iter()
            .filter(|e| !attempted.contains(e))
            .cloned()
            .collect();
        // An element also added ok elsewhere is not "recovered" only by luck.
        Ok(analysis)
    }

    /// True when nothing was lost and nothing unexpected was read.
    pub fn is_valid(&self) -> bool {
        self.lost.is_empty() && self.unexpected.is_empty()
    }
}

fn elements(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Set(items) | Value::Vector(items) | Value::List(items) => Some(items),
        Value::Nil => Some(&[]),
        _ => None,
    }
}

pub(crate) fn list(values: &BTreeSet<Value>) -> String {
    let shown: Vec<String> = values.iter().take(20).map(ToString::to_string).collect();
    let more = values.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(" "))
    } else {
        shown.join(" ")
    }
}

impl AnyModel for SetChecker {
    fn model_name(&self) -> &str {
        "set"
    }

    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        let (ops, mut report) = client_ops_for(history, options)?;
        let analysis = SetAnalysis::of(&ops)?;
        let n = ops.len();
        let Some(read) = analysis.final_read else {
            report.verdict = Verdict::unknown(n, "the set was never read (no `ok` :read)");
            return Ok(report);
        };
        if analysis.is_valid() {
            return Ok(report);
        }
        let mut parts = Vec::new();
        if !analysis.lost.is_empty() {
            parts.push(format!(
                "{} lost (added ok before the read began, missing from it): {}",
                analysis.lost.len(),
                list(&analysis.lost)
            ));
        }
        if !analysis.unexpected.is_empty() {
            parts.push(format!(
                "{} unexpected (read, never added): {}",
                analysis.unexpected.len(),
                list(&analysis.unexpected)
            ));
        }
        if !analysis.recovered.is_empty() {
            parts.push(format!(
                "{} recovered (timed-out adds that took effect): {}",
                analysis.recovered.len(),
                list(&analysis.recovered)
            ));
        }
        report.verdict = Verdict::invalid(
            n,
            Counterexample {
                key: None,
                op: Some(OpSummary::from(&ops[read])),
                prefix: Vec::new(),
                states: Vec::new(),
                explanation: format!(
                    "The final read of the set ({} elements, by process {}, events {} to {}) disagrees with the adds: {}.",
                    match &ops[read].value {
                        Value::Set(v) | Value::Vector(v) | Value::List(v) => v.len(),
                        _ => 0,
                    },
                    ops[read].process,
                    ops[read].invoke_index,
                    ops[read]
                        .complete_index
                        .map_or("none".to_owned(), |c| c.to_string()),
                    parts.join("; ")
                ),
            },
        );
        Ok(report)
    }
}
