//! An async service cluster, engine-neutral: each node a host of the
//! engine running the user's [`ServiceModel::serve`], one more host running
//! every client process through [`ServiceModel::call`]; the recorder, the
//! workload, the fault driver and the [`Control`] surface are written once
//! here. What an engine does (hosts, stepping, crash and restart, links)
//! lives in one file per engine: [`super::turmoil`] (faults map onto
//! turmoil's partition, hold, crash, bounce, per-link latency and fail rate)
//! and, in a `--cfg madsim` build, `super::madsim` (madsim's kill, restart,
//! pause and link clogging). Clock faults and the disk are the per-node
//! services' own.

#[cfg(madsim)]
pub(super) use super::madsim::MadsimBackend;
pub(super) use super::turmoil::TurmoilBackend;
use super::{ClientHandle, NodeHandle, Op, ServiceModel, Services, UNSUPPORTED_FAULTS};
use crate::clients::error_value;
use crate::config::{SimConfig, SimError};
use crate::control::{Applied, Control, ControlError, NodeStatus};
use crate::faults::FaultDriver;
use crate::net::{LinkConfig, LinkUpdate};
use crate::node::{ClientResponse, ModelFault, NodeId};
use crate::panic::{catch, NodePanic};
use crate::record::{Digest, EndReason, Metrics, NodeCounters, RunRecord, Sample};
use crate::time::Timestamp;
use crate::trace::TraceEntry;
use crate::workload::{Generator, OpLimit, Pacing, Workload};
use crate::world::sub_seed;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shakedown_checkers::{Event, EventType, History, Process, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Name of the host that runs the client processes.
pub(super) const CLIENTS_HOST: &str = "clients";

/// The async runtime the hosts' tasks run on: simulated time, sleeping,
/// timeouts and local tasks, for the code of this file (the user's code
/// uses its own `tokio`, which is the engine's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rt {
    /// turmoil's hosts (tokio's current-thread runtime, turmoil's clock).
    Turmoil,
    /// madsim's nodes.
    #[cfg(madsim)]
    Madsim,
}

impl Rt {
    /// Simulated time inside a host, ns.
    pub(super) fn now_ns(self) -> i64 {
        match self {
            Rt::Turmoil => super::turmoil::host_now_ns(),
            #[cfg(madsim)]
            Rt::Madsim => super::madsim::host_now_ns(),
        }
    }

    /// Sleeps until simulated time `at` (ns).
    async fn sleep_until_ns(self, at: i64) {
        match self {
            Rt::Turmoil => {
                let now = self.now_ns();
                if at > now {
                    tokio::time::sleep(Duration::from_nanos((at - now) as u64)).await;
                }
            }
            #[cfg(madsim)]
            Rt::Madsim => crate::engine::madsim::sleep_until_ns(at).await,
        }
    }

    /// `fut`, unless `d` passes first (`None`).
    async fn timeout<F: Future>(self, d: Duration, fut: F) -> Option<F::Output> {
        match self {
            Rt::Turmoil => tokio::time::timeout(d, fut).await.ok(),
            #[cfg(madsim)]
            Rt::Madsim => ::madsim::time::timeout(d, fut).await.ok(),
        }
    }

    /// Runs every future as a task of the current host and waits for all.
    async fn join_tasks(self, tasks: Vec<Pin<Box<dyn Future<Output = ()>>>>) {
        match self {
            Rt::Turmoil => {
                let handles: Vec<_> = tasks.into_iter().map(tokio::task::spawn_local).collect();
                for h in handles {
                    let _ = h.await;
                }
            }
            #[cfg(madsim)]
            Rt::Madsim => {
                let handles: Vec<_> = tasks.into_iter().map(::madsim::task::spawn_local).collect();
                for h in handles {
                    let _ = h.await;
                }
            }
        }
    }
}

thread_local! {
    /// The node whose code a [`Caught`] future polled last: the best guess
    /// at who spawned a task that panicked.
    static LAST_POLLED: std::cell::Cell<NodeId> = const { std::cell::Cell::new(NodeId(0)) };
}

/// Polls a future under [`catch`]: a panic in user code becomes a
/// [`NodePanic`], deterministically, at the poll where it happened.
struct Caught<F: Future> {
    fut: Pin<Box<F>>,
    node: NodeId,
    during: String,
    rt: Rt,
}

impl<F: Future> Caught<F> {
    fn new(rt: Rt, fut: F, node: NodeId, during: String) -> Self {
        Caught {
            fut: Box::pin(fut),
            node,
            during,
            rt,
        }
    }
}

impl<F: Future> Future for Caught<F> {
    type Output = Result<F::Output, Box<NodePanic>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        LAST_POLLED.with(|l| l.set(this.node));
        let during = &this.during;
        let fut = &mut this.fut;
        // The time is read only if it panicked: this runs on every poll.
        match catch(this.node, 0, || during.clone(), || fut.as_mut().poll(cx)) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(mut p) => {
                p.at_ns = this.rt.now_ns();
                Poll::Ready(Err(p))
            }
        }
    }
}

/// The client side: the workload, Jepsen's process numbering, final reads.
pub(super) struct ClientsState {
    count: usize,
    nodes: usize,
    workload: Workload,
    generator: Generator,
    rng: ChaCha8Rng,
    processes: Vec<i64>,
    issued: u64,
    main_done: usize,
    final_queue: Option<VecDeque<Option<Value>>>,
    done: usize,
}

impl ClientsState {
    fn pause_ns(&mut self) -> i64 {
        match self.workload.pacing {
            Pacing::ClosedLoop => 0,
            Pacing::Rate { ops_per_s } => {
                let max_ns = 2.0 * self.count as f64 / ops_per_s * 1e9;
                (self.rng.random::<f64>() * max_ns) as i64
            }
        }
    }

    fn next_main(&mut self, now: i64) -> Option<Op> {
        let more = match self.workload.limit {
            OpLimit::Count(n) => self.issued < n,
            OpLimit::DurationMs(ms) => now < ms.saturating_mul(1_000_000) as i64,
        };
        if !more {
            return None;
        }
        let op = self.generator.next(&mut self.rng);
        Some(Op {
            f: op.f,
            key: op.key,
            value: op.value,
        })
    }
}

/// What the run records, shared by the engine and the hosts.
pub(super) struct Recorder {
    history: Vec<Event>,
    digest: Digest,
    trace: Option<Vec<TraceEntry>>,
    history_events_max: usize,
    error: Option<String>,
    panic: Option<Box<NodePanic>>,
    clients: ClientsState,
    counters: Vec<NodeCounters>,
}

impl Recorder {
    fn record(&mut self, event: Event) {
        if self.history.len() >= self.history_events_max {
            if self.error.is_none() {
                self.error = Some(format!(
                    "history reached {} events (limits.history_events_max)",
                    self.history_events_max
                ));
            }
            return;
        }
        let mut text = String::new();
        shakedown_checkers::edn::write_event(&mut text, &event);
        self.digest.write_u64(event.time_ns.unwrap_or(0) as u64);
        self.digest.write(text.as_bytes());
        if let Some(trace) = &mut self.trace {
            trace.push(TraceEntry {
                sim_ns: event.time_ns.unwrap_or(0),
                what: text,
            });
        }
        self.history.push(event);
    }

    pub(super) fn panicked(&mut self, panic: Box<NodePanic>) {
        tracing::error!(node = %panic.node, sim_ns = panic.at_ns, message = %panic.message, "service panicked");
        if self.panic.is_none() {
            self.panic = Some(panic);
        }
    }
}

pub(super) type Shared<T> = Rc<RefCell<T>>;

/// The software of node `id`'s host: the user's `serve`, caught.
pub(super) async fn node_host<M: ServiceModel>(
    rt: Rt,
    model: Rc<M>,
    services: Shared<Services>,
    recorder: Shared<Recorder>,
    id: NodeId,
) {
    let handle = NodeHandle::new(id, services);
    let during = format!("serve (incarnation {})", handle.incarnation());
    let served = Caught::new(
        rt,
        async move { model.serve(handle).await },
        id,
        during.clone(),
    )
    .await;
    let failure = match served {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(Box::new(NodePanic {
            node: id,
            at_ns: rt.now_ns(),
            during,
            message: format!("serve returned an error: {e}"),
            location: None,
            backtrace: String::new(),
        })),
        Err(p) => Some(p),
    };
    if let Some(p) = failure {
        recorder.borrow_mut().panicked(p);
    }
}

/// Performs one op for client slot `c`; false if the adapter panicked.
async fn one_op<M: ServiceModel>(
    rt: Rt,
    model: &M,
    rec: &Shared<Recorder>,
    c: usize,
    op: Op,
) -> bool {
    let now = rt.now_ns();
    let (process, handle, timeout_ms) = {
        let mut r = rec.borrow_mut();
        let process = r.clients.processes[c];
        let node = NodeId::from_index(process.rem_euclid(r.clients.nodes as i64) as usize);
        r.clients.issued += 1;
        r.counters[node.index()].requests += 1;
        let mut event = Event::new(
            Process::Client(process),
            EventType::Invoke,
            op.f.clone(),
            op.value.clone(),
        )
        .at(now);
        if let Some(k) = &op.key {
            event = event.with_key(k.clone());
        }
        r.record(event);
        let handle = ClientHandle {
            process,
            node,
            nodes: r.clients.nodes,
            served_by: std::cell::Cell::new(None),
        };
        (process, handle, r.clients.workload.timeout_ms)
    };
    let (f, key, value) = (op.f.clone(), op.key.clone(), op.value.clone());
    let during = format!("client adapter, process {process}, {f}");
    let call = Caught::new(rt, model.call(&handle, op), handle.node, during);
    let resp = match rt.timeout(Duration::from_millis(timeout_ms), call).await {
        Some(Ok(resp)) => resp,
        Some(Err(panic)) => {
            rec.borrow_mut().panicked(panic);
            return false;
        }
        None => ClientResponse::unknown("timeout"),
    };
    let now = rt.now_ns();
    let mut r = rec.borrow_mut();
    let (kind, value, error) = match resp {
        ClientResponse::Ok(v) => (EventType::Ok, v, None),
        ClientResponse::Fail(e) => (EventType::Fail, value, Some(e)),
        ClientResponse::Unknown(e) => (EventType::Info, value, Some(e)),
    };
    if kind != EventType::Info {
        r.counters[handle.node.index()].responses += 1;
    }
    let mut event = Event::new(Process::Client(process), kind, f, value).at(now);
    event.key = key;
    if let Some(e) = error {
        event.extra.push((Value::keyword("error"), error_value(e)));
    }
    if let Some(node) = handle.served_by.get() {
        event
            .extra
            .push((Value::keyword("node"), Value::Str(node.name())));
    }
    r.record(event);
    if kind == EventType::Info {
        let count = r.clients.count as i64;
        r.clients.processes[c] += count;
    }
    true
}

/// One client slot: main phase, then its share of the final reads.
async fn client_slot<M: ServiceModel>(rt: Rt, model: Rc<M>, rec: Shared<Recorder>, c: usize) {
    let first = rec.borrow_mut().clients.pause_ns();
    rt.sleep_until_ns(rt.now_ns().saturating_add(first)).await;
    loop {
        let invoked = rt.now_ns();
        let Some(op) = rec.borrow_mut().clients.next_main(invoked) else {
            break;
        };
        if !one_op(rt, model.as_ref(), &rec, c, op).await {
            return;
        }
        // Rate pacing spaces invocations, as the callback engine does.
        let pause = rec.borrow_mut().clients.pause_ns();
        rt.sleep_until_ns(invoked.saturating_add(pause)).await;
    }
    let final_at = {
        let mut r = rec.borrow_mut();
        r.clients.main_done += 1;
        r.clients.workload.final_reads_at_ms
    };
    if let Some(at_ms) = final_at {
        let at = at_ms.saturating_mul(1_000_000) as i64;
        loop {
            let ready = {
                let r = rec.borrow();
                r.clients.main_done == r.clients.count && rt.now_ns() >= at
            };
            if ready {
                break;
            }
            rt.sleep_until_ns(rt.now_ns().max(at).saturating_add(1_000_000))
                .await;
        }
        loop {
            let key = {
                let mut r = rec.borrow_mut();
                if r.clients.final_queue.is_none() {
                    let keys = r.clients.generator.all_keys();
                    r.clients.final_queue = Some(keys.into());
                }
                r.clients.final_queue.as_mut().and_then(VecDeque::pop_front)
            };
            let Some(key) = key else { break };
            let op = Op {
                f: "read".to_owned(),
                key,
                value: Value::Nil,
            };
            if !one_op(rt, model.as_ref(), &rec, c, op).await {
                return;
            }
        }
    }
    rec.borrow_mut().clients.done += 1;
}

/// The software of the clients' host: one task per client slot.
pub(super) async fn clients_host<M: ServiceModel>(rt: Rt, model: Rc<M>, rec: Shared<Recorder>) {
    let count = rec.borrow().clients.count;
    let tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..count)
        .map(|c| {
            Box::pin(client_slot(rt, model.clone(), rec.clone(), c))
                as Pin<Box<dyn Future<Output = ()>>>
        })
        .collect();
    rt.join_tasks(tasks).await;
}

/// What the engine last told the backend about one pair of hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkState {
    Healthy,
    Held,
    /// Cut in the directions marked (a -> b, b -> a).
    Cut(bool, bool),
}

/// A panic the runtime swallowed: message, location, backtrace.
pub(super) type Stray = (String, Option<String>, String);

/// The engine under a service cluster (one file per engine).
enum Backend {
    Turmoil(Box<TurmoilBackend>),
    #[cfg(madsim)]
    Madsim(Box<MadsimBackend>),
}

/// Calls the same method on whichever engine runs the cluster.
macro_rules! on_backend {
    ($backend:expr, $b:ident => $call:expr) => {
        match $backend {
            Backend::Turmoil($b) => $call,
            #[cfg(madsim)]
            Backend::Madsim($b) => $call,
        }
    };
}

/// An async service cluster on turmoil (or, in a `--cfg madsim` build, on
/// madsim: `engine = "madsim"`). Build it with [`ServiceCluster::new`],
/// break it through [`Control`], advance it with [`ServiceCluster::step`],
/// collect the record with [`ServiceCluster::finish`]; [`run_service`]
/// does all of that.
pub struct ServiceCluster<M: ServiceModel> {
    backend: Backend,
    model: Rc<M>,
    services: Shared<Services>,
    recorder: Shared<Recorder>,
    hosts: Vec<String>,
    seed: u64,
    duration_ns: i64,
    network: LinkConfig,
    faults: FaultDriver,
    metrics: Metrics,
    next_sample_ns: i64,
    interval_ns: i64,
    cut: BTreeSet<(u32, u32)>,
    paused: BTreeSet<u32>,
    links: BTreeMap<(u32, u32), LinkState>,
    /// The wall-time limit (`limits.wall_time`).
    wall: crate::engine::WallLimit,
}

impl<M: ServiceModel> ServiceCluster<M> {
    /// Validates `config` and builds the cluster; nothing runs yet.
    pub fn new(config: &SimConfig, model: M) -> Result<Self, SimError> {
        config.validate()?;
        model
            .validate(config.nodes)
            .map_err(|m| SimError::Config(format!("model `{}`: {m}", model.name())))?;
        let rt = match config.engine.unwrap_or(crate::engine::Engine::Turmoil) {
            crate::engine::Engine::Turmoil => Rt::Turmoil,
            #[cfg(madsim)]
            crate::engine::Engine::Madsim => Rt::Madsim,
            engine => {
                return Err(SimError::Config(format!(
                    "engine `{engine}` cannot run an async service: services run on turmoil{}",
                    if cfg!(madsim) { " or madsim" } else { "" }
                )))
            }
        };
        if config.network.duplicate_rate > 0.0 {
            return Err(SimError::Config(format!(
                "network: duplicate_rate {} cannot apply to an async service: {}",
                config.network.duplicate_rate, UNSUPPORTED_FAULTS[0].1
            )));
        }
        if let Some(schedule) = &config.nemesis {
            for event in &schedule.events {
                let name = event.fault.name();
                let on_engine: &[(&str, &str)] = match rt {
                    Rt::Turmoil => &[],
                    #[cfg(madsim)]
                    Rt::Madsim => super::MADSIM_UNSUPPORTED_FAULTS,
                };
                if let Some((_, why)) = UNSUPPORTED_FAULTS
                    .iter()
                    .chain(on_engine)
                    .find(|(n, _)| *n == name)
                {
                    return Err(SimError::Config(format!(
                        "nemesis schedule: `{name}` cannot apply to an async service: {why}"
                    )));
                }
            }
            crate::faults::check_schedule(config, &model.roles(), &[])?;
        }
        let model = Rc::new(model);
        let now: fn() -> i64 = match rt {
            Rt::Turmoil => super::turmoil::host_now_ns,
            #[cfg(madsim)]
            Rt::Madsim => super::madsim::host_now_ns,
        };
        let services = Rc::new(RefCell::new(Services::new(config.seed, config.nodes, now)));
        let recorder = Rc::new(RefCell::new(Recorder {
            history: Vec::new(),
            digest: Digest::default(),
            trace: config.trace.then(Vec::new),
            history_events_max: config.limits.history_events_max,
            error: None,
            panic: None,
            clients: ClientsState {
                count: config.clients,
                nodes: config.nodes,
                workload: config.workload.clone(),
                generator: Generator::new(&config.workload),
                rng: ChaCha8Rng::seed_from_u64(sub_seed(config.seed, "workload")),
                processes: (0..config.clients as i64).collect(),
                issued: 0,
                main_done: 0,
                final_queue: None,
                done: 0,
            },
            counters: vec![NodeCounters::default(); config.nodes],
        }));
        let hosts: Vec<String> = (0..config.nodes)
            .map(|i| NodeId::from_index(i).name())
            .collect();
        let backend = match rt {
            Rt::Turmoil => Backend::Turmoil(Box::new(TurmoilBackend::new(
                config,
                model.clone(),
                services.clone(),
                recorder.clone(),
            ))),
            #[cfg(madsim)]
            Rt::Madsim => Backend::Madsim(Box::new(MadsimBackend::new(
                config,
                model.clone(),
                services.clone(),
                recorder.clone(),
            ))),
        };
        let interval_ns = i64::try_from(config.metrics_interval_ms)
            .unwrap_or(i64::MAX / 1_000_000)
            .saturating_mul(1_000_000);
        Ok(ServiceCluster {
            backend,
            model,
            services,
            recorder,
            hosts: hosts.clone(),
            seed: config.seed,
            duration_ns: i64::try_from(config.duration_ms)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000),
            network: config.network,
            faults: FaultDriver::new(config),
            metrics: Metrics {
                interval_ms: config.metrics_interval_ms,
                node_names: hosts,
                samples: Vec::new(),
            },
            next_sample_ns: 0,
            interval_ns,
            cut: BTreeSet::new(),
            paused: BTreeSet::new(),
            links: BTreeMap::new(),
            wall: crate::engine::WallLimit::new(config.limits.wall_time, 1),
        })
    }

    /// Simulated time now, ns.
    pub fn now_ns(&self) -> i64 {
        on_backend!(&self.backend, b => b.now_ns())
    }

    /// One engine step (a turmoil tick; on madsim, up to the next fault,
    /// sample or tick): due faults, a metric sample if due, then every host.
    pub fn step(&mut self) -> Result<(), SimError> {
        let now = self.now_ns();
        let mut faults = std::mem::take(&mut self.faults);
        let model = self.model.clone();
        let events = faults.apply_due(self, now, || model.roles().into_iter().collect());
        self.faults = faults;
        for event in events {
            self.recorder.borrow_mut().record(event);
        }
        if now >= self.next_sample_ns {
            self.sample(now);
            self.next_sample_ns = now.saturating_add(self.interval_ns);
        }
        let at_ms = (now / 1_000_000) as u64;
        let until = self
            .faults
            .next_due_ns()
            .unwrap_or(i64::MAX)
            .min(self.next_sample_ns);
        let (stepped, stray) = on_backend!(&mut self.backend, b => b.advance(until));
        if let Err(message) = stepped {
            return Err(SimError::Engine { at_ms, message });
        }
        if let Some((message, location, backtrace)) = stray {
            // The runtime caught it (tokio dropped the task and the node
            // carried on; madsim stopped). Neither says which host ran.
            let node = LAST_POLLED.with(std::cell::Cell::get);
            self.recorder.borrow_mut().panicked(Box::new(NodePanic {
                node,
                at_ns: self.now_ns(),
                during: format!(
                    "a task the service spawned (tokio dropped it; the node is the service code polled last in this step, {node}, and may be another)"
                ),
                message,
                location,
                backtrace,
            }));
        }
        if self.recorder.borrow().panic.is_some() {
            let panic = self.recorder.borrow_mut().panic.take();
            let record = self.take_record(EndReason::Crashed);
            let panic = panic.map(|p| *p).unwrap_or_else(|| NodePanic {
                node: NodeId(0),
                at_ns: record.end_ns,
                during: "unknown".into(),
                message: "a service panicked".into(),
                location: None,
                backtrace: String::new(),
            });
            return Err(SimError::Crashed(Box::new(crate::config::CrashedRun {
                panic,
                record,
            })));
        }
        if let Some(message) = self.recorder.borrow_mut().error.take() {
            return Err(SimError::Engine { at_ms, message });
        }
        if self.wall.exceeded() {
            return Err(SimError::Engine {
                at_ms,
                message: self.wall.message(),
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

    /// True once every client is done and no scheduled fault remains. A
    /// run without clients lasts its whole duration.
    pub fn is_done(&self) -> bool {
        let r = self.recorder.borrow();
        r.clients.count > 0 && r.clients.done == r.clients.count && self.faults.is_done()
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

    /// The history so far.
    pub fn history(&self) -> History {
        History::new(self.recorder.borrow().history.clone())
    }

    /// A copy of a node's disk as reads see it now.
    pub fn disk(&self, node: NodeId) -> Result<crate::Storage, ControlError> {
        self.check(node)?;
        Ok(self.services.borrow().nodes[node.index()].disk.clone())
    }

    /// The gauges a node reported last (empty while crashed).
    pub fn gauges(&self, node: NodeId) -> Result<BTreeMap<String, f64>, ControlError> {
        self.check(node)?;
        Ok(self.services.borrow().nodes[node.index()].gauges.clone())
    }

    /// Ends the run and returns its record.
    pub fn finish(mut self, ended: EndReason) -> RunRecord {
        self.take_record(ended)
    }

    fn take_record(&mut self, ended: EndReason) -> RunRecord {
        let now = self.now_ns();
        self.sample(now);
        let mut r = self.recorder.borrow_mut();
        let delivered = r.counters.iter().map(|c| c.requests).sum();
        RunRecord {
            seed: self.seed,
            history: History::new(std::mem::take(&mut r.history)),
            nemesis_log: std::mem::take(&mut self.faults.log),
            metrics: std::mem::take(&mut self.metrics),
            digest: r.digest.value(),
            delivered,
            end_ns: now,
            ended,
            trace: r.trace.as_mut().map(std::mem::take).unwrap_or_default(),
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
        let r = self.recorder.borrow();
        let s = self.services.borrow();
        self.metrics.samples.push(Sample {
            time_ns: now,
            nodes: r.counters.clone(),
            gauges: s.nodes.iter().map(|n| n.gauges.clone()).collect(),
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

    /// Tells the engine the state every link should be in now (cut links
    /// dropped, links of paused nodes held where the engine pauses by
    /// holding links), touching only what changed.
    fn apply_links(&mut self) {
        let holds = on_backend!(&self.backend, b => b.pause_holds_links());
        let n = self.hosts.len() as u32;
        // The clients host (index n) exists only with clients.
        let last = if self.recorder.borrow().clients.count > 0 {
            n
        } else {
            n.saturating_sub(1)
        };
        for a in 0..=last {
            for b in (a + 1)..=last {
                let ab = self.cut.contains(&(a, b));
                let ba = self.cut.contains(&(b, a));
                let want = if ab || ba {
                    LinkState::Cut(ab, ba)
                } else if holds && (self.paused.contains(&a) || self.paused.contains(&b)) {
                    LinkState::Held
                } else {
                    LinkState::Healthy
                };
                let had = self
                    .links
                    .get(&(a, b))
                    .copied()
                    .unwrap_or(LinkState::Healthy);
                if had == want {
                    continue;
                }
                on_backend!(&mut self.backend, be => be.set_link(a, b, want));
                self.links.insert((a, b), want);
            }
        }
    }
}

/// Runs an async service under `config` on turmoil until the workload and
/// the fault schedule are done (or the time limit), and returns the same
/// [`RunRecord`] a callback model's run does.
pub fn run_service<M: ServiceModel>(config: &SimConfig, model: M) -> Result<RunRecord, SimError> {
    let span = tracing::info_span!("run", seed = config.seed, model = model.name());
    let _guard = span.enter();
    let mut cluster = ServiceCluster::new(config, model)?;
    let ended = cluster.run_to_end()?;
    Ok(cluster.finish(ended))
}

impl<M: ServiceModel> Control for ServiceCluster<M> {
    fn node_count(&self) -> usize {
        self.hosts.len()
    }

    fn sim_now_ns(&self) -> i64 {
        self.now_ns()
    }

    fn status(&self, node: NodeId) -> Result<NodeStatus, ControlError> {
        self.check(node)?;
        Ok(self.services.borrow().nodes[node.index()].status)
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
        if self.cut == links {
            return Ok(Applied::NoChange);
        }
        self.cut = links;
        self.apply_links();
        Ok(Applied::Changed)
    }

    fn cut(&self) -> Vec<(NodeId, NodeId)> {
        self.cut
            .iter()
            .map(|&(a, b)| (NodeId(a), NodeId(b)))
            .collect()
    }

    fn heal(&mut self) -> Applied {
        if self.cut.is_empty() {
            return Applied::NoChange;
        }
        self.cut.clear();
        self.apply_links();
        Applied::Changed
    }

    fn crash(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        {
            let mut s = self.services.borrow_mut();
            let state = &mut s.nodes[node.index()];
            if state.status == NodeStatus::Crashed {
                return Ok(Applied::NoChange);
            }
            state.status = NodeStatus::Crashed;
            state.disk.crash();
            state.roles.clear();
            state.gauges.clear();
        }
        tracing::info!(node = %node, sim_ns = self.now_ns(), "crash");
        on_backend!(&mut self.backend, b => b.crash(node.index()));
        if self.paused.remove(&node.0) {
            self.apply_links();
        }
        Ok(Applied::Changed)
    }

    fn restart(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        {
            let mut s = self.services.borrow_mut();
            let state = &mut s.nodes[node.index()];
            if state.status != NodeStatus::Crashed {
                return Ok(Applied::NoChange);
            }
            state.status = NodeStatus::Up;
            state.incarnation += 1;
        }
        tracing::info!(node = %node, sim_ns = self.now_ns(), "restart");
        on_backend!(&mut self.backend, b => b.restart(node.index()));
        Ok(Applied::Changed)
    }

    fn pause(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        {
            let mut s = self.services.borrow_mut();
            let state = &mut s.nodes[node.index()];
            if state.status != NodeStatus::Up {
                return Ok(Applied::NoChange);
            }
            state.status = NodeStatus::Paused;
        }
        self.paused.insert(node.0);
        on_backend!(&mut self.backend, b => b.pause(node.index()));
        self.apply_links();
        Ok(Applied::Changed)
    }

    fn resume(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        {
            let mut s = self.services.borrow_mut();
            let state = &mut s.nodes[node.index()];
            if state.status != NodeStatus::Paused {
                return Ok(Applied::NoChange);
            }
            state.status = NodeStatus::Up;
        }
        self.paused.remove(&node.0);
        on_backend!(&mut self.backend, b => b.resume(node.index()));
        self.apply_links();
        Ok(Applied::Changed)
    }

    fn clock(&self, node: NodeId) -> Result<Timestamp, ControlError> {
        self.check(node)?;
        Ok(self.services.borrow().nodes[node.index()]
            .clock
            .local_at(self.now_ns()))
    }

    fn clock_set(&mut self, node: NodeId, to: Timestamp) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.services.borrow_mut().nodes[node.index()]
            .clock
            .fault_set(now, to)
    }

    fn clock_bump(&mut self, node: NodeId, delta_ns: i64) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.services.borrow_mut().nodes[node.index()]
            .clock
            .fault_bump(now, delta_ns)
    }

    fn clock_drift(&mut self, node: NodeId, rate: f64) -> Result<Applied, ControlError> {
        self.check(node)?;
        let now = self.now_ns();
        self.services.borrow_mut().nodes[node.index()]
            .clock
            .fault_drift(now, rate)
    }

    fn clock_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        Ok(self.services.borrow_mut().nodes[node.index()]
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
        if update.duplicate_rate.is_some_and(|r| r > 0.0) {
            return Err(ControlError::BadValue(format!(
                "packet duplication cannot apply to an async service: {}",
                UNSUPPORTED_FAULTS[0].1
            )));
        }
        if from == to {
            return Ok(Applied::NoChange);
        }
        on_backend!(&mut self.backend, b => b.update_link(from.index(), to.index(), update))
            .map_err(ControlError::BadValue)?;
        Ok(Applied::Changed)
    }

    fn net_reset(&mut self, node: NodeId) -> Result<Applied, ControlError> {
        self.check(node)?;
        let defaults = LinkUpdate {
            latency: Some(self.network.latency),
            loss_rate: Some(self.network.loss_rate),
            duplicate_rate: None,
        };
        for other in (0..self.hosts.len()).map(NodeId::from_index) {
            self.update_link(node, other, &defaults)?;
        }
        Ok(Applied::Changed)
    }

    fn model_fault(&mut self, node: NodeId, fault: &ModelFault) -> Result<Applied, ControlError> {
        self.check(node)?;
        Err(ControlError::ModelFault {
            name: fault.name.clone(),
            node,
            reason: "async services declare no model faults".into(),
        })
    }

    fn model_fault_stop(&mut self, node: NodeId, name: &str) -> Result<Applied, ControlError> {
        self.check(node)?;
        Err(ControlError::ModelFault {
            name: name.to_owned(),
            node,
            reason: "async services declare no model faults".into(),
        })
    }

    fn roles(&self) -> BTreeMap<String, Vec<NodeId>> {
        let s = self.services.borrow();
        let mut roles: BTreeMap<String, Vec<NodeId>> = BTreeMap::new();
        for (i, n) in s.nodes.iter().enumerate() {
            if n.status == NodeStatus::Crashed {
                continue;
            }
            for role in &n.roles {
                roles
                    .entry(role.clone())
                    .or_default()
                    .push(NodeId::from_index(i));
            }
        }
        roles
    }
}
