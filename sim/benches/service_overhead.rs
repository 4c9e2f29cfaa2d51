//! The async-service layer's cost against bare turmoil: the same ping-pong
//! (5 servers, 5 closed-loop clients, one TCP request per op, 20 s
//! simulated) run through `run_service` and as plain turmoil hosts.
//! Prints `service-overhead: layer=<sim s per wall s> bare=<..> ratio=<bare/layer>`.

use shakedown_sim::service::{ClientHandle, NodeHandle, Op, ServiceModel};
use shakedown_sim::workload::{OpKind, OpLimit, Workload};
use shakedown_sim::{run_service, ClientResponse, SimConfig};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use turmoil::net::{TcpListener, TcpStream};

const NODES: usize = 5;
const SIM_MS: u64 = 20_000;

async fn serve() -> std::io::Result<()> {
    let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 7000)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::task::spawn_local(async move {
            let (r, mut w) = stream.into_split();
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let _ = w.write_all(format!("{l}\n").as_bytes()).await;
            }
        });
    }
}

async fn ping(host: String) -> std::io::Result<String> {
    let stream = TcpStream::connect((host.as_str(), 7000)).await?;
    let (r, mut w) = stream.into_split();
    w.write_all(b"PING\n").await?;
    Ok(BufReader::new(r)
        .lines()
        .next_line()
        .await?
        .unwrap_or_default())
}

struct PingPong;
impl ServiceModel for PingPong {
    fn name(&self) -> &str {
        "ping-pong"
    }
    async fn serve(&self, _node: NodeHandle) -> std::io::Result<()> {
        serve().await
    }
    async fn call(&self, client: &ClientHandle, _op: Op) -> ClientResponse {
        match ping(client.node_name()).await {
            Ok(_) => ClientResponse::ok(shakedown_checkers::Value::Nil),
            Err(e) => ClientResponse::unknown(e.to_string()),
        }
    }
}

fn layer() -> (f64, usize) {
    let config = SimConfig {
        nodes: NODES,
        clients: NODES,
        workload: Workload {
            mix: vec![(OpKind::Read, 1)],
            limit: OpLimit::DurationMs(SIM_MS),
            ..Workload::default()
        },
        duration_ms: SIM_MS + 1000,
        ..SimConfig::default()
    };
    let start = Instant::now();
    let r = run_service(&config, PingPong).expect("runs");
    let sim_s = r.end_ns as f64 / 1e9;
    (sim_s / start.elapsed().as_secs_f64(), r.history.len() / 2)
}

fn bare() -> (f64, usize) {
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(SIM_MS + 2000))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(5))
        .rng_seed(1)
        .build();
    for i in 0..NODES {
        sim.host(format!("n{i}"), || async {
            serve().await.map_err(Into::into)
        });
    }
    let done = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let d = done.clone();
    sim.client("clients", async move {
        let tasks: Vec<_> = (0..NODES)
            .map(|c| {
                let d = d.clone();
                tokio::task::spawn_local(async move {
                    while turmoil::sim_elapsed().unwrap_or_default() < Duration::from_millis(SIM_MS)
                    {
                        let _ = tokio::time::timeout(
                            Duration::from_millis(1000),
                            ping(format!("n{c}")),
                        )
                        .await;
                        d.set(d.get() + 1);
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("runs");
    (
        SIM_MS as f64 / 1e3 / start.elapsed().as_secs_f64(),
        done.get(),
    )
}

/// Runs alternate (layer, bare, layer, ...) so that a busy machine slows
/// both alike; the medians are compared.
const REPS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let (mut ls, mut bs) = (Vec::new(), Vec::new());
    let (mut lops, mut bops) = (0, 0);
    for _ in 0..REPS {
        let (l, o) = layer();
        ls.push(l);
        lops = o;
        let (b, o) = bare();
        bs.push(b);
        bops = o;
    }
    let (l, b) = (median(ls), median(bs));
    println!("layer: {lops} ops, {l:.1} simulated s per wall s (median of {REPS})");
    println!("bare:  {bops} ops, {b:.1} simulated s per wall s (median of {REPS})");
    println!(
        "service-overhead: layer={l:.1} bare={b:.1} ratio={:.2}",
        b / l
    );
}
