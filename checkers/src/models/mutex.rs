//! `mutex`: a lock that clients acquire and release.

use crate::history::Op;
use crate::model::{Model, ModelError};
use crate::value::Value;

/// An operation on the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MutexOp {
    /// Take the lock; possible only when it is free.
    Acquire,
    /// Give it back; possible only when it is held.
    Release,
}

/// `mutex`: `:acquire` succeeds only on a free lock, `:release` only on a
/// held one. The state is `true` while held. Initial state: nil or false
/// (free) or true (held).
#[derive(Debug, Clone)]
pub struct Mutex {
    held: bool,
}

impl Mutex {
    /// A lock, held if `initial` is `true`.
    pub fn new(initial: Value) -> Result<Self, ModelError> {
        match initial {
            Value::Nil | Value::Bool(false) => Ok(Mutex { held: false }),
            Value::Bool(true) => Ok(Mutex { held: true }),
            other => Err(ModelError::setting(format!(
                "a mutex starts free (nil or false) or held (true), not {other}"
            ))),
        }
    }
}

impl Model for Mutex {
    type State = bool;
    type Op = MutexOp;

    fn name(&self) -> &str {
        "mutex"
    }
    fn init(&self) -> bool {
        self.held
    }
    fn prepare(&self, op: &Op) -> Result<Option<MutexOp>, ModelError> {
        match op.f.as_str() {
            "acquire" | "lock" => Ok(Some(MutexOp::Acquire)),
            "release" | "unlock" => Ok(Some(MutexOp::Release)),
            f => Err(ModelError::for_op(
                op,
                format!(
                    "`mutex` has no operation `:{f}`; its operations are :acquire and :release"
                ),
            )),
        }
    }
    fn step(&self, held: &bool, op: &MutexOp) -> Option<bool> {
        match op {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }
    fn describe_state(&self, held: &bool) -> String {
        if *held { "held" } else { "free" }.to_owned()
    }
    fn explain_step(&self, held: &bool, op: &MutexOp) -> String {
        match (op, held) {
            (MutexOp::Acquire, true) => "it acquired the lock while another client held it".into(),
            (MutexOp::Release, false) => "it released a lock that nobody held".into(),
            _ => "it is possible here".into(),
        }
    }
}
