//! Run configuration and its validation.

use crate::control::{ControlError, CLOCK_OFFSET_NS_MAX, CLOCK_RATE_RANGE};
use crate::net::{Latency, LinkConfig, LinkUpdate};
use crate::node::{ModelFault, NodeId};
use crate::time::Timestamp;
use crate::workload::Workload;
use shakedown_nemesis::Schedule;

/// Most nodes a cluster may have.
pub const NODES_MAX: usize = 1000;
/// Most concurrent clients.
pub const CLIENTS_MAX: usize = 10_000;
/// Longest run: 30 days of simulated time.
pub const DURATION_MS_MAX: u64 = 30 * 24 * 3600 * 1000;

/// Explicit limits on everything that could grow without bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Messages waiting in one node's inbox; more are dropped (and counted).
    pub inbox_max: usize,
    /// Events one node may handle at a single simulated instant before the
    /// engine makes it wait for the next tick (guards against a node that
    /// sends itself messages forever).
    pub events_per_instant_max: u32,
    /// Most history events; past it the run stops with an error.
    pub history_events_max: usize,
    /// Most messages delivered in one run (node messages, client requests
    /// and responses); past it the run stops with an error (a message
    /// storm must not stall a sweep).
    pub messages_delivered_max: u64,
    /// Most events handled in one run (messages, timers, requests,
    /// responses, client timers); past it the run stops with an error.
    pub events_handled_max: u64,
    /// Wall-clock time one run may take; past it the run stops with an
    /// error. The only wall-clock read in a run: it decides whether the run
    /// gives up, never what happens in it. `None`: no limit.
    pub wall_time: Option<std::time::Duration>,
}

/// Default of [`Limits::messages_delivered_max`].
pub const MESSAGES_DELIVERED_MAX: u64 = 50_000_000;
/// Default of [`Limits::events_handled_max`].
pub const EVENTS_HANDLED_MAX: u64 = 100_000_000;
/// Default of [`Limits::wall_time`]: 60 s.
pub const WALL_TIME: std::time::Duration = std::time::Duration::from_secs(60);
/// Default of [`Limits::history_events_max`].
pub const HISTORY_EVENTS_MAX: usize = 10_000_000;
/// The most [`Limits::history_events_max`] may be set to: 100 million
/// events (several GB of history).
pub const HISTORY_EVENTS_CEILING: usize = 100_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            inbox_max: 100_000,
            events_per_instant_max: 100_000,
            history_events_max: HISTORY_EVENTS_MAX,
            messages_delivered_max: MESSAGES_DELIVERED_MAX,
            events_handled_max: EVENTS_HANDLED_MAX,
            wall_time: Some(WALL_TIME),
        }
    }
}

/// One control operation, in the simulator's own terms (see
/// [`crate::Control`] for what each does).
#[derive(Debug, Clone, PartialEq)]
pub enum ControlOp {
    /// Replace the partition with these cut links.
    Partition(Vec<(NodeId, NodeId)>),
    /// Replace the partition with these groups.
    PartitionGroups(Vec<Vec<NodeId>>),
    /// Add a one-way cut.
    PartitionOneWay {
        /// Senders.
        from: Vec<NodeId>,
        /// Receivers.
        to: Vec<NodeId>,
    },
    /// Remove every partition.
    Heal,
    /// Crash a node.
    Crash(NodeId),
    /// Restart a crashed node.
    Restart(NodeId),
    /// Pause a node.
    Pause(NodeId),
    /// Resume a paused node.
    Resume(NodeId),
    /// Set a node's clock.
    ClockSet {
        /// The node.
        node: NodeId,
        /// The new reading.
        to: Timestamp,
    },
    /// Bump a node's clock.
    ClockBump {
        /// The node.
        node: NodeId,
        /// By how much, ns.
        delta_ns: i64,
    },
    /// Make a node's clock drift.
    ClockDrift {
        /// The node.
        node: NodeId,
        /// Clock seconds per simulated second.
        rate: f64,
    },
    /// Reset a node's clock.
    ClockReset(NodeId),
    /// Change one directed link.
    UpdateLink {
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// The change.
        update: LinkUpdate,
    },
    /// Change every link to and from a node.
    UpdateNodeLinks {
        /// The node.
        node: NodeId,
        /// The change.
        update: LinkUpdate,
    },
    /// Restore a node's links to the run's defaults.
    NetReset(NodeId),
    /// Start a model fault on a node.
    ModelFault {
        /// The node.
        node: NodeId,
        /// The fault.
        fault: ModelFault,
    },
    /// Stop a model fault on a node.
    ModelFaultStop {
        /// The node.
        node: NodeId,
        /// The fault's name.
        name: String,
    },
}

impl ControlOp {
    /// The operation's name, as logged (`partition`, `crash`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ControlOp::Partition(_) => "partition",
            ControlOp::PartitionGroups(_) => "partition-groups",
            ControlOp::PartitionOneWay { .. } => "partition-one-way",
            ControlOp::Heal => "heal",
            ControlOp::Crash(_) => "crash",
            ControlOp::Restart(_) => "restart",
            ControlOp::Pause(_) => "pause",
            ControlOp::Resume(_) => "resume",
            ControlOp::ClockSet { .. } => "clock-set",
            ControlOp::ClockBump { .. } => "clock-bump",
            ControlOp::ClockDrift { .. } => "clock-drift",
            ControlOp::ClockReset(_) => "clock-reset",
            ControlOp::UpdateLink { .. } => "update-link",
            ControlOp::UpdateNodeLinks { .. } => "update-node-links",
            ControlOp::NetReset(_) => "net-reset",
            ControlOp::ModelFault { .. } => "model-fault",
            ControlOp::ModelFaultStop { .. } => "model-fault-stop",
        }
    }

    /// A short description of its parameters, for logs (`delta_ns=-5000000`).
    pub fn describe(&self) -> String {
        let list = |ns: &[NodeId]| ns.iter().map(|n| n.name()).collect::<Vec<_>>().join(" ");
        match self {
            ControlOp::Partition(links) => links
                .iter()
                .map(|(a, b)| format!("{a}->{b}"))
                .collect::<Vec<_>>()
                .join(" "),
            ControlOp::PartitionGroups(groups) => groups
                .iter()
                .map(|g| format!("[{}]", list(g)))
                .collect::<Vec<_>>()
                .join(" "),
            ControlOp::PartitionOneWay { from, to } => {
                format!("[{}] -> [{}]", list(from), list(to))
            }
            ControlOp::Heal => String::new(),
            ControlOp::Crash(n)
            | ControlOp::Restart(n)
            | ControlOp::Pause(n)
            | ControlOp::Resume(n)
            | ControlOp::ClockReset(n)
            | ControlOp::NetReset(n) => n.name(),
            ControlOp::ClockSet { node, to } => format!("{node} to={}ns", to.0),
            ControlOp::ClockBump { node, delta_ns } => format!("{node} delta_ns={delta_ns}"),
            ControlOp::ClockDrift { node, rate } => format!("{node} rate={rate}"),
            ControlOp::UpdateLink { from, to, update } => format!("{from}->{to} {update:?}"),
            ControlOp::UpdateNodeLinks { node, update } => format!("{node} {update:?}"),
            ControlOp::ModelFault { node, fault } => {
                let params: Vec<String> = fault
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!("{node} {} {}", fault.name, params.join(" "))
                    .trim_end()
                    .to_owned()
            }
            ControlOp::ModelFaultStop { node, name } => format!("{node} {name}"),
        }
    }

    /// Every node the operation names.
    pub fn nodes(&self) -> Vec<NodeId> {
        match self {
            ControlOp::Partition(links) => links.iter().flat_map(|(a, b)| [*a, *b]).collect(),
            ControlOp::PartitionGroups(groups) => groups.iter().flatten().copied().collect(),
            ControlOp::PartitionOneWay { from, to } => from.iter().chain(to).copied().collect(),
            ControlOp::Heal => Vec::new(),
            ControlOp::Crash(n)
            | ControlOp::Restart(n)
            | ControlOp::Pause(n)
            | ControlOp::Resume(n)
            | ControlOp::ClockReset(n)
            | ControlOp::NetReset(n) => vec![*n],
            ControlOp::ClockSet { node, .. }
            | ControlOp::ClockBump { node, .. }
            | ControlOp::ClockDrift { node, .. }
            | ControlOp::UpdateNodeLinks { node, .. }
            | ControlOp::ModelFault { node, .. }
            | ControlOp::ModelFaultStop { node, .. } => vec![*node],
            ControlOp::UpdateLink { from, to, .. } => vec![*from, *to],
        }
    }

    /// Checks node ids and values against a cluster of `nodes` nodes.
    pub fn validate(&self, nodes: usize) -> Result<(), ControlError> {
        for n in self.nodes() {
            if n.index() >= nodes {
                return Err(ControlError::UnknownNode { node: n, nodes });
            }
        }
        let bad = |m: String| Err(ControlError::BadValue(m));
        match self {
            ControlOp::ClockBump { delta_ns, .. }
                if delta_ns.unsigned_abs() > CLOCK_OFFSET_NS_MAX as u64 =>
            {
                bad(format!("clock bump of {delta_ns} ns is absurd: at most 10 years either way"))
            }
            ControlOp::ClockSet { to, .. } if to.0.unsigned_abs() > CLOCK_OFFSET_NS_MAX as u64 => {
                bad(format!("clock reading {to} is absurd: at most 10 years from the start"))
            }
            ControlOp::ClockDrift { rate, .. } if !CLOCK_RATE_RANGE.contains(rate) => bad(format!(
                "clock rate {rate} is absurd: use 0.01 to 100 clock seconds per second (1.0 is true time)"
            )),
            ControlOp::UpdateLink { update, .. } | ControlOp::UpdateNodeLinks { update, .. } => {
                update.validate().map_err(ControlError::BadValue)
            }
            _ => Ok(()),
        }
    }
}

/// A control operation at a simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedOp {
    /// When, in ms from the start of the run.
    pub at_ms: u64,
    /// What.
    pub op: ControlOp,
}

/// Everything a run needs besides the model.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The seed everything derives from.
    pub seed: u64,
    /// Number of nodes (at least 1).
    pub nodes: usize,
    /// Number of concurrent clients (0: no workload).
    pub clients: usize,
    /// What the clients do.
    pub workload: Workload,
    /// Default link between two nodes: latency, loss and duplication.
    pub network: LinkConfig,
    /// Latency between a client and a node (clients are never partitioned,
    /// lose nothing and see no duplicates: they stand for Jepsen's control
    /// node).
    pub client_latency: Latency,
    /// Simulated time limit, in ms. With clients, the run ends earlier once
    /// the workload is done and the fault schedule is over; without clients
    /// it lasts exactly this long.
    pub duration_ms: u64,
    /// turmoil engine step, in microseconds (at least 1000): the
    /// granularity of simulated time there. The discrete engine has none.
    pub tick_us: u64,
    /// Metric sampling interval, in ms.
    pub metrics_interval_ms: u64,
    /// Explicit control operations (in the simulator's own terms).
    pub ops: Vec<TimedOp>,
    /// A nemesis schedule (faults with targets), resolved during the run
    /// with the seed.
    pub nemesis: Option<Schedule>,
    /// Fault points that may fire ([`crate::points`]); `None`: none.
    pub points: Option<crate::points::PointPlan>,
    /// Limits on queues and history size.
    pub limits: Limits,
    /// The engine of a callback model (`None`: the discrete engine).
    /// Async services always run on turmoil; asking them for another
    /// engine is an error.
    pub engine: Option<crate::engine::Engine>,
    /// Keep every step of the run in words ([`crate::RunRecord::trace`]),
    /// so that the determinism check can name where two runs part ways.
    /// Costs memory and time; off by default.
    pub trace: bool,
}

impl Default for SimConfig {
    /// Three nodes, three clients, the default workload, 1–5 ms links, 60 s.
    fn default() -> Self {
        SimConfig {
            seed: 0,
            nodes: 3,
            clients: 3,
            workload: Workload::default(),
            network: LinkConfig::default(),
            client_latency: Latency::default(),
            duration_ms: 60_000,
            tick_us: 1000,
            metrics_interval_ms: 100,
            ops: Vec::new(),
            nemesis: None,
            points: None,
            limits: Limits::default(),
            engine: None,
            trace: false,
        }
    }
}

/// Why a run could not start or could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is wrong; the message says how to fix it.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A scheduled control operation is wrong.
    #[error("control operation {index} (`{name}` at {at_ms} ms): {source}")]
    Op {
        /// Its index in [`SimConfig::ops`].
        index: usize,
        /// Its name.
        name: &'static str,
        /// Its time.
        at_ms: u64,
        /// What is wrong.
        source: ControlError,
    },
    /// Model code panicked: a finding (the verdict `crashed`), with the run
    /// recorded up to the panic.
    #[error("{}", .0.panic)]
    Crashed(Box<CrashedRun>),
    /// The engine failed during the run (a limit was hit).
    #[error("simulation failed at {at_ms} ms: {message}")]
    Engine {
        /// Simulated time.
        at_ms: u64,
        /// What happened.
        message: String,
    },
}

/// A run that ended at a panic in model code.
#[derive(Debug, Clone, PartialEq)]
pub struct CrashedRun {
    /// The panic.
    pub panic: crate::panic::NodePanic,
    /// The run up to the panic ([`crate::EndReason::Crashed`]).
    pub record: crate::RunRecord,
}

impl SimConfig {
    /// Checks everything that can be checked before a run.
    pub fn validate(&self) -> Result<(), SimError> {
        let cfg = |m: String| Err(SimError::Config(m));
        if let Some(points) = &self.points {
            points.validate().map_err(SimError::Config)?;
        }
        if self.nodes == 0 {
            return cfg("`nodes` is 0: a cluster needs at least 1 node".into());
        }
        if self.nodes > NODES_MAX {
            return cfg(format!("`nodes` = {}: at most {NODES_MAX}", self.nodes));
        }
        if self.clients > CLIENTS_MAX {
            return cfg(format!(
                "`clients` = {}: at most {CLIENTS_MAX}",
                self.clients
            ));
        }
        if self.duration_ms == 0 {
            return cfg("`duration_ms` is 0: give the run a simulated duration above 0".into());
        }
        if self.duration_ms > DURATION_MS_MAX {
            return cfg(format!(
                "`duration_ms` = {} is absurd: at most 30 days ({DURATION_MS_MAX} ms)",
                self.duration_ms
            ));
        }
        if !(1000..=1_000_000).contains(&self.tick_us) {
            return cfg(format!(
                "`tick_us` = {}: use 1000 to 1,000,000 microseconds (tokio's timers are \
                 millisecond-grained, so a shorter tick buys nothing; 1000 is the default)",
                self.tick_us
            ));
        }
        if self.metrics_interval_ms == 0 {
            return cfg(
                "`metrics_interval_ms` is 0: sample at least every few ms, e.g. 100".into(),
            );
        }
        self.network
            .validate()
            .map_err(|m| SimError::Config(format!("network: {m}")))?;
        self.client_latency
            .validate()
            .map_err(|m| SimError::Config(format!("client latency: {m}")))?;
        if self.clients > 0 {
            self.workload.validate().map_err(SimError::Config)?;
        }
        if self.limits.inbox_max == 0 || self.limits.events_per_instant_max == 0 {
            return cfg("limits must be above 0".into());
        }
        if self.limits.history_events_max > HISTORY_EVENTS_CEILING {
            return cfg(format!(
                "`limits.history_events_max` = {}: at most {HISTORY_EVENTS_CEILING}",
                self.limits.history_events_max
            ));
        }
        for (index, t) in self.ops.iter().enumerate() {
            t.op.validate(self.nodes).map_err(|source| SimError::Op {
                index,
                name: t.op.name(),
                at_ms: t.at_ms,
                source,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configs_get_clear_errors() {
        let cases: Vec<(SimConfig, &str)> = vec![
            (
                SimConfig {
                    nodes: 0,
                    ..SimConfig::default()
                },
                "at least 1 node",
            ),
            (
                SimConfig {
                    duration_ms: 0,
                    ..SimConfig::default()
                },
                "duration",
            ),
            (
                SimConfig {
                    network: LinkConfig {
                        loss_rate: -0.5,
                        ..LinkConfig::default()
                    },
                    ..SimConfig::default()
                },
                "loss_rate",
            ),
            (
                SimConfig {
                    network: LinkConfig {
                        duplicate_rate: 7.0,
                        ..LinkConfig::default()
                    },
                    ..SimConfig::default()
                },
                "duplicate_rate",
            ),
            (
                SimConfig {
                    ops: vec![TimedOp {
                        at_ms: 5,
                        op: ControlOp::Crash(NodeId(7)),
                    }],
                    ..SimConfig::default()
                },
                "n7 does not exist",
            ),
            (
                SimConfig {
                    ops: vec![TimedOp {
                        at_ms: 5,
                        op: ControlOp::ClockDrift {
                            node: NodeId(0),
                            rate: -1.0,
                        },
                    }],
                    ..SimConfig::default()
                },
                "clock rate",
            ),
        ];
        for (config, needle) in cases {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(needle), "`{err}` should mention `{needle}`");
        }
        SimConfig::default().validate().unwrap();
    }
}
