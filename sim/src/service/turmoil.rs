//! The turmoil engine under an async service cluster: each node a turmoil
//! host, one more for the clients. A partition is turmoil's partition, a
//! pause holds every link of the node (turmoil cannot stop a host's
//! tasks), a crash is `crash`, a restart `bounce`, and per-link latency and
//! loss are turmoil's link latency and fail rate.

use super::cluster::{
    clients_host, node_host, LinkState, Recorder, Rt, Shared, Stray, CLIENTS_HOST,
};
use super::{ServiceModel, Services};
use crate::config::SimConfig;
use crate::net::LinkUpdate;
use crate::node::NodeId;
use crate::world::sub_seed;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// Simulated time inside a turmoil host, ns.
pub(super) fn host_now_ns() -> i64 {
    turmoil::sim_elapsed().map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// turmoil's simulation of one service cluster.
pub(crate) struct TurmoilBackend {
    sim: turmoil::Sim<'static>,
    /// Host names by index: the nodes, then the clients.
    hosts: Vec<String>,
}

impl TurmoilBackend {
    /// Builds the hosts; nothing runs yet.
    pub(super) fn new<M: ServiceModel>(
        config: &SimConfig,
        model: Rc<M>,
        services: Shared<Services>,
        recorder: Shared<Recorder>,
    ) -> Self {
        let tick = Duration::from_micros(config.tick_us);
        let base = config.network.latency.base_ns;
        let mut builder = turmoil::Builder::new();
        builder
            .tick_duration(tick)
            .simulation_duration(Duration::from_millis(config.duration_ms) + tick * 4)
            .epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
            .rng_seed(sub_seed(config.seed, "turmoil"))
            .min_message_latency(Duration::from_nanos(base))
            .max_message_latency(Duration::from_nanos(
                base.saturating_add(config.network.latency.jitter_ns),
            ));
        if config.network.loss_rate > 0.0 {
            builder.fail_rate(config.network.loss_rate);
        }
        let mut sim = builder.build();
        let mut hosts = Vec::with_capacity(config.nodes + 1);
        for i in 0..config.nodes {
            let id = NodeId::from_index(i);
            let name = id.name();
            let (m, s, r) = (model.clone(), services.clone(), recorder.clone());
            sim.host(name.as_str(), move || {
                let (m, s, r) = (m.clone(), s.clone(), r.clone());
                async move {
                    node_host(Rt::Turmoil, m, s, r, id).await;
                    Ok(())
                }
            });
            hosts.push(name);
        }
        if config.clients > 0 {
            let (m, r) = (model.clone(), recorder.clone());
            sim.host(CLIENTS_HOST, move || {
                let (m, r) = (m.clone(), r.clone());
                async move {
                    clients_host(Rt::Turmoil, m, r).await;
                    Ok(())
                }
            });
        }
        hosts.push(CLIENTS_HOST.to_owned());
        TurmoilBackend { sim, hosts }
    }

    /// Simulated time now, ns.
    pub(super) fn now_ns(&self) -> i64 {
        i64::try_from(self.sim.elapsed().as_nanos()).unwrap_or(i64::MAX)
    }

    /// One tick of every host (turmoil steps in ticks whatever is due).
    pub(super) fn advance(&mut self, _until: i64) -> (Result<(), String>, Option<Stray>) {
        let (stepped, stray) = crate::panic::with_strays(|| self.sim.step());
        (stepped.map(|_| ()).map_err(|e| e.to_string()), stray)
    }

    /// Pausing holds the node's links.
    pub(super) fn pause_holds_links(&self) -> bool {
        true
    }

    /// Nothing beyond holding its links (see [`Self::pause_holds_links`]).
    pub(super) fn pause(&mut self, _node: usize) {}

    /// Nothing beyond releasing its links.
    pub(super) fn resume(&mut self, _node: usize) {}

    /// Drops every task of the node.
    pub(super) fn crash(&mut self, node: usize) {
        self.sim.crash(self.hosts[node].as_str());
    }

    /// Starts the node's software again.
    pub(super) fn restart(&mut self, node: usize) {
        self.sim.bounce(self.hosts[node].as_str());
    }

    /// Puts the link between hosts `a` and `b` (indices; the clients last)
    /// in state `want`.
    pub(super) fn set_link(&mut self, a: u32, b: u32, want: LinkState) {
        let (ha, hb) = (
            self.hosts[a as usize].clone(),
            self.hosts[b as usize].clone(),
        );
        match want {
            LinkState::Healthy => self.sim.release(ha.as_str(), hb.as_str()),
            LinkState::Held => self.sim.hold(ha.as_str(), hb.as_str()),
            LinkState::Cut(true, true) => {
                self.sim.repair(ha.as_str(), hb.as_str());
                self.sim.partition(ha.as_str(), hb.as_str());
            }
            LinkState::Cut(ab, ba) => {
                self.sim.repair(ha.as_str(), hb.as_str());
                if ab {
                    self.sim.partition_oneway(ha.as_str(), hb.as_str());
                }
                if ba {
                    self.sim.partition_oneway(hb.as_str(), ha.as_str());
                }
            }
        }
    }

    /// Latency and loss of the link between nodes `from` and `to`.
    /// turmoil's links are undirected: a change to a -> b is a change to
    /// b -> a too.
    pub(super) fn update_link(
        &mut self,
        from: usize,
        to: usize,
        update: &LinkUpdate,
    ) -> Result<(), String> {
        let (a, b) = (self.hosts[from].clone(), self.hosts[to].clone());
        if let Some(l) = update.latency {
            self.sim
                .set_link_latency(a.as_str(), b.as_str(), Duration::from_nanos(l.base_ns));
            self.sim.set_link_max_message_latency(
                a.as_str(),
                b.as_str(),
                Duration::from_nanos(l.base_ns.saturating_add(l.jitter_ns)),
            );
        }
        if let Some(rate) = update.loss_rate {
            self.sim.set_link_fail_rate(a.as_str(), b.as_str(), rate);
        }
        Ok(())
    }
}
