#!/usr/bin/env bash
# Runs every command of the README's "Test your own system" section in
# examples/your-system (a crate outside the workspace, as a user's would be),
# then checks that the replay line the bug hunt printed runs verbatim and
# reproduces the run's history byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../examples/your-system"

echo "== your-system: cargo run -- run scenarios/fast-reads.toml"
out=$(cargo run -q -- run scenarios/fast-reads.toml)
echo "$out"
replay=$(printf '%s\n' "$out" | sed -n 's/^  replay: //p' | head -1)
report=$(printf '%s\n' "$out" | sed -n 's/^  report: //p' | head -1)
if [ -z "$replay" ] || [ -z "$report" ]; then
    echo "error: the bug hunt printed no replay or report line" >&2
    exit 1
fi
history="$(dirname "$report")/history.edn"
cp "$history" "$history.first"

echo "== your-system: the printed replay line, verbatim: $replay"
sh -c "$replay"
if ! cmp "$history.first" "$history"; then
    echo "error: the replay wrote a different history.edn" >&2
    exit 1
fi
rm -f "$history.first"
echo "replayed: history.edn identical"

echo "== your-system: cargo run -- run scenarios/quorum.toml"
cargo run -q -- run scenarios/quorum.toml

echo "== your-system: cargo run -- list models"
cargo run -q -- list models | grep quorum-register

echo "== your-system: cargo test"
mkdir -p ../../target
cargo test 2>&1 | tee ../../target/your-system-test.log
