//! The key-value state machine that committed entries are applied to, with
//! a session table so that an entry proposed twice takes effect once.

use crate::log::Command;
use shakedown_checkers::Value;
use shakedown_sim::{ClientResponse, RequestId};
use std::collections::BTreeMap;

/// What applying an entry produced, to tell the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It took effect (or read this value).
    Ok(Value),
    /// A cas whose expected value did not match: no effect.
    Mismatch,
}

impl Outcome {
    /// The client's answer.
    pub fn response(&self) -> ClientResponse {
        match self {
            Outcome::Ok(v) => ClientResponse::Ok(v.clone()),
            Outcome::Mismatch => ClientResponse::fail("cas-mismatch"),
        }
    }
}

/// Keys to values, plus the outcome of every request applied so far.
#[derive(Debug, Default)]
pub struct StateMachine {
    data: BTreeMap<Option<Value>, Value>,
    /// Request id -> outcome, so a duplicate entry is not applied twice.
    sessions: BTreeMap<RequestId, Outcome>,
}

impl StateMachine {
    /// The value under `key` (`nil` when unwritten).
    pub fn read(&self, key: &Option<Value>) -> Value {
        self.data.get(key).cloned().unwrap_or(Value::Nil)
    }

    /// The outcome of `req` if it was applied.
    pub fn applied(&self, req: RequestId) -> Option<&Outcome> {
        self.sessions.get(&req)
    }

    /// Applies one committed command; a request already applied is not
    /// applied again and its first outcome is returned.
    pub fn apply(&mut self, req: Option<RequestId>, cmd: &Command) -> Outcome {
        if let Some(req) = req {
            if let Some(done) = self.sessions.get(&req) {
                return done.clone();
            }
        }
        let outcome = match cmd {
            Command::Noop => Outcome::Ok(Value::Nil),
            Command::Read { key } => Outcome::Ok(self.read(key)),
            Command::Write { key, value } => {
                self.data.insert(key.clone(), value.clone());
                Outcome::Ok(value.clone())
            }
            Command::Cas { key, expected, new } => match self.data.get(key) {
                Some(current) if current == expected => {
                    self.data.insert(key.clone(), new.clone());
                    Outcome::Ok(Value::Vector(vec![expected.clone(), new.clone()]))
                }
                _ => Outcome::Mismatch,
            },
        };
        if let (Some(req), Command::Write { .. } | Command::Cas { .. }) = (req, cmd) {
            self.sessions.insert(req, outcome.clone());
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_needs_a_match_and_an_existing_key() {
        let mut sm = StateMachine::default();
        let k = Some(Value::Int(1));
        let cas = |e: i64, n: i64| Command::Cas {
            key: k.clone(),
            expected: e.into(),
            new: n.into(),
        };
        assert_eq!(sm.apply(Some(RequestId(1)), &cas(0, 1)), Outcome::Mismatch);
        sm.apply(
            Some(RequestId(2)),
            &Command::Write {
                key: k.clone(),
                value: 5.into(),
            },
        );
        assert_eq!(sm.apply(Some(RequestId(3)), &cas(4, 6)), Outcome::Mismatch);
        assert!(matches!(
            sm.apply(Some(RequestId(4)), &cas(5, 6)),
            Outcome::Ok(_)
        ));
        assert_eq!(sm.read(&k), Value::Int(6));
        assert_eq!(sm.read(&None), Value::Nil);
    }

    #[test]
    fn a_duplicate_request_takes_effect_once() {
        let mut sm = StateMachine::default();
        let w = |v: i64| Command::Write {
            key: None,
            value: v.into(),
        };
        sm.apply(Some(RequestId(1)), &w(1));
        sm.apply(Some(RequestId(2)), &w(2));
        assert_eq!(sm.apply(Some(RequestId(1)), &w(1)), Outcome::Ok(1.into()));
        assert_eq!(
            sm.read(&None),
            Value::Int(2),
            "the replay of request 1 changed nothing"
        );
    }
}
