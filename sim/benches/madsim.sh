#!/usr/bin/env bash
# Bare madsim on the overhead bench's ping-pong (#14's side-by-side figure).
# madsim simulates only under `--cfg madsim`, so this builds its own crate
# with that flag, into its own target directory, then runs the `overhead`
# bench so both figures print in one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUSTFLAGS="--cfg madsim" cargo run -q --release \
    --manifest-path sim/benches/madsim/Cargo.toml \
    --target-dir target/madsim-bench
cargo bench -q -p shakedown-sim --bench overhead -- --quick
