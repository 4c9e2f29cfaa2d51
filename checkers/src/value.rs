//! Values carried by history events: the subset of EDN that Jepsen histories use.

use std::cmp::Ordering;
use std::fmt;

/// A value in a history: an op's `:value`, `:key`, or any kept unknown field.
///
/// This is EDN's data model. Floats compare by their total order so that
/// values can be map keys and model states can be memoised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// `nil`: absent, unknown, or "no value".
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(Float),
    /// A string.
    Str(String),
    /// A keyword, stored without its leading `:` (`:ok` is `Keyword("ok")`).
    Keyword(String),
    /// A symbol, as written.
    Symbol(String),
    /// A vector `[a b]`.
    Vector(Vec<Value>),
    /// A list `(a b)`.
    List(Vec<Value>),
    /// A set `#{a b}`, in the order written.
    Set(Vec<Value>),
    /// A map `{k v}`, in the order written.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// A keyword value from its name, without the `:`.
    pub fn keyword(name: impl Into<String>) -> Self {
        Value::Keyword(name.into())
    }

    /// The integer inside, if this is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a vector or a list.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Vector(v) | Value::List(v) => Some(v),
            _ => None,
        }
    }

    /// True for `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// About how many heap bytes this value owns (beyond its own size),
    /// allocator overhead included: what memory budgets count.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) => 0,
            Value::Str(s) | Value::Keyword(s) | Value::Symbol(s) => alloc_bytes_n(s.capacity()),
            Value::Vector(items) | Value::List(items) | Value::Set(items) => {
                alloc_bytes_n(items.capacity() * std::mem::size_of::<Value>())
                    + items.iter().map(Value::heap_bytes).sum::<usize>()
            }
            Value::Map(entries) => {
                alloc_bytes_n(entries.capacity() * std::mem::size_of::<(Value, Value)>())
                    + entries
                        .iter()
                        .map(|(k, v)| k.heap_bytes() + v.heap_bytes())
                        .sum::<usize>()
            }
        }
    }
}

/// Bytes a heap allocation of `n` bytes really takes: malloc rounds up to
/// 16 bytes with an 8-byte header, and hands out at least 32.
pub(crate) fn alloc_bytes_n(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        ((n + 8 + 15) & !15).max(32)
    }
}

/// [`alloc_bytes_n`] of a string's buffer.
pub(crate) fn alloc_bytes(s: &str) -> usize {
    alloc_bytes_n(s.len())
}

/// An `f64` with a total order (IEEE 754 `totalOrder`), so values can be
/// compared, hashed and used as keys.
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl PartialEq for Float {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for Float {}
impl PartialOrd for Float {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Float {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl std::hash::Hash for Float {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

/// Writes the value as EDN.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(
            f: &mut fmt::Formatter<'_>,
            open: &str,
            items: &[Value],
            close: &str,
        ) -> fmt::Result {
            f.write_str(open)?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => {
                let x = x.0;
                if x.is_nan() {
                    f.write_str("##NaN")
                } else if x.is_infinite() {
                    f.write_str(if x > 0.0 { "##Inf" } else { "##-Inf" })
                } else if x.fract() == 0.0 && x.abs() < 1e15 {
                    write!(f, "{x:.1}")
                } else {
                    write!(f, "{x:?}")
                }
            }
            Value::Str(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\r' => f.write_str("\\r")?,
                        '\t' => f.write_str("\\t")?,
                        c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::Symbol(s) => f.write_str(s),
            Value::Vector(v) => seq(f, "[", v, "]"),
            Value::List(v) => seq(f, "(", v, ")"),
            Value::Set(v) => seq(f, "#{", v, "}"),
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}
