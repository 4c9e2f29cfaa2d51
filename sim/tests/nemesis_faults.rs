//! Nemesis faults on both engines: each fault, driven through a
//! `shakedown_nemesis::Schedule`, does to the cluster exactly what it says.
//! The tests are written once (`nemesis_faults/body.rs`) and run on the
//! turmoil engine, the discrete engine, and (in a `--cfg madsim` build)
//! the madsim engine.
//!
//! A probe model sends numbered pings from every node to every other node
//! every few milliseconds and remembers what it sent, what it received and
//! when, so each test can check the fault against the traffic it saw.
//!
//! Stated tolerances for the statistical tests (each over at least 10,000
//! messages): loss and duplication rates within ±0.02 of the configured
//! rate (more than 6 standard deviations at these sample sizes, so a seed
//! does not fail by chance), mean delay within ±1 ms of the configured
//! mean and every delay within the configured range plus one 1 ms tick.

mod on_turmoil {
    type Cluster<M> = shakedown_sim::TurmoilCluster<M>;
    include!("nemesis_faults/body.rs");
}

mod on_discrete {
    type Cluster<M> = shakedown_sim::DiscreteCluster<M>;
    include!("nemesis_faults/body.rs");
}

#[cfg(madsim)]
mod on_madsim {
    type Cluster<M> = shakedown_sim::engine::MadsimCluster<M>;
    include!("nemesis_faults/body.rs");
}
