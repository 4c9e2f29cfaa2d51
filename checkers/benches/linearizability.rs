//! Speed and peak memory of the linearizability checker.
//!
//! `cargo bench -p shakedown-checkers --bench linearizability` prints, for
//! each workload, the check time (parsing excluded) and the peak heap the
//! check allocated beyond the history itself:
//!
//! - 102 cas-register histories shaped like Jepsen's etcd runs (5–15
//!   processes, about 170 events, 10% `info`), generated from seeds 0..102,
//!   and the three etcd histories in `checkers/histories`;
//! - a 50-client kv history of about 2,000 ops over 10 keys;
//! - a single register with 100,000 ops from 10 processes, with unique
//!   writes (the fast path) and with repeated values (the general search);
//! - the shape of porcupine's `c50-bad` (`c50`): 50 clients, get/append over
//!   10 keys, an intractable first key and an easy violation on the last;
//! - a pathological info-heavy kv history (`pathological`) under a time
//!   limit and under a memory limit: how close each limit holds.
//!
//! `SHAKEDOWN_BENCH_WRITE=DIR` also writes the generated c50 and
//! pathological histories there, for `shakedown check`.
//!
//! Each check runs at least 5 times (`SHAKEDOWN_BENCH_REPEATS`), short ones
//! up to 200 times or 300 ms, and the fastest time is printed: the machine
//! is shared, and the minimum is the run least disturbed by others.
//!
//! Porcupine's figures on the same machines, for comparison: its 102 etcd
//! histories in about 0.45 s in total (slowest about 140 ms, 28 MB); its
//! 50-client kv history (1,712 ops) in about 0.1 s.

use peak_alloc::PeakAlloc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shakedown_checkers::model::{Model, ModelError, RegisterAccess};
use shakedown_checkers::models::{CasRegister, Kv, Register};
use shakedown_checkers::{
    check, check_with, Budget, CheckOptions, Event, EventType, History, Op, Outcome, Process, Value,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// Time and peak heap of one check.
struct Measured {
    outcome: Outcome,
    elapsed: Duration,
    peak_bytes: usize,
}

/// The fastest of several checks (the machine is shared; the minimum is
/// the least disturbed), with the largest peak heap seen.
fn measure<M: Model>(history: &History, model: &M) -> Measured {
    let mut best = measure_once(history, model);
    let mut spent = best.elapsed;
    let mut runs = 1;
    // Short checks run more often, so a quiet moment is likely among them.
    while runs < repeats() || (spent < Duration::from_millis(300) && runs < 200) {
        let m = measure_once(history, model);
        spent += m.elapsed;
        runs += 1;
        best.elapsed = best.elapsed.min(m.elapsed);
        best.peak_bytes = best.peak_bytes.max(m.peak_bytes);
    }
    best
}

/// Checks per workload at least: `SHAKEDOWN_BENCH_REPEATS`, default 5
/// (checks shorter than 300 ms in all run up to 200 times).
fn repeats() -> usize {
    std::env::var("SHAKEDOWN_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(5)
}

fn measure_once<M: Model>(history: &History, model: &M) -> Measured {
    let budget = Budget {
        time_limit: Some(Duration::from_secs(30)),
        memory_limit_bytes: Some(4 << 30),
    };
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let started = Instant::now();
    let verdict = check(history, model, budget);
    let elapsed = started.elapsed();
    let peak_bytes = ALLOC.peak_usage().saturating_sub(before);
    drop(verdict.counterexample.clone());
    Measured {
        outcome: verdict.outcome,
        elapsed,
        peak_bytes,
    }
}

fn mb(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// What one simulated client is doing.
#[derive(Clone)]
struct Open {
    process: i64,
    f: &'static str,
    key: Option<Value>,
    value: Value,
    /// Whether the op has taken effect, and what it returned.
    result: Option<(bool, Value)>,
    /// It will time out: complete as `info`, taking effect only if `effects`.
    info: bool,
    effects: bool,
}

/// A linearizable store simulated step by step: ops take effect at a random
/// moment between invocation and completion. `stale_reads` is the chance
/// that a read returns the value before the latest write instead (as etcd
/// with `quorum=false` can), which makes some histories invalid.
struct Sim {
    rng: ChaCha8Rng,
    events: Vec<Event>,
    clients: Vec<Option<Open>>,
    pids: Vec<i64>,
    next_pid: i64,
    time_ns: i64,
}

impl Sim {
    fn new(seed: u64, clients: usize) -> Self {
        Sim {
            rng: ChaCha8Rng::seed_from_u64(seed),
            events: Vec::new(),
            clients: vec![None; clients],
            pids: (0..clients as i64).collect(),
            next_pid: clients as i64,
            time_ns: 0,
        }
    }

    fn push(&mut self, process: i64, kind: EventType, f: &str, key: &Option<Value>, value: Value) {
        self.time_ns += self.rng.random_range(1_000..50_000);
        let mut e = Event::new(Process::Client(process), kind, f, value).at(self.time_ns);
        e.key = key.clone();
        self.events.push(e);
    }

    /// Runs until `ops` ops were invoked and every client finished.
    fn run(
        mut self,
        ops: usize,
        info_rate: impl Fn(&str, &Option<Value>) -> f64,
        mut invoke: impl FnMut(&mut ChaCha8Rng, usize) -> (&'static str, Option<Value>, Value),
        mut apply: impl FnMut(&mut ChaCha8Rng, &Open) -> (bool, Value),
    ) -> History {
        let mut invoked = 0;
        loop {
            let c = self.rng.random_range(0..self.clients.len());
            match self.clients[c].take() {
                None if invoked < ops => {
                    invoked += 1;
                    let (f, key, value) = invoke(&mut self.rng, invoked);
                    let process = self.pids[c];
                    self.push(process, EventType::Invoke, f, &key, value.clone());
                    let info = self.rng.random_bool(info_rate(f, &key));
                    let effects = !info || self.rng.random_bool(0.5);
                    self.clients[c] = Some(Open {
                        process,
                        f,
                        key,
                        value,
                        result: None,
                        info,
                        effects,
                    });
                }
                None => {
                    if self.clients.iter().all(Option::is_none) {
                        return History::new(self.events);
                    }
                }
                Some(mut open) if open.result.is_none() && open.effects => {
                    open.result = Some(apply(&mut self.rng, &open));
                    self.clients[c] = Some(open);
                }
                Some(open) => {
                    if open.info {
                        self.push(
                            open.process,
                            EventType::Info,
                            open.f,
                            &open.key,
                            open.value.clone(),
                        );
                        self.pids[c] = self.next_pid;
                        self.next_pid += 1;
                    } else {
                        let (ok, value) =
                            open.result.clone().unwrap_or((false, open.value.clone()));
                        let kind = if ok { EventType::Ok } else { EventType::Fail };
                        self.push(open.process, kind, open.f, &open.key, value);
                    }
                }
            }
        }
    }
}

/// A cas-register history like Jepsen's etcd test: reads, writes and cas of
/// values 0–4 from 5–15 clients, about 85 ops (170 events), 10% info.
fn etcd_like(seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xe7cd);
    let clients = rng.random_range(5..=15);
    let mut register = Value::Nil;
    let mut previous = Value::Nil;
    Sim::new(seed, clients).run(
        85,
        |_, _| 0.10,
        |rng, _| match rng.random_range(0..5) {
            0 | 1 => ("read", None, Value::Nil),
            2 | 3 => ("write", None, Value::Int(rng.random_range(0..5))),
            _ => (
                "cas",
                None,
                Value::Vector(vec![
                    Value::Int(rng.random_range(0..5)),
                    Value::Int(rng.random_range(0..5)),
                ]),
            ),
        },
        |rng, open| match open.f {
            "read" if rng.random_bool(0.03) => (true, previous.clone()),
            "read" => (true, register.clone()),
            "write" => {
                previous = std::mem::replace(&mut register, open.value.clone());
                (true, open.value.clone())
            }
            _ => {
                let [old, new] = open
                    .value
                    .as_seq()
                    .map(|s| [s[0].clone(), s[1].clone()])
                    .unwrap_or([Value::Nil, Value::Nil]);
                if !register.is_nil() && register == old {
                    previous = std::mem::replace(&mut register, new);
                    (true, open.value.clone())
                } else {
                    (false, open.value.clone())
                }
            }
        },
    )
}

/// A kv history: 50 clients, get/put/append over 10 keys, unique appends.
fn kv_50_clients(seed: u64, ops: usize) -> History {
    let mut store: Vec<Value> = vec![Value::Nil; 10];
    Sim::new(seed, 50).run(
        ops,
        |_, _| 0.0,
        |rng, i| {
            let key = Some(Value::from(rng.random_range(0..10).to_string()));
            match rng.random_range(0..3) {
                0 => ("get", key, Value::Nil),
                1 => ("put", key, Value::from(format!("x {i} y"))),
                _ => ("append", key, Value::from(format!("x {i} y"))),
            }
        },
        |_, open| {
            let k: usize = open
                .key
                .as_ref()
                .and_then(|k| k.as_str()?.parse().ok())
                .unwrap_or(0);
            match open.f {
                "get" => (
                    true,
                    if store[k].is_nil() {
                        Value::from("")
                    } else {
                        store[k].clone()
                    },
                ),
                "put" => {
                    store[k] = open.value.clone();
                    (true, open.value.clone())
                }
                _ => {
                    let mut s = store[k].as_str().unwrap_or("").to_owned();
                    s.push_str(open.value.as_str().unwrap_or(""));
                    store[k] = Value::from(s);
                    (true, open.value.clone())
                }
            }
        },
    )
}

/// The shape of porcupine's `c50-bad`: 50 clients, get/append over keys
/// `"0"`..`"9"`, about `ops` ops, with two faults. Key `"9"` (last in key
/// order) has an easy violation: one late get returns the value before the
/// latest append. Key `"0"` (first in key order) is intractable: a quarter
/// of its appends time out (`info`: each may or may not take effect), and
/// after the first 60% of the ops it is only appended to, until one get
/// near the end misses an append that completed long before. Proving that
/// invalid means trying every order of dozens of pending appends.
fn c50_bad(seed: u64, ops: usize) -> History {
    let mut store: Vec<String> = vec![String::new(); 10];
    // Key 9's values, oldest first: the stale get returns one from ten appends ago.
    let mut past_9: Vec<String> = Vec::new();
    let mut effects = 0usize;
    let mut stale_done = false;
    let key_of = |key: &Option<Value>| -> usize {
        key.as_ref()
            .and_then(|k| k.as_str()?.parse().ok())
            .unwrap_or(0)
    };
    Sim::new(seed, 50).run(
        ops,
        |f, key| {
            if f == "append" && key_of(key) == 0 {
                0.25
            } else {
                0.0
            }
        },
        |rng, i| {
            let k = if i == ops * 9 / 10 {
                0
            } else {
                rng.random_range(0..10)
            };
            let key = Some(Value::from(k.to_string()));
            let quiet = k == 0 && i > ops * 6 / 10 && i != ops * 9 / 10;
            if !quiet && rng.random_bool(0.5) {
                ("get", key, Value::Nil)
            } else {
                ("append", key, Value::from(format!("x {i} y")))
            }
        },
        |_, open| {
            let k = key_of(&open.key);
            effects += 1;
            match open.f {
                "get" if k == 9 && effects > ops * 4 / 5 && !stale_done && past_9.len() > 10 => {
                    stale_done = true;
                    (true, Value::from(past_9[past_9.len() - 10].clone()))
                }
                "get" if k == 0 && effects > ops * 7 / 10 => {
                    // Lose the first append ever made to the key.
                    let end = store[k].find(" y").map_or(0, |i| i + 2);
                    (true, Value::from(store[k][end..].to_owned()))
                }
                "get" => (true, Value::from(store[k].clone())),
                _ => {
                    if k == 9 {
                        past_9.push(store[k].clone());
                    }
                    store[k].push_str(open.value.as_str().unwrap_or(""));
                    (true, open.value.clone())
                }
            }
        },
    )
}

/// `2000 ops checked, 0 events skipped, 965259 steps`.
fn counts<M: Model>(history: &History, model: &M) -> String {
    match check_with(history, model, &CheckOptions::default()) {
        Ok(r) => format!("{}, {} steps", r.counts(), r.steps),
        Err(e) => e.to_string(),
    }
}

/// Sixty timed-out appends with repeated values to two keys, and gets no
/// order explains, plus nemesis events: intractable by design.
fn pathological() -> History {
    let mut events = vec![Event::new(
        Process::nemesis(),
        EventType::Info,
        "start",
        Value::Nil,
    )];
    for key in ["a", "b"] {
        for p in 0..60 {
            let pid = if key == "a" { p } else { 1000 + p };
            let v = Value::from(format!("<{}>", p % 7));
            let mut e = Event::new(Process::Client(pid), EventType::Invoke, "append", v);
            e.key = Some(Value::from(key));
            events.push(e);
        }
    }
    for key in ["a", "b"] {
        for p in 0..60 {
            let pid = if key == "a" { p } else { 1000 + p };
            let v = Value::from(format!("<{}>", p % 7));
            let mut e = Event::new(Process::Client(pid), EventType::Info, "append", v);
            e.key = Some(Value::from(key));
            events.push(e);
        }
        for (i, v) in ["<1><2><3><4><5><6><1><2><3><4><5><6><0>", "<0><6>"]
            .into_iter()
            .enumerate()
        {
            let pid = 5000 + i as i64 + if key == "a" { 0 } else { 10 };
            let mut e = Event::new(Process::Client(pid), EventType::Invoke, "get", Value::Nil);
            e.key = Some(Value::from(key));
            events.push(e.clone());
            e.kind = EventType::Ok;
            e.value = Value::from(v);
            events.push(e);
        }
    }
    events.push(Event::new(
        Process::nemesis(),
        EventType::Info,
        "stop",
        Value::Nil,
    ));
    History::new(events)
}

/// Writes `history` as `<name>.edn` under `SHAKEDOWN_BENCH_WRITE`, if set,
/// so that `shakedown check` can be measured on the same histories.
fn write_if_asked(name: &str, history: &History) {
    if let Some(dir) = std::env::var_os("SHAKEDOWN_BENCH_WRITE") {
        let path = PathBuf::from(dir).join(format!("{name}.edn"));
        match shakedown_checkers::write_history_file(&path, history) {
            Ok(()) => println!("wrote {}", path.display()),
            Err(e) => println!("could not write {}: {e}", path.display()),
        }
    }
}

/// A register with `ops` reads and writes from 10 clients. With `unique`,
/// every write has its own value; otherwise values are 0–9.
fn big_register(seed: u64, ops: usize, unique: bool) -> History {
    let mut register = Value::Nil;
    Sim::new(seed, 10).run(
        ops,
        |_, _| 0.01,
        |rng, i| {
            if rng.random_bool(0.5) {
                ("read", None, Value::Nil)
            } else if unique {
                ("write", None, Value::Int(i as i64))
            } else {
                ("write", None, Value::Int(rng.random_range(0..10)))
            }
        },
        |_, open| match open.f {
            "read" => (true, register.clone()),
            _ => {
                register = open.value.clone();
                (true, open.value.clone())
            }
        },
    )
}

/// The register model with the unique-writes fast path turned off.
struct GeneralSearchOnly(Register);

impl Model for GeneralSearchOnly {
    type State = Value;
    type Op = <Register as Model>::Op;
    fn name(&self) -> &str {
        "register"
    }
    fn init(&self) -> Value {
        self.0.init()
    }
    fn prepare(&self, op: &Op) -> Result<Option<Self::Op>, ModelError> {
        self.0.prepare(op)
    }
    fn step(&self, state: &Value, op: &Self::Op) -> Option<Value> {
        self.0.step(state, op)
    }
    fn register_access(&self, _op: &Self::Op) -> Option<RegisterAccess> {
        None
    }
}

fn outcome_counts(outcomes: &[Outcome]) -> String {
    let count = |o| outcomes.iter().filter(|&&x| x == o).count();
    format!(
        "{} valid, {} invalid, {} unknown",
        count(Outcome::Valid),
        count(Outcome::Invalid),
        count(Outcome::Unknown)
    )
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks workloads.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    println!("linearizability checker: check time (parsing excluded) and peak heap allocated by the check");
    println!(
        "threads available: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    if wants("etcd") {
        let histories: Vec<History> = (0..102).map(etcd_like).collect();
        let events: usize = histories.iter().map(History::len).sum();
        let mut total = Duration::ZERO;
        let mut slowest = (Duration::ZERO, 0);
        let mut peak = 0;
        let mut outcomes = Vec::new();
        for (seed, h) in histories.iter().enumerate() {
            let m = measure(h, &CasRegister::new(Value::Nil));
            total += m.elapsed;
            if m.elapsed > slowest.0 {
                slowest = (m.elapsed, seed);
            }
            peak = peak.max(m.peak_bytes);
            outcomes.push(m.outcome);
        }
        println!(
            "etcd-like cas-register, 102 histories ({:.0} events each on average): total {}, slowest {} (seed {}), peak heap {}; {}",
            events as f64 / 102.0,
            ms(total),
            ms(slowest.0),
            slowest.1,
            mb(peak),
            outcome_counts(&outcomes)
        );
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories");
        for name in ["etcd-000.edn", "etcd-002.edn", "etcd-003.edn"] {
            let Ok(h) = shakedown_checkers::read_history_file(dir.join(name)) else {
                println!("{name}: not found in {}", dir.display());
                continue;
            };
            let m = measure(&h, &CasRegister::new(Value::Nil));
            println!(
                "{name}: {:?} in {}, peak heap {}",
                m.outcome,
                ms(m.elapsed),
                mb(m.peak_bytes)
            );
        }
    }

    if wants("kv") {
        let h = kv_50_clients(7, 2000);
        let ops = h.client_ops().map_or(0, |o| o.len());
        let m = measure(&h, &Kv::new(Value::Nil));
        println!(
            "kv, 50 clients, {ops} ops over 10 keys: {:?} in {}, peak heap {}",
            m.outcome,
            ms(m.elapsed),
            mb(m.peak_bytes)
        );
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("histories");
        if let Ok(h) = shakedown_checkers::read_history_file(dir.join("kv-c01-ok.edn")) {
            let m = measure(&h, &Kv::new(Value::Nil));
            println!(
                "kv-c01-ok.edn: {:?} in {}, peak heap {}",
                m.outcome,
                ms(m.elapsed),
                mb(m.peak_bytes)
            );
        }
    }

    if wants("c50") {
        let h = c50_bad(50, 2000);
        write_if_asked("c50-bad", &h);
        let m = measure(&h, &Kv::new(Value::Nil));
        println!(
            "c50-bad shape: 50 clients, get/append over 10 keys, intractable key \"0\", violation on key \"9\": {:?} in {}, peak heap {}; {}",
            m.outcome,
            ms(m.elapsed),
            mb(m.peak_bytes),
            counts(&h, &Kv::new(Value::Nil))
        );
    }

    if wants("pathological") {
        // Info-heavy: no search can finish it. What matters is that the
        // limits hold: time within 10% + 50 ms, memory within its limit.
        let h = pathological();
        write_if_asked("pathological", &h);
        for (time_ms, memory_mb) in [(2_000u64, 4096u64), (60_000, 256)] {
            let budget = Budget {
                time_limit: Some(Duration::from_millis(time_ms)),
                memory_limit_bytes: Some(memory_mb << 20),
            };
            let before = ALLOC.current_usage();
            ALLOC.reset_peak_usage();
            let started = Instant::now();
            let r = check_with(&h, &Kv::new(Value::Nil), &CheckOptions::with_budget(budget))
                .expect("the history pairs up");
            let elapsed = started.elapsed();
            let peak = ALLOC.peak_usage().saturating_sub(before);
            println!(
                "pathological info-heavy kv, time limit {time_ms} ms, memory limit {memory_mb} MiB: {:?} in {}, peak heap {}; {}; {}",
                r.verdict.outcome,
                ms(elapsed),
                mb(peak),
                r.counts(),
                r.verdict.reason.unwrap_or_default()
            );
        }
    }

    if wants("register-fast") || wants("register-search") {
        let h = big_register(11, 100_000, true);
        let ops = h.client_ops().map_or(0, |o| o.len());
        if wants("register-fast") {
            let m = measure(&h, &Register::new(Value::Nil));
            println!(
                "register-fast: 10 clients, {ops} ops, unique writes, exact fast path: {:?} in {}, peak heap {}",
                m.outcome,
                ms(m.elapsed),
                mb(m.peak_bytes)
            );
        }
        if wants("register-search") {
            let m = measure(&h, &GeneralSearchOnly(Register::new(Value::Nil)));
            println!(
                "register-search: the same history, general search: {:?} in {}, peak heap {}",
                m.outcome,
                ms(m.elapsed),
                mb(m.peak_bytes)
            );
        }
    }
    if wants("register-values") {
        let h = big_register(12, 100_000, false);
        let ops = h.client_ops().map_or(0, |o| o.len());
        let m = measure(&h, &Register::new(Value::Nil));
        println!(
            "register-values: 10 clients, {ops} ops, values 0-9, general search: {:?} in {}, peak heap {}",
            m.outcome,
            ms(m.elapsed),
            mb(m.peak_bytes)
        );
    }
}
