#!/usr/bin/env bash
# Speed benchmark (not a test): times `redline diff --format json` against
# `git diff --no-index --word-diff` on the same files, whole processes, in the
# same run, and reports the median of RUNS runs plus redline's peak memory.
#
#   scripts/bench-large.sh [RUNS]          # default 7 runs
#
# 1. the large generated pair (benches/make_large_pair.rs: ~5 MB and ~10,000
#    paragraphs a side, ~1 % edited, 20 moved, 10 added, 10 removed);
# 2. the bundled captures (consecutive pairs in snapshots/inss-defense-treaty);
# 3. the real revision pairs in ../shared/revisions-dev (when present).
#
# On the large pair, redline and git (and redline with REDLINE_HUGE_HEAP=0,
# the heap left to grow as the allocator does by itself; see src/heap.rs)
# run in turn, round after round, so they see the same load.
#
# REDLINE_BASELINE=PATH also times another redline binary (an older build)
# in the same rounds, to compare a change on a noisy machine. The bundled
# captures and the real pairs are interleaved too.
#
# Needs: the Rust toolchain, git, bash 5 (for $EPOCHREALTIME), GNU time
# (/usr/bin/time) for peak memory.
# Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}

# The example first, then the binary on its own: built in one command
# with an example, the binary gets the features the dev-dependencies
# turn on in shared crates, and is not the binary a user builds.
cargo build --release --locked -q --example make_large_pair
cargo build --release --locked -q --bin redline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The binaries timed are copies, as `cargo install` or a package leaves
# them: the file the linker writes is laid out differently in the page
# cache, and on this kind of virtual machine the same program started from
# it takes about 30 page faults more (perf stat: 357 against 329 on real
# pair 107).
cp target/release/redline "$work/redline"
redline=$work/redline
if [ -n "${REDLINE_BASELINE:-}" ]; then
  baseline_from=$REDLINE_BASELINE
  cp "$REDLINE_BASELINE" "$work/baseline"
  REDLINE_BASELINE=$work/baseline
fi
target/release/examples/make_large_pair "$work"

# Runs the given commands (functions, no arguments) in turn, once each per
# round, for $runs rounds after two warm-up rounds, and prints the median
# over rounds of the first's time divided by the second's, then each one's
# median ms. Interleaved, so a change in the machine's load (on this kind of
# virtual machine, often twofold within minutes) hits every command alike.
# Timed with bash's own clock ($EPOCHREALTIME, microseconds): reading it
# starts no process (a `$(date ...)` on each side of a run added about a
# millisecond to every timing). The warm-up rounds are not counted, as
# hyperfine's: the first runs after other work pay for memory the system
# has to prepare again.
interleaved_ms() {
  local f s e i
  local -A t=()
  local ratios=()
  for _ in 1 2; do for f in "$@"; do "$f" >/dev/null 2>&1 || true; done; done
  for i in $(seq "$runs"); do
    local round=()
    for f in "$@"; do
      s=$EPOCHREALTIME
      "$f" >/dev/null 2>&1 || true
      e=$EPOCHREALTIME
      round+=($(( ${e/[.,]/} - ${s/[.,]/} )))
      t[$f]+="${round[-1]} "
    done
    ratios+=("$(awk -v a="${round[0]}" -v b="${round[1]}" 'BEGIN{printf "%.4f", a/b}')")
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'
  for f in "$@"; do
    printf '%s\n' ${t[$f]} | sort -n | awk '{a[NR]=$1} END {printf " %.1f", a[int((NR+1)/2)]/1000}'
  done
  echo
}

# Peak resident memory (KB) of one run.
peak_kb() {
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
  tail -1 "$work/rss"
}

# Page faults (minor: a page of memory touched for the first time, or a
# file page mapped) of one run. On this kind of virtual machine each costs
# microseconds, so they are a large share of a short run.
faults() {
  /usr/bin/time -f '%R' -o "$work/faults" "$@" >/dev/null 2>&1 || true
  tail -1 "$work/faults"
}

git_wd() { git diff --no-index --no-color --word-diff "$1" "$2"; }
red() { "$redline" diff "$1" "$2" --format json; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
echo "redline $("$redline" --version | cut -d' ' -f2), $(git --version)"
echo

old=$work/old.md new=$work/new.md
in_kb=$(( ($(stat -c%s "$old") + $(stat -c%s "$new")) / 1024 ))
# Warm the page cache.
cat "$old" "$new" >/dev/null
red_large() { "$redline" diff "$old" "$new" --format json; }
git_large() { git_wd "$old" "$new"; }
# The heap left to grow as the allocator does by itself (see src/heap.rs).
red_large_plain() { REDLINE_HUGE_HEAP=0 "$redline" diff "$old" "$new" --format json; }
base_large() { "$REDLINE_BASELINE" diff "$old" "$new" --format json; }
large=(red_large git_large red_large_plain)
[ -n "${REDLINE_BASELINE:-}" ] && large+=(base_large)
read -r ratio r g nh b <<<"$(interleaved_ms "${large[@]}")"
m=$(peak_kb "$redline" diff "$old" "$new" --format json)
pf=$(faults "$redline" diff "$old" "$new" --format json)
gpf=$(faults git diff --no-index --no-color --word-diff "$old" "$new")
stats=$("$redline" diff "$old" "$new" --format json | tr -d ' \n' | grep -o '"body":{"equal[^}]*}' || true)
echo "## large pair (input $in_kb KB both sides; $runs interleaved rounds)"
echo "redline ${r} ms, git ${g} ms, ratio of medians $(awk -v r="$r" -v g="$g" 'BEGIN{printf "%.2f", r/g}'), median of the rounds' ratios ${ratio}, redline peak ${m} KB ($(awk -v m="$m" -v i="$in_kb" 'BEGIN{printf "%.1f", m/i}')x input)"
echo "page faults: redline $pf, git $gpf"
echo "redline found: $stats"
echo "REDLINE_HUGE_HEAP=0: ${nh} ms, page faults $(REDLINE_HUGE_HEAP=0 faults "$redline" diff "$old" "$new" --format json), peak $(REDLINE_HUGE_HEAP=0 peak_kb "$redline" diff "$old" "$new" --format json) KB"
if [ -n "${REDLINE_BASELINE:-}" ]; then
  echo "baseline $baseline_from: ${b} ms, peak $(peak_kb "$REDLINE_BASELINE" diff "$old" "$new" --format json) KB, page faults $(faults "$REDLINE_BASELINE" diff "$old" "$new" --format json)"
fi
echo

# The bundled captures and the real pairs are interleaved like the large
# pair, with the baseline when one is given: each pair is $o and $n.
red_pair() { "$redline" diff "$o" "$n" --format json; }
git_pair() { git_wd "$o" "$n"; }
base_pair() { "$REDLINE_BASELINE" diff "$o" "$n" --format json; }
cmds=(red_pair git_pair)
[ -n "${REDLINE_BASELINE:-}" ] && cmds+=(base_pair)
# A table's header: the given columns, then the baseline's when timed.
header() {
  local cols=("$@")
  [ -n "${REDLINE_BASELINE:-}" ] && cols+=("baseline ms")
  printf '| %s ' "${cols[@]}"; echo "|"
  printf '|---'"%.0s" "${cols[@]}"; echo "|"
}

echo "## bundled captures (snapshots/inss-defense-treaty; $runs interleaved rounds)"
header pair "redline ms" "git ms"
prev=
for f in snapshots/inss-defense-treaty/*.txt; do
  if [ -n "$prev" ]; then
    o=$prev n=$f
    read -r _ r g b <<<"$(interleaved_ms "${cmds[@]}")"
    echo "| $(basename "$prev" .txt | cut -c1-10) → $(basename "$f" .txt | cut -c1-10) | $r | $g |${b:+ $b |}"
  fi
  prev=$f
done
echo

revs=../shared/revisions-dev
if [ -d "$revs" ]; then
  echo "## real revision pairs ($revs; $runs interleaved rounds)"
  header pair "KB a side" "redline ms" "git ms"
  tr=0 tg=0 tb=0
  for d in "$revs"/*/; do
    o=$d/old.md n=$d/new.md
    [ -f "$o" ] && [ -f "$n" ] || continue
    read -r _ r g b <<<"$(interleaved_ms "${cmds[@]}")"
    tr=$(awk -v a="$tr" -v b="$r" 'BEGIN{print a+b}'); tg=$(awk -v a="$tg" -v b="$g" 'BEGIN{print a+b}')
    if [ -n "${REDLINE_BASELINE:-}" ]; then
      tb=$(awk -v a="$tb" -v b="$b" 'BEGIN{print a+b}')
      echo "| $(basename "$d") | $(( $(stat -c%s "$n") / 1024 )) | $r | $g | $b |"
    else
      echo "| $(basename "$d") | $(( $(stat -c%s "$n") / 1024 )) | $r | $g |"
    fi
  done
  if [ -n "${REDLINE_BASELINE:-}" ]; then
    echo "| total | | $tr | $tg | $tb |"
  else
    echo "| total | | $tr | $tg |"
  fi
fi
