#!/usr/bin/env bash
# The madsim build and its tests (#12): madsim simulates only when every
# crate is compiled with `--cfg madsim`, so this builds into its own target
# directory (target/madsim) and runs the tests that exercise the engines:
# the whole simulator (determinism, limits, every nemesis fault, fault
# points: each on every engine built in, madsim included), and the CLI
# tests that compare the shipped scenarios' verdicts across engines, run
# and replay on madsim, and check determinism there; and the async service
# example (examples/redis-failover), whose one source runs on madsim in
# this build. Lints the madsim code too. Ends with the same summary line as ci/test.sh.
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
export RUSTFLAGS="--cfg madsim"
target=target/madsim
mkdir -p target
log=target/ci-test-madsim.log
: >"$log"

echo "== cargo clippy (--cfg madsim)"
cargo clippy -p shakedown-sim -p shakedown-redis-failover --all-targets --target-dir "$target" -- -D warnings || exit 1

echo "== cargo test (--cfg madsim): the simulator"
cargo test -p shakedown-sim --no-fail-fast --target-dir "$target" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}

echo "== cargo test (--cfg madsim): the CLI on every engine"
cargo test -p shakedown-cli --no-fail-fast --target-dir "$target" \
    --test engines --test run_cli --test scenario_format -- --nocapture 2>&1 | tee -a "$log"
cli_status=${PIPESTATUS[0]}

echo "== cargo test (--cfg madsim): an unmodified tokio service on madsim (examples/redis-failover)"
cargo test -p shakedown-redis-failover --no-fail-fast --target-dir "$target" -- --nocapture 2>&1 | tee -a "$log"
service_status=${PIPESTATUS[0]}

bash ci/summary.sh "$log"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$cli_status" -ne 0 ]; then exit "$cli_status"; fi
exit "$service_status"
