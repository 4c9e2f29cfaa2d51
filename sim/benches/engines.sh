#!/usr/bin/env bash
# Simulated time over wall time of whole sweeps on every engine, side by
# side in one run (#12): raft-kv-combined (a callback model: discrete,
# turmoil, madsim) and redis-failover's lost-adds (an async service:
# turmoil, madsim). madsim needs a `--cfg madsim` build, in its own target
# directory; both builds are release builds.
#
#   bash sim/benches/engines.sh            # 1000 raft-kv seeds, 100 redis seeds
#   SEEDS=200 REDIS_SEEDS=20 bash sim/benches/engines.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${SEEDS:-1000}
redis_seeds=${REDIS_SEEDS:-100}
cargo build -q --release -p shakedown-cli -p shakedown-redis-failover
RUSTFLAGS="--cfg madsim" cargo build -q --release -p shakedown-cli -p shakedown-redis-failover \
    --target-dir target/madsim

# One sweep; prints "scenario engine seeds verdict wall sim/wall".
sweep() {
    local bin=$1 file=$2 engine=$3 n=$4
    local out
    out=$("$bin" run "$file" --engine "$engine" --seeds "$n" --artifacts none --keep-going \
        --no-determinism-check 2>&1 || true)
    local counts speed
    counts=$(echo "$out" | grep -oE '[0-9]+ of [0-9]+ seeds run: [^(]*' | head -1)
    speed=$(echo "$out" | grep -oE 'in [0-9.]+s wall.*x wall time' | head -1)
    printf '%-52s %-9s %s | %s\n' "$file" "$engine" "$counts" "$speed"
}

echo "== simulated time over wall time, release builds, -j default (one per core)"
sweep target/release/shakedown scenarios/raft-kv-combined.toml discrete "$seeds"
sweep target/release/shakedown scenarios/raft-kv-combined.toml turmoil "$seeds"
sweep target/madsim/release/shakedown scenarios/raft-kv-combined.toml madsim "$seeds"
sweep target/release/redis-failover examples/redis-failover/scenarios/lost-adds.toml turmoil "$redis_seeds"
sweep target/madsim/release/redis-failover examples/redis-failover/scenarios/lost-adds.toml madsim "$redis_seeds"
