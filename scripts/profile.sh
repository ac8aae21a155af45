#!/usr/bin/env bash
# Where the time goes (not a benchmark): records a CPU profile with Linux
# `perf` and prints the redline and libgit2 functions that take the largest
# share of it, inclusive of what they call.
#
#   scripts/profile.sh diff    # redline diff --format json on the large pair
#                              #   (benches/make_large_pair.rs, as bench-large.sh)
#   scripts/profile.sh batch   # the nightly-batch benchmark (benches/batch.rs)
#   scripts/profile.sh stat    # user and system time and page faults of whole
#                              #   processes on the large pair (perf stat, 15
#                              #   runs): redline, REDLINE_BASELINE if set, git
#   scripts/profile.sh startup # what position-independent code costs a process:
#                              #   time and page faults (perf stat, 40 runs) of
#                              #   `redline --version` and of the large pair, for
#                              #   the release binary and the same code linked
#                              #   without PIE (not what the build ships; for a
#                              #   decision, see BENCHMARKS.md)
#
# Needs: the Rust toolchain and perf (Debian package linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-diff}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Builds the release binary and writes the large pair into $work. The
# example first, then the binary on its own: built in one command with an
# example, the binary gets the features the dev-dependencies turn on in
# shared crates, and is not the binary a user builds.
large_pair_and_binary() {
  cargo build --release --locked -q --example make_large_pair
  cargo build --release --locked -q --bin redline
  target/release/examples/make_large_pair "$work" >/dev/null
}

case "$what" in
  stat)
    large_pair_and_binary
    # Copies, as installed (see bench-large.sh).
    cp target/release/redline "$work/redline"
    bins=("$work/redline")
    if [ -n "${REDLINE_BASELINE:-}" ]; then
      cp "$REDLINE_BASELINE" "$work/baseline"
      bins+=("$work/baseline")
    fi
    events=duration_time,user_time,system_time,page-faults
    for bin in "${bins[@]}"; do
      echo "$bin diff --format json"
      perf stat -r 15 -e "$events" "$bin" diff "$work/old.md" "$work/new.md" --format json 2>&1 >/dev/null \
        | grep -E 'duration_time|user_time|system_time|page-faults' || true
    done
    echo "git diff --no-index --word-diff"
    perf stat -r 15 -e "$events" git diff --no-index --no-color --word-diff "$work/old.md" "$work/new.md" 2>&1 >/dev/null \
      | grep -E 'duration_time|user_time|system_time|page-faults' || true
    exit 0
    ;;
  startup)
    large_pair_and_binary
    cp target/release/redline "$work/pie"
    # The same code, linked as a fixed-address executable; then the usual
    # link again, so target/release/redline is what the build makes.
    cargo rustc --release --locked -q --bin redline -- -C link-arg=-no-pie
    cp target/release/redline "$work/no-pie"
    cargo build --release --locked -q --bin redline
    events=duration_time,user_time,system_time,page-faults
    for round in 1 2; do
      for bin in pie no-pie; do
        echo "round $round, $bin: redline --version"
        perf stat -r 40 -e "$events" "$work/$bin" --version 2>&1 >/dev/null \
          | grep -E 'duration_time|page-faults' || true
        echo "round $round, $bin: redline diff --format json, large pair"
        perf stat -r 40 -e "$events" "$work/$bin" diff "$work/old.md" "$work/new.md" --format json 2>&1 >/dev/null \
          | grep -E 'duration_time|page-faults' || true
      done
    done
    exit 0
    ;;
  diff)
    large_pair_and_binary
    perf record -q -F 2000 --call-graph dwarf -o "$work/perf.data" \
      target/release/redline diff "$work/old.md" "$work/new.md" --format json >/dev/null 2>&1 || true
    ;;
  batch)
    cargo bench --locked --bench batch --no-run 2>/dev/null
    bin=$(ls -t target/release/deps/batch-* | grep -v '\.d$' | head -1)
    perf record -q -F 500 --call-graph dwarf -o "$work/perf.data" "$bin" >/dev/null 2>&1
    ;;
  *) echo "usage: $0 diff|batch|stat|startup" >&2; exit 2 ;;
esac

perf report -i "$work/perf.data" --children --stdio --call-graph=none 2>/dev/null \
  | grep -E '^ +[0-9]' \
  | grep -E 'redline::(diff|document|normalize|fetch|store|batch|render)|git_(checkout_tree|odb_read|hash_sha1_update|indexer_commit|treebuilder_write)|_int_malloc' \
  | head -30
