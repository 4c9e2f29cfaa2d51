//! A leaderless key-value store in the manner of Dynamo and Cassandra, as a
//! Shakedown cluster model.
//!
//! - **Placement**: a consistent-hash [`ring`] with virtual nodes; each key
//!   lives on its preference list, the first N distinct nodes clockwise
//!   from its hash.
//! - **Requests**: the node a client reaches coordinates. A write is
//!   stamped with the coordinator's clock ([`lww`]) and sent to the N
//!   replicas; it succeeds after W acknowledgements. A read asks the N
//!   replicas and answers with the newest of the first R answers, repairing
//!   stale replicas as [`ReadRepair`] says.
//! - **Hinted handoff** ([`hints`]): a replica that does not acknowledge in
//!   time gets a hint, kept by the coordinator or (sloppy quorum) by a
//!   fallback node whose acknowledgement counts toward W. Hints are
//!   replayed when the target is back, throttled to
//!   `hint_replay_rate_per_s`, and expire past `hint_window_ms`.
//! - **Metrics**: every node reports `hint_queue_depth`, `hints_written`,
//!   `hints_replayed`, `hints_expired`, `hints_refused`, `hints_lost` and
//!   `hint_replay_rate_per_s` as gauges.
//! - **Model faults**: `hint-backlog` (replay throttled to `rate_per_s`
//!   until `model-stop`) and `drop-hints` (the node loses its hints).
//!
//! Clients may `read` and `write` (per key, or one unkeyed register). Other
//! operations fail honestly: a last-write-wins store has no atomic cas.
//!
//! ```
//! use shakedown_dynamo::{Dynamo, DynamoConfig};
//! use shakedown_sim::ClusterModel;
//!
//! let config: DynamoConfig = DynamoConfig { read_quorum: 1, write_quorum: 2, ..Default::default() };
//! let model = Dynamo::new(config);
//! assert_eq!(model.name(), "dynamo");
//! assert!(model.validate(3).is_ok());
//! assert!(model.validate(2).unwrap_err().contains("replication_factor (N) = 3"));
//! ```

pub mod config;
pub mod hints;
pub mod lww;
pub mod msg;
pub mod node;
pub mod ring;

pub use config::{DynamoConfig, ReadRepair};
pub use node::{key_text, DynamoNode};

use shakedown_checkers::Value;
use shakedown_sim::{ClusterModel, FaultPointSpec, ModelFaultSpec, NodeInit, ParamSpec};

/// Name of the fault that throttles hint replay.
pub const FAULT_HINT_BACKLOG: &str = "hint-backlog";
/// Name of the fault that wipes a node's hints.
pub const FAULT_DROP_HINTS: &str = "drop-hints";

/// The Dynamo-style store as a cluster model, registered as `dynamo`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dynamo {
    /// Its settings.
    pub config: DynamoConfig,
}

impl Dynamo {
    /// The model with these settings (checked by [`ClusterModel::validate`]).
    pub fn new(config: DynamoConfig) -> Self {
        Dynamo { config }
    }
}

impl ClusterModel for Dynamo {
    type Node = DynamoNode;

    fn name(&self) -> &str {
        "dynamo"
    }

    fn validate(&self, nodes: usize) -> Result<(), String> {
        self.config.validate(nodes)
    }

    fn build(&self, init: &NodeInit<'_>) -> DynamoNode {
        DynamoNode::new(self.config.clone(), init.id, init.nodes.len())
    }

    fn fault_points(&self) -> Vec<FaultPointSpec> {
        vec![
            FaultPointSpec::new(
                "write-stored",
                "a replica synced a newer version of a key, before using or acknowledging it",
            ),
            FaultPointSpec::new(
                "hint-stored",
                "a fallback node stored a hint for a down replica",
            ),
            FaultPointSpec::new(
                "hint-replayed",
                "the target of a hint applied it, before acknowledging the replay",
            ),
            FaultPointSpec::new(
                "hint-acknowledged",
                "a fallback node dropped a hint its target acknowledged",
            ),
        ]
    }

    fn faults(&self) -> Vec<ModelFaultSpec> {
        vec![
            ModelFaultSpec {
                name: FAULT_HINT_BACKLOG.into(),
                description: "throttle the node's hint replay to rate_per_s hints per second until model-stop".into(),
                params: vec![ParamSpec {
                    name: "rate_per_s".into(),
                    description: "hints replayed per second while the fault lasts (0 stalls replay)".into(),
                    default: Some(Value::Float(shakedown_checkers::value::Float(1.0))),
                }],
                undo: None,
            },
            ModelFaultSpec {
                name: FAULT_DROP_HINTS.into(),
                description: "the node loses every hint it holds (a wiped hints directory)".into(),
                params: Vec::new(),
                undo: None,
            },
        ]
    }
}
