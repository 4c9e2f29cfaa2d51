//! The node API: the engine-neutral contract between a cluster model and the
//! simulator.
//!
//! A node is a deterministic state machine. The engine calls it back when
//! something happens to it (it starts, a message arrives, a timer fires, a
//! client request arrives) and hands it a [`Ctx`] through which it acts: it
//! sends messages, sets timers, reads its clock, uses its durable
//! [`Storage`] and its seeded RNG, and answers clients. Nothing in this
//! module names turmoil or madsim; a model written against it runs on every
//! engine.
//!
//! # Why callbacks and not async
//!
//! - **Faults are exact.** A crash drops the node struct: all volatile state
//!   is gone by construction, and the engine rebuilds the node from its
//!   storage ([`Node::on_start`]). A pause simply stops calling the node;
//!   messages and timers queue and are handled, late, after the resume. With
//!   async code, a pause or crash lands in the middle of an `.await` and the
//!   model has to be written to survive that.
//! - **Clocks are ours.** A node never reads a runtime's clock, so a clock
//!   fault moves exactly what [`Ctx::now`] returns and nothing else, and the
//!   determinism traps of async runtimes (`tokio::select!` picking a ready
//!   branch at random, `Instant::now()` being real time) cannot occur.
//! - **Cheap.** A delivered message is one function call; the engine batches
//!   the node's effects (sends, timers, responses) after the call returns.
//! - **Engine-neutral.** The same callbacks can be driven by turmoil hosts,
//!   madsim tasks or a plain event loop.
//!
//! # Guarantees the engine gives a node
//!
//! - Callbacks of one node never overlap, and time does not move during one:
//!   [`Ctx::now`] is the same throughout a callback.
//! - `on_start` runs first, once per incarnation: at the start of the run and
//!   after every restart. A crashed node gets no callbacks at all.
//! - Messages may be lost, delayed, duplicated and reordered, according to
//!   the network settings and faults; never corrupted. A message from a node
//!   to itself is delivered after zero delay and never lost.
//! - A timer fires once, not before its delay has passed on the node's own
//!   clock (later if the node was paused), unless cancelled. Timers do not
//!   survive a crash.
//! - Storage writes made before [`Storage::sync`] survive a crash; later ones
//!   do not.
//! - The RNG is seeded from the run's seed, the node id and the incarnation.
//!
//! # Example: a single-node register
//!
//! ```
//! use shakedown_sim::node::*;
//! use shakedown_checkers::Value;
//!
//! struct Register { value: Value }
//!
//! impl Node for Register {
//!     type Message = ();
//!     type Timer = ();
//!
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
//!         // Rebuild from durable storage after a restart.
//!         if let Ok(Some(v)) = ctx.storage().get_json::<i64>("value") {
//!             self.value = Value::Int(v);
//!         }
//!     }
//!     fn on_message(&mut self, _: &mut Ctx<'_, Self>, _: NodeId, _: ()) {}
//!     fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {}
//!     fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
//!         let response = match req.f.as_str() {
//!             "read" => ClientResponse::ok(self.value.clone()),
//!             "write" => {
//!                 let v = req.value.as_int().unwrap_or_default();
//!                 ctx.storage().put_json("value", &v).expect("i64 encodes");
//!                 ctx.storage().sync(); // durable before we acknowledge
//!                 self.value = req.value.clone();
//!                 ClientResponse::ok(req.value)
//!             }
//!             other => ClientResponse::fail(format!("unsupported op {other}")),
//!         };
//!         ctx.respond(req.id, response);
//!     }
//! }
//!
//! struct RegisterModel;
//! impl ClusterModel for RegisterModel {
//!     type Node = Register;
//!     fn name(&self) -> &str { "register" }
//!     fn build(&self, _init: &NodeInit<'_>) -> Register {
//!         Register { value: Value::Nil }
//!     }
//! }
//! ```

use crate::storage::Storage;
use crate::time::Timestamp;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shakedown_checkers::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A node of the cluster, by index (`0..nodes`), shown as `n0`, `n1`, ...
/// The index is the same one scenario files and nemesis targets use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The 0-based index of this node.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The node with this 0-based index.
    pub fn from_index(index: usize) -> Self {
        NodeId(u32::try_from(index).unwrap_or(u32::MAX))
    }

    /// The name: `n0` for index 0.
    pub fn name(self) -> String {
        format!("n{}", self.0)
    }

    /// Parses a name such as `n3` (index 3). `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        let digits = name.strip_prefix('n')?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return None;
        }
        digits.parse().ok().map(NodeId)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// Identifies one client request for the whole run. Models that forward a
/// request to another node carry this id along; any node may answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req{}", self.0)
    }
}

/// Identifies a timer set by [`Ctx::set_timer`], unique within one
/// incarnation of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// An operation a client asks the cluster to perform. It becomes an `invoke`
/// event in the history with the same `f`, `key` and `value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRequest {
    /// Answer with [`Ctx::respond`] using this id.
    pub id: RequestId,
    /// The operation: `read`, `write`, `cas`, `append`, ... (Jepsen's `:f`).
    pub f: String,
    /// The key, for keyed workloads.
    #[serde(with = "crate::wire::opt_value")]
    pub key: Option<Value>,
    /// The argument: the value to write, `[expected new]` for a cas, `nil`
    /// for a read.
    #[serde(with = "crate::wire::value")]
    pub value: Value,
}

/// How a node answers a client. It becomes the op's completion event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientResponse {
    /// The operation happened; the value is its result (what a read read,
    /// what a write wrote). Recorded as `ok`.
    Ok(#[serde(with = "crate::wire::value")] Value),
    /// The operation certainly did not happen (a cas whose expected value
    /// did not match, "not the leader" before anything was proposed).
    /// Recorded as `fail` with this `:error`.
    Fail(String),
    /// The node cannot tell whether it happened (it was proposed, then
    /// leadership was lost). Recorded as `info` with this `:error`; the
    /// client process is retired, as after a timeout.
    Unknown(String),
}

impl ClientResponse {
    /// `ok` with a result value.
    pub fn ok(value: impl Into<Value>) -> Self {
        ClientResponse::Ok(value.into())
    }

    /// `fail` with an error.
    pub fn fail(error: impl Into<String>) -> Self {
        ClientResponse::Fail(error.into())
    }

    /// Indeterminate (`info`) with an error.
    pub fn unknown(error: impl Into<String>) -> Self {
        ClientResponse::Unknown(error.into())
    }
}

/// A node's seeded random number generator. Use it through [`rand::Rng`]:
/// `ctx.rng().random_range(150..300)`.
#[derive(Debug, Clone)]
pub struct NodeRng(ChaCha8Rng);

impl NodeRng {
    /// An RNG for `node` in its `incarnation`-th life, derived from the run seed.
    pub fn for_node(run_seed: u64, node: NodeId, incarnation: u32) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&run_seed.to_le_bytes());
        key[8..12].copy_from_slice(&node.0.to_le_bytes());
        key[12..16].copy_from_slice(&incarnation.to_le_bytes());
        key[16..24].copy_from_slice(b"nodeRNG!");
        NodeRng(ChaCha8Rng::from_seed(key))
    }
}

impl RngCore for NodeRng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

/// A cluster node: a deterministic state machine driven by the engine.
///
/// See the [module docs](self) for the guarantees and an example.
pub trait Node: Sized + 'static {
    /// Messages between nodes of this model. Serde so that any engine can
    /// put them on a wire and so that the run's message digest covers their
    /// content.
    type Message: Serialize + DeserializeOwned + Clone + fmt::Debug + 'static;

    /// What a timer carries back to [`Node::on_timer`] (e.g. an enum of
    /// `Election`, `Heartbeat`).
    type Timer: Clone + fmt::Debug + 'static;

    /// The node starts: at the beginning of the run and after every restart.
    /// Rebuild volatile state from [`Ctx::storage`] here and set the first
    /// timers.
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>);

    /// A message from `from` arrived.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Message);

    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, id: TimerId, timer: Self::Timer);

    /// A client request arrived. Answer it, now or later, from this node or
    /// another, with [`Ctx::respond`]; a request never answered times out
    /// into `info` at the client.
    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest);

    /// The nemesis applies a model fault that [`ClusterModel::faults`]
    /// declared. The default refuses every fault.
    fn on_model_fault(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        fault: &ModelFault,
    ) -> Result<(), String> {
        let _ = ctx;
        Err(format!("this model has no fault named `{}`", fault.name))
    }

    /// The nemesis stops a model fault started with [`Node::on_model_fault`]
    /// (`model-stop` in a schedule). The default refuses.
    fn on_model_fault_stop(&mut self, ctx: &mut Ctx<'_, Self>, name: &str) -> Result<(), String> {
        let _ = ctx;
        Err(format!("this model has no fault named `{name}`"))
    }

    /// Roles this node believes it has now (e.g. `leader`), so the nemesis
    /// can target them. Two nodes may both claim a role; both are targeted.
    fn roles(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What a node may do during a callback. Built by the engine.
///
/// Effects (sends, timers, responses) take place when the callback returns,
/// in the order they were made.
pub struct Ctx<'a, N: Node> {
    pub(crate) id: NodeId,
    pub(crate) nodes: &'a [NodeId],
    pub(crate) now: Timestamp,
    pub(crate) sim_now: i64,
    pub(crate) storage: &'a mut Storage,
    pub(crate) rng: &'a mut NodeRng,
    pub(crate) effects: &'a mut Effects<N>,
    pub(crate) points: &'a mut crate::points::PointState,
}

/// Effects a node requested during one callback, applied by the engine.
pub(crate) struct Effects<N: Node> {
    pub(crate) sends: Vec<(NodeId, N::Message)>,
    pub(crate) timers_set: Vec<(TimerId, Duration, N::Timer)>,
    pub(crate) timers_cancelled: Vec<TimerId>,
    pub(crate) responses: Vec<(RequestId, ClientResponse)>,
    pub(crate) gauges: Vec<(String, f64)>,
    pub(crate) next_timer: u64,
    /// Set when a crash struck at a fault point: how many of each effect
    /// were made before it (the rest never happen).
    pub(crate) cut: Option<[usize; 5]>,
    /// Set when a pause struck at a fault point: the node freezes once the
    /// callback's effects are applied.
    pub(crate) pause_after: bool,
}

impl<N: Node> Effects<N> {
    pub(crate) fn new() -> Self {
        Effects {
            sends: Vec::new(),
            timers_set: Vec::new(),
            timers_cancelled: Vec::new(),
            responses: Vec::new(),
            gauges: Vec::new(),
            next_timer: 0,
            cut: None,
            pause_after: false,
        }
    }

    /// Keeps only the effects made before a fault point.
    pub(crate) fn truncate(&mut self, cut: [usize; 5]) {
        self.sends.truncate(cut[0]);
        self.timers_set.truncate(cut[1]);
        self.timers_cancelled.truncate(cut[2]);
        self.responses.truncate(cut[3]);
        self.gauges.truncate(cut[4]);
    }
}

impl<'a, N: Node> Ctx<'a, N> {
    /// This node.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Every node of the cluster, this one included, in id order.
    pub fn nodes(&self) -> &[NodeId] {
        self.nodes
    }

    /// Every other node, in id order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + '_ {
        let me = self.id;
        self.nodes.iter().copied().filter(move |n| *n != me)
    }

    /// This node's clock. The nemesis can set, bump and skew it; it is the
    /// only time a node can read.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Sends `msg` to `to`. A message to an unknown node is dropped (and
    /// counted as dropped).
    pub fn send(&mut self, to: NodeId, msg: N::Message) {
        self.effects.sends.push((to, msg));
    }

    /// Sends `msg` to every other node.
    pub fn broadcast(&mut self, msg: N::Message) {
        for to in self.nodes.iter().copied().filter(|n| *n != self.id) {
            self.effects.sends.push((to, msg.clone()));
        }
    }

    /// Calls [`Node::on_timer`] with `timer` once `after` has passed on this
    /// node's clock (a clock running fast fires early in simulated time).
    pub fn set_timer(&mut self, after: Duration, timer: N::Timer) -> TimerId {
        let id = TimerId(self.effects.next_timer);
        self.effects.next_timer += 1;
        self.effects.timers_set.push((id, after, timer));
        id
    }

    /// Cancels a timer; a timer that already fired or was cancelled is ignored.
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.effects.timers_cancelled.push(id);
    }

    /// This node's durable storage.
    pub fn storage(&mut self) -> &mut Storage {
        self.storage
    }

    /// This node's seeded RNG.
    pub fn rng(&mut self) -> &mut NodeRng {
        self.rng
    }

    /// Answers client request `id`. Only the first answer to a request
    /// counts; later ones, and answers after the client gave up, are ignored.
    pub fn respond(&mut self, id: RequestId, response: ClientResponse) {
        self.effects.responses.push((id, response));
    }

    /// Marks a fault point: the moment named `name` (declared in
    /// [`ClusterModel::fault_points`]) has just happened, e.g. right after
    /// a vote is synced. When a scenario arms the point, the nemesis may
    /// strike here: a crash stops the node at this line (what it sent and
    /// synced before stands, unsynced writes are lost, nothing after this
    /// line happens, and it restarts from storage later); a pause lets the
    /// callback finish, then freezes the node. Otherwise nothing happens,
    /// and no random number is drawn.
    pub fn fault_point(&mut self, name: &str) {
        match self.points.reach(self.id, name, self.sim_now) {
            None => {}
            Some(crate::points::PointAction::Pause) => self.effects.pause_after = true,
            Some(crate::points::PointAction::Crash) => {
                let fx = &*self.effects;
                self.effects.cut = Some([
                    fx.sends.len(),
                    fx.timers_set.len(),
                    fx.timers_cancelled.len(),
                    fx.responses.len(),
                    fx.gauges.len(),
                ]);
                // Not a panic: no hook runs; the world catches it.
                std::panic::resume_unwind(Box::new(crate::points::PointUnwind));
            }
        }
    }

    /// Reports a model metric (e.g. `hint_queue_depth`), recorded in the
    /// run's time series under this node.
    pub fn gauge(&mut self, name: &str, value: f64) {
        self.effects.gauges.push((name.to_owned(), value));
    }
}

/// What [`ClusterModel::build`] gets to build one node.
#[derive(Debug)]
#[non_exhaustive]
pub struct NodeInit<'a> {
    /// The node being built.
    pub id: NodeId,
    /// Every node of the cluster, in id order.
    pub nodes: &'a [NodeId],
    /// Its durable storage as it is now (empty on first start).
    pub storage: &'a Storage,
    /// 0 on first start, then 1, 2, ... after each restart.
    pub incarnation: u32,
}

impl<'a> NodeInit<'a> {
    /// A `NodeInit` for calling [`ClusterModel::build`] by hand (in a model's
    /// unit tests; engines build their own).
    pub fn new(id: NodeId, nodes: &'a [NodeId], storage: &'a Storage, incarnation: u32) -> Self {
        NodeInit {
            id,
            nodes,
            storage,
            incarnation,
        }
    }
}

/// A named fault a model exposes to the nemesis, with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFault {
    /// The fault's name as declared in [`ModelFaultSpec::name`].
    pub name: String,
    /// Parameters by name.
    pub params: BTreeMap<String, Value>,
}

/// Declares a model fault: its name, what it does, its parameters and the
/// fault that undoes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFaultSpec {
    /// Name used in schedules, e.g. `hint-backlog`.
    pub name: String,
    /// One line on what it does.
    pub description: String,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// A separate fault that undoes it, if the model has one. `None` means
    /// it is undone by stopping it (`model-stop`, [`Node::on_model_fault_stop`]).
    pub undo: Option<String>,
}

/// Declares a fault point: a moment in the model's code that matters
/// (a vote persisted, entries appended, a hint stored), marked there with
/// [`Ctx::fault_point`]. The nemesis may crash or pause a node when it
/// reaches one (`[faults.points]` in a scenario), the way FoundationDB's
/// BUGGIFY lets a simulation strike where bugs live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPointSpec {
    /// Its name, e.g. `vote-persisted`: what has just happened.
    pub name: String,
    /// One line on the moment.
    pub description: String,
}

impl FaultPointSpec {
    /// A point named `name`.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        FaultPointSpec {
            name: name.into(),
            description: description.into(),
        }
    }
}

/// One parameter of a model fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Name, with its unit (`rate_per_s`, `duration_ms`).
    pub name: String,
    /// What it means.
    pub description: String,
    /// The value used when a schedule leaves it out; `None`: required.
    pub default: Option<Value>,
}

/// A cluster model: how to build its nodes, and what it exposes to the
/// nemesis. One value describes the whole cluster's configuration.
pub trait ClusterModel: 'static {
    /// The node type.
    type Node: Node;

    /// Short name, e.g. `raft-kv`.
    fn name(&self) -> &str;

    /// Checks the configuration against the cluster size before a run
    /// (e.g. a replication factor larger than the cluster). The default
    /// accepts everything.
    fn validate(&self, nodes: usize) -> Result<(), String> {
        let _ = nodes;
        Ok(())
    }

    /// Builds a node's volatile state. Called at the start of the run and at
    /// each restart; [`Node::on_start`] runs right after.
    fn build(&self, init: &NodeInit<'_>) -> Self::Node;

    /// Model faults the nemesis may schedule.
    fn faults(&self) -> Vec<ModelFaultSpec> {
        Vec::new()
    }

    /// Role names that [`Node::roles`] may report (e.g. `leader`), so that a
    /// schedule targeting an unknown role is rejected up front.
    fn roles(&self) -> Vec<String> {
        Vec::new()
    }

    /// The fault points its nodes mark with [`Ctx::fault_point`], so that a
    /// scenario naming an unknown one is rejected up front and `shakedown
    /// list models` can show them.
    fn fault_points(&self) -> Vec<FaultPointSpec> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_are_zero_based_indices() {
        assert_eq!(NodeId(0).name(), "n0");
        assert_eq!(NodeId(4).to_string(), "n4");
        assert_eq!(NodeId::from_name("n0"), Some(NodeId(0)));
        assert_eq!(NodeId::from_name("n12"), Some(NodeId(12)));
        for bad in ["x1", "n", "n-1", "n01", "1", "n+1"] {
            assert_eq!(NodeId::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn node_rngs_differ_by_node_and_incarnation() {
        let a = NodeRng::for_node(1, NodeId(0), 0).next_u64();
        assert_eq!(a, NodeRng::for_node(1, NodeId(0), 0).next_u64());
        assert_ne!(a, NodeRng::for_node(1, NodeId(1), 0).next_u64());
        assert_ne!(a, NodeRng::for_node(1, NodeId(0), 1).next_u64());
        assert_ne!(a, NodeRng::for_node(2, NodeId(0), 0).next_u64());
    }

    #[test]
    fn client_request_round_trips_through_serde() {
        let req = ClientRequest {
            id: RequestId(3),
            f: "cas".into(),
            key: Some(Value::Int(1)),
            value: Value::Vector(vec![1.into(), 2.into()]),
        };
        let json = serde_json::to_string(&req).unwrap();
        let back: ClientRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, req);
    }
}
