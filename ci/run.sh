#!/usr/bin/env bash
# What CI runs on a fresh clone: install what the tests need, check formatting
# and lints, then run exactly the test command the README gives.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never

# The report tests open report.html in a real browser (Debian's chromium).
if ! command -v chromium >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "== installing chromium for the report tests"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
            || echo "warning: chromium could not be installed; browser tests will fail"
    fi
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== msrv"
bash ci/msrv.sh

echo "== cargo package (the library crates, verified by building them from their packages)"
mkdir -p target
if ! cargo package --locked -p shakedown-checkers -p shakedown-nemesis -p shakedown-sim -p shakedown >target/ci-package.log 2>&1; then
    cat target/ci-package.log
    echo "cargo package failed"
    exit 1
fi
grep -E '^\s*(Packaged|Finished)' target/ci-package.log

echo "== tests"
set +e
cargo test --workspace 2>&1 | tee target/ci-test.log
status=${PIPESTATUS[0]}
set -e

echo "== examples/your-system (a user's crate outside the workspace): the README's commands"
set +e
bash ci/your-system.sh
user_status=$?
set -e

echo "== test summary"
cat target/ci-test.log target/your-system-test.log 2>/dev/null | grep -E '^test result:' \
    | awk '{p+=$4; f+=$6; i+=$8} END {printf "%d passed, %d failed, %d skipped\n", p, f, i}'
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$user_status"
