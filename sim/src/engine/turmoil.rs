//! The turmoil engine: every node a turmoil host, plus one host for the
//! clients; our layer adds per-node clocks, pause, crash with durable
//! storage, partitions, loss, duplication and latency distributions.
//!
//! # How it runs
//!
//! Each node is a turmoil host whose software is a small driver task. The
//! driver owns nothing: the node's state machine lives in the shared
//! `World` (`world.rs`), and the driver asks the world to handle
//! whatever is due for its node at the host's simulated time, then sleeps
//! (on turmoil's simulated tokio clock) until the next message or timer is
//! due or until the world wakes it. Turmoil supplies the hosts, their
//! runtimes and simulated time, steps them in a fixed order, and crashes and
//! restarts host software (`Sim::crash`, `Sim::bounce`).
//!
//! Messages do not travel over turmoil's sockets. The world decides each
//! message's fate (see [`crate::net`]) and puts it straight into the
//! receiver's queue, typed: no serialization on the hot path, and delivery
//! order, duplication and pause semantics are ours to define. Turmoil's
//! links could not express them (whole-millisecond latency from one global
//! curve, loss as a broken link, no duplication, no notion of a paused
//! receiver).
//!
//! # Determinism
//!
//! Hosts are stepped in registration order; every queue is ordered by (due
//! time, global sequence number); every random choice comes from ChaCha8
//! streams derived from the seed; the only `select!` is `biased;`; nodes
//! never see `Instant` or `SystemTime`. Simulated time advances in ticks of
//! `tick_us` (1 ms by default): an event due inside a tick is handled at the
//! host's next wake-up, no earlier than it is due.

use super::{shared_cluster_api, stepped_runs, Core};
use crate::config::{ControlOp, SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::net::LinkUpdate;
use crate::node::{ClusterModel, ModelFault, Node, NodeId};
use crate::record::{EndReason, NemesisEntry, RunRecord};
use crate::storage::Storage;
use crate::time::Timestamp;
use crate::world::{sub_seed, Wakeups, World};
use shakedown_checkers::History;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;

/// Simulated time inside a turmoil host, in ns.
fn host_now_ns() -> i64 {
    turmoil::sim_elapsed().map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Sleeps until `next` (simulated ns) or until notified.
async fn wait(notify: &Notify, now: i64, next: i64) {
    if next == i64::MAX {
        notify.notified().await;
        return;
    }
    let delay = Duration::from_nanos(next.saturating_sub(now).max(0) as u64);
    tokio::select! {
        biased;
        _ = notify.notified() => {}
        _ = tokio::time::sleep(delay) => {}
    }
}

async fn node_host<M: ClusterModel>(world: Rc<RefCell<World<M>>>, id: NodeId) -> turmoil::Result {
    let notify = world.borrow().slots[id.index()].notify.clone();
    loop {
        let now = host_now_ns();
        let next = world.borrow_mut().drive_node(id, now);
        wait(&notify, now, next).await;
    }
}

async fn client_host<M: ClusterModel>(world: Rc<RefCell<World<M>>>) -> turmoil::Result {
    let notify = world.borrow().client_notify.clone();
    loop {
        let now = host_now_ns();
        let next = world.borrow_mut().drive_clients(now);
        wait(&notify, now, next).await;
    }
}

/// A cluster running on turmoil. Build it with [`TurmoilCluster::new`],
/// break it through [`Control`], advance it with [`TurmoilCluster::step`]
/// or [`TurmoilCluster::run_for`], and collect the [`RunRecord`] with
/// [`TurmoilCluster::finish`]. [`crate::run`] does all of that for a whole
/// configuration.
///
/// ```
/// use shakedown_sim::models::PrimaryBackupModel;
/// use shakedown_sim::{Control, NodeId, NodeStatus, SimConfig, TurmoilCluster};
/// use std::time::Duration;
///
/// let config = SimConfig { seed: 1, nodes: 3, clients: 2, ..SimConfig::default() };
/// let mut cluster = TurmoilCluster::new(&config, PrimaryBackupModel::default()).unwrap();
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.partition_groups(&[vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]).unwrap();
/// cluster.crash(NodeId(2)).unwrap();
/// assert_eq!(cluster.status(NodeId(2)).unwrap(), NodeStatus::Crashed);
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.heal();
/// cluster.restart(NodeId(2)).unwrap();
/// let ended = cluster.run_to_end().unwrap();
/// let record = cluster.finish(ended);
/// assert!(record.history.len() >= 2 * 200);
/// ```
pub struct TurmoilCluster<M: ClusterModel> {
    sim: turmoil::Sim<'static>,
    core: Core<M>,
    hosts: Vec<String>,
}

impl<M: ClusterModel> TurmoilCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        let core = Core::new(config, model, Wakeups::Notify)?;
        let tick = Duration::from_micros(config.tick_us);
        let mut sim = turmoil::Builder::new()
            .tick_duration(tick)
            // Hosts never finish, and we stop the run ourselves; this only
            // keeps turmoil from ending it first.
            .simulation_duration(Duration::from_millis(config.duration_ms) + tick * 4)
            .epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
            .rng_seed(sub_seed(config.seed, "turmoil"))
            .build();

        let mut hosts = Vec::with_capacity(config.nodes);
        for i in 0..config.nodes {
            let id = NodeId::from_index(i);
            let name = id.name();
            let w = core.world.clone();
            sim.host(name.as_str(), move || node_host(w.clone(), id));
            hosts.push(name);
        }
        if config.clients > 0 {
            let w = core.world.clone();
            sim.host("clients", move || client_host(w.clone()));
        }
        Ok(TurmoilCluster { sim, core, hosts })
    }

    /// Simulated time now, ns.
    pub fn now_ns(&self) -> i64 {
        i64::try_from(self.sim.elapsed().as_nanos()).unwrap_or(i64::MAX)
    }

    /// One engine tick: due faults, a metric sample if due, then every host.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.now_ns();
        self.apply_due_faults(now);
        if now >= self.core.next_sample_ns {
            self.core.sample(now);
            self.core.next_sample_ns = now.saturating_add(self.core.interval_ns);
        }
        if let Err(e) = self.sim.step() {
            return Err(SimError::Engine {
                at_ms: (now / 1_000_000) as u64,
                message: e.to_string(),
            });
        }
        let end_ns = self.now_ns();
        self.core.after_step(now, end_ns)
    }

    fn host_crashed(&mut self, node: NodeId) {
        self.sim.crash(self.hosts[node.index()].as_str());
    }

    fn host_restarted(&mut self, node: NodeId) {
        self.sim.bounce(self.hosts[node.index()].as_str());
    }
}

shared_cluster_api!(TurmoilCluster);
stepped_runs!(TurmoilCluster);
