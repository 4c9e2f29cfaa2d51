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

echo "== tests"
cargo test --workspace 2>&1 | tee target/ci-test.log
status=${PIPESTATUS[0]}

echo "== test summary"
grep -E '^test result:' target/ci-test.log | awk '{p+=$4; f+=$6; i+=$8} END {printf "%d passed, %d failed, %d skipped\n", p, f, i}'
exit "$status"
