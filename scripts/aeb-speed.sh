#!/usr/bin/env bash
# Pages per second of generic HTML normalization on the development set,
# HTML already in memory, one thread (benches/aeb.rs, divan), and the peak
# memory of normalizing the largest page with the release binary, and of
# the whole benchmark process (all 60 pages held in memory).
#
# usage: scripts/aeb-speed.sh [AEB_DIR]   (default ../shared/aeb-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
export AEB_DIR=$(realpath "${1:-../shared/aeb-dev}")
out=$(cargo bench --locked --bench aeb 2>/dev/null)
echo "$out"
# divan's throughput rows: fastest, slowest, median, mean (items are pages).
echo "$out" | grep -o '[0-9.]* item/s' | awk 'NR % 4 == 3 { n++; print (n == 1 ? "median pages/s, redline generic:   " : "median pages/s, dom_smoothie alone: ") $1 }'

cargo build --release --locked --quiet
largest=$(ls -S "$AEB_DIR"/html/*.html.gz | head -1)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
gunzip -c "$largest" > "$tmp/page.html"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "peak memory, largest page ($(stat -c %s "$tmp/page.html") bytes): %M KiB" \
    target/release/redline normalize "$tmp/page.html" --profile generic --format text > /dev/null
fi
if [ -x /usr/bin/time ]; then
  bench=$(ls -t target/release/deps/aeb-* | grep -v '\.d$' | head -1)
  /usr/bin/time -f "peak memory, whole benchmark process (60 pages in memory): %M KiB" \
    "$bench" --bench >/dev/null 2>"$tmp/time" || true
  tail -1 "$tmp/time"
fi
