#!/usr/bin/env bash
# Runs one of redline's cargo-fuzz targets (see docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [RUNS]     # TARGET: normalize_text | normalize_html | diff
#   scripts/fuzz.sh seeds TARGET      # only (re)build the seed corpus
#
# RUNS is the number of executions (default 10000000, the bar a target must
# pass; 0 runs until stopped). Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --locked`). Environment:
#   FUZZ_SANITIZER  address | none (default none: the fuzzed code has no
#                   unsafe code (src/heap.rs and src/fetch/mapped.rs, the
#                   only unsafe, are not reached), and without ASan libFuzzer
#                   runs several times faster)
#   FUZZ_JOBS       parallel fuzzing processes (default 1)
#   FUZZ_TIME       stop after this many seconds even if RUNS is not reached
#   FUZZ_TRACE_COMPARES=1  build with comparison tracing (finds bytes that
#                   guard branches sooner, but each execution costs about a
#                   third more; off by default)
#
# The corpus grows in fuzz/corpus/TARGET, crash inputs land in
# fuzz/artifacts/TARGET (all ignored
# by git); each run's log is fuzz/artifacts/TARGET-DATE-PID.log, so runs
# can be counted up afterwards. Seeds are made at run time from the bundled captures
# (snapshots/inss-defense-treaty) and, when present, the extraction
# benchmark's pages (../shared/aeb-dev), cut into slices of the maximum input
# length; they are not committed. A crash input worth keeping goes to
# tests/fuzz-regressions/TARGET/, where `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "${1:-}" = seeds ]; then
  only_seeds=1
  shift
else
  only_seeds=0
fi
target=${1:?usage: scripts/fuzz.sh TARGET [RUNS]  (normalize_text, normalize_html, diff)}
runs=${2:-10000000}
[ "$runs" = 0 ] && runs=-1

case $target in
  normalize_text) max_len=4096 ;;
  normalize_html) max_len=8192 ;;
  diff) max_len=2048 ;;
  *) echo "unknown fuzz target $target: use normalize_text, normalize_html or diff" >&2; exit 2 ;;
esac

corpus=fuzz/corpus/$target
artifacts=fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts"

# Seeds: slices of real captures at line boundaries, each at most max_len
# bytes. The HTML target's inputs start with a selector byte (charset,
# source URL, profile: see fuzz/src/checks.rs); seeds get a few of them.
python3 - "$target" "$max_len" "$corpus" "$root" <<'PY'
import gzip, hashlib, os, pathlib, sys
target, max_len, corpus, root = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])

def slices(data, size):
    out, start = [], 0
    while start < len(data):
        end = min(len(data), start + size)
        if end < len(data):
            nl = data.rfind(b"\n", start, end)
            if nl > start:
                end = nl + 1
        out.append(data[start:end])
        start = end
    return out

def save(data):
    name = hashlib.sha1(data).hexdigest()
    (corpus / name).write_bytes(data)

snaps = sorted((root / "snapshots/inss-defense-treaty").glob("*"))
n = 0
if target == "normalize_text":
    for p in snaps:
        if p.suffix == ".txt":
            for s in slices(p.read_bytes(), max_len):
                save(s); n += 1
elif target == "normalize_html":
    pages = [p.read_bytes() for p in snaps if p.suffix == ".html"]
    aeb = root.parent / "shared/aeb-dev/html"
    if aeb.is_dir():
        pages += [gzip.decompress(p.read_bytes()) for p in sorted(aeb.glob("*.html.gz"))]
    for i, page in enumerate(pages):
        for j, s in enumerate(slices(page, max_len - 1)[:6]):
            save(bytes([(i + j) % 32]) + s); n += 1
elif target == "diff":
    # Any bytes describe two documents; a few shapes to start from.
    for i in range(16):
        save(bytes((i * 37 + k * 11) % 256 for k in range(64 + 96 * i)[: max_len])); n += 1
print(f"{n} seeds in {corpus}")
PY
[ "$only_seeds" = 1 ] && exit 0

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2; exit 2; }
log=fuzz/artifacts/$target-$(date +%Y%m%d-%H%M%S)-$$.log
extra=()
[ -n "${FUZZ_TIME:-}" ] && extra+=("-max_total_time=$FUZZ_TIME")
jobs=${FUZZ_JOBS:-1}
[ "$jobs" -gt 1 ] && extra+=("-jobs=$jobs" "-workers=$jobs")
start=$(date +%s)
set +e
build=()
[ "${FUZZ_TRACE_COMPARES:-0}" = 1 ] || build+=(--no-trace-compares)
(cd fuzz && cargo +nightly fuzz run -s "${FUZZ_SANITIZER:-none}" "${build[@]}" "$target" \
  "corpus/$target" -- \
  -artifact_prefix="artifacts/$target/" \
  -runs="$runs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 "${extra[@]}") 2>&1 | tee "$log" | grep -E '(DONE|pulse|NEW_FUNC|crash|ERROR|deadly|Test unit written|SUMMARY)' | grep -v NEW_FUNC
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)
echo "--- $target: exit $status, $((end - start)) s wall time"
grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|#[0-9]+ +DONE' "$log" || true
exit "$status"
