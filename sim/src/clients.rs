//! Simulated client processes: they issue the workload, wait for answers,
//! time out into `info`, and feed the recorder.
//!
//! As in Jepsen, client `c` starts as process `c` and talks to node
//! `process mod nodes`. A process whose op ends in `info` (timeout or an
//! indeterminate answer) never issues another op: the client continues as
//! process `process + clients`. A completion that a node answered names
//! that node with an extra key, `:node "n1"`; a timeout names none.

use crate::config::SimConfig;
use crate::node::{ClientRequest, ClientResponse, ClusterModel, NodeId, RequestId};
use crate::workload::{Generator, OpLimit, Pacing, Workload};
use crate::world::{sub_seed, World};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shakedown_checkers::{Event, EventType, Process, Value};
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Issuing the workload.
    Main,
    /// Main phase over; waiting for the final reads to start.
    WaitFinal,
    /// Reading every key once.
    Final,
    /// Nothing more to issue and nothing open.
    Done,
}

#[derive(Debug, Clone)]
enum Timer {
    Issue(usize),
    Timeout(usize, RequestId),
    FinalStart,
}

#[derive(Debug, Clone)]
struct OpenOp {
    f: String,
    key: Option<Value>,
    value: Value,
}

#[derive(Debug, Clone)]
struct Slot {
    process: i64,
    open: Option<OpenOp>,
    /// When the open (or last) op was invoked.
    invoked_ns: i64,
}

/// Every client of a run. See the [module docs](self).
pub(crate) struct Clients {
    count: usize,
    nodes: usize,
    workload: Workload,
    generator: Generator,
    rng: ChaCha8Rng,
    slots: Vec<Slot>,
    inbox: BTreeMap<(i64, u64), (NodeId, RequestId, ClientResponse)>,
    timers: BTreeMap<(i64, u64), Timer>,
    open: BTreeMap<RequestId, usize>,
    next_request: u64,
    issued: u64,
    phase: Phase,
    final_queue: VecDeque<Option<Value>>,
    started: bool,
}

impl Clients {
    pub(crate) fn new(config: &SimConfig) -> Self {
        Clients {
            count: config.clients,
            nodes: config.nodes.max(1),
            workload: config.workload.clone(),
            generator: Generator::new(&config.workload),
            rng: ChaCha8Rng::seed_from_u64(sub_seed(config.seed, "workload")),
            slots: (0..config.clients)
                .map(|c| Slot {
                    process: c as i64,
                    open: None,
                    invoked_ns: 0,
                })
                .collect(),
            inbox: BTreeMap::new(),
            timers: BTreeMap::new(),
            open: BTreeMap::new(),
            next_request: 0,
            issued: 0,
            phase: if config.clients == 0 {
                Phase::Done
            } else {
                Phase::Main
            },
            final_queue: VecDeque::new(),
            started: false,
        }
    }

    /// True once nothing more will be issued and nothing is open. A run
    /// without clients is never done early: it lasts its whole duration.
    pub(crate) fn is_done(&self) -> bool {
        self.count > 0 && self.phase == Phase::Done
    }

    /// Number of operations invoked so far.
    pub(crate) fn issued(&self) -> u64 {
        self.issued
    }

    /// A node's answer reaches the client side at `due`.
    pub(crate) fn deliver_response(
        &mut self,
        due: i64,
        seq: u64,
        node: NodeId,
        req: RequestId,
        resp: ClientResponse,
    ) {
        self.inbox.insert((due, seq), (node, req, resp));
    }

    fn next_due(&self) -> i64 {
        let a = self.inbox.keys().next().map_or(i64::MAX, |k| k.0);
        let b = self.timers.keys().next().map_or(i64::MAX, |k| k.0);
        a.min(b)
    }

    fn pause_ns(&mut self) -> i64 {
        match self.workload.pacing {
            Pacing::ClosedLoop => 0,
            Pacing::Rate { ops_per_s } => {
                let max_ns = 2.0 * self.count as f64 / ops_per_s * 1e9;
                (self.rng.random::<f64>() * max_ns) as i64
            }
        }
    }

    fn schedule<M: ClusterModel>(&mut self, world: &mut World<M>, at: i64, timer: Timer) {
        let seq = world.seq();
        self.timers.insert((at, seq), timer);
    }

    /// Handles responses and timers due at `now`; returns the next due time.
    pub(crate) fn drive<M: ClusterModel>(&mut self, world: &mut World<M>, now: i64) -> i64 {
        if !self.started {
            self.started = true;
            for c in 0..self.slots.len() {
                let at = now.saturating_add(self.pause_ns());
                self.schedule(world, at, Timer::Issue(c));
            }
        }
        loop {
            let resp_key = self.inbox.keys().next().copied().filter(|k| k.0 <= now);
            let timer_key = self.timers.keys().next().copied().filter(|k| k.0 <= now);
            if resp_key.is_some() || timer_key.is_some() {
                world.events_handled += 1;
            }
            match (resp_key, timer_key) {
                (None, None) => break,
                (Some(r), t) if t.is_none_or(|t| r < t) => {
                    let Some((_, (node, req, resp))) = self.inbox.pop_first() else {
                        break;
                    };
                    world.digest_response(node, &(req, resp.clone()));
                    if let Some(c) = self.open.remove(&req) {
                        self.complete(world, now, c, resp, Some(node));
                    }
                }
                _ => {
                    let Some((_, timer)) = self.timers.pop_first() else {
                        break;
                    };
                    match timer {
                        Timer::Issue(c) => self.issue(world, now, c),
                        Timer::Timeout(c, req) => {
                            if self.open.get(&req) == Some(&c) {
                                self.open.remove(&req);
                                self.complete(
                                    world,
                                    now,
                                    c,
                                    ClientResponse::unknown("timeout"),
                                    None,
                                );
                            }
                        }
                        Timer::FinalStart => {
                            self.phase = Phase::Final;
                            for c in 0..self.slots.len() {
                                self.issue(world, now, c);
                            }
                        }
                    }
                }
            }
            self.advance_phase(world, now);
        }
        self.advance_phase(world, now);
        self.next_due()
    }

    fn advance_phase<M: ClusterModel>(&mut self, world: &mut World<M>, now: i64) {
        if !self.open.is_empty() {
            return;
        }
        match self.phase {
            Phase::Main if !self.may_issue_main(now) => match self.workload.final_reads_at_ms {
                Some(at_ms) => {
                    self.phase = Phase::WaitFinal;
                    self.final_queue = self.generator.all_keys().into();
                    let at = (at_ms.saturating_mul(1_000_000) as i64).max(now);
                    self.schedule(world, at, Timer::FinalStart);
                }
                None => self.phase = Phase::Done,
            },
            Phase::Final if self.final_queue.is_empty() => self.phase = Phase::Done,
            _ => {}
        }
    }

    fn may_issue_main(&self, now: i64) -> bool {
        match self.workload.limit {
            OpLimit::Count(n) => self.issued < n,
            OpLimit::DurationMs(ms) => now < ms.saturating_mul(1_000_000) as i64,
        }
    }

    fn issue<M: ClusterModel>(&mut self, world: &mut World<M>, now: i64, c: usize) {
        if self.slots[c].open.is_some() {
            return;
        }
        let (f, key, value) = match self.phase {
            Phase::Main if self.may_issue_main(now) => {
                let op = self.generator.next(&mut self.rng);
                (op.f, op.key, op.value)
            }
            Phase::Final => match self.final_queue.pop_front() {
                Some(key) => ("read".to_owned(), key, Value::Nil),
                None => return,
            },
            _ => return,
        };
        self.issued += 1;
        self.next_request += 1;
        let req = RequestId(self.next_request);
        let process = self.slots[c].process;
        let mut event = Event::new(
            Process::Client(process),
            EventType::Invoke,
            f.clone(),
            value.clone(),
        )
        .at(now);
        if let Some(k) = &key {
            event = event.with_key(k.clone());
        }
        world.record(event);
        let node = NodeId::from_index(process.rem_euclid(self.nodes as i64) as usize);
        tracing::debug!(sim_ns = now, process, node = %node, f = %f, "invoke");
        self.slots[c].invoked_ns = now;
        self.slots[c].open = Some(OpenOp {
            f: f.clone(),
            key: key.clone(),
            value: value.clone(),
        });
        self.open.insert(req, c);
        let timeout_ns = self.workload.timeout_ms.saturating_mul(1_000_000) as i64;
        self.schedule(
            world,
            now.saturating_add(timeout_ns),
            Timer::Timeout(c, req),
        );
        world.send_request(
            node,
            ClientRequest {
                id: req,
                f,
                key,
                value,
            },
        );
    }

    /// Records the completion of client `c`'s open op. `node` is the node
    /// that answered (`None` for a timeout); it goes on the event as an
    /// extra key, `:node "n1"`, so a report can say which node served a
    /// stale read. Checkers ignore (and keep) keys they do not know.
    fn complete<M: ClusterModel>(
        &mut self,
        world: &mut World<M>,
        now: i64,
        c: usize,
        resp: ClientResponse,
        node: Option<NodeId>,
    ) {
        let Some(op) = self.slots[c].open.take() else {
            return;
        };
        let process = Process::Client(self.slots[c].process);
        let (kind, value, error) = match resp {
            ClientResponse::Ok(v) => (EventType::Ok, v, None),
            ClientResponse::Fail(e) => (EventType::Fail, op.value, Some(e)),
            ClientResponse::Unknown(e) => (EventType::Info, op.value, Some(e)),
        };
        let mut event = Event::new(process, kind, op.f, value).at(now);
        event.key = op.key;
        if let Some(e) = error {
            event.extra.push((Value::keyword("error"), error_value(e)));
        }
        if let Some(node) = node {
            event
                .extra
                .push((Value::keyword("node"), Value::Str(node.name())));
        }
        tracing::debug!(sim_ns = now, process = %event.process, kind = %kind, "complete");
        world.record(event);
        if kind == EventType::Info {
            self.slots[c].process += self.count as i64;
        }
        // Rate pacing spaces invocations, not the gaps between ops, so
        // the rate holds whatever the op latency (up to the latency).
        let at = match self.workload.pacing {
            Pacing::ClosedLoop => now,
            Pacing::Rate { .. } => self.slots[c]
                .invoked_ns
                .saturating_add(self.pause_ns())
                .max(now),
        };
        self.schedule(world, at, Timer::Issue(c));
    }
}

/// Jepsen writes simple errors as keywords (`:timeout`); anything that is
/// not a valid keyword stays a string.
pub(crate) fn error_value(e: String) -> Value {
    let keyword_like = !e.is_empty()
        && e.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.?!*+".contains(c))
        && !e.starts_with(|c: char| c.is_ascii_digit());
    if keyword_like {
        Value::Keyword(e)
    } else {
        Value::Str(e)
    }
}
