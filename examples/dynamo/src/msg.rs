//! Messages between nodes and the timers a node sets.

use crate::lww::Cell;
use serde::{Deserialize, Serialize};
use shakedown_sim::NodeId;

/// A message between two nodes of the store. `op` is the client request id
/// the coordinator is working on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    /// Coordinator to replica: store this version if it is newer (a write,
    /// or a read repair).
    Replicate {
        /// The request.
        op: u64,
        /// The key.
        key: String,
        /// The versioned value.
        cell: Cell,
    },
    /// Replica to coordinator: the replica now holds that version or a
    /// newer one, durably.
    ReplicateAck {
        /// The request.
        op: u64,
    },
    /// Coordinator to replica: what do you hold for `key`?
    Read {
        /// The request.
        op: u64,
        /// The key.
        key: String,
    },
    /// Replica to coordinator: this (or nothing).
    ReadReply {
        /// The request.
        op: u64,
        /// What the replica holds.
        cell: Option<Cell>,
    },
    /// Coordinator to a fallback node (sloppy quorum): keep this write as a
    /// hint for `target`, which did not answer.
    HintedWrite {
        /// The request.
        op: u64,
        /// The replica the write is for.
        target: NodeId,
        /// The key.
        key: String,
        /// The versioned value.
        cell: Cell,
    },
    /// Fallback to coordinator: the hint is stored durably.
    HintedAck {
        /// The request.
        op: u64,
        /// The replica the hint is for.
        target: NodeId,
    },
    /// Hint holder to the hint's target: here is a write you missed.
    HintReplay {
        /// The holder's hint id.
        hint: u64,
        /// The key.
        key: String,
        /// The versioned value.
        cell: Cell,
    },
    /// Target to hint holder: stored; delete the hint.
    HintReplayAck {
        /// The holder's hint id.
        hint: u64,
    },
    /// Gossip heartbeat: I am alive.
    Ping,
}

/// What a node's timers carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Replicas that have not answered request `op` by now are treated as
    /// unreachable: hints or fallbacks for a write, background read repair
    /// for a read.
    ReplicaTimeout(u64),
    /// The coordinator gives up on request `op` if it has not answered.
    RequestTimeout(u64),
    /// Expire old hints and replay due ones, within the throttle.
    HintTick,
    /// Send a heartbeat to every peer.
    Heartbeat,
}
