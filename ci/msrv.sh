#!/usr/bin/env bash
# The declared MSRV (the workspace's rust-version), checked as far as one
# toolchain can check it (no other toolchain can be installed here):
# - clippy's `incompatible_msrv` lint, on in `cargo clippy`, which reads
#   rust-version, flags standard-library APIs newer than the MSRV;
# - ci/msrv.py: no dependency of the library crates declares a newer
#   rust-version.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked --quiet --filter-platform "$(rustc -vV | sed -n "s/^host: //p")" | python3 ci/msrv.py
