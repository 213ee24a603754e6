#!/usr/bin/env bash
# The project's test command: unit, end-to-end and doc tests, then the loom model checks of our
# own locks (a separate build with --cfg lockbench_loom, in target/loom so the normal build is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test"
cargo test
echo "== loom models (RUSTFLAGS=--cfg lockbench_loom)"
RUSTFLAGS="--cfg lockbench_loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
