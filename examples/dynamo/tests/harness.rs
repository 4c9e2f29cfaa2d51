//! One node driven by hand: quorum counting, hints, their throttle and
//! expiry, last-write-wins, model faults and restarts.

use shakedown_checkers::Value;
use shakedown_dynamo::hints::Hint;
use shakedown_dynamo::lww::{Cell, Version};
use shakedown_dynamo::msg::{Msg, Timer};
use shakedown_dynamo::node::HINT_TICK_MS;
use shakedown_dynamo::ring::Ring;
use shakedown_dynamo::{key_text, DynamoConfig, DynamoNode, ReadRepair};
use shakedown_sim::testing::{Effects, Harness};
use shakedown_sim::{ClientRequest, ClientResponse, ModelFault, NodeId, RequestId, Timestamp};
use std::collections::BTreeMap;

const MS: i64 = 1_000_000;

fn harness(config: DynamoConfig, nodes: usize) -> Harness<DynamoNode> {
    let mut h = Harness::new(
        DynamoNode::new(config, NodeId(0), nodes),
        NodeId(0),
        nodes,
        7,
    );
    h.start();
    h
}

/// A key whose preference list (of `n`) contains n0 or not, as asked.
fn key_where(nodes: usize, config: &DynamoConfig, n0_replica: bool) -> (Value, Vec<NodeId>) {
    let ring = Ring::new(nodes, config.vnodes_per_node);
    (0..1000)
        .map(|k| (Value::Int(k), ring.walk(&key_text(&Some(Value::Int(k))))))
        .find(|(_, walk)| walk[..config.replication_factor].contains(&NodeId(0)) == n0_replica)
        .expect("some key fits")
}

fn write(id: u64, key: &Value, v: i64) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        f: "write".into(),
        key: Some(key.clone()),
        value: Value::Int(v),
    }
}

fn read(id: u64, key: &Value) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        f: "read".into(),
        key: Some(key.clone()),
        value: Value::Nil,
    }
}

fn timer_for(fx: &Effects<DynamoNode>, want: Timer) -> (shakedown_sim::TimerId, Timer) {
    fx.timers_set
        .iter()
        .find(|(_, _, t)| *t == want)
        .map(|(id, _, t)| (*id, *t))
        .expect("timer set")
}

fn gauges(fx: &Effects<DynamoNode>) -> BTreeMap<String, f64> {
    fx.gauges.iter().cloned().collect()
}

fn at(h: &mut Harness<DynamoNode>, ms: i64) {
    h.now = Timestamp(ms * MS);
}

/// Every peer says hello at the current time (keeps the failure detector happy).
fn pings(h: &mut Harness<DynamoNode>, nodes: u32) {
    for n in 1..nodes {
        h.message(NodeId(n), Msg::Ping);
    }
}

#[test]
fn write_answers_after_w_acks_counting_the_local_replica() {
    let config = DynamoConfig {
        write_quorum: 3,
        ..Default::default()
    };
    let (key, walk) = key_where(3, &config, true);
    let mut h = harness(config, 3);
    let fx = h.request(write(1, &key, 10));
    let targets: Vec<NodeId> = fx.sends.iter().map(|(to, _)| *to).collect();
    let mut others: Vec<NodeId> = walk.iter().copied().filter(|n| *n != NodeId(0)).collect();
    others.sort();
    assert_eq!(targets, others, "the write goes to the other replicas");
    assert!(fx.responses.is_empty(), "1 of W=3");
    assert_eq!(
        h.node
            .local(&key_text(&Some(key.clone())))
            .map(|c| c.value.clone()),
        Some(Value::Int(10))
    );
    assert!(
        h.storage.is_synced(),
        "local copy is durable before it counts"
    );
    let fx = h.message(others[0], Msg::ReplicateAck { op: 1 });
    assert!(fx.responses.is_empty(), "2 of W=3");
    // An ack from a node that is not a replica does not count.
    let fx = h.message(others[0], Msg::ReplicateAck { op: 1 });
    assert!(
        fx.responses.is_empty(),
        "a duplicate ack is not a third replica"
    );
    let fx = h.message(others[1], Msg::ReplicateAck { op: 1 });
    assert_eq!(fx.responses, vec![(RequestId(1), ClientResponse::ok(10))]);
    assert_eq!(h.node.in_flight(), 0, "all N acked: nothing left to do");
}

#[test]
fn strict_quorum_keeps_the_hint_at_the_coordinator_and_does_not_count_it() {
    let config = DynamoConfig {
        write_quorum: 3,
        ..Default::default()
    };
    let (key, walk) = key_where(3, &config, true);
    let others: Vec<NodeId> = walk.iter().copied().filter(|n| *n != NodeId(0)).collect();
    let mut h = harness(config, 3);
    let fx = h.request(write(1, &key, 10));
    let (replica_timer, t) = timer_for(&fx, Timer::ReplicaTimeout(1));
    let (request_timer, rt) = timer_for(&fx, Timer::RequestTimeout(1));
    h.message(others[0], Msg::ReplicateAck { op: 1 });
    at(&mut h, 100);
    let fx = h.timer(replica_timer, t);
    assert!(
        fx.responses.is_empty(),
        "a hint is not an acknowledgement under a strict quorum"
    );
    assert_eq!(h.node.hints().depth(), 1);
    let (_, hint) = h.node.hints().hints().next().unwrap();
    assert_eq!(hint.target, others[1]);
    assert_eq!(hint.cell.value, Value::Int(10));
    assert!(h.storage.is_synced(), "hints are durable");
    at(&mut h, 500);
    let fx = h.timer(request_timer, rt);
    match &fx.responses[..] {
        [(RequestId(1), ClientResponse::Unknown(why))] => {
            assert!(why.contains("2 of the 3"), "{why}")
        }
        other => panic!("expected an indeterminate answer, got {other:?}"),
    }
}

#[test]
fn sloppy_quorum_hands_the_write_to_a_fallback_whose_ack_counts() {
    let config = DynamoConfig {
        sloppy_quorum: true,
        write_quorum: 2,
        ..Default::default()
    };
    let (key, walk) = key_where(5, &config, true);
    let mut h = harness(config, 5);
    let fx = h.request(write(1, &key, 10));
    let (replica_timer, t) = timer_for(&fx, Timer::ReplicaTimeout(1));
    at(&mut h, 100);
    let fx = h.timer(replica_timer, t);
    // Both remote replicas are silent: each gets a fallback, in ring order.
    let hinted: Vec<(NodeId, NodeId)> = fx
        .sends
        .iter()
        .filter_map(|(to, m)| match m {
            Msg::HintedWrite { target, .. } => Some((*to, *target)),
            _ => None,
        })
        .collect();
    assert_eq!(hinted.len(), 2, "{:?}", fx.sends);
    assert_eq!(hinted[0].0, walk[3]);
    assert_eq!(hinted[1].0, walk[4]);
    assert!(fx.responses.is_empty());
    let fx = h.message(
        walk[3],
        Msg::HintedAck {
            op: 1,
            target: hinted[0].1,
        },
    );
    assert_eq!(
        fx.responses,
        vec![(RequestId(1), ClientResponse::ok(10))],
        "local + fallback = W"
    );
    assert_eq!(
        h.node.hints().depth(),
        0,
        "the fallback holds the hint, not the coordinator"
    );
}

#[test]
fn a_fallback_stores_the_hint_durably_and_acks() {
    let mut h = harness(DynamoConfig::default(), 5);
    let cell = Cell {
        value: Value::Int(3),
        version: Version {
            ts_ns: 5,
            node: 1,
            seq: 9,
        },
    };
    let fx = h.message(
        NodeId(1),
        Msg::HintedWrite {
            op: 9,
            target: NodeId(2),
            key: "k".into(),
            cell: cell.clone(),
        },
    );
    assert_eq!(
        fx.sends,
        vec![(
            NodeId(1),
            Msg::HintedAck {
                op: 9,
                target: NodeId(2)
            }
        )]
    );
    assert!(h.storage.is_synced());
    assert_eq!(h.node.hints().depth_for(NodeId(2)), 1);
    assert_eq!(
        h.node.local("k"),
        None,
        "a hint is not data: the fallback does not serve it"
    );
}

#[test]
fn read_answers_with_the_newest_of_r_replies() {
    let config = DynamoConfig {
        read_quorum: 2,
        read_repair: ReadRepair::None,
        ..Default::default()
    };
    let (key, walk) = key_where(3, &config, true);
    let others: Vec<NodeId> = walk.iter().copied().filter(|n| *n != NodeId(0)).collect();
    let mut h = harness(config, 3);
    let k = key_text(&Some(key.clone()));
    let old = Cell {
        value: Value::Int(1),
        version: Version {
            ts_ns: 10,
            node: 1,
            seq: 1,
        },
    };
    let new = Cell {
        value: Value::Int(2),
        version: Version {
            ts_ns: 20,
            node: 2,
            seq: 2,
        },
    };
    h.message(
        others[0],
        Msg::Replicate {
            op: 50,
            key: k.clone(),
            cell: old.clone(),
        },
    );
    let fx = h.request(read(3, &key));
    assert!(fx.responses.is_empty(), "the local copy is 1 of R=2");
    let fx = h.message(
        others[0],
        Msg::ReadReply {
            op: 3,
            cell: Some(new.clone()),
        },
    );
    assert_eq!(fx.responses, vec![(RequestId(3), ClientResponse::ok(2))]);
    assert!(fx.sends.is_empty(), "read repair is off");

    // R = 1: the coordinator's own (stale) copy is the answer.
    let config = DynamoConfig {
        read_quorum: 1,
        read_repair: ReadRepair::None,
        ..Default::default()
    };
    let mut h = harness(config, 3);
    h.message(
        others[0],
        Msg::Replicate {
            op: 50,
            key: k,
            cell: old,
        },
    );
    let fx = h.request(read(3, &key));
    assert_eq!(fx.responses, vec![(RequestId(3), ClientResponse::ok(1))]);
}

#[test]
fn blocking_read_repair_writes_back_to_w_replicas_before_answering() {
    let config = DynamoConfig {
        read_quorum: 2,
        write_quorum: 3,
        read_repair: ReadRepair::Blocking,
        ..Default::default()
    };
    let (key, walk) = key_where(3, &config, true);
    let others: Vec<NodeId> = walk.iter().copied().filter(|n| *n != NodeId(0)).collect();
    let mut h = harness(config, 3);
    let new = Cell {
        value: Value::Int(2),
        version: Version {
            ts_ns: 20,
            node: 2,
            seq: 2,
        },
    };
    h.request(read(3, &key));
    let fx = h.message(
        others[0],
        Msg::ReadReply {
            op: 3,
            cell: Some(new.clone()),
        },
    );
    assert!(
        fx.responses.is_empty(),
        "the newest version is on 2 replicas, W = 3"
    );
    assert_eq!(
        h.node.local(&key_text(&Some(key.clone()))),
        Some(&new),
        "repaired locally"
    );
    let repairs: Vec<NodeId> = fx
        .sends
        .iter()
        .filter(|(_, m)| matches!(m, Msg::Replicate { .. }))
        .map(|(to, _)| *to)
        .collect();
    assert_eq!(repairs, vec![others[1]]);
    let fx = h.message(others[1], Msg::ReplicateAck { op: 3 });
    assert_eq!(fx.responses, vec![(RequestId(3), ClientResponse::ok(2))]);
}

#[test]
fn async_read_repair_answers_first_and_repairs_stale_replicas_after() {
    let config = DynamoConfig {
        read_quorum: 1,
        read_repair: ReadRepair::Async,
        ..Default::default()
    };
    let (key, walk) = key_where(3, &config, true);
    let others: Vec<NodeId> = walk.iter().copied().filter(|n| *n != NodeId(0)).collect();
    let mut h = harness(config, 3);
    let new = Cell {
        value: Value::Int(2),
        version: Version {
            ts_ns: 20,
            node: 2,
            seq: 2,
        },
    };
    let fx = h.request(read(3, &key));
    assert_eq!(
        fx.responses,
        vec![(RequestId(3), ClientResponse::ok(Value::Nil))]
    );
    h.message(
        others[0],
        Msg::ReadReply {
            op: 3,
            cell: Some(new.clone()),
        },
    );
    let fx = h.message(others[1], Msg::ReadReply { op: 3, cell: None });
    let repairs: Vec<NodeId> = fx
        .sends
        .iter()
        .filter(|(_, m)| matches!(m, Msg::Replicate { .. }))
        .map(|(to, _)| *to)
        .collect();
    assert_eq!(repairs, vec![others[1]]);
    assert_eq!(
        h.node.local(&key_text(&Some(key))),
        Some(&new),
        "the coordinator's copy repaired too"
    );
}

#[test]
fn last_write_wins_on_the_coordinators_clock_so_a_slow_clock_loses_writes() {
    let config = DynamoConfig {
        write_quorum: 1,
        ..Default::default()
    };
    let (key, _) = key_where(3, &config, true);
    let k = key_text(&Some(key.clone()));
    let mut h = harness(config, 3);
    at(&mut h, 1000);
    h.request(write(1, &key, 1));
    // A later write whose coordinator's clock reads earlier (skew): it is
    // acknowledged, yet the older value stays.
    at(&mut h, 400);
    let fx = h.request(write(2, &key, 2));
    assert_eq!(
        fx.responses,
        vec![(RequestId(2), ClientResponse::ok(2))],
        "ack'd at W=1 ..."
    );
    assert_eq!(
        h.node.local(&k).unwrap().value,
        Value::Int(1),
        "... but lost to last-write-wins"
    );
    // A replica ignores an older version but still acknowledges it: it
    // holds something at least as new.
    let stale = Cell {
        value: Value::Int(0),
        version: Version {
            ts_ns: 1,
            node: 9,
            seq: 0,
        },
    };
    let fx = h.message(
        NodeId(1),
        Msg::Replicate {
            op: 7,
            key: k.clone(),
            cell: stale,
        },
    );
    assert_eq!(fx.sends, vec![(NodeId(1), Msg::ReplicateAck { op: 7 })]);
    assert_eq!(h.node.local(&k).unwrap().value, Value::Int(1));
}

/// A node holding `count` hints for n1, created at time 0.
fn holder(config: DynamoConfig, count: i64) -> Harness<DynamoNode> {
    let mut h = Harness::new(DynamoNode::new(config, NodeId(0), 3), NodeId(0), 3, 7);
    let mut store = shakedown_dynamo::hints::HintStore::load(&h.storage);
    for v in 0..count {
        let cell = Cell {
            value: Value::Int(v),
            version: Version {
                ts_ns: v,
                node: 0,
                seq: v as u64,
            },
        };
        store.add(
            &mut h.storage,
            Hint {
                target: NodeId(1),
                key: format!("k{v}"),
                cell,
                created_ns: 0,
            },
        );
    }
    h.start();
    h
}

/// Runs hint ticks from `from_ms` to `to_ms`, acknowledging every replayed
/// hint at once when `ack`; returns how many hints were sent.
fn run_ticks(h: &mut Harness<DynamoNode>, from_ms: i64, to_ms: i64, ack: bool) -> usize {
    let mut sent = 0;
    let mut t = from_ms;
    while t <= to_ms {
        at(h, t);
        pings(h, 3);
        let fx = h.timer(shakedown_sim::TimerId(u64::MAX), Timer::HintTick);
        for (to, m) in fx.sends {
            if let Msg::HintReplay { hint, .. } = m {
                assert_eq!(to, NodeId(1));
                sent += 1;
                if ack {
                    h.message(to, Msg::HintReplayAck { hint });
                }
            }
        }
        t += HINT_TICK_MS as i64;
    }
    sent
}

#[test]
fn hint_replay_is_throttled_to_the_configured_rate() {
    let config = DynamoConfig {
        hint_replay_rate_per_s: 10.0,
        ..Default::default()
    };
    let mut h = holder(config, 100);
    assert_eq!(h.node.hints().depth(), 100, "hints survive a restart");
    let sent = run_ticks(&mut h, 0, 5000, true);
    assert!((49..=51).contains(&sent), "5 s at 10 hints/s sent {sent}");
    assert_eq!(h.node.hints().depth(), 100 - sent);
    assert_eq!(h.node.hint_stats().replayed, sent as u64);
    assert!(h.storage.is_synced());
}

#[test]
fn hints_wait_for_their_target_to_come_back() {
    let config = DynamoConfig {
        hint_replay_rate_per_s: 100.0,
        failure_detection_ms: 500,
        ..Default::default()
    };
    let mut h = holder(config, 10);
    // n1 is silent for 2 s: nothing is sent while the detector says down.
    let mut sent = 0;
    for t in (0..=2000).step_by(HINT_TICK_MS as usize) {
        at(&mut h, t);
        h.message(NodeId(2), Msg::Ping);
        let fx = h.timer(shakedown_sim::TimerId(u64::MAX), Timer::HintTick);
        // Before the detector notices (500 ms) the holder may try; once it
        // has, nothing goes to n1.
        if t > 500 {
            sent += fx
                .sends
                .iter()
                .filter(|(_, m)| matches!(m, Msg::HintReplay { .. }))
                .count();
        }
    }
    assert_eq!(sent, 0);
    assert_eq!(
        h.node.hints().depth(),
        10,
        "nothing acknowledged, nothing removed"
    );
    let sent_after = run_ticks(&mut h, 2050, 3000, true);
    assert_eq!(sent_after, 10, "all replayed once n1 is heard from again");
    assert_eq!(h.node.hints().depth(), 0);
}

#[test]
fn hints_expire_past_the_window_and_none_are_written_for_a_node_down_longer() {
    let config = DynamoConfig {
        hint_window_ms: 1000,
        failure_detection_ms: 500,
        ..Default::default()
    };
    let mut h = holder(config.clone(), 5);
    at(&mut h, 1000);
    let fx = h.timer(shakedown_sim::TimerId(u64::MAX), Timer::HintTick);
    assert_eq!(h.node.hints().depth(), 5, "exactly at the window: kept");
    assert_eq!(gauges(&fx)["hints_expired"], 0.0);
    at(&mut h, 1050);
    let fx = h.timer(shakedown_sim::TimerId(u64::MAX), Timer::HintTick);
    assert_eq!(h.node.hints().depth(), 0);
    assert_eq!(gauges(&fx)["hints_expired"], 5.0);
    assert_eq!(gauges(&fx)["hint_queue_depth"], 0.0);
    assert!(
        !fx.sends
            .iter()
            .any(|(_, m)| matches!(m, Msg::HintReplay { .. })),
        "expired hints are never replayed"
    );

    // A replica silent for longer than the window gets no new hint.
    let (key, walk) = key_where(3, &config, true);
    let silent = walk.iter().copied().find(|n| *n != NodeId(0)).unwrap();
    let other = walk
        .iter()
        .copied()
        .find(|n| *n != NodeId(0) && *n != silent)
        .unwrap();
    let mut h = harness(config, 3);
    at(&mut h, 1200);
    h.message(other, Msg::Ping);
    let fx = h.request(write(1, &key, 5));
    assert!(
        fx.sends.iter().all(|(to, _)| *to != silent),
        "a node known down gets no message"
    );
    assert_eq!(h.node.hints().depth(), 0);
    assert_eq!(h.node.hint_stats().refused, 1);
    // Inside the window, the same write would leave a hint.
    let mut h = harness(
        DynamoConfig {
            hint_window_ms: 5000,
            ..DynamoConfig::default()
        },
        3,
    );
    at(&mut h, 1200);
    h.message(other, Msg::Ping);
    h.request(write(1, &key, 5));
    assert_eq!(h.node.hints().depth_for(silent), 1);
}

#[test]
fn hinted_handoff_disabled_keeps_no_hints() {
    let config = DynamoConfig {
        hinted_handoff_enabled: false,
        ..Default::default()
    };
    let (key, _) = key_where(3, &config, true);
    let mut h = harness(config, 3);
    let fx = h.request(write(1, &key, 1));
    let (id, t) = timer_for(&fx, Timer::ReplicaTimeout(1));
    at(&mut h, 100);
    h.timer(id, t);
    assert_eq!(h.node.hints().depth(), 0);
    assert_eq!(h.node.hint_stats().written, 0);
}

#[test]
fn hint_backlog_throttles_until_stopped_and_drop_hints_loses_the_store() {
    let config = DynamoConfig {
        hint_replay_rate_per_s: 100.0,
        ..Default::default()
    };
    let mut h = holder(config, 200);
    let fault = ModelFault {
        name: "hint-backlog".into(),
        params: [("rate_per_s".to_string(), Value::Int(2))]
            .into_iter()
            .collect(),
    };
    let (result, fx) = h.model_fault(&fault);
    result.unwrap();
    assert_eq!(gauges(&fx)["hint_replay_rate_per_s"], 2.0);
    let sent = run_ticks(&mut h, 0, 3000, true);
    assert!((5..=7).contains(&sent), "3 s at 2 hints/s sent {sent}");
    // (Stopping it, `model-stop`, is covered end to end: the harness
    // has no call for it.)

    let bad = ModelFault {
        name: "hint-backlog".into(),
        params: [("rate_per_s".to_string(), Value::from("fast"))]
            .into_iter()
            .collect(),
    };
    assert!(h.model_fault(&bad).0.unwrap_err().contains("not a number"));
    let unknown = ModelFault {
        name: "melt".into(),
        params: BTreeMap::new(),
    };
    assert!(h
        .model_fault(&unknown)
        .0
        .unwrap_err()
        .contains("hint-backlog"));

    let before = h.node.hints().depth();
    assert!(before > 50);
    let (result, fx) = h.model_fault(&ModelFault {
        name: "drop-hints".into(),
        params: BTreeMap::new(),
    });
    result.unwrap();
    assert_eq!(gauges(&fx)["hint_queue_depth"], 0.0);
    assert_eq!(gauges(&fx)["hints_lost"], before as f64);
    // Lost for good: a restart finds no hints either.
    h.crash_and_replace(DynamoNode::new(DynamoConfig::default(), NodeId(0), 3));
    h.start();
    assert_eq!(h.node.hints().depth(), 0);
}

#[test]
fn acknowledged_data_and_hints_survive_a_crash() {
    let config = DynamoConfig {
        write_quorum: 1,
        ..Default::default()
    };
    let (key, _) = key_where(3, &config, true);
    let mut h = harness(config.clone(), 3);
    let fx = h.request(write(1, &key, 42));
    assert_eq!(fx.responses, vec![(RequestId(1), ClientResponse::ok(42))]);
    let (id, t) = timer_for(&fx, Timer::ReplicaTimeout(1));
    at(&mut h, 100);
    h.timer(id, t);
    assert_eq!(h.node.hints().depth(), 2);
    h.crash_and_replace(DynamoNode::new(config, NodeId(0), 3));
    h.start();
    assert_eq!(
        h.node.local(&key_text(&Some(key))).unwrap().value,
        Value::Int(42)
    );
    assert_eq!(h.node.hints().depth(), 2);
    assert_eq!(h.node.in_flight(), 0, "requests in flight are volatile");
}

#[test]
fn unsupported_ops_fail_honestly() {
    let mut h = harness(DynamoConfig::default(), 3);
    let fx = h.request(ClientRequest {
        id: RequestId(1),
        f: "cas".into(),
        key: Some(Value::Int(1)),
        value: Value::Vector(vec![1.into(), 2.into()]),
    });
    match &fx.responses[..] {
        [(RequestId(1), ClientResponse::Fail(why))] => assert!(why.contains("not `cas`"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(fx.sends.is_empty());
}

#[test]
fn a_full_hint_store_refuses_hints_and_a_full_fallback_does_not_ack() {
    let config = DynamoConfig {
        hints_max_per_node: 1,
        ..Default::default()
    };
    let mut h = harness(config, 5);
    let cell = Cell {
        value: Value::Int(3),
        version: Version {
            ts_ns: 5,
            node: 1,
            seq: 9,
        },
    };
    let fx = h.message(
        NodeId(1),
        Msg::HintedWrite {
            op: 9,
            target: NodeId(2),
            key: "k".into(),
            cell: cell.clone(),
        },
    );
    assert_eq!(fx.sends.len(), 1, "first hint kept and acknowledged");
    let fx = h.message(
        NodeId(1),
        Msg::HintedWrite {
            op: 10,
            target: NodeId(2),
            key: "j".into(),
            cell,
        },
    );
    assert!(fx.sends.is_empty(), "store full: no acknowledgement");
    assert_eq!(h.node.hints().depth(), 1);
    assert_eq!(h.node.hint_stats().refused, 1);
}
