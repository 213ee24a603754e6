#!/usr/bin/env bash
# The full default sweep on this machine: the five thread backends at 1, 2, 4 and 8 threads
# (and more where the machine has more CPUs), 1M increments, 5 repetitions, written to
# reports/<host>-<date>/ (or $OUT). Extra arguments go to `lockbench sweep` (e.g. --threads max).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-"reports/$(hostname -s)-$(date -u +%Y-%m-%d)"}
cargo build --release --quiet
./target/release/lockbench sweep --out "$out" "$@"
echo "open $out/index.html"
