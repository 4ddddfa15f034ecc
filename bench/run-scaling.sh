#!/usr/bin/env bash
# Training-step throughput against catalog size and batch size, and against this machine's arithmetic
# ceiling (issue 7). One command, one report:
#
#   bench/run-scaling.sh [--out DIR] [--jar JAR] [--xmx 2g] [--policies default,passive] [--quick]
#                        [--config FILE] [--set key=value]... [--catalogs N,N,...] [--batches B,B,...] [--no-breakdown]
#                        [--seconds 20]
#
# Runs model/src/test/java/io/twotower/model/bench/ScalingBench.java (compiled here with javac against
# the job jar, i.e. the model classes and DJL/libtorch the job runs) in one JVM per point, under
# /usr/bin/time -v for the peak resident memory:
#   * matmul: DJL matMul [9000 x 256] x [256 x 256] in a loop -> GFLOP/s (median of 40); the ceiling
#     uses the best median over the policies;
#   * catalog: 1k, 10k, 100k, 1M items (--catalogs; 610 users, d_model 256, batch 512, k_neg 50);
#   * batch: 256, 512, 1024, 2048, 4096 (--batches; 10k items; an empty list skips a sweep);
#   * the configuration: the notebook's defaults, or --config (e.g. conf/twotower-large.yaml: its batch size,
#     k_neg, model, negatives, embedding_optimizer), with --set overrides (e.g. --set embedding_optimizer=dense
#     for the same configuration with dense AdamW embeddings, --set d_model=64);
#   * each point with libtorch's OpenMP threads spinning when idle (default: OMP_WAIT_POLICY unset, whatever the
#     caller exported) and with OMP_WAIT_POLICY=PASSIVE (sleeping; how bin/ and the images run the job), as
#     --policies says;
#   * a memory check: 1M items with -Xmx1g (the initialiser holds one table as a Java float[] of 977 MiB);
#   * StepBreakdown: where a MovieLens-sized step's time goes (gather/scoring/dropout variants, AdamW) and
#     the PyTorch profiler's self time per op (bench/op_table.py), per policy (notebook defaults only;
#     --no-breakdown skips it).
#   * each catalog point times at least 8 cycles after 3 warm-up ones, and more until the timed cycles add up to
#     --seconds (a median of 4 cycles at 1M items moved by a third from run to run); the JSON has the quartiles;
#   * THP_MEM_ALLOC_ENABLE=1 in the caller's environment makes libtorch back large tensors with transparent huge
#     pages (recorded in env.txt and each point's JSON).
# Examples/s = accum_steps x batch / median optimizer cycle (accum_steps micro-batches, the last with
# AdamW), warm-up cycles excluded. bench/summarize_scaling.py prints the tables (DIR/summary.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
XMX=2g
POLICIES="default,passive"
QUICK=0
PY=/usr/bin/python3
CONFIG=""
SETS=()
CATALOG_LIST=""
BATCH_LIST=""
BREAKDOWN=1
SECONDS_MIN=20

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --xmx) XMX="$2"; shift 2 ;;
    --policies) POLICIES="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --config) CONFIG="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --set) SETS+=("$2"); shift 2 ;;
    --catalogs) CATALOG_LIST="$2"; shift 2 ;;
    --batches) BATCH_LIST="$2"; shift 2 ;;
    --no-breakdown) BREAKDOWN=0; shift ;;
    --seconds) SECONDS_MIN="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done

[[ -z "$CONFIG" || -f "$CONFIG" ]] || { echo "--config $CONFIG: no such file" >&2; exit 2; }
# The step's configuration, passed to every ScalingBench step
CONF_ARGS=()
[[ -n "$CONFIG" ]] && CONF_ARGS+=(--config "$CONFIG")
if ((${#SETS[@]})); then
  SET_JOINED="$(IFS=,; echo "${SETS[*]}")"
  CONF_ARGS+=(--set "$SET_JOINED")
fi

OUT="$(output_dir "$OUT" scaling)"
echo "scaling output: $OUT"

ensure_jar "$JAR"

mkdir -p "$OUT/classes"
javac -nowarn -d "$OUT/classes" -cp "$JAR" \
  "$ROOT/model/src/test/java/io/twotower/model/bench/ScalingBench.java" \
  "$ROOT/model/src/test/java/io/twotower/model/bench/StepBreakdown.java"
CP="$OUT/classes:$JAR"

( while :; do echo "$(date +%s.%N) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 5; done ) >"$OUT/loadavg.log" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

{
  echo "date=$(date -Is)"
  echo "cpus=$(nproc)"
  echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "java=$(java -version 2>&1 | head -n 1)"
  echo "jar=$JAR"
  echo "jar_mtime=$(date -r "$JAR" -Is)"
  echo "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "xmx=$XMX"
  echo "policies=$POLICIES"
  echo "thp_mem_alloc_enable=${THP_MEM_ALLOC_ENABLE:-}"
  echo "seconds_per_point=$SECONDS_MIN"
  echo "config=${CONFIG:-defaults}"
  echo "sets=${SET_JOINED:-}"
  echo "command=bench/run-scaling.sh$( ((QUICK)) && echo ' --quick' || true)${CONFIG:+ --config $CONFIG}$(for s in "${SETS[@]}"; do printf ' --set %s' "$s"; done)"
} >"$OUT/env.txt"

# bench NAME POLICY XMX ARGS...: one JVM, output to NAME.log, /usr/bin/time to NAME.time
bench() {
  local name="$1" policy="$2" xmx="$3"; shift 3
  # libtorch's idle OpenMP threads spin by default and starve training on busy cores; the job ships with PASSIVE
  local envs=(-u OMP_WAIT_POLICY)
  [[ "$policy" == passive ]] && envs=(OMP_WAIT_POLICY=PASSIVE)
  echo "== $name ($policy, -Xmx$xmx, load $(cut -d' ' -f1-3 /proc/loadavg))"
  local rc=0
  env "${envs[@]}" /usr/bin/time -v -o "$OUT/$name.time" java "-Xmx$xmx" -cp "$CP" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
  grep -E '^(matmul|step) ' "$OUT/$name.log" | sed 's/^/   /' || true
  if ((rc != 0)); then
    echo "   rc $rc: $(grep -m1 -E 'Error|Exception' "$OUT/$name.log" || tail -n 1 "$OUT/$name.log")"
  fi
  echo "rc=$rc" >"$OUT/$name.rc"
  return 0
}

IFS=, read -r -a POLS <<<"$POLICIES"
REPS=40; ((QUICK)) && REPS=15
for p in "${POLS[@]}"; do
  bench "matmul-$p" "$p" "$XMX" io.twotower.model.bench.ScalingBench matmul --reps "$REPS" --json "$OUT/matmul-$p.json"
done
GFLOPS="$($PY - "$OUT" "${POLS[@]}" <<'EOF'
import json, os, sys
out, pols = sys.argv[1], sys.argv[2:]
vals = [json.load(open(os.path.join(out, f'matmul-{p}.json')))['gflops_median']
        for p in pols if os.path.exists(os.path.join(out, f'matmul-{p}.json'))]
print(f'{max(vals):.3f}' if vals else '0')
EOF
)"
echo "ceiling rate: $GFLOPS GFLOP/s"
echo "gflops=$GFLOPS" >>"$OUT/env.txt"

CATALOGS=(1000 10000 100000 1000000)
BATCHES=(256 512 1024 2048 4096)
((QUICK)) && { CATALOGS=(1000 10000); BATCHES=(256 512); }
[[ -n "$CATALOG_LIST" ]] && IFS=, read -r -a CATALOGS <<<"$CATALOG_LIST"
[[ -n "$BATCH_LIST" ]] && IFS=, read -r -a BATCHES <<<"$BATCH_LIST"
[[ "$CATALOG_LIST" == none ]] && CATALOGS=()
[[ "$BATCH_LIST" == none ]] && BATCHES=()
for p in "${POLS[@]}"; do
  for items in "${CATALOGS[@]}"; do
    cyc=(--warmup 3 --cycles 8 --seconds "$SECONDS_MIN")
    ((QUICK)) && cyc=(--warmup 1 --cycles 3)
    bench "catalog-$items-$p" "$p" "$XMX" io.twotower.model.bench.ScalingBench step --items "$items" \
      "${CONF_ARGS[@]}" "${cyc[@]}" --gflops "$GFLOPS" --json "$OUT/catalog-$items-$p.json"
  done
  for b in "${BATCHES[@]}"; do
    # the 10k catalog point above, unless a configuration sets another batch size
    [[ $b == 512 && ${#CONF_ARGS[@]} -eq 0 && " ${CATALOGS[*]} " == *" 10000 "* ]] && continue
    cyc=(--warmup 2 --cycles 6); ((QUICK)) && cyc=(--warmup 1 --cycles 3)
    bench "batch-$b-$p" "$p" "$XMX" io.twotower.model.bench.ScalingBench step --items 10000 --batch "$b" \
      "${CONF_ARGS[@]}" "${cyc[@]}" --gflops "$GFLOPS" --json "$OUT/batch-$b-$p.json"
  done
done

if ((!QUICK)); then
  # Does 1M x 256 fit a 1 GiB heap? (The initialiser's float[] alone is 977 MiB; the tables live off-heap.)
  bench "fit-1m-xmx1g" "${POLS[0]}" 1g io.twotower.model.bench.ScalingBench step --items 1000000 \
    "${CONF_ARGS[@]}" --warmup 0 --cycles 1 --gflops "$GFLOPS"
fi
for p in "${POLS[@]}"; do
  ((BREAKDOWN)) || break
  bench "breakdown-$p" "$p" "$XMX" io.twotower.model.bench.StepBreakdown --iters 10 --profile "$OUT/profile-$p.json"
  sed -n '/^torch threads/,$p' "$OUT/breakdown-$p.log" | grep -v WARN | sed 's/^/   /'
  $PY "$ROOT/bench/op_table.py" "$OUT/profile-$p.json" --top 12 >"$OUT/ops-$p.txt" 2>&1 || true
done

$PY "$ROOT/bench/summarize_scaling.py" "$OUT" | tee "$OUT/summary.md"
