//! What a run leaves behind: the [`RunRecord`] with its history, nemesis log,
//! metric time series and the digest of every delivered message.

use crate::node::NodeId;
use serde::{Deserialize, Serialize};
use shakedown_checkers::History;
use std::collections::BTreeMap;

/// Everything a run produced. Two runs of the same configuration and seed
/// produce equal records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The seed the run derived everything from.
    pub seed: u64,
    /// Client operations (invoke and completion events) and nemesis `info`
    /// events, in the order they happened, with simulated times in ns.
    pub history: History,
    /// What the nemesis did, when, to whom.
    pub nemesis_log: Vec<NemesisEntry>,
    /// Message counters and model gauges over time.
    pub metrics: Metrics,
    /// Digest of everything that happened, in order: delivered messages,
    /// client requests and responses, timers set (with their delay) and
    /// fired, history events, each with its simulated time (see [`Digest`]).
    pub digest: u64,
    /// Messages delivered in all (node messages, client requests and
    /// responses): the number of items the digest covers.
    pub delivered: u64,
    /// Simulated time at which the run ended, in ns.
    pub end_ns: i64,
    /// Why the run ended.
    pub ended: EndReason,
    /// Every step in words, when [`crate::SimConfig::trace`] was on (empty
    /// otherwise): see [`crate::trace::first_divergence`].
    pub trace: Vec<crate::trace::TraceEntry>,
}

impl RunRecord {
    /// The digest as 16 hex digits, for logs and reports.
    pub fn digest_hex(&self) -> String {
        format!("{:016x}", self.digest)
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// The workload finished (every op completed or timed out) and the fault
    /// schedule was done.
    Completed,
    /// The simulated time limit was reached first; ops still open have no
    /// completion (they count as `info`).
    TimeLimit,
    /// Model code panicked ([`crate::SimError::Crashed`]); the record stops
    /// there.
    Crashed,
}

/// One thing the nemesis did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NemesisEntry {
    /// Simulated time, ns.
    pub time_ns: i64,
    /// The operation (`partition`, `crash`, `clock-bump`, ...).
    pub f: String,
    /// `start`, `stop`, `flip` or `apply` (an operation with no window).
    pub phase: String,
    /// Nodes acted on, by Jepsen name.
    pub nodes: Vec<String>,
    /// Parameters and details, in words (`offset_ms=-5000`).
    pub detail: String,
    /// What happened: `ok`, `no-change`, or the error.
    pub outcome: String,
}

/// Counters of one node at one sample time (cumulative since the start).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeCounters {
    /// Messages this node sent to other nodes (duplicates not counted).
    pub sent: u64,
    /// Messages this node received and handled.
    pub delivered: u64,
    /// Messages this node sent that were lost (cut link, loss rate, dead or
    /// unknown receiver, full inbox).
    pub dropped: u64,
    /// Messages this node sent that the network delivered twice.
    pub duplicated: u64,
    /// Client requests it received.
    pub requests: u64,
    /// Client responses it sent.
    pub responses: u64,
}

/// One sample of every node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Simulated time, ns.
    pub time_ns: i64,
    /// Counters per node, indexed by node.
    pub nodes: Vec<NodeCounters>,
    /// Last reported value of each model gauge, per node (missing: never
    /// reported).
    pub gauges: Vec<BTreeMap<String, f64>>,
}

/// Metric time series of a run, sampled every `interval_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Sampling interval of simulated time, ms.
    pub interval_ms: u64,
    /// Node names, by index (`n0`, `n1`, ...).
    pub node_names: Vec<String>,
    /// Samples in time order; the last one is taken at the end of the run.
    pub samples: Vec<Sample>,
}

impl Metrics {
    /// The series of one gauge on one node: `(time_ns, value)`.
    pub fn gauge_series(&self, node: NodeId, name: &str) -> Vec<(i64, f64)> {
        self.samples
            .iter()
            .filter_map(|s| {
                s.gauges
                    .get(node.index())
                    .and_then(|g| g.get(name))
                    .map(|v| (s.time_ns, *v))
            })
            .collect()
    }

    /// Totals over all nodes at the end of the run.
    pub fn totals(&self) -> NodeCounters {
        let mut t = NodeCounters::default();
        if let Some(last) = self.samples.last() {
            for c in &last.nodes {
                t.sent += c.sent;
                t.delivered += c.delivered;
                t.dropped += c.dropped;
                t.duplicated += c.duplicated;
                t.requests += c.requests;
                t.responses += c.responses;
            }
        }
        t
    }
}

/// A running 64-bit FNV-1a digest. Not cryptographic: it tells runs apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    /// Mixes bytes in.
    pub fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    /// Mixes an integer in.
    pub fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    /// The digest so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

impl std::io::Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Digest::write(self, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
