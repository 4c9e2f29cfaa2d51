//! EDN histories: Jepsen's `history.edn`, knossos's data files, porcupine's kv data.
//!
//! The reader takes both of Jepsen's layouts: one vector (or list) of maps,
//! as in knossos's `data/`, and one map per line, as in Jepsen's
//! `history.edn`. Comments (`;`), commas, discarded forms (`#_`) and tags
//! (`#inst "..."`, `#jepsen.history.Op{...}`: the tag is dropped, its value
//! kept) are accepted. Keys other than `:process`, `:type`, `:f`, `:key`,
//! `:value`, `:time` and `:index` are kept in [`Event::extra`].
//!
//! The writer emits one map per line, which this reader and Jepsen's tools
//! read back.

use crate::format::{line_column, EventBuilder, ParseError, ReadGuard, Stop};
use crate::history::{Event, EventType, History, Process};
use crate::value::{Float, Value};
use std::fmt::Write as _;

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 256;

/// Parses an EDN history in either of Jepsen's layouts.
pub fn parse_history(text: &str) -> Result<History, ParseError> {
    parse_history_with_positions(text).map(|(h, _)| h)
}

/// Parses an EDN history and gives, for each event, the line and column
/// where its map starts, so later errors about an event can point at it.
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
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        discarding: 0,
    };
    let mut events = Vec::new();
    let mut starts = Vec::new();
    p.skip_ws()?;
    match p.peek() {
        Some(b'[') | Some(b'(') => {
            let close = if p.peek() == Some(b'[') { b']' } else { b')' };
            let open_at = p.pos;
            p.pos += 1;
            loop {
                p.skip_ws()?;
                match p.peek() {
                    None => {
                        return Err(p
                            .error_at(open_at, "this vector of ops is never closed")
                            .into())
                    }
                    Some(c) if c == close => {
                        p.pos += 1;
                        break;
                    }
                    Some(_) => {
                        starts.push(p.pos);
                        events.push(p.parse_event()?);
                        guard.add(&events)?;
                    }
                }
            }
            p.skip_ws()?;
            if p.peek().is_some() {
                return Err(p.error("unexpected text after the vector of ops (a history is one vector of maps, or one map per line)").into());
            }
        }
        _ => loop {
            p.skip_ws()?;
            if p.peek().is_none() {
                break;
            }
            starts.push(p.pos);
            events.push(p.parse_event()?);
            guard.add(&events)?;
        },
    }
    Ok((History::new(events), positions(text, &starts)))
}

/// Lines and columns of increasing byte offsets, in one pass.
fn positions(text: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(offsets.len());
    let (mut line, mut line_start, mut scanned) = (1, 0, 0);
    for &offset in offsets {
        for (i, b) in text.as_bytes()[scanned..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = scanned + i + 1;
            }
        }
        scanned = offset;
        out.push((line, text[line_start..offset].chars().count() + 1));
    }
    out
}

/// Parses one EDN value, such as an `--initial` state: `0`, `nil`, `{:x 0 :y 0}`.
pub fn parse_value(text: &str) -> Result<Value, ParseError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        discarding: 0,
    };
    p.skip_ws()?;
    if p.peek().is_none() {
        return Err(p.error("expected an EDN value, found nothing"));
    }
    let v = p.parse_value(0)?;
    p.skip_ws()?;
    if p.peek().is_some() {
        return Err(p.error("unexpected text after the value"));
    }
    Ok(v)
}

/// Writes a history as EDN, one map per line.
pub fn write_history(history: &History) -> String {
    let mut out = String::with_capacity(history.events.len() * 64);
    for e in &history.events {
        write_event(&mut out, e);
        out.push('\n');
    }
    out
}

/// Writes one event as an EDN map (no newline).
pub fn write_event(out: &mut String, e: &Event) {
    out.push('{');
    let mut first = true;
    let mut field = |out: &mut String, name: &str| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push(':');
        out.push_str(name);
        out.push(' ');
    };
    if let Some(i) = e.index {
        field(out, "index");
        let _ = write!(out, "{i}");
    }
    if let Some(t) = e.time_ns {
        field(out, "time");
        let _ = write!(out, "{t}");
    }
    field(out, "process");
    match &e.process {
        Process::Client(p) => {
            let _ = write!(out, "{p}");
        }
        Process::Named(n) => write_value(out, &Value::Keyword(n.clone())),
        Process::Str(n) => write_value(out, &Value::Str(n.clone())),
    }
    field(out, "type");
    out.push(':');
    out.push_str(e.kind.name());
    field(out, "f");
    if is_keyword_name(&e.f) {
        out.push(':');
        out.push_str(&e.f);
    } else {
        write_value(out, &Value::Str(e.f.clone()));
    }
    if let Some(k) = &e.key {
        field(out, "key");
        write_value(out, k);
    }
    field(out, "value");
    write_value(out, &e.value);
    for (k, v) in &e.extra {
        if !first {
            out.push_str(", ");
        }
        write_value(out, k);
        out.push(' ');
        write_value(out, v);
    }
    out.push('}');
}

/// Writes one value as EDN. Same text as [`Value`]'s `Display`.
pub fn write_value(out: &mut String, v: &Value) {
    let _ = write!(out, "{v}");
}

/// True if `name` can be written as a keyword `:name` and read back as the same name.
pub fn is_keyword_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(is_token_byte)
        && !name.starts_with(':')
        && !name.starts_with('#')
        && !name.starts_with('\\')
}

fn is_token_byte(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'\x0c'
            | b','
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b';'
    )
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// How many `#_` discards are being skipped, one inside another.
    discarding: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = line_column(self.text, pos);
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }

    /// Skips whitespace, commas, comments and `#_` discarded forms.
    fn skip_ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b',') => self.pos += 1,
                Some(b';') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(b'#') if self.bytes.get(self.pos + 1) == Some(&b'_') => {
                    if self.discarding > MAX_DEPTH {
                        return Err(self.error(format!(
                            "more than {MAX_DEPTH} nested `#_` discards are not supported"
                        )));
                    }
                    self.pos += 2;
                    self.discarding += 1;
                    self.skip_ws()?;
                    if self.peek().is_none() {
                        return Err(self.error("`#_` must be followed by a form to discard"));
                    }
                    self.parse_value(self.discarding)?;
                    self.discarding -= 1;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Parses one op map into an event, checking its fields.
    fn parse_event(&mut self) -> Result<Event, ParseError> {
        let start = self.pos;
        // Jepsen 0.3 writes ops as records: `#jepsen.history.Op{...}`.
        if self.peek() == Some(b'#')
            && self
                .bytes
                .get(self.pos + 1)
                .is_some_and(|b| b.is_ascii_alphabetic())
        {
            self.pos += 1;
            self.token();
            self.skip_ws()?;
        }
        if self.peek() != Some(b'{') {
            let what = self.describe_here();
            return Err(self.error(format!("expected an op map like `{{:process 0, :type :invoke, :f :read, :value nil}}`, found {what}")));
        }
        self.pos += 1;
        let mut b = EventBuilder::new();
        let mut seen: Vec<Value> = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                None => {
                    return Err(self.error_at(start, "this op map is never closed (missing `}`)"))
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {}
            }
            let key_at = self.pos;
            let key = self.parse_value(1)?;
            self.skip_ws()?;
            if matches!(self.peek(), None | Some(b'}')) {
                return Err(self.error_at(
                    key_at,
                    format!("the key {key} has no value (a map needs key-value pairs)"),
                ));
            }
            let value_at = self.pos;
            let value = self.parse_value(1)?;
            if seen.contains(&key) {
                return Err(
                    self.error_at(key_at, format!("the key {key} appears twice in this map"))
                );
            }
            seen.push(key.clone());
            let name = match &key {
                Value::Keyword(k) => k.as_str(),
                _ => "",
            };
            match name {
                "process" => {
                    b.process = Some(match value {
                        Value::Int(p) => Process::Client(p),
                        Value::Keyword(n) => Process::Named(n),
                        Value::Str(n) => Process::Str(n),
                        other => {
                            return Err(self.error_at(
                                value_at,
                                format!("`:process` must be an integer, a keyword such as `:nemesis` or a string such as `\"c1\"`, not {other}"),
                            ))
                        }
                    })
                }
                "type" => {
                    let kind = match &value {
                        Value::Keyword(k) => EventType::from_name(k),
                        _ => None,
                    };
                    match kind {
                        Some(kind) => b.kind = Some(kind),
                        None => {
                            return Err(self.error_at(
                                value_at,
                                format!("`:type` must be :invoke, :ok, :fail or :info, not {value}"),
                            ))
                        }
                    }
                }
                "f" => match value {
                    Value::Keyword(f) | Value::Str(f) | Value::Symbol(f) => b.f = Some(f),
                    other => {
                        return Err(self.error_at(value_at, format!("`:f` must be a keyword such as `:read`, not {other}")))
                    }
                },
                "key" => b.key = Some(value),
                "value" => b.value = value,
                "time" if matches!(value, Value::Int(_)) => b.time_ns = value.as_int(),
                "index" if matches!(value, Value::Int(_)) => b.index = value.as_int(),
                _ => b.extra.push((key, value)),
            }
        }
        b.build().map_err(|m| self.error_at(start, m))
    }

    /// A short description of what is at the current position, for errors.
    fn describe_here(&self) -> String {
        match self.peek() {
            None => "the end of the file".into(),
            Some(_) => {
                let rest = &self.text[self.pos..];
                let snippet: String = rest.chars().take_while(|c| *c != '\n').take(24).collect();
                format!("`{snippet}`")
            }
        }
    }

    /// Reads a token: the bytes up to the next delimiter.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !is_token_byte(c) {
                break;
            }
            self.pos += 1;
        }
        // Delimiters are ASCII, so this slice is on character boundaries.
        &self.text[start..self.pos]
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "values nested deeper than {MAX_DEPTH} levels are not supported"
            )));
        }
        self.skip_ws()?;
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error("expected a value, found the end of the file"));
        };
        match c {
            b'[' => Ok(Value::Vector(self.parse_seq(b']', depth)?)),
            b'(' => Ok(Value::List(self.parse_seq(b')', depth)?)),
            b'{' => {
                let items = self.parse_seq(b'}', depth)?;
                if items.len() % 2 != 0 {
                    return Err(self.error_at(
                        start,
                        "this map has an odd number of forms (a map needs key-value pairs)",
                    ));
                }
                let mut entries = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
            b'"' => self.parse_string().map(Value::Str),
            b'#' => self.parse_dispatch(depth),
            b':' => {
                self.pos += 1;
                let name = self.token();
                if name.is_empty() {
                    return Err(self.error_at(start, "a keyword needs a name after `:`"));
                }
                Ok(Value::Keyword(name.to_owned()))
            }
            b'\\' => self.parse_char(),
            b')' | b']' | b'}' => Err(self.error(format!(
                "unexpected `{}` with nothing open to close",
                c as char
            ))),
            _ => {
                let token = self.token();
                if token.is_empty() {
                    return Err(self.error(format!("unexpected `{}`", c as char)));
                }
                self.parse_atom(token, start)
            }
        }
    }

    fn parse_seq(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, ParseError> {
        let open_at = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                None => {
                    return Err(self.error_at(
                        open_at,
                        format!("this `{}` is never closed", self.bytes[open_at] as char),
                    ))
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(c @ (b')' | b']' | b'}')) => {
                    return Err(self.error(format!(
                        "expected `{}` but found `{}`",
                        close as char, c as char
                    )))
                }
                Some(_) => items.push(self.parse_value(depth + 1)?),
            }
        }
    }

    fn parse_dispatch(&mut self, depth: usize) -> Result<Value, ParseError> {
        let start = self.pos;
        match self.bytes.get(self.pos + 1) {
            Some(b'{') => {
                self.pos += 1;
                Ok(Value::Set(self.parse_seq(b'}', depth)?))
            }
            Some(b'#') => {
                self.pos += 2;
                let token = self.token();
                match token {
                    "NaN" => Ok(Value::Float(Float(f64::NAN))),
                    "Inf" => Ok(Value::Float(Float(f64::INFINITY))),
                    "-Inf" => Ok(Value::Float(Float(f64::NEG_INFINITY))),
                    _ => Err(self.error_at(
                        start,
                        format!(
                            "unknown symbolic value `##{token}` (EDN has ##NaN, ##Inf and ##-Inf)"
                        ),
                    )),
                }
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.pos += 1;
                self.token();
                self.skip_ws()?;
                if self.peek().is_none() {
                    return Err(self.error_at(start, "a tag must be followed by a value"));
                }
                // A tagged value keeps its value; the tag itself is dropped.
                self.parse_value(depth + 1)
            }
            _ => Err(self.error(format!(
                "unexpected `#`{}",
                match self.bytes.get(self.pos + 1) {
                    Some(b'"') => " (regular expressions are not supported)",
                    _ => "",
                }
            ))),
        }
    }

    fn parse_atom(&self, token: &str, start: usize) -> Result<Value, ParseError> {
        match token {
            "nil" => return Ok(Value::Nil),
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            _ => {}
        }
        let b = token.as_bytes();
        let numeric = b[0].is_ascii_digit()
            || (matches!(b[0], b'+' | b'-') && b.get(1).is_some_and(u8::is_ascii_digit));
        if !numeric {
            return Ok(Value::Symbol(token.to_owned()));
        }
        let is_float = token.contains(['.', 'e', 'E']) || token.ends_with('M');
        if is_float {
            let digits = token.strip_suffix('M').unwrap_or(token);
            match digits.parse::<f64>() {
                Ok(x)
                    if digits.bytes().all(|c| {
                        c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E')
                    }) =>
                {
                    Ok(Value::Float(Float(x)))
                }
                _ => Err(self.error_at(start, format!("`{token}` is not a number"))),
            }
        } else {
            let digits = token.strip_suffix('N').unwrap_or(token);
            if digits.contains('/') {
                return Err(
                    self.error_at(start, format!("ratios such as `{token}` are not supported"))
                );
            }
            let digits = digits.strip_prefix('+').unwrap_or(digits);
            match digits.parse::<i64>() {
                Ok(i) => Ok(Value::Int(i)),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                    ) =>
                {
                    Err(self.error_at(
                        start,
                        format!("the integer `{token}` does not fit in 64 bits"),
                    ))
                }
                Err(_) => Err(self.error_at(start, format!("`{token}` is not a number"))),
            }
        }
    }

    fn parse_string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => {
                    return Err(self.error_at(start, "this string is never closed (missing `\"`)"))
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => {
                    let esc_at = self.pos;
                    self.pos += 1;
                    let Some(c) = self.peek() else {
                        return Err(
                            self.error_at(start, "this string is never closed (missing `\"`)")
                        );
                    };
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => out.push(self.parse_unicode_escape(esc_at)?),
                        _ => {
                            return Err(self.error_at(
                                esc_at,
                                "unknown escape in string (use \\\" \\\\ \\n \\t \\r or \\uXXXX)",
                            ))
                        }
                    }
                }
            }
        }
    }

    fn parse_unicode_escape(&mut self, esc_at: usize) -> Result<char, ParseError> {
        let hex = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        let code = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
        match code.and_then(char::from_u32) {
            Some(ch) if hex.is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) => {
                self.pos += 4;
                Ok(ch)
            }
            _ => Err(self.error_at(
                esc_at,
                "`\\u` must be followed by four hex digits of a valid character",
            )),
        }
    }

    /// A character literal (`\a`, `\newline`, `\u0041`), read as a one-character string.
    fn parse_char(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let Some(first) = self.text[self.pos..].chars().next() else {
            return Err(self.error_at(start, "a character literal needs a character after `\\`"));
        };
        self.pos += first.len_utf8();
        let rest_start = self.pos;
        while let Some(c) = self.peek() {
            if !is_token_byte(c) {
                break;
            }
            self.pos += 1;
        }
        let name = &self.text[rest_start - first.len_utf8()..self.pos];
        let ch = match name {
            "newline" => '\n',
            "space" => ' ',
            "tab" => '\t',
            "return" => '\r',
            "formfeed" => '\u{c}',
            "backspace" => '\u{8}',
            n if n.chars().count() == 1 => first,
            n if n.len() == 5 && n.starts_with('u') => {
                match u32::from_str_radix(&n[1..], 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    Some(c) => c,
                    None => {
                        return Err(
                            self.error_at(start, format!("unknown character literal `\\{n}`"))
                        )
                    }
                }
            }
            n => return Err(self.error_at(start, format!("unknown character literal `\\{n}`"))),
        };
        Ok(Value::Str(ch.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_vector_of_maps_with_comments() {
        let h = parse_history(
            "; a comment\n[{:process 0, :type :invoke, :f :write, :value 3}\n ; why\n {:process 0 :type :ok :f :write :value 3 :error [:x nil]}]\n",
        )
        .unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h.events[1].kind, EventType::Ok);
        assert_eq!(
            h.events[1].extra_field("error"),
            Some(&Value::Vector(vec![Value::keyword("x"), Value::Nil]))
        );
    }

    #[test]
    fn reads_one_map_per_line_and_lists() {
        let h = parse_history("{:process :nemesis, :type :info, :f :start, :value \"cut \\\"n1\\\"\"}\n{:process 2, :type :invoke, :f :cas, :key \"k\", :value [1 2], :time 17}\n").unwrap();
        assert_eq!(h.events[0].process, Process::nemesis());
        assert_eq!(h.events[0].value, Value::from("cut \"n1\""));
        assert_eq!(h.events[1].key, Some(Value::from("k")));
        assert_eq!(h.events[1].time_ns, Some(17));
        let h = parse_history("({:process 1 :type :invoke :f :read :value nil})").unwrap();
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn accepts_records_tags_sets_and_symbols() {
        let h = parse_history(
            "#jepsen.history.Op{:index 0, :time 5, :type :invoke, :process 0, :f :read, :value #{1 2}, :at #inst \"2020-01-01\", :s foo/bar, :n -2.5e3, :b 7N, #_ :skipped #_ 1 :c \\a}",
        )
        .unwrap();
        let e = &h.events[0];
        assert_eq!(e.index, Some(0));
        assert_eq!(e.value, Value::Set(vec![1.into(), 2.into()]));
        assert_eq!(e.extra_field("at"), Some(&Value::from("2020-01-01")));
        assert_eq!(e.extra_field("s"), Some(&Value::Symbol("foo/bar".into())));
        assert_eq!(e.extra_field("n"), Some(&Value::Float(Float(-2500.0))));
        assert_eq!(e.extra_field("b"), Some(&Value::Int(7)));
        assert_eq!(e.extra_field("c"), Some(&Value::from("a")));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_history("{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :bogus, :f :read}\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 20), "{e}");
        assert!(e.message.contains(":invoke, :ok, :fail or :info"), "{e}");
        let e = parse_history("[{:process 0, :type :invoke, :f :read, :value [1 2}]").unwrap_err();
        assert_eq!((e.line, e.column), (1, 51), "{e}");
        let e = parse_history("{:process 0, :type :invoke, :value 1}").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.message.contains(":f")),
            (1, 1, true),
            "{e}"
        );
        let e = parse_history("{:process 0, :type :ok, :f :read, :value \"abc").unwrap_err();
        assert_eq!((e.line, e.column), (1, 42), "{e}");
        let e = parse_history("{:process 1.5, :type :ok, :f :read}").unwrap_err();
        assert!(e.message.contains("an integer, a keyword"), "{e}");
        assert!(parse_history(&"[".repeat(100_000)).is_err());
        assert!(parse_history("{:process 99999999999999999999, :type :ok, :f :read}").is_err());
    }

    #[test]
    fn gives_each_event_its_position() {
        let text = "; c\n[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value 1}]";
        let (h, pos) = parse_history_with_positions(text).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(pos, vec![(2, 2), (3, 2)]);
    }

    #[test]
    fn parses_initial_values() {
        assert_eq!(parse_value(" 0 ").unwrap(), Value::Int(0));
        assert_eq!(parse_value("nil").unwrap(), Value::Nil);
        assert_eq!(
            parse_value("{:x 0 :y 0}").unwrap(),
            Value::Map(vec![
                (Value::keyword("x"), 0.into()),
                (Value::keyword("y"), 0.into())
            ])
        );
        assert!(parse_value("{:x}").is_err());
        assert!(parse_value("1 2").is_err());
        assert!(parse_value("").is_err());
    }

    #[test]
    fn processes_may_be_integers_keywords_or_strings() {
        let text = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process :c1, :type :invoke, :f :read, :value nil}\n{:process \"c2\", :type :invoke, :f :read, :value nil}\n";
        let h = parse_history(text).unwrap();
        assert_eq!(h.events[0].process, Process::Client(0));
        assert_eq!(h.events[1].process, Process::Named("c1".into()));
        assert_eq!(h.events[2].process, Process::Str("c2".into()));
        assert_eq!(write_history(&h), text);
    }

    #[test]
    fn writes_what_it_reads() {
        let text = "{:index 3, :time 10, :process 1, :type :ok, :f :cas, :key \"k\", :value [1 2], :error :timed-out}\n";
        let h = parse_history(text).unwrap();
        assert_eq!(write_history(&h), text);
    }
}
