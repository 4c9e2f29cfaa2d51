//! JSON Lines histories: one JSON object per event, one event per line.
//!
//! # The mapping
//!
//! An event is an object with these fields, written in this order:
//!
//! | field | EDN | JSON |
//! |---|---|---|
//! | `index` | `:index 3` | `"index": 3` (omitted when absent) |
//! | `time` | `:time 17` | `"time": 17` (ns; omitted when absent) |
//! | `process` | `:process 2` / `:process :nemesis` / `:process "c1"` | `"process": 2` / `"process": "nemesis"` / `"process": {"string": "c1"}` |
//! | `type` | `:type :ok` | `"type": "ok"` |
//! | `f` | `:f :read` | `"f": "read"` |
//! | `key` | `:key "k"` | `"key": "k"` (a value, see below; omitted when absent) |
//! | `value` | `:value [1 2]` | `"value": [1, 2]` (a value) |
//!
//! Other keys follow. If every one is a keyword whose name is not one of the
//! field names above (nor `extra`), each is a field of its own (`:error
//! :timed-out` is `"error": {"keyword": "timed-out"}`); otherwise they are
//! all written, in order, as `"extra": [[key, value], ...]`. The reader
//! accepts both.
//!
//! Values map as follows; everything JSON has natively is written natively,
//! the rest as an object with one tag field:
//!
//! | EDN | JSON |
//! |---|---|
//! | `nil`, `true`, `42`, `"s"` | `null`, `true`, `42`, `"s"` |
//! | `1.5` | `1.5` (a JSON number with a fraction or exponent) |
//! | `##NaN`, `##Inf`, `##-Inf` | `{"float": "NaN"}`, `{"float": "Inf"}`, `{"float": "-Inf"}` |
//! | `[a b]` | `[a, b]` |
//! | `:k` | `{"keyword": "k"}` |
//! | `sym` | `{"symbol": "sym"}` |
//! | `(a b)` | `{"list": [a, b]}` |
//! | `#{a b}` | `{"set": [a, b]}` |
//! | `{k v}` | `{"map": [[k, v]]}` |
//!
//! Writing then reading gives back the identical history.

use crate::format::{EventBuilder, ParseError, ReadGuard, Stop};
use crate::history::{Event, EventType, History, Process};
use crate::value::{Float, Value};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write as _};

/// Field names with a meaning of their own; other keys are extras.
const FIELDS: [&str; 8] = [
    "index", "time", "process", "type", "f", "key", "value", "extra",
];

/// Parses a JSON Lines history. Blank lines are skipped.
pub fn parse_history(text: &str) -> Result<History, ParseError> {
    parse_history_with_positions(text).map(|(h, _)| h)
}

/// Parses a JSON Lines history and gives each event's line and column.
pub fn parse_history_with_positions(
    text: &str,
) -> Result<(History, Vec<(usize, usize)>), ParseError> {
    parse_limited(text, &mut ReadGuard::unlimited()).map_err(|stop| match stop {
        Stop::Parse(e) => e,
        Stop::Limit(message) => ParseError {
            line: 1,
            column: 1,
            message,
        },
    })
}

/// [`parse_history_with_positions`] under a guard on memory and time.
pub(crate) fn parse_limited(
    text: &str,
    guard: &mut ReadGuard,
) -> Result<(History, Vec<(usize, usize)>), Stop> {
    let mut events = Vec::new();
    let mut positions = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        events.push(parse_event(line).map_err(|mut e| {
            e.line = i + 1;
            e
        })?);
        guard.add(&events)?;
        positions.push((i + 1, 1));
    }
    Ok((History::new(events), positions))
}

/// Parses one event from one line of JSON. The error's line is 1.
pub fn parse_event(line: &str) -> Result<Event, ParseError> {
    let json: Json = serde_json::from_str(line).map_err(|e| ParseError {
        line: 1,
        column: e.column().max(1),
        message: format!("invalid JSON: {}", strip_position(&e.to_string())),
    })?;
    let err = |m: String| ParseError {
        line: 1,
        column: 1,
        message: m,
    };
    let Json::Object(fields) = json else {
        return Err(err("each line must be one JSON object, such as {\"process\": 0, \"type\": \"invoke\", \"f\": \"read\", \"value\": null}".into()));
    };
    let mut b = EventBuilder::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut extra_pairs = Vec::new();
    for (name, v) in &fields {
        if seen.contains(&name.as_str()) {
            return Err(err(format!("the field \"{name}\" appears twice")));
        }
        seen.push(name);
        match name.as_str() {
            "process" => b.process = Some(match v {
                Json::Int(p) => Process::Client(*p),
                Json::Str(n) => Process::Named(n.clone()),
                Json::Object(tagged) => match tagged.as_slice() {
                    [(tag, Json::Str(n))] if tag == "string" => Process::Str(n.clone()),
                    _ => return Err(err(
                        "\"process\" must be an integer or a name such as \"nemesis\" or \"c1\""
                            .into(),
                    )),
                },
                _ => {
                    return Err(err(
                        "\"process\" must be an integer or a name such as \"nemesis\" or \"c1\""
                            .into(),
                    ))
                }
            }),
            "type" => match v {
                Json::Str(t) if EventType::from_name(t).is_some() => {
                    b.kind = EventType::from_name(t)
                }
                _ => {
                    return Err(err(
                        "\"type\" must be \"invoke\", \"ok\", \"fail\" or \"info\"".into(),
                    ))
                }
            },
            "f" => match v {
                Json::Str(f) => b.f = Some(f.clone()),
                _ => return Err(err("\"f\" must be a string such as \"read\"".into())),
            },
            "key" => b.key = Some(to_value(v).map_err(err)?),
            "value" => b.value = to_value(v).map_err(err)?,
            "time" => match v {
                Json::Int(t) => b.time_ns = Some(*t),
                _ => return Err(err("\"time\" must be an integer (nanoseconds)".into())),
            },
            "index" => match v {
                Json::Int(t) => b.index = Some(*t),
                _ => return Err(err("\"index\" must be an integer".into())),
            },
            "extra" => {
                let Json::Array(pairs) = v else {
                    return Err(err(
                        "\"extra\" must be an array of [key, value] pairs".into()
                    ));
                };
                for pair in pairs {
                    match pair {
                        Json::Array(kv) if kv.len() == 2 => extra_pairs.push((
                            to_value(&kv[0]).map_err(err)?,
                            to_value(&kv[1]).map_err(err)?,
                        )),
                        _ => {
                            return Err(err(
                                "\"extra\" must be an array of [key, value] pairs".into()
                            ))
                        }
                    }
                }
            }
            other => b
                .extra
                .push((Value::Keyword(other.to_owned()), to_value(v).map_err(err)?)),
        }
    }
    b.extra.extend(extra_pairs);
    b.build().map_err(|m| {
        err(m
            .replace(":process", "\"process\"")
            .replace(":type", "\"type\"")
            .replace(":f", "\"f\""))
    })
}

/// serde_json appends " at line L column C"; we report positions ourselves.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// Writes a history as JSON Lines.
pub fn write_history(history: &History) -> String {
    let mut out = String::with_capacity(history.events.len() * 80);
    for e in &history.events {
        write_event(&mut out, e);
        out.push('\n');
    }
    out
}

/// Writes one event as a JSON object (no newline).
pub fn write_event(out: &mut String, e: &Event) {
    out.push('{');
    if let Some(i) = e.index {
        let _ = write!(out, "\"index\":{i},");
    }
    if let Some(t) = e.time_ns {
        let _ = write!(out, "\"time\":{t},");
    }
    match &e.process {
        Process::Client(p) => {
            let _ = write!(out, "\"process\":{p}");
        }
        Process::Named(n) => {
            out.push_str("\"process\":");
            write_str(out, n);
        }
        Process::Str(n) => {
            // A plain JSON string reads back as a keyword process (`"c1"` is
            // `:c1`); the tag keeps an EDN string process a string.
            out.push_str("\"process\":{\"string\":");
            write_str(out, n);
            out.push('}');
        }
    }
    let _ = write!(out, ",\"type\":\"{}\",\"f\":", e.kind.name());
    write_str(out, &e.f);
    if let Some(k) = &e.key {
        out.push_str(",\"key\":");
        write_value(out, k);
    }
    out.push_str(",\"value\":");
    write_value(out, &e.value);
    let as_fields = e
        .extra
        .iter()
        .all(|(k, _)| matches!(k, Value::Keyword(name) if !FIELDS.contains(&name.as_str())));
    if as_fields {
        for (k, v) in &e.extra {
            if let Value::Keyword(name) = k {
                out.push(',');
                write_str(out, name);
                out.push(':');
                write_value(out, v);
            }
        }
    } else {
        out.push_str(",\"extra\":[");
        for (i, (k, v)) in e.extra.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            write_value(out, k);
            out.push(',');
            write_value(out, v);
            out.push(']');
        }
        out.push(']');
    }
    out.push('}');
}

fn write_str(out: &mut String, s: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Writes one value in the JSON mapping described in the module docs.
pub fn write_value(out: &mut String, v: &Value) {
    fn seq(out: &mut String, items: &[Value]) {
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_value(out, item);
        }
        out.push(']');
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(Float(x)) => {
            if x.is_nan() {
                out.push_str("{\"float\":\"NaN\"}");
            } else if x.is_infinite() {
                out.push_str(if *x > 0.0 {
                    "{\"float\":\"Inf\"}"
                } else {
                    "{\"float\":\"-Inf\"}"
                });
            } else {
                // serde_json writes the shortest text that reads back exactly,
                // always with a fraction or an exponent.
                out.push_str(&serde_json::to_string(x).unwrap_or_default());
            }
        }
        Value::Str(s) => write_str(out, s),
        Value::Keyword(k) => {
            out.push_str("{\"keyword\":");
            write_str(out, k);
            out.push('}');
        }
        Value::Symbol(s) => {
            out.push_str("{\"symbol\":");
            write_str(out, s);
            out.push('}');
        }
        Value::Vector(items) => seq(out, items),
        Value::List(items) => {
            out.push_str("{\"list\":");
            seq(out, items);
            out.push('}');
        }
        Value::Set(items) => {
            out.push_str("{\"set\":");
            seq(out, items);
            out.push('}');
        }
        Value::Map(entries) => {
            out.push_str("{\"map\":[");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('[');
                write_value(out, k);
                out.push(',');
                write_value(out, v);
                out.push(']');
            }
            out.push_str("]}");
        }
    }
}

/// Reads one value in the JSON mapping described in the module docs.
pub fn parse_value(text: &str) -> Result<Value, ParseError> {
    let json: Json = serde_json::from_str(text).map_err(|e| ParseError {
        line: e.line().max(1),
        column: e.column().max(1),
        message: format!("invalid JSON: {}", strip_position(&e.to_string())),
    })?;
    to_value(&json).map_err(|message| ParseError {
        line: 1,
        column: 1,
        message,
    })
}

fn to_value(j: &Json) -> Result<Value, String> {
    let seq = |items: &[Json]| items.iter().map(to_value).collect::<Result<Vec<_>, _>>();
    Ok(match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(i) => Value::Int(*i),
        Json::Float(x) => Value::Float(Float(*x)),
        Json::Str(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::Vector(seq(items)?),
        Json::Object(fields) => {
            let [(tag, inner)] = fields.as_slice() else {
                return Err(tag_help());
            };
            match (tag.as_str(), inner) {
                ("keyword", Json::Str(k)) => Value::Keyword(k.clone()),
                ("symbol", Json::Str(s)) => Value::Symbol(s.clone()),
                ("float", Json::Str(s)) => Value::Float(Float(match s.as_str() {
                    "NaN" => f64::NAN,
                    "Inf" => f64::INFINITY,
                    "-Inf" => f64::NEG_INFINITY,
                    _ => return Err("{\"float\": ...} must be \"NaN\", \"Inf\" or \"-Inf\"".into()),
                })),
                ("float", Json::Float(x)) => Value::Float(Float(*x)),
                ("list", Json::Array(items)) => Value::List(seq(items)?),
                ("set", Json::Array(items)) => Value::Set(seq(items)?),
                ("map", Json::Array(pairs)) => {
                    let mut entries = Vec::with_capacity(pairs.len());
                    for pair in pairs {
                        match pair {
                            Json::Array(kv) if kv.len() == 2 => {
                                entries.push((to_value(&kv[0])?, to_value(&kv[1])?))
                            }
                            _ => return Err("{\"map\": ...} must hold [key, value] pairs".into()),
                        }
                    }
                    Value::Map(entries)
                }
                _ => return Err(tag_help()),
            }
        }
    })
}

fn tag_help() -> String {
    "a JSON object inside a value must have one tag field: {\"keyword\": \"k\"}, {\"symbol\": \"s\"}, {\"float\": \"NaN\"}, {\"list\": [...]}, {\"set\": [...]} or {\"map\": [[k, v], ...]}".into()
}

/// JSON as written, objects keeping their field order.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
        Ok(Json::Int(i))
    }
    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Json, E> {
        i64::try_from(u)
            .map(Json::Int)
            .map_err(|_| E::custom(format!("the integer {u} does not fit in 64 bits")))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Json, E> {
        Ok(Json::Float(x))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            fields.push((k, v));
        }
        Ok(Json::Object(fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_documented_mapping() {
        let mut e = Event::new(
            Process::Client(3),
            EventType::Info,
            "cas",
            Value::Vector(vec![1.into(), 2.into()]),
        )
        .at(42)
        .with_key("k".into());
        e.extra
            .push((Value::keyword("error"), Value::keyword("timed-out")));
        let line = write_history(&History::new(vec![e.clone()]));
        assert_eq!(
            line,
            "{\"time\":42,\"process\":3,\"type\":\"info\",\"f\":\"cas\",\"key\":\"k\",\"value\":[1,2],\"error\":{\"keyword\":\"timed-out\"}}\n"
        );
        assert_eq!(parse_history(&line).unwrap().events, vec![e]);
    }

    #[test]
    fn uses_extra_pairs_when_keys_are_not_plain_keywords() {
        let mut e = Event::new(Process::nemesis(), EventType::Info, "start", Value::Nil);
        e.extra.push((Value::keyword("a"), 1.into()));
        e.extra
            .push((Value::from("b"), Value::Float(Float(f64::INFINITY))));
        e.extra.push((
            Value::keyword("type"),
            Value::Set(vec![Value::List(vec![])]),
        ));
        let text = write_history(&History::new(vec![e.clone()]));
        assert!(
            text.contains("\"extra\":[[{\"keyword\":\"a\"},1]"),
            "{text}"
        );
        assert_eq!(parse_history(&text).unwrap().events, vec![e]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\n{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":[1,}\n";
        let e = parse_history(text).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.column > 40, "{e}");
        let e = parse_history("{\"process\":0,\"type\":\"ok\",\"value\":1}").unwrap_err();
        assert!(e.message.contains("\"f\""), "{e}");
        let e =
            parse_history("{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":{\"weird\":1}}")
                .unwrap_err();
        assert!(e.message.contains("tag field"), "{e}");
        assert!(parse_history("[1,2]").is_err());
        assert!(
            parse_history("{\"process\":18446744073709551615,\"type\":\"ok\",\"f\":\"r\"}")
                .is_err()
        );
    }
}
