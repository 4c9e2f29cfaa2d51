//! What a model's settings type accepts, found without asking the model:
//! the keys of `[cluster.settings]`, the kind of value each takes, and
//! which ones must be given.
//!
//! A settings type only has to implement `Deserialize` to be registered,
//! so this module learns about it the way a user would, by offering it
//! tables: a deserializer that records the field names serde asks for,
//! then one wrong-typed value per key (the error says what was expected),
//! then an empty table and the missing keys it complains about. Defaults
//! are not visible this way; a registry can be given them
//! ([`super::Registry::set_defaults`]).

use serde::de::{self, DeserializeOwned, Visitor};
use serde::Serialize;
use std::fmt;

/// One key of a model's `[cluster.settings]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingInfo {
    /// The key.
    pub name: String,
    /// The kind of value: `integer`, `float`, `boolean`, `string`, `array`,
    /// `table`, or what serde expected in its own words.
    pub kind: String,
    /// The key must be given (it has no default).
    pub required: bool,
    /// Its default, as TOML, when the registry knows it.
    pub default: Option<String>,
}

/// The keys of `S` with their kinds and whether each is required. Empty if
/// `S` is not a struct with named fields (a map, or a hand-written
/// `Deserialize`).
pub fn settings_of<S: DeserializeOwned>() -> Vec<SettingInfo> {
    let fields = match S::deserialize(FieldNames) {
        Err(ProbeError::Fields(fields)) => fields,
        _ => return Vec::new(),
    };
    let mut settings: Vec<SettingInfo> = fields
        .iter()
        .map(|name| SettingInfo {
            name: (*name).to_owned(),
            kind: kind_of::<S>(name),
            required: false,
            default: None,
        })
        .collect();
    // Offer an empty table, then fill in each key it says is missing with a
    // plausible value of its kind, until it is satisfied or stops saying.
    let mut table = toml::Table::new();
    for _ in 0..=settings.len() {
        let Err(message) = parse::<S>(&table) else {
            break;
        };
        let Some(missing) = missing_field(&message) else {
            break;
        };
        let Some(setting) = settings.iter_mut().find(|s| s.name == missing) else {
            break;
        };
        if setting.required {
            break;
        }
        setting.required = true;
        let Some(value) = sample(&setting.kind) else {
            break;
        };
        table.insert(missing.to_owned(), value);
    }
    settings
}

fn parse<S: DeserializeOwned>(table: &toml::Table) -> Result<S, String> {
    toml::Value::Table(table.clone())
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_owned())
}

/// What `S` expects at `key`: offered a table holding a key no settings
/// type has, it says what it wanted instead.
fn kind_of<S: DeserializeOwned>(key: &str) -> String {
    let mut probe = toml::Table::new();
    probe.insert("\u{1}probe".to_owned(), toml::Value::Integer(0));
    let mut table = toml::Table::new();
    table.insert(key.to_owned(), toml::Value::Table(probe));
    match parse::<S>(&table) {
        Err(message) => match message.split("expected ").nth(1) {
            Some(expected) if message.starts_with("invalid type") => plain_kind(expected),
            _ => "table".to_owned(),
        },
        Ok(_) => "table".to_owned(),
    }
}

/// serde's words for a type, in TOML's.
fn plain_kind(expected: &str) -> String {
    let e = expected.trim().trim_end_matches('.');
    let integer = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    if integer.contains(&e) || e.contains("integer") {
        "integer".to_owned()
    } else if e == "f32" || e == "f64" || e.contains("float") {
        "float".to_owned()
    } else if e.contains("bool") {
        "boolean".to_owned()
    } else if e.contains("string") || e == "a character" {
        "string".to_owned()
    } else if e.contains("sequence") || e.contains("array") || e.contains("tuple") {
        match e.split("length ").nth(1) {
            Some(n) => format!("array of {n}"),
            None => "array".to_owned(),
        }
    } else if e.starts_with("struct") || e.contains("map") {
        "table".to_owned()
    } else {
        e.to_owned()
    }
}

/// A value of a kind, to get past a required key.
fn sample(kind: &str) -> Option<toml::Value> {
    Some(match kind {
        "integer" => toml::Value::Integer(1),
        "float" => toml::Value::Float(1.0),
        "boolean" => toml::Value::Boolean(false),
        "string" => toml::Value::String(String::new()),
        "table" => toml::Value::Table(toml::Table::new()),
        k if k.starts_with("array") => toml::Value::Array(Vec::new()),
        _ => return None,
    })
}

fn missing_field(message: &str) -> Option<&str> {
    message.split("missing field `").nth(1)?.split('`').next()
}

/// A deserializer that answers every request with an error, except a
/// struct's, whose field names it reports.
struct FieldNames;

#[derive(Debug)]
enum ProbeError {
    Fields(&'static [&'static str]),
    Other,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("settings probe")
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        ProbeError::Other
    }
}

impl<'de> de::Deserializer<'de> for FieldNames {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Other)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        quorum: usize,
        #[serde(default)]
        lose_writes: bool,
        #[serde(default)]
        rate: f64,
        name: String,
        #[serde(default)]
        window_ms: [u64; 2],
        #[serde(default)]
        peers: Vec<String>,
    }

    #[test]
    fn keys_kinds_and_required_ones_are_found() {
        let s = settings_of::<Settings>();
        let got: Vec<(&str, &str, bool)> = s
            .iter()
            .map(|s| (s.name.as_str(), s.kind.as_str(), s.required))
            .collect();
        assert_eq!(
            got,
            [
                ("quorum", "integer", true),
                ("lose_writes", "boolean", false),
                ("rate", "float", false),
                ("name", "string", true),
                ("window_ms", "array of 2", false),
                ("peers", "array", false),
            ]
        );
    }

    #[test]
    fn a_map_has_no_fixed_keys() {
        assert!(settings_of::<std::collections::BTreeMap<String, i64>>().is_empty());
    }
}
