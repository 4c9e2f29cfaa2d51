//! `counter`: Jepsen's counter checker. Clients add to a counter and read
//! it; every read must lie within the bounds the adds allow.

use crate::check::client_ops_for;
use crate::history::{Completion, History, Op};
use crate::model::{AnyModel, CheckError, ModelError};
use crate::value::Value;
use crate::verdict::{CheckOptions, CheckReport, Counterexample, OpSummary, Verdict};

/// `counter`: `:add n` and `:read` (returning the count), starting from the
/// initial value (default 0). For each `ok` read, an add that completed
/// `ok` before the read was invoked certainly counts; one invoked before
/// the read completed that is concurrent with it, or timed out (`info`),
/// may or may not; later or failed adds do not. The read must lie between
/// the least and the greatest total those choices allow. (With adds of 1,
/// as Jepsen's counter workload does, every value between is possible; with
/// mixed sizes, a value between the bounds may still be unreachable: this
/// checker, like Jepsen's, checks the bounds.)
#[derive(Debug, Clone)]
pub struct CounterChecker {
    initial: i64,
}

impl CounterChecker {
    /// A counter starting at `initial` (nil: 0).
    pub fn new(initial: Value) -> Result<Self, ModelError> {
        match initial {
            Value::Nil => Ok(CounterChecker { initial: 0 }),
            Value::Int(n) => Ok(CounterChecker { initial: n }),
            other => Err(ModelError::setting(format!(
                "a counter starts from an integer, not {other}"
            ))),
        }
    }

    /// Each `ok` read (index into `ops`) with the bounds on its value, in
    /// invocation order.
    pub fn bounds(&self, ops: &[Op]) -> Result<Vec<(usize, i64, i64)>, ModelError> {
        let mut adds: Vec<(&Op, i64)> = Vec::new();
        for op in ops {
            match (op.f.as_str(), &op.invoke_value) {
                ("add" | "increment", Value::Int(n)) => adds.push((op, *n)),
                ("add" | "increment", Value::Nil) if op.f == "increment" => adds.push((op, 1)),
                ("read", _) => {}
                (f @ ("add" | "increment"), v) => {
                    return Err(ModelError::for_op(
                        op,
                        format!("a counter's :{f} takes an integer, such as `:value 1`, not {v}"),
                    ))
                }
                (f, _) => {
                    return Err(ModelError::for_op(
                        op,
                        format!(
                            "`counter` has no operation `:{f}`; its operations are :add and :read"
                        ),
                    ))
                }
            }
        }
        let mut out = Vec::new();
        for read in ops
            .iter()
            .filter(|o| o.f == "read" && o.completion == Completion::Ok)
        {
            let read_end = read.complete_index.unwrap_or(usize::MAX);
            let (mut low, mut high) = (self.initial, self.initial);
            for &(add, n) in &adds {
                if add.completion == Completion::Fail || add.invoke_index > read_end {
                    continue;
                }
                let certain = add.completion == Completion::Ok
                    && add.complete_index.is_some_and(|c| c < read.invoke_index);
                if certain {
                    low = low.saturating_add(n);
                    high = high.saturating_add(n);
                } else {
                    low = low.saturating_add(n.min(0));
                    high = high.saturating_add(n.max(0));
                }
            }
            out.push((read.id, low, high));
        }
        Ok(out)
    }
}

impl AnyModel for CounterChecker {
    fn model_name(&self) -> &str {
        "counter"
    }

    fn check_with(
        &self,
        history: &History,
        options: &CheckOptions,
    ) -> Result<CheckReport, CheckError> {
        let (ops, mut report) = client_ops_for(history, options)?;
        let n = ops.len();
        for (read, low, high) in self.bounds(&ops)? {
            let op = &ops[read];
            let Value::Int(value) = op.value else {
                return Err(ModelError::for_op(
                    op,
                    format!("a counter read returns an integer, not {}", op.value),
                )
                .into());
            };
            if value < low || value > high {
                report.verdict = Verdict::invalid(
                    n,
                    Counterexample {
                        key: None,
                        op: Some(OpSummary::from(op)),
                        prefix: Vec::new(),
                        states: vec![format!("{low}..={high}")],
                        explanation: format!(
                            "{} is impossible: the adds allow a count between {low} and {high} there.",
                            capitalize(&crate::describe_op(op))
                        ),
                    },
                );
                return Ok(report);
            }
        }
        Ok(report)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
