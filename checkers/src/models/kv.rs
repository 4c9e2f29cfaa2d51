//! `kv`: a key-value store, one register per `:key`, checked key by key.

use crate::history::Op;
use crate::model::{is_info, Model, ModelError, RegisterAccess, ValueFlow};
use crate::value::Value;

/// An operation on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvOp {
    /// A get that returned this value.
    Get(Value),
    /// A put of this value.
    Put(Value),
    /// An append of this value: strings concatenate; anything else is
    /// pushed onto a vector.
    Append(Value),
    /// Compare-and-set `[old new]`; fails on an unwritten key.
    Cas(Value, Value),
}

/// `kv`: get, put, append and cas on independent keys. An append to an
/// unwritten key appends to `""`; a get of an unwritten key may return nil
/// or `""`. Each key is a part of its own (P-compositionality).
///
/// The initial state is nil (every key unwritten), one value for every key,
/// or a map from key to value (`{"a" "x" "b" ""}`; missing keys unwritten).
#[derive(Debug, Clone)]
pub struct Kv {
    initial: Value,
}

impl Kv {
    /// A store whose keys start as `initial` says.
    pub fn new(initial: Value) -> Self {
        Kv { initial }
    }
}

impl Model for Kv {
    type State = Value;
    type Op = KvOp;

    fn name(&self) -> &str {
        "kv"
    }

    fn init(&self) -> Value {
        match &self.initial {
            Value::Map(_) => Value::Nil,
            v => v.clone(),
        }
    }

    fn init_part(&self, key: Option<&Value>) -> Value {
        match (&self.initial, key) {
            (Value::Map(entries), Some(key)) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map_or(Value::Nil, |(_, v)| v.clone()),
            _ => self.init(),
        }
    }

    fn prepare(&self, op: &Op) -> Result<Option<KvOp>, ModelError> {
        Ok(Some(match op.f.as_str() {
            "get" | "read" => {
                if is_info(op) {
                    return Ok(None);
                }
                KvOp::Get(op.value.clone())
            }
            "put" | "write" => KvOp::Put(op.value.clone()),
            "append" => KvOp::Append(op.value.clone()),
            "cas" => match op.value.as_seq() {
                Some([old, new]) => KvOp::Cas(old.clone(), new.clone()),
                _ => {
                    return Err(ModelError::for_op(
                        op,
                        format!(
                            "a cas takes `[old new]` as its value, such as `:value [1 2]`, not {}",
                            op.value
                        ),
                    ))
                }
            },
            f => {
                return Err(ModelError::for_op(
                    op,
                    format!(
                    "`kv` has no operation `:{f}`; its operations are :get, :put, :append and :cas"
                ),
                ))
            }
        }))
    }

    fn step(&self, state: &Value, op: &KvOp) -> Option<Value> {
        match op {
            KvOp::Get(v) => {
                let unwritten_ok = state.is_nil() && (v.is_nil() || v.as_str() == Some(""));
                (unwritten_ok || v == state).then(|| state.clone())
            }
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Append(v) => match (state, v) {
                (Value::Nil, Value::Str(s)) => Some(Value::Str(s.clone())),
                (Value::Str(a), Value::Str(b)) => {
                    let mut s = String::with_capacity(a.len() + b.len());
                    s.push_str(a);
                    s.push_str(b);
                    Some(Value::Str(s))
                }
                (Value::Nil, v) => Some(Value::Vector(vec![v.clone()])),
                (Value::Vector(items), v) => {
                    let mut items = items.clone();
                    items.push(v.clone());
                    Some(Value::Vector(items))
                }
                _ => None,
            },
            KvOp::Cas(old, new) => (!state.is_nil() && old == state).then(|| new.clone()),
        }
    }

    fn partition(&self, op: &Op) -> Option<Value> {
        op.key.clone()
    }

    fn describe_state(&self, state: &Value) -> String {
        state.to_string()
    }

    fn explain_step(&self, state: &Value, op: &KvOp) -> String {
        let held = if state.is_nil() {
            "the key is unwritten".to_owned()
        } else {
            format!("the key holds {state}")
        };
        match op {
            KvOp::Get(v) => format!("it got {v}, but {held}"),
            KvOp::Put(v) => format!("a put of {v} is always possible; {held}"),
            KvOp::Append(v) => format!("cannot append {v}: {held}"),
            KvOp::Cas(old, new) => format!("a cas from {old} to {new} cannot succeed: {held}"),
        }
    }

    fn register_access(&self, op: &KvOp) -> Option<RegisterAccess> {
        match op {
            // A get of "" may also mean unwritten: not a plain register read.
            KvOp::Get(v) if v.as_str() == Some("") => None,
            KvOp::Get(v) => Some(RegisterAccess::Read(v.clone())),
            KvOp::Put(v) => Some(RegisterAccess::Write(v.clone())),
            _ => None,
        }
    }

    fn register_value(&self, state: &Value) -> Option<Value> {
        Some(state.clone())
    }

    fn value_flow<'a>(&self, op: &'a KvOp) -> ValueFlow<'a> {
        match op {
            KvOp::Get(v) => ValueFlow::Reads(v),
            KvOp::Put(v) | KvOp::Cas(_, v) => ValueFlow::Writes(v),
            KvOp::Append(_) => ValueFlow::Opaque,
        }
    }

    fn state_heap_bytes(&self, state: &Value) -> usize {
        state.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_unwritten_gets() {
        let m = Kv::new(Value::Nil);
        let s = m.step(&Value::Nil, &KvOp::Append("x".into())).unwrap();
        let s = m.step(&s, &KvOp::Append("y".into())).unwrap();
        assert_eq!(s, Value::from("xy"));
        assert!(m.step(&Value::Nil, &KvOp::Get("".into())).is_some());
        assert!(m.step(&Value::Nil, &KvOp::Get(Value::Nil)).is_some());
        assert!(m.step(&s, &KvOp::Get("x".into())).is_none());
        assert!(m
            .step(&Value::Nil, &KvOp::Cas(Value::Nil, 1.into()))
            .is_none());
        assert_eq!(
            m.step(&1.into(), &KvOp::Cas(1.into(), 2.into())),
            Some(2.into())
        );
        assert_eq!(
            m.step(&Value::Nil, &KvOp::Append(3.into())),
            Some(Value::Vector(vec![3.into()]))
        );
    }

    #[test]
    fn initial_map_gives_each_key_its_value() {
        let m = Kv::new(Value::Map(vec![("a".into(), "x".into())]));
        assert_eq!(m.init_part(Some(&"a".into())), Value::from("x"));
        assert_eq!(m.init_part(Some(&"b".into())), Value::Nil);
    }
}
