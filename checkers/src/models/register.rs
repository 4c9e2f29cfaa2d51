//! `register` and `cas-register`: one value, read, written and compared-and-set.

use crate::history::Op;
use crate::model::{is_info, Model, ModelError, RegisterAccess, ValueFlow};
use crate::value::Value;

/// An operation on a register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegOp {
    /// A read that returned this value.
    Read(Value),
    /// A write of this value.
    Write(Value),
    /// Compare-and-set: if the register holds the first value (and is not
    /// absent), set it to the second.
    Cas(Value, Value),
}

/// Shared by [`Register`] and [`CasRegister`].
#[derive(Debug, Clone)]
struct Core {
    initial: Value,
    /// A register that starts with a value is never absent, so a read of
    /// nil there means the value was not recorded (knossos's convention);
    /// on a register that starts absent, a read of nil means absent.
    nil_read_is_unknown: bool,
}

impl Core {
    fn new(initial: Value) -> Self {
        Core {
            nil_read_is_unknown: !initial.is_nil(),
            initial,
        }
    }

    fn prepare(&self, op: &Op, allow_cas: bool, model: &str) -> Result<Option<RegOp>, ModelError> {
        match op.f.as_str() {
            "read" => {
                if is_info(op) || (op.value.is_nil() && self.nil_read_is_unknown) {
                    return Ok(None);
                }
                Ok(Some(RegOp::Read(op.value.clone())))
            }
            "write" => Ok(Some(RegOp::Write(op.value.clone()))),
            "cas" if allow_cas => match op.value.as_seq() {
                Some([old, new]) => Ok(Some(RegOp::Cas(old.clone(), new.clone()))),
                _ => Err(ModelError::for_op(
                    op,
                    format!(
                        "a cas takes `[old new]` as its value, such as `:value [1 2]`, not {}",
                        op.value
                    ),
                )),
            },
            f => Err(ModelError::for_op(
                op,
                if allow_cas {
                    format!("`{model}` has no operation `:{f}`; its operations are :read, :write and :cas")
                } else {
                    format!("`{model}` has no operation `:{f}`; its operations are :read and :write (use `cas-register` for :cas)")
                },
            )),
        }
    }
}

fn step(state: &Value, op: &RegOp) -> Option<Value> {
    match op {
        RegOp::Read(v) => (v == state).then(|| state.clone()),
        RegOp::Write(v) => Some(v.clone()),
        RegOp::Cas(old, new) => (!state.is_nil() && old == state).then(|| new.clone()),
    }
}

fn explain(state: &Value, op: &RegOp) -> String {
    let held = if state.is_nil() {
        "the register is empty (nil)".to_owned()
    } else {
        format!("the register holds {state}")
    };
    match op {
        RegOp::Read(v) => format!("it read {v}, but {held}"),
        RegOp::Write(v) => format!("a write of {v} is always possible; {held}"),
        RegOp::Cas(old, new) if state.is_nil() => {
            format!("a cas from {old} to {new} cannot succeed: {held}")
        }
        RegOp::Cas(old, new) => format!("a cas from {old} to {new} cannot succeed: {held}"),
    }
}

fn flow(op: &RegOp) -> ValueFlow<'_> {
    match op {
        RegOp::Read(v) => ValueFlow::Reads(v),
        RegOp::Write(v) | RegOp::Cas(_, v) => ValueFlow::Writes(v),
    }
}

fn access(op: &RegOp) -> Option<RegisterAccess> {
    match op {
        RegOp::Read(v) => Some(RegisterAccess::Read(v.clone())),
        RegOp::Write(v) => Some(RegisterAccess::Write(v.clone())),
        RegOp::Cas(..) => None,
    }
}

/// The `Model` impl shared by [`Register`] and [`CasRegister`]: they differ
/// only in their name and in whether `cas` is allowed.
macro_rules! register_model {
    ($model:ident, $name:literal, cas_allowed: $cas:literal) => {
        impl Model for $model {
            type State = Value;
            type Op = RegOp;

            fn name(&self) -> &str {
                $name
            }
            fn init(&self) -> Value {
                self.0.initial.clone()
            }
            fn prepare(&self, op: &Op) -> Result<Option<RegOp>, ModelError> {
                self.0.prepare(op, $cas, $name)
            }
            fn step(&self, state: &Value, op: &RegOp) -> Option<Value> {
                step(state, op)
            }
            fn describe_state(&self, state: &Value) -> String {
                state.to_string()
            }
            fn explain_step(&self, state: &Value, op: &RegOp) -> String {
                explain(state, op)
            }
            fn register_access(&self, op: &RegOp) -> Option<RegisterAccess> {
                access(op)
            }
            fn register_value(&self, state: &Value) -> Option<Value> {
                Some(state.clone())
            }
            fn value_flow<'a>(&self, op: &'a RegOp) -> ValueFlow<'a> {
                flow(op)
            }
            fn state_heap_bytes(&self, state: &Value) -> usize {
                state.heap_bytes()
            }
        }
    };
}

/// `register`: reads and writes of one value. Reads of nil follow the
/// same rule as [`CasRegister`]'s.
#[derive(Debug, Clone)]
pub struct Register(Core);

impl Register {
    /// A register holding `initial` (nil: absent).
    pub fn new(initial: Value) -> Self {
        Register(Core::new(initial))
    }
}

register_model!(Register, "register", cas_allowed: false);

/// `cas-register`: a register with compare-and-set. A cas on an absent
/// (nil) register fails.
///
/// Reads of nil: on a register that starts absent (initial nil, as in
/// Jepsen's etcd tests and porcupine), a read of nil means "absent" and must
/// match. On a register that starts with a value (`--initial 0`, as in
/// knossos's data) it can never be absent, and knossos takes a read of nil
/// as one whose value was not recorded; so does this model, leaving such
/// reads out.
#[derive(Debug, Clone)]
pub struct CasRegister(Core);

impl CasRegister {
    /// A register holding `initial` (nil: absent).
    pub fn new(initial: Value) -> Self {
        CasRegister(Core::new(initial))
    }
}

register_model!(CasRegister, "cas-register", cas_allowed: true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, Process};

    fn op(f: &str, value: Value, completion: Completion) -> Op {
        Op {
            id: 0,
            process: Process::Client(0),
            f: f.into(),
            key: None,
            invoke_value: value.clone(),
            value,
            completion,
            invoke_index: 0,
            complete_index: None,
            invoke_time_ns: None,
            complete_time_ns: None,
        }
    }

    #[test]
    fn cas_register_semantics() {
        let m = CasRegister::new(Value::Nil);
        let cas = m
            .prepare(&op(
                "cas",
                Value::Vector(vec![1.into(), 2.into()]),
                Completion::Ok,
            ))
            .unwrap()
            .unwrap();
        assert_eq!(m.step(&Value::Nil, &cas), None, "a cas on absent fails");
        assert_eq!(m.step(&1.into(), &cas), Some(2.into()));
        assert_eq!(m.step(&3.into(), &cas), None);
        let read_nil = m
            .prepare(&op("read", Value::Nil, Completion::Ok))
            .unwrap()
            .unwrap();
        assert_eq!(m.step(&Value::Nil, &read_nil), Some(Value::Nil));
        assert_eq!(
            m.step(&1.into(), &read_nil),
            None,
            "a read of nil means absent"
        );
        assert_eq!(
            m.prepare(&op("read", 3.into(), Completion::Info)).unwrap(),
            None
        );
        assert!(m.prepare(&op("cas", 3.into(), Completion::Ok)).is_err());
        assert!(m.prepare(&op("append", 3.into(), Completion::Ok)).is_err());
        // A register that starts with a value is never absent: a nil read is unrecorded.
        let m = CasRegister::new(0.into());
        assert_eq!(
            m.prepare(&op("read", Value::Nil, Completion::Ok)).unwrap(),
            None
        );
    }

    #[test]
    fn register_has_no_cas() {
        let m = Register::new(Value::Nil);
        let e = m
            .prepare(&op(
                "cas",
                Value::Vector(vec![1.into(), 2.into()]),
                Completion::Ok,
            ))
            .unwrap_err();
        assert!(e.message.contains("cas-register"), "{e}");
    }
}
