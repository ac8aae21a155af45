#!/usr/bin/env bash
# Do two redline builds give the same output? For speed work, where the
# answer must be yes: compares, byte for byte, what OLD and NEW print for
#
# 1. `diff --format json` of the large generated pair (benches/make_large_pair.rs)
#    both ways, of every ordered pair of the bundled text captures, and of
#    every real revision pair in ../shared/revisions-dev both ways;
# 2. `normalize` of every bundled capture, the extraction benchmark's pages
#    (../shared/aeb-dev/html) and the shared captures (../shared/captures).
#
#   scripts/compare-outputs.sh OLD_BINARY [NEW_BINARY]   # NEW: this checkout's release build
#
# Prints each input that differs and a count; exits 1 if any differs.
set -euo pipefail
cd "$(dirname "$0")/.."
old_bin=${1:?usage: scripts/compare-outputs.sh OLD_BINARY [NEW_BINARY]}
# The example first, then the binary on its own (see bench-large.sh).
cargo build --release --locked -q --example make_large_pair
if [ -n "${2:-}" ]; then
  new_bin=$2
else
  cargo build --release --locked -q --bin redline
  new_bin=$PWD/target/release/redline
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/examples/make_large_pair "$work" >/dev/null 2>&1

compared=0 differ=0
# Runs both binaries with the same arguments; stdout, stderr and exit code
# must all be equal.
same() {
  local a b
  a=$("$old_bin" "$@" 2>&1; echo "exit $?") || true
  b=$("$new_bin" "$@" 2>&1; echo "exit $?") || true
  compared=$((compared + 1))
  if [ "$a" != "$b" ]; then
    differ=$((differ + 1))
    echo "differs: $*"
  fi
}

same diff "$work/old.md" "$work/new.md" --format json
same diff "$work/new.md" "$work/old.md" --format json
for a in snapshots/inss-defense-treaty/*.txt; do
  for b in snapshots/inss-defense-treaty/*.txt; do
    same diff "$a" "$b" --format json
  done
done
for d in ../shared/revisions-dev/*/; do
  [ -f "$d/old.md" ] && [ -f "$d/new.md" ] || continue
  same diff "$d/old.md" "$d/new.md" --format json
  same diff "$d/new.md" "$d/old.md" --format json
done
for f in snapshots/inss-defense-treaty/*.html snapshots/inss-defense-treaty/*.txt \
  ../shared/aeb-dev/html/* ../shared/captures/*; do
  [ -f "$f" ] || continue
  same normalize "$f"
done
echo "$compared compared, $differ differ"
[ "$differ" -eq 0 ]
