//! The shared state of a simulated cluster, and how one node's events are
//! handled. Engine-neutral: an engine calls [`World::drive_node`] and
//! [`World::drive_clients`] when a node (or the client side) is due, and
//! applies faults through the `World`'s methods.
//!
//! Every queue is a `BTreeMap` keyed by `(due time, sequence number)`; the
//! sequence number is global, so ties break in the order events were
//! created, the same way on every run.
//!
//! How a sleeping side learns that something new is due depends on the
//! engine ([`Wakeups`]): the turmoil engine's drivers sleep on a tokio
//! `Notify`; the discrete engine keeps one [`Agenda`] of (time, sequence,
//! side) and pops the earliest.

use crate::clients::Clients;
use crate::config::{Limits, SimConfig};
use crate::control::NodeStatus;
use crate::net::{Fate, Latency, Network};
use crate::node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, Effects, Node, NodeId, NodeInit, NodeRng,
    RequestId, TimerId,
};
use crate::panic::{catch, NodePanic};
use crate::record::{Digest, NodeCounters};
use crate::storage::Storage;
use crate::time::{duration_ns, NodeClock};
use crate::trace::TraceEntry;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use shakedown_checkers::Event;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;
use tokio::sync::Notify;

/// The agenda's name for the client side (nodes are their index).
pub(crate) const CLIENT_SIDE: u32 = u32::MAX;

/// The discrete engine's one queue: when each side (a node, or the client
/// side) is next due, ordered by (time, sequence number). Entries are not
/// removed when a side's plans change: a popped entry is acted on only if
/// the side is still due by then (see [`World::is_due`]).
#[derive(Default)]
pub(crate) struct Agenda {
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    seq: u64,
}

impl Agenda {
    fn push(&mut self, at: i64, side: u32) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, side)));
    }

    /// The earliest entry's time.
    pub(crate) fn next_time(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse((t, ..))| *t)
    }

    /// Takes the earliest entry if it is due at or before `at`.
    pub(crate) fn pop_due(&mut self, at: i64) -> Option<(i64, u32)> {
        match self.heap.peek() {
            Some(Reverse((t, _, side))) if *t <= at => {
                let entry = (*t, *side);
                self.heap.pop();
                Some(entry)
            }
            _ => None,
        }
    }
}

/// How a side that sleeps is told that something new is due.
pub(crate) enum Wakeups {
    /// Each side is a task sleeping on its `Notify` (turmoil).
    Notify,
    /// The discrete engine's agenda.
    Agenda(Agenda),
    /// Each side is a task sleeping until a time; the engine's hook makes it
    /// wake at the new, earlier time `due` instead (madsim: a timer for
    /// that task, rather than waking it now only for it to sleep again).
    /// Arguments: the side (a node index or [`CLIENT_SIDE`]) and `due`.
    /// Only the madsim engine uses it, and it is built only with
    /// `--cfg madsim`.
    #[cfg_attr(not(madsim), allow(dead_code))]
    Timed(Rc<dyn Fn(u32, i64)>),
}

/// Something waiting in a node's inbox.
pub(crate) enum Incoming<M> {
    /// A message from another node (or itself).
    Message { from: NodeId, msg: M },
    /// A client request.
    Request(ClientRequest),
}

/// One node's slot: its volatile node (absent while crashed) and what
/// outlives it.
pub(crate) struct Slot<N: Node> {
    pub(crate) node: Option<N>,
    pub(crate) status: NodeStatus,
    /// `on_start` has run for the current incarnation.
    pub(crate) started: bool,
    pub(crate) storage: Storage,
    pub(crate) clock: NodeClock,
    pub(crate) rng: NodeRng,
    pub(crate) incarnation: u32,
    next_timer: u64,
    pub(crate) inbox: BTreeMap<(i64, u64), Incoming<N::Message>>,
    timers: BTreeMap<(i64, u64), (TimerId, N::Timer)>,
    timer_keys: BTreeMap<TimerId, (i64, u64)>,
    pub(crate) counters: NodeCounters,
    pub(crate) gauges: BTreeMap<String, f64>,
    /// Wakes the node's driver when something new is due.
    pub(crate) notify: Rc<Notify>,
    /// The time the driver sleeps until (`i64::MAX`: until notified);
    /// `None` while it is handling events.
    pub(crate) sleeping_until: Option<i64>,
}

impl<N: Node> Slot<N> {
    fn next_due(&self) -> Option<i64> {
        let m = self.inbox.keys().next().map(|k| k.0);
        let t = self.timers.keys().next().map(|k| k.0);
        match (m, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The simulated cluster. See the [module docs](self).
pub(crate) struct World<M: ClusterModel> {
    pub(crate) model: M,
    pub(crate) seed: u64,
    pub(crate) node_ids: Vec<NodeId>,
    pub(crate) slots: Vec<Slot<M::Node>>,
    pub(crate) net: Network,
    net_rng: ChaCha8Rng,
    client_latency: Latency,
    /// How sleeping sides are woken.
    pub(crate) wakeups: Wakeups,
    fx: Effects<M::Node>,
    seq: u64,
    /// The client side; taken out while it runs.
    pub(crate) clients: Option<Clients>,
    /// Wakes the client side's driver.
    pub(crate) client_notify: Rc<Notify>,
    pub(crate) client_sleeping_until: Option<i64>,
    pub(crate) history: Vec<Event>,
    pub(crate) digest: Digest,
    pub(crate) delivered: u64,
    /// Events handled in all (messages, requests, timers, responses and
    /// client timers), for `limits.events_handled_max`.
    pub(crate) events_handled: u64,
    pub(crate) limits: Limits,
    /// Simulated time of the host being driven now, ns.
    pub(crate) now_ns: i64,
    /// First fatal error inside a driver (a limit hit); the engine stops.
    pub(crate) error: Option<String>,
    /// The first panic in model code; the engine stops with `crashed`.
    pub(crate) panic: Option<Box<NodePanic>>,
    /// Every step in words, for the determinism check (`SimConfig::trace`).
    pub(crate) trace: Option<Vec<TraceEntry>>,
    /// Fault-point decisions; firings wait in `points.pending` for the
    /// engine core to schedule.
    pub(crate) points: crate::points::PointState,
    digest_buf: Vec<u8>,
    /// A history event as EDN, reused for each one digested.
    event_text: String,
}

/// What a digested step is; part of the digest.
#[derive(Clone, Copy)]
enum Step {
    Message = 0,
    Request = 1,
    Response = 2,
    TimerSet = 3,
    TimerFired = 4,
    History = 5,
}

/// Longest step description kept in a trace.
const TRACE_TEXT_MAX: usize = 300;

fn side_name(x: u64) -> String {
    if x == u64::MAX {
        "client".to_owned()
    } else {
        format!("n{x}")
    }
}

/// Derives an independent seed for one purpose from the run seed.
pub(crate) fn sub_seed(seed: u64, purpose: &str) -> u64 {
    let mut d = Digest::default();
    d.write_u64(seed);
    d.write(purpose.as_bytes());
    d.value()
}

impl<M: ClusterModel> World<M> {
    pub(crate) fn new(config: &SimConfig, model: M, wakeups: Wakeups) -> Self {
        let node_ids: Vec<NodeId> = (0..config.nodes).map(NodeId::from_index).collect();
        let slots = node_ids
            .iter()
            .map(|&id| Slot {
                node: None,
                status: NodeStatus::Up,
                started: false,
                storage: Storage::new(),
                clock: NodeClock::new(),
                rng: NodeRng::for_node(config.seed, id, 0),
                incarnation: 0,
                next_timer: 0,
                inbox: BTreeMap::new(),
                timers: BTreeMap::new(),
                timer_keys: BTreeMap::new(),
                counters: NodeCounters::default(),
                gauges: BTreeMap::new(),
                notify: Rc::new(Notify::new()),
                sleeping_until: None,
            })
            .collect();
        World {
            model,
            seed: config.seed,
            node_ids,
            slots,
            net: Network::new(config.nodes, config.network),
            net_rng: ChaCha8Rng::seed_from_u64(sub_seed(config.seed, "network")),
            client_latency: config.client_latency,
            wakeups,
            fx: Effects::new(),
            seq: 0,
            clients: Some(Clients::new(config)),
            client_notify: Rc::new(Notify::new()),
            client_sleeping_until: None,
            history: Vec::new(),
            digest: Digest::default(),
            delivered: 0,
            events_handled: 0,
            limits: config.limits.clone(),
            now_ns: 0,
            error: None,
            panic: None,
            trace: config.trace.then(Vec::new),
            points: crate::points::PointState::new(config.points.clone(), config.seed),
            digest_buf: Vec::new(),
            event_text: String::new(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Mixes one delivered item into the digest.
    fn digest_delivery<T: serde::Serialize>(&mut self, kind: Step, from: u64, to: u64, item: &T) {
        self.delivered += 1;
        // The item goes in as compact binary (`digest_ser`): formatting it
        // as text for every message was the simulator's largest cost. The
        // trace, when kept, still says it in JSON.
        self.digest_header(kind, from, to);
        crate::digest_ser::mix(&mut self.digest, item);
        if self.trace.is_some() {
            self.digest_buf.clear();
            // Serializing our own message types cannot fail; if a model's
            // Serialize impl does, its error text is shown instead.
            if let Err(e) = serde_json::to_writer(&mut self.digest_buf, item) {
                self.digest_buf.extend_from_slice(e.to_string().as_bytes());
            }
            self.push_trace(kind, from, to);
        }
    }

    /// Mixes one step into the digest (and the trace, when kept): its kind,
    /// the simulated time, the two sides and what `body` writes.
    fn digest_step(&mut self, kind: Step, from: u64, to: u64, body: impl FnOnce(&mut Vec<u8>)) {
        self.digest_buf.clear();
        body(&mut self.digest_buf);
        self.digest_header(kind, from, to);
        self.digest.write(&self.digest_buf);
        self.push_trace(kind, from, to);
    }

    /// Adds the step whose text is in `digest_buf` to the trace, if kept.
    fn push_trace(&mut self, kind: Step, from: u64, to: u64) {
        if let Some(trace) = self.trace.as_mut() {
            let text = String::from_utf8_lossy(&self.digest_buf);
            let mut cut = text.len().min(TRACE_TEXT_MAX);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let ellipsis = if cut < text.len() { "..." } else { "" };
            let what = match kind {
                Step::Message => format!("{} -> {} message ", side_name(from), side_name(to)),
                Step::Request => format!("client -> {} request ", side_name(to)),
                Step::Response => format!("{} -> client response ", side_name(from)),
                Step::TimerSet => format!("{} sets timer {to}: ", side_name(from)),
                Step::TimerFired => format!("{} timer {to} fires", side_name(from)),
                Step::History => "history ".to_owned(),
            };
            trace.push(TraceEntry {
                sim_ns: self.now_ns,
                what: format!("{what}{}{ellipsis}", &text[..cut]),
            });
        }
    }

    /// Mixes a step's kind, the simulated time and the two sides into the
    /// digest.
    fn digest_header(&mut self, kind: Step, from: u64, to: u64) {
        let d = &mut self.digest;
        d.write(&[kind as u8]);
        d.write_u64(self.now_ns as u64);
        d.write_u64(from);
        d.write_u64(to);
    }

    /// Mixes a history event into the digest.
    fn digest_event(&mut self, event: &Event) {
        let mut text = std::mem::take(&mut self.event_text);
        text.clear();
        shakedown_checkers::edn::write_event(&mut text, event);
        if self.trace.is_none() {
            self.digest_header(Step::History, 0, 0);
            self.digest.write(text.as_bytes());
        } else {
            self.digest_step(Step::History, 0, 0, |buf| {
                buf.extend_from_slice(text.as_bytes())
            });
        }
        self.event_text = text;
    }

    /// Wakes `node`'s driver if `due` is earlier than what it sleeps until.
    fn wake(&mut self, node: usize, due: i64) {
        let slot = &mut self.slots[node];
        if let Some(until) = slot.sleeping_until {
            if due < until {
                slot.sleeping_until = Some(due);
                match &mut self.wakeups {
                    Wakeups::Notify => slot.notify.notify_one(),
                    Wakeups::Agenda(agenda) => agenda.push(due, node as u32),
                    Wakeups::Timed(hook) => hook(node as u32, due),
                }
            }
        }
    }

    /// Discrete engine: makes `side` (a node index or [`CLIENT_SIDE`]) due
    /// at `at`, whatever it was waiting for.
    pub(crate) fn schedule(&mut self, side: u32, at: i64) {
        let Wakeups::Agenda(agenda) = &mut self.wakeups else {
            return;
        };
        if side == CLIENT_SIDE {
            self.client_sleeping_until = Some(at);
        } else {
            self.slots[side as usize].sleeping_until = Some(at);
        }
        agenda.push(at, side);
    }

    /// Discrete engine: whether an agenda entry for `side` at `at` is still
    /// wanted (the side has not been driven past it, crashed, or paused).
    pub(crate) fn is_due(&self, side: u32, at: i64) -> bool {
        let until = if side == CLIENT_SIDE {
            self.client_sleeping_until
        } else {
            self.slots[side as usize].sleeping_until
        };
        until.is_some_and(|u| u <= at)
    }

    /// Discrete engine: drives `side` at `at` and puts its next due time on
    /// the agenda.
    pub(crate) fn drive_side(&mut self, side: u32, at: i64) {
        let next = if side == CLIENT_SIDE {
            self.drive_clients(at)
        } else {
            self.drive_node(NodeId(side), at)
        };
        if next != i64::MAX {
            if let Wakeups::Agenda(agenda) = &mut self.wakeups {
                agenda.push(next, side);
            }
        }
    }

    /// Puts an item in `to`'s inbox, due at `due`, unless the inbox is full.
    fn enqueue(&mut self, to: usize, due: i64, item: Incoming<<M::Node as Node>::Message>) -> bool {
        if self.slots[to].inbox.len() >= self.limits.inbox_max {
            tracing::warn!(node = %NodeId::from_index(to), "inbox full: message dropped");
            return false;
        }
        let seq = self.next_seq();
        self.slots[to].inbox.insert((due, seq), item);
        self.wake(to, due);
        true
    }

    /// Delivers a client request to `node` after the client latency.
    pub(crate) fn send_request(&mut self, node: NodeId, req: ClientRequest) {
        let delay = self.client_latency.sample_ns(&mut self.net_rng) as i64;
        let due = self.now_ns.saturating_add(delay);
        self.enqueue(node.index(), due, Incoming::Request(req));
    }

    /// Handles everything due for `node` at `now`. Returns when it next
    /// needs to run (`i64::MAX`: only when woken).
    pub(crate) fn drive_node(&mut self, node: NodeId, now: i64) -> i64 {
        self.now_ns = now;
        let i = node.index();
        self.slots[i].sleeping_until = None;
        let next = match self.slots[i].status {
            NodeStatus::Up => {
                if !self.slots[i].started {
                    self.start_node(node, now);
                }
                self.handle_due(node, now)
            }
            NodeStatus::Paused | NodeStatus::Crashed => i64::MAX,
        };
        self.slots[i].sleeping_until = Some(next);
        next
    }

    fn start_node(&mut self, node: NodeId, now: i64) {
        let i = node.index();
        let built = {
            let slot = &self.slots[i];
            let init = NodeInit {
                id: node,
                nodes: &self.node_ids,
                storage: &slot.storage,
                incarnation: slot.incarnation,
            };
            let model = &self.model;
            catch(node, now, || "build".to_owned(), || model.build(&init))
        };
        let slot = &mut self.slots[i];
        slot.started = true;
        match built {
            Ok(built) => slot.node = Some(built),
            Err(panic) => {
                self.panicked(panic);
                return;
            }
        }
        tracing::debug!(node = %node, sim_ns = now, incarnation = slot.incarnation, "start");
        self.callback(node, now, "on_start", |n, ctx| n.on_start(ctx));
    }

    fn handle_due(&mut self, node: NodeId, now: i64) -> i64 {
        let i = node.index();
        let mut handled = 0u32;
        loop {
            if self.slots[i].status != NodeStatus::Up {
                // Struck at a fault point: nothing more until resumed.
                return i64::MAX;
            }
            let slot = &mut self.slots[i];
            let msg_key = slot.inbox.keys().next().copied().filter(|k| k.0 <= now);
            let timer_key = slot.timers.keys().next().copied().filter(|k| k.0 <= now);
            let take_message = match (msg_key, timer_key) {
                (None, None) => break,
                (Some(m), Some(t)) => m < t,
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            if handled >= self.limits.events_per_instant_max {
                // Let time move; the rest waits for the next tick.
                return now.saturating_add(1);
            }
            handled += 1;
            self.events_handled += 1;
            if take_message {
                let Some((_, item)) = slot.inbox.pop_first() else {
                    break;
                };
                match item {
                    Incoming::Message { from, msg } => {
                        if self.net.is_blocked(from, node) {
                            // Cut while in flight.
                            self.slots[from.index()].counters.dropped += 1;
                            continue;
                        }
                        self.slots[i].counters.delivered += 1;
                        self.digest_delivery(
                            Step::Message,
                            u64::from(from.0),
                            u64::from(node.0),
                            &msg,
                        );
                        if tracing::enabled!(tracing::Level::TRACE) {
                            tracing::trace!(node = %node, sim_ns = now, from = %from, msg = ?msg, "deliver");
                        }
                        self.callback(node, now, "on_message", |n, ctx| {
                            n.on_message(ctx, from, msg)
                        });
                    }
                    Incoming::Request(req) => {
                        self.slots[i].counters.requests += 1;
                        self.digest_delivery(Step::Request, u64::MAX, u64::from(node.0), &req);
                        tracing::trace!(node = %node, sim_ns = now, req = %req.id, f = %req.f, "request");
                        self.callback(node, now, "on_request", |n, ctx| n.on_request(ctx, req));
                    }
                }
            } else {
                let Some((_, (id, timer))) = slot.timers.pop_first() else {
                    break;
                };
                slot.timer_keys.remove(&id);
                tracing::trace!(node = %node, sim_ns = now, timer = ?timer, "timer");
                self.digest_step(Step::TimerFired, u64::from(node.0), id.0, |_| {});
                self.callback(node, now, "on_timer", |n, ctx| n.on_timer(ctx, id, timer));
            }
        }
        self.slots[i].next_due().unwrap_or(i64::MAX)
    }

    /// Runs one callback of `node` at `now` and applies its effects.
    pub(crate) fn callback<R>(
        &mut self,
        node: NodeId,
        now: i64,
        during: &str,
        f: impl FnOnce(&mut M::Node, &mut Ctx<'_, M::Node>) -> R,
    ) -> Option<R> {
        let i = node.index();
        // Events a model logs inside its callbacks carry the node and the
        // simulated time (`RUST_LOG=info` on a replayed seed).
        let span = tracing::info_span!("node", id = %node, sim_ns = now);
        let _entered = span.enter();
        let result = {
            let World {
                slots,
                node_ids,
                fx,
                points,
                ..
            } = self;
            let slot = &mut slots[i];
            let n = slot.node.as_mut()?;
            fx.next_timer = slot.next_timer;
            let mut ctx = Ctx {
                id: node,
                nodes: node_ids,
                now: slot.clock.local_at(now),
                sim_now: now,
                storage: &mut slot.storage,
                rng: &mut slot.rng,
                effects: fx,
                points,
            };
            // A crash at a fault point unwinds out of the callback (without
            // the panic hook); anything else that unwinds is a panic.
            let r = catch(
                node,
                now,
                || during.to_owned(),
                || match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(n, &mut ctx))) {
                    Ok(r) => Some(r),
                    Err(payload) if payload.is::<crate::points::PointUnwind>() => None,
                    Err(payload) => std::panic::resume_unwind(payload),
                },
            );
            slot.next_timer = fx.next_timer;
            r
        };
        match result {
            Ok(Some(result)) => {
                let pause = self.fx.pause_after;
                self.apply_effects(node, now);
                if pause {
                    // Frozen after the callback; the engine resumes it.
                    self.slots[i].status = NodeStatus::Paused;
                }
                Some(result)
            }
            Ok(None) => {
                // Stopped at a fault point: what it did before the point
                // stands, nothing after it; it does nothing more until the
                // engine crashes it at this instant.
                if let Some(cut) = self.fx.cut {
                    self.fx.truncate(cut);
                }
                self.apply_effects(node, now);
                self.slots[i].status = NodeStatus::Paused;
                None
            }
            Err(panic) => {
                // What the callback did before it panicked is discarded
                // with the node; the engine ends the run at this step.
                self.fx = Effects::new();
                self.slots[i].node = None;
                self.panicked(panic);
                None
            }
        }
    }

    /// Keeps the run's first panic; the engine stops after this step.
    fn panicked(&mut self, panic: Box<NodePanic>) {
        tracing::error!(node = %panic.node, sim_ns = panic.at_ns, message = %panic.message, "node panicked");
        if self.panic.is_none() {
            self.panic = Some(panic);
        }
    }

    fn apply_effects(&mut self, node: NodeId, now: i64) {
        let i = node.index();
        let mut fx = std::mem::replace(&mut self.fx, Effects::new());
        for (id, after, timer) in fx.timers_set.drain(..) {
            self.digest_step(Step::TimerSet, u64::from(node.0), id.0, |buf| {
                use std::io::Write;
                let _ = write!(buf, "after {after:?}: {timer:?}");
            });
            let span = self.slots[i].clock.sim_span_ns(duration_ns(after));
            let key = (now.saturating_add(span.max(0)), self.next_seq());
            let slot = &mut self.slots[i];
            slot.timers.insert(key, (id, timer));
            slot.timer_keys.insert(id, key);
        }
        for id in fx.timers_cancelled.drain(..) {
            let slot = &mut self.slots[i];
            if let Some(key) = slot.timer_keys.remove(&id) {
                slot.timers.remove(&key);
            }
        }
        let n = self.slots.len();
        for (to, msg) in fx.sends.drain(..) {
            self.slots[i].counters.sent += 1;
            if to.index() >= n {
                tracing::warn!(node = %node, to = %to, "message to unknown node dropped");
                self.slots[i].counters.dropped += 1;
                continue;
            }
            match self.net.decide(node, to, &mut self.net_rng) {
                Fate::Dropped => self.slots[i].counters.dropped += 1,
                Fate::Deliver {
                    delay_ns,
                    duplicate_delay_ns,
                } => {
                    if let Some(d) = duplicate_delay_ns {
                        self.slots[i].counters.duplicated += 1;
                        let due = now.saturating_add(d as i64);
                        let copy = Incoming::Message {
                            from: node,
                            msg: msg.clone(),
                        };
                        if !self.enqueue(to.index(), due, copy) {
                            self.slots[i].counters.dropped += 1;
                        }
                    }
                    let due = now.saturating_add(delay_ns as i64);
                    if !self.enqueue(to.index(), due, Incoming::Message { from: node, msg }) {
                        self.slots[i].counters.dropped += 1;
                    }
                }
            }
        }
        for (req, resp) in fx.responses.drain(..) {
            self.slots[i].counters.responses += 1;
            let delay = self.client_latency.sample_ns(&mut self.net_rng) as i64;
            let due = now.saturating_add(delay);
            let seq = self.next_seq();
            if let Some(c) = self.clients.as_mut() {
                c.deliver_response(due, seq, node, req, resp);
            }
            if let Some(until) = self.client_sleeping_until {
                if due < until {
                    self.client_sleeping_until = Some(due);
                    match &mut self.wakeups {
                        Wakeups::Notify => self.client_notify.notify_one(),
                        Wakeups::Agenda(agenda) => agenda.push(due, CLIENT_SIDE),
                        Wakeups::Timed(hook) => hook(CLIENT_SIDE, due),
                    }
                }
            }
        }
        for (name, value) in fx.gauges.drain(..) {
            self.slots[i].gauges.insert(name, value);
        }
        fx.next_timer = 0;
        fx.cut = None;
        fx.pause_after = false;
        self.fx = fx;
    }

    /// Handles the client side: responses due and client timers.
    pub(crate) fn drive_clients(&mut self, now: i64) -> i64 {
        self.now_ns = now;
        // Clients run no node code, so nothing reaches the client side
        // while it is taken out.
        let Some(mut clients) = self.clients.take() else {
            return i64::MAX;
        };
        self.client_sleeping_until = None;
        let next = clients.drive(self, now);
        self.clients = Some(clients);
        self.client_sleeping_until = Some(next);
        next
    }

    /// Allocates a sequence number (for queues outside the world).
    pub(crate) fn seq(&mut self) -> u64 {
        self.next_seq()
    }

    pub(crate) fn record(&mut self, event: Event) {
        if self.history.len() >= self.limits.history_events_max {
            if self.error.is_none() {
                self.error = Some(format!(
                    "history reached {} events (limits.history_events_max)",
                    self.limits.history_events_max
                ));
            }
            return;
        }
        self.digest_event(&event);
        self.history.push(event);
    }

    pub(crate) fn digest_response(&mut self, node: NodeId, resp: &(RequestId, ClientResponse)) {
        self.digest_delivery(Step::Response, u64::from(node.0), u64::MAX, resp);
    }

    /// A crash at `now`: drop the node, its timers and what reached it;
    /// lose unsynced writes.
    pub(crate) fn crash(&mut self, node: NodeId, now: i64) {
        let slot = &mut self.slots[node.index()];
        slot.node = None;
        slot.status = NodeStatus::Crashed;
        slot.started = false;
        slot.storage.crash();
        slot.timers.clear();
        slot.timer_keys.clear();
        slot.gauges.clear();
        slot.sleeping_until = Some(i64::MAX);
        self.drop_arrived(node, now);
    }

    /// Messages that arrived at a dead node by `now` are gone; each counts
    /// as dropped for its sender.
    fn drop_arrived(&mut self, node: NodeId, now: i64) {
        let mut senders = Vec::new();
        let inbox = &mut self.slots[node.index()].inbox;
        while let Some(entry) = inbox.first_entry() {
            if entry.key().0 > now {
                break;
            }
            if let Incoming::Message { from, .. } = entry.remove() {
                senders.push(from);
            }
        }
        for from in senders {
            self.slots[from.index()].counters.dropped += 1;
        }
    }

    /// Prepares a restart at `now`: a fresh incarnation that the driver
    /// builds from storage when it next runs.
    pub(crate) fn restart(&mut self, node: NodeId, now: i64) {
        let seed = self.seed;
        self.drop_arrived(node, now);
        let slot = &mut self.slots[node.index()];
        slot.status = NodeStatus::Up;
        slot.started = false;
        slot.incarnation += 1;
        slot.next_timer = 0;
        slot.rng = NodeRng::for_node(seed, node, slot.incarnation);
        slot.sleeping_until = None;
        self.schedule(node.0, now);
    }

    pub(crate) fn pause(&mut self, node: NodeId) {
        self.slots[node.index()].status = NodeStatus::Paused;
    }

    pub(crate) fn resume(&mut self, node: NodeId, now: i64) {
        let slot = &mut self.slots[node.index()];
        slot.status = NodeStatus::Up;
        slot.sleeping_until = Some(i64::MIN);
        slot.notify.notify_one();
        self.schedule(node.0, now);
    }

    /// Wakes a node's driver so that it looks at its queues again (after a
    /// clock change or a model fault).
    pub(crate) fn poke(&mut self, node: NodeId, now: i64) {
        let slot = &mut self.slots[node.index()];
        slot.notify.notify_one();
        if slot.status == NodeStatus::Up {
            self.schedule(node.0, now);
        }
    }
}
