//! Serde support for history values inside node messages and storage.
//!
//! [`shakedown_checkers::Value`] has no serde implementation of its own (the
//! checkers crate stays free of any wire format), yet a model often carries a
//! client's key or value in its messages (a Raft log entry, a forwarded
//! request). Mark such fields with `#[serde(with = "shakedown_sim::wire::value")]`
//! (or `wire::opt_value` for `Option<Value>`).
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use shakedown_checkers::Value;
//!
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! struct Entry {
//!     term: u64,
//!     #[serde(with = "shakedown_sim::wire::value")]
//!     value: Value,
//! }
//! let e = Entry { term: 1, value: Value::Int(5) };
//! let json = serde_json::to_string(&e).unwrap();
//! let back: Entry = serde_json::from_str(&json).unwrap();
//! assert_eq!(back.value, Value::Int(5));
//! ```

use serde::{Deserialize, Serialize};
use shakedown_checkers::value::Float;
use shakedown_checkers::Value;

/// A serde mirror of [`Value`], variant for variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WireValue {
    /// `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A keyword without `:`.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// A vector.
    Vector(Vec<WireValue>),
    /// A list.
    List(Vec<WireValue>),
    /// A set.
    Set(Vec<WireValue>),
    /// A map, in order.
    Map(Vec<(WireValue, WireValue)>),
}

impl From<&Value> for WireValue {
    fn from(v: &Value) -> Self {
        let seq = |items: &[Value]| items.iter().map(WireValue::from).collect();
        match v {
            Value::Nil => WireValue::Nil,
            Value::Bool(b) => WireValue::Bool(*b),
            Value::Int(i) => WireValue::Int(*i),
            Value::Float(f) => WireValue::Float(f.0),
            Value::Str(s) => WireValue::Str(s.clone()),
            Value::Keyword(s) => WireValue::Keyword(s.clone()),
            Value::Symbol(s) => WireValue::Symbol(s.clone()),
            Value::Vector(items) => WireValue::Vector(seq(items)),
            Value::List(items) => WireValue::List(seq(items)),
            Value::Set(items) => WireValue::Set(seq(items)),
            Value::Map(entries) => WireValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| (WireValue::from(k), WireValue::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<WireValue> for Value {
    fn from(v: WireValue) -> Self {
        let seq = |items: Vec<WireValue>| items.into_iter().map(Value::from).collect();
        match v {
            WireValue::Nil => Value::Nil,
            WireValue::Bool(b) => Value::Bool(b),
            WireValue::Int(i) => Value::Int(i),
            WireValue::Float(f) => Value::Float(Float(f)),
            WireValue::Str(s) => Value::Str(s),
            WireValue::Keyword(s) => Value::Keyword(s),
            WireValue::Symbol(s) => Value::Symbol(s),
            WireValue::Vector(items) => Value::Vector(seq(items)),
            WireValue::List(items) => Value::List(seq(items)),
            WireValue::Set(items) => Value::Set(seq(items)),
            WireValue::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Value::from(k), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

/// `#[serde(with = "shakedown_sim::wire::value")]` for a [`Value`] field.
pub mod value {
    use super::WireValue;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use shakedown_checkers::Value;

    /// Serializes a [`Value`].
    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        WireValue::from(v).serialize(s)
    }

    /// Deserializes a [`Value`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        WireValue::deserialize(d).map(Value::from)
    }
}

/// `#[serde(with = "shakedown_sim::wire::opt_value")]` for an `Option<Value>` field.
pub mod opt_value {
    use super::WireValue;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use shakedown_checkers::Value;

    /// Serializes an `Option<Value>`.
    pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(WireValue::from).serialize(s)
    }

    /// Deserializes an `Option<Value>`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Option::<WireValue>::deserialize(d).map(|o| o.map(Value::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips() {
        let v = Value::Map(vec![
            (
                Value::keyword("k"),
                Value::Vector(vec![Value::Nil, 1.into()]),
            ),
            (Value::Str("s".into()), Value::Set(vec![Value::Bool(true)])),
            (
                Value::Symbol("x".into()),
                Value::List(vec![Value::Float(Float(1.5))]),
            ),
        ]);
        let json = serde_json::to_string(&WireValue::from(&v)).unwrap();
        let back: WireValue = serde_json::from_str(&json).unwrap();
        assert_eq!(Value::from(back), v);
    }
}
