//! Long seed sweeps, sliced for sharding across machines (ignored by
//! default: CI runs them with `cargo nextest run --run-ignored only
//! --partition count:K/N`, see `ci/github-workflow.yml`).
//!
//! Each test runs the seeds at positions `i % SLICES == k` of the scenario's
//! sweep (or of `SHAKEDOWN_SEEDS`), writes
//! `target/shakedown/<scenario>/slice-<k>-of-<SLICES>.sweep.json`, and
//! fails on a seed that contradicts a `valid` expectation.
//! `shakedown merge target/shakedown` joins the slices by seed.

/// Slices per scenario: more than the shards, so nextest can balance them.
const SLICES: u64 = 16;

macro_rules! slices {
    ($path:expr => $($name:ident = $k:expr),* $(,)?) => {
        $(
            #[test]
            #[ignore = "long sweep: run with --run-ignored only (see ci/)"]
            fn $name() {
                shakedown::testing::run_slice_with($path, $k, SLICES, &shakedown_cli::registry());
            }
        )*
    };
}

mod raft_kv_combined {
    use super::SLICES;
    slices!("scenarios/raft-kv-combined.toml" =>
        slice_00 = 0, slice_01 = 1, slice_02 = 2, slice_03 = 3,
        slice_04 = 4, slice_05 = 5, slice_06 = 6, slice_07 = 7,
        slice_08 = 8, slice_09 = 9, slice_10 = 10, slice_11 = 11,
        slice_12 = 12, slice_13 = 13, slice_14 = 14, slice_15 = 15,
    );
}

mod dynamo_quorum {
    use super::SLICES;
    slices!("scenarios/dynamo-quorum.toml" =>
        slice_00 = 0, slice_01 = 1, slice_02 = 2, slice_03 = 3,
        slice_04 = 4, slice_05 = 5, slice_06 = 6, slice_07 = 7,
        slice_08 = 8, slice_09 = 9, slice_10 = 10, slice_11 = 11,
        slice_12 = 12, slice_13 = 13, slice_14 = 14, slice_15 = 15,
    );
}
