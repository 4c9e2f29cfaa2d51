//! A quorum-replicated register, written against Shakedown's node API the
//! way you would write a model of your own system.
//!
//! Every node keeps a replica: a value with a timestamp `(counter, node)`.
//! The node a client talks to coordinates its operation, in the manner of
//! the ABD algorithm:
//!
//! - **write**: ask a majority for their timestamps, pick a larger one,
//!   store the value on a majority (each replica syncs it to disk before it
//!   acknowledges), then answer `ok`;
//! - **read**: ask a majority for their replicas, take the newest, write it
//!   back to a majority (so no later read can see an older value), then
//!   answer with it.
//!
//! An operation that cannot reach a majority in time is answered `info`
//! (a write may still land) or `fail` (a read changed nothing visible).
//!
//! The bug switch `fast_reads` answers reads from the coordinator's own
//! replica, skipping the quorum. A replica that missed a write then serves
//! a stale value: not linearizable, and Shakedown finds it.

use serde::{Deserialize, Serialize};
use shakedown::models::Registry;
use shakedown_checkers::Value;
use shakedown_sim::node::*;
use std::collections::BTreeMap;
use std::time::Duration;

/// The models this crate registers, next to Shakedown's built-in ones.
/// Printed replay lines name this crate's binary.
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry.register(
        "quorum-register",
        "a register replicated by majority quorums, ABD-style (bug switch: fast_reads)",
        QuorumRegister::new,
    );
    registry.set_command("cargo run --bin your-system --");
    registry
}

/// Settings, read from a scenario's `[cluster.settings]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The bug: answer reads from the local replica, without a quorum.
    #[serde(default)]
    pub fast_reads: bool,
    /// How long a coordinator waits for a majority, in ms.
    #[serde(default = "default_op_timeout_ms")]
    pub op_timeout_ms: u64,
    /// How often a coordinator resends to replicas that have not answered, in ms.
    #[serde(default = "default_resend_ms")]
    pub resend_ms: u64,
}

fn default_op_timeout_ms() -> u64 {
    500
}
fn default_resend_ms() -> u64 {
    50
}

/// The cluster model: builds one [`Replica`] per node.
#[derive(Debug, Clone)]
pub struct QuorumRegister {
    settings: Settings,
}

impl QuorumRegister {
    /// The model with these settings.
    pub fn new(settings: Settings) -> Self {
        QuorumRegister { settings }
    }
}

impl ClusterModel for QuorumRegister {
    type Node = Replica;

    fn name(&self) -> &str {
        "quorum-register"
    }

    fn validate(&self, nodes: usize) -> Result<(), String> {
        if self.settings.op_timeout_ms == 0 || self.settings.resend_ms == 0 {
            return Err("op_timeout_ms and resend_ms must be at least 1".into());
        }
        if nodes > 9 {
            return Err(format!("{nodes} nodes: this example supports at most 9"));
        }
        Ok(())
    }

    fn build(&self, init: &NodeInit<'_>) -> Replica {
        Replica {
            settings: self.settings.clone(),
            stored: Stored::default(),
            ops: BTreeMap::new(),
            next_op: 0,
            majority: init.nodes.len() / 2 + 1,
        }
    }
}

/// A timestamp: a counter, ties broken by the writing node.
pub type Stamp = (u64, u32);

/// What a replica keeps on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// When the value was written.
    pub stamp: Stamp,
    /// The value.
    #[serde(with = "shakedown_sim::wire::value")]
    pub value: Value,
}

impl Default for Stored {
    /// The register before any write: nil, at the oldest timestamp.
    fn default() -> Self {
        Stored {
            stamp: (0, 0),
            value: Value::Nil,
        }
    }
}

/// Messages between nodes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Msg {
    /// Coordinator to replica: what do you hold?
    Query {
        /// The coordinator's operation.
        op: u64,
    },
    /// Replica to coordinator.
    Holding {
        /// The coordinator's operation.
        op: u64,
        /// The replica's value.
        stored: Stored,
    },
    /// Coordinator to replica: keep this if it is newer.
    Store {
        /// The coordinator's operation.
        op: u64,
        /// What to keep.
        stored: Stored,
    },
    /// Replica to coordinator: stored (and synced).
    Stored {
        /// The coordinator's operation.
        op: u64,
    },
}

/// Timers.
#[derive(Debug, Clone)]
pub enum Tick {
    /// Resend what an operation still waits for.
    Resend(u64),
    /// Give up on an operation.
    Expire(u64),
}

/// One operation a node coordinates.
#[derive(Debug)]
struct Op {
    request: ClientRequest,
    phase: Phase,
    /// Nodes that answered the current phase.
    answered: Vec<NodeId>,
}

#[derive(Debug)]
enum Phase {
    /// Collecting replicas; the newest seen so far.
    Query(Stored),
    /// Storing this on a majority.
    Store(Stored),
}

/// One node: a replica, and the coordinator of its clients' operations.
#[derive(Debug)]
pub struct Replica {
    settings: Settings,
    stored: Stored,
    ops: BTreeMap<u64, Op>,
    next_op: u64,
    majority: usize,
}

const KEY: &str = "register";

impl Node for Replica {
    type Message = Msg;
    type Timer = Tick;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Ok(Some(stored)) = ctx.storage().get_json::<Stored>(KEY) {
            self.stored = stored;
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: ClientRequest) {
        match request.f.as_str() {
            "read" if self.settings.fast_reads => {
                let value = self.stored.value.clone();
                ctx.respond(request.id, ClientResponse::ok(value));
            }
            "read" | "write" => {
                let op = self.next_op;
                self.next_op += 1;
                self.ops.insert(
                    op,
                    Op {
                        request,
                        phase: Phase::Query(Stored::default()),
                        answered: Vec::new(),
                    },
                );
                ctx.broadcast(Msg::Query { op });
                ctx.send(ctx.id(), Msg::Query { op });
                ctx.set_timer(Duration::from_millis(self.settings.resend_ms), Tick::Resend(op));
                ctx.set_timer(
                    Duration::from_millis(self.settings.op_timeout_ms),
                    Tick::Expire(op),
                );
            }
            other => ctx.respond(request.id, ClientResponse::fail(format!("unsupported {other}"))),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Query { op } => {
                let stored = self.stored.clone();
                ctx.send(from, Msg::Holding { op, stored });
            }
            Msg::Store { op, stored } => {
                if stored.stamp > self.stored.stamp {
                    if ctx.storage().put_json(KEY, &stored).is_err() {
                        return;
                    }
                    // Durable before it is acknowledged.
                    ctx.storage().sync();
                    self.stored = stored;
                }
                ctx.send(from, Msg::Stored { op });
            }
            Msg::Holding { op, stored } => self.holding(ctx, from, op, stored),
            Msg::Stored { op } => self.acknowledged(ctx, from, op),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId, tick: Tick) {
        match tick {
            Tick::Resend(op) => {
                let Some(o) = self.ops.get(&op) else { return };
                let msg = match &o.phase {
                    Phase::Query(_) => Msg::Query { op },
                    Phase::Store(stored) => Msg::Store {
                        op,
                        stored: stored.clone(),
                    },
                };
                let missing: Vec<NodeId> = ctx
                    .nodes()
                    .iter()
                    .copied()
                    .filter(|n| !o.answered.contains(n))
                    .collect();
                for n in missing {
                    ctx.send(n, msg.clone());
                }
                ctx.set_timer(Duration::from_millis(self.settings.resend_ms), Tick::Resend(op));
            }
            Tick::Expire(op) => {
                let Some(o) = self.ops.remove(&op) else { return };
                let response = match o.request.f.as_str() {
                    // A read that did not finish changed nothing a reader
                    // could tell apart: it did not happen.
                    "read" => ClientResponse::fail("no quorum"),
                    // A write may have reached some replicas: unknown.
                    _ => ClientResponse::unknown("no quorum"),
                };
                ctx.respond(o.request.id, response);
            }
        }
    }
}

impl Replica {
    fn holding(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, op: u64, stored: Stored) {
        let majority = self.majority;
        let id = ctx.id();
        let Some(o) = self.ops.get_mut(&op) else { return };
        let Phase::Query(newest) = &mut o.phase else { return };
        if o.answered.contains(&from) {
            return;
        }
        o.answered.push(from);
        if stored.stamp > newest.stamp {
            *newest = stored;
        }
        if o.answered.len() < majority {
            return;
        }
        let store = if o.request.f == "write" {
            Stored {
                stamp: (newest.stamp.0 + 1, id.0),
                value: o.request.value.clone(),
            }
        } else {
            // Write back what the read will return.
            newest.clone()
        };
        o.phase = Phase::Store(store.clone());
        o.answered.clear();
        ctx.broadcast(Msg::Store {
            op,
            stored: store.clone(),
        });
        ctx.send(id, Msg::Store { op, stored: store });
    }

    fn acknowledged(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, op: u64) {
        let Some(o) = self.ops.get_mut(&op) else { return };
        let Phase::Store(stored) = &o.phase else { return };
        if o.answered.contains(&from) {
            return;
        }
        o.answered.push(from);
        if o.answered.len() < self.majority {
            return;
        }
        let value = stored.value.clone();
        if let Some(o) = self.ops.remove(&op) {
            ctx.respond(o.request.id, ClientResponse::ok(value));
        }
    }
}
