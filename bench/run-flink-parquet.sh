#!/usr/bin/env bash
# flink-parquet's vectorized reader against the Parquet column API the training source uses, on the compact
# layout's parts of a prepared folder, then flink-parquet's RowData writer against the parquet-mr Group writer
# `prepare` uses, writing the same parts from memory (issue 14):
#
#   bench/run-flink-parquet.sh [--data DIR] [--reps 5] [--only read|write]
#
# Builds bench/flink-parquet (outside the main build, so the job jar does not carry flink-parquet) against the
# installed twotower-connectors (run `mvn -B install -DskipTests` first), then decodes every part with each reader
# in turn, --reps times, and prints interactions/s per reader. Default data: the 10^7 log of bench/run-data-scale.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/work/bench/data-scale/n10000000/compact"
REPS=5
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
DATA="$(cd "$DATA" && pwd)"
[[ -f "$DATA/dataset.json" ]] || { echo "$DATA: not a compact-layout folder (no dataset.json)" >&2; exit 1; }
cd "$ROOT/bench/flink-parquet"
mvn -B -q package -DskipTests
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
echo "date=$(date -Is) git_head=$(git -C "$ROOT" rev-parse --short HEAD) data=$DATA reps=$REPS load=$(cut -d' ' -f1-3 /proc/loadavg)"
CP="target/classes:$(cat target/classpath.txt)"
[[ "$ONLY" == write ]] || java -Xmx2g -cp "$CP" io.twotower.bench.ColumnarReadSpeed "$DATA" "$REPS"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
[[ "$ONLY" == read ]] || java -Xmx4g -cp "$CP" io.twotower.bench.WriteSpeed "$DATA" "$REPS" "$SCRATCH"
