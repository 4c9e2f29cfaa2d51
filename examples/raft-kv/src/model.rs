//! The cluster model: what the simulator builds, validates and targets.

use crate::config::RaftKvConfig;
use crate::node::RaftNode;
use shakedown_sim::{ClusterModel, FaultPointSpec, NodeInit};

/// The Raft KV cluster model, registered as `raft-kv`.
///
/// ```
/// use shakedown_raft_kv::{RaftKv, RaftKvConfig};
/// use shakedown_sim::ClusterModel;
///
/// let settings: RaftKvConfig = toml::from_str("heartbeat_ms = 20").unwrap();
/// let model = RaftKv::new(settings);
/// assert_eq!(model.name(), "raft-kv");
/// assert!(model.validate(3).is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RaftKv {
    config: RaftKvConfig,
}

impl RaftKv {
    /// The model with these settings.
    pub fn new(config: RaftKvConfig) -> Self {
        RaftKv { config }
    }

    /// Its settings.
    pub fn config(&self) -> &RaftKvConfig {
        &self.config
    }
}

impl ClusterModel for RaftKv {
    type Node = RaftNode;

    fn name(&self) -> &str {
        "raft-kv"
    }

    fn validate(&self, nodes: usize) -> Result<(), String> {
        self.config.validate(nodes)
    }

    fn build(&self, _init: &NodeInit<'_>) -> RaftNode {
        // Durable state is loaded in `on_start`, which runs right after.
        RaftNode::new(self.config.clone())
    }

    fn roles(&self) -> Vec<String> {
        vec!["leader".to_owned()]
    }

    fn fault_points(&self) -> Vec<FaultPointSpec> {
        vec![
            FaultPointSpec::new("term-persisted", "a candidate synced its new term and its vote for itself, before asking for votes"),
            FaultPointSpec::new("vote-persisted", "a node synced the vote it grants, before replying"),
            FaultPointSpec::new("entry-proposed", "the leader synced a new entry, before sending it to followers"),
            FaultPointSpec::new("entries-appended", "a follower synced appended entries, before applying and acknowledging them"),
            FaultPointSpec::new("commit-advanced", "the leader counted a majority and moved its commit index, before applying and answering"),
        ]
    }
}
