#!/usr/bin/env bash
# Scores redline's generic HTML extraction on the article-extraction
# development set: writes one <id>.txt per page (`redline normalize PAGE
# --format text`, body only) and runs the benchmark's scorer on them.
#
# usage: scripts/aeb-score.sh [AEB_DIR] [PRED_DIR] [-- scorer options]
#   AEB_DIR   default ../shared/aeb-dev (html/<id>.html.gz + ground-truth.json)
#   PRED_DIR  default target/aeb-pred
set -euo pipefail
cd "$(dirname "$0")/.."
aeb=${1:-../shared/aeb-dev}
pred=${2:-target/aeb-pred}
shift $(( $# > 2 ? 2 : $# )) || true
[ "${1:-}" = "--" ] && shift
scorer=${AEB_SCORER:-$(dirname "$aeb")/tools/aeb_score.py}

cargo build --release --locked --quiet
bin=target/release/redline
pages=$(mktemp -d)
trap 'rm -rf "$pages"' EXIT
rm -rf "$pred" && mkdir -p "$pred"
failed=0
for gz in "$aeb"/html/*.html.gz; do
  id=$(basename "$gz" .html.gz)
  gunzip -c "$gz" > "$pages/$id.html"
  # A page redline finds no body in is an empty prediction, as the
  # benchmark scores an extractor that returned nothing.
  if ! "$bin" normalize "$pages/$id.html" --profile generic --format text > "$pred/$id.txt" 2> "$pages/$id.err"; then
    failed=$((failed + 1))
    echo "no body: $id: $(head -c 300 "$pages/$id.err")" >&2
    : > "$pred/$id.txt"
  fi
done
echo "pages with no body: $failed"
python3 "$scorer" --data "$aeb" --pred "$pred" "$@"
