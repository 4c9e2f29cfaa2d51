//! The model's settings and bug switches, as a scenario file writes them.
//!
//! ```toml
//! [model.settings]              # whatever table the scenario passes
//! election_timeout_ms = [150, 300]
//! heartbeat_ms = 50
//! read_path = "read-index"      # or "log"
//! lease_trusts_clock = true     # a bug switch
//! lease_ms = 120
//! ```

use serde::{Deserialize, Serialize};

/// How a leader serves a linearizable read (when no bug switch changes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadPath {
    /// etcd's default: the leader notes its commit index, confirms with a
    /// heartbeat round that a majority still follows it, waits until that
    /// index is applied, then answers from its state machine.
    #[default]
    ReadIndex,
    /// The read is appended to the log like a write and answered when
    /// applied: slower, obviously correct.
    Log,
}

/// Settings of the Raft KV model. Every field has a default, so an empty
/// table is a correct, etcd-like cluster; unknown keys are rejected.
///
/// The three bug switches (`stale_reads`, `no_sync`, `lease_trusts_clock`)
/// are off by default; each breaks linearizability under some faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RaftKvConfig {
    /// A follower that hears nothing from a leader for a time drawn
    /// uniformly from `[min, max)` ms (its own clock) starts an election.
    /// etcd: `--election-timeout` (1000 ms there, one value, randomized
    /// internally between it and twice it).
    pub election_timeout_ms: [u64; 2],
    /// The leader sends heartbeats (and retransmits unacknowledged entries)
    /// this often. etcd: `--heartbeat-interval` (100 ms there).
    pub heartbeat_ms: u64,
    /// Most log entries in one append message.
    pub max_entries_per_append: usize,
    /// How linearizable reads are served.
    pub read_path: ReadPath,
    /// Only with `lease_trusts_clock`: how long after a heartbeat round that
    /// a majority acknowledged the leader serves reads without a round trip,
    /// measured on its own clock. Must be below the minimum election timeout.
    pub lease_ms: u64,
    /// Bug switch: every node answers reads from its local state machine at
    /// once (etcd's `serializable` reads used as if linearizable).
    pub stale_reads: bool,
    /// Bug switch: nothing is ever synced to durable storage, so a node
    /// acknowledges votes and entries it will forget when it crashes.
    pub no_sync: bool,
    /// Bug switch: the leader serves reads under a lease timed on its own
    /// clock, with no round trip, trusting that clocks agree.
    pub lease_trusts_clock: bool,
}

impl Default for RaftKvConfig {
    fn default() -> Self {
        RaftKvConfig {
            election_timeout_ms: [150, 300],
            heartbeat_ms: 50,
            max_entries_per_append: 64,
            read_path: ReadPath::ReadIndex,
            lease_ms: 100,
            stale_reads: false,
            no_sync: false,
            lease_trusts_clock: false,
        }
    }
}

impl RaftKvConfig {
    /// Checks the settings against the cluster size. The message says what
    /// to write instead.
    pub fn validate(&self, nodes: usize) -> Result<(), String> {
        let [min_ms, max_ms] = self.election_timeout_ms;
        if nodes == 0 {
            return Err("raft-kv needs at least 1 node".into());
        }
        if min_ms == 0 {
            return Err(
                "raft-kv `election_timeout_ms` starts at 0: use a range such as [150, 300]".into(),
            );
        }
        if max_ms <= min_ms {
            return Err(format!(
                "raft-kv `election_timeout_ms` = [{min_ms}, {max_ms}] is empty: the second number must be above the first, e.g. [{min_ms}, {}]",
                min_ms.saturating_mul(2)
            ));
        }
        if self.heartbeat_ms == 0 {
            return Err("raft-kv `heartbeat_ms` is 0: use a positive interval such as 50".into());
        }
        if self.heartbeat_ms >= min_ms {
            return Err(format!(
                "raft-kv `heartbeat_ms` = {} is not below the minimum election timeout ({min_ms} ms): followers would start elections between heartbeats; use at most {}",
                self.heartbeat_ms,
                (min_ms / 3).max(1)
            ));
        }
        if self.max_entries_per_append == 0 {
            return Err(
                "raft-kv `max_entries_per_append` is 0: use at least 1 (64 is the default)".into(),
            );
        }
        if self.lease_trusts_clock && (self.lease_ms == 0 || self.lease_ms >= min_ms) {
            return Err(format!(
                "raft-kv `lease_ms` = {} must be above 0 and below the minimum election timeout ({min_ms} ms), or a new leader could be elected while the old lease holds even with perfect clocks",
                self.lease_ms
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_is_the_default() {
        let c: RaftKvConfig = toml::from_str("").unwrap();
        assert_eq!(c, RaftKvConfig::default());
        c.validate(3).unwrap();
    }

    #[test]
    fn reads_a_scenario_table() {
        let c: RaftKvConfig = toml::from_str(
            "election_timeout_ms = [200, 400]\nheartbeat_ms = 20\nread_path = \"log\"\nno_sync = true",
        )
        .unwrap();
        assert_eq!(c.election_timeout_ms, [200, 400]);
        assert_eq!(c.heartbeat_ms, 20);
        assert_eq!(c.read_path, ReadPath::Log);
        assert!(c.no_sync && !c.stale_reads);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = toml::from_str::<RaftKvConfig>("heartbeat = 20").unwrap_err();
        assert!(err.to_string().contains("heartbeat"), "{err}");
        assert!(err.to_string().contains("heartbeat_ms"), "{err}");
    }

    #[test]
    fn impossible_settings_are_explained() {
        let cases = [
            (
                RaftKvConfig {
                    election_timeout_ms: [300, 300],
                    ..Default::default()
                },
                "is empty",
            ),
            (
                RaftKvConfig {
                    election_timeout_ms: [0, 10],
                    ..Default::default()
                },
                "starts at 0",
            ),
            (
                RaftKvConfig {
                    heartbeat_ms: 0,
                    ..Default::default()
                },
                "heartbeat_ms",
            ),
            (
                RaftKvConfig {
                    heartbeat_ms: 200,
                    ..Default::default()
                },
                "not below",
            ),
            (
                RaftKvConfig {
                    max_entries_per_append: 0,
                    ..Default::default()
                },
                "max_entries",
            ),
            (
                RaftKvConfig {
                    lease_trusts_clock: true,
                    lease_ms: 150,
                    ..Default::default()
                },
                "lease_ms",
            ),
        ];
        for (config, needle) in cases {
            let err = config.validate(3).unwrap_err();
            assert!(err.contains(needle), "`{err}` should mention `{needle}`");
        }
        assert!(RaftKvConfig::default().validate(0).is_err());
    }
}
