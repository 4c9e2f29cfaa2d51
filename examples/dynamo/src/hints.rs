//! Hinted handoff: the hints a node keeps for replicas that missed writes,
//! their expiry past the hint window, and the throttle on their replay.
//!
//! A hint is a write (key and versioned value) addressed to the replica that
//! missed it. Hints are durable (synced before the write that created them
//! is acknowledged) and replayed oldest first, at most
//! `hint_replay_rate_per_s` per second per holding node, through a token
//! bucket refilled on every replay tick. A hint leaves the store when its
//! target acknowledges it (replayed), when it grows older than the hint
//! window (expired), or when the `drop-hints` fault wipes the store (lost).

use crate::lww::Cell;
use serde::{Deserialize, Serialize};
use shakedown_sim::{NodeId, Storage};
use std::collections::BTreeMap;

const HINT_PREFIX: &str = "hint/";
const NEXT_ID_KEY: &str = "hints/next-id";

/// One hint: a write its target has not acknowledged yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hint {
    /// The replica the write is for.
    pub target: NodeId,
    /// The key (see [`crate::key_text`]).
    pub key: String,
    /// The versioned value.
    pub cell: Cell,
    /// When the holder stored it, on the holder's clock, in ns.
    pub created_ns: i64,
}

/// Counters of one node's hints since it started (they are volatile: a
/// restart resets them; the hints themselves are durable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HintStats {
    /// Hints stored.
    pub written: u64,
    /// Hints acknowledged by their target and removed.
    pub replayed: u64,
    /// Stored hints dropped because they grew older than the hint window.
    pub expired: u64,
    /// Hints never written because their target had been down for longer
    /// than the hint window.
    pub refused: u64,
    /// Hints lost to the `drop-hints` fault.
    pub lost: u64,
}

/// The hints one node holds. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct HintStore {
    hints: BTreeMap<u64, Hint>,
    next_id: u64,
    /// Hint id -> local time (ns) after which it may be sent again.
    in_flight: BTreeMap<u64, i64>,
    tokens: f64,
    last_refill_ns: Option<i64>,
    /// Counters since start.
    pub stats: HintStats,
}

impl HintStore {
    /// The hints in `storage` (after a restart: those synced before it).
    /// Undecodable entries are skipped rather than trusted.
    pub fn load(storage: &Storage) -> Self {
        let mut hints = BTreeMap::new();
        for (key, bytes) in storage.scan_prefix(HINT_PREFIX) {
            let id = key[HINT_PREFIX.len()..].parse::<u64>();
            let hint = serde_json::from_slice::<Hint>(bytes);
            if let (Ok(id), Ok(hint)) = (id, hint) {
                hints.insert(id, hint);
            }
        }
        let stored_next = storage
            .get_json::<u64>(NEXT_ID_KEY)
            .ok()
            .flatten()
            .unwrap_or(0);
        let next_id = stored_next.max(hints.keys().next_back().map_or(0, |k| k + 1));
        HintStore {
            hints,
            next_id,
            ..HintStore::default()
        }
    }

    /// Number of hints held.
    pub fn depth(&self) -> usize {
        self.hints.len()
    }

    /// Number of hints held for `target`.
    pub fn depth_for(&self, target: NodeId) -> usize {
        self.hints.values().filter(|h| h.target == target).count()
    }

    /// The hints held, by id (oldest first).
    pub fn hints(&self) -> impl Iterator<Item = (u64, &Hint)> {
        self.hints.iter().map(|(id, h)| (*id, h))
    }

    /// Stores a hint durably and returns its id.
    pub fn add(&mut self, storage: &mut Storage, hint: Hint) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        // A hint that cannot be encoded cannot be kept; `Cell` and `NodeId`
        // always encode, so this only guards against a future change.
        if storage.put_json(hint_key(id), &hint).is_ok()
            && storage.put_json(NEXT_ID_KEY, &self.next_id).is_ok()
        {
            storage.sync();
            self.hints.insert(id, hint);
            self.stats.written += 1;
        }
        id
    }

    /// The target acknowledged hint `id`: remove it. False if it was already
    /// gone (a duplicate acknowledgement).
    pub fn acknowledged(&mut self, storage: &mut Storage, id: u64) -> bool {
        self.in_flight.remove(&id);
        if self.hints.remove(&id).is_some() {
            storage.delete(&hint_key(id));
            storage.sync();
            self.stats.replayed += 1;
            true
        } else {
            false
        }
    }

    /// Drops every hint created more than `window_ms` ago (on this node's
    /// clock). Returns how many.
    pub fn expire(&mut self, storage: &mut Storage, now_ns: i64, window_ms: u64) -> usize {
        let window_ns = i64::try_from(window_ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
        let doomed: Vec<u64> = self
            .hints
            .iter()
            .filter(|(_, h)| now_ns.saturating_sub(h.created_ns) > window_ns)
            .map(|(id, _)| *id)
            .collect();
        for id in &doomed {
            self.hints.remove(id);
            self.in_flight.remove(id);
            storage.delete(&hint_key(*id));
        }
        if !doomed.is_empty() {
            storage.sync();
            self.stats.expired += doomed.len() as u64;
        }
        doomed.len()
    }

    /// Loses every hint (the `drop-hints` fault). Returns how many.
    pub fn drop_all(&mut self, storage: &mut Storage) -> usize {
        let n = self.hints.len();
        for id in self.hints.keys() {
            storage.delete(&hint_key(*id));
        }
        storage.sync();
        self.hints.clear();
        self.in_flight.clear();
        self.stats.lost += n as u64;
        n
    }

    /// Adds tokens for the time since the last refill at `rate_per_s`. The
    /// bucket holds at most one tick's worth plus one token (the fraction
    /// carried between ticks), so a node that had nothing to send does not
    /// burst afterwards.
    pub fn refill(&mut self, now_ns: i64, rate_per_s: f64, tick_ms: u64) {
        let cap = rate_per_s * tick_ms as f64 / 1000.0 + 1.0;
        if let Some(last) = self.last_refill_ns {
            // A clock bumped backwards adds nothing; one bumped forwards is
            // capped like any long gap.
            let dt_ns = now_ns.saturating_sub(last).max(0);
            self.tokens = (self.tokens + rate_per_s * dt_ns as f64 / 1e9).min(cap);
        }
        self.last_refill_ns = Some(now_ns);
    }

    /// Empties the token bucket (a throttle starts from nothing saved).
    pub fn clear_tokens(&mut self) {
        self.tokens = 0.0;
    }

    /// Takes hints to send now: oldest first, only to targets `is_up`
    /// says are reachable, skipping hints already in flight (unless their
    /// resend time has passed), one token each.
    pub fn take_due(
        &mut self,
        now_ns: i64,
        resend_after_ns: i64,
        mut is_up: impl FnMut(NodeId) -> bool,
    ) -> Vec<(u64, Hint)> {
        let mut due = Vec::new();
        for (id, hint) in &self.hints {
            if self.tokens < 1.0 {
                break;
            }
            if self
                .in_flight
                .get(id)
                .is_some_and(|resend_at| now_ns < *resend_at)
                || !is_up(hint.target)
            {
                continue;
            }
            self.tokens -= 1.0;
            self.in_flight
                .insert(*id, now_ns.saturating_add(resend_after_ns));
            due.push((*id, hint.clone()));
        }
        due
    }
}

fn hint_key(id: u64) -> String {
    format!("{HINT_PREFIX}{id:020}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lww::Version;
    use shakedown_checkers::Value;

    fn hint(target: u32, v: i64, created_ns: i64) -> Hint {
        Hint {
            target: NodeId(target),
            key: "k".into(),
            cell: Cell {
                value: Value::Int(v),
                version: Version {
                    ts_ns: created_ns,
                    node: 0,
                    seq: v as u64,
                },
            },
            created_ns,
        }
    }

    #[test]
    fn hints_are_durable_and_survive_reload() {
        let mut s = Storage::new();
        let mut store = HintStore::load(&s);
        let a = store.add(&mut s, hint(1, 1, 0));
        let b = store.add(&mut s, hint(2, 2, 0));
        assert!(
            s.is_synced(),
            "a hint must be synced before the write is acknowledged"
        );
        let again = HintStore::load(&s);
        assert_eq!(again.depth(), 2);
        assert_eq!(again.depth_for(NodeId(1)), 1);
        assert!(store.acknowledged(&mut s, a));
        assert!(!store.acknowledged(&mut s, a), "duplicate ack");
        let mut again = HintStore::load(&s);
        assert_eq!(again.hints().map(|(id, _)| id).collect::<Vec<_>>(), vec![b]);
        // Ids keep growing after a reload: a new hint never reuses one.
        assert!(again.add(&mut s, hint(1, 3, 0)) > b);
    }

    #[test]
    fn replay_is_throttled_to_the_rate() {
        let mut s = Storage::new();
        let mut store = HintStore::load(&s);
        for v in 0..100 {
            store.add(&mut s, hint(1, v, 0));
        }
        let tick_ms = 50;
        let mut sent = 0;
        // Ten seconds of ticks at 7 hints/s, every hint acknowledged at once.
        for tick in 0..=200i64 {
            let now = tick * tick_ms as i64 * 1_000_000;
            store.refill(now, 7.0, tick_ms);
            for (id, _) in store.take_due(now, 1_000_000_000, |_| true) {
                store.acknowledged(&mut s, id);
                sent += 1;
            }
        }
        assert!((69..=71).contains(&sent), "sent {sent} in 10 s at 7/s");
        assert_eq!(store.depth(), 100 - sent);
        assert_eq!(store.stats.replayed, sent as u64);
    }

    #[test]
    fn nothing_is_sent_to_a_down_target_and_in_flight_hints_wait() {
        let mut s = Storage::new();
        let mut store = HintStore::load(&s);
        store.add(&mut s, hint(1, 1, 0));
        store.add(&mut s, hint(2, 2, 0));
        store.refill(0, 1000.0, 50);
        store.refill(50_000_000, 1000.0, 50);
        let due = store.take_due(50_000_000, 100_000_000, |n| n == NodeId(2));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1.target, NodeId(2));
        store.refill(60_000_000, 1000.0, 50);
        assert!(store
            .take_due(60_000_000, 100_000_000, |_| false)
            .is_empty());
        // Unacknowledged: sent again only after the resend delay.
        let again = store.take_due(60_000_000, 100_000_000, |_| true);
        assert_eq!(
            again.iter().map(|(_, h)| h.target).collect::<Vec<_>>(),
            vec![NodeId(1)]
        );
        store.refill(200_000_000, 1000.0, 50);
        assert_eq!(store.take_due(200_000_000, 100_000_000, |_| true).len(), 2);
    }

    #[test]
    fn hints_older_than_the_window_expire_and_drop_hints_loses_all() {
        let mut s = Storage::new();
        let mut store = HintStore::load(&s);
        store.add(&mut s, hint(1, 1, 0));
        store.add(&mut s, hint(1, 2, 2_000_000_000));
        // Exactly as old as the window: kept.
        assert_eq!(store.expire(&mut s, 2_000_000_000, 2_000), 0);
        // One ns past it: the first hint goes, the younger one stays.
        assert_eq!(store.expire(&mut s, 2_000_000_001, 2_000), 1);
        assert_eq!(store.stats.expired, 1);
        assert_eq!(HintStore::load(&s).depth(), 1, "expiry is durable");
        assert_eq!(store.drop_all(&mut s), 1);
        assert_eq!(store.stats.lost, 1);
        assert_eq!(HintStore::load(&s).depth(), 0);
    }
}
