//! Running a whole configuration, and choosing seeds.

use crate::config::{SimConfig, SimError};
use crate::node::ClusterModel;
use crate::record::RunRecord;

/// Environment variable that pins a test to exactly one seed:
/// `SHAKEDOWN_SEED=0x1f2e cargo test NAME`.
pub const SEED_ENV: &str = "SHAKEDOWN_SEED";

/// Runs `model` under `config` until the workload and the fault schedule
/// are done (or the time limit), and returns the record. The engine is
/// `config.engine`: the discrete engine unless it says turmoil.
///
/// ```
/// use shakedown_sim::{run, SimConfig};
/// use shakedown_sim::models::RegisterModel;
///
/// let config = SimConfig { seed: 7, nodes: 1, clients: 2, ..SimConfig::default() };
/// let record = run(&config, RegisterModel::default()).expect("valid config");
/// assert_eq!(record.seed, 7);
/// assert!(record.history.len() >= 2 * 200); // 200 ops, invoke + completion
/// ```
pub fn run<M: ClusterModel>(config: &SimConfig, model: M) -> Result<RunRecord, SimError> {
    let span = tracing::info_span!("run", seed = config.seed, model = model.name());
    let _guard = span.enter();
    crate::engine::run_on(config, model)
}

/// Why a seed string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seed `{text}` is not a number: write it in decimal (7945) or hex (0x1f2e)")]
pub struct SeedError {
    /// What was given.
    pub text: String,
}

/// Parses a seed written in decimal (`7945`) or hex (`0x1f2e`).
pub fn parse_seed(text: &str) -> Result<u64, SeedError> {
    let t = text.trim().replace('_', "");
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    parsed.map_err(|_| SeedError {
        text: text.to_owned(),
    })
}

/// The seeds a test should run: exactly the one in `SHAKEDOWN_SEED` if it is
/// set, otherwise `default`. A malformed `SHAKEDOWN_SEED` is an error, not a
/// silent fallback.
pub fn seeds(default: impl IntoIterator<Item = u64>) -> Result<Vec<u64>, SeedError> {
    match std::env::var(SEED_ENV) {
        Ok(text) if !text.trim().is_empty() => Ok(vec![parse_seed(&text)?]),
        _ => Ok(default.into_iter().collect()),
    }
}

/// The line that replays one seed, for failure messages.
pub fn replay_hint(seed: u64, test_name: &str) -> String {
    format!("{SEED_ENV}={seed:#x} cargo test {test_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("7945"), Ok(7945));
        assert_eq!(parse_seed("0x1f2e"), Ok(0x1f2e));
        assert_eq!(parse_seed(" 0X1F2E "), Ok(0x1f2e));
        assert!(parse_seed("seven").unwrap_err().to_string().contains("hex"));
        assert_eq!(
            replay_hint(0x1f2e, "t"),
            "SHAKEDOWN_SEED=0x1f2e cargo test t"
        );
    }
}
