#!/usr/bin/env bash
# The "extreme / heavy / no contention" comparison of matklad's "Mutexes Are Faster Than
# Spinlocks" (2020), redone with lockbench's method: threads = 4 x the CPUs this process may
# use (and the powers of two below it, so that each regime's charts have lines), the operations
# spread over 2, 64 and 100,000 locks, for std, parking-lot, spin,
# spin-pure, ticket and futex; timed runs (1 s after a 50 ms warm-up, $DURATION/$WARMUP to
# change), 3 repetitions ($REPEAT), CPU time per operation beside the throughput. Written to
# reports/regimes-<host>/ (or $OUT). Extra arguments go to `lockbench sweep`.
set -euo pipefail
cd "$(dirname "$0")/.."
cpus=$(nproc)
threads=1
t=1
while [ $((t * 2)) -lt $((4 * cpus)) ]; do t=$((t * 2)); threads="$threads,$t"; done
threads="$threads,$((4 * cpus))"
out=${OUT:-"reports/regimes-$(hostname -s)"}
cargo build --release --quiet
./target/release/lockbench sweep \
  --backends std,parking-lot,spin,spin-pure,ticket,futex \
  --threads "$threads" \
  --locks 2,64,100000 \
  --duration "${DURATION:-1s}" --warmup "${WARMUP:-50ms}" \
  --repeat "${REPEAT:-3}" \
  --out "$out" "$@"
echo "open $out/index.html"
