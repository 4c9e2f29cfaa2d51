#!/usr/bin/env bash
# A sharded seed sweep on one machine, the way CI runs it on several:
#
#   ci/sweep.sh SCENARIO SEEDS SHARDS     e.g. ci/sweep.sh scenarios/raft-kv-combined.toml 0..2000 4
#
# Shard k of N runs every N-th seed range (contiguous blocks), writes
# target/shakedown/<scenario>/shard-<k>-of-<N>.sweep.json, and the merge
# joins the shards by seed. On a cluster, run one shard per machine (or per
# Kubernetes indexed-Job pod, k = $JOB_COMPLETION_INDEX) and merge the files.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?scenario file}
seeds=${2:-0..1000}
shards=${3:-4}
start=${seeds%%..*}
end=${seeds##*..}
stem=$(basename "$scenario" .toml)
cargo build -q --release --bin shakedown
bin=target/release/shakedown
status=0
for ((k = 0; k < shards; k++)); do
    a=$((start + (end - start) * k / shards))
    b=$((start + (end - start) * (k + 1) / shards))
    [ "$a" -lt "$b" ] || continue
    "$bin" run "$scenario" --seeds "$a..$b" --keep-going --lines \
        --summary-json "target/shakedown/$stem/shard-$k-of-$shards.sweep.json" || status=$?
done
"$bin" merge "target/shakedown/$stem"
