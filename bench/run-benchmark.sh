#!/usr/bin/env bash
# Training speed of the Flink/DJL job against the two PyTorch references, on the same MovieLens data,
# with the same epochs and the notebook's hyper-parameters (issue 7). One command, one report:
#
#   bench/run-benchmark.sh [--epochs N] [--out DIR] [--jar JAR] [--no-online] [--sides nb,fast,ours,ours-spin,online]
#                          [--online-args "ARGS"]   (extra arguments for `online`, e.g. "--config conf/twotower-history.yaml")
#                          [--busy N]               (N single-threaded busy-loop processes run beside every side)
#
#   (a) nb     bench/python/reference_notebook.py (faithful port of the notebook), --threads 2
#   (b) fast   bench/python/reference_fast.py (vectorised, item tower over the batch's distinct items), --threads 2
#   (c) ours   java -jar JAR prepare ...; java -jar JAR train --set epochs=N --set patience=100 (embedded Flink)
#       ours-spin  the same with OMP_WAIT_POLICY unset (diagnostic: libgomp's default, libtorch's idle OpenMP
#              threads spin; how the job ran before bin/ and the images set PASSIVE)
#       ours-allcores  the same with trainer_threads=<all cores> (libtorch's own default; diagnostic for the
#              `auto` default, which leaves one core to the source and samplers)
#   --busy N: contention, as on a shared machine: N `python3 -c "while True: pass"` processes (one core each)
#   start before the first side and stop after the last, so every side runs under the same load.
#   Every side runs with OMP_WAIT_POLICY as exported, PASSIVE when unset (as bin/ and the images ship the job).
#   (d) online java -jar JAR replay + online --until-latest on a Kafka broker it starts and stops
#              (TWOTOWER_WORK=/tmp/bench-servers, port 39092); skipped when the broker does not start
#
# Each side runs under /usr/bin/time -v (peak resident memory); a background sampler records the load
# average every 5 s. bench/summarize_benchmark.py prints the tables (also written to DIR/summary.md).
#
# JAR defaults to $BENCH_JAR or /tmp/bench-job.jar; when it is missing, flink-job/target/twotower-job.jar
# is copied there first (only if `unzip -l` reads it: others may be rebuilding it). Python sides use
# /usr/bin/python3 (Debian's torch), not a pyenv python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
# Our job as shipped: libtorch's idle OpenMP threads spin by default and starve training on busy cores. The Python
# references default to PASSIVE themselves (os.environ.setdefault), so they run with this same value.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
EPOCHS=2
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
SIDES="nb,fast,ours,ours-spin,online"
ONLINE_ARGS=""
BUSY=0
PY=/usr/bin/python3
THREADS=2
KAFKA_PORT_BENCH="${BENCH_KAFKA_PORT:-39092}"
SERVERS_WORK="${BENCH_SERVERS_WORK:-/tmp/bench-servers}"
RATINGS="$ROOT/data/movielens-small/ratings.csv"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) EPOCHS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --no-online) SIDES="${SIDES//,online/}"; shift ;;
    --sides) SIDES="$2"; shift 2 ;;
    --online-args) ONLINE_ARGS="$2"; shift 2 ;;
    --busy) BUSY="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ "$EPOCHS" =~ ^[1-9][0-9]*$ ]] || { echo "--epochs must be a positive integer" >&2; exit 2; }
[[ "$BUSY" =~ ^[0-9]+$ ]] || { echo "--busy must be a count (0 or more)" >&2; exit 2; }
has_side() { [[ ",$SIDES," == *",$1,"* ]]; }

STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$(output_dir "$OUT" run)"
echo "benchmark output: $OUT"

ensure_jar "$JAR"
if [[ ",$SIDES," == *,nb,* || ",$SIDES," == *,fast,* ]]; then
  ensure_python_packages torch=python3-torch pandas=python3-pandas numpy=python3-numpy
fi

# ---- load-average sampler (killed on exit) ----
( while :; do echo "$(date +%s.%N) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 5; done ) >"$OUT/loadavg.log" &
SAMPLER=$!
BROKER_STARTED=0
BUSY_PIDS=()
cleanup() {
  kill "$SAMPLER" 2>/dev/null || true
  if ((${#BUSY_PIDS[@]})); then kill "${BUSY_PIDS[@]}" 2>/dev/null || true; fi
  if ((BROKER_STARTED)); then
    TWOTOWER_WORK="$SERVERS_WORK" KAFKA_PORT="$KAFKA_PORT_BENCH" "$ROOT/bin/kafka-broker" stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

{
  echo "date=$(date -Is)"
  echo "host=$(uname -srm)"
  echo "cpus=$(nproc)"
  echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "java=$(java -version 2>&1 | head -n 1)"
  echo "python=$($PY -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__)')"
  echo "jar=$JAR"
  echo "jar_mtime=$(date -r "$JAR" -Is)"
  echo "jar_sha256=$(sha256sum "$JAR" | cut -c1-16)"
  echo "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "epochs=$EPOCHS"
  echo "sides=$SIDES"
  echo "omp_wait_policy=$OMP_WAIT_POLICY"
  echo "busy=$BUSY"
  echo "command=bench/run-benchmark.sh --epochs $EPOCHS --sides $SIDES --busy $BUSY"
} >"$OUT/env.txt"

# run_side NAME CMD...: runs CMD under /usr/bin/time -v, stdout+stderr to NAME.log, timing to NAME.time,
# start/end epoch seconds and load averages to NAME.meta.
run_side() {
  local name="$1"; shift
  echo "== $name: $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
  {
    echo "start=$(date +%s.%N)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$OUT/$name.meta"
  local rc=0
  /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
  {
    echo "end=$(date +%s.%N)"
    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "rc=$rc"
  } >>"$OUT/$name.meta"
  if ((rc != 0)); then
    echo "   $name failed (rc $rc); last lines of $OUT/$name.log:" >&2
    tail -n 15 "$OUT/$name.log" >&2
  fi
  return $rc
}

# ---- the same data for every side ----
echo "== preparing data from $RATINGS"
$PY "$ROOT/bench/python/prepare_csv.py" --ratings "$RATINGS" --out "$OUT/data-csv" >"$OUT/prepare-csv.log" 2>&1 \
  || { cat "$OUT/prepare-csv.log" >&2; exit 1; }
if has_side ours || has_side ours-spin; then
  # The notebook's layout: the same files and the same exact per-epoch permutation as the notebook's sides.
  java -jar "$JAR" prepare --input "$RATINGS" --output "$OUT/data-parquet" --layout notebook \
    >"$OUT/prepare-parquet.log" 2>&1 \
    || { tail -n 20 "$OUT/prepare-parquet.log" >&2; exit 1; }
fi

for ((b = 0; b < BUSY; b++)); do
  $PY -c "while True: pass" &
  BUSY_PIDS+=($!)
done
((BUSY == 0)) || echo "== $BUSY busy-loop process(es) beside every side: ${BUSY_PIDS[*]}"

FAILED=0
if has_side nb; then
  (cd "$ROOT/bench/python" && run_side nb $PY reference_notebook.py --data "$OUT/data-csv" --epochs "$EPOCHS" \
    --threads "$THREADS" --json-out "$OUT/nb.json") || FAILED=1
fi
if has_side fast; then
  (cd "$ROOT/bench/python" && run_side fast $PY reference_fast.py --data "$OUT/data-csv" --epochs "$EPOCHS" \
    --threads "$THREADS" --json-out "$OUT/fast.json") || FAILED=1
fi
if has_side ours; then
  run_side ours java -jar "$JAR" train --data "$OUT/data-parquet" --output "$OUT/ours-train" \
    --set epochs="$EPOCHS" --set patience=100 || FAILED=1
fi
if has_side ours-spin; then
  run_side ours-spin env -u OMP_WAIT_POLICY java -jar "$JAR" train --data "$OUT/data-parquet" \
    --output "$OUT/ours-spin-train" --set epochs="$EPOCHS" --set patience=100 || FAILED=1
fi
if has_side ours-allcores; then
  run_side ours-allcores java -jar "$JAR" train --data "$OUT/data-parquet" --output "$OUT/ours-allcores-train" \
    --set epochs="$EPOCHS" --set patience=100 --set trainer_threads="$(nproc)" || FAILED=1
fi
if has_side online; then
  echo "== starting a Kafka broker on 127.0.0.1:$KAFKA_PORT_BENCH (TWOTOWER_WORK=$SERVERS_WORK)"
  if TWOTOWER_WORK="$SERVERS_WORK" KAFKA_PORT="$KAFKA_PORT_BENCH" "$ROOT/bin/kafka-broker" start --fresh \
      >"$OUT/kafka-start.log" 2>&1; then
    BROKER_STARTED=1
    TOPIC="bench-$STAMP"
    echo "topic=$TOPIC" >"$OUT/online.topic"
    if run_side replay java -jar "$JAR" replay --input "$RATINGS" --bootstrap-servers "127.0.0.1:$KAFKA_PORT_BENCH" \
        --topic "$TOPIC"; then
      run_side online java -jar "$JAR" online --bootstrap-servers "127.0.0.1:$KAFKA_PORT_BENCH" --topic "$TOPIC" \
        --output "$OUT/online-out" --until-latest --window "365 d" --snapshot-every 1000 $ONLINE_ARGS || FAILED=1
    else
      FAILED=1
    fi
    TWOTOWER_WORK="$SERVERS_WORK" KAFKA_PORT="$KAFKA_PORT_BENCH" "$ROOT/bin/kafka-broker" stop >>"$OUT/kafka-start.log" 2>&1 || true
    BROKER_STARTED=0
  else
    echo "   no Kafka broker (see $OUT/kafka-start.log): online skipped"
    echo "broker did not start" >"$OUT/online.skipped"
  fi
fi

$PY "$ROOT/bench/summarize_benchmark.py" "$OUT" | tee "$OUT/summary.md"
exit $FAILED
