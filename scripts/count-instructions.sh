#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind), which a loaded machine does not
# change, of `redline diff --format json` on the large generated pair
# (benches/make_large_pair.rs) and on the first two bundled captures; with
# REDLINE_BASELINE=PATH, of another redline binary (an older build) too.
# Not a benchmark of time: valgrind runs SHA-256 without the CPU's SHA
# instructions, so hashing counts far more here than it costs for real.
#
#   scripts/count-instructions.sh          # totals
#   TOP=25 scripts/count-instructions.sh   # and the 25 largest redline functions (inclusive)
#   scripts/count-instructions.sh aeb      # also one pass of benches/aeb.rs (60 HTML pages)
#   PAIR="OLD NEW" scripts/count-instructions.sh   # also one pair of your own
#
# Needs: the Rust toolchain and valgrind. Figures are in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# The example first, then the binary on its own: built in one command
# with an example, the binary gets the features the dev-dependencies
# turn on in shared crates, and is not the binary a user builds.
cargo build --release --locked -q --example make_large_pair
cargo build --release --locked -q --bin redline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/examples/make_large_pair "$work" >/dev/null
caps=(snapshots/inss-defense-treaty/*.txt)

count() {
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$@" >/dev/null 2>"$work/vg.err" || true
  grep -o 'refs: *[0-9,]*' "$work/vg.err" | tr -d ' ' | cut -d: -f2
  if [ -n "${TOP:-}" ]; then
    callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null \
      | grep -E 'redline::|html5ever::tokenizer::Tokenizer<Sink>::run |dom_smoothie::readability::Readability::parse ' \
      | head -"$TOP" | sed 's/^/    /' >&2
  fi
}

bins=("$PWD/target/release/redline")
[ -n "${REDLINE_BASELINE:-}" ] && bins+=("$REDLINE_BASELINE")
for bin in "${bins[@]}"; do
  echo "$bin"
  echo "  large pair:      $(count "$bin" diff "$work/old.md" "$work/new.md" --format json) instructions"
  echo "  bundled 1 -> 2:  $(count "$bin" diff "${caps[0]}" "${caps[1]}" --format json) instructions"
  if [ -n "${PAIR:-}" ]; then
    read -r pair_old pair_new <<<"$PAIR"
    echo "  $PAIR:  $(count "$bin" diff "$pair_old" "$pair_new" --format json) instructions"
  fi
done

if [ "${1:-}" = "aeb" ]; then
  cargo bench --locked --bench aeb --no-run 2>/dev/null
  bench=$(ls -t target/release/deps/aeb-* | grep -v '\.d$' | head -1)
  export AEB_DIR=$(realpath "${AEB_DIR:-../shared/aeb-dev}")
  echo "benches/aeb.rs, all_pages, one iteration (includes decompressing the pages):"
  echo "  $(count "$bench" --bench all_pages --sample-count 1 --sample-size 1) instructions"
fi
