#!/usr/bin/env bash
# The `overhead` bench in a madsim build: the discrete engine, the node API
# on turmoil, bare turmoil, the madsim engine, and bare madsim, on the same
# ping-pong, in one run (#12, #14). madsim simulates only under
# `--cfg madsim`, so this builds into its own target directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUSTFLAGS="--cfg madsim" cargo bench -q -p shakedown-sim --bench overhead \
    --target-dir target/madsim -- "$@"
