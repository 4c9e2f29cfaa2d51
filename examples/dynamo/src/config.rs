//! The store's settings, as a scenario file writes them, and their checks.

use serde::{Deserialize, Serialize};

/// Most virtual nodes per physical node.
pub const VNODES_PER_NODE_MAX: usize = 1024;
/// Fastest hint replay a node may be set to, in hints per second.
pub const HINT_REPLAY_RATE_PER_S_MAX: f64 = 1_000_000.0;

/// What a read does about replicas that answered with an older version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ReadRepair {
    /// Nothing: stale replicas stay stale until a newer write or a hint
    /// reaches them (Cassandra 4's `read_repair = 'NONE'`).
    None,
    /// Answer the client first, then send the newest version to every
    /// replica that answered with an older one (Cassandra 3's background
    /// `read_repair_chance = 1.0`).
    Async,
    /// Before answering, make sure the newest version is held by at least W
    /// replicas of the key, writing it back where it is missing (Cassandra
    /// 4's `read_repair = 'BLOCKING'`, the write-back phase of ABD). Stale
    /// replicas that answer later are repaired in the background too.
    #[default]
    Blocking,
}

/// Settings of the Dynamo-style store. Every duration names its unit.
///
/// In a scenario file:
///
/// ```toml
/// [model]
/// name = "dynamo"
/// replication_factor = 3      # N
/// read_quorum = 1             # R
/// write_quorum = 2            # W
/// sloppy_quorum = false
/// hinted_handoff_enabled = true
/// hint_window_ms = 3600000    # Cassandra's max_hint_window_in_ms
/// hint_replay_rate_per_s = 20 # hints each node replays per second
/// read_repair = "none"        # "none", "async" or "blocking"
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DynamoConfig {
    /// N: how many nodes hold each key (the first N distinct nodes clockwise
    /// from the key's hash on the ring: its preference list).
    #[serde(alias = "n")]
    pub replication_factor: usize,
    /// R: replica answers a read waits for.
    #[serde(alias = "r")]
    pub read_quorum: usize,
    /// W: replica acknowledgements a write waits for.
    #[serde(alias = "w")]
    pub write_quorum: usize,
    /// Virtual nodes (ring positions) per node.
    pub vnodes_per_node: usize,
    /// When a replica does not acknowledge in time, send the write with a
    /// hint to the next node along the ring outside the preference list, and
    /// count that node's acknowledgement toward W (Dynamo's sloppy quorum).
    /// Off: the coordinator keeps the hint itself and it does not count
    /// toward W (Cassandra).
    pub sloppy_quorum: bool,
    /// Keep hints for replicas that missed a write and replay them later.
    /// Off: a replica that missed a write catches up only through read
    /// repair or a newer write.
    pub hinted_handoff_enabled: bool,
    /// No new hints for a node that has been unreachable for longer than
    /// this, and stored hints older than this are dropped, never replayed
    /// (Cassandra's `max_hint_window_in_ms`; Cassandra ships 3 h, the
    /// default here is 1 h, 3,600,000 ms).
    pub hint_window_ms: u64,
    /// How many hints each node replays per second to replicas that are
    /// back (Cassandra's `hinted_handoff_throttle_in_kb`, counted in hints).
    #[serde(alias = "hint_replay_rate")]
    pub hint_replay_rate_per_s: f64,
    /// Most hints one node holds; past it new hints are refused (counted in
    /// `hints_refused`), as a full hints directory would refuse them.
    pub hints_max_per_node: usize,
    /// What reads do about stale replicas.
    pub read_repair: ReadRepair,
    /// How long a coordinator waits for a replica before it treats it as
    /// unreachable (writes a hint, or, sloppy, tries a fallback node).
    pub replica_timeout_ms: u64,
    /// How long a coordinator works on a request before it gives up: a write
    /// answers `info` (it may have reached some replicas), a read `fail`.
    pub request_timeout_ms: u64,
    /// Every node pings every other node this often (gossip heartbeat).
    pub heartbeat_interval_ms: u64,
    /// A node not heard from for this long is considered down: writes skip
    /// straight to hints or fallbacks, and no hints are replayed to it.
    pub failure_detection_ms: u64,
}

impl Default for DynamoConfig {
    /// N=3, R=2, W=2, strict quorums with hinted handoff, blocking read
    /// repair: Cassandra's QUORUM/QUORUM with its default settings.
    fn default() -> Self {
        DynamoConfig {
            replication_factor: 3,
            read_quorum: 2,
            write_quorum: 2,
            vnodes_per_node: 8,
            sloppy_quorum: false,
            hinted_handoff_enabled: true,
            hint_window_ms: 3_600_000,
            hint_replay_rate_per_s: 100.0,
            hints_max_per_node: 1_000_000,
            read_repair: ReadRepair::Blocking,
            replica_timeout_ms: 100,
            request_timeout_ms: 500,
            heartbeat_interval_ms: 100,
            failure_detection_ms: 500,
        }
    }
}

impl DynamoConfig {
    /// Checks the settings against a cluster of `nodes` nodes. The error
    /// names the setting and says what to write instead.
    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        let n = self.replication_factor;
        if n == 0 {
            return Err("replication_factor (N) is 0: every key needs at least 1 replica; use N >= 1 (3 is usual)".into());
        }
        if n > nodes {
            return Err(format!(
                "replication_factor (N) = {n} is larger than the cluster ({nodes} nodes): a key cannot have more replicas than there are nodes; use N <= {nodes}"
            ));
        }
        for (name, value) in [
            ("read_quorum (R)", self.read_quorum),
            ("write_quorum (W)", self.write_quorum),
        ] {
            if value == 0 {
                return Err(format!(
                    "{name} is 0: a request must wait for at least 1 replica; use 1 to {n}"
                ));
            }
            if value > n {
                return Err(format!(
                    "{name} = {value} is larger than replication_factor (N) = {n}: a request cannot wait for more replicas than hold the key; use 1 to {n}"
                ));
            }
        }
        if self.vnodes_per_node == 0 || self.vnodes_per_node > VNODES_PER_NODE_MAX {
            return Err(format!(
                "vnodes_per_node = {}: use 1 to {VNODES_PER_NODE_MAX} (8 is usual here, Cassandra uses 16 or 256)",
                self.vnodes_per_node
            ));
        }
        let rate = self.hint_replay_rate_per_s;
        if !(rate.is_finite() && rate > 0.0 && rate <= HINT_REPLAY_RATE_PER_S_MAX) {
            return Err(format!(
                "hint_replay_rate_per_s = {rate}: use a number of hints per second above 0 and at most {HINT_REPLAY_RATE_PER_S_MAX} (to stop replay, use hinted_handoff_enabled = false or the hint-backlog fault)"
            ));
        }
        if self.hints_max_per_node == 0 {
            return Err("hints_max_per_node is 0: no hint could ever be kept; use hinted_handoff_enabled = false to turn hints off".into());
        }
        if self.hint_window_ms == 0 {
            return Err("hint_window_ms is 0: no hint could ever be kept; use hinted_handoff_enabled = false to turn hints off, or a window such as 3600000".into());
        }
        for (name, value) in [
            ("replica_timeout_ms", self.replica_timeout_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("heartbeat_interval_ms", self.heartbeat_interval_ms),
            ("failure_detection_ms", self.failure_detection_ms),
        ] {
            if value == 0 {
                return Err(format!("{name} is 0: use a duration above 0 ms"));
            }
        }
        if self.replica_timeout_ms >= self.request_timeout_ms {
            return Err(format!(
                "replica_timeout_ms = {} is not below request_timeout_ms = {}: a coordinator must have time to try hints or fallbacks before it gives up; make replica_timeout_ms smaller",
                self.replica_timeout_ms, self.request_timeout_ms
            ));
        }
        if self.heartbeat_interval_ms >= self.failure_detection_ms {
            return Err(format!(
                "heartbeat_interval_ms = {} is not below failure_detection_ms = {}: every node would look down between two heartbeats; make failure_detection_ms a few heartbeats long",
                self.heartbeat_interval_ms, self.failure_detection_ms
            ));
        }
        Ok(())
    }

    /// True when R + W > N: a read's replicas and a write's replicas must
    /// share a node, *if both are drawn from the key's preference list*
    /// (strict quorums). Sloppy quorums break that premise.
    pub fn quorums_overlap(&self) -> bool {
        self.read_quorum + self.write_quorum > self.replication_factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DynamoConfig, String> {
        toml::from_str::<DynamoConfig>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_valid_and_match_cassandra() {
        let c = DynamoConfig::default();
        c.validate(3).unwrap();
        assert_eq!(c.hint_window_ms, 3_600_000);
        assert!(c.hinted_handoff_enabled);
        assert!(c.quorums_overlap());
    }

    #[test]
    fn contradictions_get_clear_messages() {
        let cases = [
            (
                DynamoConfig {
                    read_quorum: 4,
                    ..Default::default()
                },
                5,
                "read_quorum (R) = 4 is larger than replication_factor (N) = 3",
            ),
            (
                DynamoConfig {
                    write_quorum: 4,
                    ..Default::default()
                },
                5,
                "write_quorum (W) = 4 is larger",
            ),
            (
                DynamoConfig {
                    replication_factor: 5,
                    ..Default::default()
                },
                3,
                "larger than the cluster (3 nodes)",
            ),
            (
                DynamoConfig {
                    replication_factor: 0,
                    ..Default::default()
                },
                3,
                "replication_factor (N) is 0",
            ),
            (
                DynamoConfig {
                    read_quorum: 0,
                    ..Default::default()
                },
                3,
                "read_quorum (R) is 0",
            ),
            (
                DynamoConfig {
                    hint_replay_rate_per_s: 0.0,
                    ..Default::default()
                },
                3,
                "hint_replay_rate_per_s = 0",
            ),
            (
                DynamoConfig {
                    hint_replay_rate_per_s: f64::NAN,
                    ..Default::default()
                },
                3,
                "hint_replay_rate_per_s = NaN",
            ),
            (
                DynamoConfig {
                    hint_window_ms: 0,
                    ..Default::default()
                },
                3,
                "hint_window_ms is 0",
            ),
            (
                DynamoConfig {
                    vnodes_per_node: 0,
                    ..Default::default()
                },
                3,
                "vnodes_per_node = 0",
            ),
            (
                DynamoConfig {
                    replica_timeout_ms: 600,
                    ..Default::default()
                },
                3,
                "replica_timeout_ms = 600 is not below",
            ),
            (
                DynamoConfig {
                    failure_detection_ms: 50,
                    ..Default::default()
                },
                3,
                "heartbeat_interval_ms = 100 is not below",
            ),
        ];
        for (config, nodes, needle) in cases {
            let err = config.validate(nodes).unwrap_err();
            assert!(err.contains(needle), "`{err}` should contain `{needle}`");
        }
    }

    #[test]
    fn parses_from_toml_with_aliases_and_rejects_unknown_keys() {
        let c =
            parse("n = 3\nr = 1\nw = 2\nread_repair = \"none\"\nhint_replay_rate = 20.0").unwrap();
        assert_eq!(
            (c.replication_factor, c.read_quorum, c.write_quorum),
            (3, 1, 2)
        );
        assert_eq!(c.read_repair, ReadRepair::None);
        assert_eq!(c.hint_replay_rate_per_s, 20.0);
        // A whole number of hints per second is written as an integer.
        assert_eq!(
            parse("hint_replay_rate_per_s = 20")
                .unwrap()
                .hint_replay_rate_per_s,
            20.0
        );
        let err = parse("hint_window = 5").unwrap_err();
        assert!(err.contains("unknown field `hint_window`"), "{err}");
        let err = parse("read_repair = \"sometimes\"").unwrap_err();
        assert!(err.contains("blocking"), "{err}");
    }
}
