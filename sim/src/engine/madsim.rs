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
//! check (every 100 ms of simulated time), whichever comes first, or until
//! a driver wakes it (a panic, a fault point fired, a limit passed, the
//! workload done).
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

use super::{shared_cluster_api, stepped_runs, Core};
use crate::config::{ControlOp, SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::net::LinkUpdate;
use crate::node::{ClusterModel, ModelFault, Node, NodeId};
use crate::record::{EndReason, NemesisEntry, RunRecord};
use crate::storage::Storage;
use crate::time::Timestamp;
use crate::world::{sub_seed, Wakeups, World, CLIENT_SIDE};
use ::madsim::runtime::{NodeHandle as MadsimNode, Runtime};
use ::madsim::time::TimeHandle;
use shakedown_checkers::History;
use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::sync::Notify;

/// Each driver's waker, by side (nodes, then the clients), so that the
/// world can make a sleeping driver wake earlier ([`Wakeups::Timed`]).
type Wakers = Rc<RefCell<Vec<Option<Waker>>>>;

/// What a driver shares with the engine: the world, the engine's own
/// wake-up (a driver rings it when the engine must act before its next
/// planned instant), and the drivers' wakers.
struct Shared {
    world: Rc<dyn Any>,
    engine: Rc<Notify>,
    wakers: Wakers,
}

thread_local! {
    /// The madsim runs on this thread, by run number. madsim wants a
    /// node's start function to be `Send + Sync`; a world is neither (it is
    /// single-threaded by design), so the start function carries the run
    /// number and looks the world up here. madsim runs every task on the
    /// thread that called `block_on`.
    static RUNS: RefCell<BTreeMap<u64, Shared>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_RUN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

type SharedOf<M> = (Rc<RefCell<World<M>>>, Rc<Notify>, Wakers);

fn shared_of<M: ClusterModel>(run: u64) -> Option<SharedOf<M>> {
    RUNS.with(|r| {
        let runs = r.borrow();
        let shared = runs.get(&run)?;
        let world = shared.world.clone().downcast::<RefCell<World<M>>>().ok()?;
        Some((world, shared.engine.clone(), shared.wakers.clone()))
    })
}

/// The world's hook for [`Wakeups::Timed`]: makes the driver of `side`
/// wake at `due` by registering a madsim timer with its waker (outside
/// madsim's context, or when `due` has passed, it wakes it now).
fn wake_hook(wakers: Wakers, nodes: usize) -> Rc<dyn Fn(u32, i64)> {
    Rc::new(move |side, due| {
        let index = if side == CLIENT_SIDE {
            nodes
        } else {
            side as usize
        };
        let Some(waker) = wakers.borrow().get(index).cloned().flatten() else {
            return;
        };
        let Some(time) = TimeHandle::try_current() else {
            waker.wake();
            return;
        };
        let at = instant_at(&time, due);
        let mut sleep = std::pin::pin!(time.sleep_until(at));
        sleep.as_mut().reset(at);
        if sleep
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            waker.wake();
        }
    })
}

/// madsim's `Instant` at simulated time `at_ns`.
fn instant_at(time: &TimeHandle, at_ns: i64) -> ::madsim::time::Instant {
    let now = i64::try_from(time.elapsed().as_nanos()).unwrap_or(i64::MAX);
    time.now_instant() + Duration::from_nanos(at_ns.saturating_sub(now).max(0) as u64)
}

/// True when the engine must act now rather than at its next planned
/// instant: a node panicked or failed, a fault point fired, or a limit on
/// messages or events was passed. (The client driver also wakes it once,
/// when the workload is done.)
fn engine_needed<M: ClusterModel>(w: &World<M>) -> bool {
    w.panic.is_some()
        || w.error.is_some()
        || !w.points.pending.is_empty()
        || w.delivered > w.limits.messages_delivered_max
        || w.events_handled > w.limits.events_handled_max
}

/// Simulated time inside madsim, in ns (0 outside madsim's context).
pub(crate) fn madsim_now_ns() -> i64 {
    TimeHandle::try_current().map_or(0, |t| {
        i64::try_from(t.elapsed().as_nanos()).unwrap_or(i64::MAX)
    })
}

/// How often the engine looks at the run when nothing else wakes it (for
/// the wall-time limit, which it can read only outside madsim: inside,
/// madsim answers `Instant::now()` with simulated time).
const CHECK_EVERY_NS: i64 = 100_000_000;

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
pub(crate) async fn sleep_until_ns(deadline_ns: i64) {
    let time = TimeHandle::current();
    let at = instant_at(&time, deadline_ns);
    let mut sleep = std::pin::pin!(time.sleep_until(at));
    sleep.as_mut().reset(at);
    sleep.await;
}

/// Sleeps until `next` (simulated ns), or until the side's wake-up time
/// (which the world only ever moves earlier, through [`wake_hook`]) has
/// come, or until notified (resume, clock changes, model faults).
async fn wait(notify: &Notify, next: i64, until: impl Fn() -> i64, wakers: &Wakers, index: usize) {
    let notified = notify.notified();
    let mut notified = std::pin::pin!(notified);
    let time = TimeHandle::current();
    let mut sleep = (next != i64::MAX).then(|| {
        let at = instant_at(&time, next);
        let mut sleep = Box::pin(time.sleep_until(at));
        sleep.as_mut().reset(at);
        sleep
    });
    std::future::poll_fn(|cx| {
        if notified.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if i64::try_from(time.elapsed().as_nanos()).unwrap_or(i64::MAX) >= until() {
            return Poll::Ready(());
        }
        if let Some(s) = sleep.as_mut() {
            if s.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        if let Some(slot) = wakers.borrow_mut().get_mut(index) {
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        Poll::Pending
    })
    .await;
}

/// Drives one side (a node, or `None`: the clients) for as long as madsim
/// lets it run.
async fn driver<M: ClusterModel>(run: u64, node: Option<NodeId>) {
    let Some((world, engine, wakers)) = shared_of::<M>(run) else {
        return;
    };
    let notify = match node {
        Some(id) => world.borrow().slots[id.index()].notify.clone(),
        None => world.borrow().client_notify.clone(),
    };
    let index = node.map_or(world.borrow().slots.len(), NodeId::index);
    let until = || {
        let w = world.borrow();
        let until = match node {
            Some(id) => w.slots[id.index()].sleeping_until,
            None => w.client_sleeping_until,
        };
        until.unwrap_or(i64::MAX)
    };
    let mut workload_done = false;
    loop {
        let now = now_in(&world);
        let next = {
            let mut w = world.borrow_mut();
            let next = match node {
                Some(id) => w.drive_node(id, now),
                None => w.drive_clients(now),
            };
            let done_now =
                node.is_none() && !workload_done && w.clients.as_ref().is_some_and(|c| c.is_done());
            workload_done |= done_now;
            if done_now || engine_needed(&w) {
                engine.notify_one();
            }
            next
        };
        wait(&notify, next, until, &wakers, index).await;
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
    engine: Rc<Notify>,
    now_ns: i64,
    check_ns: i64,
}

impl<M: ClusterModel> MadsimCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        let wakers: Wakers = Rc::new(RefCell::new(vec![None; config.nodes + 1]));
        let hook = wake_hook(wakers.clone(), config.nodes);
        let core = Core::new(config, model, Wakeups::Timed(hook))?;
        let run = NEXT_RUN.with(|n| {
            let run = n.get();
            n.set(run + 1);
            run
        });
        let engine = Rc::new(Notify::new());
        RUNS.with(|r| {
            let world: Rc<dyn Any> = core.world.clone();
            let engine = engine.clone();
            r.borrow_mut().insert(
                run,
                Shared {
                    world,
                    engine,
                    wakers,
                },
            );
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
                    .init(move || driver::<M>(run, Some(id)))
                    .build(),
            );
        }
        if config.clients > 0 {
            nodes.push(
                rt.create_node()
                    .name("clients")
                    .init(move || driver::<M>(run, None))
                    .build(),
            );
        }
        Ok(MadsimCluster {
            rt,
            core,
            nodes,
            run,
            engine,
            now_ns: 0,
            check_ns: CHECK_EVERY_NS,
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
    ///
    /// A driver that needs the engine sooner (see [`engine_needed`]) wakes
    /// it: the engine then stops at madsim's time, after every task due then
    /// has run.
    fn run_until(&mut self, until_ns: i64) {
        let wake = until_ns.saturating_sub(MADSIM_TIMER_LAG_NS + 1);
        let engine = self.engine.clone();
        let woken = self.rt.block_on(async move {
            tokio::select! {
                biased;
                _ = engine.notified() => Some(madsim_now_ns()),
                _ = sleep_until_ns(wake) => None,
            }
        });
        self.now_ns = woken.unwrap_or(until_ns).max(self.now_ns);
        let mut w = self.core.world.borrow_mut();
        w.now_ns = w.now_ns.max(self.now_ns);
    }

    /// One engine step: due faults, a metric sample if due, then madsim runs
    /// until the next fault, sample or check.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.now_ns;
        self.apply_due_faults(now);
        self.core.sample_on_grid(now);
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
        RUNS.with(|r| r.borrow_mut().remove(&run));
    }
}

shared_cluster_api!(MadsimCluster);
stepped_runs!(MadsimCluster);
