//! The linearizability checker against independent evidence: histories valid
//! by construction, a brute-force check of every order, the unique-writes
//! fast path against the general search, and the budget.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shakedown_checkers::model::{Model, ModelError, RegisterAccess};
use shakedown_checkers::models::{CasRegister, Kv, MultiRegister, Mutex, Register};
use shakedown_checkers::{
    check, edn, lost_writes, Budget, Completion, Event, EventType, History, Op, Outcome, Process,
    Value,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Brute force: every order of every subset of info ops, no memoisation.

/// True if some order of the ops (all `ok` ops, any subset of `info` ops),
/// consistent with real time, is accepted by the model. Checked part by part.
fn brute_force<M: Model>(model: &M, history: &History) -> bool {
    let ops = history.client_ops().expect("generated histories pair up");
    let mut parts: BTreeMap<Option<Value>, Vec<(&Op, M::Op)>> = BTreeMap::new();
    for op in &ops {
        if op.completion == Completion::Fail {
            continue;
        }
        if let Some(p) = model.prepare(op).expect("generated ops are well formed") {
            parts.entry(model.partition(op)).or_default().push((op, p));
        }
    }
    parts.iter().all(|(key, part)| {
        let init = model.init_part(key.as_ref());
        place(model, &init, part, 0)
    })
}

fn place<M: Model>(model: &M, state: &M::State, ops: &[(&Op, M::Op)], placed: u64) -> bool {
    let all_ok_placed = ops
        .iter()
        .enumerate()
        .all(|(i, (op, _))| op.completion != Completion::Ok || placed & (1 << i) != 0);
    if all_ok_placed {
        return true;
    }
    for (i, (op, prepared)) in ops.iter().enumerate() {
        if placed & (1 << i) != 0 {
            continue;
        }
        // Every op that completed before this one was invoked must come first.
        let ready = ops.iter().enumerate().all(|(j, (other, _))| {
            placed & (1 << j) != 0
                || other.completion != Completion::Ok
                || other.complete_index.is_some_and(|c| c > op.invoke_index)
        });
        if !ready {
            continue;
        }
        if let Some(next) = model.step(state, prepared) {
            if place(model, &next, ops, placed | (1 << i)) {
                return true;
            }
        }
    }
    false
}

/// The same model with the unique-writes fast path turned off.
struct GeneralSearchOnly<M>(M);

impl<M: Model> Model for GeneralSearchOnly<M> {
    type State = M::State;
    type Op = M::Op;
    fn name(&self) -> &str {
        self.0.name()
    }
    fn init(&self) -> M::State {
        self.0.init()
    }
    fn init_part(&self, key: Option<&Value>) -> M::State {
        self.0.init_part(key)
    }
    fn prepare(&self, op: &Op) -> Result<Option<M::Op>, ModelError> {
        self.0.prepare(op)
    }
    fn step(&self, state: &M::State, op: &M::Op) -> Option<M::State> {
        self.0.step(state, op)
    }
    fn partition(&self, op: &Op) -> Option<Value> {
        self.0.partition(op)
    }
    fn register_access(&self, _op: &M::Op) -> Option<RegisterAccess> {
        None
    }
}

// ---------------------------------------------------------------------------
// Random small histories: a script of choices played by up to 4 processes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CasRegister,
    Kv,
    Mutex,
    MultiRegister,
}

/// Plays a script into a history of at most `max_ops` ops. Each step picks
/// a process slot: an open op completes (ok, fail or info; info retires the
/// process), otherwise a new op is invoked. Ops left open never complete.
fn play(kind: Kind, script: &[(u8, u8, u8, u8)], max_ops: usize) -> History {
    let mut pid = [0i64, 1, 2, 3];
    let mut next_pid = 4;
    let mut open: [Option<Event>; 4] = [None, None, None, None];
    let mut events = Vec::new();
    let mut ops = 0;
    for &(slot, choice, a, b) in script {
        let s = usize::from(slot % 4);
        if let Some(inv) = open[s].take() {
            let (etype, value) = match choice % 10 {
                0..=6 => {
                    let value = match (kind, inv.f.as_str()) {
                        (_, "read" | "get") => small(a % 4),
                        // Reads in a transaction return small values (or nil: unrecorded).
                        (_, "txn") => fill_reads(&inv.value, a, b),
                        _ => inv.value.clone(),
                    };
                    (EventType::Ok, value)
                }
                7 => (EventType::Fail, inv.value.clone()),
                _ => (EventType::Info, inv.value.clone()),
            };
            let mut done = Event::new(inv.process.clone(), etype, inv.f.clone(), value);
            done.key = inv.key.clone();
            events.push(done);
            if etype == EventType::Info {
                pid[s] = next_pid;
                next_pid += 1;
            }
        } else if ops < max_ops {
            ops += 1;
            let process = Process::Client(pid[s]);
            let inv = match kind {
                Kind::CasRegister => match choice % 3 {
                    0 => Event::new(process, EventType::Invoke, "read", Value::Nil),
                    1 => Event::new(process, EventType::Invoke, "write", small(a % 3)),
                    _ => Event::new(
                        process,
                        EventType::Invoke,
                        "cas",
                        Value::Vector(vec![small(a % 3), small(b % 3)]),
                    ),
                },
                Kind::Kv => {
                    let key = Value::from(if b % 2 == 0 { "x" } else { "y" });
                    let e = match choice % 4 {
                        0 => Event::new(process, EventType::Invoke, "get", Value::Nil),
                        1 => Event::new(process, EventType::Invoke, "put", small(a % 3)),
                        2 => Event::new(
                            process,
                            EventType::Invoke,
                            "append",
                            Value::from(["a", "b"][usize::from(a % 2)]),
                        ),
                        _ => Event::new(
                            process,
                            EventType::Invoke,
                            "cas",
                            Value::Vector(vec![small(a % 3), small(b / 2 % 3)]),
                        ),
                    };
                    e.with_key(key)
                }
                Kind::Mutex => Event::new(
                    process,
                    EventType::Invoke,
                    if choice % 2 == 0 {
                        "acquire"
                    } else {
                        "release"
                    },
                    Value::Nil,
                ),
                Kind::MultiRegister => {
                    let x = Value::keyword("x");
                    let y = Value::keyword("y");
                    let txn = match choice % 3 {
                        0 => vec![mop("r", &x, Value::Nil), mop("r", &y, Value::Nil)],
                        1 => vec![mop("w", &x, small(a % 3)), mop("w", &y, small(b % 3))],
                        _ => vec![mop("r", &x, Value::Nil), mop("w", &y, small(a % 3))],
                    };
                    Event::new(process, EventType::Invoke, "txn", Value::Vector(txn))
                }
            };
            events.push(inv.clone());
            open[s] = Some(inv);
        }
        if choice == 255 {
            events.push(Event::new(
                Process::nemesis(),
                EventType::Info,
                "start",
                Value::Nil,
            ));
        }
    }
    History::new(events)
}

/// A micro-op `[f k v]` of a multi-register transaction.
fn mop(f: &str, k: &Value, v: Value) -> Value {
    Value::Vector(vec![Value::keyword(f), k.clone(), v])
}

/// The transaction with each read's value filled in from `a` and `b`.
fn fill_reads(txn: &Value, a: u8, b: u8) -> Value {
    let filled = txn
        .as_seq()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(i, m)| match m.as_seq() {
            Some([f, k, _]) if *f == Value::keyword("r") => {
                mop("r", k, small(if i == 0 { a % 4 } else { b % 4 }))
            }
            _ => m.clone(),
        })
        .collect();
    Value::Vector(filled)
}

/// 0, 1, 2, or nil for 3.
fn small(v: u8) -> Value {
    if v >= 3 {
        Value::Nil
    } else {
        Value::Int(i64::from(v))
    }
}

fn verdict_is_valid<M: Model>(model: &M, h: &History) -> bool {
    let v = check(h, model, Budget::default());
    assert_ne!(
        v.outcome,
        Outcome::Unknown,
        "{:?}\n{}",
        v.reason,
        edn::write_history(h)
    );
    v.outcome == Outcome::Valid
}

#[test]
fn small_histories_agree_with_brute_force() {
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    let valid = AtomicUsize::new(0);
    let invalid = AtomicUsize::new(0);
    let with_info = AtomicUsize::new(0);
    let with_lost = AtomicUsize::new(0);
    let strategy = (
        0u8..5,
        prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..20),
    );
    runner
        .run(&strategy, |(which, script)| {
            let (kind, initial) = match which {
                0 => (Kind::CasRegister, Value::Nil),
                1 => (Kind::CasRegister, Value::Int(0)),
                2 => (Kind::Kv, Value::Nil),
                3 => (Kind::Mutex, Value::Nil),
                _ => (Kind::MultiRegister, Value::Nil),
            };
            let h = play(kind, &script, 8);
            let (expected, got) = match kind {
                Kind::CasRegister => {
                    let m = CasRegister::new(initial.clone());
                    (brute_force(&m, &h), verdict_is_valid(&m, &h))
                }
                Kind::Kv => {
                    let m = Kv::new(initial.clone());
                    (brute_force(&m, &h), verdict_is_valid(&m, &h))
                }
                Kind::Mutex => {
                    let m = Mutex::new(initial.clone()).unwrap();
                    (brute_force(&m, &h), verdict_is_valid(&m, &h))
                }
                Kind::MultiRegister => {
                    let m = MultiRegister::new(initial.clone()).unwrap();
                    (brute_force(&m, &h), verdict_is_valid(&m, &h))
                }
            };
            prop_assert_eq!(expected, got, "history:\n{}", edn::write_history(&h));
            // Lost writes are found from real-time order alone: any it
            // names make the history invalid.
            if matches!(kind, Kind::CasRegister | Kind::Kv) {
                let ops = h.client_ops().unwrap();
                let lost = lost_writes(&ops, Some(&initial)).unwrap_or_default();
                prop_assert!(
                    lost.is_empty() || !expected,
                    "lost writes {:?} in a valid history:\n{}",
                    lost,
                    edn::write_history(&h)
                );
                if !lost.is_empty() {
                    with_lost.fetch_add(1, Ordering::Relaxed);
                }
            }
            if got {
                valid.fetch_add(1, Ordering::Relaxed);
            } else {
                invalid.fetch_add(1, Ordering::Relaxed);
            }
            if h.client_ops()
                .unwrap()
                .iter()
                .any(|o| o.completion == Completion::Info)
            {
                with_info.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let (valid, invalid, with_info) = (
        valid.into_inner(),
        invalid.into_inner(),
        with_info.into_inner(),
    );
    // The cases must exercise both verdicts and info ops, or the test proves little.
    assert!(
        valid > 1000 && invalid > 1000,
        "valid {valid}, invalid {invalid}"
    );
    assert!(with_info > 1000, "only {with_info} cases had info ops");
    let with_lost = with_lost.into_inner();
    assert!(with_lost > 40, "only {with_lost} cases had lost writes");
}

// ---------------------------------------------------------------------------
// Valid by construction: run ops one after another, then widen intervals.

#[derive(Debug, Clone)]
struct Planned {
    slot: usize,
    event: Event,
    done: Option<Event>,
}

/// Runs random ops sequentially on a simple state machine, recording what
/// each returned, then gives each op a random interval around its moment.
fn sequential_history(
    kind: Kind,
    initial: &Value,
    script: &[(u8, u8, u8, u8, u16, u16)],
) -> History {
    let mut state: BTreeMap<Value, Value> = BTreeMap::new();
    let mut held = false;
    let mut planned: Vec<Planned> = Vec::new();
    let mut pid = [0i64, 1, 2, 3];
    let mut next_pid = 4;
    for &(slot, choice, a, fate, _, _) in script {
        let s = usize::from(slot % 4);
        let process = Process::Client(pid[s]);
        let info = fate % 10 == 0;
        let key = if kind == Kind::Kv {
            Value::from(if a % 2 == 0 { "x" } else { "y" })
        } else {
            Value::Nil
        };
        let current = state.get(&key).cloned().unwrap_or_else(|| initial.clone());
        let (f, invoke_value, result, ok, next) = match (kind, choice % 4) {
            (Kind::Mutex, c) => {
                let (f, ok) = if c % 2 == 0 {
                    ("acquire", !held)
                } else {
                    ("release", held)
                };
                if ok {
                    held = !held;
                }
                (f, Value::Nil, Value::Nil, ok, None)
            }
            (_, 0) => {
                let f = if kind == Kind::Kv { "get" } else { "read" };
                (f, Value::Nil, current.clone(), true, None)
            }
            (_, 1) => {
                let v = Value::Int(i64::from(a % 5));
                let f = if kind == Kind::Kv { "put" } else { "write" };
                (f, v.clone(), v.clone(), true, Some(v))
            }
            (Kind::Kv, 2) => {
                let v = Value::from(format!("{}", a % 7));
                let next = match &current {
                    Value::Str(s) => Value::Str(format!("{s}{}", a % 7)),
                    _ => v.clone(),
                };
                let ok = matches!(current, Value::Str(_) | Value::Nil);
                ("append", v.clone(), v, ok, ok.then_some(next))
            }
            _ => {
                // A cas that succeeds when it can; otherwise it fails.
                let new = Value::Int(i64::from(a % 5));
                let old = if fate % 3 == 0 {
                    Value::Int(i64::from(fate % 5))
                } else {
                    current.clone()
                };
                let ok = !current.is_nil() && old == current;
                let v = Value::Vector(vec![old, new.clone()]);
                ("cas", v.clone(), v, ok, ok.then_some(new))
            }
        };
        if let Some(next) = next {
            state.insert(key.clone(), next);
        }
        let mut event = Event::new(process.clone(), EventType::Invoke, f, invoke_value);
        if kind == Kind::Kv {
            event.key = Some(key.clone());
        }
        let mut done = event.clone();
        done.value = result;
        done.kind = if !ok {
            EventType::Fail
        } else if info {
            EventType::Info
        } else {
            EventType::Ok
        };
        if !ok && info {
            // An op that did not happen may still be reported as info; drop the completion.
            done.kind = EventType::Info;
        }
        let done = if done.kind == EventType::Info && fate % 20 == 0 {
            None
        } else {
            Some(done)
        };
        if done.as_ref().is_none_or(|d| d.kind == EventType::Info) {
            pid[s] = next_pid;
            next_pid += 1;
        }
        planned.push(Planned {
            slot: s,
            event,
            done,
        });
    }
    // Moments are 1000 apart; each slot's ops get disjoint intervals around theirs.
    let moment = |i: usize| 1000 * i as i64 + 500;
    let mut timed: Vec<(i64, u8, Event)> = Vec::new();
    for s in 0..4 {
        let mine: Vec<usize> = (0..planned.len())
            .filter(|&i| planned[i].slot == s)
            .collect();
        let mut earliest = 0i64;
        for (k, &i) in mine.iter().enumerate() {
            let (_, _, _, _, widen_inv, widen_ret) = script[i];
            let p = moment(i);
            let latest = mine.get(k + 1).map_or(p + 5000, |&j| moment(j) - 1);
            // inv in [earliest, p], ret in [p, boundary], boundary < next inv.
            let inv = p - (i64::from(widen_inv) * (p - earliest) / i64::from(u16::MAX));
            let boundary = p + (i64::from(widen_ret) * (latest - p) / i64::from(u16::MAX));
            let ret = boundary;
            timed.push((inv, 0, planned[i].event.clone()));
            if let Some(done) = &planned[i].done {
                timed.push((ret, 1, done.clone()));
            }
            earliest = boundary + 1;
        }
    }
    for &(_, choice, _, _, widen, _) in script {
        if choice == 200 {
            timed.push((
                i64::from(widen),
                0,
                Event::new(Process::nemesis(), EventType::Info, "kill", Value::Nil),
            ));
        }
    }
    timed.sort_by_key(|(t, order, _)| (*t, *order));
    History::new(timed.into_iter().map(|(t, _, e)| e.at(t)).collect())
}

#[test]
fn sequential_histories_with_widened_intervals_are_valid() {
    let mut runner = TestRunner::new(Config {
        cases: 1500,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0u8..5,
        prop::collection::vec(
            (
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u16>(),
                any::<u16>(),
            ),
            1..40,
        ),
    );
    runner
        .run(&strategy, |(which, script)| {
            let (kind, initial) = match which {
                0 => (Kind::CasRegister, Value::Nil),
                1 => (Kind::CasRegister, Value::Int(0)),
                2 => (Kind::Kv, Value::Nil),
                3 => (Kind::Mutex, Value::Nil),
                _ => (Kind::CasRegister, Value::Int(3)),
            };
            let h = sequential_history(kind, &initial, &script);
            let v = match kind {
                Kind::CasRegister => check(&h, &CasRegister::new(initial), Budget::default()),
                Kind::Kv => check(&h, &Kv::new(initial), Budget::default()),
                Kind::Mutex => check(&h, &Mutex::new(initial).unwrap(), Budget::default()),
                Kind::MultiRegister => unreachable!("not generated here"),
            };
            prop_assert_eq!(
                v.outcome,
                Outcome::Valid,
                "{:?}\n{}",
                v.counterexample,
                edn::write_history(&h)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn register_histories_without_cas_are_valid_too() {
    // The plain register takes reads and writes only; filter the script to those.
    let mut runner = TestRunner::new(Config {
        cases: 500,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = prop::collection::vec(
        (
            any::<u8>(),
            0u8..2,
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
        ),
        1..60,
    );
    runner
        .run(&strategy, |script| {
            let h = sequential_history(Kind::CasRegister, &Value::Nil, &script);
            let v = check(&h, &Register::new(Value::Nil), Budget::default());
            prop_assert_eq!(
                v.outcome,
                Outcome::Valid,
                "{:?}\n{}",
                v.counterexample,
                edn::write_history(&h)
            );
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Unique writes: the fast path agrees with the general search.

#[test]
fn unique_writes_fast_path_agrees_with_the_general_search() {
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    let valid = AtomicUsize::new(0);
    let invalid = AtomicUsize::new(0);
    let strategy = (
        any::<bool>(),
        prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..28),
    );
    runner
        .run(&strategy, |(start_at_zero, script)| {
            // Writes carry their op number, so values are unique; reads return
            // a recent write, the initial value, or (rarely) something unwritten.
            let mut h = play(Kind::CasRegister, &script, 12);
            let mut written = 100;
            let mut last = Vec::new();
            for (i, e) in h.events.iter_mut().enumerate() {
                match (e.f.as_str(), e.kind) {
                    ("cas", _) => e.f = "read".into(),
                    ("write", EventType::Invoke) => {
                        written += 1;
                        e.value = Value::Int(written);
                        last.push(written);
                    }
                    _ => {}
                }
                if e.f == "read" {
                    e.value = match (e.kind, script[i % script.len()].2 % 8) {
                        (EventType::Invoke, _) => Value::Nil,
                        (_, 0) => Value::Int(if start_at_zero { 0 } else { 7 }),
                        (_, 1) => Value::Int(999),
                        (_, k) => last
                            .iter()
                            .rev()
                            .nth(usize::from(k) % 3)
                            .map_or(Value::Nil, |&v| Value::Int(v)),
                    };
                }
            }
            // Completions of writes carry what their invocation wrote.
            let mut open: BTreeMap<Process, Value> = BTreeMap::new();
            for e in &mut h.events {
                if e.f == "write" {
                    if e.kind == EventType::Invoke {
                        open.insert(e.process.clone(), e.value.clone());
                    } else if let Some(v) = open.remove(&e.process) {
                        e.value = v;
                    }
                }
            }
            let initial = if start_at_zero {
                Value::Int(0)
            } else {
                Value::Nil
            };
            let fast = check(&h, &Register::new(initial.clone()), Budget::default());
            let general = check(
                &h,
                &GeneralSearchOnly(Register::new(initial)),
                Budget::default(),
            );
            prop_assert_eq!(fast.outcome, general.outcome, "{}", edn::write_history(&h));
            if fast.outcome == Outcome::Valid {
                valid.fetch_add(1, Ordering::Relaxed);
            } else {
                invalid.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .unwrap();
    let (valid, invalid) = (valid.into_inner(), invalid.into_inner());
    assert!(
        valid > 300 && invalid > 300,
        "valid {valid}, invalid {invalid}"
    );
}

// ---------------------------------------------------------------------------
// The budget.

/// Dozens of concurrent `info` writes with repeated values, then reads that
/// no order explains: the search must give up, not hang.
fn pathological() -> History {
    let mut events = Vec::new();
    for p in 0..40 {
        events.push(Event::new(
            Process::Client(p),
            EventType::Invoke,
            "write",
            Value::Int(p % 20),
        ));
    }
    for p in 0..40 {
        events.push(Event::new(
            Process::Client(p),
            EventType::Info,
            "write",
            Value::Int(p % 20),
        ));
    }
    for (i, v) in [1, 2, 1, 2, 1, 2].into_iter().enumerate() {
        let p = Process::Client(100 + i as i64);
        events.push(Event::new(p.clone(), EventType::Invoke, "read", Value::Nil));
        events.push(Event::new(p, EventType::Ok, "read", Value::Int(v)));
    }
    History::new(events)
}

#[test]
fn pathological_history_is_unknown_within_its_time_limit() {
    let budget = Budget {
        time_limit: Some(Duration::from_secs(2)),
        memory_limit_bytes: Some(4 << 30),
    };
    let started = Instant::now();
    let v = check(&pathological(), &CasRegister::new(Value::Nil), budget);
    let took = started.elapsed();
    assert_eq!(v.outcome, Outcome::Unknown);
    assert!(
        v.reason.as_deref().unwrap().contains("time limit of 2 s"),
        "{:?}",
        v.reason
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn pathological_history_is_unknown_within_its_memory_limit() {
    let budget = Budget {
        time_limit: Some(Duration::from_secs(60)),
        memory_limit_bytes: Some(16 << 20),
    };
    let v = check(&pathological(), &CasRegister::new(Value::Nil), budget);
    assert_eq!(v.outcome, Outcome::Unknown);
    assert!(
        v.reason
            .as_deref()
            .unwrap()
            .contains("memory limit of 16 MiB"),
        "{:?}",
        v.reason
    );
}

#[test]
fn kv_stops_every_key_at_the_first_violation() {
    // One key is plainly invalid; another is pathological. The violation must
    // win quickly rather than wait for the slow key's time limit.
    let mut events = Vec::new();
    for mut e in pathological().events {
        e.f = match e.f.as_str() {
            "write" => "put".into(),
            _ => "get".into(),
        };
        events.push(e.with_key(Value::from("slow")));
    }
    let p = Process::Client(500);
    events.push(Event::new(p.clone(), EventType::Invoke, "get", Value::Nil).with_key("bad".into()));
    events.push(Event::new(p, EventType::Ok, "get", Value::Int(42)).with_key("bad".into()));
    let budget = Budget {
        time_limit: Some(Duration::from_secs(30)),
        memory_limit_bytes: Some(4 << 30),
    };
    let started = Instant::now();
    let v = check(&History::new(events), &Kv::new(Value::Nil), budget);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(v.counterexample.unwrap().key.as_deref(), Some("\"bad\""));
}

// ---------------------------------------------------------------------------
// Counterexamples and malformed histories.

fn reference(name: &str) -> History {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories");
    shakedown_checkers::read_history_file(dir.join(name)).unwrap()
}

#[test]
fn counterexample_names_the_right_op() {
    // Knossos once blamed the read after the violation; the culprit is the read of 3.
    let v = check(
        &reference("knossos-cas-register-bad-rethink-fail-minimal.edn"),
        &CasRegister::new(Value::Int(0)),
        Budget::default(),
    );
    insta::assert_json_snapshot!("rethink_fail_minimal", v.counterexample);
    let v = check(
        &reference("kv-c01-bad.edn"),
        &Kv::new(Value::Nil),
        Budget::default(),
    );
    insta::assert_json_snapshot!("kv_c01_bad", v.counterexample);
}

#[test]
fn malformed_histories_are_clear_errors() {
    let h = edn::parse_history(
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :invoke, :f :write, :value 2}",
    )
    .unwrap();
    let e = shakedown_checkers::try_check(&h, &CasRegister::new(Value::Nil), Budget::default())
        .unwrap_err();
    assert_eq!(e.event(), Some(1));
    assert!(
        e.to_string()
            .contains("invoked `write` while its previous op (event 0) had not completed"),
        "{e}"
    );
    let v = check(&h, &CasRegister::new(Value::Nil), Budget::default());
    assert_eq!(v.outcome, Outcome::Unknown);
    assert!(v.reason.unwrap().contains("malformed history"));
}

#[test]
fn nemesis_ops_are_skipped() {
    let h = edn::parse_history(
        "{:process :nemesis, :type :info, :f :start, :value nil}\n\
         {:process 0, :type :invoke, :f :write, :value 1}\n\
         {:process 0, :type :ok, :f :write, :value 1}\n\
         {:process :nemesis, :type :info, :f :stop, :value [:n1 :n2]}\n\
         {:process 1, :type :invoke, :f :read, :value nil}\n\
         {:process 1, :type :ok, :f :read, :value 1}",
    )
    .unwrap();
    assert_eq!(
        check(&h, &CasRegister::new(Value::Nil), Budget::default()).outcome,
        Outcome::Valid
    );
}

#[test]
fn identical_info_writes_can_each_take_effect() {
    // Two timed-out writes of 1: the reads 1, 0, 1 need both, in turn.
    let text = |twins: usize| {
        let mut t = String::new();
        for p in 0..twins {
            t.push_str(&format!(
                "{{:process {p}, :type :invoke, :f :write, :value 1}}\n"
            ));
        }
        for (p, (f, v)) in (10..).zip([("read", 1), ("write", 0), ("read", 0), ("read", 1)]) {
            let invoked = if f == "read" {
                "nil".to_owned()
            } else {
                v.to_string()
            };
            t.push_str(&format!(
                "{{:process {p}, :type :invoke, :f :{f}, :value {invoked}}}\n"
            ));
            t.push_str(&format!(
                "{{:process {p}, :type :ok, :f :{f}, :value {v}}}\n"
            ));
        }
        for p in 0..twins {
            t.push_str(&format!(
                "{{:process {p}, :type :info, :f :write, :value 1}}\n"
            ));
        }
        edn::parse_history(&t).unwrap()
    };
    let model = CasRegister::new(Value::Nil);
    assert_eq!(
        check(&text(2), &model, Budget::default()).outcome,
        Outcome::Valid
    );
    assert_eq!(
        check(&text(3), &model, Budget::default()).outcome,
        Outcome::Valid
    );
    assert_eq!(
        check(&text(1), &model, Budget::default()).outcome,
        Outcome::Invalid
    );
}

#[test]
fn kv_reports_the_first_invalid_key_on_every_run() {
    // Every key is invalid; however the parallel parts are scheduled, the
    // counterexample must name the same (first) key, so a replayed run gets
    // a byte-identical report.
    let mut events = Vec::new();
    for (i, key) in ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"]
        .iter()
        .enumerate()
    {
        let p = Process::Client(i as i64);
        events.push(
            Event::new(p.clone(), EventType::Invoke, "get", Value::Nil).with_key((*key).into()),
        );
        events.push(Event::new(p, EventType::Ok, "get", Value::Int(42)).with_key((*key).into()));
    }
    let history = History::new(events);
    for _ in 0..200 {
        let v = check(&history, &Kv::new(Value::Nil), Budget::default());
        assert_eq!(v.outcome, Outcome::Invalid);
        assert_eq!(v.counterexample.unwrap().key.as_deref(), Some("\"k0\""));
    }
}
