//! Deterministic cluster simulation: the engine-neutral node API, the turmoil
//! engine, clocks, durable storage, network faults, clients and the recorder.
//!
//! Start with [`node`]: a cluster model implements [`Node`] (one node's
//! state machine) and [`ClusterModel`] (how to build the nodes and which
//! faults and roles the model exposes). Nothing in that API names an engine.

pub mod node;
pub mod storage;
pub mod testing;
pub mod time;
pub mod wire;

pub use node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, ModelFault, ModelFaultSpec, Node, NodeId,
    NodeInit, NodeRng, ParamSpec, RequestId, TimerId,
};
pub use storage::{Storage, StorageError};
pub use time::{NodeClock, Timestamp};
