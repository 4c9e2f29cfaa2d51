//! The madsim engine: every node a madsim node, plus one for the clients;
//! madsim's executor and timer decide who runs next. Built only with
//! `--cfg madsim` (madsim simulates only then); a binary built without it
//! refuses `engine = "madsim"` and says how to build one.
//!
//! # How it runs
//!
//! Each node is a madsim node whose initial task is a small driver, as on
//! the turmoil engine: the node's state machine lives in the shared
//! `World` (`world.rs`), and the driver asks the world to handle whatever
//! is due for its node, then sleeps on madsim's timer until the next
//! message or timer is due, or until the world wakes it. The engine's own
//! loop runs between `block_on` calls: it applies the faults due, takes
//! metric samples, and lets madsim run until the next fault, sample or
//! check (every `tick_us`), whichever comes first.
//!
//! madsim's own machinery is used where it fits: a crash is madsim's
//! `kill` (every task of the node dropped) and a restart its `restart`
//! (the driver started again). Pause, partitions, loss, duplication,
//! latency, clocks and durable storage stay the shared world's, so that a
//! model sees the same guarantees on all three engines: madsim's `pause`
//! would stop the driver but not the queueing our pause defines, and its
//! network has no per-node clocks, duplication, or loss of unsynced writes.
//!
//! # Semantics beside the other engines
//!
//! Timers are exact to the nanosecond, as on the discrete engine (madsim's
//! `sleep` rounds up to 1 ms; the driver resets the deadline to the exact
//! instant), but madsim fires every timer 50 ns after its deadline, so a
//! node handles an event 50 ns after it is due. Faults and samples happen
//! at their exact times: the engine wakes 51 ns before the instant and moves
//! the world there itself. Ready tasks run in an order madsim draws from its
//! seeded RNG (derived from the run's seed), so the interleaving of nodes
//! due at one instant differs from the discrete engine's fixed order.
//!
//! # Determinism
//!
//! One thread, madsim's executor, madsim's seeded RNG for the order of
//! ready tasks; every random choice of ours comes from the world's seeded
//! streams. The wall-time limit is read between `block_on` calls, outside
//! madsim's context (inside it, madsim answers `Instant::now()` with
//! simulated time).

use super::{shared_cluster_api, Core};
use crate::config::{ControlOp, SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::net::LinkUpdate;
use crate::node::{ClusterModel, ModelFault, Node, NodeId};
use crate::record::{EndReason, NemesisEntry, RunRecord};
use crate::storage::Storage;
use crate::time::Timestamp;
use crate::world::{sub_seed, Wakeups, World};
use ::madsim::runtime::{NodeHandle as MadsimNode, Runtime};
use ::madsim::time::TimeHandle;
use shakedown_checkers::History;
use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Notify;

thread_local! {
    /// The worlds of the madsim runs on this thread, by run number. madsim
    /// wants a node's start function to be `Send + Sync`; a world is
    /// neither (it is single-threaded by design), so the start function
    /// carries the run number and looks the world up here. madsim runs
    /// every task on the thread that called `block_on`.
    static WORLDS: RefCell<BTreeMap<u64, Rc<dyn Any>>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_RUN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn world_of<M: ClusterModel>(run: u64) -> Option<Rc<RefCell<World<M>>>> {
    WORLDS.with(|w| {
        w.borrow()
            .get(&run)
            .cloned()
            .and_then(|any| any.downcast::<RefCell<World<M>>>().ok())
    })
}

/// Simulated time inside madsim, in ns.
fn madsim_now_ns() -> i64 {
    i64::try_from(TimeHandle::current().elapsed().as_nanos()).unwrap_or(i64::MAX)
}

/// madsim fires a timer this long after its deadline.
const MADSIM_TIMER_LAG_NS: i64 = 50;

/// Simulated time for a driver: madsim's, but never before the instant the
/// engine last moved the world to (faults are applied at their exact time,
/// while madsim's clock is just short of it; see [`MadsimCluster::step`]).
fn now_in<M: ClusterModel>(world: &RefCell<World<M>>) -> i64 {
    madsim_now_ns().max(world.borrow().now_ns)
}

/// Sleeps until exactly `deadline_ns` of simulated time (madsim's own
/// `sleep` rounds short waits up to 1 ms).
async fn sleep_until_ns(deadline_ns: i64) {
    let time = TimeHandle::current();
    let now = i64::try_from(time.elapsed().as_nanos()).unwrap_or(i64::MAX);
    let at =
        time.now_instant() + Duration::from_nanos(deadline_ns.saturating_sub(now).max(0) as u64);
    let mut sleep = std::pin::pin!(time.sleep_until(at));
    sleep.as_mut().reset(at);
    sleep.await;
}

/// Sleeps until `next` (simulated ns) or until notified.
async fn wait(notify: &Notify, next: i64) {
    if next == i64::MAX {
        notify.notified().await;
        return;
    }
    tokio::select! {
        biased;
        _ = notify.notified() => {}
        _ = sleep_until_ns(next) => {}
    }
}

async fn node_driver<M: ClusterModel>(run: u64, id: NodeId) {
    let Some(world) = world_of::<M>(run) else {
        return;
    };
    let notify = world.borrow().slots[id.index()].notify.clone();
    loop {
        let now = now_in(&world);
        let next = world.borrow_mut().drive_node(id, now);
        wait(&notify, next).await;
    }
}

async fn client_driver<M: ClusterModel>(run: u64) {
    let Some(world) = world_of::<M>(run) else {
        return;
    };
    let notify = world.borrow().client_notify.clone();
    loop {
        let now = now_in(&world);
        let next = world.borrow_mut().drive_clients(now);
        wait(&notify, next).await;
    }
}

/// A cluster running on madsim. Same API as [`crate::DiscreteCluster`]
/// and [`crate::TurmoilCluster`]: build it with [`MadsimCluster::new`],
/// break it through [`Control`], advance it with [`MadsimCluster::step`]
/// or [`MadsimCluster::run_for`], and collect the [`RunRecord`] with
/// [`MadsimCluster::finish`].
pub struct MadsimCluster<M: ClusterModel> {
    rt: Runtime,
    core: Core<M>,
    nodes: Vec<MadsimNode>,
    run: u64,
    now_ns: i64,
    check_ns: i64,
}

impl<M: ClusterModel> MadsimCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        let core = Core::new(config, model, Wakeups::Notify)?;
        let run = NEXT_RUN.with(|n| {
            let run = n.get();
            n.set(run + 1);
            run
        });
        WORLDS.with(|w| {
            let world: Rc<dyn Any> = core.world.clone();
            w.borrow_mut().insert(run, world);
        });
        let rt = Runtime::with_seed_and_config(
            sub_seed(config.seed, "madsim"),
            ::madsim::Config::default(),
        );
        let mut nodes = Vec::with_capacity(config.nodes);
        for i in 0..config.nodes {
            let id = NodeId::from_index(i);
            nodes.push(
                rt.create_node()
                    .name(id.name())
                    .init(move || node_driver::<M>(run, id))
                    .build(),
            );
        }
        if config.clients > 0 {
            nodes.push(
                rt.create_node()
                    .name("clients")
                    .init(move || client_driver::<M>(run))
                    .build(),
            );
        }
        Ok(MadsimCluster {
            rt,
            core,
            nodes,
            run,
            now_ns: 0,
            check_ns: i64::try_from(config.tick_us)
                .unwrap_or(1000)
                .saturating_mul(1000)
                .max(1),
        })
    }

    /// Simulated time now, ns.
    pub fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// Lets madsim run every task due before simulated time `until_ns`,
    /// then moves the world to `until_ns` exactly. madsim fires a timer 50
    /// ns late and runs everything due then in one go, so the engine wakes
    /// just short of `until_ns` (everything due at `until_ns` itself is
    /// still to run): the faults due at `until_ns` are then applied before
    /// any node runs at that instant, as on the other engines, and drivers
    /// never see a time before it.
    fn run_until(&mut self, until_ns: i64) {
        let wake = until_ns.saturating_sub(MADSIM_TIMER_LAG_NS + 1);
        self.rt.block_on(sleep_until_ns(wake));
        self.now_ns = until_ns.max(self.now_ns);
        let mut w = self.core.world.borrow_mut();
        w.now_ns = w.now_ns.max(self.now_ns);
    }

    /// One engine step: due faults, a metric sample if due, then madsim runs
    /// until the next fault, sample or check.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.now_ns;
        self.apply_due_faults(now);
        if now >= self.core.next_sample_ns {
            self.core.sample(now);
            let interval = self.core.interval_ns.max(1);
            while self.core.next_sample_ns <= now {
                self.core.next_sample_ns = self.core.next_sample_ns.saturating_add(interval);
            }
        }
        let next = self
            .core
            .faults
            .next_due_ns()
            .unwrap_or(i64::MAX)
            .min(self.core.next_sample_ns)
            .min(now.saturating_add(self.check_ns))
            .max(now.saturating_add(1));
        self.run_until(next);
        let end_ns = self.now_ns;
        self.core.after_step(now, end_ns)
    }

    /// Steps until `duration` more simulated time has passed.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), SimError> {
        let end = self
            .now_ns
            .saturating_add(i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX));
        while self.now_ns < end {
            self.step()?;
        }
        Ok(())
    }

    /// Steps until the workload and the schedule are done, or the time
    /// limit; returns why it stopped.
    pub fn run_to_end(&mut self) -> Result<EndReason, SimError> {
        loop {
            if self.is_done() {
                return Ok(EndReason::Completed);
            }
            if self.now_ns >= self.core.duration_ns {
                return Ok(EndReason::TimeLimit);
            }
            self.step()?;
        }
    }

    fn host_crashed(&mut self, node: NodeId) {
        self.rt.handle().kill(self.nodes[node.index()].id());
    }

    fn host_restarted(&mut self, node: NodeId) {
        self.rt.handle().restart(self.nodes[node.index()].id());
    }
}

impl<M: ClusterModel> Drop for MadsimCluster<M> {
    fn drop(&mut self) {
        let run = self.run;
        WORLDS.with(|w| w.borrow_mut().remove(&run));
    }
}

shared_cluster_api!(MadsimCluster);
