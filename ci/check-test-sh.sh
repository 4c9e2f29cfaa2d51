#!/usr/bin/env bash
# Checks ci/test.sh's fresh-machine logic without a fresh machine: with a
# PATH that has no chromium, a stub apt-get and a stub cargo, test.sh must
# install chromium through apt-get, print the summary summed from cargo's
# `test result:` lines, and exit with cargo's status.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# A copy of the script in a scratch tree, so its log lands there.
mkdir -p "$scratch/repo/ci" "$scratch/bin"
cp "$root/ci/test.sh" "$root/ci/summary.sh" "$scratch/repo/ci/"

# Only the tools test.sh uses: no chromium anywhere on this PATH.
for tool in bash env grep awk tee mkdir id dirname cat; do
    ln -s "$(command -v "$tool")" "$scratch/bin/$tool"
done
cat > "$scratch/bin/apt-get" <<'STUB'
#!/usr/bin/env bash
echo "apt-get $*" >> "$CALLS"
STUB
cat > "$scratch/bin/cargo" <<'STUB'
#!/usr/bin/env bash
echo "cargo $*" >> "$CALLS"
echo "test result: ok. 12 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.01s"
echo "test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s"
exit 101
STUB
chmod +x "$scratch/bin/apt-get" "$scratch/bin/cargo"

export CALLS="$scratch/calls"
set +e
out="$(PATH="$scratch/bin" bash "$scratch/repo/ci/test.sh" 2>&1)"
status=$?
set -e

fail() { echo "ci/test.sh check FAILED: $*"; echo "--- output:"; echo "$out"; echo "--- calls:"; cat "$CALLS"; exit 1; }
[ "$status" -eq 101 ] || fail "exit status $status, expected cargo's 101"
grep -q '^apt-get install -y -qq chromium$' "$CALLS" || fail "chromium was not installed through apt-get"
grep -q '^cargo test --workspace --no-fail-fast$' "$CALLS" || fail "cargo test --workspace was not run"
[ "$(echo "$out" | tail -n 1)" = "16 passed, 2 failed, 3 skipped" ] || fail "wrong summary line"

# With chromium on the PATH, nothing is installed.
: > "$CALLS"
printf '#!/usr/bin/env bash\n' > "$scratch/bin/chromium"
chmod +x "$scratch/bin/chromium"
set +e
out="$(PATH="$scratch/bin" bash "$scratch/repo/ci/test.sh" 2>&1)"
set -e
if grep -q '^apt-get' "$CALLS"; then fail "apt-get ran although chromium was on the PATH"; fi
echo "ci/test.sh check: ok (installs chromium only when missing, sums results, keeps cargo's status)"
