//! The models the repository's `shakedown` binary knows: the library's
//! built-ins and the example crates, registered the same way a user's crate
//! registers its own (see `examples/your-system`).

use shakedown::models::Registry;

/// The built-in models plus `raft-kv` and `dynamo`.
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry.register(
        "raft-kv",
        "a replicated KV on Raft in the manner of etcd (bug switches: stale_reads, no_sync, lease_trusts_clock)",
        shakedown_raft_kv::RaftKv::new,
    );
    registry.register(
        "dynamo",
        "a leaderless Dynamo/Cassandra-style store: ring, N/R/W, sloppy quorum, hinted handoff, LWW",
        shakedown_dynamo::Dynamo::new,
    );
    registry.set_defaults("raft-kv", shakedown_raft_kv::RaftKvConfig::default());
    registry.set_defaults("dynamo", shakedown_dynamo::DynamoConfig::default());
    // What a seed may vary when a scenario says `knobs = true`.
    registry.declare_knobs(
        "raft-kv",
        &[("max_entries_per_append", 1, 64), ("heartbeat_ms", 10, 50)],
    );
    registry.declare_knobs(
        "dynamo",
        &[
            ("vnodes_per_node", 1, 16),
            ("replica_timeout_ms", 20, 200),
            ("heartbeat_interval_ms", 20, 200),
        ],
    );
    registry
}
