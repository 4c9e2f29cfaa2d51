//! Issue 13: no cliff on an intractable key, limits that hold, no silent
//! drops, the pre-check, and the set, queue, counter and sequential models
//! against brute force.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shakedown_checkers::model::Model;
use shakedown_checkers::models::{
    CasRegister, CounterChecker, FifoQueue, Kv, Register, Sequential, SequentialKv, SetChecker,
    UnorderedQueue,
};
use shakedown_checkers::{
    check, check_with, edn, jsonl, model_by_name, read_history_file_limited, AnyModel, Budget,
    CheckError, CheckOptions, Completion, Event, EventType, History, Op, Outcome, Process,
    ReadError, ReadLimits, Value,
};
use std::time::{Duration, Instant};

fn ev(p: i64, kind: EventType, f: &str, v: Value) -> Event {
    Event::new(Process::Client(p), kind, f, v)
}

/// Dozens of concurrent timed-out appends to `key`, then a get that misses
/// the first append: invalid, but only an exhaustive search can tell.
fn intractable_key(key: &str, first_process: i64) -> Vec<Event> {
    let k = || Value::from(key);
    let mut events = Vec::new();
    let p0 = first_process;
    events.push(ev(p0, EventType::Invoke, "append", "a".into()).with_key(k()));
    events.push(ev(p0, EventType::Ok, "append", "a".into()).with_key(k()));
    for i in 0..30 {
        let p = p0 + 1 + i;
        let v = Value::from(format!("<{i}>"));
        events.push(ev(p, EventType::Invoke, "append", v.clone()).with_key(k()));
        events.push(ev(p, EventType::Info, "append", v).with_key(k()));
    }
    let p = p0 + 100;
    events.push(ev(p, EventType::Invoke, "get", Value::Nil).with_key(k()));
    events.push(ev(p, EventType::Ok, "get", "<3><1>".into()).with_key(k()));
    events
}

/// An easy violation on `key`: a get of a stale value.
fn easy_violation(key: &str, p: i64) -> Vec<Event> {
    let k = || Value::from(key);
    vec![
        ev(p, EventType::Invoke, "append", "x".into()).with_key(k()),
        ev(p, EventType::Ok, "append", "x".into()).with_key(k()),
        ev(p, EventType::Invoke, "append", "y".into()).with_key(k()),
        ev(p, EventType::Ok, "append", "y".into()).with_key(k()),
        ev(p + 1, EventType::Invoke, "get", Value::Nil).with_key(k()),
        ev(p + 1, EventType::Ok, "get", "x".into()).with_key(k()),
    ]
}

#[test]
fn an_intractable_early_key_does_not_hide_a_violation_on_a_later_one() {
    let mut events = intractable_key("a", 0);
    events.extend(easy_violation("b", 500));
    let history = History::new(events);
    let budget = Budget {
        time_limit: Some(Duration::from_secs(60)),
        memory_limit_bytes: Some(1 << 30),
    };
    let mut steps = None;
    for _ in 0..5 {
        let r = check_with(
            &history,
            &Kv::new(Value::Nil),
            &CheckOptions::with_budget(budget),
        )
        .unwrap();
        assert_eq!(
            r.verdict.outcome,
            Outcome::Invalid,
            "{:?}",
            r.verdict.reason
        );
        assert_eq!(
            r.verdict.counterexample.unwrap().key.as_deref(),
            Some("\"b\"")
        );
        // The work done is the same on every run.
        assert_eq!(*steps.get_or_insert(r.steps), r.steps);
    }
}

#[test]
fn the_first_invalid_key_wins_when_both_are_decided_in_the_same_round() {
    let mut events = easy_violation("b", 0);
    events.extend(easy_violation("a", 10));
    let v = check(
        &History::new(events),
        &Kv::new(Value::Nil),
        Budget::default(),
    );
    assert_eq!(v.counterexample.unwrap().key.as_deref(), Some("\"a\""));
}

#[test]
fn a_step_limit_gives_the_same_unknown_on_every_run() {
    let history = History::new(intractable_key("a", 0));
    let options = CheckOptions {
        steps_limit: Some(200_000),
        ..CheckOptions::default()
    };
    let first = check_with(&history, &Kv::new(Value::Nil), &options).unwrap();
    assert_eq!(first.verdict.outcome, Outcome::Unknown);
    assert!(
        first
            .verdict
            .reason
            .as_deref()
            .unwrap()
            .contains("step limit of 200000"),
        "{:?}",
        first.verdict.reason
    );
    assert!(first.steps <= 200_000, "{}", first.steps);
    for _ in 0..3 {
        assert_eq!(
            check_with(&history, &Kv::new(Value::Nil), &options).unwrap(),
            first
        );
    }
}

#[test]
fn the_time_limit_holds_with_the_counterexample_included() {
    // Unique writes make the fast path find the violation, then the search
    // for a fuller counterexample must stop at the same deadline.
    let mut events = Vec::new();
    for p in 0..40 {
        events.push(ev(p, EventType::Invoke, "write", Value::Int(p)));
    }
    for p in 0..40 {
        events.push(ev(p, EventType::Info, "write", Value::Int(p)));
    }
    for (i, v) in [1, 2, 1, 2, 1, 2].into_iter().enumerate() {
        let p = 100 + i as i64;
        events.push(ev(p, EventType::Invoke, "read", Value::Nil));
        events.push(ev(p, EventType::Ok, "read", Value::Int(v)));
    }
    let budget = Budget {
        time_limit: Some(Duration::from_millis(500)),
        memory_limit_bytes: Some(1 << 30),
    };
    let started = Instant::now();
    let v = check(&History::new(events), &CasRegister::new(Value::Nil), budget);
    let took = started.elapsed();
    assert_eq!(v.outcome, Outcome::Invalid);
    // 10% + 50 ms, and slack for a loaded test machine.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn processes_may_be_keywords_or_strings_and_are_not_dropped() {
    // The example: it used to be `valid, 0 ops`.
    let h = edn::parse_history(
        "{:process :c1, :type :invoke, :f :write, :value 1}\n{:process :c1, :type :ok, :f :write, :value 1}\n{:process :c2, :type :invoke, :f :read, :value nil}\n{:process :c2, :type :ok, :f :read, :value 2}",
    )
    .unwrap();
    let v = check(&h, &CasRegister::new(Value::Nil), Budget::default());
    assert_eq!((v.outcome, v.ops), (Outcome::Invalid, 2));
    let j =
        jsonl::parse_history(&jsonl::write_history(&h).replace("\"c1\"", "{\"string\":\"c1\"}"))
            .unwrap();
    assert_eq!(j.events[0].process, Process::Str("c1".into()));
    let v = check(&j, &CasRegister::new(Value::Nil), Budget::default());
    assert_eq!((v.outcome, v.ops), (Outcome::Invalid, 2));
}

#[test]
fn skipped_processes_are_counted_and_named() {
    let h = edn::parse_history(
        "{:process :nemesis, :type :info, :f :start, :value nil}\n{:process :checker, :type :invoke, :f :read, :value nil}\n{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n{:process :checker, :type :ok, :f :read, :value 7}",
    )
    .unwrap();
    let model = CasRegister::new(Value::Nil);
    let r = check_with(&h, &model, &CheckOptions::default()).unwrap();
    assert_eq!(
        r.verdict.outcome,
        Outcome::Invalid,
        ":checker is a client by default"
    );
    let options = CheckOptions {
        non_clients: vec![":checker".into()],
        ..CheckOptions::default()
    };
    let r = check_with(&h, &model, &options).unwrap();
    assert_eq!(r.verdict.outcome, Outcome::Valid);
    assert_eq!((r.checked_ops, r.skipped_events), (1, 3));
    assert_eq!(r.skipped_processes, vec![":checker", ":nemesis"]);
    assert_eq!(
        r.counts(),
        "1 ops checked, 3 events skipped (:checker, :nemesis)"
    );
}

#[test]
fn a_history_with_no_client_op_is_an_error_unless_allowed() {
    let model = CasRegister::new(Value::Nil);
    let empty = History::default();
    let e = check_with(&empty, &model, &CheckOptions::default()).unwrap_err();
    assert!(
        matches!(e, CheckError::NoClientOps { events: 0, .. }),
        "{e}"
    );
    let nemesis_only =
        edn::parse_history("{:process :nemesis, :type :info, :f :start, :value nil}").unwrap();
    let e = check_with(&nemesis_only, &model, &CheckOptions::default()).unwrap_err();
    assert!(e.to_string().contains(":nemesis"), "{e}");
    assert_eq!(
        check(&empty, &model, Budget::default()).outcome,
        Outcome::Unknown
    );
    let allowed = CheckOptions {
        allow_no_client_ops: true,
        ..CheckOptions::default()
    };
    assert_eq!(
        check_with(&empty, &model, &allowed)
            .unwrap()
            .verdict
            .outcome,
        Outcome::Valid
    );
}

#[test]
fn a_read_of_a_value_nothing_wrote_is_invalid_at_once() {
    // A pathological history that the search cannot finish, plus a read of 99.
    let mut events = Vec::new();
    for p in 0..40 {
        events.push(ev(p, EventType::Invoke, "write", Value::Int(p % 20)));
    }
    for p in 0..40 {
        events.push(ev(p, EventType::Info, "write", Value::Int(p % 20)));
    }
    events.push(ev(100, EventType::Invoke, "read", Value::Nil));
    events.push(ev(100, EventType::Ok, "read", Value::Int(99)));
    let options = CheckOptions {
        steps_limit: Some(10_000_000),
        ..CheckOptions::default()
    };
    let r = check_with(
        &History::new(events),
        &CasRegister::new(Value::Nil),
        &options,
    )
    .unwrap();
    assert_eq!(r.verdict.outcome, Outcome::Invalid);
    let ce = r.verdict.counterexample.unwrap();
    assert_eq!(ce.op.unwrap().value, "99");
    assert!(
        ce.explanation.contains("no operation wrote"),
        "{}",
        ce.explanation
    );
}

#[test]
fn the_memory_limit_stops_the_search_and_the_reader() {
    let mut events = intractable_key("a", 0);
    events.extend(intractable_key("b", 1000));
    let budget = Budget {
        time_limit: Some(Duration::from_secs(60)),
        memory_limit_bytes: Some(32 << 20),
    };
    let v = check(&History::new(events.clone()), &Kv::new(Value::Nil), budget);
    assert_eq!(v.outcome, Outcome::Unknown);
    assert!(
        v.reason
            .as_deref()
            .unwrap()
            .contains("memory limit of 32 MiB"),
        "{:?}",
        v.reason
    );

    let dir = std::env::temp_dir().join(format!("shakedown-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("h.edn");
    let big: Vec<Event> = (0..20_000)
        .flat_map(|i| easy_violation("k", 2 * i))
        .collect();
    shakedown_checkers::write_history_file(&path, &History::new(big)).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    // Smaller than the file: refused before reading.
    let e = read_history_file_limited(
        &path,
        ReadLimits {
            memory_limit_bytes: Some(size / 2),
            deadline: None,
        },
    )
    .unwrap_err();
    assert!(matches!(e, ReadError::Limit { .. }), "{e}");
    // Room for the text but not the events: refused while reading.
    let e = read_history_file_limited(
        &path,
        ReadLimits {
            memory_limit_bytes: Some(size * 2),
            deadline: None,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("refused after"), "{e}");
    assert!(read_history_file_limited(
        &path,
        ReadLimits {
            memory_limit_bytes: Some(size * 20),
            deadline: None
        }
    )
    .is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------
// The new models against brute force.

/// Random small histories: a script played by up to 3 processes. `op` makes
/// an op's invocation and completion values from two random bytes.
fn play(script: &[(u8, u8, u8)], op: impl Fn(u8, u8) -> (&'static str, Value, Value)) -> History {
    let mut pid = [0i64, 1, 2];
    let mut next_pid = 3;
    let mut open: [Option<(&'static str, Value, Value)>; 3] = [None, None, None];
    let mut events = Vec::new();
    for &(slot, a, b) in script {
        let s = usize::from(slot % 3);
        match open[s].take() {
            Some((f, _, done)) => {
                let kind = match a % 8 {
                    0 => EventType::Info,
                    1 => EventType::Fail,
                    _ => EventType::Ok,
                };
                events.push(ev(pid[s], kind, f, done));
                if kind == EventType::Info {
                    pid[s] = next_pid;
                    next_pid += 1;
                }
            }
            None => {
                let (f, inv, done) = op(a, b);
                events.push(ev(pid[s], EventType::Invoke, f, inv));
                open[s] = Some((f, Value::Nil, done));
            }
        }
    }
    History::new(events)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Every order of the ops that keeps real time (or, if `sequential`, only
/// each process's order), every subset of info ops.
fn brute_force<M: Model>(model: &M, history: &History, sequential: bool) -> bool {
    let ops = history.client_ops().unwrap();
    let mut prepared: Vec<(&Op, M::Op)> = Vec::new();
    for op in &ops {
        if op.completion == Completion::Fail {
            continue;
        }
        if let Some(p) = model.prepare(op).unwrap() {
            prepared.push((op, p));
        }
    }
    fn place<M: Model>(
        model: &M,
        state: &M::State,
        ops: &[(&Op, M::Op)],
        placed: u64,
        skipped: u64,
        sequential: bool,
    ) -> bool {
        let done = |i: usize| (placed | skipped) & (1 << i) != 0;
        if ops
            .iter()
            .enumerate()
            .all(|(i, (op, _))| op.completion != Completion::Ok || placed & (1 << i) != 0)
        {
            return true;
        }
        for (i, (op, p)) in ops.iter().enumerate() {
            if done(i) {
                continue;
            }
            let ready = ops.iter().enumerate().all(|(j, (other, _))| {
                done(j)
                    || if sequential {
                        other.process != op.process || other.invoke_index >= op.invoke_index
                    } else {
                        other.completion != Completion::Ok
                            || other.complete_index.is_some_and(|c| c > op.invoke_index)
                    }
            });
            if !ready {
                continue;
            }
            if let Some(next) = model.step(state, p) {
                if place(model, &next, ops, placed | (1 << i), skipped, sequential) {
                    return true;
                }
            }
            // Under sequential consistency an info op may be passed over
            // for good, so that its process goes on.
            if sequential
                && op.completion == Completion::Info
                && place(model, state, ops, placed, skipped | (1 << i), sequential)
            {
                return true;
            }
        }
        false
    }
    place(model, &model.init(), &prepared, 0, 0, sequential)
}

fn outcome(model: &dyn AnyModel, h: &History) -> Option<bool> {
    match model.check_with(h, &CheckOptions::default()) {
        Ok(r) => match r.verdict.outcome {
            Outcome::Valid => Some(true),
            Outcome::Invalid => Some(false),
            Outcome::Unknown => None,
        },
        Err(CheckError::NoClientOps { .. }) => None,
        Err(e) => panic!("{e}"),
    }
}

fn script() -> impl Strategy<Value = Vec<(u8, u8, u8)>> {
    prop::collection::vec(any::<(u8, u8, u8)>(), 0..16)
}

#[test]
fn fifo_queue_agrees_with_brute_force() {
    runner(400)
        .run(&script(), |s| {
            let h = play(&s, |a, b| match a % 3 {
                0 => (
                    "enqueue",
                    Value::Int(i64::from(b % 3)),
                    Value::Int(i64::from(b % 3)),
                ),
                1 => (
                    "dequeue",
                    Value::Nil,
                    if b % 4 == 0 {
                        Value::Nil
                    } else {
                        Value::Int(i64::from(b % 3))
                    },
                ),
                _ => (
                    "drain",
                    Value::Nil,
                    Value::Vector((0..b % 3).map(|i| Value::Int(i64::from(i))).collect()),
                ),
            });
            if let Some(valid) = outcome(&FifoQueue, &h) {
                prop_assert_eq!(
                    valid,
                    brute_force(&FifoQueue, &h, false),
                    "{}",
                    edn::write_history(&h)
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn sequential_registers_and_kv_agree_with_brute_force() {
    let register = |a: u8, b: u8| match a % 2 {
        0 => (
            "write",
            Value::Int(i64::from(b % 3)),
            Value::Int(i64::from(b % 3)),
        ),
        _ => ("read", Value::Nil, Value::Int(i64::from(b % 3))),
    };
    runner(400)
        .run(&script(), |s| {
            let h = play(&s, register);
            let m = Sequential::new(Register::new(Value::Int(0)));
            if let Some(valid) = outcome(&m, &h) {
                prop_assert_eq!(
                    valid,
                    brute_force(&m, &h, true),
                    "{}",
                    edn::write_history(&h)
                );
            }
            // Sequential consistency is weaker than linearizability.
            if outcome(&Register::new(Value::Int(0)), &h) == Some(true) {
                prop_assert_ne!(outcome(&m, &h), Some(false));
            }
            Ok(())
        })
        .unwrap();
    runner(300)
        .run(&script(), |s| {
            let mut h = play(&s, register);
            for (i, e) in h.events.iter_mut().enumerate() {
                e.f = if e.f == "read" {
                    "get".into()
                } else {
                    "put".into()
                };
                e.key = Some(Value::from(if (i / 2) % 2 == 0 { "x" } else { "y" }));
            }
            // Keys must pair: give both events of an op the key of its invocation.
            let ops = h.client_ops().unwrap();
            for op in &ops {
                let key = h.events[op.invoke_index].key.clone();
                if let Some(c) = op.complete_index {
                    h.events[c].key = key;
                }
            }
            let m = SequentialKv::new(Value::Int(0));
            if let Some(valid) = outcome(&m, &h) {
                prop_assert_eq!(
                    valid,
                    brute_force(&m, &h, true),
                    "{}",
                    edn::write_history(&h)
                );
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn set_agrees_with_brute_force() {
    runner(500)
        .run(&script(), |s| {
            let h = play(&s, |a, b| match a % 3 {
                0 | 1 => (
                    "add",
                    Value::Int(i64::from(b % 5)),
                    Value::Int(i64::from(b % 5)),
                ),
                _ => (
                    "read",
                    Value::Nil,
                    Value::Set(
                        (0..5)
                            .filter(|i| b & (1 << i) != 0)
                            .map(Value::Int)
                            .collect(),
                    ),
                ),
            });
            let Some(valid) = outcome(&SetChecker, &h) else {
                return Ok(());
            };
            // Brute force: the final read is explained by some choice of
            // which uncertain adds (timed out, or not finished before the
            // read began) took effect, with every earlier ok add in it.
            let ops = h.client_ops().unwrap();
            let read = ops
                .iter()
                .filter(|o| o.f == "read" && o.completion == Completion::Ok)
                .max_by_key(|o| o.complete_index)
                .unwrap();
            let Value::Set(items) = &read.value else {
                unreachable!()
            };
            let adds: Vec<&Op> = ops
                .iter()
                .filter(|o| o.f == "add" && o.completion != Completion::Fail)
                .collect();
            let certain = |o: &Op| {
                o.completion == Completion::Ok
                    && o.complete_index.is_some_and(|c| c < read.invoke_index)
            };
            let explained = items
                .iter()
                .all(|v| adds.iter().any(|a| &a.invoke_value == v))
                && adds
                    .iter()
                    .filter(|a| certain(a))
                    .all(|a| items.contains(&a.invoke_value));
            prop_assert_eq!(valid, explained, "{}", edn::write_history(&h));
            Ok(())
        })
        .unwrap();
}

#[test]
fn counter_agrees_with_brute_force() {
    runner(500)
        .run(&script(), |s| {
            let h = play(&s, |a, b| match a % 2 {
                0 => ("add", Value::Int(1), Value::Int(1)),
                _ => ("read", Value::Nil, Value::Int(i64::from(b % 5))),
            });
            let Some(valid) = outcome(&CounterChecker::new(Value::Nil).unwrap(), &h) else {
                return Ok(());
            };
            // Brute force: each ok read equals the sum of some subset of the
            // adds that may have happened, containing the certain ones.
            let ops = h.client_ops().unwrap();
            let all = ops
                .iter()
                .filter(|r| r.f == "read" && r.completion == Completion::Ok)
                .all(|r| {
                    let maybe: Vec<&Op> = ops
                        .iter()
                        .filter(|a| {
                            a.f == "add"
                                && a.completion != Completion::Fail
                                && r.complete_index.is_none_or(|c| a.invoke_index < c)
                        })
                        .collect();
                    let certain = maybe
                        .iter()
                        .filter(|a| {
                            a.completion == Completion::Ok
                                && a.complete_index.is_some_and(|c| c < r.invoke_index)
                        })
                        .count() as u32;
                    let n = maybe.len() as u32;
                    (0u32..1 << n).any(|m| {
                        m.count_ones() >= certain
                            && maybe.iter().enumerate().all(|(i, a)| {
                                !(a.completion == Completion::Ok
                                    && a.complete_index.is_some_and(|c| c < r.invoke_index))
                                    || m & (1 << i) != 0
                            })
                            && r.value == Value::Int(i64::from(m.count_ones()))
                    })
                });
            prop_assert_eq!(valid, all, "{}", edn::write_history(&h));
            Ok(())
        })
        .unwrap();
}

#[test]
fn unordered_queue_finds_lost_duplicated_and_unexpected_messages() {
    let h = |text: &str| edn::parse_history(text).unwrap();
    let ok = h("{:process 0, :type :invoke, :f :enqueue, :value 1}\n{:process 0, :type :ok, :f :enqueue, :value 1}\n{:process 1, :type :invoke, :f :enqueue, :value 2}\n{:process 1, :type :info, :f :enqueue, :value 2}\n{:process 2, :type :invoke, :f :drain, :value nil}\n{:process 2, :type :ok, :f :drain, :value [2 1]}");
    assert_eq!(outcome(&UnorderedQueue, &ok), Some(true));
    // In FIFO order it is wrong: 1 was enqueued before 2 was even invoked.
    assert_eq!(
        outcome(&*model_by_name("queue", Value::Nil).unwrap(), &ok),
        Some(false)
    );
    let lost = h("{:process 0, :type :invoke, :f :enqueue, :value 1}\n{:process 0, :type :ok, :f :enqueue, :value 1}\n{:process 2, :type :invoke, :f :drain, :value nil}\n{:process 2, :type :ok, :f :drain, :value []}");
    let r = UnorderedQueue
        .check_with(&lost, &CheckOptions::default())
        .unwrap();
    assert!(r
        .verdict
        .counterexample
        .unwrap()
        .explanation
        .contains("1 lost"));
    let dup = h("{:process 0, :type :invoke, :f :enqueue, :value 1}\n{:process 0, :type :ok, :f :enqueue, :value 1}\n{:process 1, :type :invoke, :f :dequeue, :value nil}\n{:process 1, :type :ok, :f :dequeue, :value 1}\n{:process 2, :type :invoke, :f :drain, :value nil}\n{:process 2, :type :ok, :f :drain, :value [1 3]}");
    let r = UnorderedQueue
        .check_with(&dup, &CheckOptions::default())
        .unwrap();
    let why = r.verdict.counterexample.unwrap().explanation;
    assert!(
        why.contains("1 duplicated") && why.contains("1 unexpected"),
        "{why}"
    );
}
