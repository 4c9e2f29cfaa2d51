//! Deterministic cluster simulation: the engine-neutral node API, the
//! engines (discrete-event and turmoil), clocks, durable storage, network
//! faults, clients and the recorder.
//!
//! - [`node`]: what a cluster model implements: [`Node`] (one node's state
//!   machine) and [`ClusterModel`] (how to build the nodes, which faults and
//!   roles the model exposes). Nothing in that API names an engine.
//! - [`run`]: a [`SimConfig`] and a model in, a [`RunRecord`] out (history,
//!   nemesis log, metrics, message digest). Same config and seed, same record.
//! - [`engine`]: the discrete-event engine ([`DiscreteCluster`], the
//!   default) and the turmoil engine ([`TurmoilCluster`]) over one shared
//!   core.
//! - [`Control`]: the one control surface the nemesis drives (partitions,
//!   crash/restart, pause/resume, clocks, per-link loss/latency/duplication,
//!   model faults), implemented by both engines.
//! - [`models`]: two tiny models (a register, a primary-backup pair) used by
//!   the tests and handy as examples.
//!
//! See `sim/README.md` for the guarantees in one page.

mod clients;
pub mod cluster;
pub mod config;
pub mod control;
mod digest_ser;
pub mod engine;
mod faults;
pub mod models;
pub mod net;
pub mod node;
pub mod panic;
pub mod points;
pub mod record;
mod run;
pub mod service;
pub mod storage;
pub mod testing;
pub mod time;
pub mod trace;
pub mod wire;
pub mod workload;
mod world;

pub use config::{ControlOp, CrashedRun, Limits, SimConfig, SimError, TimedOp};
pub use control::{Applied, Control, ControlError, NodeStatus};
pub use engine::{DiscreteCluster, Engine, TurmoilCluster};
pub use net::{Latency, LinkConfig, LinkUpdate, Shape};
pub use node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, FaultPointSpec, ModelFault, ModelFaultSpec,
    Node, NodeId, NodeInit, NodeRng, ParamSpec, RequestId, TimerId,
};
pub use panic::NodePanic;
pub use points::{PointAction, PointPlan};
pub use record::{EndReason, Metrics, NemesisEntry, NodeCounters, RunRecord, Sample};
pub use run::{parse_seed, replay_hint, run, seeds, SeedError, SEED_ENV};
pub use service::{run_service, ClientHandle, NodeHandle, Op, ServiceCluster, ServiceModel};
pub use storage::{Storage, StorageError};
pub use time::{NodeClock, Timestamp};
pub use trace::{first_divergence, Divergence, TraceEntry};
pub use workload::{KeyDistribution, OpKind, OpLimit, Pacing, Workload};
