//! The discrete-event engine: callback models with no async runtime and no
//! tick.
//!
//! # How it runs
//!
//! Every side (each node, and the client side) is either busy or asleep
//! until a known time. The world keeps one agenda of (time, sequence
//! number, side); the engine takes the earliest instant among the agenda,
//! the next fault and the next metric sample, jumps simulated time straight
//! there, applies the faults due, takes the sample, and drives every side
//! due at that instant in agenda order. Driving a side handles everything
//! due for it at that instant (messages and timers in (time, sequence)
//! order, exactly as the turmoil engine's hosts do) and puts its next due
//! time back on the agenda. A message sent to a sleeping node puts it on
//! the agenda at the message's arrival time.
//!
//! Agenda entries are never searched for or removed: an entry whose side
//! has since been driven past it, crashed or paused is skipped when it
//! comes up.
//!
//! # Semantics beside the turmoil engine
//!
//! Time has nanosecond resolution: a message with 1.3 ms of latency arrives
//! 1.3 ms later, not at the next 1 ms tick, and a node is driven at the
//! exact time of each event. Faults and samples happen at their exact
//! times too. Everything else (network fates, clocks, storage, clients,
//! the recorder, limits) is the shared world's, so a model sees the same
//! guarantees on both engines; only the interleavings differ.
//!
//! # Determinism
//!
//! No threads, no runtime, no wall clock (the wall-time limit only decides
//! whether to give up): the agenda is a binary heap of plain integers whose
//! ties break by sequence number, and every random choice comes from the
//! world's seeded streams.

use super::{shared_cluster_api, Core};
use crate::config::{ControlOp, SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::net::LinkUpdate;
use crate::node::{ClusterModel, ModelFault, Node, NodeId};
use crate::record::{EndReason, NemesisEntry, RunRecord};
use crate::storage::Storage;
use crate::time::Timestamp;
use crate::world::{Agenda, Wakeups, CLIENT_SIDE};
use shakedown_checkers::History;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A cluster on the discrete-event engine. Same API as
/// [`crate::TurmoilCluster`]: build it with [`DiscreteCluster::new`],
/// break it through [`Control`], advance it with [`DiscreteCluster::step`]
/// or [`DiscreteCluster::run_for`], and collect the [`RunRecord`] with
/// [`DiscreteCluster::finish`].
///
/// ```
/// use shakedown_sim::models::PrimaryBackupModel;
/// use shakedown_sim::{Control, DiscreteCluster, NodeId, NodeStatus, SimConfig};
/// use std::time::Duration;
///
/// let config = SimConfig { seed: 1, nodes: 3, clients: 2, ..SimConfig::default() };
/// let mut cluster = DiscreteCluster::new(&config, PrimaryBackupModel::default()).unwrap();
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.crash(NodeId(2)).unwrap();
/// assert_eq!(cluster.status(NodeId(2)).unwrap(), NodeStatus::Crashed);
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.restart(NodeId(2)).unwrap();
/// let ended = cluster.run_to_end().unwrap();
/// let record = cluster.finish(ended);
/// assert!(record.history.len() >= 2 * 200);
/// ```
pub struct DiscreteCluster<M: ClusterModel> {
    core: Core<M>,
    now_ns: i64,
}

impl<M: ClusterModel> DiscreteCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        let core = Core::new(config, model, Wakeups::Agenda(Agenda::default()))?;
        {
            let mut w = core.world.borrow_mut();
            for i in 0..config.nodes {
                w.schedule(i as u32, 0);
            }
            if config.clients > 0 {
                w.schedule(CLIENT_SIDE, 0);
            }
        }
        Ok(DiscreteCluster { core, now_ns: 0 })
    }

    /// Simulated time now, ns.
    pub fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// The next instant anything happens: a side due, a fault, a sample.
    fn next_instant(&self) -> i64 {
        let agenda = match &self.core.world.borrow().wakeups {
            Wakeups::Agenda(a) => a.next_time().unwrap_or(i64::MAX),
            Wakeups::Notify | Wakeups::Timed(_) => i64::MAX,
        };
        let fault = self.core.faults.next_due_ns().unwrap_or(i64::MAX);
        agenda.min(fault).min(self.core.next_sample_ns)
    }

    /// One instant: jumps to the next time anything is due, applies the
    /// faults due, takes a metric sample if one is due, then drives every
    /// side due then.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.next_instant().max(self.now_ns);
        self.now_ns = now;
        self.core.world.borrow_mut().now_ns = now;
        self.apply_due_faults(now);
        self.core.sample_on_grid(now);
        {
            let mut w = self.core.world.borrow_mut();
            loop {
                let due = match &mut w.wakeups {
                    Wakeups::Agenda(a) => a.pop_due(now),
                    Wakeups::Notify | Wakeups::Timed(_) => None,
                };
                let Some((_, side)) = due else {
                    break;
                };
                if w.is_due(side, now) {
                    w.drive_side(side, now);
                    if w.panic.is_some() || w.error.is_some() {
                        break;
                    }
                }
            }
        }
        self.core.after_step(now, now)
    }

    /// Runs every instant before `duration` from now, then moves time to
    /// its end.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), SimError> {
        let end = self
            .now_ns
            .saturating_add(i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX));
        while self.next_instant() < end {
            self.step()?;
        }
        self.now_ns = self.now_ns.max(end);
        Ok(())
    }

    /// Runs until the workload and the schedule are done, or the time
    /// limit; returns why it stopped.
    pub fn run_to_end(&mut self) -> Result<EndReason, SimError> {
        loop {
            if self.is_done() {
                return Ok(EndReason::Completed);
            }
            if self.next_instant() >= self.core.duration_ns {
                self.now_ns = self.now_ns.max(self.core.duration_ns);
                return Ok(EndReason::TimeLimit);
            }
            self.step()?;
        }
    }

    /// Nothing to do: a crashed node's agenda entries are skipped.
    fn host_crashed(&mut self, _node: NodeId) {}

    /// Nothing to do: the world put the restarted node on the agenda.
    fn host_restarted(&mut self, _node: NodeId) {}
}

shared_cluster_api!(DiscreteCluster);
