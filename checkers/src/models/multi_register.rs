//! `multi-register`: registers read and written together in atomic transactions.

use crate::history::Op;
use crate::model::{is_info, Model, ModelError};
use crate::value::Value;

/// One read or write inside a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicroOp {
    /// Read register `.0`, which returned `.1`.
    Read(Value, Value),
    /// Write `.1` to register `.0`.
    Write(Value, Value),
}

/// `multi-register`: each op is a transaction, `:value [[:r :x 1] [:w :y 2]]`
/// (`:r`/`:read`, `:w`/`:write`), applied atomically. Reads of nil (not
/// recorded) match anything. The state maps register to value; registers
/// not in it are nil. Initial state: nil or a map such as `{:x 0 :y 0}`.
#[derive(Debug, Clone)]
pub struct MultiRegister {
    initial: Vec<(Value, Value)>,
}

impl MultiRegister {
    /// Registers holding the values of the `initial` map (nil: all nil).
    pub fn new(initial: Value) -> Result<Self, ModelError> {
        match initial {
            Value::Nil => Ok(MultiRegister {
                initial: Vec::new(),
            }),
            Value::Map(entries) => {
                let mut state: Vec<(Value, Value)> = Vec::new();
                for (k, v) in entries {
                    set(&mut state, &k, v);
                }
                Ok(MultiRegister { initial: state })
            }
            other => Err(ModelError::setting(format!(
                "a multi-register starts from a map such as {{:x 0 :y 0}}, not {other}"
            ))),
        }
    }
}

/// Sets `key` in a state kept sorted by key, with nil values left out.
fn set(state: &mut Vec<(Value, Value)>, key: &Value, value: Value) {
    match state.binary_search_by(|(k, _)| k.cmp(key)) {
        Ok(i) if value.is_nil() => {
            state.remove(i);
        }
        Ok(i) => state[i].1 = value,
        Err(_) if value.is_nil() => {}
        Err(i) => state.insert(i, (key.clone(), value)),
    }
}

fn get<'a>(state: &'a [(Value, Value)], key: &Value) -> &'a Value {
    state
        .binary_search_by(|(k, _)| k.cmp(key))
        .map_or(&Value::Nil, |i| &state[i].1)
}

impl Model for MultiRegister {
    type State = Vec<(Value, Value)>;
    type Op = Vec<MicroOp>;

    fn name(&self) -> &str {
        "multi-register"
    }

    fn init(&self) -> Self::State {
        self.initial.clone()
    }

    fn prepare(&self, op: &Op) -> Result<Option<Vec<MicroOp>>, ModelError> {
        let help = || {
            ModelError::for_op(
                op,
                format!("a multi-register op's value is a transaction such as [[:r :x nil] [:w :y 2]], not {}", op.value),
            )
        };
        let Some(micro) = op.value.as_seq() else {
            return Err(help());
        };
        let mut out = Vec::with_capacity(micro.len());
        for m in micro {
            let Some([f, k, v]) = m.as_seq() else {
                return Err(help());
            };
            match f {
                Value::Keyword(f) if f == "r" || f == "read" => {
                    // A read with no recorded value (or in an info txn) constrains nothing.
                    if !is_info(op) && !v.is_nil() {
                        out.push(MicroOp::Read(k.clone(), v.clone()));
                    }
                }
                Value::Keyword(f) if f == "w" || f == "write" => {
                    out.push(MicroOp::Write(k.clone(), v.clone()))
                }
                _ => return Err(help()),
            }
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn step(&self, state: &Self::State, txn: &Vec<MicroOp>) -> Option<Self::State> {
        let mut next: Option<Self::State> = None;
        for m in txn {
            let current = next.as_deref().unwrap_or(state);
            match m {
                MicroOp::Read(k, v) => {
                    if get(current, k) != v {
                        return None;
                    }
                }
                MicroOp::Write(k, v) => {
                    set(next.get_or_insert_with(|| state.clone()), k, v.clone())
                }
            }
        }
        Some(next.unwrap_or_else(|| state.clone()))
    }

    fn describe_state(&self, state: &Self::State) -> String {
        Value::Map(state.clone()).to_string()
    }

    fn state_heap_bytes(&self, state: &Self::State) -> usize {
        crate::value::alloc_bytes_n(state.capacity() * std::mem::size_of::<(Value, Value)>())
            + state
                .iter()
                .map(|(k, v)| k.heap_bytes() + v.heap_bytes())
                .sum::<usize>()
    }

    fn explain_step(&self, state: &Self::State, txn: &Vec<MicroOp>) -> String {
        let mut current = state.clone();
        for m in txn {
            match m {
                MicroOp::Read(k, v) => {
                    let held = get(&current, k);
                    if held != v {
                        return format!("it read {v} from {k}, but {k} held {held}");
                    }
                }
                MicroOp::Write(k, v) => set(&mut current, k, v.clone()),
            }
        }
        "it is possible here".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_apply_atomically() {
        let m = MultiRegister::new(Value::Map(vec![(Value::keyword("x"), 0.into())])).unwrap();
        let s = m.init();
        let txn = vec![
            MicroOp::Read(Value::keyword("x"), 0.into()),
            MicroOp::Write(Value::keyword("y"), 2.into()),
        ];
        let s = m.step(&s, &txn).unwrap();
        assert_eq!(get(&s, &Value::keyword("y")), &Value::Int(2));
        assert!(m
            .step(&s, &vec![MicroOp::Read(Value::keyword("y"), 3.into())])
            .is_none());
        assert!(MultiRegister::new(3.into()).is_err());
    }
}
