//! The control surface: the one set of operations through which the nemesis
//! (or a test) breaks a running cluster.
//!
//! Every engine implements [`Control`]. Operations take effect at the
//! current simulated time, between two engine steps. Each returns an error,
//! never a panic, for an unknown node or an absurd value; operations that
//! make no sense in the node's state (restarting a running node, resuming
//! one that is not paused) do nothing and say so with [`Applied::NoChange`].

use crate::net::{Latency, LinkUpdate};
use crate::node::{ModelFault, NodeId};
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// Largest clock jump or offset accepted: ten years, in nanoseconds.
pub const CLOCK_OFFSET_NS_MAX: i64 = 10 * 365 * 24 * 3600 * 1_000_000_000;

/// Clock rates accepted by [`Control::clock_drift`]: from a clock running a
/// hundred times slow to one running a hundred times fast.
pub const CLOCK_RATE_RANGE: std::ops::RangeInclusive<f64> = 0.01..=100.0;

/// Why a control operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The node does not exist.
    #[error("node {node} does not exist: the cluster has {nodes} nodes (n0 to n{})", nodes.saturating_sub(1))]
    UnknownNode {
        /// The node asked for.
        node: NodeId,
        /// The cluster size.
        nodes: usize,
    },
    /// A value out of range (rate, latency, clock offset).
    #[error("{0}")]
    BadValue(String),
    /// The model refused a model fault.
    #[error("model fault `{name}` on {node}: {reason}")]
    ModelFault {
        /// The fault.
        name: String,
        /// The node.
        node: NodeId,
        /// What the model said.
        reason: String,
    },
}

/// Whether an operation changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// It took effect.
    Changed,
    /// The node was already in that state (or crashed, for a model fault).
    NoChange,
}

/// A node's process state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeStatus {
    /// Running.
    Up,
    /// Frozen: handles nothing until resumed.
    Paused,
    /// Crashed: gone until restarted.
    Crashed,
}

/// The operations the nemesis drives. See the [module docs](self).
pub trait Control {
    /// Number of nodes (ids `0..nodes`).
    fn node_count(&self) -> usize;

    /// Current simulated time, ns since the run started.
    fn sim_now_ns(&self) -> i64;

    /// A node's process state.
    fn status(&self, node: NodeId) -> Result<NodeStatus, ControlError>;

    /// Replaces the partition in force: messages on each `(from, to)` link
    /// are dropped, including those in flight. Self-links are ignored.
    fn partition(&mut self, cut: &[(NodeId, NodeId)]) -> Result<Applied, ControlError>;

    /// Replaces the partition in force by groups that talk only among
    /// themselves. Nodes listed in no group form one more group.
    fn partition_groups(&mut self, groups: &[Vec<NodeId>]) -> Result<Applied, ControlError> {
        let n = self.node_count();
        let mut group_of = vec![usize::MAX; n];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                if m.index() >= n {
                    return Err(ControlError::UnknownNode { node: m, nodes: n });
                }
                group_of[m.index()] = g;
            }
        }
        let mut cut = Vec::new();
        for from in 0..n {
            for to in 0..n {
                if from != to && group_of[from] != group_of[to] {
                    cut.push((NodeId::from_index(from), NodeId::from_index(to)));
                }
            }
        }
        self.partition(&cut)
    }

    /// Adds a one-way partition: messages from each of `from` to each of
    /// `to` are dropped; the other direction still flows.
    fn partition_one_way(
        &mut self,
        from: &[NodeId],
        to: &[NodeId],
    ) -> Result<Applied, ControlError> {
        let mut cut = self.cut();
        for &f in from {
            for &t in to {
                if f != t {
                    cut.push((f, t));
                }
            }
        }
        self.partition(&cut)
    }

    /// The cut links in force, in order.
    fn cut(&self) -> Vec<(NodeId, NodeId)>;

    /// Removes every partition.
    fn heal(&mut self) -> Applied;

    /// Kills a node: its volatile state and unsynced writes are lost, its
    /// timers are gone, messages reaching it while down are lost.
    fn crash(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// Starts a crashed node again from its durable storage.
    fn restart(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// Freezes a node: it handles nothing; its messages and timers wait.
    fn pause(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// Unfreezes a node; everything that waited is handled, in order.
    fn resume(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// A node's clock reading now.
    fn clock(&self, node: NodeId) -> Result<Timestamp, ControlError>;

    /// Sets a node's clock to `to` (drift is kept).
    fn clock_set(&mut self, node: NodeId, to: Timestamp) -> Result<Applied, ControlError>;

    /// Moves a node's clock by `delta_ns` (negative: back).
    fn clock_bump(&mut self, node: NodeId, delta_ns: i64) -> Result<Applied, ControlError>;

    /// From now on the node's clock advances `rate` clock seconds per
    /// simulated second (1.0: true time). Timers already set keep their
    /// simulated deadline.
    fn clock_drift(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError>;

    /// Back to true time, no drift.
    fn clock_reset(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// Changes the directed link `from -> to`.
    fn update_link(
        &mut self,
        from: NodeId,
        to: NodeId,
        update: &LinkUpdate,
    ) -> Result<Applied, ControlError>;

    /// Changes every link to and from `node`.
    fn update_node_links(
        &mut self,
        node: NodeId,
        update: &LinkUpdate,
    ) -> Result<Applied, ControlError> {
        let n = self.node_count();
        if node.index() >= n {
            return Err(ControlError::UnknownNode { node, nodes: n });
        }
        update.validate().map_err(ControlError::BadValue)?;
        for other in (0..n).map(NodeId::from_index) {
            if other != node {
                self.update_link(node, other, update)?;
                self.update_link(other, node, update)?;
            }
        }
        Ok(Applied::Changed)
    }

    /// Drops messages to or from `node` with probability `rate`.
    fn packet_loss(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError> {
        self.update_node_links(
            node,
            &LinkUpdate {
                loss_rate: Some(rate),
                ..LinkUpdate::default()
            },
        )
    }

    /// Delivers messages to or from `node` twice with probability `rate`.
    fn packet_duplicate(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError> {
        self.update_node_links(
            node,
            &LinkUpdate {
                duplicate_rate: Some(rate),
                ..LinkUpdate::default()
            },
        )
    }

    /// Draws the latency of messages to or from `node` from `latency`.
    fn packet_delay(&mut self, node: NodeId, latency: Latency) -> Result<Applied, ControlError> {
        self.update_node_links(
            node,
            &LinkUpdate {
                latency: Some(latency),
                ..LinkUpdate::default()
            },
        )
    }

    /// Restores the run's default latency, loss and duplication on every
    /// link to and from `node`.
    fn net_reset(&mut self, node: NodeId) -> Result<Applied, ControlError>;

    /// Starts a model fault on `node` ([`crate::Node::on_model_fault`]).
    /// A crashed node (or one not started yet) is skipped
    /// ([`Applied::NoChange`]); a paused node still takes it, since a model
    /// fault changes the model's settings rather than running its code. The
    /// fault lives in the node's volatile state: a restart forgets it.
    fn model_fault(&mut self, node: NodeId, fault: &ModelFault) -> Result<Applied, ControlError>;

    /// Stops a model fault on `node` ([`crate::Node::on_model_fault_stop`]).
    fn model_fault_stop(&mut self, node: NodeId, name: &str) -> Result<Applied, ControlError>;

    /// For each role, the running nodes that claim it now, in id order.
    fn roles(&self) -> BTreeMap<String, Vec<NodeId>>;
}
