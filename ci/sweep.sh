#!/usr/bin/env bash
# A sharded seed sweep on one machine, the way CI runs it on several:
#
#   ci/sweep.sh SCENARIO SEEDS SHARDS     e.g. ci/sweep.sh scenarios/raft-kv-combined.toml 0..2000 4
#
# Shard k of N runs every N-th seed range (contiguous blocks), writes
# target/shakedown/<scenario path without .toml>/shard-<k>-of-<N>.sweep.json, and the merge
# joins the shards by seed. On a cluster, run one shard per machine (or per
# Kubernetes indexed-Job pod, k = $JOB_COMPLETION_INDEX) and merge the files.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:?scenario file}
seeds=${2:-0..1000}
shards=${3:-4}
start=${seeds%%..*}
end=${seeds##*..}
stem=${scenario%.toml}
cargo build -q --release --bin shakedown
bin=target/release/shakedown
status=0
files=()
for ((k = 0; k < shards; k++)); do
    a=$((start + (end - start) * k / shards))
    b=$((start + (end - start) * (k + 1) / shards))
    [ "$a" -lt "$b" ] || continue
    file="target/shakedown/$stem/shard-$k-of-$shards.sweep.json"
    rm -f "$file"
    files+=("$file")
    "$bin" run "$scenario" --seeds "$a..$b" --keep-going --lines \
        --summary-json "$file" || status=$?
done
# A shard that wrote no summary fails the merge, not just its own step.
for f in "${files[@]}"; do [ -e "$f" ] || echo "missing shard summary: $f" >&2; done
"$bin" merge --expect-shards "${#files[@]}" "${files[@]}"
