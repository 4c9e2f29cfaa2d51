// The tests of `nemesis_faults.rs`, included once per engine (`Cluster`
// names the engine's cluster type there).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shakedown_nemesis::{Cut, Distribution, Event, Fault, Latency, Schedule, SimDuration, Target};
use shakedown_sim::node::{
    ClientRequest, ClientResponse, ClusterModel, Ctx, Node, NodeId, NodeInit, TimerId,
};
use shakedown_sim::{Control, SimConfig};

const NODES: usize = 5;

/// The probe model: `period_ms` between rounds of pings.
struct Probe {
    period_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ping {
    seq: u64,
    sent_ns: i64,
}

/// A ping as the receiver saw it.
#[derive(Debug, Clone, Copy)]
struct Received {
    from: usize,
    seq: u64,
    sent_ns: i64,
    recv_ns: i64,
}

struct ProbeNode {
    id: usize,
    incarnation: u32,
    period: Duration,
    seq: u64,
    /// (to, seq, sent_ns) of every ping sent in this life.
    sent: Vec<(usize, u64, i64)>,
    received: Vec<Received>,
    /// Clock reading at every callback in this life.
    callbacks: Vec<i64>,
    /// (`synced`, `unsynced`) as storage held them when this life started.
    started_with: (Option<u64>, Option<u64>),
}

impl Node for ProbeNode {
    type Message = Ping;
    type Timer = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.callbacks.push(ctx.now().as_nanos());
        let synced = ctx.storage().get_json::<u64>("synced").ok().flatten();
        let unsynced = ctx.storage().get_json::<u64>("unsynced").ok().flatten();
        self.started_with = (synced, unsynced);
        self.seq = synced.unwrap_or(0);
        ctx.set_timer(self.period, ());
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Ping) {
        let now = ctx.now().as_nanos();
        self.callbacks.push(now);
        self.received.push(Received {
            from: from.index(),
            seq: msg.seq,
            sent_ns: msg.sent_ns,
            recv_ns: now,
        });
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _: TimerId, _: ()) {
        let now = ctx.now().as_nanos();
        self.callbacks.push(now);
        self.seq += 1;
        let peers: Vec<NodeId> = ctx.peers().collect();
        for to in peers {
            ctx.send(
                to,
                Ping {
                    seq: self.seq,
                    sent_ns: now,
                },
            );
            self.sent.push((to.index(), self.seq, now));
        }
        // Each round: write and sync `synced`, then write `unsynced` and
        // leave it unsynced until the next round's sync.
        let seq = self.seq;
        let storage = ctx.storage();
        storage.put_json("synced", &seq).expect("u64 encodes");
        storage.sync();
        storage.put_json("unsynced", &seq).expect("u64 encodes");
        ctx.set_timer(self.period, ());
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        ctx.respond(req.id, ClientResponse::fail("the probe serves no clients"));
    }

    /// Node 3 claims to lead, so that role targets have something to hit.
    fn roles(&self) -> Vec<String> {
        if self.id == 3 {
            vec!["leader".to_string()]
        } else {
            Vec::new()
        }
    }
}

impl ClusterModel for Probe {
    type Node = ProbeNode;

    fn name(&self) -> &str {
        "probe"
    }

    fn roles(&self) -> Vec<String> {
        vec!["leader".to_string()]
    }

    fn build(&self, init: &NodeInit<'_>) -> ProbeNode {
        ProbeNode {
            id: init.id.index(),
            incarnation: init.incarnation,
            period: Duration::from_millis(self.period_ms),
            seq: 0,
            sent: Vec::new(),
            received: Vec::new(),
            callbacks: Vec::new(),
            started_with: (None, None),
        }
    }
}

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

const MS: i64 = 1_000_000;

fn cluster(schedule: Vec<Event>, period_ms: u64, seed: u64) -> Cluster<Probe> {
    let config = SimConfig {
        seed,
        nodes: NODES,
        clients: 0,
        duration_ms: 60_000,
        nemesis: Some(Schedule::new(schedule)),
        ..SimConfig::default()
    };
    Cluster::new(&config, Probe { period_ms }).expect("valid config")
}

fn run_until(c: &mut Cluster<Probe>, sim_ms: i64) {
    let left = (sim_ms * MS - c.now_ns()).max(0);
    c.run_for(Duration::from_nanos(left as u64)).expect("run");
}

fn node<R>(c: &Cluster<Probe>, i: usize, f: impl FnOnce(&ProbeNode) -> R) -> R {
    c.inspect(NodeId::from_index(i), |n| f(n.expect("node is up")))
}

fn all_received(c: &Cluster<Probe>) -> Vec<(usize, Received)> {
    (0..NODES)
        .flat_map(|i| {
            node(c, i, |n| {
                n.received.iter().map(|r| (n.id, *r)).collect::<Vec<_>>()
            })
        })
        .collect()
}

/// The cut the engine has in force now.
fn engine_cut(c: &Cluster<Probe>) -> Cut {
    let mut cut = Cut::none();
    for (a, b) in c.cut() {
        cut.add_link(a.index(), b.index());
    }
    cut
}

/// For each partition shape: while the partition holds (1 s to 3 s), no
/// message crosses a cut link and every other link still carries messages;
/// after the heal every link carries messages again.
#[test]
fn partitions_drop_exactly_the_cut_links() {
    let shapes = vec![
        Fault::RandomHalves,
        Fault::Isolate {
            target: Target::One,
        },
        Fault::MajoritiesRing,
        Fault::Bridge,
        Fault::OneWay {
            from: Target::Node(0),
            to: None,
        },
        Fault::Groups {
            groups: vec![vec![0, 1], vec![2, 3, 4]],
        },
    ];
    for (seed, shape) in shapes.into_iter().enumerate() {
        let name = shape.name().to_string();
        let mut c = cluster(
            vec![Event::with_duration(ms(1000), shape, ms(2000))],
            5,
            seed as u64,
        );
        run_until(&mut c, 1500);
        let cut = engine_cut(&c);
        assert!(!cut.is_empty(), "{name}: empty cut");
        match name.as_str() {
            "one-way" => assert_eq!(cut, Cut::one_way(&[0], &[1, 2, 3, 4])),
            "groups" => assert_eq!(cut, Cut::groups(&[vec![0, 1], vec![2, 3, 4]])),
            "majorities-ring" => {
                for (node, sees) in cut.visible(NODES).iter().enumerate() {
                    assert_eq!(sees.len(), 3, "n{node} sees a majority");
                }
            }
            _ => {}
        }
        run_until(&mut c, 4000);
        assert!(c.cut().is_empty(), "{name}: healed after its duration");

        let mut during: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut after: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (to, r) in all_received(&c) {
            if (1000 * MS..3000 * MS).contains(&r.recv_ns) {
                assert!(
                    !cut.blocks(r.from, to),
                    "{name}: n{} -> n{to} delivered at {} ms across the cut",
                    r.from,
                    r.recv_ns / MS
                );
                *during.entry((r.from, to)).or_default() += 1;
            }
            if r.sent_ns >= 3000 * MS {
                *after.entry((r.from, to)).or_default() += 1;
            }
        }
        for from in 0..NODES {
            for to in (0..NODES).filter(|t| *t != from) {
                if !cut.blocks(from, to) {
                    assert!(
                        during.get(&(from, to)).copied().unwrap_or(0) > 100,
                        "{name}: n{from} -> n{to} starved"
                    );
                }
                assert!(
                    after.get(&(from, to)).copied().unwrap_or(0) > 100,
                    "{name}: n{from} -> n{to} not healed"
                );
            }
        }
    }
}

/// One-way: node 0's messages to the others are dropped, the others'
/// messages to node 0 still arrive.
#[test]
fn one_way_lets_only_the_other_direction_through() {
    let fault = Fault::OneWay {
        from: Target::Node(0),
        to: None,
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), fault, ms(2000))], 5, 11);
    run_until(&mut c, 3000);
    let window = 1000 * MS..3000 * MS;
    for to in 1..NODES {
        let from_0 = node(&c, to, |n| {
            n.received
                .iter()
                .filter(|r| r.from == 0 && window.contains(&r.recv_ns))
                .count()
        });
        assert_eq!(from_0, 0, "n0 -> n{to} should be cut");
    }
    let to_0 = node(&c, 0, |n| {
        let mut per_sender = [0usize; NODES];
        for r in n.received.iter().filter(|r| window.contains(&r.recv_ns)) {
            per_sender[r.from] += 1;
        }
        per_sender
    });
    for (from, count) in to_0.iter().enumerate().skip(1) {
        assert!(*count > 300, "n{from} -> n0 should flow, saw {count}");
    }
}

/// Crash: while down the node has no volatile state; its storage keeps the
/// synced writes and loses the unsynced one; it restarts from storage with
/// fresh volatile state.
#[test]
fn crash_loses_volatile_state_and_unsynced_writes_only() {
    let crash = Fault::Crash {
        target: Target::Node(1),
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), crash, ms(1000))], 5, 3);
    run_until(&mut c, 999);
    let (seq_before, received_before) = node(&c, 1, |n| (n.seq, n.received.len()));
    assert!(seq_before > 100 && received_before > 100);
    let storage = c.storage(NodeId(1)).expect("node exists");
    assert!(
        storage.unsynced_writes() > 0,
        "the probe leaves its last write unsynced"
    );

    run_until(&mut c, 1500);
    assert!(
        c.inspect(NodeId(1), |n| n.is_none()),
        "volatile state is gone while crashed"
    );
    let storage = c.storage(NodeId(1)).expect("node exists");
    let synced: u64 = storage
        .get_json("synced")
        .unwrap()
        .expect("synced write kept");
    let unsynced: u64 = storage
        .get_json("unsynced")
        .unwrap()
        .expect("older synced value kept");
    assert!(
        synced >= seq_before,
        "synced writes survive: {synced} < {seq_before}"
    );
    assert_eq!(
        unsynced,
        synced - 1,
        "the last unsynced write is lost, the one before it (synced) is kept"
    );
    assert_eq!(storage.unsynced_writes(), 0);

    run_until(&mut c, 2500);
    let (incarnation, started_with, first_recv, seq) = node(&c, 1, |n| {
        (
            n.incarnation,
            n.started_with,
            n.received.first().map(|r| r.recv_ns),
            n.seq,
        )
    });
    assert_eq!(incarnation, 1);
    assert_eq!(started_with, (Some(synced), Some(synced - 1)));
    assert!(
        first_recv.is_some_and(|t| t >= 2000 * MS),
        "received list starts after the restart: {first_recv:?}"
    );
    assert!(seq > synced, "continues from durable state");
}

/// Pause: the node handles nothing while paused; everything sent to it
/// meanwhile is handled after the resume, and the others keep running.
#[test]
fn pause_defers_everything_to_the_resume() {
    let pause = Fault::Pause {
        target: Target::Node(2),
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), pause, ms(1000))], 5, 5);
    run_until(&mut c, 3000);
    let window = 1000 * MS..2000 * MS;
    let (callbacks_in_pause, received) = node(&c, 2, |n| {
        (
            n.callbacks.iter().filter(|t| window.contains(t)).count(),
            n.received.clone(),
        )
    });
    assert_eq!(callbacks_in_pause, 0, "a paused node handles nothing");

    let mut sent_during: BTreeSet<(usize, u64)> = BTreeSet::new();
    for from in (0..NODES).filter(|n| *n != 2) {
        node(&c, from, |n| {
            for &(to, seq, at) in &n.sent {
                if to == 2 && window.contains(&at) {
                    sent_during.insert((from, seq));
                }
            }
        });
    }
    assert!(
        sent_during.len() > 500,
        "others kept sending: {}",
        sent_during.len()
    );
    let got: BTreeMap<(usize, u64), i64> = received
        .iter()
        .map(|r| ((r.from, r.seq), r.recv_ns))
        .collect();
    for key in &sent_during {
        let at = got
            .get(key)
            .unwrap_or_else(|| panic!("ping {key:?} sent to paused n2 never handled"));
        assert!(
            *at >= 2000 * MS,
            "ping {key:?} handled at {} ms, during the pause",
            at / MS
        );
    }
    // The others went on talking among themselves.
    let n0_in_pause = node(&c, 0, |n| {
        n.received
            .iter()
            .filter(|r| window.contains(&r.recv_ns) && r.from != 2)
            .count()
    });
    assert!(n0_in_pause > 500);
}

/// Clock faults move the target's clock as specified and no other clock.
#[test]
fn clock_faults_move_only_their_targets_clock() {
    let schedule = vec![
        Event::new(
            ms(1000),
            Fault::ClockBump {
                target: Target::Node(1),
                offset_ms: 5000,
            },
        ),
        Event::with_duration(
            ms(1000),
            Fault::ClockDrift {
                target: Target::Node(2),
                rate: 2.0,
            },
            ms(2000),
        ),
        Event::new(
            ms(1000),
            Fault::ClockStrobe {
                target: Target::Node(3),
                offset_ms: 300,
                period_ms: 100,
                duration_ms: 1000,
            },
        ),
        Event::new(
            ms(2500),
            Fault::ClockBump {
                target: Target::Node(4),
                offset_ms: -700,
            },
        ),
        Event::new(
            ms(3500),
            Fault::ClockReset {
                target: Target::Node(4),
            },
        ),
    ];
    let mut c = cluster(schedule, 5, 8);
    // Sample at 25 ms past every 50 ms, away from fault instants.
    let mut t = 25;
    while t < 4000 {
        run_until(&mut c, t);
        let now = c.now_ns();
        let offset = |i: usize| c.clock(NodeId::from_index(i)).expect("node").as_nanos() - now;
        assert_eq!(offset(0), 0, "n0 untouched at {t} ms");
        let want1 = if t >= 1000 { 5000 * MS } else { 0 };
        assert_eq!(offset(1), want1, "n1 bumped at {t} ms");
        let want2 = if (1000..3000).contains(&t) {
            now - 1000 * MS
        } else {
            0
        };
        assert!(
            (offset(2) - want2).abs() <= 1_000,
            "n2 drifts 2x at {t} ms: {} vs {want2}",
            offset(2)
        );
        let k = (t - 1000).div_euclid(100);
        let want3 = if t >= 1000 && k < 9 && k % 2 == 0 {
            300 * MS
        } else {
            0
        };
        assert_eq!(offset(3), want3, "n3 strobes at {t} ms");
        let want4 = if (2500..3500).contains(&t) {
            -700 * MS
        } else {
            0
        };
        assert_eq!(offset(4), want4, "n4 bumped back at {t} ms");
        t += 50;
    }
    // The node itself reads the bumped clock.
    let last = node(&c, 1, |n| n.callbacks.last().copied().unwrap_or_default());
    assert!(
        last > 3900 * MS + 5000 * MS - 10 * MS,
        "n1 reads its own skewed clock: {last}"
    );
}

/// Pings sent in `[from_ms, to_ms)` and how often each arrived, with its delay.
fn traffic(c: &Cluster<Probe>, from_ms: i64, to_ms: i64) -> (usize, Vec<usize>, Vec<i64>) {
    let window = from_ms * MS..to_ms * MS;
    let mut sent: BTreeMap<(usize, usize, u64), usize> = BTreeMap::new();
    for i in 0..NODES {
        node(c, i, |n| {
            for &(to, seq, at) in &n.sent {
                if window.contains(&at) {
                    sent.insert((i, to, seq), 0);
                }
            }
        });
    }
    let mut delays = Vec::new();
    for (to, r) in all_received(c) {
        if let Some(count) = sent.get_mut(&(r.from, to, r.seq)) {
            *count += 1;
            delays.push(r.recv_ns - r.sent_ns);
        }
    }
    let total = sent.len();
    (total, sent.into_values().collect(), delays)
}

#[test]
fn packet_loss_rate_is_within_tolerance() {
    let loss = Fault::PacketLoss {
        target: Target::All,
        rate: 0.2,
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), loss, ms(3000))], 2, 21);
    run_until(&mut c, 4500);
    let (total, counts, _) = traffic(&c, 1100, 3900);
    assert!(total >= 10_000, "only {total} messages");
    let lost = counts.iter().filter(|c| **c == 0).count() as f64 / total as f64;
    println!("packet-loss: configured 0.2, measured {lost:.4} over {total} messages");
    assert!(
        (lost - 0.2).abs() <= 0.02,
        "loss {lost:.4} over {total} messages, configured 0.2"
    );
    // Before and after the window nothing is lost.
    let (_, before, _) = traffic(&c, 100, 900);
    let (_, after, _) = traffic(&c, 4100, 4400);
    assert!(before.iter().chain(&after).all(|c| *c == 1));
}

#[test]
fn packet_loss_on_one_node_spares_the_other_links() {
    let loss = Fault::PacketLoss {
        target: Target::Node(0),
        rate: 0.5,
    };
    let mut c = cluster(vec![Event::with_duration(ms(500), loss, ms(2000))], 2, 22);
    run_until(&mut c, 2600);
    let window = 600 * MS..2400 * MS;
    let mut sent: BTreeMap<(usize, usize, u64), usize> = BTreeMap::new();
    for i in 0..NODES {
        node(&c, i, |n| {
            for &(to, seq, _) in n.sent.iter().filter(|s| window.contains(&s.2)) {
                sent.insert((i, to, seq), 0);
            }
        });
    }
    for (to, r) in all_received(&c) {
        if let Some(n) = sent.get_mut(&(r.from, to, r.seq)) {
            *n += 1;
        }
    }
    let (mut touching, mut touching_lost, mut other_lost) = (0usize, 0usize, 0usize);
    for ((from, to, _), n) in &sent {
        if *from == 0 || *to == 0 {
            touching += 1;
            touching_lost += usize::from(*n == 0);
        } else {
            other_lost += usize::from(*n == 0);
        }
    }
    assert_eq!(other_lost, 0, "links not touching n0 lose nothing");
    let rate = touching_lost as f64 / touching as f64;
    println!("packet-loss on n0: configured 0.5, measured {rate:.4} over {touching} messages; other links lost {other_lost}");
    assert!(
        (rate - 0.5).abs() <= 0.03,
        "loss on n0's links {rate:.4} over {touching}"
    );
}

#[test]
fn packet_duplicate_rate_is_within_tolerance() {
    let dup = Fault::PacketDuplicate {
        target: Target::All,
        rate: 0.1,
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), dup, ms(3000))], 2, 23);
    run_until(&mut c, 4500);
    let (total, counts, _) = traffic(&c, 1100, 3900);
    assert!(total >= 10_000, "only {total} messages");
    assert!(
        counts.iter().all(|c| (1..=2).contains(c)),
        "each ping arrives once or twice"
    );
    let twice = counts.iter().filter(|c| **c == 2).count() as f64 / total as f64;
    println!("packet-duplicate: configured 0.1, measured {twice:.4} over {total} messages");
    assert!(
        (twice - 0.1).abs() <= 0.02,
        "duplication {twice:.4} over {total}, configured 0.1"
    );
}

#[test]
fn packet_delay_follows_its_distribution_and_reorders() {
    let delay = Fault::PacketDelay {
        target: Target::All,
        latency: Latency {
            latency_ms: 20,
            jitter_ms: 10,
            distribution: Distribution::Uniform,
        },
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), delay, ms(3000))], 2, 24);
    run_until(&mut c, 4500);
    let (total, counts, delays) = traffic(&c, 1100, 3900);
    assert!(total >= 10_000, "only {total} messages");
    assert!(
        counts.iter().all(|c| *c == 1),
        "delay loses and duplicates nothing"
    );
    let (lo, hi) = (
        delays.iter().min().copied().unwrap_or(0),
        delays.iter().max().copied().unwrap_or(0),
    );
    assert!(
        lo >= 20 * MS && hi <= 31 * MS,
        "delays {lo}..{hi} ns outside 20..30 ms (+1 ms tick)"
    );
    let mean = delays.iter().sum::<i64>() as f64 / delays.len() as f64 / MS as f64;
    println!("packet-delay: configured 20..30 ms uniform, measured {:.3}..{:.3} ms, mean {mean:.3} ms over {total} messages", lo as f64 / 1e6, hi as f64 / 1e6);
    assert!(
        (mean - 25.0).abs() <= 1.0,
        "mean delay {mean:.3} ms, configured 25 ms"
    );

    // Jitter reorders: some ping arrives before an earlier one on the same link.
    let mut reordered = 0;
    for to in 0..NODES {
        node(&c, to, |n| {
            let mut last: BTreeMap<usize, u64> = BTreeMap::new();
            for r in &n.received {
                let prev = last.entry(r.from).or_insert(0);
                if r.seq < *prev {
                    reordered += 1;
                } else {
                    *prev = r.seq;
                }
            }
        });
    }
    println!("packet-delay: {reordered} pings overtaken");
    assert!(
        reordered > 100,
        "jitter should reorder pings, saw {reordered}"
    );
}

/// A generated schedule drives the engine to a healed cluster: every node up,
/// no cut, clocks true, after the final heal.
#[test]
fn generated_schedule_ends_healed_on_the_engine() {
    let config = shakedown_nemesis::GeneratorConfig {
        interval: SimDuration::from_secs(2),
        jitter: SimDuration::from_secs(1),
        recovery: SimDuration::from_secs(2),
        ..shakedown_nemesis::GeneratorConfig::default()
    };
    let g = shakedown_nemesis::generate(&config, NODES, SimDuration::from_secs(20), 77)
        .expect("generates");
    let mut c = cluster(g.schedule.events.clone(), 10, 77);
    run_until(&mut c, (g.quiet_until.as_millis()) as i64);
    for i in 0..NODES {
        let id = NodeId::from_index(i);
        assert_eq!(c.status(id).unwrap(), shakedown_sim::NodeStatus::Up, "n{i}");
        assert_eq!(c.clock(id).unwrap().as_nanos(), c.now_ns(), "n{i} clock");
    }
    assert!(c.cut().is_empty());
    let kinds: BTreeSet<&str> = c.nemesis_log().iter().map(|e| e.f.as_str()).collect();
    assert!(kinds.len() >= 5, "a mix of faults ran: {kinds:?}");
    // Every node hears from every other in the quiet window.
    let quiet_from = g.healed_at.as_millis() as i64 * MS + 500 * MS;
    for (to, heard) in (0..NODES).map(|i| {
        (
            i,
            node(&c, i, |n| {
                n.received
                    .iter()
                    .filter(|r| r.recv_ns >= quiet_from)
                    .map(|r| r.from)
                    .collect::<BTreeSet<_>>()
            }),
        )
    }) {
        assert_eq!(heard.len(), NODES - 1, "n{to} heard from {heard:?}");
    }
}

/// Each fault window goes into the history as two nemesis `info` events,
/// `:phase :start` and `:phase :stop`, naming the fault and its nodes.
#[test]
fn fault_windows_are_recorded_in_the_history() {
    use shakedown_checkers::{EventType, Process, Value};
    let crash = Fault::Crash {
        target: Target::Node(3),
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), crash, ms(500))], 5, 9);
    run_until(&mut c, 2000);
    let history = c.history();
    let nemesis: Vec<_> = history
        .events
        .iter()
        .filter(|e| e.process == Process::nemesis())
        .collect();
    assert_eq!(nemesis.len(), 2, "{nemesis:#?}");
    let phase = |e: &shakedown_checkers::Event| {
        e.extra
            .iter()
            .find(|(k, _)| *k == Value::keyword("phase"))
            .map(|(_, v)| v.clone())
    };
    for (e, want_phase, want_ns) in [
        (nemesis[0], "start", 1000 * MS),
        (nemesis[1], "stop", 1500 * MS),
    ] {
        assert_eq!(e.kind, EventType::Info);
        assert_eq!(e.f, "crash");
        assert_eq!(phase(e), Some(Value::keyword(want_phase)));
        assert_eq!(e.time_ns, Some(want_ns));
        let Value::Map(fields) = &e.value else {
            panic!("nemesis value is a map: {e:?}")
        };
        let nodes = fields
            .iter()
            .find(|(k, _)| *k == Value::keyword("nodes"))
            .map(|(_, v)| v.clone());
        assert_eq!(nodes, Some(Value::Vector(vec![Value::Int(3)])));
    }
}

/// The same generated schedule and seed give the same nemesis log and the
/// same traffic on the engine; another seed gives another log.
#[test]
fn generated_faults_replay_exactly_on_the_engine() {
    let config = shakedown_nemesis::GeneratorConfig {
        interval: SimDuration::from_secs(1),
        jitter: SimDuration::from_millis(500),
        ..shakedown_nemesis::GeneratorConfig::default()
    };
    let run = |seed: u64| {
        let g = shakedown_nemesis::generate(&config, NODES, SimDuration::from_secs(8), seed)
            .expect("generates");
        let mut c = cluster(g.schedule.events, 10, seed);
        run_until(&mut c, 9000);
        let received: Vec<(usize, usize, u64, i64)> = all_received(&c)
            .into_iter()
            .map(|(to, r)| (to, r.from, r.seq, r.recv_ns))
            .collect();
        (c.nemesis_log().to_vec(), received)
    };
    let a = run(5);
    assert!(a.0.len() > 10, "faults ran: {}", a.0.len());
    assert_eq!(a, run(5));
    assert_ne!(a.0, run(6).0);
}

/// A role target resolves, when the fault starts, to the nodes the model
/// says hold the role; an unknown role is refused before the run.
#[test]
fn role_targets_hit_the_nodes_holding_the_role() {
    use shakedown_sim::NodeStatus;
    let crash = Fault::Crash {
        target: Target::Role("leader".into()),
    };
    let mut c = cluster(vec![Event::with_duration(ms(1000), crash, ms(1000))], 5, 12);
    run_until(&mut c, 1500);
    for i in 0..NODES {
        let want = if i == 3 {
            NodeStatus::Crashed
        } else {
            NodeStatus::Up
        };
        assert_eq!(c.status(NodeId::from_index(i)).unwrap(), want, "n{i}");
    }
    run_until(&mut c, 2500);
    assert_eq!(c.status(NodeId(3)).unwrap(), NodeStatus::Up);

    let config = SimConfig {
        nodes: NODES,
        clients: 0,
        nemesis: Some(Schedule::new(vec![Event::new(
            ms(1000),
            Fault::Pause {
                target: Target::Role("leadr".into()),
            },
        )])),
        ..SimConfig::default()
    };
    let err = Cluster::new(&config, Probe { period_ms: 5 })
        .err()
        .expect("an unknown role is refused")
        .to_string();
    assert!(
        err.contains("event 0") && err.contains("did you mean `leader`"),
        "{err}"
    );
}
