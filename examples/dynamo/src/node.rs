//! One node of the store: replica for the keys the ring gives it,
//! coordinator for the requests clients send it, holder of hints.

use crate::config::{DynamoConfig, ReadRepair};
use crate::hints::{Hint, HintStats, HintStore};
use crate::lww::{newest, supersedes, Cell, Version};
use crate::msg::{Msg, Timer};
use crate::ring::Ring;
use shakedown_checkers::Value;
use shakedown_sim::{
    ClientRequest, ClientResponse, Ctx, ModelFault, Node, NodeId, RequestId, TimerId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How often a node expires and replays hints, in ms. The throttle is a
/// token bucket refilled at every tick, so rates below one hint per tick
/// still work (one hint every few ticks).
pub const HINT_TICK_MS: u64 = 50;

const DATA_PREFIX: &str = "data/";

/// The text form of a client key, used on the ring and in storage: the
/// key's EDN text, or `""` for the single register of an unkeyed workload.
pub fn key_text(key: &Option<Value>) -> String {
    key.as_ref().map_or_else(String::new, |k| k.to_string())
}

/// A request this node coordinates.
#[derive(Debug)]
struct Pending {
    req: RequestId,
    key: String,
    replicas: Vec<NodeId>,
    responded: bool,
    kind: PendingKind,
}

#[derive(Debug)]
enum PendingKind {
    Write {
        cell: Cell,
        /// Replicas of the preference list that acknowledged.
        acked: BTreeSet<NodeId>,
        /// Replicas whose copy went into a hint (here or at a fallback).
        handed_off: BTreeSet<NodeId>,
        /// Fallback nodes asked to hold a hint (sloppy quorum).
        fallbacks_asked: BTreeSet<NodeId>,
        /// Fallback nodes that stored the hint: they count toward W.
        fallback_acks: BTreeSet<NodeId>,
    },
    Read {
        replies: BTreeMap<NodeId, Option<Cell>>,
        /// Replicas that acknowledged a blocking repair.
        repair_acks: BTreeSet<NodeId>,
        /// Replicas already sent the newest version.
        repaired: BTreeSet<NodeId>,
    },
}

/// One node of the store. Built by [`crate::Dynamo`].
#[derive(Debug)]
pub struct DynamoNode {
    config: DynamoConfig,
    ring: Ring,
    id: NodeId,
    data: BTreeMap<String, Cell>,
    hints: HintStore,
    pending: BTreeMap<u64, Pending>,
    request_timers: BTreeMap<u64, TimerId>,
    /// Local time (ns) each peer was last heard from.
    last_heard_ns: BTreeMap<NodeId, i64>,
    /// Replay rate set by the `hint-backlog` fault, while it lasts.
    rate_override_per_s: Option<f64>,
}

impl DynamoNode {
    /// Node `id` of a cluster of `nodes` nodes with these settings. Its
    /// data and hints are loaded from storage in [`Node::on_start`].
    pub fn new(config: DynamoConfig, id: NodeId, nodes: usize) -> Self {
        let ring = Ring::new(nodes, config.vnodes_per_node);
        DynamoNode {
            config,
            ring,
            id,
            data: BTreeMap::new(),
            hints: HintStore::default(),
            pending: BTreeMap::new(),
            request_timers: BTreeMap::new(),
            last_heard_ns: BTreeMap::new(),
            rate_override_per_s: None,
        }
    }

    /// The ring this node places keys with.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// What this replica holds for `key`.
    pub fn local(&self, key: &str) -> Option<&Cell> {
        self.data.get(key)
    }

    /// This node's hint store.
    pub fn hints(&self) -> &HintStore {
        &self.hints
    }

    /// Hint counters since this node started.
    pub fn hint_stats(&self) -> HintStats {
        self.hints.stats
    }

    /// The replay rate in force: the `hint-backlog` fault's while it lasts,
    /// else the configured one.
    pub fn replay_rate_per_s(&self) -> f64 {
        self.rate_override_per_s
            .unwrap_or(self.config.hint_replay_rate_per_s)
    }

    /// Requests this node is coordinating now.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    fn ms_ns(ms: u64) -> i64 {
        i64::try_from(ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX)
    }

    /// How long `peer` has been silent, in ns (0 for this node).
    fn silent_for_ns(&self, peer: NodeId, now_ns: i64) -> i64 {
        if peer == self.id {
            return 0;
        }
        let last = self.last_heard_ns.get(&peer).copied().unwrap_or(now_ns);
        now_ns.saturating_sub(last).max(0)
    }

    /// The failure detector: not heard from for `failure_detection_ms`.
    fn looks_down(&self, peer: NodeId, now_ns: i64) -> bool {
        self.silent_for_ns(peer, now_ns) > Self::ms_ns(self.config.failure_detection_ms)
    }

    /// Stores `cell` under `key` if it is newer, durably. True if stored.
    fn apply_local(&mut self, ctx: &mut Ctx<'_, Self>, key: &str, cell: &Cell) -> bool {
        if !supersedes(cell, self.data.get(key)) {
            return false;
        }
        if ctx
            .storage()
            .put_json(format!("{DATA_PREFIX}{key}"), cell)
            .is_err()
        {
            return false;
        }
        ctx.storage().sync();
        ctx.fault_point("write-stored");
        self.data.insert(key.to_owned(), cell.clone());
        true
    }

    /// Applies a replicated `cell` and tells whether the newest version
    /// held here is now at least that one: the condition for acknowledging
    /// it (true unless the disk refused the write).
    fn apply_and_hold(&mut self, ctx: &mut Ctx<'_, Self>, key: &str, cell: &Cell) -> bool {
        self.apply_local(ctx, key, cell);
        self.data
            .get(key)
            .is_some_and(|c| c.version >= cell.version)
    }

    fn emit_gauges(&self, ctx: &mut Ctx<'_, Self>) {
        let s = self.hints.stats;
        ctx.gauge("hint_queue_depth", self.hints.depth() as f64);
        ctx.gauge("hints_written", s.written as f64);
        ctx.gauge("hints_replayed", s.replayed as f64);
        ctx.gauge("hints_expired", s.expired as f64);
        ctx.gauge("hints_refused", s.refused as f64);
        ctx.gauge("hints_lost", s.lost as f64);
        ctx.gauge("hint_replay_rate_per_s", self.replay_rate_per_s());
    }

    fn finish(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        self.pending.remove(&op);
        if let Some(t) = self.request_timers.remove(&op) {
            ctx.cancel_timer(t);
        }
    }

    fn start_write(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest, key: String) {
        let now = ctx.now().as_nanos();
        let op = req.id.0;
        let cell = Cell {
            value: req.value.clone(),
            version: Version {
                ts_ns: now,
                node: self.id.0,
                seq: op,
            },
        };
        let replicas = self
            .ring
            .preference_list(&key, self.config.replication_factor);
        let mut acked = BTreeSet::new();
        let mut down = Vec::new();
        for r in &replicas {
            if *r == self.id {
                if self.apply_local(ctx, &key, &cell)
                    || self
                        .data
                        .get(&key)
                        .is_some_and(|c| c.version >= cell.version)
                {
                    acked.insert(*r);
                }
            } else if self.looks_down(*r, now) {
                down.push(*r);
            } else {
                ctx.send(
                    *r,
                    Msg::Replicate {
                        op,
                        key: key.clone(),
                        cell: cell.clone(),
                    },
                );
            }
        }
        self.pending.insert(
            op,
            Pending {
                req: req.id,
                key,
                replicas,
                responded: false,
                kind: PendingKind::Write {
                    cell,
                    acked,
                    handed_off: BTreeSet::new(),
                    fallbacks_asked: BTreeSet::new(),
                    fallback_acks: BTreeSet::new(),
                },
            },
        );
        // Replicas the failure detector already considers down get no
        // message: straight to a hint or a fallback, as Cassandra does.
        for r in down {
            self.hand_off(ctx, op, r);
        }
        self.set_op_timers(ctx, op);
        self.check_write(ctx, op);
    }

    fn set_op_timers(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        ctx.set_timer(
            Duration::from_millis(self.config.replica_timeout_ms),
            Timer::ReplicaTimeout(op),
        );
        let t = ctx.set_timer(
            Duration::from_millis(self.config.request_timeout_ms),
            Timer::RequestTimeout(op),
        );
        self.request_timers.insert(op, t);
    }

    /// Replica `target` missed write `op`: keep a hint for it, here or, with
    /// a sloppy quorum, at the next healthy node along the ring.
    fn hand_off(&mut self, ctx: &mut Ctx<'_, Self>, op: u64, target: NodeId) {
        let now = ctx.now().as_nanos();
        if !self.config.hinted_handoff_enabled {
            return;
        }
        let Some(p) = self.pending.get(&op) else {
            return;
        };
        let PendingKind::Write {
            cell,
            handed_off,
            fallbacks_asked,
            ..
        } = &p.kind
        else {
            return;
        };
        if handed_off.contains(&target) {
            return;
        }
        let key = p.key.clone();
        let cell = cell.clone();
        if self.silent_for_ns(target, now) > Self::ms_ns(self.config.hint_window_ms) {
            // Down for longer than the hint window: Cassandra stops writing
            // hints for it; it must be repaired some other way.
            self.hints.stats.refused += 1;
            if let Some(Pending {
                kind: PendingKind::Write { handed_off, .. },
                ..
            }) = self.pending.get_mut(&op)
            {
                handed_off.insert(target);
            }
            return;
        }
        let fallback = if self.config.sloppy_quorum {
            let n = self.config.replication_factor;
            self.ring
                .walk(&key)
                .into_iter()
                .skip(n)
                .find(|f| !fallbacks_asked.contains(f) && !self.looks_down(*f, now))
        } else {
            None
        };
        let hint = Hint {
            target,
            key: key.clone(),
            cell: cell.clone(),
            created_ns: now,
        };
        let mut self_fallback = false;
        match fallback {
            Some(f) if f != self.id => {
                ctx.send(
                    f,
                    Msg::HintedWrite {
                        op,
                        target,
                        key,
                        cell,
                    },
                );
            }
            Some(_) => {
                self_fallback = self.keep_hint(ctx, hint);
            }
            // Strict quorum, or no fallback left: the coordinator keeps
            // the hint, and it does not count toward W.
            None => {
                self.keep_hint(ctx, hint);
            }
        }
        if let Some(Pending {
            kind:
                PendingKind::Write {
                    handed_off,
                    fallbacks_asked,
                    fallback_acks,
                    ..
                },
            ..
        }) = self.pending.get_mut(&op)
        {
            handed_off.insert(target);
            if let Some(f) = fallback {
                fallbacks_asked.insert(f);
                if self_fallback {
                    fallback_acks.insert(f);
                }
            }
        }
    }

    /// Stores a hint unless the store is full (then it is refused).
    fn keep_hint(&mut self, ctx: &mut Ctx<'_, Self>, hint: Hint) -> bool {
        if self.hints.depth() >= self.config.hints_max_per_node {
            self.hints.stats.refused += 1;
            return false;
        }
        self.hints.add(ctx.storage(), hint);
        ctx.fault_point("hint-stored");
        true
    }

    fn check_write(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        let w = self.config.write_quorum;
        let Some(p) = self.pending.get_mut(&op) else {
            return;
        };
        let PendingKind::Write {
            cell,
            acked,
            fallback_acks,
            ..
        } = &p.kind
        else {
            return;
        };
        if !p.responded && acked.len() + fallback_acks.len() >= w {
            p.responded = true;
            ctx.respond(p.req, ClientResponse::ok(cell.value.clone()));
        }
        if p.responded && acked.len() == p.replicas.len() {
            self.finish(ctx, op);
        }
    }

    fn start_read(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest, key: String) {
        let op = req.id.0;
        let replicas = self
            .ring
            .preference_list(&key, self.config.replication_factor);
        let mut replies = BTreeMap::new();
        for r in &replicas {
            if *r == self.id {
                // The coordinator's own copy answers first, as a local
                // replica does in Cassandra with a dynamic snitch.
                replies.insert(self.id, self.data.get(&key).cloned());
            } else {
                ctx.send(
                    *r,
                    Msg::Read {
                        op,
                        key: key.clone(),
                    },
                );
            }
        }
        self.pending.insert(
            op,
            Pending {
                req: req.id,
                key,
                replicas,
                responded: false,
                kind: PendingKind::Read {
                    replies,
                    repair_acks: BTreeSet::new(),
                    repaired: BTreeSet::new(),
                },
            },
        );
        self.set_op_timers(ctx, op);
        self.check_read(ctx, op);
    }

    fn check_read(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        let (r, w, mode) = (
            self.config.read_quorum,
            self.config.write_quorum,
            self.config.read_repair,
        );
        let Some(p) = self.pending.get_mut(&op) else {
            return;
        };
        let PendingKind::Read {
            replies,
            repair_acks,
            repaired,
        } = &mut p.kind
        else {
            return;
        };
        if p.responded {
            if mode != ReadRepair::None && replies.len() == p.replicas.len() {
                self.background_repair(ctx, op);
            }
            return;
        }
        if replies.len() < r {
            return;
        }
        let best = replies
            .values()
            .fold(None, |acc, c| newest(acc, c.as_ref()))
            .cloned();
        let Some(best) = best else {
            p.responded = true;
            ctx.respond(p.req, ClientResponse::ok(Value::Nil));
            return;
        };
        if mode == ReadRepair::Blocking {
            // ABD's write-back: the answer must be on W replicas first, so
            // that every later read quorum (R + W > N) sees it.
            let holders: BTreeSet<NodeId> = replies
                .iter()
                .filter(|(_, c)| c.as_ref().is_some_and(|c| c.version >= best.version))
                .map(|(n, _)| *n)
                .chain(repair_acks.iter().copied())
                .collect();
            if holders.len() < w {
                let key = p.key.clone();
                let targets: Vec<NodeId> = p
                    .replicas
                    .iter()
                    .copied()
                    .filter(|n| !holders.contains(n) && !repaired.contains(n))
                    .collect();
                repaired.extend(targets.iter().copied());
                for t in targets {
                    if t == self.id {
                        self.apply_local(ctx, &key, &best);
                        if let Some(Pending {
                            kind: PendingKind::Read { repair_acks, .. },
                            ..
                        }) = self.pending.get_mut(&op)
                        {
                            repair_acks.insert(t);
                        }
                    } else {
                        ctx.send(
                            t,
                            Msg::Replicate {
                                op,
                                key: key.clone(),
                                cell: best.clone(),
                            },
                        );
                    }
                }
                let Some(Pending {
                    kind: PendingKind::Read { repair_acks, .. },
                    ..
                }) = self.pending.get(&op)
                else {
                    return;
                };
                if holders.len() + repair_acks.iter().filter(|n| !holders.contains(n)).count() < w {
                    return;
                }
            }
        }
        if let Some(p) = self.pending.get_mut(&op) {
            p.responded = true;
            ctx.respond(p.req, ClientResponse::ok(best.value));
        }
        if mode == ReadRepair::None {
            self.finish(ctx, op);
        } else {
            self.check_read(ctx, op);
        }
    }

    /// After the answer: send the newest version to every replica that
    /// answered with an older one. Fire and forget.
    fn background_repair(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        let Some(p) = self.pending.get_mut(&op) else {
            return;
        };
        let PendingKind::Read {
            replies, repaired, ..
        } = &mut p.kind
        else {
            return;
        };
        let Some(best) = replies
            .values()
            .fold(None, |acc, c| newest(acc, c.as_ref()))
            .cloned()
        else {
            return;
        };
        let key = p.key.clone();
        let stale: Vec<NodeId> = replies
            .iter()
            .filter(|(n, c)| {
                !repaired.contains(n) && c.as_ref().is_none_or(|c| c.version < best.version)
            })
            .map(|(n, _)| *n)
            .collect();
        repaired.extend(stale.iter().copied());
        for n in stale {
            if n == self.id {
                self.apply_local(ctx, &key, &best);
            } else {
                ctx.send(
                    n,
                    Msg::Replicate {
                        op,
                        key: key.clone(),
                        cell: best.clone(),
                    },
                );
            }
        }
    }

    fn on_replica_timeout(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        let Some(p) = self.pending.get(&op) else {
            return;
        };
        match &p.kind {
            PendingKind::Write {
                acked, handed_off, ..
            } => {
                let missing: Vec<NodeId> = p
                    .replicas
                    .iter()
                    .copied()
                    .filter(|r| !acked.contains(r) && !handed_off.contains(r))
                    .collect();
                for r in missing {
                    self.hand_off(ctx, op, r);
                }
                self.check_write(ctx, op);
            }
            PendingKind::Read { .. } => {
                if p.responded && self.config.read_repair != ReadRepair::None {
                    self.background_repair(ctx, op);
                }
            }
        }
    }

    fn on_request_timeout(&mut self, ctx: &mut Ctx<'_, Self>, op: u64) {
        self.request_timers.remove(&op);
        let Some(p) = self.pending.remove(&op) else {
            return;
        };
        if p.responded {
            return;
        }
        let response = match &p.kind {
            PendingKind::Write { acked, fallback_acks, .. } => ClientResponse::unknown(format!(
                "write reached {} of the {} acknowledgements it needs (W = {}); it may still take effect",
                acked.len() + fallback_acks.len(),
                self.config.write_quorum,
                self.config.write_quorum
            )),
            PendingKind::Read { replies, .. } => ClientResponse::fail(format!(
                "read timed out with {} of {} replica answers (R = {}, read repair {:?})",
                replies.len(),
                self.config.read_quorum,
                self.config.read_quorum,
                self.config.read_repair
            )),
        };
        ctx.respond(p.req, response);
    }

    fn on_hint_tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now().as_nanos();
        self.hints
            .expire(ctx.storage(), now, self.config.hint_window_ms);
        let rate = self.replay_rate_per_s();
        self.hints.refill(now, rate, HINT_TICK_MS);
        let resend_ns = Self::ms_ns(self.config.replica_timeout_ms.saturating_mul(2));
        let down: BTreeSet<NodeId> = self
            .ring_nodes()
            .filter(|n| self.looks_down(*n, now))
            .collect();
        for (hint, h) in self.hints.take_due(now, resend_ns, |t| !down.contains(&t)) {
            ctx.send(
                h.target,
                Msg::HintReplay {
                    hint,
                    key: h.key,
                    cell: h.cell,
                },
            );
        }
        self.emit_gauges(ctx);
        ctx.set_timer(Duration::from_millis(HINT_TICK_MS), Timer::HintTick);
    }

    fn ring_nodes(&self) -> impl Iterator<Item = NodeId> {
        (0..self.ring.nodes()).map(NodeId::from_index)
    }

    /// Applies a model fault (see [`crate::Dynamo::faults`]).
    fn apply_fault(&mut self, ctx: &mut Ctx<'_, Self>, fault: &ModelFault) -> Result<(), String> {
        match fault.name.as_str() {
            crate::FAULT_HINT_BACKLOG => {
                let rate = match fault.params.get("rate_per_s") {
                    None => 1.0,
                    Some(Value::Int(i)) => *i as f64,
                    Some(Value::Float(f)) => f.0,
                    Some(other) => {
                        return Err(format!("hint-backlog: rate_per_s = {other} is not a number; write e.g. rate_per_s = 2"))
                    }
                };
                if !(rate.is_finite() && rate >= 0.0) {
                    return Err(format!("hint-backlog: rate_per_s = {rate}: use 0 (stall replay) or more hints per second"));
                }
                self.rate_override_per_s = Some(rate);
                // Start throttled now, not after the tokens already saved.
                self.hints.clear_tokens();
                self.emit_gauges(ctx);
                Ok(())
            }
            crate::FAULT_DROP_HINTS => {
                self.hints.drop_all(ctx.storage());
                self.emit_gauges(ctx);
                Ok(())
            }
            other => Err(format!(
                "dynamo has no fault named `{other}`; it has `{}` and `{}`",
                crate::FAULT_HINT_BACKLOG,
                crate::FAULT_DROP_HINTS
            )),
        }
    }
}

impl Node for DynamoNode {
    type Message = Msg;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now().as_nanos();
        self.data = ctx
            .storage()
            .scan_prefix(DATA_PREFIX)
            .filter_map(|(k, bytes)| {
                let cell = serde_json::from_slice::<Cell>(bytes).ok()?;
                Some((k[DATA_PREFIX.len()..].to_owned(), cell))
            })
            .collect();
        self.hints = HintStore::load(ctx.storage());
        // Everyone is presumed alive at start; silence then marks them down.
        self.last_heard_ns = self
            .ring_nodes()
            .filter(|n| *n != self.id)
            .map(|n| (n, now))
            .collect();
        self.hints
            .refill(now, self.replay_rate_per_s(), HINT_TICK_MS);
        ctx.broadcast(Msg::Ping);
        ctx.set_timer(
            Duration::from_millis(self.config.heartbeat_interval_ms),
            Timer::Heartbeat,
        );
        ctx.set_timer(Duration::from_millis(HINT_TICK_MS), Timer::HintTick);
        self.emit_gauges(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        let now = ctx.now().as_nanos();
        self.last_heard_ns.insert(from, now);
        match msg {
            Msg::Ping => {}
            Msg::Replicate { op, key, cell } => {
                if self.apply_and_hold(ctx, &key, &cell) {
                    ctx.send(from, Msg::ReplicateAck { op });
                }
            }
            Msg::ReplicateAck { op } => {
                let Some(p) = self.pending.get_mut(&op) else {
                    return;
                };
                if !p.replicas.contains(&from) {
                    return;
                }
                match &mut p.kind {
                    PendingKind::Write { acked, .. } => {
                        acked.insert(from);
                        self.check_write(ctx, op);
                    }
                    PendingKind::Read { repair_acks, .. } => {
                        repair_acks.insert(from);
                        self.check_read(ctx, op);
                    }
                }
            }
            Msg::Read { op, key } => {
                let cell = self.data.get(&key).cloned();
                ctx.send(from, Msg::ReadReply { op, cell });
            }
            Msg::ReadReply { op, cell } => {
                let Some(p) = self.pending.get_mut(&op) else {
                    return;
                };
                if !p.replicas.contains(&from) {
                    return;
                }
                if let PendingKind::Read { replies, .. } = &mut p.kind {
                    replies.insert(from, cell);
                    self.check_read(ctx, op);
                }
            }
            Msg::HintedWrite {
                op,
                target,
                key,
                cell,
            } => {
                // A full store refuses the hint, and the write gets no
                // acknowledgement from this fallback.
                let hint = Hint {
                    target,
                    key,
                    cell,
                    created_ns: now,
                };
                if self.keep_hint(ctx, hint) {
                    ctx.send(from, Msg::HintedAck { op, target });
                }
            }
            Msg::HintedAck { op, target: _ } => {
                let Some(p) = self.pending.get_mut(&op) else {
                    return;
                };
                if let PendingKind::Write {
                    fallbacks_asked,
                    fallback_acks,
                    ..
                } = &mut p.kind
                {
                    if fallbacks_asked.contains(&from) {
                        fallback_acks.insert(from);
                        self.check_write(ctx, op);
                    }
                }
            }
            Msg::HintReplay { hint, key, cell } => {
                if self.apply_and_hold(ctx, &key, &cell) {
                    ctx.fault_point("hint-replayed");
                    ctx.send(from, Msg::HintReplayAck { hint });
                }
            }
            Msg::HintReplayAck { hint } => {
                self.hints.acknowledged(ctx.storage(), hint);
                ctx.fault_point("hint-acknowledged");
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _id: TimerId, timer: Timer) {
        match timer {
            Timer::Heartbeat => {
                ctx.broadcast(Msg::Ping);
                ctx.set_timer(
                    Duration::from_millis(self.config.heartbeat_interval_ms),
                    Timer::Heartbeat,
                );
            }
            Timer::HintTick => self.on_hint_tick(ctx),
            Timer::ReplicaTimeout(op) => self.on_replica_timeout(ctx, op),
            Timer::RequestTimeout(op) => self.on_request_timeout(ctx, op),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        let key = key_text(&req.key);
        match req.f.as_str() {
            "write" => self.start_write(ctx, req, key),
            "read" => self.start_read(ctx, req, key),
            other => {
                let msg = format!(
                    "dynamo supports read and write, not `{other}`: a leaderless last-write-wins store has no atomic read-modify-write (Cassandra needs Paxos for that)"
                );
                ctx.respond(req.id, ClientResponse::fail(msg));
            }
        }
    }

    fn on_model_fault(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        fault: &ModelFault,
    ) -> Result<(), String> {
        self.apply_fault(ctx, fault)
    }

    fn on_model_fault_stop(&mut self, ctx: &mut Ctx<'_, Self>, name: &str) -> Result<(), String> {
        match name {
            crate::FAULT_HINT_BACKLOG => {
                self.rate_override_per_s = None;
                self.emit_gauges(ctx);
                Ok(())
            }
            // Lost hints stay lost; there is nothing to undo.
            crate::FAULT_DROP_HINTS => Ok(()),
            other => Err(format!("dynamo has no fault named `{other}`")),
        }
    }
}
