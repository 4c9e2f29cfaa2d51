//! The madsim engine under an async service cluster (built only with
//! `--cfg madsim`): each node a madsim node with its own IP and a DNS name
//! (`n0`, `n1`, ...), one more node for the clients. The user's service
//! runs unmodified through madsim's tokio shim (`madsim-tokio`, used as the
//! service crate's `tokio`): `tokio::net`, `tokio::time` and
//! `tokio::task::spawn_local` are madsim's there.
//!
//! Faults use madsim's own machinery: a crash is madsim's `kill` (every
//! task dropped, sockets closed), a restart its `restart` (`serve` runs
//! again), a pause its `pause` (the node's tasks stop running: a real
//! process pause, where turmoil can only hold the links), and a partition
//! clogs the directed links. madsim's network has one latency range and one
//! loss rate for every link, taken from the scenario's `[network]`; faults
//! that change one link's latency or loss are refused on this engine.

use super::cluster::{clients_host, node_host, LinkState, Recorder, Rt, Shared, Stray};
use super::{ServiceModel, Services};
use crate::config::SimConfig;
use crate::net::LinkUpdate;
use crate::node::NodeId;
use crate::world::sub_seed;
use ::madsim::net::NetSim;
use ::madsim::runtime::{NodeHandle as MadsimNode, Runtime};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Starts the software of host `i` (the nodes, then the clients).
type Starter = Rc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = ()>>>>;

thread_local! {
    /// The service runs on this thread, by run number: madsim wants a
    /// node's start function to be `Send + Sync`, and a service's state is
    /// single-threaded, so the start function carries the run number and
    /// looks the starter up here (madsim runs every task on this thread).
    static STARTERS: RefCell<BTreeMap<u64, Starter>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_RUN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Simulated time inside madsim, ns (0 outside it).
pub(super) use crate::engine::madsim::madsim_now_ns as host_now_ns;

/// The IP of host `i`: 10.0.0.1, 10.0.0.2, ...
fn ip_of(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0001u32.saturating_add(i as u32)))
}

/// madsim's simulation of one service cluster.
pub(crate) struct MadsimBackend {
    rt: Runtime,
    net: Arc<NetSim>,
    /// madsim's nodes by index: the cluster's nodes, then the clients.
    hosts: Vec<MadsimNode>,
    run: u64,
    now_ns: i64,
    tick_ns: i64,
    /// The scenario's `[network]` latency and loss, the only ones madsim has.
    network: crate::net::LinkConfig,
}

impl MadsimBackend {
    /// Builds the nodes; nothing runs yet.
    pub(super) fn new<M: ServiceModel>(
        config: &SimConfig,
        model: Rc<M>,
        services: Shared<Services>,
        recorder: Shared<Recorder>,
    ) -> Self {
        let nodes = config.nodes;
        let starter: Starter = Rc::new(move |i| {
            if i < nodes {
                Box::pin(node_host(
                    Rt::Madsim,
                    model.clone(),
                    services.clone(),
                    recorder.clone(),
                    NodeId::from_index(i),
                ))
            } else {
                Box::pin(clients_host(Rt::Madsim, model.clone(), recorder.clone()))
            }
        });
        let run = NEXT_RUN.with(|n| {
            let run = n.get();
            n.set(run + 1);
            run
        });
        STARTERS.with(|s| s.borrow_mut().insert(run, starter));

        let mut madsim_config = ::madsim::Config::default();
        let latency = config.network.latency;
        let base = Duration::from_nanos(latency.base_ns);
        madsim_config.net.send_latency =
            base..base + Duration::from_nanos(latency.jitter_ns.max(1));
        madsim_config.net.packet_loss_rate = config.network.loss_rate;
        let rt = Runtime::with_seed_and_config(sub_seed(config.seed, "madsim"), madsim_config);
        let names: Vec<String> = (0..nodes)
            .map(|i| NodeId::from_index(i).name())
            .chain(std::iter::once(super::cluster::CLIENTS_HOST.to_owned()))
            .collect();
        let net = rt.block_on(async {
            let net = NetSim::current();
            for (i, name) in names.iter().enumerate() {
                net.add_dns_record(name, ip_of(i));
            }
            net
        });
        let mut hosts = Vec::with_capacity(nodes + 1);
        for (i, name) in names.iter().enumerate() {
            let mut builder = rt.create_node().name(name.as_str()).ip(ip_of(i));
            if i < nodes || config.clients > 0 {
                builder = builder.init(move || start(run, i));
            }
            hosts.push(builder.build());
        }
        MadsimBackend {
            rt,
            net,
            hosts,
            run,
            now_ns: 0,
            tick_ns: i64::try_from(config.tick_us)
                .unwrap_or(1000)
                .saturating_mul(1000),
            network: config.network,
        }
    }

    /// Simulated time now, ns.
    pub(super) fn now_ns(&self) -> i64 {
        self.now_ns
    }

    /// Lets madsim run every task until the next tick or `until`, whichever
    /// is first. A task that panics stops madsim: the panic is returned.
    pub(super) fn advance(&mut self, until: i64) -> (Result<(), String>, Option<Stray>) {
        let target = until
            .min(self.now_ns.saturating_add(self.tick_ns))
            .max(self.now_ns.saturating_add(1));
        let rt = &self.rt;
        let (ran, stray) = crate::panic::with_strays(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(async move {
                    crate::engine::madsim::sleep_until_ns(target).await;
                    host_now_ns()
                })
            }))
        });
        match ran {
            Ok(now) => {
                self.now_ns = now.max(self.now_ns);
                (Ok(()), stray)
            }
            Err(payload) => {
                let stray = stray.unwrap_or_else(|| {
                    (
                        crate::panic::payload_message(payload.as_ref()),
                        None,
                        String::new(),
                    )
                });
                (Ok(()), Some(stray))
            }
        }
    }

    /// madsim pauses the node's tasks itself.
    pub(super) fn pause_holds_links(&self) -> bool {
        false
    }

    /// Stops running the node's tasks.
    pub(super) fn pause(&mut self, node: usize) {
        self.rt.handle().pause(self.hosts[node].id());
    }

    /// Runs the node's tasks again.
    pub(super) fn resume(&mut self, node: usize) {
        self.rt.handle().resume(self.hosts[node].id());
    }

    /// Drops every task of the node and closes its sockets.
    pub(super) fn crash(&mut self, node: usize) {
        self.rt.handle().kill(self.hosts[node].id());
    }

    /// Starts the node's software again.
    pub(super) fn restart(&mut self, node: usize) {
        self.rt.handle().restart(self.hosts[node].id());
    }

    /// Puts the links between hosts `a` and `b` (indices; the clients last)
    /// in state `want`.
    pub(super) fn set_link(&mut self, a: u32, b: u32, want: LinkState) {
        let (ia, ib) = (self.hosts[a as usize].id(), self.hosts[b as usize].id());
        self.net.unclog_link(ia, ib);
        self.net.unclog_link(ib, ia);
        if let LinkState::Cut(ab, ba) = want {
            if ab {
                self.net.clog_link(ia, ib);
            }
            if ba {
                self.net.clog_link(ib, ia);
            }
        }
    }

    /// madsim has one latency range and one loss rate for all links: an
    /// update that asks for anything else is refused.
    pub(super) fn update_link(
        &mut self,
        _from: usize,
        _to: usize,
        update: &LinkUpdate,
    ) -> Result<(), String> {
        let latency_ok = update.latency.is_none_or(|l| l == self.network.latency);
        let loss_ok = update.loss_rate.is_none_or(|r| r == self.network.loss_rate);
        if latency_ok && loss_ok {
            Ok(())
        } else {
            Err(super::MADSIM_LINK_FAULTS.to_owned())
        }
    }
}

impl Drop for MadsimBackend {
    fn drop(&mut self) {
        let run = self.run;
        STARTERS.with(|s| s.borrow_mut().remove(&run));
    }
}

/// The software of host `i` of run `run`.
fn start(run: u64, i: usize) -> Pin<Box<dyn Future<Output = ()>>> {
    match STARTERS.with(|s| s.borrow().get(&run).cloned()) {
        Some(starter) => starter(i),
        None => Box::pin(std::future::ready(())),
    }
}
