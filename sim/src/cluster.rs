//! The turmoil engine: every node a turmoil host, plus one host for the
//! clients; our layer adds per-node clocks, pause, crash with durable
//! storage, partitions, loss, duplication and latency distributions.
//!
//! # How it runs
//!
//! Each node is a turmoil host whose software is a small driver task. The
//! driver owns nothing: the node's state machine lives in the shared
//! `World` (`world.rs`), and the driver asks the world to handle
//! whatever is due for its node at the host's simulated time, then sleeps
//! (on turmoil's simulated tokio clock) until the next message or timer is
//! due or until the world wakes it. Turmoil supplies the hosts, their
//! runtimes and simulated time, steps them in a fixed order, and crashes and
//! restarts host software (`Sim::crash`, `Sim::bounce`).
//!
//! Messages do not travel over turmoil's sockets. The world decides each
//! message's fate (see [`crate::net`]) and puts it straight into the
//! receiver's queue, typed: no serialization on the hot path, and delivery
//! order, duplication and pause semantics are ours to define. Turmoil's
//! links could not express them (whole-millisecond latency from one global
//! curve, loss as a broken link, no duplication, no notion of a paused
//! receiver).
//!
//! # Determinism
//!
//! Hosts are stepped in registration order; every queue is ordered by (due
//! time, global sequence number); every random choice comes from ChaCha8
//! streams derived from the seed; the only `select!` is `biased;`; nodes
//! never see `Instant` or `SystemTime`. Simulated time advances in ticks of
//! `tick_us` (1 ms by default): an event due inside a tick is handled at the
//! host's next wake-up, no earlier than it is due.

use crate::config::{ControlOp, SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::faults::FaultDriver;
use crate::net::{Latency, LinkUpdate, Shape};
use crate::node::{ClusterModel, ModelFault, Node, NodeId};
use crate::record::{EndReason, Metrics, NemesisEntry, RunRecord, Sample};
use crate::storage::Storage;
use crate::time::Timestamp;
use crate::world::{sub_seed, World};
use shakedown_checkers::{History, Value};
use shakedown_nemesis::Param;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;

/// Simulated time inside a turmoil host, in ns.
fn host_now_ns() -> i64 {
    turmoil::sim_elapsed().map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Sleeps until `next` (simulated ns) or until notified.
async fn wait(notify: &Notify, now: i64, next: i64) {
    if next == i64::MAX {
        notify.notified().await;
        return;
    }
    let delay = Duration::from_nanos(next.saturating_sub(now).max(0) as u64);
    tokio::select! {
        biased;
        _ = notify.notified() => {}
        _ = tokio::time::sleep(delay) => {}
    }
}

async fn node_host<M: ClusterModel>(world: Rc<RefCell<World<M>>>, id: NodeId) -> turmoil::Result {
    let notify = world.borrow().slots[id.index()].notify.clone();
    loop {
        let now = host_now_ns();
        let next = world.borrow_mut().drive_node(id, now);
        wait(&notify, now, next).await;
    }
}

async fn client_host<M: ClusterModel>(world: Rc<RefCell<World<M>>>) -> turmoil::Result {
    let notify = world.borrow().client_notify.clone();
    loop {
        let now = host_now_ns();
        let next = world.borrow_mut().drive_clients(now);
        wait(&notify, now, next).await;
    }
}

/// A cluster running on turmoil. Build it with [`TurmoilCluster::new`],
/// break it through [`Control`], advance it with [`TurmoilCluster::step`]
/// or [`TurmoilCluster::run_for`], and collect the [`RunRecord`] with
/// [`TurmoilCluster::finish`]. [`crate::run`] does all of that for a whole
/// configuration.
///
/// ```
/// use shakedown_sim::models::PrimaryBackupModel;
/// use shakedown_sim::{Control, NodeId, NodeStatus, SimConfig, TurmoilCluster};
/// use std::time::Duration;
///
/// let config = SimConfig { seed: 1, nodes: 3, clients: 2, ..SimConfig::default() };
/// let mut cluster = TurmoilCluster::new(&config, PrimaryBackupModel::default()).unwrap();
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.partition_groups(&[vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]).unwrap();
/// cluster.crash(NodeId(2)).unwrap();
/// assert_eq!(cluster.status(NodeId(2)).unwrap(), NodeStatus::Crashed);
/// cluster.run_for(Duration::from_millis(100)).unwrap();
/// cluster.heal();
/// cluster.restart(NodeId(2)).unwrap();
/// let ended = cluster.run_to_end().unwrap();
/// let record = cluster.finish(ended);
/// assert!(record.history.len() >= 2 * 200);
/// ```
pub struct TurmoilCluster<M: ClusterModel> {
    sim: turmoil::Sim<'static>,
    world: Rc<RefCell<World<M>>>,
    hosts: Vec<String>,
    seed: u64,
    duration_ns: i64,
    faults: FaultDriver,
    metrics: Metrics,
    next_sample_ns: i64,
    interval_ns: i64,
}

impl<M: ClusterModel> TurmoilCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        config.validate()?;
        model
            .validate(config.nodes)
            .map_err(|m| SimError::Config(format!("model `{}`: {m}", model.name())))?;
        if config.nemesis.is_some() {
            crate::faults::check_schedule(config, &model.roles(), &model.faults())?;
        }
        let tick = Duration::from_micros(config.tick_us);
        let mut sim = turmoil::Builder::new()
            .tick_duration(tick)
            // Hosts never finish, and we stop the run ourselves; this only
            // keeps turmoil from ending it first.
            .simulation_duration(Duration::from_millis(config.duration_ms) + tick * 4)
            .epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
            .rng_seed(sub_seed(config.seed, "turmoil"))
            .build();

        let world = Rc::new(RefCell::new(World::new(config, model)));
        let mut hosts = Vec::with_capacity(config.nodes);
        for i in 0..config.nodes {
            let id = NodeId::from_index(i);
            let name = id.name();
            let w = world.clone();
            sim.host(name.as_str(), move || node_host(w.clone(), id));
            hosts.push(name);
        }
        if config.clients > 0 {
            let w = world.clone();
            sim.host("clients", move || client_host(w.clone()));
        }

        let interval_ns = i64::try_from(config.metrics_interval_ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        Ok(TurmoilCluster {
            sim,
            world,
            hosts: hosts.clone(),
            seed: config.seed,
            duration_ns: i64::try_from(config.duration_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000),
            faults: FaultDriver::new(config),
            metrics: Metrics {
                interval_ms: config.metrics_interval_ms,
                node_names: hosts,
                samples: Vec::new(),
            },
            next_sample_ns: 0,
            interval_ns,
        })
    }

    /// Simulated time now, ns.
    pub fn now_ns(&self) -> i64 {
        i64::try_from(self.sim.elapsed().as_nanos()).unwrap_or(i64::MAX)
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// One engine tick: due faults, a metric sample if due, then every host.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.now_ns();
        let mut faults = std::mem::take(&mut self.faults);
        let world = self.world.clone();
        let events = faults.apply_due(self, now, || {
            world.borrow().model.roles().into_iter().collect()
        });
        self.faults = faults;
        for event in events {
            self.world.borrow_mut().record(event);
        }
        if now >= self.next_sample_ns {
            self.sample(now);
            self.next_sample_ns = now.saturating_add(self.interval_ns);
        }
        if let Err(e) = self.sim.step() {
            return Err(SimError::Engine {
                at_ms: (now / 1_000_000) as u64,
                message: e.to_string(),
            });
        }
        if self.world.borrow().panic.is_some() {
            return Err(SimError::Crashed(Box::new(self.crashed_record())));
        }
        if let Some(message) = self.world.borrow_mut().error.take() {
            return Err(SimError::Engine {
                at_ms: (now / 1_000_000) as u64,
                message,
            });
        }
        Ok(())
    }

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

    /// True once the workload is done and no scheduled fault remains.
    pub fn is_done(&self) -> bool {
        let clients_done = self
            .world
            .borrow()
            .clients
            .as_ref()
            .is_none_or(|c| c.is_done());
        clients_done && self.faults.is_done()
    }

    /// Steps until the workload and the schedule are done, or the time
    /// limit; returns why it stopped.
    pub fn run_to_end(&mut self) -> Result<EndReason, SimError> {
        loop {
            if self.is_done() {
                return Ok(EndReason::Completed);
            }
            if self.now_ns() >= self.duration_ns {
                return Ok(EndReason::TimeLimit);
            }
            self.step()?;
        }
    }

    /// Number of client operations invoked so far.
    pub fn ops_invoked(&self) -> u64 {
        self.world
            .borrow()
            .clients
            .as_ref()
            .map_or(0, |c| c.issued())
    }

    /// Looks at a node's volatile state (`None` while crashed or before it
    /// first starts).
    pub fn inspect<R>(&self, node: NodeId, f: impl FnOnce(Option<&M::Node>) -> R) -> R {
        let w = self.world.borrow();
        f(w.slots.get(node.index()).and_then(|s| s.node.as_ref()))
    }

    /// A copy of a node's storage as reads see it now.
    pub fn storage(&self, node: NodeId) -> Result<Storage, ControlError> {
        self.check(node)?;
        Ok(self.world.borrow().slots[node.index()].storage.clone())
    }

    /// The settings of the directed link `from -> to` now.
    pub fn link(&self, from: NodeId, to: NodeId) -> Result<crate::net::LinkConfig, ControlError> {
        self.check(from)?;
        self.check(to)?;
        Ok(*self.world.borrow().net.link(from, to))
    }

    /// Counters of every node now.
    pub fn counters(&self) -> Vec<crate::record::NodeCounters> {
        self.world
            .borrow()
            .slots
            .iter()
            .map(|s| s.counters.clone())
            .collect()
    }

    /// The history so far.
    pub fn history(&self) -> History {
        History::new(self.world.borrow().history.clone())
    }

    /// The nemesis log so far.
    pub fn nemesis_log(&self) -> &[NemesisEntry] {
        &self.faults.log
    }

    /// The run so far, ended by the panic [`TurmoilCluster::step`] reported.
    fn crashed_record(&mut self) -> crate::config::CrashedRun {
        let panic = self.world.borrow_mut().panic.take();
        let record = self.take_record(EndReason::Crashed);
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

    /// Ends the run and returns its record.
    pub fn finish(mut self, ended: EndReason) -> RunRecord {
        self.take_record(ended)
    }

    fn take_record(&mut self, ended: EndReason) -> RunRecord {
        let now = self.now_ns();
        self.sample(now);
        let mut w = self.world.borrow_mut();
        RunRecord {
            seed: self.seed,
            history: History::new(std::mem::take(&mut w.history)),
            nemesis_log: std::mem::take(&mut self.faults.log),
            metrics: std::mem::take(&mut self.metrics),
            digest: w.digest.value(),
            delivered: w.delivered,
            end_ns: now,
            ended,
            trace: w.trace.as_mut().map(std::mem::take).unwrap_or_default(),
        }
    }

    fn sample(&mut self, now: i64) {
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

    fn check(&self, node: NodeId) -> Result<(), ControlError> {
        let nodes = self.hosts.len();
        if node.index() >= nodes {
            Err(ControlError::UnknownNode { node, nodes })
        } else {
            Ok(())
        }
    }

    /// Applies one control operation.
    pub fn apply_control_op(&mut self, op: &ControlOp) -> Result<Applied, ControlError> {
        crate::faults::apply_control_op(self, op)
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

impl<M: ClusterModel> Control for TurmoilCluster<M> {
    fn node_count(&self) -> usize {
        self.hosts.len()
    }

    fn sim_now_ns(&self) -> i64 {
        self.now_ns()
    }

    fn status(&self, node: NodeId) -> Result<NodeStatus, ControlError> {
        self.check(node)?;
        Ok(self.world.borrow().slots[node.index()].status)
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
        let mut w = self.world.borrow_mut();
        if *w.net.cut() == links {
            return Ok(Applied::NoChange);
        }
        w.net.set_cut(links);
        Ok(Applied::Changed)
    }

    fn cut(&self) -> Vec<(NodeId, NodeId)> {
        self.world
            .borrow()
            .net
            .cut()
            .iter()
            .map(|&(a, b)| (NodeId(a), NodeId(b)))
            .collect()
    }

    fn heal(&mut self) -> Applied {
        let mut w = self.world.borrow_mut();
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
            let mut w = self.world.borrow_mut();
            if w.slots[node.index()].status == NodeStatus::Crashed {
                return Ok(Applied::NoChange);
            }
            w.crash(node, now);
        }
        tracing::info!(node = %node, sim_ns = now, "crash");
        self.sim.crash(self.hosts[node.index()].as_str());
        Ok(Applied::Changed)
    }

    fn restart(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        {
            let mut w = self.world.borrow_mut();
            if w.slots[node.index()].status != NodeStatus::Crashed {
                return Ok(Applied::NoChange);
            }
            w.restart(node, now);
        }
        tracing::info!(node = %node, sim_ns = now, "restart");
        self.sim.bounce(self.hosts[node.index()].as_str());
        Ok(Applied::Changed)
    }

    fn pause(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        let mut w = self.world.borrow_mut();
        if w.slots[node.index()].status != NodeStatus::Up {
            return Ok(Applied::NoChange);
        }
        w.pause(node);
        Ok(Applied::Changed)
    }

    fn resume(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        let mut w = self.world.borrow_mut();
        if w.slots[node.index()].status != NodeStatus::Paused {
            return Ok(Applied::NoChange);
        }
        w.resume(node);
        Ok(Applied::Changed)
    }

    fn clock(&self, node: NodeId) -> Result<Timestamp, ControlError> {
        self.check(node)?;
        Ok(self.world.borrow().slots[node.index()]
            .clock
            .local_at(self.now_ns()))
    }

    fn clock_set(&mut self, node: NodeId, to: Timestamp) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.world.borrow_mut().slots[node.index()]
            .clock
            .fault_set(now, to)
    }

    fn clock_bump(&mut self, node: NodeId, delta_ns: i64) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.world.borrow_mut().slots[node.index()]
            .clock
            .fault_bump(now, delta_ns)
    }

    fn clock_drift(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.world.borrow_mut().slots[node.index()]
            .clock
            .fault_drift(now, rate)
    }

    fn clock_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        Ok(self.world.borrow_mut().slots[node.index()]
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
        self.world.borrow_mut().net.update_link(from, to, update);
        Ok(Applied::Changed)
    }

    fn net_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        let mut w = self.world.borrow_mut();
        for other in (0..self.hosts.len()).map(NodeId::from_index) {
            w.net.reset_link(node, other);
            w.net.reset_link(other, node);
        }
        Ok(Applied::Changed)
    }

    fn model_fault(&mut self, node: NodeId, fault: &ModelFault) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        let mut w = self.world.borrow_mut();
        let result = w.callback(node, now, "on_model_fault", |n, ctx| {
            n.on_model_fault(ctx, fault)
        });
        w.poke(node);
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

    fn model_fault_stop(&mut self, node: NodeId, name: &str) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        let mut w = self.world.borrow_mut();
        let result = w.callback(node, now, "on_model_fault_stop", |n, ctx| {
            n.on_model_fault_stop(ctx, name)
        });
        w.poke(node);
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
        let w = self.world.borrow();
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
