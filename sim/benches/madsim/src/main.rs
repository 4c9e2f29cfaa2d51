//! Bare madsim on the same ping-pong as `cargo bench -p shakedown-sim
//! --bench overhead`: 5 server hosts and 5 client hosts; client `i` pings
//! server `i` and waits for the pong before the next ping, for 60 s of
//! simulated time, links of 1–5 ms. Prints simulated time over wall time.

use madsim::net::Endpoint;
use madsim::runtime::Runtime;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const PAIRS: usize = 5;
const SIM_SECS: u64 = 60;

fn main() {
    let mut best = f64::MAX;
    let mut trips = 0;
    for seed in 0..3u64 {
        let mut config = madsim::Config::default();
        config.net.send_latency = Duration::from_millis(1)..Duration::from_millis(5);
        let rt = Runtime::with_seed_and_config(seed, config);
        let started = Instant::now();
        let done = rt.block_on(async move {
            let handle = madsim::runtime::Handle::current();
            let mut clients = Vec::new();
            for i in 0..PAIRS {
                let server: SocketAddr = format!("10.0.0.{}:1", i + 1).parse().unwrap();
                let client: SocketAddr = format!("10.0.1.{}:1", i + 1).parse().unwrap();
                let s = handle.create_node().ip(server.ip()).build();
                s.spawn(async move {
                    let ep = Endpoint::bind(server).await.unwrap();
                    let mut buf = [0u8; 8];
                    loop {
                        let (_, from) = ep.recv_from(1, &mut buf).await.unwrap();
                        ep.send_to(from, 2, &buf).await.unwrap();
                    }
                });
                let c = handle.create_node().ip(client.ip()).build();
                clients.push(c.spawn(async move {
                    // Let the server bind first.
                    madsim::time::sleep(Duration::from_millis(1)).await;
                    let ep = Endpoint::bind(client).await.unwrap();
                    let end = madsim::time::Instant::now() + Duration::from_secs(SIM_SECS);
                    let mut buf = [0u8; 8];
                    let mut n = 0u64;
                    while madsim::time::Instant::now() < end {
                        ep.send_to(server, 1, &n.to_le_bytes()).await.unwrap();
                        ep.recv_from(2, &mut buf).await.unwrap();
                        n += 1;
                    }
                    n
                }));
            }
            let mut total = 0;
            for c in clients {
                total += c.await.unwrap();
            }
            total
        });
        let wall = started.elapsed().as_secs_f64();
        best = best.min(wall);
        trips = done;
    }
    println!(
        "bare madsim: {trips} round trips in {SIM_SECS} s simulated, best wall {best:.3} s: {:.0}x real time, {:.0} round trips/s",
        SIM_SECS as f64 / best,
        trips as f64 / best
    );
}
