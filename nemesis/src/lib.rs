//! The fault vocabulary and schedules of Shakedown: pure data that says
//! *what* goes wrong and *when*. The simulator (`shakedown-sim`) says *how*.
//!
//! - [`Fault`]: every fault, with its parameters and its [`Fault::undo`];
//!   [`catalog()`] lists them for `shakedown list faults`.
//! - [`Target`]: which nodes a fault hits. Nodes are always named by their
//!   index, `0..node_count`, everywhere in this crate.
//! - [`Event`] and [`Schedule`]: faults at simulated times, optionally undone
//!   after a `duration`. Times are [`SimDuration`]s, written `"10s"`.
//! - [`Nemesis`]: walks a schedule during a run and hands the simulator
//!   concrete [`Action`]s (resolved nodes, [`Cut`] links) as [`Step`]s.
//! - [`validate()`]: errors that name the event, before anything runs.
//! - [`generate()`]: schedules from a seed, in Jepsen's combined-nemesis
//!   packages, ending healed with a quiet recovery window.
//!
//! Everything random draws from a seed (ChaCha8); nothing here reads the
//! wall clock or iterates a hash map.

pub mod action;
pub mod catalog;
pub mod duration;
pub mod fault;
pub mod generate;
pub mod nemesis;
pub mod param;
pub mod partition;
pub mod schedule;
// The strategies are an opt-in feature for users; our own tests always have them.
#[cfg(any(test, feature = "proptest"))]
pub mod strategy;
pub mod suggest;
pub mod target;
pub mod validate;

pub use action::{Action, Cut};
pub use catalog::{
    catalog, render_catalog, Category, FaultInfo, ModelFaultInfo, ModelParamInfo, ParamInfo,
};
pub use duration::{DurationError, SimDuration};
pub use fault::{Distribution, Fault, FaultError, Latency};
pub use generate::{
    generate, generate_around, GenerateError, Generated, GeneratorConfig, Package, Swarm,
};
pub use nemesis::{undo_action, ClusterState, Nemesis, Phase, Step};
pub use param::Param;
pub use schedule::{Event, Schedule};
pub use target::{majority, minority, NoRoles, ResolveError, Roles, Target};
pub use validate::{validate, Context, Problem, ValidationError, ValidationErrors};
