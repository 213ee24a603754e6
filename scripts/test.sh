#!/usr/bin/env bash
# The project's test command: the harness's unit, end-to-end and doc tests; our locks' crate;
# the probe off (parking_lot's and std's own types), on, and on under another backend; the
# probe's weight; then the loom model checks of our own locks (a separate build with
# --cfg lockbench_loom, in target/loom so the normal build is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test (the harness)"
cargo test
echo "== cargo test -p lockbench-locks (our lock algorithms)"
cargo test -p lockbench-locks
echo "== cargo test -p lockbench-probe (the probe off: parking_lot's and std's own types)"
cargo test -p lockbench-probe
echo "== cargo test -p lockbench-probe --features enabled (the probe on)"
cargo test -p lockbench-probe --features enabled
echo "== the drop-in program under LOCKBENCH_BACKEND=ticket, recording"
profile_dir=$(mktemp -d)
trap 'rm -rf "$profile_dir"' EXIT
LOCKBENCH_BACKEND=ticket LOCKBENCH_PROFILE="$profile_dir/drop-in.json" \
  cargo test -p lockbench-probe --features enabled --test drop_in
test -s "$profile_dir/drop-in.json"
echo "== forgotten and leaked guards under LOCKBENCH_BACKEND=std"
LOCKBENCH_BACKEND=std cargo test -p lockbench-probe --features enabled --test forgotten
echo "== the probe's weight (at most 30 crates on, 10 off; none of the harness's)"
scripts/probe-weight.sh
echo "== loom models (RUSTFLAGS=--cfg lockbench_loom)"
RUSTFLAGS="--cfg lockbench_loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
