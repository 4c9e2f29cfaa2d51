//! Reading and writing history files: format detection and errors that name
//! the file, line and column.

use crate::history::{Event, EventType, History, Process};
use crate::value::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// A history that could not be parsed: where and why.
///
/// Lines and columns count from 1; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    /// Line of the offending text, from 1.
    pub line: usize,
    /// Column of the offending text, from 1, in characters.
    pub column: usize,
    /// What is wrong, and what to write instead where that helps.
    pub message: String,
}

/// The 1-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The formats a history file can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFormat {
    /// Jepsen's EDN: one vector (or list) of maps, or one map per line.
    Edn,
    /// JSON Lines: one JSON object per event, as described in [`crate::jsonl`].
    Jsonl,
}

impl HistoryFormat {
    /// The format a file name implies: `.edn` is EDN, `.jsonl`, `.ndjson` and
    /// `.json` are JSON Lines. `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "edn" => Some(HistoryFormat::Edn),
            "jsonl" | "ndjson" | "json" => Some(HistoryFormat::Jsonl),
            _ => None,
        }
    }

    /// Guesses the format from the text: a JSON object starts `{"`, an EDN
    /// map starts `{:`; anything else is taken as EDN.
    pub fn sniff(text: &str) -> Self {
        let mut chars = text.chars().filter(|c| !c.is_whitespace() && *c != ',');
        match (chars.next(), chars.next()) {
            (Some('{'), Some('"')) => HistoryFormat::Jsonl,
            _ => HistoryFormat::Edn,
        }
    }
}

/// A history file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file's contents are not a history.
    #[error("{}:{}:{}: {}", path.display(), error.line, error.column, error.message)]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and why.
        error: ParseError,
    },
}

/// Reads a history file, EDN or JSON Lines, choosing the format from the
/// extension (`.edn`, `.jsonl`) or, failing that, from the contents. Errors
/// name the file, line and column.
pub fn read_history_file(path: impl AsRef<Path>) -> Result<History, ReadError> {
    read_history_file_with_positions(path).map(|(h, _)| h)
}

/// Like [`read_history_file`], and gives each event's line and column in
/// the file, so errors found later (a double invoke, an op the model cannot
/// read) can name them.
pub fn read_history_file_with_positions(
    path: impl AsRef<Path>,
) -> Result<(History, Vec<(usize, usize)>), ReadError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let (line, column) = line_column(&prefix, prefix.len());
            return Err(ReadError::Parse {
                path: path.to_owned(),
                error: ParseError {
                    line,
                    column,
                    message: "the file is not valid UTF-8".into(),
                },
            });
        }
    };
    let format = HistoryFormat::from_path(path).unwrap_or_else(|| HistoryFormat::sniff(&text));
    let parsed = match format {
        HistoryFormat::Edn => crate::edn::parse_history_with_positions(&text),
        HistoryFormat::Jsonl => crate::jsonl::parse_history_with_positions(&text),
    };
    parsed.map_err(|error| ReadError::Parse {
        path: path.to_owned(),
        error,
    })
}

/// Parses history text in the given format.
pub fn parse_history_as(text: &str, format: HistoryFormat) -> Result<History, ParseError> {
    match format {
        HistoryFormat::Edn => crate::edn::parse_history(text),
        HistoryFormat::Jsonl => crate::jsonl::parse_history(text),
    }
}

/// Writes a history file in the format its extension names (EDN unless it
/// ends in `.jsonl`, `.ndjson` or `.json`).
pub fn write_history_file(path: impl AsRef<Path>, history: &History) -> std::io::Result<()> {
    let path = path.as_ref();
    let text = match HistoryFormat::from_path(path) {
        Some(HistoryFormat::Jsonl) => crate::jsonl::write_history(history),
        _ => crate::edn::write_history(history),
    };
    std::fs::write(path, text)
}

/// Builds an [`Event`] from the fields of one map. Shared by the EDN and
/// JSONL readers so both accept and reject the same things.
pub(crate) struct EventBuilder {
    pub process: Option<Process>,
    pub kind: Option<EventType>,
    pub f: Option<String>,
    pub key: Option<Value>,
    pub value: Value,
    pub time_ns: Option<i64>,
    pub index: Option<i64>,
    pub extra: Vec<(Value, Value)>,
}

impl EventBuilder {
    pub fn new() -> Self {
        EventBuilder {
            process: None,
            kind: None,
            f: None,
            key: None,
            value: Value::Nil,
            time_ns: None,
            index: None,
            extra: Vec::new(),
        }
    }

    /// Finishes the event, or says which required field is missing.
    pub fn build(self) -> Result<Event, String> {
        let Some(process) = self.process else {
            return Err(
                "this op has no :process (write `:process 0` or `:process :nemesis`)".into(),
            );
        };
        let Some(kind) = self.kind else {
            return Err(
                "this op has no :type (write `:type :invoke`, `:ok`, `:fail` or `:info`)".into(),
            );
        };
        let Some(f) = self.f else {
            return Err("this op has no :f (write e.g. `:f :read`)".into());
        };
        Ok(Event {
            process,
            kind,
            f,
            key: self.key,
            value: self.value,
            time_ns: self.time_ns,
            index: self.index,
            extra: self.extra,
        })
    }
}

impl Default for EventBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EventBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBuilder").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\ncé\nxyz";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 7), (3, 1));
    }

    #[test]
    fn sniffs_json_and_edn() {
        assert_eq!(
            HistoryFormat::sniff("  {\"process\": 0}"),
            HistoryFormat::Jsonl
        );
        assert_eq!(HistoryFormat::sniff("{:process 0}"), HistoryFormat::Edn);
        assert_eq!(HistoryFormat::sniff("[{:process 0}]"), HistoryFormat::Edn);
    }
}
