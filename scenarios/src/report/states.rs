//! The model's state after each op of a counterexample's linearizable
//! prefix, as porcupine's visualizer shows it: a reader follows the
//! register from value to value up to the op that no state allows.
//!
//! The checker reports only the states reachable at the end of the prefix;
//! here the prefix is replayed through the same built-in model. If the
//! replay does not end in one of the checker's states (a user's own model,
//! an unknown initial state), the report shows no per-op states rather than
//! wrong ones.

use shakedown_checkers::models::{CasRegister, Kv, MultiRegister, Mutex, Register};
use shakedown_checkers::{edn, Counterexample, Model, Op, Value};
use std::collections::BTreeMap;

/// The state after each prefix op, in prefix order, or `None` when the
/// replay cannot reproduce the checker's result.
pub fn prefix_states(
    model: &str,
    initial: Option<&str>,
    ops: &[Op],
    cx: &Counterexample,
) -> Option<Vec<String>> {
    let by_invoke: BTreeMap<usize, &Op> = ops.iter().map(|o| (o.invoke_index, o)).collect();
    let prefix: Vec<&Op> = cx
        .prefix
        .iter()
        .map(|s| by_invoke.get(&s.invoke_index).copied())
        .collect::<Option<_>>()?;
    let mut candidates = Vec::new();
    match initial {
        Some(text) => candidates.push(edn::parse_value(text).ok()?),
        None => {
            candidates.push(Value::Nil);
            // Without a stated initial value, a register that was first read
            // as `v` most likely started at `v` (knossos's data starts at 0).
            if let Some(first_read) = prefix.iter().find(|o| o.f == "read" || o.f == "get") {
                if !first_read.value.is_nil() {
                    candidates.push(first_read.value.clone());
                }
            }
        }
    }
    candidates.into_iter().find_map(|init| {
        let states = match model {
            "register" => walk(&Register::new(init), &prefix),
            "cas-register" => walk(&CasRegister::new(init), &prefix),
            "kv" => walk(&Kv::new(init), &prefix),
            "mutex" => walk(&Mutex::new(init).ok()?, &prefix),
            "multi-register" => walk(&MultiRegister::new(init).ok()?, &prefix),
            _ => None,
        }?;
        let agrees = match states.last() {
            Some(last) => cx.states.is_empty() || cx.states.contains(last),
            None => true,
        };
        agrees.then_some(states)
    })
}

fn walk<M: Model>(model: &M, prefix: &[&Op]) -> Option<Vec<String>> {
    let Some(first) = prefix.first() else {
        return Some(Vec::new());
    };
    let mut state = model.init_part(model.partition(first).as_ref());
    let mut out = Vec::with_capacity(prefix.len());
    for op in prefix {
        if let Some(prepared) = model.prepare(op).ok()? {
            state = model.step(&state, &prepared)?;
        }
        out.push(model.describe_state(&state));
    }
    Some(out)
}
