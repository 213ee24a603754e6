#!/usr/bin/env bash
# Checks that the loom models can fail: weakens each Acquire or Release ordering in our own
# locks to Relaxed, one at a time, in a scratch copy of the crate, and runs the loom tests
# against it. Every such mutant must be caught (a failing model). Prints one line per mutant
# and exits non-zero if any survived.
#
# Usage: scripts/loom-mutants.sh            (about a minute per mutant on 2 cores after the first build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_TARGET_DIR="$repo/target/loom-mutants"
export RUSTFLAGS="--cfg loom"

survivors=0
for file in src/locks/ticket.rs src/locks/spin.rs; do
  # Only code lines, not comments.
  grep -n 'Ordering::\(Acquire\|Release\)' "$repo/$file" | grep -v '^[0-9]*:\s*//' | while IFS=: read -r line _; do
    for ordering in Acquire Release; do
      grep -q "Ordering::$ordering" <(sed -n "${line}p" "$repo/$file") || continue
      rm -rf "$scratch/crate" && mkdir -p "$scratch/crate"
      cp -r "$repo/Cargo.toml" "$repo/Cargo.lock" "$repo/build.rs" "$repo/src" "$repo/tests" "$scratch/crate/"
      [ -d "$repo/benches" ] && cp -r "$repo/benches" "$scratch/crate/"
      sed -i "${line}s/Ordering::$ordering/Ordering::Relaxed/" "$scratch/crate/$file"
      what="$file:$line $ordering -> Relaxed"
      if (cd "$scratch/crate" && timeout 900 cargo test --release --quiet --test loom >"$scratch/log" 2>&1); then
        echo "SURVIVED  $what"
        echo 1 >>"$scratch/survivors"
      else
        echo "caught    $what ($(grep -o -m1 'Causality violation[^.]*\|assertion[^,]*' "$scratch/log" || echo 'test failed'))"
      fi
    done
  done
done
if [ -s "$scratch/survivors" ]; then
  echo "some weakened orderings went unnoticed by the loom models"
  exit 1
fi
echo "every weakened ordering was caught"
