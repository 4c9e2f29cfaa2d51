//! Unit tests of one node's state machine, driven by hand with the
//! simulator's [`Harness`]: election, replication, the commit rules, reads,
//! recovery from storage and the bug switches.

use crate::log::{Command, Entry, HardState, Log};
use crate::{Message, RaftKvConfig, RaftNode, Role, Timer};
use shakedown_checkers::Value;
use shakedown_sim::testing::{Effects, Harness};
use shakedown_sim::{ClientRequest, ClientResponse, Node, NodeId, RequestId, TimerId, Timestamp};
use std::collections::VecDeque;
use std::time::Duration;

type Fx = Effects<RaftNode>;

fn req(id: u64, f: &str, value: Value) -> ClientRequest {
    ClientRequest {
        id: RequestId(id),
        f: f.into(),
        key: None,
        value,
    }
}

fn election_timer(fx: &Fx) -> Option<TimerId> {
    fx.timers_set
        .iter()
        .rev()
        .find(|(_, _, t)| *t == Timer::Election)
        .map(|(id, _, _)| *id)
}

/// A few harnessed nodes and a FIFO network between them, for tests that
/// need several nodes to talk. Time only moves when a test moves it.
struct Net {
    nodes: Vec<Harness<RaftNode>>,
    election: Vec<Option<TimerId>>,
    heartbeat: Vec<Option<TimerId>>,
    quorum: Vec<Option<TimerId>>,
    retry: Vec<Option<TimerId>>,
    queue: VecDeque<(NodeId, NodeId, Message)>,
    responses: Vec<(RequestId, ClientResponse)>,
    config: RaftKvConfig,
    /// Nodes whose messages in and out are dropped.
    cut: Vec<bool>,
}

impl Net {
    fn new(n: usize, config: RaftKvConfig) -> Net {
        let mut net = Net {
            nodes: (0..n)
                .map(|i| Harness::new(RaftNode::new(config.clone()), NodeId::from_index(i), n, 7))
                .collect(),
            election: vec![None; n],
            heartbeat: vec![None; n],
            quorum: vec![None; n],
            retry: vec![None; n],
            queue: VecDeque::new(),
            responses: Vec::new(),
            config,
            cut: vec![false; n],
        };
        for i in 0..n {
            let fx = net.nodes[i].start();
            net.absorb(i, fx);
        }
        net
    }

    fn absorb(&mut self, i: usize, fx: Fx) {
        if let Some(t) = election_timer(&fx) {
            self.election[i] = Some(t);
        }
        if let Some((id, _, _)) = fx
            .timers_set
            .iter()
            .rev()
            .find(|(_, _, t)| *t == Timer::Heartbeat)
        {
            self.heartbeat[i] = Some(*id);
        }
        if let Some((id, _, _)) = fx
            .timers_set
            .iter()
            .rev()
            .find(|(_, _, t)| *t == Timer::CheckQuorum)
        {
            self.quorum[i] = Some(*id);
        }
        if let Some((id, _, _)) = fx
            .timers_set
            .iter()
            .rev()
            .find(|(_, _, t)| *t == Timer::ForwardRetry)
        {
            self.retry[i] = Some(*id);
        }
        let from = NodeId::from_index(i);
        for (to, msg) in fx.sends {
            self.queue.push_back((from, to, msg));
        }
        self.responses.extend(fx.responses);
    }

    fn fire_election(&mut self, i: usize) {
        let id = self.election[i].expect("election timer set");
        let fx = self.nodes[i].timer(id, Timer::Election);
        self.absorb(i, fx);
    }

    fn fire_heartbeat(&mut self, i: usize) {
        let id = self.heartbeat[i].expect("heartbeat timer set");
        let fx = self.nodes[i].timer(id, Timer::Heartbeat);
        self.absorb(i, fx);
    }

    fn fire_check_quorum(&mut self, i: usize) {
        let id = self.quorum[i].expect("check-quorum timer set");
        let fx = self.nodes[i].timer(id, Timer::CheckQuorum);
        self.absorb(i, fx);
    }

    fn fire_retry(&mut self, i: usize) {
        let id = self.retry[i].expect("resend timer set");
        let fx = self.nodes[i].timer(id, Timer::ForwardRetry);
        self.absorb(i, fx);
    }

    /// Like [`Net::run`], but loses every message `lose` picks.
    fn run_dropping(&mut self, lose: impl Fn(&Message) -> bool) {
        while let Some((from, to, msg)) = self.queue.pop_front() {
            if lose(&msg) || self.cut[from.index()] || self.cut[to.index()] {
                continue;
            }
            let fx = self.nodes[to.index()].message(from, msg);
            self.absorb(to.index(), fx);
        }
    }

    fn request(&mut self, i: usize, r: ClientRequest) {
        let fx = self.nodes[i].request(r);
        self.absorb(i, fx);
    }

    /// Delivers messages until none are left.
    fn run(&mut self) {
        let mut steps = 0;
        while let Some((from, to, msg)) = self.queue.pop_front() {
            steps += 1;
            assert!(steps < 10_000, "message storm");
            if self.cut[from.index()] || self.cut[to.index()] {
                continue;
            }
            let fx = self.nodes[to.index()].message(from, msg);
            self.absorb(to.index(), fx);
        }
    }

    fn advance_ms(&mut self, ms: u64) {
        for h in &mut self.nodes {
            h.now = h.now + Duration::from_millis(ms);
        }
    }

    fn response(&self, id: u64) -> Option<&ClientResponse> {
        self.responses
            .iter()
            .find(|(r, _)| *r == RequestId(id))
            .map(|(_, resp)| resp)
    }

    fn elect(&mut self, i: usize) {
        // Stickiness: nobody votes within the minimum election timeout of
        // starting or hearing a leader.
        self.advance_ms(self.config.election_timeout_ms[0]);
        self.fire_election(i);
        self.run();
        assert_eq!(self.nodes[i].node.role(), Role::Leader);
    }
}

#[test]
fn a_single_node_elects_itself_and_serves_ops() {
    let mut net = Net::new(1, RaftKvConfig::default());
    net.fire_election(0);
    assert_eq!(net.nodes[0].node.role(), Role::Leader);
    assert_eq!(net.nodes[0].node.roles(), ["leader"]);
    net.request(0, req(1, "write", 5.into()));
    net.request(0, req(2, "read", Value::Nil));
    net.request(0, req(3, "cas", Value::Vector(vec![5.into(), 6.into()])));
    net.request(0, req(4, "cas", Value::Vector(vec![5.into(), 7.into()])));
    net.request(0, req(5, "read", Value::Nil));
    assert_eq!(net.response(1), Some(&ClientResponse::ok(5)));
    assert_eq!(net.response(2), Some(&ClientResponse::ok(5)));
    assert_eq!(
        net.response(3),
        Some(&ClientResponse::ok(Value::Vector(vec![5.into(), 6.into()])))
    );
    assert!(matches!(net.response(4), Some(ClientResponse::Fail(_))));
    assert_eq!(net.response(5), Some(&ClientResponse::ok(6)));
}

#[test]
fn bad_ops_fail_with_a_reason() {
    let mut net = Net::new(1, RaftKvConfig::default());
    net.fire_election(0);
    net.request(0, req(1, "append", 5.into()));
    net.request(0, req(2, "cas", 5.into()));
    for id in [1, 2] {
        assert!(
            matches!(net.response(id), Some(ClientResponse::Fail(_))),
            "{id}"
        );
    }
}

#[test]
fn election_needs_a_majority_and_one_vote_per_term() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.advance_ms(150);
    net.fire_election(0);
    assert_eq!(net.nodes[0].node.role(), Role::Candidate);
    assert_eq!(net.nodes[0].node.term(), 1);
    // The vote for itself was synced before it asked anyone.
    assert!(net.nodes[0].storage.is_synced());
    // n1 also times out in term 1 before hearing n0: it votes for itself,
    // so n0 needs n2.
    net.fire_election(1);
    net.cut[2] = true;
    net.run();
    assert_ne!(net.nodes[0].node.role(), Role::Leader);
    assert_ne!(net.nodes[1].node.role(), Role::Leader);
    net.cut[2] = false;
    net.advance_ms(300);
    net.fire_election(0);
    net.run();
    assert_eq!(net.nodes[0].node.role(), Role::Leader);
    assert_eq!(net.nodes[0].node.term(), 2);
    assert_eq!(net.nodes[2].node.voted_for(), Some(0));
    assert_eq!(net.nodes[1].node.leader(), Some(NodeId(0)));
}

#[test]
fn votes_go_only_to_candidates_with_logs_as_up_to_date() {
    let mut h = Harness::new(RaftNode::new(RaftKvConfig::default()), NodeId(1), 3, 1);
    let entry = Entry {
        term: 3,
        req: None,
        cmd: Command::Noop,
    };
    Log::save_hard(
        &mut h.storage,
        HardState {
            term: 3,
            vote: None,
        },
    );
    h.storage
        .put_json("log/00000000000000000001", &entry)
        .unwrap();
    h.start();
    h.now = Timestamp(1_000_000_000);
    let ask = |term, last_index, last_term| Message::RequestVote {
        term,
        last_index,
        last_term,
    };
    let fx = h.message(NodeId(0), ask(4, 5, 2));
    assert_eq!(
        fx.sends,
        vec![(
            NodeId(0),
            Message::Vote {
                term: 4,
                granted: false
            }
        )]
    );
    let fx = h.message(NodeId(2), ask(4, 1, 3));
    assert_eq!(
        fx.sends,
        vec![(
            NodeId(2),
            Message::Vote {
                term: 4,
                granted: true
            }
        )]
    );
    assert!(h.storage.is_synced(), "vote synced before the reply");
    let fx = h.message(NodeId(0), ask(4, 9, 4));
    assert_eq!(
        fx.sends,
        vec![(
            NodeId(0),
            Message::Vote {
                term: 4,
                granted: false
            }
        )]
    );
    // A repeated request from the same candidate is granted again.
    let fx = h.message(NodeId(2), ask(4, 1, 3));
    assert_eq!(
        fx.sends,
        vec![(
            NodeId(2),
            Message::Vote {
                term: 4,
                granted: true
            }
        )]
    );
}

#[test]
fn a_node_that_heard_a_leader_recently_ignores_vote_requests() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.advance_ms(10);
    let fx = net.nodes[1].message(
        NodeId(2),
        Message::RequestVote {
            term: 9,
            last_index: 9,
            last_term: 9,
        },
    );
    assert!(fx.sends.is_empty());
    assert_eq!(net.nodes[1].node.term(), 1, "term not disturbed");
}

#[test]
fn writes_commit_only_once_a_majority_has_them() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.cut[1] = true;
    net.cut[2] = true;
    net.request(0, req(1, "write", 7.into()));
    net.run();
    assert_eq!(net.response(1), None, "no majority yet");
    assert_eq!(net.nodes[0].node.log().last_index(), 2);
    net.cut[2] = false;
    net.fire_heartbeat(0); // retransmits to n2
    net.run();
    assert_eq!(net.response(1), Some(&ClientResponse::ok(7)));
    assert_eq!(net.nodes[0].node.commit_index(), 2);
    // Followers learn the commit index with the next append.
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.nodes[2].node.commit_index(), 2);
    assert_eq!(net.nodes[2].node.local_value(&None), Value::Int(7));
    assert_eq!(
        net.nodes[1].node.log().last_index(),
        1,
        "only the no-op: cut off since"
    );
    // n1 catches up once it is reachable.
    net.cut[1] = false;
    net.fire_heartbeat(0);
    net.run();
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.nodes[1].node.log().last_index(), 2);
    assert_eq!(net.nodes[1].node.local_value(&None), Value::Int(7));
}

#[test]
fn entries_of_earlier_terms_commit_only_with_one_of_the_current_term() {
    // n0 holds an entry of term 1 that nobody else has, then leads term 2.
    let mut h = Harness::new(RaftNode::new(RaftKvConfig::default()), NodeId(0), 3, 1);
    let old = Entry {
        term: 1,
        req: Some(RequestId(1)),
        cmd: Command::Write {
            key: None,
            value: 1.into(),
        },
    };
    Log::save_hard(
        &mut h.storage,
        HardState {
            term: 1,
            vote: Some(0),
        },
    );
    h.storage
        .put_json("log/00000000000000000001", &old)
        .unwrap();
    h.storage.sync();
    let fx = h.start();
    h.now = Timestamp(200_000_000);
    h.timer(election_timer(&fx).unwrap(), Timer::Election);
    h.message(
        NodeId(1),
        Message::Vote {
            term: 2,
            granted: true,
        },
    );
    assert_eq!(h.node.role(), Role::Leader);
    assert_eq!(h.node.log().last_index(), 2, "a no-op of term 2");
    // A majority holds index 1 (term 1): not enough to commit it.
    h.message(
        NodeId(1),
        Message::AppendReply {
            term: 2,
            success: true,
            index: 1,
            round: 0,
        },
    );
    assert_eq!(h.node.commit_index(), 0);
    h.message(
        NodeId(1),
        Message::AppendReply {
            term: 2,
            success: true,
            index: 2,
            round: 0,
        },
    );
    assert_eq!(h.node.commit_index(), 2);
    assert_eq!(h.node.local_value(&None), Value::Int(1));
}

#[test]
fn a_follower_replaces_conflicting_entries_and_keeps_matching_ones() {
    let mut h = Harness::new(RaftNode::new(RaftKvConfig::default()), NodeId(1), 3, 1);
    h.start();
    let e = |term, v: i64| Entry {
        term,
        req: None,
        cmd: Command::Write {
            key: None,
            value: v.into(),
        },
    };
    let append = |prev_index, prev_term, entries: Vec<Entry>, commit| Message::Append {
        term: 3,
        prev_index,
        prev_term,
        entries,
        commit,
        round: 1,
    };
    h.message(NodeId(0), append(0, 0, vec![e(1, 1), e(1, 2), e(2, 3)], 0));
    assert_eq!(h.node.log().last_index(), 3);
    // A gap: rejected with a hint.
    let fx = h.message(NodeId(0), append(5, 3, vec![e(3, 9)], 0));
    assert!(matches!(
        fx.sends[0].1,
        Message::AppendReply {
            success: false,
            index: 3,
            ..
        }
    ));
    // A stale, shorter append does not truncate matching entries.
    h.message(NodeId(0), append(0, 0, vec![e(1, 1)], 0));
    assert_eq!(h.node.log().last_index(), 3);
    // A conflict at index 3 replaces it.
    let fx = h.message(NodeId(0), append(2, 1, vec![e(3, 4)], 3));
    assert!(matches!(
        fx.sends[0].1,
        Message::AppendReply {
            success: true,
            index: 3,
            ..
        }
    ));
    assert_eq!(h.node.log().term_at(3), Some(3));
    assert!(h.storage.is_synced(), "entries synced before the reply");
    assert_eq!(h.node.commit_index(), 3);
    assert_eq!(h.node.local_value(&None), Value::Int(4));
}

#[test]
fn followers_forward_and_fail_only_when_nothing_was_proposed() {
    let mut net = Net::new(3, RaftKvConfig::default());
    // No leader known yet: the request waits for one (an election takes a
    // moment), then it is forwarded as soon as a leader shows up.
    net.request(1, req(1, "write", 1.into()));
    assert_eq!(net.response(1), None);
    assert!(net.queue.is_empty(), "parked, not sent");
    net.elect(0);
    assert_eq!(net.response(1), Some(&ClientResponse::ok(1)));
    net.request(1, req(2, "write", 2.into()));
    net.run();
    assert_eq!(net.response(2), Some(&ClientResponse::ok(2)));
    net.request(2, req(3, "read", Value::Nil));
    net.run();
    assert_eq!(net.response(3), Some(&ClientResponse::ok(2)));
}

#[test]
fn a_request_parked_too_long_without_a_leader_fails_because_it_was_never_sent() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.request(1, req(1, "write", 1.into()));
    for _ in 0..3 {
        net.fire_retry(1);
        assert_eq!(net.response(1), None);
    }
    net.fire_retry(1);
    assert_eq!(net.response(1), Some(&ClientResponse::fail("not-leader")));
    assert!(net.queue.is_empty(), "never sent anywhere");
}

#[test]
fn a_node_that_wins_an_election_serves_the_requests_it_parked() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.request(0, req(1, "write", 8.into()));
    net.elect(0);
    assert_eq!(net.response(1), Some(&ClientResponse::ok(8)));
}

#[test]
fn read_index_waits_for_a_majority_round() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(0, req(1, "write", 3.into()));
    net.run();
    net.cut[1] = true;
    net.cut[2] = true;
    net.request(0, req(2, "read", Value::Nil));
    net.run();
    assert_eq!(
        net.response(2),
        None,
        "a deposed leader must not answer alone"
    );
    net.cut[2] = false;
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.response(2), Some(&ClientResponse::ok(3)));
}

/// Found by the discrete engine (raft-kv-combined seed 0xf65): a leader
/// of term 7 sent an append of read round 25 that arrived, delayed, at a
/// follower already in term 9; the follower rejected it but echoed round
/// 25 beside term 9, and the same node, leader again in term 9 at round 17,
/// took that for a majority answer and served reads without confirming
/// its leadership (stale reads after a pause).
#[test]
fn a_stale_round_from_another_term_confirms_no_read() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(0, req(1, "write", 3.into()));
    net.run();
    let term = net.nodes[0].node.term();
    // A follower in a newer term rejects an old append without its round.
    let fx = net.nodes[1].message(
        NodeId(2),
        Message::Append {
            term: term - 1,
            prev_index: 0,
            prev_term: 0,
            entries: Vec::new(),
            commit: 0,
            round: 99,
        },
    );
    let echoed: Vec<u64> = fx
        .sends
        .iter()
        .filter_map(|(_, m)| match m {
            Message::AppendReply { round, .. } => Some(*round),
            _ => None,
        })
        .collect();
    assert_eq!(echoed, vec![0], "the stale round is not echoed");
    // And a leader ignores a reply to a round it has not started.
    net.cut[1] = true;
    net.cut[2] = true;
    net.request(0, req(2, "read", Value::Nil));
    net.run();
    let fx = net.nodes[0].message(
        NodeId(1),
        Message::AppendReply {
            term,
            success: false,
            index: 0,
            round: 1_000,
        },
    );
    net.absorb(0, fx);
    assert_eq!(net.response(2), None, "an unconfirmed read is not served");
}

#[test]
fn a_leader_that_steps_down_fails_its_reads_but_not_its_writes() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.cut[1] = true;
    net.cut[2] = true;
    net.request(0, req(1, "read", Value::Nil));
    net.request(0, req(2, "write", 1.into()));
    net.run();
    net.cut[1] = false;
    let fx = net.nodes[0].message(
        NodeId(1),
        Message::Vote {
            term: 5,
            granted: false,
        },
    );
    net.absorb(0, fx);
    assert_eq!(net.nodes[0].node.role(), Role::Follower);
    assert_eq!(net.response(1), Some(&ClientResponse::fail("not-leader")));
    assert_eq!(net.response(2), None, "the write may still commit");
}

#[test]
fn a_restarted_node_recovers_term_vote_and_log_from_storage() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(0, req(1, "write", 4.into()));
    net.run();
    net.fire_heartbeat(0);
    net.run();
    let before = (
        net.nodes[1].node.term(),
        net.nodes[1].node.log().last_index(),
    );
    net.nodes[1].crash_and_replace(RaftNode::new(RaftKvConfig::default()));
    let fx = net.nodes[1].start();
    net.absorb(1, fx);
    let n1 = &net.nodes[1].node;
    assert_eq!((n1.term(), n1.log().last_index()), before);
    assert_eq!(n1.voted_for(), Some(0));
    assert_eq!(n1.commit_index(), 0, "the commit index is volatile");
    // The next append tells it the commit index; it re-applies its log.
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.nodes[1].node.local_value(&None), Value::Int(4));
}

#[test]
fn no_sync_forgets_acknowledged_entries_and_votes_on_crash() {
    let config = RaftKvConfig {
        no_sync: true,
        ..RaftKvConfig::default()
    };
    let mut net = Net::new(3, config.clone());
    net.elect(0);
    net.request(0, req(1, "write", 4.into()));
    net.run();
    assert_eq!(net.response(1), Some(&ClientResponse::ok(4)));
    assert!(!net.nodes[1].storage.is_synced());
    net.nodes[1].crash_and_replace(RaftNode::new(config));
    net.nodes[1].start();
    let n1 = &net.nodes[1].node;
    assert_eq!(
        (n1.term(), n1.voted_for(), n1.log().last_index()),
        (0, None, 0)
    );
}

#[test]
fn duplicate_forwarded_requests_take_effect_once() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(0, req(1, "write", 1.into()));
    net.request(0, req(2, "write", 2.into()));
    net.run();
    // A late duplicate of request 1 must not set the register back to 1.
    let dup = Message::Forward {
        req: req(1, "write", 1.into()),
        hops: 1,
    };
    let fx = net.nodes[0].message(NodeId(1), dup);
    net.absorb(0, fx);
    net.run();
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.nodes[0].node.local_value(&None), Value::Int(2));
    assert_eq!(net.nodes[1].node.local_value(&None), Value::Int(2));
}

#[test]
fn stale_reads_answer_from_local_state_at_any_node() {
    let config = RaftKvConfig {
        stale_reads: true,
        ..RaftKvConfig::default()
    };
    let mut net = Net::new(3, config);
    net.elect(0);
    net.cut[2] = true;
    net.request(0, req(1, "write", 9.into()));
    net.run();
    assert_eq!(net.response(1), Some(&ClientResponse::ok(9)));
    net.request(2, req(2, "read", Value::Nil));
    assert_eq!(
        net.response(2),
        Some(&ClientResponse::Ok(Value::Nil)),
        "stale"
    );
}

#[test]
fn a_lease_serves_reads_without_a_round_trip_until_the_own_clock_says_it_ended() {
    let config = RaftKvConfig {
        lease_trusts_clock: true,
        ..RaftKvConfig::default()
    };
    let mut net = Net::new(3, config);
    net.elect(0);
    net.fire_heartbeat(0);
    net.run();
    net.cut[1] = true;
    net.cut[2] = true;
    net.request(0, req(1, "read", Value::Nil));
    assert!(net.response(1).is_some(), "served under the lease");
    net.advance_ms(101);
    net.request(0, req(2, "read", Value::Nil));
    assert!(net.response(2).is_none(), "lease over: needs a round");
    // Its clock jumps back: the lease looks valid again. That is the bug.
    net.nodes[0].now = net.nodes[0].now - Duration::from_millis(101);
    net.request(0, req(3, "read", Value::Nil));
    assert!(net.response(3).is_some());
}

#[test]
fn a_leader_cut_off_from_the_majority_steps_down() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    // Its peers answered the first appends: the first check passes.
    net.fire_check_quorum(0);
    assert_eq!(net.nodes[0].node.role(), Role::Leader);
    net.cut[1] = true;
    net.cut[2] = true;
    net.fire_heartbeat(0);
    net.run();
    net.fire_check_quorum(0);
    assert_eq!(net.nodes[0].node.role(), Role::Follower);
    assert!(net.nodes[0].node.roles().is_empty());
}

#[test]
fn a_lost_forward_is_resent_until_the_leader_acknowledges_it() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(1, req(1, "write", 5.into()));
    // The forward is lost on the way.
    let lost = net.queue.pop_back();
    assert!(
        matches!(lost, Some((_, _, Message::Forward { .. }))),
        "{lost:?}"
    );
    net.run();
    assert_eq!(net.response(1), None);
    // A second forwarded request shares the one resend timer.
    net.request(1, req(2, "read", Value::Nil));
    let first_timer = net.retry[1];
    net.run();
    assert_eq!(net.response(2), Some(&ClientResponse::ok(Value::Nil)));
    assert_eq!(net.retry[1], first_timer, "one resend timer at a time");
    // n1's resend timer fires: it forwards request 1 again (request 2 was
    // acknowledged); the leader acknowledges and answers.
    net.fire_retry(1);
    assert_eq!(
        net.queue.len(),
        1,
        "only the unacknowledged request is resent"
    );
    net.run();
    assert_eq!(net.response(1), Some(&ClientResponse::ok(5)));
    // All acknowledged: the next tick resends nothing and sets no timer.
    let id = net.retry[1].expect("re-armed while something was pending");
    let fx = net.nodes[1].timer(id, Timer::ForwardRetry);
    assert!(fx.sends.is_empty() && fx.timers_set.is_empty(), "{fx:?}");
}

#[test]
fn a_resent_write_takes_effect_once() {
    let mut net = Net::new(3, RaftKvConfig::default());
    net.elect(0);
    net.request(1, req(1, "write", 5.into()));
    // The leader's acknowledgement is lost, so n1 resends while the first
    // copy is still in flight, and again after it was applied.
    net.run_dropping(|m| matches!(m, Message::ForwardAck { .. }));
    net.request(0, req(2, "write", 6.into()));
    net.run();
    net.fire_retry(1);
    net.run();
    net.fire_heartbeat(0);
    net.run();
    assert_eq!(net.response(1), Some(&ClientResponse::ok(5)));
    assert_eq!(net.nodes[0].node.local_value(&None), Value::Int(6));
    assert_eq!(net.nodes[1].node.local_value(&None), Value::Int(6));
    assert_eq!(
        net.nodes[0].node.log().last_index(),
        3,
        "no-op and two writes"
    );
}

#[test]
fn a_new_term_is_synced_before_the_reply_that_shows_it() {
    let mut h = Harness::new(RaftNode::new(RaftKvConfig::default()), NodeId(1), 3, 1);
    h.start();
    let heartbeat = Message::Append {
        term: 4,
        prev_index: 0,
        prev_term: 0,
        entries: Vec::new(),
        commit: 0,
        round: 1,
    };
    let fx = h.message(NodeId(0), heartbeat);
    assert!(matches!(
        fx.sends[0].1,
        Message::AppendReply {
            term: 4,
            success: true,
            ..
        }
    ));
    assert!(h.storage.is_synced());
    h.crash_and_replace(RaftNode::new(RaftKvConfig::default()));
    h.start();
    assert_eq!(h.node.term(), 4);
}
