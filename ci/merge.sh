#!/usr/bin/env bash
# Merges the *.sweep.json slice summaries under the given directories by
# scenario and seed, prints one line per scenario, and exits like
# `shakedown run`: 0 as expected, 1 contradicted, 2 unknown, 3 bad input.
#
#   ci/merge.sh shards/                 # after downloading every shard
#   ci/merge.sh target/shakedown        # after a local sweep (ci/sweep.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then set -- target/shakedown; fi
cargo run -q --release --bin shakedown -- merge "$@"
