#!/usr/bin/env bash
# The probe's weight in a program: the crates in its normal dependency tree (itself included),
# with the feature `enabled` on (at most 30) and off (at most 10), and none of the harness's
# heavy ones. Prints both counts; fails past a bound.
set -euo pipefail
cd "$(dirname "$0")/.."
count() {
  cargo tree --offline -p lockbench-probe -e normal --prefix none "$@" 2>/dev/null \
    | sed 's/ (\*)//; s/ (proc-macro)//' | sort -u
}
on=$(count --features enabled)
off=$(count)
echo "probe on:  $(wc -l <<<"$on") crates"
echo "probe off: $(wc -l <<<"$off") crates: $(awk '{print $1}' <<<"$off" | tr '\n' ' ')"
for heavy in clap tokio plotters minijinja regex walkdir indicatif csv criterion hdrhistogram; do
  if grep -q "^$heavy " <<<"$on"; then
    echo "error: the probe pulls in $heavy" >&2
    exit 1
  fi
done
[ "$(wc -l <<<"$on")" -le 30 ] || { echo "error: the probe on is over 30 crates" >&2; exit 1; }
[ "$(wc -l <<<"$off")" -le 10 ] || { echo "error: the probe off is over 10 crates" >&2; exit 1; }
