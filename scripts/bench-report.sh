#!/usr/bin/env bash
# Speed benchmark (not a test) of `redline report --since` for the last
# month of a large store: SOURCES sources x DAYS nightly versions, 2 % of
# each document edited per night (scripts/make-report-store.py).
#
#   scripts/bench-report.sh [SOURCES] [DAYS]     # default 200 365
#
# Prints wall time and peak memory of each report format, and of
# `redline log --since` over the same month: log lists the versions of every
# source the same way (Store::versions, a walk of the whole history per
# source) and does nothing else, so report minus log is what the report's
# own work costs (reading the month's documents, diffing, rendering).
# Needs: the Rust toolchain, git, python3, GNU time (/usr/bin/time).
# Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sources=${1:-200}
days=${2:-365}

# REDLINE=path/to/redline skips the release build (for trying the script).
redline=${REDLINE:-}
if [ -z "$redline" ]; then
  cargo build --release --locked -q --bin redline
  redline=$PWD/target/release/redline
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store=$work/store
"$redline" init "$store" >/dev/null
s=$(date +%s%N)
python3 scripts/make-report-store.py "$store" "$sources" "$days"
e=$(date +%s%N)
echo "store: $sources sources x $days versions ($(git -C "$store" rev-list --count HEAD) commits), built in $(( (e - s) / 1000000 )) ms"

# The month before the last night (2025-12-31).
since=2025-12-01

run() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
  read -r secs kb < "$work/time"
  printf '%-34s %8.2f s %8.1f MB\n' "$name" "$secs" "$(echo "$kb / 1024" | bc -l)"
}

cd "$store"
run "log --since $since" "$redline" log --since "$since"
run "report --format json" "$redline" report --since "$since" --format json -o "$work/report.json"
run "report --format atom" "$redline" report --since "$since" --format atom -o "$work/feed.atom"
run "report --format html" "$redline" report --since "$since" --format html -o "$work/site"
echo "changes in the month: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["changes"]))' "$work/report.json"); feed $(du -k "$work/feed.atom" | cut -f1) KB; site $(du -sk "$work/site" | cut -f1) KB in $(find "$work/site" -type f | wc -l) files"
