//! The client workload: which operations simulated clients issue, on which
//! keys, with which values, how fast, and for how long. Everything is drawn
//! from the run's seed.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use shakedown_checkers::Value;
use std::collections::BTreeMap;

/// Most keys a workload may use.
pub const KEYS_MAX: usize = 1_000_000;

/// One kind of operation in the mix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpKind {
    /// `read`, value `nil`; the result is what was read.
    Read,
    /// `write` of a fresh value.
    Write,
    /// `cas` with value `[expected new]`; `expected` is a value recently
    /// written to the key, so that some cas ops succeed.
    Cas,
    /// `append` of a fresh value.
    Append,
    /// `add` of a fresh value to a set (Jepsen's set workload: read it
    /// whole with `read`, check with the `set` model).
    Add,
    /// Any other `f`, with value `nil` (the model decides what it means).
    Other(String),
}

impl OpKind {
    /// The history's `:f` for this kind.
    pub fn f(&self) -> &str {
        match self {
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::Cas => "cas",
            OpKind::Append => "append",
            OpKind::Add => "add",
            OpKind::Other(f) => f,
        }
    }
}

/// How keys are picked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KeyDistribution {
    /// Every key equally likely.
    #[default]
    Uniform,
    /// Key `k` (from 0) with probability proportional to `1 / (k+1)^exponent`.
    Zipf {
        /// The skew; 1.0 is classic Zipf.
        exponent: f64,
    },
}

/// How fast clients issue operations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pacing {
    /// Each client issues its next op as soon as the previous completes.
    ClosedLoop,
    /// About `ops_per_s` ops per simulated second over all clients: each
    /// client invokes its next op `U[0, 2 * clients / ops_per_s]` after its
    /// previous invocation (Jepsen's stagger), or when that op completes if
    /// later: at most one op in flight per client.
    Rate {
        /// Target rate over all clients.
        ops_per_s: f64,
    },
}

/// When clients stop issuing new operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpLimit {
    /// After this many invocations in all.
    Count(u64),
    /// After this much simulated time, in milliseconds.
    DurationMs(u64),
}

/// The workload. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Operation kinds with their relative weights.
    pub mix: Vec<(OpKind, u32)>,
    /// Number of keys; `None`: a single unkeyed register (no `:key`).
    pub keys: Option<usize>,
    /// How keys are picked.
    pub key_distribution: KeyDistribution,
    /// Every written or appended value is unique (1, 2, 3, ...). When false,
    /// values are drawn from `0..value_range`, as Jepsen's cas-register does.
    pub unique_values: bool,
    /// Range of values when `unique_values` is false.
    pub value_range: i64,
    /// How fast.
    pub pacing: Pacing,
    /// When to stop issuing.
    pub limit: OpLimit,
    /// A client gives up on an op after this long and records it as `info`.
    pub timeout_ms: u64,
    /// If set, once the main phase is over and every op has completed,
    /// clients read every key once, starting at this simulated time (a
    /// quiet window to let the cluster recover first).
    pub final_reads_at_ms: Option<u64>,
}

impl Default for Workload {
    /// A single register: reads, writes and cas in equal parts, closed loop,
    /// 200 ops, 1 s timeout.
    fn default() -> Self {
        Workload {
            mix: vec![(OpKind::Read, 1), (OpKind::Write, 1), (OpKind::Cas, 1)],
            keys: None,
            key_distribution: KeyDistribution::Uniform,
            unique_values: true,
            value_range: 5,
            pacing: Pacing::ClosedLoop,
            limit: OpLimit::Count(200),
            timeout_ms: 1000,
            final_reads_at_ms: None,
        }
    }
}

impl Workload {
    /// Checks the workload; the message says what to write instead.
    pub fn validate(&self) -> Result<(), String> {
        if self.mix.is_empty() || self.mix.iter().all(|(_, w)| *w == 0) {
            return Err("workload `mix` is empty: give at least one op with a weight above 0, e.g. read = 1".into());
        }
        if let Some(k) = self.keys {
            if k == 0 || k > KEYS_MAX {
                return Err(format!(
                    "workload `keys` = {k}: use 1 to {KEYS_MAX} keys, or none for a single register"
                ));
            }
        }
        if let KeyDistribution::Zipf { exponent } = self.key_distribution {
            if !(exponent.is_finite() && exponent > 0.0 && exponent <= 10.0) {
                return Err(format!(
                    "zipf exponent {exponent} is absurd: use a number above 0 and at most 10 (1.0 is classic Zipf)"
                ));
            }
        }
        if !self.unique_values && self.value_range <= 0 {
            return Err(format!(
                "workload `value_range` = {}: must be at least 1",
                self.value_range
            ));
        }
        if let Pacing::Rate { ops_per_s } = self.pacing {
            if !(ops_per_s.is_finite() && ops_per_s > 0.0 && ops_per_s <= 1e7) {
                return Err(format!(
                    "workload rate {ops_per_s} ops/s is absurd: use a number above 0 and at most 10,000,000"
                ));
            }
        }
        match self.limit {
            OpLimit::Count(0) => {
                return Err("workload op count is 0: give at least 1 op".into());
            }
            OpLimit::DurationMs(0) => {
                return Err("workload duration is 0 ms: give a duration above 0".into());
            }
            _ => {}
        }
        if self.timeout_ms == 0 {
            return Err("workload `timeout_ms` is 0: give the client a timeout above 0".into());
        }
        Ok(())
    }
}

/// One operation to invoke.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedOp {
    pub(crate) f: String,
    pub(crate) key: Option<Value>,
    pub(crate) value: Value,
}

/// Draws operations from a [`Workload`].
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    workload: Workload,
    total_weight: u64,
    /// Cumulative weights of the zipf distribution over keys.
    zipf_cdf: Vec<f64>,
    next_value: i64,
    /// Values recently written per key (newest last), for cas.
    recent: BTreeMap<Option<i64>, Vec<i64>>,
}

const RECENT_PER_KEY: usize = 4;

impl Generator {
    pub(crate) fn new(workload: &Workload) -> Self {
        let total_weight = workload.mix.iter().map(|(_, w)| u64::from(*w)).sum();
        let zipf_cdf = match (workload.keys, workload.key_distribution) {
            (Some(n), KeyDistribution::Zipf { exponent }) => {
                let mut acc = 0.0;
                (0..n)
                    .map(|k| {
                        acc += 1.0 / ((k + 1) as f64).powf(exponent);
                        acc
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        Generator {
            workload: workload.clone(),
            total_weight,
            zipf_cdf,
            next_value: 0,
            recent: BTreeMap::new(),
        }
    }

    fn pick_key<R: RngCore>(&self, rng: &mut R) -> Option<i64> {
        let n = self.workload.keys?;
        if self.zipf_cdf.is_empty() {
            return Some(rng.random_range(0..n) as i64);
        }
        let total = *self.zipf_cdf.last().unwrap_or(&1.0);
        let x = rng.random::<f64>() * total;
        let k = self.zipf_cdf.partition_point(|&c| c <= x).min(n - 1);
        Some(k as i64)
    }

    fn fresh_value<R: RngCore>(&mut self, rng: &mut R) -> i64 {
        if self.workload.unique_values {
            self.next_value += 1;
            self.next_value
        } else {
            rng.random_range(0..self.workload.value_range)
        }
    }

    fn remember(&mut self, key: Option<i64>, v: i64) {
        let r = self.recent.entry(key).or_default();
        r.push(v);
        if r.len() > RECENT_PER_KEY {
            r.remove(0);
        }
    }

    /// The next operation.
    pub(crate) fn next<R: RngCore>(&mut self, rng: &mut R) -> PlannedOp {
        let mut pick = rng.random_range(0..self.total_weight.max(1));
        let mut kind = &self.workload.mix[0].0;
        for (k, w) in &self.workload.mix {
            let w = u64::from(*w);
            if pick < w {
                kind = k;
                break;
            }
            pick -= w;
        }
        let kind = kind.clone();
        let key = self.pick_key(rng);
        let (f, value) = match kind {
            OpKind::Read => ("read".to_owned(), Value::Nil),
            OpKind::Write | OpKind::Append | OpKind::Add => {
                let v = self.fresh_value(rng);
                self.remember(key, v);
                (kind.f().to_owned(), Value::Int(v))
            }
            OpKind::Cas => {
                let expected = if self.workload.unique_values {
                    self.recent
                        .get(&key)
                        .filter(|r| !r.is_empty())
                        .map(|r| r[rng.random_range(0..r.len())])
                } else {
                    Some(rng.random_range(0..self.workload.value_range))
                };
                let new = self.fresh_value(rng);
                self.remember(key, new);
                match expected {
                    Some(e) => (
                        "cas".to_owned(),
                        Value::Vector(vec![Value::Int(e), Value::Int(new)]),
                    ),
                    // Nothing written to this key yet: a cas could only fail.
                    None => ("write".to_owned(), Value::Int(new)),
                }
            }
            OpKind::Other(f) => (f, Value::Nil),
        };
        PlannedOp {
            f,
            key: key.map(Value::Int),
            value,
        }
    }

    /// Every key (or the single unkeyed register), for final reads.
    pub(crate) fn all_keys(&self) -> Vec<Option<Value>> {
        match self.workload.keys {
            None => vec![None],
            Some(n) => (0..n as i64).map(|k| Some(Value::Int(k))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn unique_values_and_cas_expecting_recent_writes() {
        let w = Workload {
            mix: vec![(OpKind::Write, 1), (OpKind::Cas, 1)],
            ..Workload::default()
        };
        let mut g = Generator::new(&w);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut written = Vec::new();
        for _ in 0..200 {
            let op = g.next(&mut rng);
            match op.f.as_str() {
                "write" => written.push(op.value.as_int().unwrap()),
                "cas" => {
                    let v = op.value.as_seq().unwrap();
                    assert!(written.contains(&v[0].as_int().unwrap()));
                    written.push(v[1].as_int().unwrap());
                }
                other => panic!("{other}"),
            }
        }
        let mut sorted = written.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), written.len(), "values are unique");
    }

    #[test]
    fn zipf_prefers_low_keys() {
        let w = Workload {
            keys: Some(20),
            key_distribution: KeyDistribution::Zipf { exponent: 1.2 },
            ..Workload::default()
        };
        let mut g = Generator::new(&w);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut counts = [0u32; 20];
        for _ in 0..5000 {
            let k = g.next(&mut rng).key.unwrap().as_int().unwrap();
            counts[k as usize] += 1;
        }
        assert!(
            counts[0] > counts[5] && counts[5] > counts[19],
            "{counts:?}"
        );
    }

    #[test]
    fn bad_workloads_are_explained() {
        let cases = [
            Workload {
                mix: vec![],
                ..Workload::default()
            },
            Workload {
                keys: Some(0),
                ..Workload::default()
            },
            Workload {
                pacing: Pacing::Rate { ops_per_s: -1.0 },
                ..Workload::default()
            },
            Workload {
                pacing: Pacing::Rate {
                    ops_per_s: f64::NAN,
                },
                ..Workload::default()
            },
            Workload {
                limit: OpLimit::DurationMs(0),
                ..Workload::default()
            },
            Workload {
                limit: OpLimit::Count(0),
                ..Workload::default()
            },
            Workload {
                timeout_ms: 0,
                ..Workload::default()
            },
        ];
        for w in cases {
            assert!(w.validate().is_err(), "{w:?}");
        }
        assert!(Workload::default().validate().is_ok());
    }
}
