//! Async services as cluster models: a user's tokio code, over turmoil's
//! sockets (or madsim's, in a `--cfg madsim` build), under the same
//! nemesis, recorder, checkers and reports as callback models.
//!
//! A [`ServiceModel`] says how to run one node ([`ServiceModel::serve`],
//! started again in every incarnation) and how a client performs one
//! operation against the cluster ([`ServiceModel::call`], Jepsen's client
//! adapter). [`run_service`] runs it under a [`crate::SimConfig`] and
//! returns the same [`crate::RunRecord`] as [`crate::run`]: history with
//! simulated times, nemesis log, metrics, digest, trace.
//!
//! Nothing here names an engine type. A service's own code talks to its
//! peers over `turmoil::net::{TcpListener, TcpStream, UdpSocket}` with the
//! host names `n0`, `n1`, ... (that is the premise: the code users already
//! write for turmoil tests). The cluster lives in `cluster.rs`, each engine
//! under it in its own file (`turmoil.rs`; `madsim.rs` in a `--cfg madsim`
//! build).
//!
//! The same source runs on madsim when the service's crate uses madsim's
//! tokio shim (`madsim-tokio`) as its `tokio` and takes its sockets from
//! `tokio::net` under `#[cfg(madsim)]` (turmoil's otherwise), flushing after
//! writes (madsim's `TcpStream` sends on flush). [`MADSIM_FAULT_NOTES`]
//! says what each fault does there.
//!
//! # What each fault does to a service (turmoil)
//!
//! | fault | on an async service |
//! |---|---|
//! | partition, one-way, groups, heal | turmoil partitions the links: segments across a cut are dropped, including those in flight. turmoil's TCP does not retransmit, so a connection that lost a segment stalls; use timeouts and reconnect. Clients (the Jepsen control node) are never cut. |
//! | crash / restart | turmoil crashes the host: every task of the node and all its in-memory state are dropped, its connections are gone; the disk ([`NodeHandle::with_disk`]) loses writes not synced. Restart runs [`ServiceModel::serve`] again, with the next incarnation. |
//! | pause / resume | every link to and from the node is held (turmoil's `hold`): nothing reaches it and nothing it sends leaves; held segments are delivered at resume. The node's own timers keep running: this is a network freeze, not a stopped process. |
//! | clock bump, drift, reset, strobe | moves [`NodeHandle::now`] exactly as it moves a callback node's `ctx.now()`. `tokio::time` (turmoil's simulated clock: `sleep`, `timeout`, `Instant`) is **not** skewed: it is the one true simulated time of every host. |
//! | packet delay | per-link latency: turmoil samples each segment between `latency` and `latency + jitter` (its own exponential curve: the shape is not honoured). |
//! | packet loss | turmoil's per-link fail rate: at each send the link breaks with that probability (dropping what is in flight) until turmoil repairs it. Coarser than per-message loss. |
//! | packet duplicate | refused: turmoil delivers every segment at most once (see [`UNSUPPORTED_FAULTS`]). |
//! | model faults | refused: a service declares none. |
//!
//! # Determinism
//!
//! Every host runs on turmoil's single-threaded runtime, stepped in a fixed
//! order, with turmoil seeded from the run seed. Service code must not read
//! the wall clock (`std::time::Instant`, `SystemTime`: use `tokio::time` or
//! [`NodeHandle::now`]), must not use a thread RNG (use [`NodeHandle::rng`]),
//! must not iterate std hash maps where order matters, and should write
//! `biased;` in every `tokio::select!`: turmoil seeds tokio's own RNG only
//! when built with `--cfg tokio_unstable`.

mod cluster;
#[cfg(madsim)]
mod madsim;
mod turmoil;

pub use cluster::{run_service, ServiceCluster};

use crate::control::NodeStatus;
use crate::node::{ClientResponse, NodeId, NodeRng};
use crate::storage::Storage;
use crate::time::{NodeClock, Timestamp};
use shakedown_checkers::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Faults of the vocabulary that cannot act on an async service, and why.
/// A schedule that asks for one is refused before the run.
pub const UNSUPPORTED_FAULTS: &[(&str, &str)] = &[(
    "packet-duplicate",
    "async services run over turmoil's network, which delivers every segment at most once",
)];

/// Why per-link latency and loss cannot change on the madsim engine.
pub const MADSIM_LINK_FAULTS: &str =
    "madsim's network has one latency range and one loss rate for every link \
     (the scenario's [network]); per-link packet-delay and packet-loss need engine = \"turmoil\"";

/// Faults that cannot act on an async service on the madsim engine (beyond
/// [`UNSUPPORTED_FAULTS`]), and why.
pub const MADSIM_UNSUPPORTED_FAULTS: &[(&str, &str)] = &[
    ("packet-delay", MADSIM_LINK_FAULTS),
    ("packet-loss", MADSIM_LINK_FAULTS),
];

/// How each fault acts on an async service on the madsim engine, for
/// `shakedown list faults`.
pub const MADSIM_FAULT_NOTES: &[(&str, &str)] = &[
    ("partition", "madsim clogs the directed links: nothing crosses the cut, connects are refused"),
    ("crash", "madsim kills the node: every task dropped, sockets closed, unsynced disk writes lost; restart runs serve() again"),
    ("pause", "madsim pauses the node: its tasks stop running until resume (a real process pause)"),
    ("clock-*", "moves NodeHandle::now(); tokio::time (madsim's simulated time) is not skewed"),
    ("packet-delay", "refused: madsim has one latency range for every link (the scenario's [network])"),
    ("packet-loss", "refused: madsim has one loss rate for every link (the scenario's [network])"),
    ("packet-duplicate", "not supported: services get every segment at most once"),
    ("model faults", "not supported: services declare none"),
];

/// How each fault of the vocabulary acts on an async service, for
/// `shakedown list faults`.
pub const FAULT_NOTES: &[(&str, &str)] = &[
    ("partition", "turmoil partitions the links; segments across the cut are dropped, in flight too (turmoil TCP does not retransmit: the connection stalls)"),
    ("crash", "turmoil crashes the host: every task and all memory dropped, unsynced disk writes lost; restart runs serve() again"),
    ("pause", "every link to and from the node is held and released at resume; the node's own timers keep running"),
    ("clock-*", "moves NodeHandle::now(); tokio::time (turmoil's simulated time) is not skewed"),
    ("packet-delay", "per-link latency between latency and latency + jitter, on turmoil's own curve"),
    ("packet-loss", "turmoil's per-link fail rate: the link breaks with that probability per send until turmoil repairs it"),
    ("packet-duplicate", "not supported: turmoil delivers every segment at most once"),
    ("model faults", "not supported: services declare none"),
];

/// One client operation: Jepsen's `f`, key and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// `read`, `write`, `cas`, ...
    pub f: String,
    /// The key, for keyed workloads.
    pub key: Option<Value>,
    /// The value (`nil` for reads; `[expected new]` for cas).
    pub value: Value,
}

/// A user's async service as a cluster model. See the [module docs](self).
///
/// The futures it returns run on one thread (turmoil's runtime), so they
/// need not be `Send`.
#[allow(async_fn_in_trait)] // single-threaded runtime: no Send bound wanted
pub trait ServiceModel: 'static {
    /// The name reports use.
    fn name(&self) -> &str;

    /// Checks the settings against the cluster size; the error says what to
    /// change.
    fn validate(&self, nodes: usize) -> Result<(), String> {
        let _ = nodes;
        Ok(())
    }

    /// Roles nodes may claim with [`NodeHandle::set_roles`] (`primary`,
    /// `leader`), so that scenario files can target them.
    fn roles(&self) -> Vec<String> {
        Vec::new()
    }

    /// Runs node `node.id()` until it is crashed. Started at the beginning
    /// and again after every restart; rebuild from [`NodeHandle::with_disk`].
    /// Returning an error (or panicking, here or in a task it spawned)
    /// ends the run as `crashed`.
    async fn serve(&self, node: NodeHandle) -> std::io::Result<()>;

    /// Performs one operation against the cluster through the user's own
    /// client code, and says how it ended: `ok`, `fail` (certainly did not
    /// happen) or `unknown` (`info`). The engine times it out after the
    /// workload's timeout (that is `info` too) and drops the future.
    async fn call(&self, client: &ClientHandle, op: Op) -> ClientResponse;
}

/// What outlives a node's incarnation, and what faults act on.
pub(crate) struct NodeState {
    pub(crate) status: NodeStatus,
    pub(crate) clock: NodeClock,
    pub(crate) disk: Storage,
    pub(crate) incarnation: u32,
    pub(crate) roles: Vec<String>,
    pub(crate) gauges: BTreeMap<String, f64>,
}

/// Per-node services shared by the engine and the nodes' handles.
pub(crate) struct Services {
    pub(crate) seed: u64,
    pub(crate) nodes: Vec<NodeState>,
    /// Simulated time now, ns (the engine's clock).
    pub(crate) sim_now_ns: fn() -> i64,
}

impl Services {
    pub(crate) fn new(seed: u64, nodes: usize, sim_now_ns: fn() -> i64) -> Self {
        Services {
            seed,
            nodes: (0..nodes)
                .map(|_| NodeState {
                    status: NodeStatus::Up,
                    clock: NodeClock::new(),
                    disk: Storage::new(),
                    incarnation: 0,
                    roles: Vec::new(),
                    gauges: BTreeMap::new(),
                })
                .collect(),
            sim_now_ns,
        }
    }
}

/// What a node's code gets from Shakedown: who it is, its peers, its clock
/// (moved by clock faults), its disk (unsynced writes lost on a crash), a
/// seeded RNG, roles and gauges. Cheap to clone; valid for one incarnation.
#[derive(Clone)]
pub struct NodeHandle {
    id: NodeId,
    incarnation: u32,
    services: Rc<RefCell<Services>>,
}

impl NodeHandle {
    pub(crate) fn new(id: NodeId, services: Rc<RefCell<Services>>) -> Self {
        let incarnation = services.borrow().nodes[id.index()].incarnation;
        NodeHandle {
            id,
            incarnation,
            services,
        }
    }

    /// This node.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// This node's host name (`n0`): what peers connect to.
    pub fn name(&self) -> String {
        self.id.name()
    }

    /// Every node's host name, in order (`n0`, `n1`, ...).
    pub fn nodes(&self) -> Vec<String> {
        let n = self.services.borrow().nodes.len();
        (0..n).map(|i| NodeId::from_index(i).name()).collect()
    }

    /// The other nodes' host names, in order.
    pub fn peers(&self) -> Vec<String> {
        let me = self.name();
        self.nodes().into_iter().filter(|n| *n != me).collect()
    }

    /// 0 at the start, one more after each restart.
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// The node's own clock: simulated time moved by the nemesis's clock
    /// faults (bump, drift, strobe). `tokio::time` is not skewed.
    pub fn now(&self) -> Timestamp {
        let s = self.services.borrow();
        s.nodes[self.id.index()].clock.local_at((s.sim_now_ns)())
    }

    /// The node's disk: writes survive a crash only once
    /// [`Storage::sync`] ran after them.
    pub fn with_disk<R>(&self, f: impl FnOnce(&mut Storage) -> R) -> R {
        f(&mut self.services.borrow_mut().nodes[self.id.index()].disk)
    }

    /// An RNG seeded from (run seed, node, incarnation).
    pub fn rng(&self) -> NodeRng {
        NodeRng::for_node(self.services.borrow().seed, self.id, self.incarnation)
    }

    /// Claims roles (replacing those claimed before), for nemesis targets.
    pub fn set_roles(&self, roles: &[&str]) {
        self.services.borrow_mut().nodes[self.id.index()].roles =
            roles.iter().map(|r| (*r).to_owned()).collect();
    }

    /// Reports a model gauge (sampled into the run's metrics).
    pub fn gauge(&self, name: &str, value: f64) {
        self.services.borrow_mut().nodes[self.id.index()]
            .gauges
            .insert(name.to_owned(), value);
    }
}

/// Who is calling: the client process and the node it talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandle {
    pub(crate) process: i64,
    pub(crate) node: NodeId,
    pub(crate) nodes: usize,
    pub(crate) served_by: std::cell::Cell<Option<NodeId>>,
}

impl ClientHandle {
    /// The Jepsen process performing the op.
    pub fn process(&self) -> i64 {
        self.process
    }

    /// The node this process talks to first (`process mod nodes`).
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// That node's host name (`n1`).
    pub fn node_name(&self) -> String {
        self.node.name()
    }

    /// Every node's host name, in order.
    pub fn nodes(&self) -> Vec<String> {
        (0..self.nodes)
            .map(|i| NodeId::from_index(i).name())
            .collect()
    }

    /// Says which node answered the op (a host name, `n2`): the history
    /// records it on the completion as `:node`, and reports show it (for a
    /// stale read or a lost write it is the key fact). The last call before
    /// the op ends wins; a name that is not a node is ignored.
    pub fn served_by(&self, host: &str) {
        let node = host
            .strip_prefix('n')
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|&i| i < self.nodes)
            .map(NodeId::from_index);
        if node.is_some() {
            self.served_by.set(node);
        }
    }
}
