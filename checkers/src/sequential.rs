//! The sequential-consistency search: some order of the operations that
//! keeps each process's own order (real time across processes is ignored)
//! and that the model accepts.
//!
//! A depth-first search over *frontiers*: how far each process has got,
//! and the model state there. The next op taken is the next op of some
//! process; an `info` op may also be passed over (it never took effect).
//! Frontiers already seen with the same state are not searched again; as
//! in the linearizability search, a frontier is keyed by a fingerprint
//! (one random word per process and position, XORed) and an interned state.

use crate::meter::{grown_table_bytes, table_bytes};
use crate::model::Model;
use crate::search::{
    human_duration, memory_unknown, splitmix, Config, Failure, Fast, Limits, PartOp, SearchMeter,
    SearchResult, States, CHECK_EVERY, STATES_SHOWN, UNREPORTED_BYTES_MAX,
};
use std::collections::HashSet;
use std::time::Instant;

/// One level of the search: the state there and the next choice to try
/// (choice `2p` takes process `p`'s next op, `2p + 1` passes over it).
struct Frame {
    state: u32,
    next_choice: u32,
}

/// The fingerprint word of process `p` at position `k`.
fn word(p: usize, k: usize) -> (u64, u32) {
    let x = ((p as u64) << 32) | k as u64;
    (splitmix(2 * x + 1), splitmix(2 * x + 2) as u32)
}

/// Searches for a sequentially consistent order of `ops` from `init`.
pub(crate) fn search<M: Model>(
    model: &M,
    init: M::State,
    ops: &[PartOp<M::Op>],
    limits: &Limits<'_>,
) -> (SearchResult<M::State>, u64) {
    let processes = ops
        .iter()
        .map(|o| o.process as usize + 1)
        .max()
        .unwrap_or(0);
    // Each process's ops, in invocation order.
    let mut chains: Vec<Vec<usize>> = vec![Vec::new(); processes];
    for (i, op) in ops.iter().enumerate() {
        chains[op.process as usize].push(i);
    }
    let mut pos = vec![0usize; processes];
    let mut required = ops.iter().filter(|o| !o.info).count();
    if required == 0 {
        return (SearchResult::Valid, 0);
    }
    let fixed_bytes = (ops.len() * 40 + processes * 64) as u64;
    let mut meter = SearchMeter {
        meter: limits.meter,
        held: 0,
    };
    if !meter.sync(fixed_bytes) {
        return (memory_unknown(limits, 0), 0);
    }
    let mut fp: (u64, u32) = (0, 0);
    for p in 0..processes {
        let w = word(p, 0);
        fp = (fp.0 ^ w.0, fp.1 ^ w.1);
    }
    let mut states = States::new();
    let (root, _) = states.intern(init);
    states.heap_bytes += model.state_heap_bytes(&states.all[0]) as u64;
    let mut cache: HashSet<Config, Fast> = HashSet::default();
    cache.insert(Config {
        lo: fp.0,
        hi: fp.1,
        state: root,
    });
    let footprint = |cache: &HashSet<Config, Fast>, states: &States<M::State>| {
        fixed_bytes + table_bytes(cache.capacity(), std::mem::size_of::<Config>()) + states.bytes()
    };
    let mut frames = vec![Frame {
        state: root,
        next_choice: 0,
    }];
    // The moves that led to each frame after the first: (process, taken?).
    let mut moves: Vec<(usize, bool)> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    let mut best: Option<Failure<M::State>> = None;
    let mut steps: u64 = 0;
    let mut ticks: u32 = 0;
    let mut unreported: u64 = 0;

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
        let Some(frame) = frames.last_mut() else {
            break match best.take() {
                Some(failure) => SearchResult::Invalid(failure),
                None => SearchResult::Unknown("the search ended without a dead end".into()),
            };
        };
        let state = frame.state;
        let choice = frame.next_choice as usize;
        if choice >= 2 * processes {
            // Every move from here is exhausted: a dead end. Remember the
            // deepest, then step back.
            let depth = taken.len();
            let best_depth = best.as_ref().map(|b| b.prefix.len());
            if best_depth.is_none_or(|d| depth > d) {
                let stuck = (0..processes)
                    .filter_map(|p| chains[p].get(pos[p]).copied())
                    .filter(|&i| !ops[i].info)
                    .min()
                    .unwrap_or(0);
                best = Some(Failure {
                    prefix: taken.clone(),
                    stuck,
                    states: vec![states.all[state as usize].clone()],
                });
            } else if best_depth == Some(depth) {
                if let Some(b) = best.as_mut() {
                    let s = &states.all[state as usize];
                    if b.states.len() < STATES_SHOWN && !b.states.contains(s) {
                        b.states.push(s.clone());
                    }
                }
            }
            frames.pop();
            if let Some((p, took)) = moves.pop() {
                let old = word(p, pos[p]);
                pos[p] -= 1;
                let new = word(p, pos[p]);
                fp = (fp.0 ^ old.0 ^ new.0, fp.1 ^ old.1 ^ new.1);
                let i = chains[p][pos[p]];
                if took {
                    taken.pop();
                }
                if !ops[i].info {
                    required += 1;
                }
            }
            continue;
        }
        frame.next_choice += 1;
        let (p, take) = (choice / 2, choice % 2 == 0);
        let Some(&i) = chains[p].get(pos[p]) else {
            continue;
        };
        let next_id = if take {
            let Some(next_state) = model.step(&states.all[state as usize], &ops[i].prepared) else {
                continue;
            };
            if next_state == states.all[state as usize] {
                state
            } else {
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
                id
            }
        } else if ops[i].info {
            state
        } else {
            // Only an info op may be passed over.
            continue;
        };
        let old = word(p, pos[p]);
        let new = word(p, pos[p] + 1);
        let next_fp = (fp.0 ^ old.0 ^ new.0, fp.1 ^ old.1 ^ new.1);
        let growth = if cache.len() == cache.capacity() {
            grown_table_bytes(cache.capacity(), std::mem::size_of::<Config>())
        } else {
            0
        };
        if growth > 0 && !limits.meter.try_reserve(growth) {
            break memory_unknown(limits, cache.len());
        }
        let inserted = cache.insert(Config {
            lo: next_fp.0,
            hi: next_fp.1,
            state: next_id,
        });
        if growth > 0 {
            limits.meter.release(growth);
            if !meter.sync(footprint(&cache, &states)) {
                break memory_unknown(limits, cache.len());
            }
        }
        if !inserted {
            continue;
        }
        fp = next_fp;
        pos[p] += 1;
        if !ops[i].info {
            required -= 1;
        }
        if take {
            taken.push(i);
        }
        moves.push((p, take));
        frames.push(Frame {
            state: next_id,
            next_choice: 0,
        });
    };
    meter.sync(0);
    (result, steps)
}
