//! A primary-backup store: node 0 orders everything, backups hold copies.

use super::{apply_op, storage_key};
use crate::node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, ModelFault, ModelFaultSpec, Node, NodeId,
    NodeInit, RequestId, TimerId,
};
use crate::wire::WireValue;
use serde::{Deserialize, Serialize};
use shakedown_checkers::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Most writes the primary keeps waiting for acknowledgements; the oldest
/// is abandoned (its client times out) past this.
const PENDING_MAX: usize = 10_000;
/// Most request ids the primary remembers as served; the oldest are
/// forgotten past this (ids only grow, and a duplicate arrives soon after
/// its original).
const SERVED_MAX: usize = 100_000;

/// The primary-backup model. Node 0 is the primary, forever: there is no
/// failover, so the model stays linearizable under every fault (it just
/// stops answering while the primary is unreachable).
#[derive(Debug, Clone)]
pub struct PrimaryBackupModel {
    /// How often the primary resends unacknowledged writes.
    pub retransmit_ms: u64,
}

impl Default for PrimaryBackupModel {
    fn default() -> Self {
        PrimaryBackupModel { retransmit_ms: 20 }
    }
}

/// Messages between primary and backups.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum PbMessage {
    /// A backup passes a client request to the primary.
    Forward(ClientRequest),
    /// The primary's write number `seq` of `key`.
    Replicate {
        /// Write sequence number.
        seq: u64,
        /// Storage key.
        key: String,
        /// New value.
        #[serde(with = "crate::wire::value")]
        value: Value,
    },
    /// A backup has write `seq`.
    Ack {
        /// Write sequence number.
        seq: u64,
    },
}

/// Timers of the model.
#[derive(Debug, Clone)]
pub enum PbTimer {
    /// Resend unacknowledged writes.
    Retransmit,
}

#[derive(Debug)]
struct Pending {
    req: RequestId,
    response: ClientResponse,
    key: String,
    value: Value,
    acks: BTreeSet<NodeId>,
}

/// One node of [`PrimaryBackupModel`].
#[derive(Debug)]
pub struct PbNode {
    id: NodeId,
    values: BTreeMap<String, Value>,
    /// Per key, the sequence number of the value held (backups).
    versions: BTreeMap<String, u64>,
    next_seq: u64,
    pending: BTreeMap<u64, Pending>,
    /// Requests the primary has served: a request forwarded by a backup
    /// may arrive twice (the network duplicates messages), and serving a
    /// write twice would apply it again after later writes.
    served: BTreeSet<RequestId>,
    replicating: bool,
    retransmit: Duration,
}

const PRIMARY: NodeId = NodeId(0);

impl PbNode {
    fn is_primary(&self) -> bool {
        self.id == PRIMARY
    }

    fn acks_needed(ctx: &Ctx<'_, Self>) -> usize {
        // A majority including the primary itself.
        ctx.nodes().len() / 2
    }

    fn replicate(&self, ctx: &mut Ctx<'_, Self>, seq: u64) {
        if !self.replicating {
            return;
        }
        if let Some(p) = self.pending.get(&seq) {
            let peers: Vec<NodeId> = ctx.peers().filter(|n| !p.acks.contains(n)).collect();
            for peer in peers {
                ctx.send(
                    peer,
                    PbMessage::Replicate {
                        seq,
                        key: p.key.clone(),
                        value: p.value.clone(),
                    },
                );
            }
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        if !self.served.insert(req.id) {
            return;
        }
        if self.served.len() > SERVED_MAX {
            self.served.pop_first();
        }
        let key = storage_key(&req.key);
        let current = self.values.get(&key).cloned().unwrap_or(Value::Nil);
        let (response, new) = apply_op(&current, &req);
        let Some(new) = new else {
            ctx.respond(req.id, response);
            return;
        };
        self.next_seq += 1;
        let seq = self.next_seq;
        let stored = ctx.storage().put_json(key.clone(), &WireValue::from(&new));
        let stored = stored.and_then(|()| ctx.storage().put_json("meta/seq", &seq));
        if let Err(e) = stored {
            ctx.respond(req.id, ClientResponse::fail(e.to_string()));
            return;
        }
        ctx.storage().sync();
        self.values.insert(key.clone(), new.clone());
        if Self::acks_needed(ctx) == 0 {
            ctx.respond(req.id, response);
            return;
        }
        self.pending.insert(
            seq,
            Pending {
                req: req.id,
                response,
                key,
                value: new,
                acks: BTreeSet::new(),
            },
        );
        if self.pending.len() > PENDING_MAX {
            self.pending.pop_first();
        }
        self.replicate(ctx, seq);
        ctx.gauge("pending_acks", self.pending.len() as f64);
    }
}

impl Node for PbNode {
    type Message = PbMessage;
    type Timer = PbTimer;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let mut values = BTreeMap::new();
        for (k, v) in ctx.storage().scan_prefix("kv/") {
            if let Ok(w) = serde_json::from_slice::<WireValue>(v) {
                values.insert(k.to_owned(), Value::from(w));
            }
        }
        self.values = values;
        self.next_seq = ctx
            .storage()
            .get_json("meta/seq")
            .ok()
            .flatten()
            .unwrap_or(0);
        if self.is_primary() {
            ctx.set_timer(self.retransmit, PbTimer::Retransmit);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: PbMessage) {
        match msg {
            PbMessage::Forward(req) if self.is_primary() => self.serve(ctx, req),
            PbMessage::Forward(_) => {}
            PbMessage::Replicate { seq, key, value } => {
                // Writes may arrive reordered or twice: keep the newest.
                if self.versions.get(&key).is_none_or(|&v| v < seq) {
                    self.versions.insert(key.clone(), seq);
                    self.values.insert(key, value);
                }
                ctx.send(from, PbMessage::Ack { seq });
            }
            PbMessage::Ack { seq } => {
                let needed = Self::acks_needed(ctx);
                let done = match self.pending.get_mut(&seq) {
                    Some(p) => {
                        p.acks.insert(from);
                        p.acks.len() >= needed
                    }
                    None => false,
                };
                if done {
                    if let Some(p) = self.pending.remove(&seq) {
                        ctx.respond(p.req, p.response);
                    }
                    ctx.gauge("pending_acks", self.pending.len() as f64);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId, timer: PbTimer) {
        match timer {
            PbTimer::Retransmit => {
                let seqs: Vec<u64> = self.pending.keys().copied().collect();
                for seq in seqs {
                    self.replicate(ctx, seq);
                }
                ctx.set_timer(self.retransmit, PbTimer::Retransmit);
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        if self.is_primary() {
            self.serve(ctx, req);
        } else {
            ctx.send(PRIMARY, PbMessage::Forward(req));
        }
    }

    fn on_model_fault(&mut self, _: &mut Ctx<'_, Self>, fault: &ModelFault) -> Result<(), String> {
        match fault.name.as_str() {
            "stop-replication" => {
                self.replicating = false;
                Ok(())
            }
            other => Err(format!("unknown fault `{other}`")),
        }
    }

    fn on_model_fault_stop(&mut self, _: &mut Ctx<'_, Self>, name: &str) -> Result<(), String> {
        match name {
            "stop-replication" => {
                self.replicating = true;
                Ok(())
            }
            other => Err(format!("unknown fault `{other}`")),
        }
    }

    fn roles(&self) -> Vec<String> {
        vec![if self.is_primary() {
            "primary"
        } else {
            "backup"
        }
        .to_owned()]
    }
}

impl ClusterModel for PrimaryBackupModel {
    type Node = PbNode;

    fn name(&self) -> &str {
        "primary-backup"
    }

    fn validate(&self, _nodes: usize) -> Result<(), String> {
        if self.retransmit_ms == 0 {
            return Err("`retransmit_ms` must be above 0".into());
        }
        Ok(())
    }

    fn build(&self, init: &NodeInit<'_>) -> PbNode {
        PbNode {
            id: init.id,
            values: BTreeMap::new(),
            versions: BTreeMap::new(),
            next_seq: 0,
            pending: BTreeMap::new(),
            served: BTreeSet::new(),
            replicating: true,
            retransmit: Duration::from_millis(self.retransmit_ms),
        }
    }

    fn faults(&self) -> Vec<ModelFaultSpec> {
        vec![ModelFaultSpec {
            name: "stop-replication".into(),
            description: "the primary stops sending writes to backups (writes stall until stopped)"
                .into(),
            params: Vec::new(),
            undo: None,
        }]
    }

    fn roles(&self) -> Vec<String> {
        vec!["primary".into(), "backup".into()]
    }
}
