//! The Wing-Gong-Lowe linearizability search, with memoisation.
//!
//! Operations become entries of a doubly linked list in real-time order: a
//! *call* entry at the invocation and a *return* entry at the completion.
//! The search walks the list. At a call it tries to linearize that op next:
//! if the model allows it and the resulting (linearized set, state) has not
//! been seen before, the op is *lifted* out of the list and the walk
//! restarts. At a return it has met an op that must already have taken
//! effect and has not: it backtracks, *unlifting* the op linearized last
//! and trying the next candidate.
//!
//! `info` ops have no return entry: they may take effect at any point after
//! their call, or never. The history is linearizable once every `ok` op is
//! linearized.
//!
//! The cache of seen configurations keys a state (interned to a number) with
//! a 96-bit fingerprint of the linearized set, updated in O(1) per step
//! (Zobrist hashing), rather than a copy of the set: 16 bytes per entry
//! whatever the history's length. Two different sets collide with
//! probability about 2^-96 per pair of entries, far below any other risk.

use crate::model::Model;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One operation of a part, prepared for the search.
#[derive(Debug, Clone)]
pub(crate) struct PartOp<O> {
    /// Index into the history's client ops.
    pub op: usize,
    /// The model's form of the op.
    pub prepared: O,
    /// Completed `info` (or never): may take effect any time after `inv`, or never.
    pub info: bool,
    /// Position of the invocation (event index).
    pub inv: u32,
    /// Position of the completion (event index); `u32::MAX` for info ops.
    pub ret: u32,
    /// For an info op: the part-op index of the previous info op with the
    /// same `f`, key and value (its *twin*), or [`NO_TWIN`].
    ///
    /// Twins are interchangeable: each has the same effect on every state
    /// and no completion to respect, so any linearization that uses the
    /// later twin can use the earlier one in its place. The search
    /// therefore linearizes a twin only after the twin before it, which
    /// removes a factor of k! from groups of k identical timed-out ops.
    pub twin_before: u32,
}

/// [`PartOp::twin_before`] when there is no earlier twin.
pub(crate) const NO_TWIN: u32 = u32::MAX;

/// What stopped a search, shared by the parts checked in parallel.
pub(crate) struct Limits<'a> {
    pub deadline: Option<Instant>,
    pub time_limit: Option<Duration>,
    pub memory_limit_bytes: Option<u64>,
    pub memory_used_bytes: &'a AtomicU64,
    /// Index of the first part found invalid so far (`usize::MAX`: none).
    /// A search stops once an earlier part is invalid; later parts keep
    /// going, so the part reported is always the first invalid one, however
    /// the threads were scheduled.
    pub first_invalid: &'a AtomicUsize,
    /// Index of the part this search checks.
    pub part: usize,
}

impl Limits<'_> {
    /// True once a part before this one has been found invalid.
    pub fn cancelled(&self) -> bool {
        self.first_invalid.load(Ordering::Relaxed) < self.part
    }
}

/// Why an op cannot be linearized: from the deepest dead end of the search.
#[derive(Debug, Clone)]
pub(crate) struct Failure<S> {
    /// Part-op indices of the longest linearizable prefix, in order.
    pub prefix: Vec<usize>,
    /// Part-op index of the op that could not be linearized after it.
    pub stuck: usize,
    /// Distinct model states reached after prefixes of that length.
    pub states: Vec<S>,
}

/// The outcome of searching one part.
#[derive(Debug, Clone)]
pub(crate) enum SearchResult<S> {
    Valid,
    /// Not linearizable; the failure is present when the search recorded it.
    Invalid(Option<Failure<S>>),
    Unknown(String),
    /// Another part found a violation first.
    Cancelled,
}

/// Most states kept for a counterexample.
const STATES_SHOWN: usize = 8;
/// Loop iterations between looks at the clock and the stop flag.
const CHECK_EVERY: u32 = 1024;
/// Approximate bytes per cached configuration (16-byte key, hash table slack).
const CACHE_ENTRY_BYTES: u64 = 24;

const NIL: u32 = u32::MAX;

/// A hasher for keys that are already well mixed: it keeps the last word.
#[derive(Default)]
pub(crate) struct MixedHasher(u64);

impl Hasher for MixedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

type Fast = BuildHasherDefault<MixedHasher>;

/// A cached configuration: linearized-set fingerprint and interned state.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Config {
    lo: u64,
    hi: u32,
    state: u32,
}

impl Hash for Config {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(
            self.lo
                ^ (u64::from(self.hi) << 32 | u64::from(self.state))
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
    }
}

/// SplitMix64: the per-op random words of the fingerprint, fixed so that
/// every run of the checker does the same work.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Model states, each stored once and named by a number.
struct States<S> {
    all: Vec<S>,
    /// State hash to the newest state with that hash; older ones with the
    /// same hash follow through `same_hash`.
    by_hash: HashMap<u64, u32, Fast>,
    same_hash: Vec<u32>,
}

impl<S: Clone + Eq + Hash> States<S> {
    fn new() -> Self {
        States {
            all: Vec::new(),
            by_hash: HashMap::default(),
            same_hash: Vec::new(),
        }
    }

    /// The state's number, and whether it is new.
    fn intern(&mut self, s: S) -> (u32, bool) {
        let mut h = MixedHasher::default();
        s.hash(&mut h);
        let hash = h.finish();
        let newest = self.by_hash.get(&hash).copied().unwrap_or(NIL);
        let mut id = newest;
        while id != NIL {
            if self.all[id as usize] == s {
                return (id, false);
            }
            id = self.same_hash[id as usize];
        }
        let id = self.all.len() as u32;
        self.all.push(s);
        self.same_hash.push(newest);
        self.by_hash.insert(hash, id);
        (id, true)
    }
}

/// Searches for a linearization of `ops` starting from `init`. With
/// `record`, an invalid result carries the deepest dead end.
pub(crate) fn search<M: Model>(
    model: &M,
    init: M::State,
    ops: &[PartOp<M::Op>],
    limits: &Limits<'_>,
    record: bool,
) -> SearchResult<M::State> {
    let n = ops.len();
    if n == 0 {
        return SearchResult::Valid;
    }
    if n >= (NIL as usize) / 2 - 1 {
        return SearchResult::Unknown(format!(
            "a part of {n} operations is more than the search can index"
        ));
    }
    // The list: entry 2i is op i's call, 2i+1 its return; `head` is the sentinel.
    let head = (2 * n) as u32;
    let mut next = vec![NIL; 2 * n + 1];
    let mut prev = vec![NIL; 2 * n + 1];
    let mut order: Vec<(u32, u32)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        order.push((op.inv, (2 * i) as u32));
        if !op.info {
            order.push((op.ret, (2 * i + 1) as u32));
        }
    }
    // Calls before returns at the same position (only possible if a caller
    // built ops by hand): an op is concurrent with one that completes as it starts.
    order.sort_unstable_by_key(|&(pos, e)| (pos, e & 1));
    let mut last = head;
    for &(_, e) in &order {
        next[last as usize] = e;
        prev[e as usize] = last;
        last = e;
    }
    next[last as usize] = NIL;

    let zobrist: Vec<(u64, u32)> = (0..n as u64)
        .map(|i| (splitmix(2 * i + 1), splitmix(2 * i + 2) as u32))
        .collect();

    let mut states = States::new();
    let (mut state, _) = states.intern(init);
    let mut fp: (u64, u32) = (0, 0);
    let mut cache: HashSet<Config, Fast> = HashSet::default();
    cache.insert(Config {
        lo: 0,
        hi: 0,
        state,
    });
    // (call entry lifted, state before it)
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut required = ops.iter().filter(|o| !o.info).count();
    let mut linearized = vec![false; n];
    let state_bytes = (std::mem::size_of::<M::State>() + 24) as u64;
    let mut pending_bytes: u64 = 0;
    let mut ticks: u32 = 0;

    let mut best: Option<Failure<M::State>> = None;
    let mut best_depth = 0usize;

    let mut entry = next[head as usize];
    loop {
        if required == 0 {
            limits
                .memory_used_bytes
                .fetch_add(pending_bytes, Ordering::Relaxed);
            return SearchResult::Valid;
        }
        ticks += 1;
        if ticks == CHECK_EVERY {
            ticks = 0;
            let used = limits
                .memory_used_bytes
                .fetch_add(pending_bytes, Ordering::Relaxed)
                + pending_bytes;
            pending_bytes = 0;
            if limits.cancelled() {
                return SearchResult::Cancelled;
            }
            if let Some(cap) = limits.memory_limit_bytes {
                if used > cap {
                    return SearchResult::Unknown(format!(
                        "memory limit of {} reached after caching {} configurations",
                        human_bytes(cap),
                        cache.len()
                    ));
                }
            }
            if let Some(deadline) = limits.deadline {
                if Instant::now() >= deadline {
                    return SearchResult::Unknown(format!(
                        "time limit of {} reached after caching {} configurations",
                        human_duration(limits.time_limit.unwrap_or_default()),
                        cache.len()
                    ));
                }
            }
        }
        debug_assert!(
            entry != NIL,
            "an ok op's return entry always ends the walk first"
        );
        if entry == NIL {
            // Unreachable: while an ok op is unlinearized its return is in the list.
            return SearchResult::Valid;
        }
        let e = entry as usize;
        if e & 1 == 0 {
            // A call: try to linearize this op now.
            let i = e / 2;
            let twin = ops[i].twin_before;
            if twin != NO_TWIN && !linearized[twin as usize] {
                entry = next[e];
                continue;
            }
            if let Some(next_state) = model.step(&states.all[state as usize], &ops[i].prepared) {
                // Reads leave the state as it was: skip hashing it.
                let next_id = if next_state == states.all[state as usize] {
                    state
                } else {
                    let (id, is_new) = states.intern(next_state);
                    if is_new {
                        pending_bytes += state_bytes;
                    }
                    id
                };
                let z = zobrist[i];
                let next_fp = (fp.0 ^ z.0, fp.1 ^ z.1);
                if cache.insert(Config {
                    lo: next_fp.0,
                    hi: next_fp.1,
                    state: next_id,
                }) {
                    pending_bytes += CACHE_ENTRY_BYTES;
                    stack.push((entry, state));
                    state = next_id;
                    fp = next_fp;
                    lift(&mut next, &mut prev, entry, !ops[i].info);
                    linearized[i] = true;
                    if !ops[i].info {
                        required -= 1;
                    }
                    entry = next[head as usize];
                    continue;
                }
            }
            entry = next[e];
        } else {
            // A return: this op had to be linearized by now. Backtrack.
            if record {
                let depth = stack.len();
                if best.is_none() || depth > best_depth {
                    best_depth = depth;
                    best = Some(Failure {
                        prefix: stack.iter().map(|&(c, _)| (c / 2) as usize).collect(),
                        stuck: e / 2,
                        states: vec![states.all[state as usize].clone()],
                    });
                } else if depth == best_depth {
                    if let Some(b) = best.as_mut() {
                        let s = &states.all[state as usize];
                        if b.states.len() < STATES_SHOWN && !b.states.contains(s) {
                            b.states.push(s.clone());
                        }
                    }
                }
            }
            let Some((call, before)) = stack.pop() else {
                limits
                    .memory_used_bytes
                    .fetch_add(pending_bytes, Ordering::Relaxed);
                return SearchResult::Invalid(best);
            };
            let i = (call / 2) as usize;
            unlift(&mut next, &mut prev, call, !ops[i].info);
            linearized[i] = false;
            if !ops[i].info {
                required += 1;
            }
            let z = zobrist[i];
            fp = (fp.0 ^ z.0, fp.1 ^ z.1);
            state = before;
            entry = next[call as usize];
        }
    }
}

fn lift(next: &mut [u32], prev: &mut [u32], call: u32, has_return: bool) {
    unlink(next, prev, call);
    if has_return {
        unlink(next, prev, call + 1);
    }
}

fn unlift(next: &mut [u32], prev: &mut [u32], call: u32, has_return: bool) {
    if has_return {
        relink(next, prev, call + 1);
    }
    relink(next, prev, call);
}

fn unlink(next: &mut [u32], prev: &mut [u32], e: u32) {
    let (p, n) = (prev[e as usize], next[e as usize]);
    next[p as usize] = n;
    if n != NIL {
        prev[n as usize] = p;
    }
}

fn relink(next: &mut [u32], prev: &mut [u32], e: u32) {
    let (p, n) = (prev[e as usize], next[e as usize]);
    next[p as usize] = e;
    if n != NIL {
        prev[n as usize] = e;
    }
}

/// `2 GiB`, `512 MiB`, `10 KiB`, `100 B`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes % size == 0 {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    "0 B".into()
}

/// `10 s`, `1.5 s`, `250 ms`.
pub(crate) fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1000 && ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else if ms >= 1000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(2 << 30), "2 GiB");
        assert_eq!(human_bytes(1536 << 20), "1.5 GiB");
        assert_eq!(human_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
    }
}
