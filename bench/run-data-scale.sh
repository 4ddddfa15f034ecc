#!/usr/bin/env bash
# Data scale (issue 14): `prepare` and the training source on synthetic logs of growing size, the notebook's layout
# against the compact one. One command, one report:
#
#   bench/run-data-scale.sh [--sizes 1000000,10000000,100000000] [--parts 2] [--xmx 8g] [--prepare-xmx 1g]
#                           [--source-xmx 512m] [--notebook-max 10000000] [--trainer-size 1000000] [--out DIR]
#                           [--jar JAR] [--source-only]
#
# Per size N (users N/50, items N/100, bench/generate-interactions.sh --seed 42, CSV):
#   prepare    `prepare --layout notebook` (-Xmx --xmx) and `prepare --layout user-sequences --parts P` (-Xmx
#              --prepare-xmx: the job's sorts spill, so its heap need not grow with the log) at parallelism 2 and 1,
#              each one JVM under /usr/bin/time -v: wall seconds, rows/s (interactions read per second), peak RSS.
#              Sizes above --notebook-max run the compact layout only (the notebook's source reads its files whole)
#   bytes      the training data on disk: sequences_train.parquet against user_sequences/ (the held-out files and
#              id maps are the same in both)
#   source     flink-job/src/test/java/io/twotower/job/bench/SourceThroughput.java: train's source and negative
#              sampler for one epoch into a counting no-op trainer, parallelism 1 and 2 (of the samplers, one reader)
#              and, for the compact layout, "p2r2": parallelism 2 with 2 readers (readers: 2, each a share of the
#              parts), per layout: rows/s, peak RSS; the compact layout's runs with --source-xmx (a heap that
#              does not grow with the data: the reader streams), the notebook's with --xmx (it reads a file whole)
#   trainer    at --trainer-size only: one epoch of the real `train` (conf/twotower.yaml) on the compact layout, for
#              the examples/s the source must outrun
# --source-only re-runs the source measurements on the data an earlier run left in --out (no generate, no prepare).
# bench/summarize_data_scale.py prints the tables (DIR/summary.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
SIZES=1000000,10000000,100000000
PARTS=2
XMX=8g
PREPARE_XMX=1g
NOTEBOOK_MAX=10000000
SOURCE_XMX=512m
TRAINER_SIZE=1000000
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
SOURCE_ONLY=0
PY=/usr/bin/python3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) SIZES="$2"; shift 2 ;;
    --parts) PARTS="$2"; shift 2 ;;
    --xmx) XMX="$2"; shift 2 ;;
    --prepare-xmx) PREPARE_XMX="$2"; shift 2 ;;
    --notebook-max) NOTEBOOK_MAX="$2"; shift 2 ;;
    --source-xmx) SOURCE_XMX="$2"; shift 2 ;;
    --trainer-size) TRAINER_SIZE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --source-only) SOURCE_ONLY=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
OUT="$(output_dir "$OUT" data-scale)"
echo "data-scale output: $OUT"
ensure_jar "$JAR"
mkdir -p "$OUT/classes"
javac -nowarn -d "$OUT/classes" -cp "$JAR" "$ROOT/flink-job/src/test/java/io/twotower/job/bench/SourceThroughput.java"
{
  echo "date=$(date -Is)"
  echo "cpus=$(nproc)"
  echo "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "jar=$JAR"
  echo "sizes=$SIZES parts=$PARTS xmx=$XMX prepare_xmx=$PREPARE_XMX source_xmx=$SOURCE_XMX notebook_max=$NOTEBOOK_MAX trainer_size=$TRAINER_SIZE"
  echo "command=bench/run-data-scale.sh --sizes $SIZES --parts $PARTS --xmx $XMX --prepare-xmx $PREPARE_XMX --source-xmx $SOURCE_XMX --notebook-max $NOTEBOOK_MAX --trainer-size $TRAINER_SIZE"
} >"$OUT/env.txt"
( while :; do echo "$(date +%s) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 5; done ) >"$OUT/loadavg.log" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

# timed NAME CMD...: runs CMD under /usr/bin/time -v (NAME.time, NAME.log); prints the wall time
timed() {
  local name="$1"; shift
  echo "== $name (load $(cut -d' ' -f1-3 /proc/loadavg))"
  local t0 rc=0
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
  echo "wall_s=$(echo "$(date +%s.%N) - $t0" | bc)" >"$OUT/$name.wall"
  echo "rc=$rc" >>"$OUT/$name.wall"
  echo "   $(cat "$OUT/$name.wall" | tr '\n' ' ') peak RSS $(awk -F: '/Maximum resident/ {print int($2/1024)}' "$OUT/$name.time") MiB"
  ((rc == 0)) || { tail -n 5 "$OUT/$name.log"; return 0; }
}

IFS=, read -r -a NS <<<"$SIZES"
for n in "${NS[@]}"; do
  users=$((n / 50)); items=$((n / 100))
  d="$OUT/n$n"; mkdir -p "$d"
  [[ -f "$d/log.csv" ]] || BENCH_JAR="$JAR" "$ROOT/bench/generate-interactions.sh" --jar "$JAR" --output "$d/log.csv" \
    --interactions "$n" --users "$users" --items "$items" --seed 42 >"$OUT/generate-$n.log" 2>&1
  echo "n=$n users=$users items=$items log_bytes=$(stat -c %s "$d/log.csv")" | tee -a "$OUT/sizes.txt"
  if ((SOURCE_ONLY == 0)); then
    rm -rf "$d/notebook" "$d/compact" "$d/compact-p1"
    if ((n <= NOTEBOOK_MAX)); then
      timed "prepare-notebook-$n" java "-Xmx$XMX" "-Dlog.file=$OUT/prepare-notebook-$n.flink.log" -jar "$JAR" prepare \
        --input "$d/log.csv" --output "$d/notebook" --layout notebook
    fi
    timed "prepare-compact-$n" java "-Xmx$PREPARE_XMX" "-Dlog.file=$OUT/prepare-compact-$n.flink.log" -jar "$JAR" prepare \
      --input "$d/log.csv" --output "$d/compact" --layout user-sequences --parts "$PARTS"
    if ((n <= NOTEBOOK_MAX)); then
      # The same job at parallelism 1: what the second core buys (same parts, so the same files).
      timed "prepare-compact-$n-p1" java "-Xmx$PREPARE_XMX" "-Dlog.file=$OUT/prepare-compact-$n-p1.flink.log" \
        -jar "$JAR" prepare -Dparallelism.default=1 --input "$d/log.csv" --output "$d/compact-p1" \
        --layout user-sequences --parts "$PARTS"
      # By content (bench/java/PreparedDigest.java): parquet-mr orders a column chunk's encodings by hash, per JVM.
      same=no
      [[ "$(java -cp "$JAR" "$ROOT/bench/java/PreparedDigest.java" "$d/compact" 2>/dev/null | tail -n 1)" == \
         "$(java -cp "$JAR" "$ROOT/bench/java/PreparedDigest.java" "$d/compact-p1" 2>/dev/null | tail -n 1)" ]] && same=yes
      echo "n=$n same_output_p1_p2=$same" | tee -a "$OUT/same.txt"
      rm -rf "$d/compact-p1"
    fi
    {
      echo "n=$n notebook_train_bytes=$(du -sb "$d/notebook/sequences_train.parquet" 2>/dev/null | cut -f1 || echo 0)"
      echo "n=$n compact_train_bytes=$(du -sb "$d/compact/user_sequences" 2>/dev/null | cut -f1 || echo 0)"
    } | tee -a "$OUT/bytes.txt"
  fi
  for layout in notebook compact; do
    [[ -d "$d/$layout" ]] || continue
    heap="$XMX"; [[ $layout == compact ]] && heap="$SOURCE_XMX"
    ps=(1 2); ((n > NOTEBOOK_MAX)) && ps=(1)
    [[ $layout == compact ]] && ps=(1 2 2r2)
    for p in "${ps[@]}"; do
      readers=1; [[ $p == *r2 ]] && readers=2
      timed "source-$layout-$n-p$p" java "-Xmx$heap" "-Dlog.file=$OUT/source-$layout-$n-p$p.flink.log" \
        -cp "$OUT/classes:$JAR" io.twotower.job.bench.SourceThroughput --data "$d/$layout" --parallelism "${p%r2}" \
        --readers "$readers"
      grep -h '^source ' "$OUT/source-$layout-$n-p$p.log" | sed 's/^/   /' || true
    done
  done
  if [[ "$n" == "$TRAINER_SIZE" && -d "$d/compact" ]]; then
    timed "trainer-compact-$n" java "-Xmx$XMX" "-Dlog.file=$OUT/trainer-compact-$n.flink.log" -jar "$JAR" train \
      --data "$d/compact" --output "$d/train-out" --config "$ROOT/conf/twotower.yaml" --set epochs=1
    grep -h 'examples/s' "$OUT/trainer-compact-$n.log" | tail -n 2 | sed 's/^/   /' || true
  fi
done
$PY "$ROOT/bench/summarize_data_scale.py" "$OUT" | tee "$OUT/summary.md"
