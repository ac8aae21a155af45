#!/usr/bin/env bash
# Sync benchmark (not a test): what `redline push` costs when it must
# replay, compared with git doing the same job (`git pull --rebase` then
# `git push`) on an identical copy, in the same run.
#
#   scripts/bench-sync.sh [SOURCES] [COMMITS] [RUNS] [REDLINE]
#
# A store of SOURCES sources (default 1,000; each folder a document.md,
# related.md, capture.json and a 20 KB raw.txt) is pushed to a bare remote
# and cloned twice. Machine A records COMMITS versions (default 100) of its
# own sources and pushes; machine B records COMMITS versions of other
# sources and then pushes: it has to take A's commits and replay its own on
# top. The same B, from a copy, is synced with git against a copy of the
# remote. Commits are made with `git fast-import`, so only the sync is
# timed; each sync starts from fresh copies of B and the remote, RUNS
# times (default 5), and the median is reported. REDLINE defaults to
# target/release/redline (built if missing).
#
# Needs: git, python3. Results are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sources=${1:-1000}
commits=${2:-100}
runs=${3:-5}
redline=${4:-}
if [ -z "$redline" ]; then
  cargo build --release --locked -q --bin redline
  redline=$PWD/target/release/redline
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost

# A fast-import stream: the store (when $2 = seed), or $3 versions of the
# sources from number $4 on, on top of the current branch.
stream() {
  python3 - "$@" <<'EOF'
import sys, json
kind, sources, count, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer
t = [1700000000]
def commit(message, files, parent):
    out.write(b"commit refs/heads/master\n")
    t[0] += 60
    out.write(b"committer redline <redline@localhost> %d +0000\n" % t[0])
    m = message.encode()
    out.write(b"data %d\n%s\n" % (len(m), m))
    if parent:
        out.write(b"from refs/heads/master^0\n")
    for path, text in files:
        b = text.encode()
        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(b), b))
def source(i, edition):
    para = "A paragraph of the publication, number %d, edition %d. " % (i, edition)
    return [
        ("s%d/document.md" % i, "---\ntitle: Source %d\n---\n\n" % i + (para * 8 + "\n\n") * 12),
        ("s%d/related.md" % i, "- Related %d\n" % i),
        ("s%d/capture.json" % i, json.dumps({"source": "s%d" % i, "edition": edition}) + "\n"),
        ("s%d/raw.txt" % i, ("raw %d %d " % (i, edition)) * 2000),
    ]
if kind == "seed":
    toml = "[store]\nformat = 1\n" + "".join(
        '\n[[source]]\nid = "s%d"\nurl = "https://example.org/p/%d"\n' % (i, i) for i in range(sources))
    files = [("redline.toml", toml), (".gitignore", "/.redline/\n")]
    for i in range(sources):
        files += source(i, 0)
    commit("redline: create store", files, False)
else:
    for n in range(count):
        i = first + n
        commit("s%d: 1 paragraph edited\n\nRedline-Source: s%d\n" % (i, i), source(i, 1), n == 0)
EOF
}

git init -q --bare "$work/remote.git"
git init -q "$work/seed"
stream seed "$sources" 0 0 | git -C "$work/seed" fast-import --quiet
git -C "$work/seed" push -q "$work/remote.git" master
git clone -q "$work/remote.git" "$work/a"
git clone -q "$work/remote.git" "$work/b"

# A records versions of the first sources and pushes (plain git).
stream versions "$sources" "$commits" 0 | git -C "$work/a" fast-import --quiet --force
git -C "$work/a" push -q origin master
# B records versions of sources in the second half, not yet pushed.
stream versions "$sources" "$commits" $((sources / 2)) | git -C "$work/b" fast-import --quiet --force
git -C "$work/b" checkout -q -f master

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# A fresh copy of B and of the remote for each timed sync.
fresh() {
  rm -rf "$work/run" && mkdir "$work/run"
  cp -a "$work/b" "$work/run/b" && cp -a "$work/remote.git" "$work/run/remote.git"
  git -C "$work/run/b" remote set-url origin "$work/run/remote.git"
}
check() {
  local got
  got=$(git -C "$work/run/remote.git" rev-list --count master)
  [ "$got" = "$expected" ] || { echo "the remote has $got commits, expected $expected" >&2; exit 1; }
  git -C "$work/run/remote.git" fsck --strict --no-progress 2>&1 | { ! grep -v "^dangling\|^Checking\|^$"; }
  [ -z "$(git -C "$work/run/b" status --porcelain)" ] || { echo "B's work tree is not clean" >&2; exit 1; }
}
expected=$((1 + 2 * commits))
redline_times=() git_times=()
for _ in $(seq "$runs"); do
  fresh
  redline_times+=("$(ms "$redline" --store "$work/run/b" push)")
  check
  fresh
  git_times+=("$(ms sh -c "git -C '$work/run/b' pull -q --rebase origin master && git -C '$work/run/b' push -q origin master")")
  check
done
echo "store: $sources sources; A pushed $commits versions; B replayed $commits onto them and pushed; median of $runs"
echo "redline push (fetch, replay, push):      $(median "${redline_times[@]}") ms  (${redline_times[*]})"
echo "git pull --rebase && git push:           $(median "${git_times[@]}") ms  (${git_times[*]})"
