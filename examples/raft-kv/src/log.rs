//! The replicated log: entries, the commands they carry, and how they are
//! kept in durable storage (`hard` for term and vote, `log/<index>` per entry).

use serde::{Deserialize, Serialize};
use shakedown_checkers::Value;
use shakedown_sim::{RequestId, Storage};

/// What an entry asks the state machine to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// A new leader's first entry, so that it can commit entries of earlier
    /// terms (Raft §5.4.2) and serve reads.
    Noop,
    /// Set `key` to `value`.
    Write {
        /// The key (`None`: the single unkeyed register).
        #[serde(with = "shakedown_sim::wire::opt_value")]
        key: Option<Value>,
        /// The value.
        #[serde(with = "shakedown_sim::wire::value")]
        value: Value,
    },
    /// Set `key` to `new` if it holds `expected`.
    Cas {
        /// The key.
        #[serde(with = "shakedown_sim::wire::opt_value")]
        key: Option<Value>,
        /// What the key must hold.
        #[serde(with = "shakedown_sim::wire::value")]
        expected: Value,
        /// What it becomes.
        #[serde(with = "shakedown_sim::wire::value")]
        new: Value,
    },
    /// Read `key` (the `log` read path).
    Read {
        /// The key.
        #[serde(with = "shakedown_sim::wire::opt_value")]
        key: Option<Value>,
    },
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: u64,
    /// The client request it answers, if any (for deduplication and replies).
    pub req: Option<RequestId>,
    /// What to do.
    pub cmd: Command,
}

/// Term and vote: Raft's persistent state besides the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term this node has seen.
    pub term: u64,
    /// Whom it voted for in that term (a node index).
    pub vote: Option<u32>,
}

const HARD_KEY: &str = "hard";
const LOG_PREFIX: &str = "log/";

fn entry_key(index: u64) -> String {
    format!("log/{index:020}")
}

/// The log in memory, mirrored to storage. Indexes start at 1; index 0 is
/// the empty prefix with term 0.
#[derive(Debug, Default)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Log {
    /// Loads term, vote and log from storage (all empty on first start).
    pub fn load(storage: &Storage) -> (HardState, Log) {
        // Only this module writes these keys, so a decode error is a bug in
        // it, not bad input.
        let hard = storage
            .get_json::<HardState>(HARD_KEY)
            .expect("raft-kv hard state decodes")
            .unwrap_or_default();
        let entries = storage
            .scan_prefix(LOG_PREFIX)
            .map(|(_, bytes)| {
                serde_json::from_slice::<Entry>(bytes).expect("raft-kv entry decodes")
            })
            .collect();
        (hard, Log { entries })
    }

    /// Writes term and vote (durable after the next sync).
    pub fn save_hard(storage: &mut Storage, hard: HardState) {
        storage
            .put_json(HARD_KEY, &hard)
            .expect("hard state encodes");
    }

    /// Index of the last entry (0 when empty).
    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Term of the last entry (0 when empty).
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.term)
    }

    /// Term of the entry at `index`; 0 for index 0, `None` past the end.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(index as usize - 1).map(|e| e.term)
    }

    /// The entry at `index` (from 1).
    pub fn get(&self, index: u64) -> Option<&Entry> {
        index
            .checked_sub(1)
            .and_then(|i| self.entries.get(i as usize))
    }

    /// Entries from `from` (at least 1), at most `max`.
    pub fn slice(&self, from: u64, max: usize) -> &[Entry] {
        let start = (from.max(1) - 1) as usize;
        if start >= self.entries.len() {
            return &[];
        }
        let end = (start + max).min(self.entries.len());
        &self.entries[start..end]
    }

    /// Appends one entry and writes it; returns its index.
    pub fn append(&mut self, storage: &mut Storage, entry: Entry) -> u64 {
        let index = self.last_index() + 1;
        storage
            .put_json(entry_key(index), &entry)
            .expect("entry encodes");
        self.entries.push(entry);
        index
    }

    /// Drops every entry from `index` on, in memory and in storage.
    pub fn truncate_from(&mut self, storage: &mut Storage, index: u64) {
        if index > self.last_index() {
            return;
        }
        storage.delete_prefix_from(LOG_PREFIX, &entry_key(index));
        self.entries.truncate(index.saturating_sub(1) as usize);
    }
}
