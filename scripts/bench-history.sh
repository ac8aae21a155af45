#!/usr/bin/env bash
# History benchmark (not a test): how fast `log`, `blame` and `diff` read a
# long history, and how big the store is after `git gc` next to a repository
# holding the same files written by `git fast-import`.
#
#   scripts/bench-history.sh [RUNS] [SOURCES NIGHTS]   # default: 5 runs, 200 x 365
#   scripts/bench-history.sh 5 0                       # the 500-version store only
#
# Two stores, built by benches/make_history_store.rs the way nightly
# `redline snapshot` runs record versions (normalize, message with a diff,
# packed writes), 2 % of each document's paragraphs edited per night:
#   1. one source, 500 versions;
#   2. SOURCES sources x NIGHTS nightly versions (default 200 x 365 = 73,000
#      versions; building it takes a long while), with `git gc` every 30
#      nights as a monthly cron job would (redline never repacks, and
#      thousands of nightly packs make every write slower).
# For each: median wall time of whole `redline` processes (release build),
# before and after `git gc`; `report --since` (a month) when this redline has
# a `report` command; sizes of .git (`git count-objects -v`) for redline's
# store and for `git fast-export | git fast-import` of it, both after
# `git gc`. Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
sources=${2:-200}
nights=${3:-365}

# The example first, then the binary on its own: built in one command
# with an example, the binary gets the features the dev-dependencies
# turn on in shared crates, and is not the binary a user builds.
cargo build --release --locked -q --example make_history_store
cargo build --release --locked -q --bin redline
redline=$PWD/target/release/redline
make=$PWD/target/release/examples/make_history_store
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT

# Median wall time in ms of a command run $runs times (output discarded).
median_ms() {
  local times=() s e
  for _ in $(seq "$runs"); do
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# Size of a repository's objects in KiB (loose + packs).
size_kib() {
  git -C "$1" count-objects -v | awk '/^size:|^size-pack:/ {s += $2} END {print s}'
}

timings() {
  local store=$1 id=$2 label=$3
  local r=("$redline" --store "$store")
  echo "### $label"
  echo "log $id:               $(median_ms "${r[@]}" log "$id") ms"
  echo "log $id --stat:        $(median_ms "${r[@]}" log "$id" --stat) ms"
  echo "blame $id:             $(median_ms "${r[@]}" blame "$id") ms"
  echo "blame $id --json:      $(median_ms "${r[@]}" blame "$id" --json) ms"
  echo "diff $id FIRST LAST:   $(median_ms "${r[@]}" diff "$id" 2025-01-01 '~0' --format json) ms"
  echo "git log --format=%H -- $id/ (reference): $(median_ms git -C "$store" log --format=%H -- "$id/") ms"
  echo "log (every source):    $(median_ms "${r[@]}" log) ms"
  if "$redline" report --help >/dev/null 2>&1; then
    echo "report --since (month): $(median_ms "${r[@]}" report --since "$4") ms"
  else
    echo "report --since: skipped (this redline has no report command)"
  fi
}

measure() {
  local store=$1 id=$2 name=$3 since=$4
  echo "## $name"
  echo "versions of $id: $("$redline" --store "$store" log "$id" | wc -l), commits: $(git -C "$store" rev-list --count HEAD), packs: $(ls "$store"/.git/objects/pack/*.pack | wc -l)"
  echo "store before gc: $(size_kib "$store") KiB"
  timings "$store" "$id" "before git gc" "$since"
  s=$(date +%s%N); git -C "$store" gc -q; e=$(date +%s%N)
  echo "git gc: $(( (e - s) / 1000000 )) ms"
  timings "$store" "$id" "after git gc" "$since"
  local fi=$work/$name-fast-import
  git init -q --bare "$fi"
  s=$(date +%s%N)
  git -C "$store" fast-export --all | git -C "$fi" fast-import --quiet
  e=$(date +%s%N)
  echo "fast-import: $(( (e - s) / 1000000 )) ms, before gc $(size_kib "$fi") KiB"
  git -C "$fi" gc -q
  local a b
  a=$(size_kib "$store"); b=$(size_kib "$fi")
  echo "after git gc: redline $a KiB, fast-import $b KiB, ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a/b}')"
  # git gc keeps the deltas a pack already has (fast-import writes its own);
  # a full repack searches again on both sides.
  git -C "$store" repack -a -d -f -q
  git -C "$fi" repack -a -d -f -q
  a=$(size_kib "$store"); b=$(size_kib "$fi")
  echo "after git repack -a -d -f: redline $a KiB, fast-import $b KiB, ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", a/b}')"
  echo
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redline $("$redline" --version | cut -d' ' -f2), $(git --version)"
echo

s=$(date +%s%N)
"$make" "$work/one" 1 500 2
e=$(date +%s%N)
echo "built 1 x 500 in $(( (e - s) / 1000000 )) ms"
measure "$work/one" paper-000 one 2026-04-15

[ "$sources" -gt 0 ] || exit 0
s=$(date +%s%N)
"$make" "$work/many" "$sources" "$nights" 2 30
e=$(date +%s%N)
echo "built $sources x $nights in $(( (e - s) / 1000000 )) ms"
measure "$work/many" paper-000 many 2025-12-01
