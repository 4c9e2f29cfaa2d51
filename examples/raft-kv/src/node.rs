//! One Raft KV node: election, replication, commit, apply, reads, and the
//! bug switches.
//!
//! The protocol is Raft as the paper states it, with what etcd adds:
//! a no-op entry at the start of each term, followers forwarding client
//! requests to the leader, ReadIndex reads, CheckQuorum (a leader that has
//! not heard from a majority for a minimum election timeout steps down)
//! and leader stickiness (a node that heard from a leader within the minimum
//! election timeout ignores vote requests, so a lease can be sound).

use crate::config::{RaftKvConfig, ReadPath};
use crate::log::{Command, Entry, HardState, Log};
use crate::message::Message;
use crate::state_machine::StateMachine;
use rand::Rng;
use shakedown_checkers::Value;
use shakedown_sim::{
    ClientRequest, ClientResponse, Ctx, Node, NodeId, RequestId, TimerId, Timestamp,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A forwarded request is passed on at most this many times.
const FORWARD_HOPS_MAX: u8 = 2;
/// The node a client reached resends a forwarded request at most this many
/// times (every two heartbeats) until the leader acknowledges it.
const FORWARD_RESENDS_MAX: u8 = 5;
/// A request parked while no leader is known waits at most this many resend
/// ticks (about an election), then fails: better a quick `fail` than a
/// client timeout, which is `info`.
const FORWARD_PARK_TICKS_MAX: u8 = 3;

/// What a node currently is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Follows a leader (or waits for one).
    Follower,
    /// Asks for votes.
    Candidate,
    /// Leads its term.
    Leader,
}

/// Timers a node sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// No leader was heard from in time: start an election.
    Election,
    /// The leader's heartbeat (and retransmission) tick.
    Heartbeat,
    /// The leader checks that a majority answered recently.
    CheckQuorum,
    /// Resend forwarded requests the leader has not acknowledged.
    ForwardRetry,
}

/// What the leader knows about one peer.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// Next index to send.
    next: u64,
    /// Highest index known to match.
    matched: u64,
    /// Highest read round the peer answered in this term.
    round: u64,
    /// Answered since the last CheckQuorum tick.
    active: bool,
    /// Answered since the last heartbeat: entries in flight are moving, so
    /// the heartbeat need not resend them.
    replied: bool,
}

/// A read waiting for its round to be confirmed and its index applied.
#[derive(Debug, Clone)]
struct PendingRead {
    req: RequestId,
    key: Option<Value>,
    /// Commit index when the read arrived.
    index: u64,
    /// Round that must be confirmed by a majority (0: already confirmed).
    round: u64,
}

/// A client request a follower passes on to the leader.
#[derive(Debug, Clone)]
struct Forwarded {
    req: ClientRequest,
    /// Resend ticks so far.
    ticks: u8,
    /// Sent at least once. Until then no leader was known, the request is
    /// parked, and it can still be failed safely.
    sent: bool,
}

/// A client operation, parsed.
#[derive(Debug, Clone)]
enum Op {
    Read(Option<Value>),
    Write(Option<Value>, Value),
    Cas(Option<Value>, Value, Value),
}

/// One node of the Raft KV cluster. Built by [`crate::RaftKv`].
#[derive(Debug)]
pub struct RaftNode {
    config: RaftKvConfig,
    hard: HardState,
    log: Log,
    role: Role,
    leader: Option<NodeId>,
    commit: u64,
    applied: u64,
    sm: StateMachine,
    election_timer: Option<TimerId>,
    heartbeat_timer: Option<TimerId>,
    quorum_timer: Option<TimerId>,
    votes: BTreeSet<NodeId>,
    /// Last time (own clock) a leader was heard from, or the node started.
    last_leader_contact: Timestamp,
    // Leader state.
    progress: BTreeMap<NodeId, Progress>,
    round: u64,
    committed_in_term: bool,
    /// Log index -> the client request whose entry sits there (this node
    /// proposed it and has not answered yet).
    pending_writes: BTreeMap<u64, RequestId>,
    /// Reads that arrived before this leader committed an entry of its term.
    reads_waiting: Vec<(RequestId, Option<Value>)>,
    reads_pending: Vec<PendingRead>,
    /// `lease_trusts_clock` only: when each read round started (own clock).
    round_started_at: BTreeMap<u64, Timestamp>,
    /// `lease_trusts_clock` only: reads are served locally until then.
    lease_until: Option<Timestamp>,
    /// Requests proposed and not yet applied here: id -> log index, so a
    /// resent copy is not proposed twice.
    in_flight: BTreeMap<RequestId, u64>,
    /// Requests this node took from its clients and passes on to the
    /// leader, until a leader acknowledges them.
    forwarded: BTreeMap<RequestId, Forwarded>,
    forward_timer: Option<TimerId>,
}

impl RaftNode {
    /// A node with empty volatile state; [`Node::on_start`] loads the rest
    /// from storage.
    pub fn new(config: RaftKvConfig) -> Self {
        RaftNode {
            config,
            hard: HardState::default(),
            log: Log::default(),
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            sm: StateMachine::default(),
            election_timer: None,
            heartbeat_timer: None,
            quorum_timer: None,
            votes: BTreeSet::new(),
            last_leader_contact: Timestamp(0),
            progress: BTreeMap::new(),
            round: 0,
            committed_in_term: false,
            pending_writes: BTreeMap::new(),
            reads_waiting: Vec::new(),
            reads_pending: Vec::new(),
            round_started_at: BTreeMap::new(),
            lease_until: None,
            in_flight: BTreeMap::new(),
            forwarded: BTreeMap::new(),
            forward_timer: None,
        }
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current term.
    pub fn term(&self) -> u64 {
        self.hard.term
    }

    /// The vote cast in the current term.
    pub fn voted_for(&self) -> Option<u32> {
        self.hard.vote
    }

    /// The node this one believes leads the current term.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// Highest index known committed.
    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    /// Highest index applied to the state machine.
    pub fn applied_index(&self) -> u64 {
        self.applied
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The value this node's state machine holds for `key`.
    pub fn local_value(&self, key: &Option<Value>) -> Value {
        self.sm.read(key)
    }

    fn majority(ctx: &Ctx<'_, Self>) -> usize {
        ctx.nodes().len() / 2 + 1
    }

    fn sync(&self, ctx: &mut Ctx<'_, Self>) {
        if !self.config.no_sync {
            ctx.storage().sync();
        }
    }

    fn save_hard(&self, ctx: &mut Ctx<'_, Self>) {
        Log::save_hard(ctx.storage(), self.hard);
        ctx.gauge("term", self.hard.term as f64);
    }

    // ----- timers -------------------------------------------------------

    fn reset_election_timer(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some(t) = self.election_timer.take() {
            ctx.cancel_timer(t);
        }
        let [min_ms, max_ms] = self.config.election_timeout_ms;
        let ms = ctx.rng().random_range(min_ms..max_ms);
        self.election_timer = Some(ctx.set_timer(Duration::from_millis(ms), Timer::Election));
    }

    fn stop_leader_timers(&mut self, ctx: &mut Ctx<'_, Self>) {
        for t in [self.heartbeat_timer.take(), self.quorum_timer.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_timer(t);
        }
    }

    // ----- role changes -------------------------------------------------

    /// Moves to `term` as a follower (of `leader`, if known).
    fn become_follower(&mut self, ctx: &mut Ctx<'_, Self>, term: u64, leader: Option<NodeId>) {
        if term > self.hard.term {
            // Durable before any reply that shows the new term.
            self.hard = HardState { term, vote: None };
            self.save_hard(ctx);
            self.sync(ctx);
        }
        if self.role == Role::Leader {
            self.stop_leader_timers(ctx);
            // Reads have no effect, so failing them is always safe. Pending
            // writes stay: their entries may still commit under the next
            // leader, and are answered when applied.
            for (req, _) in std::mem::take(&mut self.reads_waiting) {
                ctx.respond(req, ClientResponse::fail("not-leader"));
            }
            for read in std::mem::take(&mut self.reads_pending) {
                ctx.respond(read.req, ClientResponse::fail("not-leader"));
            }
            self.progress.clear();
            self.round_started_at.clear();
            self.lease_until = None;
            ctx.gauge("leader", 0.0);
        }
        if self.role != Role::Follower || self.election_timer.is_none() {
            self.role = Role::Follower;
            self.reset_election_timer(ctx);
        }
        self.leader = leader;
    }

    fn become_candidate(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.role = Role::Candidate;
        self.leader = None;
        self.hard = HardState {
            term: self.hard.term + 1,
            vote: Some(ctx.id().0),
        };
        self.save_hard(ctx);
        self.sync(ctx);
        ctx.fault_point("term-persisted");
        self.votes.clear();
        self.votes.insert(ctx.id());
        self.reset_election_timer(ctx);
        if self.votes.len() >= Self::majority(ctx) {
            self.become_leader(ctx);
            return;
        }
        ctx.broadcast(Message::RequestVote {
            term: self.hard.term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        });
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.role = Role::Leader;
        self.leader = Some(ctx.id());
        if let Some(t) = self.election_timer.take() {
            ctx.cancel_timer(t);
        }
        let next = self.log.last_index() + 1;
        let peers: Vec<NodeId> = ctx.peers().collect();
        self.progress = peers
            .into_iter()
            .map(|p| {
                let progress = Progress {
                    next,
                    ..Progress::default()
                };
                (p, progress)
            })
            .collect();
        self.round = 0;
        self.committed_in_term = false;
        self.round_started_at.clear();
        self.lease_until = None;
        ctx.gauge("leader", 1.0);
        let heartbeat = Duration::from_millis(self.config.heartbeat_ms);
        self.heartbeat_timer = Some(ctx.set_timer(heartbeat, Timer::Heartbeat));
        let quorum = Duration::from_millis(self.config.election_timeout_ms[0]);
        self.quorum_timer = Some(ctx.set_timer(quorum, Timer::CheckQuorum));
        self.propose(
            ctx,
            Entry {
                term: self.hard.term,
                req: None,
                cmd: Command::Noop,
            },
        );
        if !self.forwarded.is_empty() {
            // Requests this node held for its clients are now its own.
            self.resend_forwarded(ctx, false);
        }
    }

    // ----- leader: replication --------------------------------------------

    /// Appends an entry to the leader's log, syncs it and sends it on.
    fn propose(&mut self, ctx: &mut Ctx<'_, Self>, entry: Entry) -> u64 {
        let index = self.log.append(ctx.storage(), entry);
        self.sync(ctx);
        ctx.fault_point("entry-proposed");
        let peers: Vec<NodeId> = self
            .progress
            .iter()
            .filter(|(_, p)| p.next == index)
            .map(|(id, _)| *id)
            .collect();
        for peer in peers {
            self.send_append(ctx, peer);
        }
        self.maybe_commit(ctx);
        index
    }

    /// Sends `peer` the entries from its `next` index (maybe none).
    fn send_append(&mut self, ctx: &mut Ctx<'_, Self>, peer: NodeId) {
        let Some(progress) = self.progress.get_mut(&peer) else {
            return;
        };
        let last = self.log.last_index();
        progress.next = progress.next.clamp(1, last + 1);
        let prev_index = progress.next - 1;
        let prev_term = self.log.term_at(prev_index).unwrap_or(0);
        let entries = self
            .log
            .slice(progress.next, self.config.max_entries_per_append)
            .to_vec();
        progress.next += entries.len() as u64;
        ctx.send(
            peer,
            Message::Append {
                term: self.hard.term,
                prev_index,
                prev_term,
                entries,
                commit: self.commit,
                round: self.round,
            },
        );
    }

    /// Starts a new read round and sends every peer an append.
    fn broadcast_round(&mut self, ctx: &mut Ctx<'_, Self>, retransmit: bool) {
        self.round += 1;
        if self.config.lease_trusts_clock {
            self.round_started_at.insert(self.round, ctx.now());
        }
        let peers: Vec<NodeId> = self.progress.keys().copied().collect();
        for peer in peers {
            if retransmit {
                if let Some(p) = self.progress.get_mut(&peer) {
                    // Silence since the last heartbeat: assume what is in
                    // flight was lost and resend it. (A lost append among
                    // answered ones shows up as a rejection instead.)
                    if !p.replied {
                        p.next = p.matched + 1;
                    }
                    p.replied = false;
                }
            }
            self.send_append(ctx, peer);
        }
        // A single node confirms its own rounds.
        self.on_round_progress(ctx);
    }

    fn maybe_commit(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.role != Role::Leader {
            return;
        }
        let mut matched: Vec<u64> = self.progress.values().map(|p| p.matched).collect();
        matched.push(self.log.last_index());
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = matched[Self::majority(ctx) - 1];
        // Only entries of the current term are committed by counting
        // (Raft §5.4.2); earlier ones commit with them.
        if candidate > self.commit && self.log.term_at(candidate) == Some(self.hard.term) {
            self.commit = candidate;
            ctx.fault_point("commit-advanced");
            if !self.committed_in_term {
                self.committed_in_term = true;
                let waiting = std::mem::take(&mut self.reads_waiting);
                if !waiting.is_empty() {
                    self.start_reads(ctx, waiting);
                }
            }
            self.apply(ctx);
        }
    }

    /// Highest read round a majority (this leader included) has answered.
    fn confirmed_round(&self, ctx: &Ctx<'_, Self>) -> u64 {
        let mut rounds: Vec<u64> = self.progress.values().map(|p| p.round).collect();
        rounds.push(self.round);
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        rounds[Self::majority(ctx) - 1]
    }

    fn on_round_progress(&mut self, ctx: &mut Ctx<'_, Self>) {
        let confirmed = self.confirmed_round(ctx);
        if self.config.lease_trusts_clock {
            if let Some(started) = self.round_started_at.get(&confirmed).copied() {
                let until = started + Duration::from_millis(self.config.lease_ms);
                self.lease_until = Some(self.lease_until.map_or(until, |u| u.max(until)));
            }
            self.round_started_at = self.round_started_at.split_off(&confirmed);
        }
        self.serve_reads(ctx);
    }

    // ----- reads -----------------------------------------------------------

    /// Registers reads at the current commit index and starts one round to
    /// confirm them (or serves them under a lease).
    fn start_reads(&mut self, ctx: &mut Ctx<'_, Self>, reads: Vec<(RequestId, Option<Value>)>) {
        let lease_ok = self.config.lease_trusts_clock
            && self.lease_until.is_some_and(|until| ctx.now() < until);
        let round = if lease_ok { 0 } else { self.round + 1 };
        for (req, key) in reads {
            self.reads_pending.push(PendingRead {
                req,
                key,
                index: self.commit,
                round,
            });
        }
        if lease_ok {
            self.serve_reads(ctx);
        } else {
            self.broadcast_round(ctx, false);
        }
    }

    fn serve_reads(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.reads_pending.is_empty() {
            return;
        }
        let confirmed = self.confirmed_round(ctx);
        let applied = self.applied;
        let sm = &self.sm;
        self.reads_pending.retain(|r| {
            let ready = r.round <= confirmed && r.index <= applied;
            if ready {
                ctx.respond(r.req, ClientResponse::Ok(sm.read(&r.key)));
            }
            !ready
        });
    }

    // ----- apply -----------------------------------------------------------

    fn apply(&mut self, ctx: &mut Ctx<'_, Self>) {
        while self.applied < self.commit {
            let index = self.applied + 1;
            let Some(entry) = self.log.get(index) else {
                break;
            };
            let outcome = self.sm.apply(entry.req, &entry.cmd);
            self.applied = index;
            if let Some(req) = entry.req {
                self.in_flight.remove(&req);
            }
            if let Some(req) = self.pending_writes.remove(&index) {
                if entry.req == Some(req) {
                    ctx.respond(req, outcome.response());
                } else {
                    // Another entry won this index. Ours cannot commit here,
                    // but a copy proposed elsewhere might: say we don't know.
                    ctx.respond(req, ClientResponse::unknown("entry-overwritten"));
                }
            }
        }
        if self.role == Role::Leader {
            self.serve_reads(ctx);
        }
    }

    // ----- client requests -------------------------------------------------

    fn parse(req: &ClientRequest) -> Result<Op, String> {
        match req.f.as_str() {
            "read" | "get" => Ok(Op::Read(req.key.clone())),
            "write" | "put" => Ok(Op::Write(req.key.clone(), req.value.clone())),
            "cas" => match req.value.as_seq() {
                Some([expected, new]) => {
                    Ok(Op::Cas(req.key.clone(), expected.clone(), new.clone()))
                }
                _ => Err(format!("cas takes [expected new], not {}", req.value)),
            },
            other => Err(format!(
                "raft-kv has no op `{other}`: use read, write or cas"
            )),
        }
    }

    fn handle_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest, hops: u8) {
        let op = match Self::parse(&req) {
            Ok(op) => op,
            Err(e) => {
                ctx.respond(req.id, ClientResponse::fail(e));
                return;
            }
        };
        if let (Op::Read(key), true) = (&op, self.config.stale_reads) {
            // Bug: a serializable read served as if it were linearizable.
            ctx.respond(req.id, ClientResponse::Ok(self.sm.read(key)));
            return;
        }
        if self.role != Role::Leader {
            let leader = self.leader.filter(|l| *l != ctx.id());
            if hops == 0 {
                // Straight from a client. Messages get lost and elections
                // take a moment: keep it, resend it until a leader
                // acknowledges it, or park it until a leader is known.
                self.forwarded.insert(
                    req.id,
                    Forwarded {
                        req: req.clone(),
                        ticks: 0,
                        sent: leader.is_some(),
                    },
                );
                if self.forward_timer.is_none() {
                    let every = Duration::from_millis(2 * self.config.heartbeat_ms);
                    self.forward_timer = Some(ctx.set_timer(every, Timer::ForwardRetry));
                }
            }
            match leader {
                Some(leader) if hops < FORWARD_HOPS_MAX => {
                    ctx.send(
                        leader,
                        Message::Forward {
                            req,
                            hops: hops + 1,
                        },
                    );
                }
                // A forwarded copy may be a duplicate of one that was
                // proposed; stay silent (the node the client reached
                // resends it).
                _ => {}
            }
            return;
        }
        if let Some(done) = self.sm.applied(req.id) {
            ctx.respond(req.id, done.response());
            return;
        }
        if let Some(&index) = self.in_flight.get(&req.id) {
            if self.log.get(index).is_some_and(|e| e.req == Some(req.id)) {
                // A resent copy of a request already in the log.
                return;
            }
        }
        let cmd = match op {
            Op::Read(key) => match self.config.read_path {
                ReadPath::ReadIndex => {
                    if self.committed_in_term {
                        self.start_reads(ctx, vec![(req.id, key)]);
                    } else {
                        self.reads_waiting.push((req.id, key));
                    }
                    return;
                }
                ReadPath::Log => Command::Read { key },
            },
            Op::Write(key, value) => Command::Write { key, value },
            Op::Cas(key, expected, new) => Command::Cas { key, expected, new },
        };
        let entry = Entry {
            term: self.hard.term,
            req: Some(req.id),
            cmd,
        };
        let index = self.log.last_index() + 1;
        self.pending_writes.insert(index, req.id);
        self.in_flight.insert(req.id, index);
        self.propose(ctx, entry);
    }

    /// Resends unacknowledged forwarded requests to the leader, or handles
    /// them if this node now leads. A request that was never sent (no
    /// leader was known) and has waited too long is failed: it certainly did
    /// not happen. One that was sent is never failed: a copy may have been
    /// proposed already.
    fn resend_forwarded(&mut self, ctx: &mut Ctx<'_, Self>, tick: bool) {
        let mut forwarded = std::mem::take(&mut self.forwarded);
        if tick {
            forwarded.retain(|_, f| {
                f.ticks += 1;
                let limit = if f.sent {
                    FORWARD_RESENDS_MAX
                } else {
                    FORWARD_PARK_TICKS_MAX
                };
                let keep = f.ticks <= limit;
                if !keep && !f.sent {
                    ctx.respond(f.req.id, ClientResponse::fail("not-leader"));
                }
                keep
            });
        }
        match self.leader {
            _ if self.role == Role::Leader => {
                for (_, f) in forwarded {
                    let hops = u8::from(f.sent);
                    self.handle_request(ctx, f.req, hops);
                }
            }
            Some(leader) if leader != ctx.id() => {
                for f in forwarded.values_mut() {
                    if tick || !f.sent {
                        f.sent = true;
                        let msg = Message::Forward {
                            req: f.req.clone(),
                            hops: 1,
                        };
                        ctx.send(leader, msg);
                    }
                }
                self.forwarded = forwarded;
            }
            _ => self.forwarded = forwarded,
        }
        if tick && !self.forwarded.is_empty() {
            let every = Duration::from_millis(2 * self.config.heartbeat_ms);
            self.forward_timer = Some(ctx.set_timer(every, Timer::ForwardRetry));
        }
    }

    // ----- messages --------------------------------------------------------

    fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        if term > self.hard.term {
            // Leader stickiness: while a leader was heard from recently, a
            // vote request (maybe from a node that was cut off and kept
            // starting elections) does not disturb the cluster.
            let min = Duration::from_millis(self.config.election_timeout_ms[0]);
            let recent = self.role == Role::Leader
                || ctx
                    .now()
                    .since(self.last_leader_contact)
                    .is_some_and(|d| d < min);
            if recent {
                return;
            }
            self.become_follower(ctx, term, None);
        }
        let up_to_date = (last_term, last_index) >= (self.log.last_term(), self.log.last_index());
        let granted =
            term == self.hard.term && up_to_date && self.hard.vote.is_none_or(|v| v == from.0);
        if granted && self.hard.vote.is_none() {
            self.hard.vote = Some(from.0);
            self.save_hard(ctx);
            self.sync(ctx);
            ctx.fault_point("vote-persisted");
            self.reset_election_timer(ctx);
        }
        ctx.send(
            from,
            Message::Vote {
                term: self.hard.term,
                granted,
            },
        );
    }

    fn on_vote(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, granted: bool) {
        if term > self.hard.term {
            self.become_follower(ctx, term, None);
            return;
        }
        if self.role == Role::Candidate && term == self.hard.term && granted {
            self.votes.insert(from);
            if self.votes.len() >= Self::majority(ctx) {
                self.become_leader(ctx);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        round: u64,
    ) {
        if term < self.hard.term {
            // A read round counts only in the term that started it: echoing
            // this stale round beside our newer term would let a leader of
            // that newer term (the same node, re-elected) take it for an
            // answer to one of its own rounds, and serve reads unconfirmed.
            ctx.send(
                from,
                Message::AppendReply {
                    term: self.hard.term,
                    success: false,
                    index: 0,
                    round: 0,
                },
            );
            return;
        }
        self.last_leader_contact = ctx.now();
        if term > self.hard.term || self.role != Role::Follower {
            self.become_follower(ctx, term, Some(from));
        }
        let new_leader = self.leader != Some(from);
        self.leader = Some(from);
        self.reset_election_timer(ctx);
        if new_leader && self.forwarded.values().any(|f| !f.sent) {
            self.resend_forwarded(ctx, false);
        }
        if self.log.term_at(prev_index) != Some(prev_term) {
            let hint = self.log.last_index().min(prev_index.saturating_sub(1));
            ctx.send(
                from,
                Message::AppendReply {
                    term,
                    success: false,
                    index: hint,
                    round,
                },
            );
            return;
        }
        let count = entries.len() as u64;
        let mut changed = false;
        for (i, entry) in entries.into_iter().enumerate() {
            let index = prev_index + 1 + i as u64;
            match self.log.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    // A conflict: everything from here on was never
                    // committed; the leader's entries replace it.
                    self.log.truncate_from(ctx.storage(), index);
                }
                None => {}
            }
            self.log.append(ctx.storage(), entry);
            changed = true;
        }
        if changed {
            self.sync(ctx);
            ctx.fault_point("entries-appended");
        }
        let matched = prev_index + count;
        let new_commit = commit.min(matched);
        if new_commit > self.commit {
            self.commit = new_commit;
            self.apply(ctx);
        }
        ctx.send(
            from,
            Message::AppendReply {
                term,
                success: true,
                index: matched,
                round,
            },
        );
    }

    fn on_append_reply(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        success: bool,
        index: u64,
        round: u64,
    ) {
        if term > self.hard.term {
            self.become_follower(ctx, term, None);
            return;
        }
        if self.role != Role::Leader || term < self.hard.term {
            return;
        }
        let last = self.log.last_index();
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        p.active = true;
        p.replied = true;
        // No reply can answer a round not yet started: such a round is from
        // another term (see `on_append`), and must confirm nothing.
        let round = if round <= self.round { round } else { 0 };
        let new_round = round > p.round;
        p.round = p.round.max(round);
        let mut resend = false;
        if success {
            if index > p.matched {
                p.matched = index.min(last);
                p.next = p.next.max(p.matched + 1);
                resend = p.next <= last;
            }
        } else {
            let next = (index + 1).max(p.matched + 1);
            if next < p.next {
                p.next = next;
                resend = true;
            }
        }
        if resend {
            self.send_append(ctx, from);
        }
        if success {
            self.maybe_commit(ctx);
        }
        if new_round {
            self.on_round_progress(ctx);
        }
    }
}

impl Node for RaftNode {
    type Message = Message;
    type Timer = Timer;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let (hard, log) = Log::load(ctx.storage());
        self.hard = hard;
        self.log = log;
        // Treat a (re)start as fresh leader contact: a node that just came
        // back must not vote away a lease it may have helped grant.
        self.last_leader_contact = ctx.now();
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Message) {
        match msg {
            Message::RequestVote {
                term,
                last_index,
                last_term,
            } => self.on_request_vote(ctx, from, term, last_index, last_term),
            Message::Vote { term, granted } => self.on_vote(ctx, from, term, granted),
            Message::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => self.on_append(
                ctx, from, term, prev_index, prev_term, entries, commit, round,
            ),
            Message::AppendReply {
                term,
                success,
                index,
                round,
            } => self.on_append_reply(ctx, from, term, success, index, round),
            Message::Forward { req, hops } => {
                if self.role == Role::Leader {
                    ctx.send(from, Message::ForwardAck { id: req.id });
                }
                self.handle_request(ctx, req, hops)
            }
            Message::ForwardAck { id } => {
                self.forwarded.remove(&id);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, id: TimerId, timer: Timer) {
        match timer {
            Timer::Election => {
                if self.election_timer != Some(id) {
                    return;
                }
                self.election_timer = None;
                if self.role != Role::Leader {
                    self.become_candidate(ctx);
                }
            }
            Timer::Heartbeat => {
                if self.heartbeat_timer != Some(id) || self.role != Role::Leader {
                    return;
                }
                let heartbeat = Duration::from_millis(self.config.heartbeat_ms);
                self.heartbeat_timer = Some(ctx.set_timer(heartbeat, Timer::Heartbeat));
                self.broadcast_round(ctx, true);
            }
            Timer::ForwardRetry => {
                if self.forward_timer != Some(id) {
                    return;
                }
                self.forward_timer = None;
                self.resend_forwarded(ctx, true);
            }
            Timer::CheckQuorum => {
                if self.quorum_timer != Some(id) || self.role != Role::Leader {
                    return;
                }
                let active = 1 + self.progress.values().filter(|p| p.active).count();
                // With `lease_trusts_clock`, the lease is the authority: a
                // leader keeps leading while its own clock says the lease
                // holds, even when it hears from nobody.
                let lease_holds = self.config.lease_trusts_clock
                    && self.lease_until.is_some_and(|until| ctx.now() < until);
                if active < Self::majority(ctx) && !lease_holds {
                    // Cut off from a majority: stop claiming to lead.
                    let term = self.hard.term;
                    self.become_follower(ctx, term, None);
                    return;
                }
                for p in self.progress.values_mut() {
                    p.active = false;
                }
                let quorum = Duration::from_millis(self.config.election_timeout_ms[0]);
                self.quorum_timer = Some(ctx.set_timer(quorum, Timer::CheckQuorum));
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, req: ClientRequest) {
        self.handle_request(ctx, req, 0);
    }

    fn roles(&self) -> Vec<String> {
        if self.role == Role::Leader {
            vec!["leader".to_owned()]
        } else {
            Vec::new()
        }
    }
}
