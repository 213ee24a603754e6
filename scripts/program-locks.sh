#!/usr/bin/env bash
# Your program's locks, end to end, on the two example programs (examples/wordcount.rs, a
# parallel word count into one shared map; examples/cache.rs, an LRU cache behind a lock under
# Zipf keys): each runs under the probe, then `lockbench profile`, `lockbench replay` and
# `lockbench ab` run over it, every step bounded.
#
#   scripts/program-locks.sh OUT_DIR          small inputs (CI: a minute or two)
#   scripts/program-locks.sh OUT_DIR full     the committed example report's sizes
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/program-locks.sh OUT_DIR [small|full]}
size=${2:-small}
backends=std,parking-lot,spin,ticket,futex,pthread

cargo build --release --quiet --bin lockbench --example wordcount --example cache
lb=./target/release/lockbench

if [ "$size" = full ]; then
  wordcount_args=(--threads 2 --rounds 30 src README.md)
  cache_args=(--threads 2 --lookups 1000000)
  repeat=5 duration=1s
else
  wordcount_args=(--threads 2 src)
  cache_args=(--threads 2 --lookups 20000)
  repeat=3 duration=200ms
fi

for program in wordcount cache; do
  dir="$out/$program"
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$program" = wordcount ]; then args=("${wordcount_args[@]}"); else args=("${cache_args[@]}"); fi
  echo "== $program ${args[*]}: the program under the probe (its own lock: the surface's default)"
  LOCKBENCH_PROFILE="$dir/profile.json" timeout 300 "./target/release/examples/$program" "${args[@]}" | tee "$dir/program.txt"
  echo "== lockbench profile"
  timeout 120 "$lb" profile "$dir/profile.json" --html "$dir/profile.html" | tee "$dir/profile.txt"
  echo "== lockbench replay"
  timeout 1200 "$lb" replay "$dir/profile.json" --backends "$backends" --repeat "$repeat" \
    --duration "$duration" --out "$dir/replay" --quiet | tee "$dir/replay.txt"
  echo "== lockbench ab"
  timeout 1800 "$lb" ab --backends "$backends" --repeat "$repeat" --max-time 120s --out "$dir/ab" \
    -- "./target/release/examples/$program" "${args[@]}" | tee "$dir/ab.txt"
done
echo "program-locks: done, in $out"
