//! Example cluster model: raft-kv.
