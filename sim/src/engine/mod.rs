//! Engines: what moves simulated time and decides who runs next. One
//! engine-neutral core (the [`World`] with its network fates, clocks,
//! storage, clients and recorder, the fault driver, metrics and limits) and
//! one file per engine:
//!
//! - [`discrete`]: a discrete-event loop for callback models. One agenda
//!   ordered by (time, sequence number), no async runtime, no tick,
//!   nanosecond resolution: it jumps to the next due event. The default.
//! - [`turmoil`]: every node a turmoil host stepped in 1 ms ticks; the
//!   engine of async services ([`crate::service`]) and a cross-check for
//!   callback models.
//! - `madsim` (only in a build with `--cfg madsim`): every node a madsim
//!   node on madsim's executor and timer; kill and restart are madsim's.
//!
//! A model never names an engine: [`crate::run`] picks the one
//! [`SimConfig::engine`] asks for. Both engines expose the same API
//! ([`DiscreteCluster`], [`TurmoilCluster`]) and the same [`Control`]
//! surface; the shared parts are written once here.

pub mod discrete;
#[cfg(madsim)]
pub mod madsim;
pub mod turmoil;

pub use discrete::DiscreteCluster;
#[cfg(madsim)]
pub use madsim::MadsimCluster;
pub use turmoil::TurmoilCluster;

use crate::config::{SimConfig, SimError};
use crate::faults::FaultDriver;
use crate::net::{Latency, Shape};
use crate::node::{ClusterModel, NodeId};
use crate::record::{EndReason, Metrics, RunRecord, Sample};
use crate::world::{Wakeups, World};
use shakedown_checkers::Value;
use shakedown_nemesis::Param;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The engine that runs a callback model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The discrete-event engine: no runtime, no tick (the default for
    /// callback models).
    #[default]
    Discrete,
    /// turmoil hosts stepped in ticks of `tick_us` (the engine of async
    /// services; a cross-check for callback models).
    Turmoil,
    /// madsim nodes on madsim's executor and timer. Runs only in a binary
    /// built with `--cfg madsim` ([`Engine::is_built_in`]).
    Madsim,
}

impl Engine {
    /// `discrete`, `turmoil` or `madsim`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Discrete => "discrete",
            Engine::Turmoil => "turmoil",
            Engine::Madsim => "madsim",
        }
    }

    /// Whether this binary can run the engine: madsim needs a build with
    /// `--cfg madsim`.
    pub fn is_built_in(self) -> bool {
        match self {
            Engine::Discrete | Engine::Turmoil => true,
            Engine::Madsim => cfg!(madsim),
        }
    }
}

/// Every engine, in the order tables list them (madsim runs only where
/// [`Engine::is_built_in`]).
pub const ENGINES: [Engine; 3] = [Engine::Discrete, Engine::Turmoil, Engine::Madsim];

/// How to build a binary that runs the madsim engine, for messages.
pub const MADSIM_BUILD_HINT: &str = "madsim simulates only in a build with `--cfg madsim`: \
    RUSTFLAGS=\"--cfg madsim\" cargo build --release --target-dir target/madsim \
    (then run target/madsim/release/<your binary>; see sim/README.md, \"The madsim engine\")";

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How often (in engine steps) the discrete engine's wall-time limit reads
/// the wall clock: its steps take microseconds. A turmoil step (one tick of
/// every host) can take long in a large cluster, so turmoil reads it every
/// step.
pub(crate) const WALL_CHECK_EVERY_DISCRETE: u32 = 256;

/// The one wall-clock read in a run: it decides only whether the run gives
/// up (`limits.wall_time`), never what happens in it.
pub(crate) struct WallLimit {
    started: Instant,
    limit: Option<Duration>,
    every: u32,
    countdown: u32,
}

impl WallLimit {
    /// A limit checked every `every` steps.
    pub(crate) fn new(limit: Option<Duration>, every: u32) -> Self {
        let every = every.max(1);
        WallLimit {
            started: Instant::now(),
            limit,
            every,
            countdown: every,
        }
    }

    /// The message of a run stopped by the limit.
    pub(crate) fn message(&self) -> String {
        format!(
            "the run took over limits.wall_time ({}) of wall time",
            humanize(self.limit.unwrap_or_default())
        )
    }

    /// True once the limit has passed (checked every few steps).
    pub(crate) fn exceeded(&mut self) -> bool {
        let Some(limit) = self.limit else {
            return false;
        };
        self.countdown -= 1;
        if self.countdown > 0 {
            return false;
        }
        self.countdown = self.every;
        self.started.elapsed() > limit
    }
}

/// What both engines share: the world, the faults still to apply, the
/// metrics, and the run's limits.
pub(crate) struct Core<M: ClusterModel> {
    pub(crate) world: Rc<RefCell<World<M>>>,
    pub(crate) node_count: usize,
    pub(crate) seed: u64,
    pub(crate) duration_ns: i64,
    pub(crate) faults: FaultDriver,
    pub(crate) metrics: Metrics,
    pub(crate) next_sample_ns: i64,
    pub(crate) interval_ns: i64,
    wall: WallLimit,
}

impl<M: ClusterModel> Core<M> {
    /// Validates `config` and the model and builds the world.
    pub(crate) fn new(config: &SimConfig, model: M, wakeups: Wakeups) -> Result<Self, SimError> {
        let wall_every = match wakeups {
            Wakeups::Agenda(_) => WALL_CHECK_EVERY_DISCRETE,
            Wakeups::Notify | Wakeups::Timed(_) => 1,
        };
        config.validate()?;
        model
            .validate(config.nodes)
            .map_err(|m| SimError::Config(format!("model `{}`: {m}", model.name())))?;
        if config.nemesis.is_some() {
            crate::faults::check_schedule(config, &model.roles(), &model.faults())?;
        }
        let interval_ns = i64::try_from(config.metrics_interval_ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        Ok(Core {
            world: Rc::new(RefCell::new(World::new(config, model, wakeups))),
            node_count: config.nodes,
            seed: config.seed,
            duration_ns: i64::try_from(config.duration_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000),
            faults: FaultDriver::new(config),
            metrics: Metrics {
                interval_ms: config.metrics_interval_ms,
                node_names: (0..config.nodes)
                    .map(|i| NodeId::from_index(i).name())
                    .collect(),
                samples: Vec::new(),
            },
            next_sample_ns: 0,
            interval_ns,
            wall: WallLimit::new(config.limits.wall_time, wall_every),
        })
    }

    /// After a step at `now`: a panic ends the run as crashed (its record
    /// ends at `end_ns`); an error inside a driver or a limit passed ends it
    /// with [`SimError::Engine`], whose message names the limit.
    pub(crate) fn after_step(&mut self, now: i64, end_ns: i64) -> Result<(), SimError> {
        let at_ms = (now.max(0) / 1_000_000) as u64;
        // Fault points that fired during the step: schedule what they do.
        let fired = std::mem::take(&mut self.world.borrow_mut().points.pending);
        for fire in &fired {
            let event = self.faults.point_fired(now, fire);
            self.world.borrow_mut().record(event);
        }
        let message = {
            let mut w = self.world.borrow_mut();
            if w.panic.is_some() {
                drop(w);
                return Err(SimError::Crashed(Box::new(self.crashed_record(end_ns))));
            }
            if let Some(message) = w.error.take() {
                Some(message)
            } else if w.delivered > w.limits.messages_delivered_max {
                Some(format!(
                    "{} messages delivered, over limits.messages_delivered_max ({})",
                    w.delivered, w.limits.messages_delivered_max
                ))
            } else if w.events_handled > w.limits.events_handled_max {
                Some(format!(
                    "{} events handled, over limits.events_handled_max ({})",
                    w.events_handled, w.limits.events_handled_max
                ))
            } else if self.wall.exceeded() {
                Some(self.wall.message())
            } else {
                None
            }
        };
        match message {
            Some(message) => Err(SimError::Engine { at_ms, message }),
            None => Ok(()),
        }
    }

    /// Takes a metric sample if one is due at `now`, and moves the next one
    /// to the first point of the `interval_ns` grid after `now` (the engines
    /// that jump in time; turmoil samples every `interval_ns` from the tick).
    pub(crate) fn sample_on_grid(&mut self, now: i64) {
        if now < self.next_sample_ns {
            return;
        }
        self.sample(now);
        let interval = self.interval_ns.max(1);
        while self.next_sample_ns <= now {
            self.next_sample_ns = self.next_sample_ns.saturating_add(interval);
        }
    }

    /// Takes a metric sample at `now` (once per instant).
    pub(crate) fn sample(&mut self, now: i64) {
        if self
            .metrics
            .samples
            .last()
            .is_some_and(|s| s.time_ns == now)
        {
            return;
        }
        let w = self.world.borrow();
        self.metrics.samples.push(Sample {
            time_ns: now,
            nodes: w.slots.iter().map(|s| s.counters.clone()).collect(),
            gauges: w.slots.iter().map(|s| s.gauges.clone()).collect(),
        });
    }

    /// The run's record, ended at `now`.
    pub(crate) fn take_record(&mut self, now: i64, ended: EndReason) -> RunRecord {
        self.sample(now);
        let mut w = self.world.borrow_mut();
        RunRecord {
            seed: self.seed,
            history: shakedown_checkers::History::new(std::mem::take(&mut w.history)),
            nemesis_log: std::mem::take(&mut self.faults.log),
            metrics: std::mem::take(&mut self.metrics),
            digest: w.digest.value(),
            delivered: w.delivered,
            end_ns: now,
            ended,
            trace: w.trace.as_mut().map(std::mem::take).unwrap_or_default(),
        }
    }

    /// The run so far, ended by the panic a step reported.
    pub(crate) fn crashed_record(&mut self, now: i64) -> crate::config::CrashedRun {
        let panic = self.world.borrow_mut().panic.take();
        let record = self.take_record(now, EndReason::Crashed);
        let panic = panic.map_or_else(
            || crate::panic::NodePanic {
                node: NodeId(0),
                at_ns: record.end_ns,
                during: "unknown".into(),
                message: "a node panicked".into(),
                location: None,
                backtrace: String::new(),
            },
            |p| *p,
        );
        crate::config::CrashedRun { panic, record }
    }

    /// True once the workload is done and no scheduled fault remains.
    pub(crate) fn is_done(&self) -> bool {
        let clients_done = self
            .world
            .borrow()
            .clients
            .as_ref()
            .is_none_or(|c| c.is_done());
        clients_done && self.faults.is_done()
    }
}

/// `1m30s`, `60s`, `250ms`: a duration as scenario files write it.
fn humanize(d: Duration) -> String {
    shakedown_nemesis::SimDuration::from_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .to_string()
}

/// Runs `model` under `config` on the engine `config.engine` asks for (the
/// discrete engine when it asks for none).
pub(crate) fn run_on<M: ClusterModel>(config: &SimConfig, model: M) -> Result<RunRecord, SimError> {
    match config.engine.unwrap_or_default() {
        Engine::Discrete => {
            let mut cluster = DiscreteCluster::new(config, model)?;
            let ended = cluster.run_to_end()?;
            Ok(cluster.finish(ended))
        }
        Engine::Turmoil => {
            let mut cluster = TurmoilCluster::new(config, model)?;
            let ended = cluster.run_to_end()?;
            Ok(cluster.finish(ended))
        }
        #[cfg(madsim)]
        Engine::Madsim => {
            let mut cluster = MadsimCluster::new(config, model)?;
            let ended = cluster.run_to_end()?;
            Ok(cluster.finish(ended))
        }
        #[cfg(not(madsim))]
        Engine::Madsim => Err(SimError::Config(format!(
            "engine `madsim` is not built into this binary: {MADSIM_BUILD_HINT}"
        ))),
    }
}

/// The nemesis crate's latency in the simulator's terms.
pub fn latency_from_nemesis(l: &shakedown_nemesis::Latency) -> Latency {
    Latency {
        base_ns: l.latency_ms.saturating_mul(1_000_000),
        jitter_ns: l.jitter_ms.saturating_mul(1_000_000),
        shape: match l.distribution {
            shakedown_nemesis::Distribution::Uniform => Shape::Uniform,
            shakedown_nemesis::Distribution::Normal => Shape::Normal,
            shakedown_nemesis::Distribution::Exponential => Shape::Exponential,
        },
    }
}

/// A scenario parameter as a history value (what model faults receive).
pub fn param_to_value(p: &Param) -> Value {
    match p {
        Param::Bool(b) => Value::Bool(*b),
        Param::Int(i) => Value::Int(*i),
        Param::Float(f) => Value::Float(shakedown_checkers::value::Float(*f)),
        Param::Str(s) => Value::Str(s.clone()),
        Param::List(items) => Value::Vector(items.iter().map(param_to_value).collect()),
        Param::Table(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (Value::keyword(k.clone()), param_to_value(v)))
                .collect(),
        ),
    }
}

/// The API both cluster types share, written once: inspection, the record,
/// and the whole [`Control`] surface. `$ty` must have a `core: Core<M>`
/// field and the methods `now_ns(&self) -> i64`, `host_crashed(&mut self,
/// NodeId)` and `host_restarted(&mut self, NodeId)` (what the engine itself
/// must do when a node crashes or restarts).
macro_rules! shared_cluster_api {
    ($ty:ident) => {
        impl<M: ClusterModel> $ty<M> {
            /// The run's seed.
            pub fn seed(&self) -> u64 {
                self.core.seed
            }

            /// True once the workload is done and no scheduled fault remains.
            pub fn is_done(&self) -> bool {
                self.core.is_done()
            }

            /// Number of client operations invoked so far.
            pub fn ops_invoked(&self) -> u64 {
                self.core
                    .world
                    .borrow()
                    .clients
                    .as_ref()
                    .map_or(0, |c| c.issued())
            }

            /// Looks at a node's volatile state (`None` while crashed or before
            /// it first starts).
            pub fn inspect<R>(&self, node: NodeId, f: impl FnOnce(Option<&M::Node>) -> R) -> R {
                let w = self.core.world.borrow();
                f(w.slots.get(node.index()).and_then(|s| s.node.as_ref()))
            }

            /// A copy of a node's storage as reads see it now.
            pub fn storage(&self, node: NodeId) -> Result<Storage, ControlError> {
                self.check(node)?;
                Ok(self.core.world.borrow().slots[node.index()].storage.clone())
            }

            /// The settings of the directed link `from -> to` now.
            pub fn link(
                &self,
                from: NodeId,
                to: NodeId,
            ) -> Result<crate::net::LinkConfig, ControlError> {
                self.check(from)?;
                self.check(to)?;
                Ok(*self.core.world.borrow().net.link(from, to))
            }

            /// Counters of every node now.
            pub fn counters(&self) -> Vec<crate::record::NodeCounters> {
                self.core
                    .world
                    .borrow()
                    .slots
                    .iter()
                    .map(|s| s.counters.clone())
                    .collect()
            }

            /// The history so far.
            pub fn history(&self) -> History {
                History::new(self.core.world.borrow().history.clone())
            }

            /// The nemesis log so far.
            pub fn nemesis_log(&self) -> &[NemesisEntry] {
                &self.core.faults.log
            }

            /// Ends the run and returns its record.
            pub fn finish(mut self, ended: EndReason) -> RunRecord {
                let now = self.now_ns();
                self.core.take_record(now, ended)
            }

            /// Applies one control operation.
            pub fn apply_control_op(&mut self, op: &ControlOp) -> Result<Applied, ControlError> {
                crate::faults::apply_control_op(self, op)
            }

            fn check(&self, node: NodeId) -> Result<(), ControlError> {
                let nodes = self.core.node_count;
                if node.index() >= nodes {
                    Err(ControlError::UnknownNode { node, nodes })
                } else {
                    Ok(())
                }
            }

            /// Applies the faults due at `now` and records them.
            fn apply_due_faults(&mut self, now: i64) {
                if self.core.faults.next_due_ns().is_none_or(|due| due > now) {
                    return;
                }
                let mut faults = std::mem::take(&mut self.core.faults);
                let world = self.core.world.clone();
                let events = faults.apply_due(self, now, || {
                    world.borrow().model.roles().into_iter().collect()
                });
                self.core.faults = faults;
                for event in events {
                    self.core.world.borrow_mut().record(event);
                }
            }
        }

        impl<M: ClusterModel> Control for $ty<M> {
            fn node_count(&self) -> usize {
                self.core.node_count
            }

            fn sim_now_ns(&self) -> i64 {
                self.now_ns()
            }

            fn status(&self, node: NodeId) -> Result<NodeStatus, ControlError> {
                self.check(node)?;
                Ok(self.core.world.borrow().slots[node.index()].status)
            }

            fn partition(&mut self, cut: &[(NodeId, NodeId)]) -> Result<Applied, ControlError> {
                for (a, b) in cut {
                    self.check(*a)?;
                    self.check(*b)?;
                }
                let links: BTreeSet<(u32, u32)> = cut
                    .iter()
                    .filter(|(a, b)| a != b)
                    .map(|(a, b)| (a.0, b.0))
                    .collect();
                let mut w = self.core.world.borrow_mut();
                if *w.net.cut() == links {
                    return Ok(Applied::NoChange);
                }
                w.net.set_cut(links);
                Ok(Applied::Changed)
            }

            fn cut(&self) -> Vec<(NodeId, NodeId)> {
                self.core
                    .world
                    .borrow()
                    .net
                    .cut()
                    .iter()
                    .map(|&(a, b)| (NodeId(a), NodeId(b)))
                    .collect()
            }

            fn heal(&mut self) -> Applied {
                let mut w = self.core.world.borrow_mut();
                if w.net.cut().is_empty() {
                    return Applied::NoChange;
                }
                w.net.set_cut(BTreeSet::new());
                Applied::Changed
            }

            fn crash(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                {
                    let mut w = self.core.world.borrow_mut();
                    if w.slots[node.index()].status == NodeStatus::Crashed {
                        return Ok(Applied::NoChange);
                    }
                    w.crash(node, now);
                }
                tracing::info!(node = %node, sim_ns = now, "crash");
                self.host_crashed(node);
                Ok(Applied::Changed)
            }

            fn restart(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                {
                    let mut w = self.core.world.borrow_mut();
                    if w.slots[node.index()].status != NodeStatus::Crashed {
                        return Ok(Applied::NoChange);
                    }
                    w.restart(node, now);
                }
                tracing::info!(node = %node, sim_ns = now, "restart");
                self.host_restarted(node);
                Ok(Applied::Changed)
            }

            fn pause(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                let mut w = self.core.world.borrow_mut();
                if w.slots[node.index()].status != NodeStatus::Up {
                    return Ok(Applied::NoChange);
                }
                w.pause(node);
                Ok(Applied::Changed)
            }

            fn resume(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                let mut w = self.core.world.borrow_mut();
                if w.slots[node.index()].status != NodeStatus::Paused {
                    return Ok(Applied::NoChange);
                }
                w.resume(node, now);
                Ok(Applied::Changed)
            }

            fn clock(&self, node: NodeId) -> Result<Timestamp, ControlError> {
                self.check(node)?;
                Ok(self.core.world.borrow().slots[node.index()]
                    .clock
                    .local_at(self.now_ns()))
            }

            fn clock_set(&mut self, node: NodeId, to: Timestamp) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                self.core.world.borrow_mut().slots[node.index()]
                    .clock
                    .fault_set(now, to)
            }

            fn clock_bump(&mut self, node: NodeId, delta_ns: i64) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                self.core.world.borrow_mut().slots[node.index()]
                    .clock
                    .fault_bump(now, delta_ns)
            }

            fn clock_drift(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                self.core.world.borrow_mut().slots[node.index()]
                    .clock
                    .fault_drift(now, rate)
            }

            fn clock_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                Ok(self.core.world.borrow_mut().slots[node.index()]
                    .clock
                    .fault_reset())
            }

            fn update_link(
                &mut self,
                from: NodeId,
                to: NodeId,
                update: &LinkUpdate,
            ) -> Result<Applied, ControlError> {
                self.check(from)?;
                self.check(to)?;
                update.validate().map_err(ControlError::BadValue)?;
                self.core
                    .world
                    .borrow_mut()
                    .net
                    .update_link(from, to, update);
                Ok(Applied::Changed)
            }

            fn net_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
                self.check(node)?;
                let mut w = self.core.world.borrow_mut();
                for other in (0..self.core.node_count).map(NodeId::from_index) {
                    w.net.reset_link(node, other);
                    w.net.reset_link(other, node);
                }
                Ok(Applied::Changed)
            }

            fn model_fault(
                &mut self,
                node: NodeId,
                fault: &ModelFault,
            ) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                let mut w = self.core.world.borrow_mut();
                let result = w.callback(node, now, "on_model_fault", |n, ctx| {
                    n.on_model_fault(ctx, fault)
                });
                w.poke(node, now);
                match result {
                    None => Ok(Applied::NoChange),
                    Some(Ok(())) => Ok(Applied::Changed),
                    Some(Err(reason)) => Err(ControlError::ModelFault {
                        name: fault.name.clone(),
                        node,
                        reason,
                    }),
                }
            }

            fn model_fault_stop(
                &mut self,
                node: NodeId,
                name: &str,
            ) -> Result<Applied, ControlError> {
                self.check(node)?;
                let now = self.now_ns();
                let mut w = self.core.world.borrow_mut();
                let result = w.callback(node, now, "on_model_fault_stop", |n, ctx| {
                    n.on_model_fault_stop(ctx, name)
                });
                w.poke(node, now);
                match result {
                    None => Ok(Applied::NoChange),
                    Some(Ok(())) => Ok(Applied::Changed),
                    Some(Err(reason)) => Err(ControlError::ModelFault {
                        name: name.to_owned(),
                        node,
                        reason,
                    }),
                }
            }

            fn roles(&self) -> BTreeMap<String, Vec<NodeId>> {
                let w = self.core.world.borrow();
                let mut roles: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
                for (i, slot) in w.slots.iter().enumerate() {
                    if slot.status == NodeStatus::Crashed {
                        continue;
                    }
                    if let Some(n) = &slot.node {
                        for role in n.roles() {
                            roles.entry(role).or_default().push(NodeId::from_index(i));
                        }
                    }
                }
                roles
            }
        }
    };
}

pub(crate) use shared_cluster_api;

/// `run_for` and `run_to_end` for the engines whose `step` itself moves
/// time forward (turmoil by a tick, madsim to the next instant the engine
/// must act at). `$ty` needs `now_ns`, `step` and `is_done`.
macro_rules! stepped_runs {
    ($ty:ident) => {
        impl<M: ClusterModel> $ty<M> {
            /// Steps until `duration` more simulated time has passed.
            pub fn run_for(&mut self, duration: Duration) -> Result<(), SimError> {
                let end = self
                    .now_ns()
                    .saturating_add(i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX));
                while self.now_ns() < end {
                    self.step()?;
                }
                Ok(())
            }

            /// Steps until the workload and the schedule are done, or the
            /// time limit; returns why it stopped.
            pub fn run_to_end(&mut self) -> Result<EndReason, SimError> {
                loop {
                    if self.is_done() {
                        return Ok(EndReason::Completed);
                    }
                    if self.now_ns() >= self.core.duration_ns {
                        return Ok(EndReason::TimeLimit);
                    }
                    self.step()?;
                }
            }
        }
    };
}

pub(crate) use stepped_runs;
