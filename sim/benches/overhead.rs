//! Overhead of the node API over bare turmoil, on the same ping-pong, and
//! the speed of the discrete engine on it.
//!
//! 5 server nodes and 5 client nodes; client `i` pings server `i` and waits
//! for the pong before the next ping, for 60 s of simulated time. The link
//! of pair `i` has a fixed latency of `i + 1` ms (1–5 ms over the pairs),
//! set the same way in both runs, so both simulate exactly the same
//! exchange and differ only in the machinery: bare turmoil UDP sockets and
//! async tasks, or our node API on turmoil hosts.
//!
//! For reference it also runs bare turmoil with its own random 1–5 ms
//! latency (turmoil's default exponential curve), the setting the issue's
//! 130,000 round trips per second was measured with.
//!
//! The same model also runs on the discrete engine (no runtime, no tick),
//! the default for callback models; the bench prints each engine's
//! simulated time over wall time beside bare turmoil's, from one run.
//!
//! In a build with `--cfg madsim` (`bash sim/benches/madsim.sh`) it also
//! runs the model on the madsim engine and the same exchange on bare
//! madsim: one madsim node per server and per client, tokio channels
//! between them and madsim's timer for each hop's latency (the same two
//! timed hops per round trip as our engine's message deliveries). For
//! reference it runs bare madsim's own network too (`Endpoint`, 1-5 ms),
//! which adds madsim's own send delay (its `sleep` waits at least 1 ms) and
//! so completes fewer round trips per simulated minute.
//!
//! Run: `cargo bench -p shakedown-sim --bench overhead`
//! (`-- --quick` for one repetition instead of five; in a madsim build,
//! `-- --madsim-only` for the madsim lines alone).
//!
//! The last lines are `overhead: layer=<rt/s> bare=<rt/s>
//! ratio=<layer/bare>`, `speed: discrete=<x real time> turmoil
//! layer=<x> bare turmoil=<x> discrete/bare=<ratio>` and, with madsim,
//! `madsim-overhead: layer=<rt/s> bare=<rt/s> ratio=<layer/bare>` and
//! `speed on madsim: ...`.

use serde::{Deserialize, Serialize};
use shakedown_sim::node::*;
use shakedown_sim::{Control, DiscreteCluster, Latency, LinkUpdate, SimConfig, TurmoilCluster};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::time::{Duration, Instant};

const PAIRS: usize = 5;
const SIM_SECS: u64 = 60;

fn pair_latency(i: usize) -> Duration {
    Duration::from_millis(i as u64 + 1)
}

// ---- through the node API ----

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Msg {
    Ping(u64),
    Pong(u64),
}

struct PingNode {
    id: NodeId,
    round_trips: u64,
}

impl Node for PingNode {
    type Message = Msg;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        // Nodes PAIRS.. are clients of servers 0..PAIRS.
        if self.id.index() >= PAIRS {
            ctx.send(NodeId::from_index(self.id.index() - PAIRS), Msg::Ping(0));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Ping(n) => ctx.send(from, Msg::Pong(n)),
            Msg::Pong(n) => {
                self.round_trips += 1;
                ctx.send(from, Msg::Ping(n + 1));
            }
        }
    }

    fn on_timer(&mut self, _: &mut Ctx<'_, Self>, _: TimerId, _: ()) {}
    fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ClientRequest) {}
}

struct PingModel;

impl ClusterModel for PingModel {
    type Node = PingNode;
    fn name(&self) -> &str {
        "ping-pong"
    }
    fn build(&self, init: &NodeInit<'_>) -> PingNode {
        PingNode {
            id: init.id,
            round_trips: 0,
        }
    }
}

/// The ping-pong through the node API on one engine's cluster type.
macro_rules! ping_pong_on {
    ($cluster:ident) => {{
        let config = SimConfig {
            seed: 1,
            nodes: 2 * PAIRS,
            clients: 0,
            duration_ms: SIM_SECS * 1000 + 10,
            ..SimConfig::default()
        };
        let start = Instant::now();
        let mut cluster = $cluster::new(&config, PingModel).expect("valid config");
        for i in 0..PAIRS {
            let fixed = LinkUpdate {
                latency: Some(Latency::fixed_ms(pair_latency(i).as_millis() as u64)),
                ..LinkUpdate::default()
            };
            let (s, c) = (NodeId::from_index(i), NodeId::from_index(i + PAIRS));
            cluster.update_link(s, c, &fixed).expect("link");
            cluster.update_link(c, s, &fixed).expect("link");
        }
        cluster.run_for(Duration::from_secs(SIM_SECS)).expect("run");
        let elapsed = start.elapsed();
        let total = (PAIRS..2 * PAIRS)
            .map(|i| cluster.inspect(NodeId::from_index(i), |n| n.map_or(0, |n| n.round_trips)))
            .sum();
        (total, elapsed)
    }};
}

/// The node API on turmoil.
fn layer() -> (u64, Duration) {
    ping_pong_on!(TurmoilCluster)
}

/// The node API on the discrete engine.
fn discrete() -> (u64, Duration) {
    ping_pong_on!(DiscreteCluster)
}

/// The node API on madsim.
#[cfg(madsim)]
fn madsim_layer() -> (u64, Duration) {
    use shakedown_sim::engine::MadsimCluster;
    ping_pong_on!(MadsimCluster)
}

// ---- bare madsim ----

/// The same exchange on bare madsim: nodes, tasks, channels, and madsim's
/// timer for each hop.
#[cfg(madsim)]
fn bare_madsim() -> (u64, Duration) {
    use madsim::runtime::Runtime;
    let start = Instant::now();
    let rt = Runtime::with_seed_and_config(1, madsim::Config::default());
    let total = rt.block_on(async {
        let handle = madsim::runtime::Handle::current();
        let mut clients = Vec::new();
        for i in 0..PAIRS {
            let latency = pair_latency(i);
            let (ping_tx, mut ping_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let (pong_tx, mut pong_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let server = handle.create_node().name(format!("server{i}")).build();
            server.spawn(async move {
                while let Some(n) = ping_rx.recv().await {
                    madsim::time::sleep(latency).await;
                    if pong_tx.send(n).is_err() {
                        break;
                    }
                }
            });
            let client = handle.create_node().name(format!("client{i}")).build();
            clients.push(client.spawn(async move {
                let end = madsim::time::Instant::now() + Duration::from_secs(SIM_SECS);
                let mut n = 0u64;
                while madsim::time::Instant::now() < end {
                    madsim::time::sleep(latency).await;
                    ping_tx.send(n).expect("server up");
                    pong_rx.recv().await.expect("pong");
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for c in clients {
            total += c.await.expect("client");
        }
        total
    });
    (total, start.elapsed())
}

/// Bare madsim's own network (`Endpoint`, latency 1-5 ms), for reference.
#[cfg(madsim)]
fn bare_madsim_net() -> (u64, Duration) {
    use madsim::net::Endpoint;
    use madsim::runtime::Runtime;
    use std::net::SocketAddr;
    let mut config = madsim::Config::default();
    config.net.send_latency = Duration::from_millis(1)..Duration::from_millis(5);
    let rt = Runtime::with_seed_and_config(1, config);
    let start = Instant::now();
    let total = rt.block_on(async move {
        let handle = madsim::runtime::Handle::current();
        let mut clients = Vec::new();
        for i in 0..PAIRS {
            let server: SocketAddr = format!("10.0.0.{}:1", i + 1).parse().expect("addr");
            let client: SocketAddr = format!("10.0.1.{}:1", i + 1).parse().expect("addr");
            let s = handle.create_node().ip(server.ip()).build();
            s.spawn(async move {
                let ep = Endpoint::bind(server).await.expect("bind");
                let mut buf = [0u8; 8];
                loop {
                    let (_, from) = ep.recv_from(1, &mut buf).await.expect("recv");
                    ep.send_to(from, 2, &buf).await.expect("send");
                }
            });
            let c = handle.create_node().ip(client.ip()).build();
            clients.push(c.spawn(async move {
                // Let the server bind first.
                madsim::time::sleep(Duration::from_millis(1)).await;
                let ep = Endpoint::bind(client).await.expect("bind");
                let end = madsim::time::Instant::now() + Duration::from_secs(SIM_SECS);
                let mut buf = [0u8; 8];
                let mut n = 0u64;
                while madsim::time::Instant::now() < end {
                    ep.send_to(server, 1, &n.to_le_bytes()).await.expect("send");
                    ep.recv_from(2, &mut buf).await.expect("recv");
                    n += 1;
                }
                n
            }));
        }
        let mut total = 0;
        for c in clients {
            total += c.await.expect("client");
        }
        total
    });
    (total, start.elapsed())
}

// ---- bare turmoil ----

fn bare(fixed_latency: bool) -> (u64, Duration) {
    let start = Instant::now();
    let mut builder = turmoil::Builder::new();
    builder
        .simulation_duration(Duration::from_secs(SIM_SECS + 10))
        .tick_duration(Duration::from_millis(1))
        .rng_seed(1)
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(5));
    let mut sim = builder.build();
    let counts: Vec<Rc<Cell<u64>>> = (0..PAIRS).map(|_| Rc::new(Cell::new(0))).collect();
    for i in 0..PAIRS {
        sim.host(format!("server{i}"), || async {
            let sock =
                turmoil::net::UdpSocket::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9000)).await?;
            let mut buf = [0u8; 64];
            loop {
                let (n, from) = sock.recv_from(&mut buf).await?;
                sock.send_to(&buf[..n], from).await?;
            }
        });
    }
    for (i, count) in counts.iter().enumerate() {
        let count = count.clone();
        sim.client(format!("client{i}"), async move {
            let sock =
                turmoil::net::UdpSocket::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9001)).await?;
            let server = (format!("server{i}"), 9000u16);
            let mut buf = [0u8; 64];
            let mut n: u64 = 0;
            while turmoil::elapsed() < Duration::from_secs(SIM_SECS) {
                sock.send_to(&n.to_le_bytes(), server.clone()).await?;
                sock.recv_from(&mut buf).await?;
                n += 1;
                count.set(n);
            }
            Ok(())
        });
    }
    if fixed_latency {
        for i in 0..PAIRS {
            sim.set_link_latency(format!("server{i}"), format!("client{i}"), pair_latency(i));
        }
    }
    sim.run().expect("bare run");
    let elapsed = start.elapsed();
    (counts.iter().map(|c| c.get()).sum(), elapsed)
}

fn per_sec(rt: u64, d: Duration) -> f64 {
    rt as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let reps = if std::env::args().any(|a| a == "--quick") {
        1
    } else {
        5
    };
    #[cfg(madsim)]
    if std::env::args().any(|a| a == "--madsim-only") {
        on_madsim(reps, f64::NAN);
        return;
    }
    let (mut layer_rates, mut bare_rates, mut bare_random_rates) =
        (Vec::new(), Vec::new(), Vec::new());
    let (mut discrete_speed, mut layer_speed, mut bare_speed) =
        (Vec::new(), Vec::new(), Vec::new());
    let real_time = |d: Duration| SIM_SECS as f64 / d.as_secs_f64();
    for rep in 0..reps {
        let (d_rt, d_t) = discrete();
        let (l_rt, l_t) = layer();
        let (b_rt, b_t) = bare(true);
        let (r_rt, r_t) = bare(false);
        println!(
            "rep {rep}: layer {l_rt} rt in {:.3}s ({:.0}/s, {:.0}x real time); bare {b_rt} rt in {:.3}s ({:.0}/s); bare with turmoil's random 1-5ms {r_rt} rt in {:.3}s ({:.0}/s)",
            l_t.as_secs_f64(),
            per_sec(l_rt, l_t),
            SIM_SECS as f64 / l_t.as_secs_f64(),
            b_t.as_secs_f64(),
            per_sec(b_rt, b_t),
            r_t.as_secs_f64(),
            per_sec(r_rt, r_t),
        );
        println!(
            "rep {rep}: discrete {d_rt} rt in {:.3}s ({:.0}/s, {:.0}x real time)",
            d_t.as_secs_f64(),
            per_sec(d_rt, d_t),
            real_time(d_t),
        );
        discrete_speed.push(real_time(d_t));
        layer_speed.push(real_time(l_t));
        bare_speed.push(real_time(b_t));
        layer_rates.push(per_sec(l_rt, l_t));
        bare_rates.push(per_sec(b_rt, b_t));
        bare_random_rates.push(per_sec(r_rt, r_t));
    }
    let (layer, bare) = (median(layer_rates), median(bare_rates));
    println!(
        "bare turmoil, random 1-5ms latency (reference): {:.0} round trips/s",
        median(bare_random_rates)
    );
    println!(
        "overhead: layer={layer:.0} bare={bare:.0} ratio={:.2}",
        layer / bare
    );
    let (d, l, b) = (
        median(discrete_speed),
        median(layer_speed),
        median(bare_speed),
    );
    println!(
        "speed (simulated time over wall time): discrete={d:.0}x turmoil layer={l:.0}x bare turmoil={b:.0}x discrete/bare={:.1}",
        d / b
    );
    #[cfg(madsim)]
    on_madsim(reps, d);
}

/// The madsim engine beside bare madsim, on the same exchange.
#[cfg(madsim)]
fn on_madsim(reps: usize, discrete_speed: f64) {
    let real_time = |d: Duration| SIM_SECS as f64 / d.as_secs_f64();
    let (mut layer_rates, mut bare_rates, mut layer_speed, mut bare_speed, mut net_speed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..reps {
        let (l_rt, l_t) = madsim_layer();
        let (b_rt, b_t) = bare_madsim();
        let (n_rt, n_t) = bare_madsim_net();
        println!(
            "rep {rep}: madsim engine {l_rt} rt in {:.3}s ({:.0}/s, {:.0}x real time); bare madsim {b_rt} rt in {:.3}s ({:.0}/s, {:.0}x); bare madsim network (Endpoint, 1-5ms) {n_rt} rt in {:.3}s ({:.0}/s, {:.0}x)",
            l_t.as_secs_f64(),
            per_sec(l_rt, l_t),
            real_time(l_t),
            b_t.as_secs_f64(),
            per_sec(b_rt, b_t),
            real_time(b_t),
            n_t.as_secs_f64(),
            per_sec(n_rt, n_t),
            real_time(n_t),
        );
        layer_rates.push(per_sec(l_rt, l_t));
        bare_rates.push(per_sec(b_rt, b_t));
        layer_speed.push(real_time(l_t));
        bare_speed.push(real_time(b_t));
        net_speed.push(real_time(n_t));
    }
    let (layer, bare) = (median(layer_rates), median(bare_rates));
    println!(
        "madsim-overhead: layer={layer:.0} bare={bare:.0} ratio={:.2}",
        layer / bare
    );
    let (l, b, n) = (median(layer_speed), median(bare_speed), median(net_speed));
    println!(
        "speed on madsim (simulated time over wall time): madsim engine={l:.0}x bare madsim={b:.0}x bare madsim network={n:.0}x discrete/bare madsim={:.1}",
        discrete_speed / b
    );
}
