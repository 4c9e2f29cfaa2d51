#!/usr/bin/env bash
# The README's test command: on a fresh machine, install what the tests need
# (headless Chromium for the report's browser tests), run the whole
# workspace's tests, and end with one summary line summed from cargo's
# `test result:` lines. The exit status is cargo's.
#
# Extra arguments go to `cargo test` (e.g. `ci/test.sh --release`).
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never

# The report tests open report.html in a real browser (Debian's chromium).
# They fail with a message naming this script if it cannot be found.
if ! command -v chromium >/dev/null 2>&1; then
    echo "== chromium not found: installing it for the report tests"
    sudo=""
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    fi
    if command -v apt-get >/dev/null 2>&1; then
        ($sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null) \
            || echo "warning: apt-get could not install chromium; the browser tests will fail"
    else
        echo "warning: no apt-get here; install chromium yourself (or set SHAKEDOWN_CHROMIUM)"
    fi
fi

mkdir -p target
log=target/ci-test.log
echo "== cargo test --workspace --no-fail-fast $*"
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# "test result: ok. 12 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; ..."
bash ci/summary.sh "$log"
exit "$status"
