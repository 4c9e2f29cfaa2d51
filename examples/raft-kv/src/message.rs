//! Messages between Raft KV nodes. They stay small: an append carries at
//! most `max_entries_per_append` entries, everything else a few integers.

use crate::log::Entry;
use serde::{Deserialize, Serialize};
use shakedown_sim::{ClientRequest, RequestId};

/// A message between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// A candidate asks for a vote.
    RequestVote {
        /// The candidate's term.
        term: u64,
        /// Index of its last log entry.
        last_index: u64,
        /// Term of its last log entry.
        last_term: u64,
    },
    /// The answer to [`Message::RequestVote`].
    Vote {
        /// The voter's term.
        term: u64,
        /// True if the vote was granted.
        granted: bool,
    },
    /// The leader replicates entries (none for a heartbeat) and its commit
    /// index.
    Append {
        /// The leader's term.
        term: u64,
        /// Index of the entry just before `entries`.
        prev_index: u64,
        /// Its term.
        prev_term: u64,
        /// Entries to append after `prev_index`.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
        /// The leader's read round when it sent this; echoed in the reply so
        /// that ReadIndex reads (and leases) know a majority still follows.
        round: u64,
    },
    /// The answer to [`Message::Append`].
    AppendReply {
        /// The follower's term.
        term: u64,
        /// True if the entries were appended (and synced).
        success: bool,
        /// On success, the index up to which the log matches the leader's;
        /// on failure, a hint where to retry from (the follower's last index
        /// or the conflicting index, whichever is smaller).
        index: u64,
        /// The `round` of the append answered.
        round: u64,
    },
    /// A client request passed on to the node believed to lead. The node
    /// the client reached resends it until the leader acknowledges it (a
    /// resent write takes effect once: entries carry the request id).
    Forward {
        /// The request.
        req: ClientRequest,
        /// How many times it was passed on already.
        hops: u8,
    },
    /// The leader got a forwarded request: the sender may stop resending it.
    ForwardAck {
        /// The request.
        id: RequestId,
    },
}
