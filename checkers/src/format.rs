//! Reading and writing history files: format detection and errors that name
//! the file, line and column.

use crate::history::{Event, EventType, History, Process};
use crate::value::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Reading the file would pass the memory or time limit: it was
    /// refused (the history is not malformed; the budget is too small).
    #[error("{}: {reason}", path.display())]
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit, and how far reading got.
        reason: String,
    },
}

/// Limits on reading a history file: what [`read_history_file_limited`]
/// may hold in memory (the text and the events parsed so far) and until when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most bytes the text and the parsed events may take. `None`: no limit.
    pub memory_limit_bytes: Option<u64>,
    /// When to give up. `None`: never.
    pub deadline: Option<Instant>,
}

/// Why a guarded parse stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    Parse(ParseError),
    Limit(String),
}

impl From<ParseError> for Stop {
    fn from(e: ParseError) -> Self {
        Stop::Parse(e)
    }
}

/// Events parsed between looks at the clock.
const GUARD_EVERY: usize = 1024;

/// Counts what a parse holds, and stops it at the limits.
#[derive(Debug)]
pub(crate) struct ReadGuard {
    limits: ReadLimits,
    /// Bytes held besides the events: the text.
    base_bytes: u64,
    /// Heap bytes of the events parsed so far.
    heap_bytes: u64,
    /// Events counted so far.
    counted: usize,
}

impl ReadGuard {
    pub fn unlimited() -> Self {
        ReadGuard::new(ReadLimits::default(), 0)
    }

    pub fn new(limits: ReadLimits, base_bytes: u64) -> Self {
        ReadGuard {
            limits,
            base_bytes,
            heap_bytes: 0,
            counted: 0,
        }
    }

    /// Counts the newest event; stops the parse past a limit.
    pub fn add(&mut self, events: &[Event]) -> Result<(), Stop> {
        if let Some(e) = events.last() {
            self.heap_bytes += e.approx_heap_bytes();
        }
        self.counted += 1;
        if self.counted % GUARD_EVERY != 0 {
            return Ok(());
        }
        if let Some(limit) = self.limits.memory_limit_bytes {
            // The events vector may double while the text is still held.
            let vector = (events.len() * 2 * std::mem::size_of::<Event>()) as u64;
            let held = self.base_bytes + self.heap_bytes + vector + events.len() as u64 * 24;
            if held > limit {
                return Err(Stop::Limit(format!(
                    "reading the history would take more than the memory limit of {} (refused after {} events)",
                    crate::search::human_bytes(limit),
                    events.len()
                )));
            }
        }
        if let Some(deadline) = self.limits.deadline {
            if Instant::now() >= deadline {
                return Err(Stop::Limit(format!(
                    "the time limit ran out while reading the history (after {} events)",
                    events.len()
                )));
            }
        }
        Ok(())
    }
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
    read_history_file_limited(path, ReadLimits::default())
}

/// Like [`read_history_file_with_positions`], within limits: a file whose
/// text alone is over the memory limit is refused before it is read, and
/// the parse stops as soon as the events it holds pass the limit or the
/// deadline passes ([`ReadError::Limit`]).
pub fn read_history_file_limited(
    path: impl AsRef<Path>,
    limits: ReadLimits,
) -> Result<(History, Vec<(usize, usize)>), ReadError> {
    let path = path.as_ref();
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if let Some(limit) = limits.memory_limit_bytes {
        if size > limit {
            return Err(ReadError::Limit {
                path: path.to_owned(),
                reason: format!(
                    "the history file is {}, more than the memory limit of {}; it was not read",
                    crate::search::human_bytes(size),
                    crate::search::human_bytes(limit)
                ),
            });
        }
    }
    let bytes = read_bytes(path, size, limits.deadline).map_err(|e| match e {
        Some(source) => io(source),
        None => ReadError::Limit {
            path: path.to_owned(),
            reason: "the time limit ran out while reading the history file".into(),
        },
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
    let mut guard = ReadGuard::new(limits, text.len() as u64);
    let parsed = match format {
        HistoryFormat::Edn => crate::edn::parse_limited(&text, &mut guard),
        HistoryFormat::Jsonl => crate::jsonl::parse_limited(&text, &mut guard),
    };
    parsed.map_err(|stop| match stop {
        Stop::Parse(error) => ReadError::Parse {
            path: path.to_owned(),
            error,
        },
        Stop::Limit(reason) => ReadError::Limit {
            path: path.to_owned(),
            reason,
        },
    })
}

/// Reads a file in chunks, looking at the deadline between them. `None`
/// as the error: the deadline passed.
fn read_bytes(
    path: &Path,
    size: u64,
    deadline: Option<Instant>,
) -> Result<Vec<u8>, Option<std::io::Error>> {
    use std::io::Read;
    const CHUNK: usize = 4 << 20;
    let mut file = std::fs::File::open(path).map_err(Some)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    loop {
        let read = (&mut file)
            .take(CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(Some)?;
        if read == 0 {
            return Ok(bytes);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(None);
        }
    }
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
