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

use crate::meter::{grown_table_bytes, table_bytes, Meter};
use crate::model::Model;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Index of the op's process, counted from 0 within the part (for the
    /// sequential-consistency search, which keeps each process's order).
    pub process: u32,
}

/// [`PartOp::twin_before`] when there is no earlier twin.
pub(crate) const NO_TWIN: u32 = u32::MAX;

/// What stopped a search, shared by the parts checked in parallel.
pub(crate) struct Limits<'a> {
    pub deadline: Option<Instant>,
    pub time_limit: Option<Duration>,
    pub meter: &'a Meter,
    /// Most steps this search may take before it gives up with
    /// [`SearchResult::OutOfSteps`].
    pub steps: u64,
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
    /// Not linearizable, and the deepest dead end, to explain why.
    Invalid(Failure<S>),
    /// The step budget ran out first (the same on every machine).
    OutOfSteps,
    /// The time or memory limit ran out, or the part is too large.
    Unknown(String),
    /// Another part found a violation first.
    Cancelled,
}

/// Most states kept for a counterexample.
pub(crate) const STATES_SHOWN: usize = 8;
/// Loop iterations between looks at the clock and the stop flag.
pub(crate) const CHECK_EVERY: u32 = 1024;
/// Bytes of interned states not yet reported to the meter before a report
/// is due regardless of the step count.
pub(crate) const UNREPORTED_BYTES_MAX: u64 = 1 << 20;

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

pub(crate) type Fast = BuildHasherDefault<MixedHasher>;

/// A cached configuration: linearized-set fingerprint and interned state.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Config {
    pub lo: u64,
    pub hi: u32,
    pub state: u32,
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
pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Model states, each stored once and named by a number.
pub(crate) struct States<S> {
    pub all: Vec<S>,
    /// State hash to the newest state with that hash; older ones with the
    /// same hash follow through `same_hash`.
    by_hash: HashMap<u64, u32, Fast>,
    same_hash: Vec<u32>,
    /// Heap bytes owned by the states in `all`.
    pub heap_bytes: u64,
}

impl<S: Clone + Eq + Hash> States<S> {
    pub fn new() -> Self {
        States {
            all: Vec::new(),
            by_hash: HashMap::default(),
            same_hash: Vec::new(),
            heap_bytes: 0,
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> u64 {
        self.heap_bytes
            + (self.all.capacity() * std::mem::size_of::<S>()) as u64
            + (self.same_hash.capacity() * 4) as u64
            + table_bytes(self.by_hash.capacity(), 16)
    }

    /// Extra bytes held while the next new state makes a table or vector
    /// grow (old and new copies are both alive then); 0 if nothing grows.
    pub fn growth_bytes(&self) -> u64 {
        let mut extra = 0;
        if self.by_hash.len() == self.by_hash.capacity() {
            extra += grown_table_bytes(self.by_hash.capacity(), 16);
        }
        if self.all.len() == self.all.capacity() {
            extra += (self.all.capacity().max(4) * 2 * std::mem::size_of::<S>()) as u64;
            extra += (self.same_hash.capacity().max(4) * 2 * 4) as u64;
        }
        extra
    }

    /// The state's number, and whether it is new.
    pub fn intern(&mut self, s: S) -> (u32, bool) {
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

/// Searches for a linearization of `ops` starting from `init`, within
/// `limits`. Gives the result and the steps taken (one step is one look at
/// an entry of the list, so the count is the same on every machine).
/// An invalid result carries the deepest dead end, for the counterexample.
pub(crate) fn search<M: Model>(
    model: &M,
    init: M::State,
    ops: &[PartOp<M::Op>],
    limits: &Limits<'_>,
) -> (SearchResult<M::State>, u64) {
    let n = ops.len();
    if n == 0 {
        return (SearchResult::Valid, 0);
    }
    if n >= (NIL as usize) / 2 - 1 {
        return (
            SearchResult::Unknown(format!(
                "a part of {n} operations is more than the search can index"
            )),
            0,
        );
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
    drop(order);

    let zobrist: Vec<(u64, u32)> = (0..n as u64)
        .map(|i| (splitmix(2 * i + 1), splitmix(2 * i + 2) as u32))
        .collect();

    // Memory: the fixed arrays now, the cache and states as they grow.
    let fixed_bytes = (n * (2 * 4 * 2 + 16 + 1 + 8 + 8)) as u64;
    let mut meter = SearchMeter {
        meter: limits.meter,
        held: 0,
    };
    if !meter.sync(fixed_bytes) {
        return (memory_unknown(limits, 0), 0);
    }

    let mut states = States::new();
    let (mut state, _) = states.intern(init);
    states.heap_bytes += model.state_heap_bytes(&states.all[0]) as u64;
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
    let mut unreported: u64 = 0;
    let mut ticks: u32 = 0;
    let mut steps: u64 = 0;
    let footprint = |cache: &HashSet<Config, Fast>, states: &States<M::State>| {
        fixed_bytes + table_bytes(cache.capacity(), std::mem::size_of::<Config>()) + states.bytes()
    };

    let mut best: Option<Failure<M::State>> = None;
    let mut best_depth = 0usize;

    let mut entry = next[head as usize];
    let result = loop {
        if required == 0 {
            break SearchResult::Valid;
        }
        if steps >= limits.steps {
            break SearchResult::OutOfSteps;
        }
        steps += 1;
        ticks += 1;
        if ticks == CHECK_EVERY || unreported > UNREPORTED_BYTES_MAX {
            ticks = 0;
            unreported = 0;
            if limits.cancelled() {
                break SearchResult::Cancelled;
            }
            if !meter.sync(footprint(&cache, &states)) {
                break memory_unknown(limits, cache.len());
            }
            if let Some(deadline) = limits.deadline {
                if Instant::now() >= deadline {
                    break SearchResult::Unknown(format!(
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
            break SearchResult::Valid;
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
                    // A table about to double holds its old and new copies
                    // at once: reserve that before it happens.
                    let growth = states.growth_bytes();
                    if growth > 0 && !limits.meter.try_reserve(growth) {
                        break memory_unknown(limits, cache.len());
                    }
                    let heap = model.state_heap_bytes(&next_state) as u64;
                    let (id, is_new) = states.intern(next_state);
                    limits.meter.release(growth);
                    if is_new {
                        states.heap_bytes += heap;
                        unreported += heap + std::mem::size_of::<M::State>() as u64;
                    }
                    if growth > 0 && !meter.sync(footprint(&cache, &states)) {
                        break memory_unknown(limits, cache.len());
                    }
                    id
                };
                let z = zobrist[i];
                let next_fp = (fp.0 ^ z.0, fp.1 ^ z.1);
                let config = Config {
                    lo: next_fp.0,
                    hi: next_fp.1,
                    state: next_id,
                };
                let growth = if cache.len() == cache.capacity() {
                    grown_table_bytes(cache.capacity(), std::mem::size_of::<Config>())
                } else {
                    0
                };
                if growth > 0 && !limits.meter.try_reserve(growth) {
                    break memory_unknown(limits, cache.len());
                }
                let inserted = cache.insert(config);
                if growth > 0 {
                    limits.meter.release(growth);
                    if !meter.sync(footprint(&cache, &states)) {
                        break memory_unknown(limits, cache.len());
                    }
                }
                if inserted {
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
            // A return: this op had to be linearized by now. Backtrack,
            // remembering the deepest dead end for the counterexample.
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
            let Some((call, before)) = stack.pop() else {
                break match best.take() {
                    Some(failure) => SearchResult::Invalid(failure),
                    None => SearchResult::Unknown("the search ended without a dead end".into()),
                };
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
    };
    meter.sync(0);
    (result, steps)
}

/// One search's share of the meter: what it holds, kept up to date.
pub(crate) struct SearchMeter<'a> {
    pub meter: &'a Meter,
    pub held: u64,
}

impl SearchMeter<'_> {
    /// Sets what this search holds to `bytes`; false if that is over the limit.
    pub fn sync(&mut self, bytes: u64) -> bool {
        if bytes <= self.held {
            self.meter.release(self.held - bytes);
            self.held = bytes;
            true
        } else if self.meter.try_reserve(bytes - self.held) {
            self.held = bytes;
            true
        } else {
            false
        }
    }
}

impl Drop for SearchMeter<'_> {
    fn drop(&mut self) {
        self.meter.release(self.held);
        self.held = 0;
    }
}

pub(crate) fn memory_unknown<S>(limits: &Limits<'_>, configurations: usize) -> SearchResult<S> {
    SearchResult::Unknown(format!(
        "memory limit of {} reached after caching {configurations} configurations",
        human_bytes(limits.meter.limit().unwrap_or(0))
    ))
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
