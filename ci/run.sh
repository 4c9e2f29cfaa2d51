#!/usr/bin/env bash
# What CI runs on a fresh clone: check formatting and lints, then run the
# README's test command (ci/test.sh, which installs what the tests need).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== ci/test.sh logic"
bash ci/check-test-sh.sh

exec bash ci/test.sh
