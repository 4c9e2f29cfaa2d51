//! Sweep summaries for sharded sweeps: each shard (a CI machine, a nextest
//! partition, a Kubernetes indexed Job) writes what its seeds gave as JSON;
//! [`merge`] joins shards by seed. Every run is a pure function of its seed,
//! so a seed that appears in two shards must have the same verdict there; a
//! mismatch is reported as non-determinism.

use crate::runner::{RunOutcome, Status, Sweep};
use crate::scenario::Expect;
use crate::seeds::format_seed;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The value of [`SweepSummary::format`].
pub const SWEEP_FORMAT: &str = "shakedown-sweep";

/// What one shard of a sweep of one scenario gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// Always [`SWEEP_FORMAT`].
    pub format: String,
    /// The scenario's name (file stem).
    pub scenario: String,
    /// The scenario file, as given.
    pub path: String,
    /// `valid` or `invalid`.
    pub expect: Expect,
    /// One entry per seed run, in sweep order.
    pub runs: Vec<SeedResult>,
    /// Seeds the shard was asked to run (absent in older files).
    #[serde(default)]
    pub seeds_planned: Option<u64>,
    /// The shard was interrupted before it ran all its seeds.
    #[serde(default)]
    pub interrupted: bool,
}

/// One seed's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The seed as `--seed` takes it.
    pub seed_hex: String,
    /// `valid`, `invalid`, `unknown`, `crashed` or `nondeterministic`.
    pub outcome: String,
    /// Client ops.
    pub ops: usize,
    /// Simulated time, ns.
    pub sim_ns: u64,
    /// The run directory, if written.
    pub dir: Option<String>,
}

impl SweepSummary {
    /// The summary of a finished sweep.
    pub fn of(sweep: &Sweep) -> Self {
        SweepSummary {
            format: SWEEP_FORMAT.to_owned(),
            scenario: sweep.scenario.clone(),
            path: sweep.path.display().to_string(),
            expect: sweep.expect,
            runs: sweep
                .runs
                .iter()
                .map(|r| SeedResult {
                    seed: r.seed,
                    seed_hex: format_seed(r.seed),
                    outcome: r.outcome().name().to_owned(),
                    ops: r.ops,
                    sim_ns: r.sim_ns,
                    dir: r.dir.as_ref().map(|d| d.display().to_string()),
                })
                .collect(),
            seeds_planned: Some(sweep.seeds_planned),
            interrupted: sweep.interrupted,
        }
    }
}

/// Writes summaries as a JSON array.
pub fn write_summaries(path: &Path, summaries: &[SweepSummary]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(summaries).map_err(|e| e.to_string())? + "\n";
    crate::atomic::write_atomic(path, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a file written by [`write_summaries`] (or one summary alone).
pub fn read_summaries(path: &Path) -> Result<Vec<SweepSummary>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let at = |e: serde_json::Error| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column());
    if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).map_err(at)
    } else {
        serde_json::from_str::<SweepSummary>(&text)
            .map(|s| vec![s])
            .map_err(at)
    }
}

/// The shards of one scenario, merged by seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The scenario.
    pub scenario: String,
    /// What it expects.
    pub expect: Expect,
    /// Every seed's result, by seed.
    pub runs: BTreeMap<u64, SeedResult>,
    /// Seeds reported twice with different verdicts.
    pub conflicts: Vec<u64>,
    /// Shards that were interrupted, or that ran none of their seeds.
    pub incomplete_shards: usize,
}

impl Merged {
    fn count(&self, outcome: &str) -> usize {
        self.runs.values().filter(|r| r.outcome == outcome).count()
    }

    /// Met, contradicted or unknown; a conflict, an incomplete shard or no
    /// seed at all is unknown at best.
    pub fn status(&self) -> Status {
        let s = Status::of(
            self.expect,
            self.runs.values().map(|r| {
                // An outcome this version does not know cannot be trusted.
                RunOutcome::from_name(&r.outcome).unwrap_or(RunOutcome::Unknown)
            }),
        );
        let doubtful =
            !self.conflicts.is_empty() || self.incomplete_shards > 0 || self.runs.is_empty();
        let bug = self
            .runs
            .values()
            .any(|r| RunOutcome::from_name(&r.outcome).is_some_and(RunOutcome::is_bug));
        if doubtful && (s == Status::Met || (s == Status::Contradicted && !bug)) {
            Status::Unknown
        } else {
            s
        }
    }

    /// One line for people.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{}: {} seeds: {} valid, {} invalid, {} unknown (expect {}) => {}",
            self.scenario,
            self.runs.len(),
            self.count("valid"),
            self.count("invalid"),
            self.count("unknown"),
            self.expect.name(),
            match self.status() {
                Status::Met => "as expected",
                Status::Contradicted => "CONTRADICTED",
                Status::Unknown => "UNKNOWN",
            }
        );
        if let Some(r) = self.runs.values().find(|r| r.outcome != "valid") {
            s.push_str(&format!("; first {} seed {}", r.outcome, r.seed_hex));
        }
        if self.incomplete_shards > 0 {
            s.push_str(&format!(
                "; {} shard{} interrupted or empty",
                self.incomplete_shards,
                if self.incomplete_shards == 1 {
                    " was"
                } else {
                    "s were"
                }
            ));
        }
        if !self.conflicts.is_empty() {
            let c: Vec<String> = self.conflicts.iter().map(|s| format_seed(*s)).collect();
            s.push_str(&format!("; NON-DETERMINISTIC seeds: {}", c.join(", ")));
        }
        s
    }
}

/// Merges shard summaries by scenario and seed.
pub fn merge(summaries: &[SweepSummary]) -> Vec<Merged> {
    let mut by_name: BTreeMap<String, Merged> = BTreeMap::new();
    for s in summaries {
        let m = by_name.entry(s.scenario.clone()).or_insert_with(|| Merged {
            scenario: s.scenario.clone(),
            expect: s.expect,
            runs: BTreeMap::new(),
            conflicts: Vec::new(),
            incomplete_shards: 0,
        });
        if s.interrupted || (s.runs.is_empty() && s.seeds_planned != Some(0)) {
            m.incomplete_shards += 1;
        }
        for r in &s.runs {
            match m.runs.get(&r.seed) {
                Some(old) if old.outcome != r.outcome => {
                    if !m.conflicts.contains(&r.seed) {
                        m.conflicts.push(r.seed);
                    }
                }
                Some(_) => {}
                None => {
                    m.runs.insert(r.seed, r.clone());
                }
            }
        }
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(seed: u64, outcome: &str) -> SeedResult {
        SeedResult {
            seed,
            seed_hex: format_seed(seed),
            outcome: outcome.into(),
            ops: 1,
            sim_ns: 1,
            dir: None,
        }
    }

    fn shard(expect: Expect, runs: Vec<SeedResult>) -> SweepSummary {
        SweepSummary {
            format: SWEEP_FORMAT.into(),
            scenario: "x".into(),
            path: "x.toml".into(),
            expect,
            runs,
            seeds_planned: None,
            interrupted: false,
        }
    }

    #[test]
    fn shards_merge_by_seed() {
        let a = shard(Expect::Valid, vec![result(0, "valid"), result(2, "valid")]);
        let b = shard(Expect::Valid, vec![result(1, "valid"), result(2, "valid")]);
        let m = merge(&[a, b]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].runs.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(m[0].status(), Status::Met);
        let c = shard(Expect::Valid, vec![result(3, "invalid")]);
        assert_eq!(merge(&[c])[0].status(), Status::Contradicted);
        let d = shard(Expect::Invalid, vec![result(3, "invalid")]);
        assert_eq!(merge(&[d])[0].status(), Status::Met);
        let e = shard(Expect::Valid, vec![result(3, "valid")]);
        let m = merge(&[e, shard(Expect::Valid, vec![result(3, "unknown")])]);
        assert_eq!(m[0].conflicts, vec![3]);
        assert_eq!(m[0].status(), Status::Unknown);
        assert!(m[0].line().contains("NON-DETERMINISTIC"));
    }

    #[test]
    fn an_empty_or_interrupted_shard_is_not_as_expected() {
        let full = shard(Expect::Valid, vec![result(0, "valid")]);
        let empty = shard(Expect::Valid, vec![]);
        let m = merge(&[full.clone(), empty.clone()]);
        assert_eq!(m[0].status(), Status::Unknown, "{}", m[0].line());
        assert!(m[0].line().contains("1 shard was interrupted or empty"));
        assert_eq!(merge(&[empty])[0].status(), Status::Unknown);
        let mut cut = shard(Expect::Valid, vec![result(1, "valid")]);
        cut.interrupted = true;
        assert_eq!(merge(&[full.clone(), cut])[0].status(), Status::Unknown);
        // A bug found is a bug, whatever else is missing.
        let mut found = shard(Expect::Valid, vec![result(2, "invalid")]);
        found.interrupted = true;
        assert_eq!(merge(&[full, found])[0].status(), Status::Contradicted);
    }
}
