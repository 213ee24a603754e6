#!/usr/bin/env bash
# Checks that the loom models can fail: weakens each Acquire or Release ordering in our own
# locks to Relaxed, one at a time, in a scratch copy of the crate, and runs the loom models of
# that file against it; then a few mutants that break exclusion itself (or a queue lock's node
# recycling), three that break the runner's control word, and one that breaks the
# reader-writer lock's writer preference (caught by its unit test). The models run first on the
# unmutated code, and must pass; a mutant counts as caught only when a model (or test) of its
# own file fails. Prints one line per mutant and exits non-zero if any survived.
#
# Usage: scripts/loom-mutants.sh            (about half a minute per mutant on 2 cores after the
#                                            first build)
#        scripts/loom-mutants.sh --fast     only the mutants that break the algorithms (exclusion,
#                                            lost wake-ups, the control word), not each ordering;
#                                            what CI runs
#        scripts/loom-mutants.sh --file F   only the ordering mutants of one lock's file
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
loom_target="$repo/target/loom-mutants"

# The loom models (test-name filter) that check FILE.
models_for() {
  case "$1" in
    locks/src/ticket.rs) echo ticket_ ;;
    locks/src/spin.rs) echo spinlock_ ;;
    locks/src/tas.rs) echo tas_ ;;
    src/locks/mcs.rs) echo mcs_ ;;
    src/locks/clh.rs) echo clh_ ;;
    src/locks/rwlock.rs) echo rw_spin ;;
    locks/src/futex.rs) echo futex_ ;;
    src/runner/control.rs) echo control_word ;;
    *) echo "error: no loom models named for $1" >&2; exit 1 ;;
  esac
}

# A fresh scratch copy of the crate.
copy() {
  rm -rf "$scratch/crate" && mkdir -p "$scratch/crate"
  cp -r "$repo/Cargo.toml" "$repo/Cargo.lock" "$repo/build.rs" "$repo/src" "$repo/tests" "$repo/benches" \
    "$repo/locks" "$repo/probe" "$scratch/crate/"
}

# The loom models matching FILTER in the scratch crate; the log in $scratch/log.
loom_models() {
  (cd "$scratch/crate" && CARGO_TARGET_DIR="$loom_target" RUSTFLAGS="--cfg lockbench_loom" \
    timeout 900 cargo test --release --quiet --test loom -- "$1" >"$scratch/log" 2>&1)
}

# The library's unit tests matching FILTER in the scratch crate (no loom), sharing the main
# target directory's dependencies.
unit_tests() {
  (cd "$scratch/crate" && CARGO_TARGET_DIR="$repo/target" RUSTFLAGS="" \
    timeout 300 cargo test --quiet --lib -- "$1" >"$scratch/log" 2>&1)
}

# Whether the last run ran at least one test.
ran_some() {
  grep -qE '^running [1-9][0-9]* tests?' "$scratch/log"
}

# The models, unmutated: they must pass, or no mutant's failure means anything.
baseline() {
  copy
  if ! loom_models "" || ! ran_some; then
    echo "BASELINE FAILED: the loom models fail on the unmutated code"
    tail -20 "$scratch/log"
    exit 1
  fi
  echo "baseline  the loom models pass on the unmutated code"
}

# try FILE LINE-OR-EMPTY PERL-SUBSTITUTION DESCRIPTION [unit TEST-FILTER]
try() {
  local file=$1 line=$2 subst=$3 what=$4 kind=${5:-loom} filter=${6:-}
  copy
  if [ -n "$line" ]; then
    perl -pi -e "if (\$. == $line) { $subst }" "$scratch/crate/$file"
  else
    perl -0pi -e "$subst" "$scratch/crate/$file"
  fi
  if cmp -s "$repo/$file" "$scratch/crate/$file"; then
    echo "NOT APPLIED $what (the source changed; update this script)"
    echo 1 >>"$scratch/survivors"
    return
  fi
  local ok=true
  if [ "$kind" = unit ]; then
    unit_tests "$filter" || ok=false
  else
    loom_models "$(models_for "$file")" || ok=false
  fi
  if $ok && ran_some; then
    echo "SURVIVED  $what"
    echo 1 >>"$scratch/survivors"
  elif $ok; then
    echo "BROKEN    $what (no test of its file ran)"
    echo 1 >>"$scratch/survivors"
  elif ran_some && { grep -q 'test result: FAILED' "$scratch/log" || grep -q '^deadlock; threads' "$scratch/log"; }; then
    # (loom reports a deadlock, a lost wake-up, and then aborts the test process)
    echo "caught    $what ($(grep -o -m1 'Causality violation[^.]*\|assertion[^,]*\|deadlock[^,]*\|must [^"]*' "$scratch/log" || echo 'a test failed'))"
  else
    # A mutant that does not build or run proves nothing about the models.
    echo "BROKEN    $what (the mutant did not build or run; see below)"
    tail -5 "$scratch/log"
    echo 1 >>"$scratch/survivors"
  fi
}

# The end: fails if any mutant went unnoticed.
verdict() {
  if [ -s "$scratch/survivors" ]; then
    echo "some mutants went unnoticed by the loom models"
    exit 1
  fi
  echo "every mutant was caught"
  exit 0
}

fast=false
only=""
[ "${1:-}" = "--fast" ] && fast=true
[ "${1:-}" = "--file" ] && only=${2:?--file needs a path such as src/locks/mcs.rs}

baseline

for file in ${only:-locks/src/ticket.rs locks/src/spin.rs locks/src/tas.rs src/locks/mcs.rs src/locks/clh.rs src/locks/rwlock.rs locks/src/futex.rs}; do
  $fast && break
  # Only code lines, not comments.
  while IFS=: read -r line text; do
    for ordering in Acquire Release; do
      case "$text" in *"Ordering::$ordering"[,\)]*) ;; *) continue ;; esac
      try "$file" "$line" "s/Ordering::$ordering\\b/Ordering::Relaxed/" "$file:$line $ordering -> Relaxed"
    done
    # An AcqRel read-modify-write: each half dropped in turn.
    case "$text" in *"Ordering::AcqRel"*)
      try "$file" "$line" "s/Ordering::AcqRel/Ordering::Release/" "$file:$line AcqRel -> Release"
      try "$file" "$line" "s/Ordering::AcqRel/Ordering::Acquire/" "$file:$line AcqRel -> Acquire"
    esac
  done < <(grep -n 'Ordering::\(Acquire\|Release\|AcqRel\)' "$repo/$file" | grep -v '^[0-9]*:\s*//')
done

[ -n "$only" ] && verdict

# Exclusion mutants.
try locks/src/ticket.rs "" 's/now_serving\.load\(Ordering::Acquire\) == ticket/now_serving.load(Ordering::Acquire) <= ticket/g' \
  "ticket lock: a waiter enters before its turn (== ticket -> <= ticket)"
try locks/src/ticket.rs "" 's/\.compare_exchange\(\s*serving,\s*serving\.wrapping_add\(1\)/.compare_exchange(serving, serving/' \
  "ticket try_lock: takes the lock without taking a ticket"
try locks/src/spin.rs "" 's/\.compare_exchange\(false, true,/.compare_exchange(false, false,/' \
  "spinlock try_lock: succeeds without marking the lock held"
try locks/src/tas.rs "" 's/!self\.locked\.swap\(true, Ordering::Acquire\)/!self.locked.load(Ordering::Acquire)/' \
  "test-and-set lock: tests without setting (two holders)"
try src/locks/mcs.rs "" 's/if prev\.is_null\(\) \{\n\s*return;\n\s*\}/if prev.is_null() { return; }\n        return;/' \
  "MCS lock: a waiter goes in without waiting for its predecessor"
try src/locks/clh.rs "" 's/while unsafe \{ \(\*pred\)\.locked\.load/while false \&\& unsafe { (*pred).locked.load/' \
  "CLH lock: a waiter goes in without waiting for its predecessor"
try src/locks/clh.rs "" 's/spares\.keep\(pred\)/spares.keep(self.mine)/' \
  "CLH lock: a thread reuses its own node after releasing (recycling done wrong)"
try src/locks/rwlock.rs "" 's/if s & \(WRITER \| WRITER_WAITING\) != 0 \{/if s \& WRITER_WAITING != 0 {/' \
  "reader-writer lock: a reader enters while a writer is inside"
try src/locks/rwlock.rs "" 's/if s & \(WRITER \| WRITER_WAITING\) != 0 \{/if s \& WRITER != 0 {/' \
  "reader-writer lock: readers ignore a waiting writer" \
  unit rwlock::tests::readers_share_and_a_waiting_writer
try src/locks/rwlock.rs "" 's/if s & \(WRITER \| READERS\) == 0 \{/if s \& WRITER == 0 {/' \
  "reader-writer lock: a writer enters while readers are inside"
try locks/src/futex.rs "" 's/while seen != UNLOCKED \{/while seen == CONTENDED {/' \
  "futex mutex: a waiter enters when the lock is merely LOCKED"

# Lost wake-ups: the futex model blocks a waiter until a wake, so these deadlock in loom.
try locks/src/futex.rs "" 's/\n\s*self\.wake_one\(\);/\n            \/\/ no wake/' \
  "futex mutex: an unlock that never wakes a sleeper"
try locks/src/futex.rs "" 's/(self\.wait\(CONTENDED\);\n\s*\/\/ Acquire: as above\.\n\s*seen = self\.state\.swap\()CONTENDED/${1}LOCKED/' \
  "futex mutex: the slow path takes the lock as LOCKED, forgetting other sleepers"

# Control-word mutants: the runner's contended window (src/runner/control.rs).
try src/runner/control.rs "" 's/if before & \(WINDOW_CLOSED \| WARMING\) == 0 && \(before & STARTED_MASK\) \+ 1 == workers \{/if before & WARMING == 0 && (before & STARTED_MASK) + 1 == workers {/' \
  "control word: the window opens after it closed"
try src/runner/control.rs "" 's/if before & \(WINDOW_CLOSED \| WARMING\) == 0 && \(before & STARTED_MASK\) \+ 1 == workers \{/if before & WINDOW_CLOSED == 0 && (before & STARTED_MASK) + 1 == workers {/' \
  "control word: the window opens during the warm-up"
try src/runner/control.rs "" 's/(fetch_or\(WINDOW_CLOSED, Ordering::Relaxed\);\n\s*let closes = )before & WINDOW_CLOSED == 0;/${1}true;/' \
  "control word: a finisher closes a window that was closed already"

verdict
