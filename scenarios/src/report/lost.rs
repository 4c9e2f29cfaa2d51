//! Lost writes in words, for the report page and the terminal: which
//! acknowledged writes a later read went back past
//! ([`shakedown_checkers::lost_writes`]).

use super::axis::format_ns;
use super::timeline::serving_node;
use shakedown_checkers::{edn, lost_writes, History, LostWrite, Op, Value};

/// Checker models whose histories the analysis reads (reads and writes of
/// a register, per key or not; adds to a set read whole).
const MODELS: &[&str] = &["register", "cas-register", "kv", "set"];

/// The lost writes of one history, with the ops they index.
#[derive(Debug, Clone)]
pub struct LostWrites {
    /// The history's client ops.
    pub ops: Vec<Op>,
    /// The writes a later read went back past, in invocation order.
    pub lost: Vec<LostWrite>,
}

impl LostWrites {
    /// The analysis of `history` checked against `model` from `initial`
    /// (EDN; `nil` when `None`). `None` for models it does not apply to and
    /// histories it cannot read.
    pub fn of(history: &History, model: &str, initial: Option<&str>) -> Option<Self> {
        if !MODELS.contains(&model) {
            return None;
        }
        let initial = match initial {
            Some(text) => edn::parse_value(text).ok()?,
            None => Value::Nil,
        };
        let ops = history.client_ops().ok()?;
        let lost = lost_writes(&ops, Some(&initial))?;
        Some(LostWrites { ops, lost })
    }

    /// Writes lost: no read after the one that went back past them
    /// returned them.
    pub fn for_good(&self) -> impl Iterator<Item = &LostWrite> {
        self.lost.iter().filter(|l| !l.restored)
    }

    /// Writes a read went back past, seen again later (stale reads).
    pub fn restored(&self) -> impl Iterator<Item = &LostWrite> {
        self.lost.iter().filter(|l| l.restored)
    }

    /// One line for the terminal, `None` when nothing was lost: `3
    /// acknowledged writes lost, never read again (values 12, 17, 23); 1
    /// more read stale and seen again later`.
    pub fn summary(&self) -> Option<String> {
        if self.lost.is_empty() {
            return None;
        }
        let good: Vec<&LostWrite> = self.for_good().collect();
        let stale = self.lost.len() - good.len();
        let (one, many) = match self.ops[self.lost[0].write].f.as_str() {
            "add" => ("add", "adds"),
            "append" => ("append", "appends"),
            _ => ("write", "writes"),
        };
        let mut line = if good.is_empty() {
            format!(
                "nothing lost; {} acknowledged {} read stale and seen again later",
                stale,
                plural(stale, one, many),
            )
        } else {
            let mut s = format!(
                "{} acknowledged {} lost, never read again ({})",
                good.len(),
                plural(good.len(), one, many),
                values(&self.ops, &good, 8)
            );
            if stale > 0 {
                s.push_str(&format!("; {stale} more read stale and seen again later"));
            }
            s
        };
        if let Some(first) = good.first().copied().or(self.lost.first()) {
            line.push_str(&format!(
                "; first: {}",
                self.sentence(first, None, format_ns)
            ));
        }
        Some(line)
    }

    /// Whether the lost ops are adds or appends to a collection read whole
    /// (rather than writes of a register).
    pub fn collection(&self) -> bool {
        self.lost
            .first()
            .is_some_and(|l| matches!(self.ops[l.write].f.as_str(), "add" | "append"))
    }

    /// What the read that went back past `l` returned, in a few words: the
    /// value, or for a collection `237 elements, without 42`.
    pub fn returned(&self, l: &LostWrite) -> String {
        let read = &self.ops[l.read];
        match &read.value {
            Value::Vector(v) | Value::List(v) | Value::Set(v) => {
                format!("{} elements, without {}", v.len(), self.written(l.write))
            }
            other => other.to_string(),
        }
    }

    /// What op `index` wrote: a write's value, a cas's new value.
    pub fn written(&self, index: usize) -> String {
        self.ops[index].invoke_value_written()
    }

    /// A sentence on one lost write: what was written and acknowledged
    /// when, and which read went back past it. `history` adds the serving
    /// nodes; `at` formats an op's time (ns from the history's `:time`).
    pub fn sentence(
        &self,
        l: &LostWrite,
        history: Option<&History>,
        at: impl Fn(i64) -> String,
    ) -> String {
        let w = &self.ops[l.write];
        let r = &self.ops[l.read];
        let node = |op: &Op| {
            history
                .and_then(|h| serving_node(h, op))
                .map(|n| format!(" by {n}"))
                .unwrap_or_default()
        };
        let when = |t: Option<i64>| t.map(|t| format!(" at {}", at(t))).unwrap_or_default();
        let key = w
            .key
            .as_ref()
            .map(|k| format!(" of key {k}"))
            .unwrap_or_default();
        let from = match l.read_from {
            Some(i) => format!("{}, written before it", self.ops[i].invoke_value_written()),
            None if matches!(&*w.f, "add" | "append") => match &r.value {
                Value::Vector(v) | Value::List(v) | Value::Set(v) => {
                    format!("{} elements, without it", v.len())
                }
                other => format!("{other}, without it"),
            },
            None => format!("{}, the initial value", r.value),
        };
        format!(
            "the {} of {}{key} (process {}) was acknowledged{}{}, yet the read by process {} invoked{}{} returned {from}",
            w.f,
            w.invoke_value_written(),
            w.process,
            node(w),
            when(w.complete_time_ns),
            r.process,
            when(r.invoke_time_ns),
            node(r),
        )
    }
}

/// What an op wrote, for sentences: a write's value, a cas's new value.
trait Written {
    fn invoke_value_written(&self) -> String;
}

impl Written for Op {
    fn invoke_value_written(&self) -> String {
        match (&*self.f, &self.invoke_value) {
            ("cas", Value::Vector(v) | Value::List(v)) if v.len() == 2 => v[1].to_string(),
            _ => self.invoke_value.to_string(),
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `values 12, 17 and 3 more`.
fn values(ops: &[Op], lost: &[&LostWrite], shown: usize) -> String {
    let mut parts: Vec<String> = lost
        .iter()
        .take(shown)
        .map(|l| ops[l.write].invoke_value_written())
        .collect();
    if lost.len() > shown {
        parts.push(format!("and {} more", lost.len() - shown));
    }
    format!(
        "{} {}",
        plural(lost.len(), "value", "values"),
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shakedown_checkers::{Event, EventType, Process};

    fn op(events: &mut Vec<Event>, p: i64, f: &str, v: i64, out: i64, t: i64) {
        let value = if f == "read" {
            Value::Nil
        } else {
            Value::Int(v)
        };
        events.push(Event::new(Process::Client(p), EventType::Invoke, f, value).at(t));
        events.push(
            Event::new(Process::Client(p), EventType::Ok, f, Value::Int(out)).at(t + 1_000_000),
        );
    }

    #[test]
    fn the_summary_names_lost_values_and_the_read_that_missed_them() {
        let mut events = Vec::new();
        op(&mut events, 0, "write", 1, 1, 0);
        op(&mut events, 1, "write", 2, 2, 1_000_000_000);
        op(&mut events, 2, "read", 0, 1, 2_000_000_000);
        let history = History::new(events);
        let lost = LostWrites::of(&history, "register", Some("0")).expect("register");
        let line = lost.summary().expect("a lost write");
        assert!(
            line.starts_with("1 acknowledged write lost, never read again (value 2)"),
            "{line}"
        );
        assert!(line.contains("returned 1, written before it"), "{line}");
        assert!(line.contains("at 1.00 s"), "{line}");
    }

    #[test]
    fn models_it_does_not_read_give_nothing() {
        let history = History::new(Vec::new());
        assert!(LostWrites::of(&history, "queue", None).is_none());
    }
}
