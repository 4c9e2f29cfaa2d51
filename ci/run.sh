#!/usr/bin/env bash
# What CI runs on a fresh clone: check formatting and lints, then run the
# README's test command (ci/test.sh, which installs what the tests need),
# the README's "Test your own system" commands, and the madsim build's
# tests (ci/test-madsim.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== msrv"
bash ci/msrv.sh

echo "== cargo package (the library crates, verified by building them from their packages)"
mkdir -p target
# cargo extracts the packages it verifies into a registry cache keyed by the
# package directory's path and the version, and reuses a stale extraction
# from an earlier run at the same path: drop our own crates from it first.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/shakedown-*
if ! cargo package --locked -p shakedown-checkers -p shakedown-nemesis -p shakedown-sim -p shakedown >target/ci-package.log 2>&1; then
    cat target/ci-package.log
    echo "cargo package failed"
    exit 1
fi
grep -E '^\s*(Packaged|Finished)' target/ci-package.log

echo "== ci/test.sh logic"
bash ci/check-test-sh.sh

echo "== tests: ci/test.sh (the README's test command)"
set +e
bash ci/test.sh
status=$?

echo "== examples/your-system (a user's crate outside the workspace): the README's commands"
bash ci/your-system.sh
user_status=$?

echo "== the madsim build and its tests: ci/test-madsim.sh"
bash ci/test-madsim.sh
madsim_status=$?
set -e

echo "== test summary (workspace, examples/your-system, madsim build)"
bash ci/summary.sh target/ci-test.log target/your-system-test.log target/ci-test-madsim.log
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$user_status" -ne 0 ]; then exit "$user_status"; fi
exit "$madsim_status"
