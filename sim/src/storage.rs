//! Durable per-node storage: what survives a crash, and what a crash loses.
//!
//! A node's storage behaves like a file system with a page cache. Reads see
//! every write at once; a write becomes durable only when [`Storage::sync`]
//! runs. A crash throws away every write since the last sync, in the order
//! they were made, and keeps everything synced before it. That is exactly the
//! window in which a system that acknowledges before syncing loses data.
//!
//! Keys are strings and order matters: [`Storage::scan_prefix`] walks keys in
//! lexicographic order, so a log stored as `log/00000000000000000042` reads
//! back in index order. Values are bytes; [`Storage::put_json`] and
//! [`Storage::get_json`] store any serde type.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

/// A storage value that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The value under `key` is not valid JSON for the requested type.
    #[error("storage key `{key}`: cannot decode value: {source}")]
    Decode {
        /// The key read.
        key: String,
        /// What serde said.
        source: serde_json::Error,
    },
    /// The value for `key` could not be encoded.
    #[error("storage key `{key}`: cannot encode value: {source}")]
    Encode {
        /// The key written.
        key: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// Durable key-value storage of one node. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Storage {
    /// What reads see: durable state plus unsynced writes.
    view: BTreeMap<String, Vec<u8>>,
    /// What survives a crash.
    durable: BTreeMap<String, Vec<u8>>,
    /// Writes since the last sync, in order (`None` deletes).
    unsynced: Vec<(String, Option<Vec<u8>>)>,
    syncs: u64,
}

impl Storage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value under `key`, including unsynced writes.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.view.get(key).map(Vec::as_slice)
    }

    /// True if `key` has a value (synced or not).
    pub fn contains(&self, key: &str) -> bool {
        self.view.contains_key(key)
    }

    /// Writes `value` under `key`. Not durable until [`Storage::sync`].
    pub fn put(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) {
        let key = key.into();
        let value = value.into();
        self.unsynced.push((key.clone(), Some(value.clone())));
        self.view.insert(key, value);
    }

    /// Deletes `key`. Not durable until [`Storage::sync`].
    pub fn delete(&mut self, key: &str) {
        if self.view.remove(key).is_some() {
            self.unsynced.push((key.to_owned(), None));
        }
    }

    /// Encodes `value` as JSON and writes it under `key` (not yet durable).
    pub fn put_json<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), StorageError> {
        let key = key.into();
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.put(key, bytes);
                Ok(())
            }
            Err(source) => Err(StorageError::Encode { key, source }),
        }
    }

    /// Reads and decodes the JSON value under `key`; `Ok(None)` if absent.
    pub fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StorageError> {
        match self.view.get(key) {
            None => Ok(None),
            Some(bytes) => {
                serde_json::from_slice(bytes)
                    .map(Some)
                    .map_err(|source| StorageError::Decode {
                        key: key.to_owned(),
                        source,
                    })
            }
        }
    }

    /// Every key starting with `prefix`, with its value, in key order.
    pub fn scan_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.view
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Deletes every key starting with `prefix` that sorts at or after `from`
    /// (for truncating a log). Not durable until [`Storage::sync`].
    pub fn delete_prefix_from(&mut self, prefix: &str, from: &str) {
        let doomed: Vec<String> = self
            .scan_prefix(prefix)
            .filter(|(k, _)| *k >= from)
            .map(|(k, _)| k.to_owned())
            .collect();
        for key in doomed {
            self.delete(&key);
        }
    }

    /// Number of keys visible.
    pub fn len(&self) -> usize {
        self.view.len()
    }

    /// True when no key is visible.
    pub fn is_empty(&self) -> bool {
        self.view.is_empty()
    }

    /// Makes every write so far durable (an `fsync`).
    pub fn sync(&mut self) {
        for (key, value) in self.unsynced.drain(..) {
            match value {
                Some(v) => {
                    self.durable.insert(key, v);
                }
                None => {
                    self.durable.remove(&key);
                }
            }
        }
        self.syncs += 1;
    }

    /// True when nothing would be lost by a crash now.
    pub fn is_synced(&self) -> bool {
        self.unsynced.is_empty()
    }

    /// Number of writes a crash now would lose.
    pub fn unsynced_writes(&self) -> usize {
        self.unsynced.len()
    }

    /// How many times [`Storage::sync`] ran.
    pub fn sync_count(&self) -> u64 {
        self.syncs
    }

    /// What a crash does: every unsynced write is lost, synced data is kept.
    pub(crate) fn crash(&mut self) {
        if !self.unsynced.is_empty() {
            self.unsynced.clear();
            self.view = self.durable.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_synced_and_loses_unsynced_writes() {
        let mut s = Storage::new();
        s.put("a", b"1".to_vec());
        s.put("b", b"2".to_vec());
        s.sync();
        s.put("a", b"3".to_vec());
        s.delete("b");
        s.put("c", b"4".to_vec());
        assert_eq!(s.get("a"), Some(&b"3"[..]));
        assert_eq!(s.get("b"), None);
        assert_eq!(s.unsynced_writes(), 3);
        s.crash();
        assert_eq!(s.get("a"), Some(&b"1"[..]));
        assert_eq!(s.get("b"), Some(&b"2"[..]));
        assert_eq!(s.get("c"), None);
        assert!(s.is_synced());
    }

    #[test]
    fn scan_prefix_is_ordered_and_bounded() {
        let mut s = Storage::new();
        for (k, v) in [("log/02", "b"), ("log/01", "a"), ("loh", "x"), ("lo", "y")] {
            s.put(k, v.as_bytes().to_vec());
        }
        let keys: Vec<&str> = s.scan_prefix("log/").map(|(k, _)| k).collect();
        assert_eq!(keys, ["log/01", "log/02"]);
        s.delete_prefix_from("log/", "log/02");
        let keys: Vec<&str> = s.scan_prefix("log/").map(|(k, _)| k).collect();
        assert_eq!(keys, ["log/01"]);
    }

    #[test]
    fn json_round_trip_and_decode_error() {
        let mut s = Storage::new();
        s.put_json("term", &7u64).unwrap();
        assert_eq!(s.get_json::<u64>("term").unwrap(), Some(7));
        assert_eq!(s.get_json::<u64>("nope").unwrap(), None);
        s.put("bad", b"{".to_vec());
        let err = s.get_json::<u64>("bad").unwrap_err();
        assert!(err.to_string().contains("bad"), "{err}");
    }
}
