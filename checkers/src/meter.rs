//! The memory meter: real bytes held by one check, against its limit.
//!
//! A counting global allocator would measure exactly, but a library must
//! not choose the program's allocator. Instead each structure the check
//! owns (the history's copy of ops, the search's cache and interned
//! states with their heap parts) reports its size here as it grows, and a
//! table about to double reserves its new size *before* it grows, since the
//! old and the new table are both alive while it rehashes.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes held by one check, shared by the parts checked in parallel.
#[derive(Debug)]
pub(crate) struct Meter {
    limit: Option<u64>,
    used: AtomicU64,
}

impl Meter {
    pub fn new(limit: Option<u64>) -> Self {
        Meter {
            limit,
            used: AtomicU64::new(0),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Takes `bytes` if they fit under the limit; false (and nothing taken) if not.
    pub fn try_reserve(&self, bytes: u64) -> bool {
        let now = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if self.limit.is_some_and(|limit| now > limit) {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
            false
        } else {
            true
        }
    }

    /// Gives back bytes taken earlier.
    pub fn release(&self, bytes: u64) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Bytes a hashbrown table (std's `HashMap`/`HashSet`) with this
/// `capacity()` allocates: buckets of `entry` bytes plus a control byte
/// each (and a group of spare control bytes).
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> u64 {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        capacity + 1
    } else {
        capacity / 7 * 8
    };
    (buckets * (entry + 1) + 16) as u64
}

/// Bytes of the table a full hashbrown table of this capacity grows into.
pub(crate) fn grown_table_bytes(capacity: usize, entry: usize) -> u64 {
    let buckets = if capacity < 8 {
        capacity + 1
    } else {
        capacity / 7 * 8
    };
    let grown = (buckets * 2).max(4);
    let grown_capacity = if grown < 8 { grown - 1 } else { grown / 8 * 7 };
    table_bytes(grown_capacity, entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn reservations_stop_at_the_limit() {
        let m = Meter::new(Some(100));
        assert!(m.try_reserve(60));
        assert!(!m.try_reserve(41));
        assert!(m.try_reserve(40));
        m.release(100);
        assert!(m.try_reserve(100));
    }

    #[test]
    fn table_sizes_follow_hashbrown() {
        let mut s: HashSet<u64> = HashSet::new();
        let mut last = s.capacity();
        for i in 0..100_000u64 {
            if s.len() == s.capacity() {
                let predicted = grown_table_bytes(s.capacity(), 8);
                s.insert(i);
                assert_eq!(table_bytes(s.capacity(), 8), predicted, "at {i}");
            } else {
                s.insert(i);
            }
            assert!(s.capacity() >= last);
            last = s.capacity();
        }
    }
}
