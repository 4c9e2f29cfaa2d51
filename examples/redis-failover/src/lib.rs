//! A Redis-Sentinel-style failover store, written as an ordinary tokio
//! service over TCP (turmoil's sockets in the simulation), and registered
//! with Shakedown as an async service.
//!
//! Every node runs a data server and a sentinel (co-located, as in many
//! Sentinel deployments). `n0` starts as the primary. The primary applies a
//! `SET` at once, answers `OK`, and replicates to the replicas
//! asynchronously (plus a `REPLPING` every 100 ms that carries its latest
//! value and collects acknowledgements). A sentinel pings the primary every
//! 100 ms; after `down_after_ms` without an answer it asks the other
//! sentinels, and with a quorum of them agreeing it asks for votes in a new
//! epoch; with a majority of votes it promotes the replica with the highest
//! replication offset and announces the new configuration. A primary that
//! hears of a configuration with a higher epoch naming another node becomes
//! its replica and resynchronises from it, dropping whatever it acknowledged
//! in the meantime: Redis's documented lost-writes window.
//!
//! The protocol is one text line per request and per reply.

use serde::Deserialize;
use shakedown::models::Registry;
use shakedown_checkers::Value;
use shakedown_sim::service::{ClientHandle, NodeHandle, Op, ServiceModel};
use shakedown_sim::ClientResponse;
use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::{sleep, timeout, Instant};
// One source, two engines. This crate's `tokio` is madsim's shim
// (`madsim-tokio`): plain tokio in a normal build, madsim's simulated tokio
// in a `--cfg madsim` build. The sockets are turmoil's in a normal build
// (the turmoil engine) and `tokio::net`, that is madsim's, under madsim.
#[cfg(madsim)]
use tokio::net::{TcpListener, TcpStream};
#[cfg(not(madsim))]
use turmoil::net::{TcpListener, TcpStream};

/// The port every node listens on.
pub const PORT: u16 = 6379;

/// The models this crate registers, next to Shakedown's built-in ones.
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry.register_service(
        "redis-failover",
        "async tokio service: primary with async replication, sentinels that fail over (loses acknowledged writes)",
        RedisFailover::new,
    );
    registry.set_command("cargo run -p shakedown-redis-failover --bin redis-failover --");
    registry
}

/// Settings, named after Redis's own (`[cluster.settings]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `min-replicas-to-write`: the primary refuses writes unless this many
    /// replicas acknowledged within `min_replicas_max_lag_ms` (0: never refuse).
    #[serde(default)]
    pub min_replicas_to_write: usize,
    /// `min-replicas-max-lag`, in ms.
    #[serde(default = "default_max_lag_ms")]
    pub min_replicas_max_lag_ms: u64,
    /// `down-after-milliseconds`: how long the primary must be silent before
    /// a sentinel thinks it down.
    #[serde(default = "default_down_after_ms")]
    pub down_after_ms: u64,
    /// `failover-timeout`: the least time between two failover attempts of
    /// one sentinel.
    #[serde(default = "default_failover_timeout_ms")]
    pub failover_timeout_ms: u64,
    /// Sentinels that must agree the primary is down (default: a majority).
    #[serde(default)]
    pub quorum: Option<usize>,
    /// What clients store: `register` (one value: `read`/`write`, as
    /// `GET`/`SET`) or `set` (`add` and whole-set `read`, as `SADD` and
    /// `SMEMBERS`, checked with the `set` model: lost adds are exact).
    #[serde(default)]
    pub data: Data,
}

/// The data type clients use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Data {
    /// One integer register.
    #[default]
    Register,
    /// A set of integers.
    Set,
}

fn default_max_lag_ms() -> u64 {
    1000
}
fn default_down_after_ms() -> u64 {
    500
}
fn default_failover_timeout_ms() -> u64 {
    2000
}

/// The service: settings only; each node's state lives in its `serve`.
pub struct RedisFailover {
    settings: Settings,
}

impl RedisFailover {
    /// The service with these settings.
    pub fn new(settings: Settings) -> Self {
        RedisFailover { settings }
    }
}

/// One node's volatile state: data server and sentinel.
#[derive(Debug)]
struct State {
    /// Who this node believes is the primary, and in which epoch.
    primary: usize,
    epoch: u64,
    value: i64,
    /// The set (`SADD`), in insertion order.
    members: Vec<i64>,
    offset: u64,
    /// When each replica last acknowledged (primary only).
    acked: Vec<Option<Instant>>,
    /// When the sentinel last heard the primary answer.
    primary_seen: Instant,
    /// Highest epoch this sentinel voted in.
    voted_epoch: u64,
    last_failover: Option<Instant>,
}

async fn request(host: &str, line: &str, wait: Duration) -> Option<String> {
    let call = async {
        let stream = TcpStream::connect((host, PORT)).await.ok()?;
        let (r, mut w) = tokio::io::split(stream);
        w.write_all(format!("{line}\n").as_bytes()).await.ok()?;
        // madsim's TcpStream sends on flush only (a no-op on real sockets).
        w.flush().await.ok()?;
        BufReader::new(r).lines().next_line().await.ok()?
    };
    timeout(wait, call).await.ok().flatten()
}

/// A set on the wire: `1,5,9`, or `-` when empty.
fn members_text(members: &[i64]) -> String {
    if members.is_empty() {
        return "-".into();
    }
    let text: Vec<String> = members.iter().map(i64::to_string).collect();
    text.join(",")
}

fn members(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|m| m.parse().ok()).collect()
}

fn node_name(i: usize) -> String {
    format!("n{i}")
}

fn parse_node(s: &str) -> Option<usize> {
    s.strip_prefix('n')?.parse().ok()
}

impl ServiceModel for RedisFailover {
    fn name(&self) -> &str {
        "redis-failover"
    }

    fn validate(&self, nodes: usize) -> Result<(), String> {
        if nodes < 3 {
            return Err(format!(
                "{nodes} nodes: Sentinel needs at least 3 (a primary, a replica, a quorum)"
            ));
        }
        if self.settings.min_replicas_to_write >= nodes {
            return Err(format!(
                "`min_replicas_to_write` = {}: at most {} with {nodes} nodes",
                self.settings.min_replicas_to_write,
                nodes - 1
            ));
        }
        if self.settings.quorum.is_some_and(|q| q == 0 || q > nodes) {
            return Err(format!("`quorum` must be 1 to {nodes}"));
        }
        if self.settings.down_after_ms == 0 {
            return Err("`down_after_ms` is 0: use e.g. 500".into());
        }
        Ok(())
    }

    fn roles(&self) -> Vec<String> {
        vec!["primary".into()]
    }

    async fn serve(&self, node: NodeHandle) -> std::io::Result<()> {
        let me = node.id().index();
        let n = node.nodes().len();
        // Redis keeps the dataset in memory: a restarted node comes back
        // empty, as a replica of n0, and learns the real primary from the
        // sentinels' gossip.
        let state = Rc::new(RefCell::new(State {
            primary: 0,
            epoch: 0,
            value: 0,
            members: Vec::new(),
            offset: 0,
            acked: vec![None; n],
            primary_seen: Instant::now(),
            voted_epoch: 0,
            last_failover: None,
        }));
        if me == 0 && node.incarnation() == 0 {
            node.set_roles(&["primary"]);
        }
        let listener = TcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT)).await?;
        tokio::task::spawn_local(replicate(node.clone(), state.clone()));
        tokio::task::spawn_local(sentinel(node.clone(), state.clone(), self.settings.clone()));
        loop {
            let (stream, _) = listener.accept().await?;
            let (node, state, settings) = (node.clone(), state.clone(), self.settings.clone());
            tokio::task::spawn_local(async move {
                let (r, mut w) = tokio::io::split(stream);
                let mut lines = BufReader::new(r).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply = handle(&node, &state, &settings, &line);
                    let sent = w.write_all(format!("{reply}\n").as_bytes()).await;
                    if sent.is_err() || w.flush().await.is_err() {
                        break;
                    }
                }
            });
        }
    }

    async fn call(&self, client: &ClientHandle, op: Op) -> ClientResponse {
        let wait = Duration::from_millis(200);
        // Ask the sentinel next to us who the primary is, as a Redis client does.
        let Some(primary) = request(&client.node_name(), "GET-MASTER", wait).await else {
            return ClientResponse::fail("no sentinel answered");
        };
        let line = match (op.f.as_str(), self.settings.data) {
            ("read", Data::Register) => "GET".to_owned(),
            ("read", Data::Set) => "SMEMBERS".to_owned(),
            ("write", _) => format!("SET {}", op.value.as_int().unwrap_or(0)),
            ("add", _) => format!("SADD {}", op.value.as_int().unwrap_or(0)),
            (other, _) => return ClientResponse::fail(format!("unsupported op {other}")),
        };
        client.served_by(&primary);
        match request(&primary, &line, wait).await {
            None if op.f == "read" => ClientResponse::fail("no answer"),
            None => ClientResponse::unknown("no answer"),
            Some(reply) => match reply.split_once(' ') {
                Some(("VALUE", v)) => ClientResponse::ok(Value::Int(v.parse().unwrap_or(0))),
                Some(("MEMBERS", m)) => {
                    ClientResponse::ok(Value::Set(members(m).into_iter().map(Value::Int).collect()))
                }
                Some(("ERR", e)) => ClientResponse::fail(e.to_owned()),
                _ if reply == "OK" => ClientResponse::ok(op.value),
                _ => ClientResponse::unknown(format!("unexpected reply {reply}")),
            },
        }
    }
}

/// One request line in, one reply line out.
fn handle(
    node: &NodeHandle,
    state: &Rc<RefCell<State>>,
    settings: &Settings,
    line: &str,
) -> String {
    let me = node.id().index();
    let mut s = state.borrow_mut();
    let words: Vec<&str> = line.split(' ').collect();
    match words.as_slice() {
        ["GET"] if s.primary == me => format!("VALUE {}", s.value),
        ["SMEMBERS"] if s.primary == me => format!("MEMBERS {}", members_text(&s.members)),
        ["GET"] | ["SMEMBERS"] | ["SET", _] | ["SADD", _] if s.primary != me => {
            "ERR READONLY".into()
        }
        [cmd @ ("SET" | "SADD"), v] => {
            let lag = Duration::from_millis(settings.min_replicas_max_lag_ms);
            let fresh = s
                .acked
                .iter()
                .filter(|a| a.is_some_and(|t| t.elapsed() <= lag))
                .count();
            if fresh < settings.min_replicas_to_write {
                return "ERR NOREPLICAS".into();
            }
            let v = v.parse().unwrap_or(0);
            if *cmd == "SET" {
                s.value = v;
            } else if !s.members.contains(&v) {
                s.members.push(v);
            }
            s.offset += 1;
            "OK".into()
        }
        // Replication: accept from the node we follow, if newer.
        ["REPL", from, offset, v, m] => {
            let (from, offset) = (parse_node(from), offset.parse::<u64>().unwrap_or(0));
            if s.primary != me && from == Some(s.primary) && offset > s.offset {
                s.offset = offset;
                s.value = v.parse().unwrap_or(0);
                s.members = members(m);
            }
            format!("ACK {}", s.offset)
        }
        ["INFO"] => format!(
            "ROLE {} {}",
            if s.primary == me {
                "primary"
            } else {
                "replica"
            },
            s.offset
        ),
        ["GET-MASTER"] => node_name(s.primary),
        ["SDOWN?", p] => {
            let down = parse_node(p) == Some(s.primary)
                && s.primary_seen.elapsed() > Duration::from_millis(settings.down_after_ms);
            if down { "YES" } else { "NO" }.into()
        }
        ["VOTE", epoch] => {
            let epoch = epoch.parse::<u64>().unwrap_or(0);
            if epoch > s.voted_epoch && epoch > s.epoch {
                s.voted_epoch = epoch;
                "YES".into()
            } else {
                "NO".into()
            }
        }
        ["CONFIG", epoch, p] => {
            let (epoch, p) = (epoch.parse::<u64>().unwrap_or(0), parse_node(p));
            if let Some(p) = p.filter(|_| epoch > s.epoch) {
                adopt(node, &mut s, epoch, p);
            }
            "OK".into()
        }
        _ => "ERR unknown command".into(),
    }
}

/// Adopts a newer configuration. A primary demoted here resynchronises
/// from scratch: what it acknowledged since the failover is gone.
fn adopt(node: &NodeHandle, s: &mut State, epoch: u64, primary: usize) {
    let me = node.id().index();
    s.epoch = epoch;
    if s.primary != primary {
        s.primary = primary;
        s.primary_seen = Instant::now();
        if primary == me {
            node.set_roles(&["primary"]);
        } else {
            node.set_roles(&[]);
            s.offset = 0; // full resync from the new primary
        }
    }
    node.gauge("epoch", epoch as f64);
}

/// The primary pushes its latest value to every replica every 100 ms and
/// records who acknowledged.
async fn replicate(node: NodeHandle, state: Rc<RefCell<State>>) {
    let me = node.id().index();
    let peers = node.nodes().len();
    loop {
        sleep(Duration::from_millis(100)).await;
        let (primary, offset, value, members) = {
            let s = state.borrow();
            (s.primary, s.offset, s.value, members_text(&s.members))
        };
        if primary != me {
            continue;
        }
        for r in (0..peers).filter(|&r| r != me) {
            let (state, line) = (
                state.clone(),
                format!("REPL n{me} {offset} {value} {members}"),
            );
            tokio::task::spawn_local(async move {
                if let Some(reply) = request(&node_name(r), &line, Duration::from_millis(100)).await
                {
                    if reply.starts_with("ACK") {
                        state.borrow_mut().acked[r] = Some(Instant::now());
                    }
                }
            });
        }
    }
}

/// The sentinel: watch the primary, agree it is down, elect a leader,
/// promote the best replica, and gossip the configuration.
async fn sentinel(node: NodeHandle, state: Rc<RefCell<State>>, settings: Settings) {
    let me = node.id().index();
    let n = node.nodes().len();
    let quorum = settings.quorum.unwrap_or(n / 2 + 1);
    let wait = Duration::from_millis(50);
    loop {
        sleep(Duration::from_millis(100)).await;
        let (primary, epoch) = {
            let s = state.borrow();
            (s.primary, s.epoch)
        };
        // Gossip our configuration (Sentinel's hello messages); a node on
        // an older epoch adopts it.
        for p in (0..n).filter(|&p| p != me) {
            let line = format!("CONFIG {epoch} n{primary}");
            tokio::task::spawn_local(async move {
                request(&node_name(p), &line, Duration::from_millis(50)).await;
            });
        }
        if primary == me {
            state.borrow_mut().primary_seen = Instant::now();
            continue;
        }
        if request(&node_name(primary), "INFO", wait).await.is_some() {
            state.borrow_mut().primary_seen = Instant::now();
            continue;
        }
        let (seen, last_failover) = {
            let s = state.borrow();
            (s.primary_seen, s.last_failover)
        };
        if seen.elapsed() <= Duration::from_millis(settings.down_after_ms) {
            continue;
        }
        if last_failover
            .is_some_and(|t| t.elapsed() < Duration::from_millis(settings.failover_timeout_ms))
        {
            continue;
        }
        // Subjectively down: is it objectively down?
        let mut agree = 1;
        for p in (0..n).filter(|&p| p != me && p != primary) {
            if request(&node_name(p), &format!("SDOWN? n{primary}"), wait)
                .await
                .as_deref()
                == Some("YES")
            {
                agree += 1;
            }
        }
        if agree < quorum {
            continue;
        }
        // Ask for votes in a new epoch.
        let new_epoch = {
            let mut s = state.borrow_mut();
            s.last_failover = Some(Instant::now());
            let e = s.epoch.max(s.voted_epoch) + 1;
            s.voted_epoch = e;
            e
        };
        let mut votes = 1;
        for p in (0..n).filter(|&p| p != me) {
            if request(&node_name(p), &format!("VOTE {new_epoch}"), wait)
                .await
                .as_deref()
                == Some("YES")
            {
                votes += 1;
            }
        }
        if votes < n / 2 + 1 {
            continue;
        }
        // Promote the replica with the highest offset (ties: lowest index).
        let mut best: Option<(u64, usize)> = None;
        for r in (0..n).filter(|&r| r != primary) {
            let info = if r == me {
                Some(format!("ROLE replica {}", state.borrow().offset))
            } else {
                request(&node_name(r), "INFO", wait).await
            };
            let offset =
                info.and_then(|i| i.rsplit(' ').next().and_then(|o| o.parse::<u64>().ok()));
            if let Some(o) = offset {
                if best.is_none_or(|(bo, _)| o > bo) {
                    best = Some((o, r));
                }
            }
        }
        let Some((_, chosen)) = best else { continue };
        tracing::info!(
            sentinel = me,
            epoch = new_epoch,
            old = primary,
            new = chosen,
            "failover"
        );
        adopt(&node, &mut state.borrow_mut(), new_epoch, chosen);
        let line = format!("CONFIG {new_epoch} n{chosen}");
        for p in (0..n).filter(|&p| p != me) {
            request(&node_name(p), &line, wait).await;
        }
    }
}
