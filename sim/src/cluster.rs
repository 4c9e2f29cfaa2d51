//! The turmoil-driven cluster, under its old path. It lives in
//! [`crate::engine::turmoil`] now, beside the discrete engine.

pub use crate::engine::turmoil::TurmoilCluster;
pub use crate::engine::{latency_from_nemesis, param_to_value};
