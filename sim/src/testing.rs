//! Drive one node by hand in unit tests, without an engine.
//!
//! [`Harness`] owns a node, its storage, clock reading and RNG, calls its
//! callbacks and hands back what it did ([`Effects`]), so a model's author
//! can test one state machine step by step.
//!
//! ```
//! use shakedown_sim::node::*;
//! use shakedown_sim::testing::Harness;
//!
//! struct Echo;
//! impl Node for Echo {
//!     type Message = u32;
//!     type Timer = ();
//!     fn on_start(&mut self, _: &mut Ctx<'_, Self>) {}
//!     fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, m: u32) {
//!         ctx.send(from, m + 1);
//!     }
//!     fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {}
//!     fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ClientRequest) {}
//! }
//!
//! let mut h = Harness::new(Echo, NodeId(0), 3, 42);
//! let fx = h.message(NodeId(2), 7);
//! assert_eq!(fx.sends, vec![(NodeId(2), 8)]);
//! ```

use crate::node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, Effects as RawEffects, ModelFault, Node,
    NodeId, NodeInit, NodeRng, RequestId, TimerId,
};
use crate::storage::Storage;
use crate::time::Timestamp;
use std::time::Duration;

/// What a node did during one callback.
#[derive(Debug)]
pub struct Effects<N: Node> {
    /// Messages sent, in order.
    pub sends: Vec<(NodeId, N::Message)>,
    /// Timers set: id, delay on the node's clock, payload.
    pub timers_set: Vec<(TimerId, Duration, N::Timer)>,
    /// Timers cancelled.
    pub timers_cancelled: Vec<TimerId>,
    /// Client responses.
    pub responses: Vec<(RequestId, ClientResponse)>,
    /// Gauges reported.
    pub gauges: Vec<(String, f64)>,
}

/// One node outside any engine. See the [module docs](self).
pub struct Harness<N: Node> {
    /// The node under test.
    pub node: N,
    /// Its storage.
    pub storage: Storage,
    /// What [`Ctx::now`] returns; set it to move time.
    pub now: Timestamp,
    id: NodeId,
    nodes: Vec<NodeId>,
    rng: NodeRng,
    next_timer: u64,
    seed: u64,
    incarnation: u32,
}

impl<N: Node> Harness<N> {
    /// Wraps `node` as node `id` of a cluster of `cluster_size` nodes.
    pub fn new(node: N, id: NodeId, cluster_size: usize, seed: u64) -> Self {
        Harness {
            node,
            storage: Storage::new(),
            now: Timestamp(0),
            id,
            nodes: (0..cluster_size).map(NodeId::from_index).collect(),
            rng: NodeRng::for_node(seed, id, 0),
            next_timer: 0,
            seed,
            incarnation: 0,
        }
    }

    /// Builds node `id` of a `cluster_size`-node cluster with `model`, as
    /// the engine would (call [`Harness::start`] next).
    pub fn from_model<M: ClusterModel<Node = N>>(
        model: &M,
        id: NodeId,
        cluster_size: usize,
        seed: u64,
    ) -> Self {
        let nodes: Vec<NodeId> = (0..cluster_size).map(NodeId::from_index).collect();
        let storage = Storage::new();
        let node = model.build(&NodeInit::new(id, &nodes, &storage, 0));
        Harness::new(node, id, cluster_size, seed)
    }

    /// Crashes the node (volatile state and unsynced writes lost) and
    /// rebuilds it with `model` from what storage kept, as a restart does;
    /// then runs [`Node::on_start`] and returns what it did.
    pub fn crash_and_restart<M: ClusterModel<Node = N>>(&mut self, model: &M) -> Effects<N> {
        self.storage.crash();
        self.incarnation += 1;
        self.next_timer = 0;
        self.rng = NodeRng::for_node(self.seed, self.id, self.incarnation);
        self.node = model.build(&NodeInit::new(
            self.id,
            &self.nodes,
            &self.storage,
            self.incarnation,
        ));
        self.start()
    }

    fn call(&mut self, f: impl FnOnce(&mut N, &mut Ctx<'_, N>)) -> Effects<N> {
        let mut raw = RawEffects::new();
        raw.next_timer = self.next_timer;
        // Fault points never fire in a harness.
        let mut points = crate::points::PointState::new(None, 0);
        let mut ctx = Ctx {
            id: self.id,
            nodes: &self.nodes,
            now: self.now,
            sim_now: 0,
            storage: &mut self.storage,
            rng: &mut self.rng,
            effects: &mut raw,
            points: &mut points,
        };
        f(&mut self.node, &mut ctx);
        self.next_timer = raw.next_timer;
        Effects {
            sends: raw.sends,
            timers_set: raw.timers_set,
            timers_cancelled: raw.timers_cancelled,
            responses: raw.responses,
            gauges: raw.gauges,
        }
    }

    /// Calls [`Node::on_start`].
    pub fn start(&mut self) -> Effects<N> {
        self.call(|n, ctx| n.on_start(ctx))
    }

    /// Calls [`Node::on_message`].
    pub fn message(&mut self, from: NodeId, msg: N::Message) -> Effects<N> {
        self.call(|n, ctx| n.on_message(ctx, from, msg))
    }

    /// Calls [`Node::on_timer`].
    pub fn timer(&mut self, id: TimerId, timer: N::Timer) -> Effects<N> {
        self.call(|n, ctx| n.on_timer(ctx, id, timer))
    }

    /// Calls [`Node::on_request`].
    pub fn request(&mut self, req: ClientRequest) -> Effects<N> {
        self.call(|n, ctx| n.on_request(ctx, req))
    }

    /// Calls [`Node::on_model_fault`].
    pub fn model_fault(&mut self, fault: &ModelFault) -> (Result<(), String>, Effects<N>) {
        let mut result = Ok(());
        let fx = self.call(|n, ctx| result = n.on_model_fault(ctx, fault));
        (result, fx)
    }

    /// Crashes the node's storage (unsynced writes lost) and replaces the
    /// node with `rebuilt`, as a restart would; call [`Harness::start`] next.
    pub fn crash_and_replace(&mut self, rebuilt: N) {
        self.storage.crash();
        self.incarnation += 1;
        self.next_timer = 0;
        self.node = rebuilt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::RegisterModel;
    use shakedown_checkers::Value;

    fn req(id: u64, f: &str, value: Value) -> ClientRequest {
        ClientRequest {
            id: RequestId(id),
            f: f.into(),
            key: None,
            value,
        }
    }

    #[test]
    fn harness_restarts_from_synced_storage() {
        let model = RegisterModel { sync_writes: true };
        let mut h = Harness::from_model(&model, NodeId(0), 1, 1);
        h.start();
        let fx = h.request(req(1, "write", Value::Int(3)));
        assert_eq!(fx.responses, vec![(RequestId(1), ClientResponse::ok(3))]);
        h.crash_and_restart(&model);
        let fx = h.request(req(2, "read", Value::Nil));
        assert_eq!(fx.responses, vec![(RequestId(2), ClientResponse::ok(3))]);

        let lossy = RegisterModel { sync_writes: false };
        let mut h = Harness::from_model(&lossy, NodeId(0), 1, 1);
        h.start();
        h.request(req(1, "write", Value::Int(3)));
        h.crash_and_restart(&lossy);
        let fx = h.request(req(2, "read", Value::Nil));
        assert_eq!(
            fx.responses,
            vec![(RequestId(2), ClientResponse::Ok(Value::Nil))]
        );
    }
}
