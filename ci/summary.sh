#!/usr/bin/env bash
# Sums cargo's "test result:" lines in the given logs into one line:
# "N passed, N failed, N skipped" (missing logs count as empty).
cat "$@" 2>/dev/null | grep -E '^test result:' | awk '
    { for (i = 1; i < NF; i++) {
          if ($(i + 1) ~ /^passed/) p += $i
          if ($(i + 1) ~ /^failed/) f += $i
          if ($(i + 1) ~ /^ignored/) s += $i } }
    END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
