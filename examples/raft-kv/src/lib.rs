//! A replicated key-value store on Raft, in the manner of etcd: an example
//! cluster model for Shakedown.
//!
//! - [`RaftKv`] is the [`ClusterModel`](shakedown_sim::ClusterModel)
//!   (register it as `raft-kv`), built from a [`RaftKvConfig`] that scenario
//!   files write as a TOML table.
//! - [`RaftNode`] is one node: leader election with randomized timeouts, log
//!   replication, a commit index, term, vote and log synced before any
//!   reply, recovery from storage after a restart, ReadIndex or log reads,
//!   and cas. It reports the role `leader`.
//! - Three bug switches, off by default, show what the checkers catch:
//!   `stale_reads`, `no_sync` and `lease_trusts_clock`. The README says
//!   which faults break each, and why.
//!
//! Client ops: `read` (value nil), `write` (the value), `cas` (`[expected
//! new]`, fails when the key does not hold `expected`), each on an optional
//! key.

pub mod config;
pub mod log;
pub mod message;
pub mod model;
pub mod node;
pub mod state_machine;

pub use config::{RaftKvConfig, ReadPath};
pub use message::Message;
pub use model::RaftKv;
pub use node::{RaftNode, Role, Timer};

#[cfg(test)]
mod tests;
