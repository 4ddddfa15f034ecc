#!/usr/bin/env bash
# Checkpoints of a large catalog (issue 13): what a checkpoint of `train` costs, full vs incremental, and a kill -9
# after a completed checkpoint with an exact resume. One command per configuration:
#
#   bench/run-checkpoints.sh [--items 1000000] [--users 0] [--config conf/twotower-large.yaml] [--set key=value]...
#                            [--table-state keyed|operator] [--backend rocksdb|hashmap] [--interval 30000]
#                            [--checkpoints 3] [--kill] [--epochs 1] [--xmx 3g] [--out DIR] [--jar JAR]
#                            [--keep-snapshots 5] [--resume-only]   (only run 1, on DIR of an earlier --kill run)
#
#   data    the bundled MovieLens log prepared (`prepare`), its item id map padded to --items ids (and the user map
#           to --users when given) by bench/java/PadCatalog.java: the same training rows over a catalog of any
#           size, whose padded rows only the uniform negatives and the evaluation reach
#   run 0   `java -jar JAR train` embedded with --checkpoint-interval, state.backend.type --backend, incremental
#           checkpoints on, --table-state; the job's checkpoint statistics (REST) every 2 s into checkpoints.jsonl;
#           without --kill it runs to its end (--epochs), with --kill it is killed (kill -9) once --checkpoints
#           checkpoints have completed
#   run 1   (--kill) the same command resumed from the newest completed checkpoint (execution.state-recovery.path),
#           to its end; then the results must show one restore and exactly one epoch's rows per epoch
#
# Each run under /usr/bin/time -v (peak RSS). bench/summarize_checkpoints.py prints the table (DIR/summary.md):
# per checkpoint the bytes it added (checkpointed size) and the full state size, its duration, the trainer's own
# write (bytes, seconds), the restore and the snapshot publication seconds from the logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
ITEMS=1000000
USERS=0
CONFIG="$ROOT/conf/twotower-large.yaml"
SETS=()
TABLE_STATE=keyed
BACKEND=rocksdb
INTERVAL=30000
CHECKPOINTS=3
KILL=0
RESUME_ONLY=0
EPOCHS=1
KEEP=5
XMX=3g
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
PY=/usr/bin/python3
REST_PORT="${CHECKPOINT_BENCH_REST_PORT:-38391}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --items) ITEMS="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --config) CONFIG="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --set) SETS+=("$2"); shift 2 ;;
    --table-state) TABLE_STATE="$2"; shift 2 ;;
    --backend) BACKEND="$2"; shift 2 ;;
    --interval) INTERVAL="$2"; shift 2 ;;
    --checkpoints) CHECKPOINTS="$2"; shift 2 ;;
    --kill) KILL=1; shift ;;
    --resume-only) KILL=1; RESUME_ONLY=1; shift ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --keep-snapshots) KEEP="$2"; shift 2 ;;
    --xmx) XMX="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$ITEMS" =~ ^[0-9]+$ ]] || { echo "--items must be a count" >&2; exit 2; }
[[ "$CHECKPOINTS" =~ ^[1-9][0-9]*$ ]] || { echo "--checkpoints must be a positive count" >&2; exit 2; }

OUT="$(output_dir "$OUT" checkpoints)"
echo "checkpoint benchmark output: $OUT"
ensure_jar "$JAR"
REST="http://127.0.0.1:$REST_PORT"
SET_ARGS=(--set "epochs=$EPOCHS")
for s in "${SETS[@]}"; do SET_ARGS+=(--set "$s"); done
{
  echo "date=$(date -Is)"
  echo "cpus=$(nproc)"
  echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "jar_sha256=$(sha256sum "$JAR" | cut -c1-16)"
  echo "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "items=$ITEMS users=$USERS config=$CONFIG sets=${SETS[*]:-} epochs=$EPOCHS"
  echo "table_state=$TABLE_STATE backend=$BACKEND interval_ms=$INTERVAL checkpoints=$CHECKPOINTS kill=$KILL xmx=$XMX"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT/env.txt"

# ---- data: the bundled log prepared, the catalog padded ----
if [[ ! -f "$OUT/catalog/item_id_map.parquet" ]]; then
  # The notebook's layout: PadCatalog copies the folder's files (the compact layout's parts are in a subfolder).
  java -jar "$JAR" prepare --input "$ROOT/data/movielens-small/ratings.csv" --output "$OUT/prepared" \
    --layout notebook >"$OUT/prepare.log" 2>&1 || { cat "$OUT/prepare.log" >&2; exit 1; }
  PAD=("$OUT/prepared" "$OUT/catalog" "$ITEMS")
  ((USERS > 0)) && PAD+=("$USERS")
  java -Xmx2g -cp "$JAR" "$ROOT/bench/java/PadCatalog.java" "${PAD[@]}" | tee "$OUT/pad.log"
fi

completed() {
  curl -s --max-time 3 "$REST/jobs/$1/checkpoints" 2>/dev/null | $PY -c \
    'import json,sys; print(json.load(sys.stdin)["counts"]["completed"])' 2>/dev/null || echo 0
}

job_id() {
  curl -s --max-time 3 "$REST/jobs" 2>/dev/null | $PY -c \
    'import json,sys; j=[x["id"] for x in json.load(sys.stdin)["jobs"] if x["status"]=="RUNNING"]; print(j[0] if j else "")' \
    2>/dev/null || true
}

# run N [extra -D options]: the training job in the background; sets PID.
run() {
  local n="$1"; shift
  /usr/bin/time -v -o "$OUT/time-$n.txt" java "-Xmx$XMX" "-Dlog.file=$OUT/flink-$n.log" -jar "$JAR" train \
    --data "$OUT/catalog" \
    --output "$OUT/out" --run-id bench --keep-snapshots "$KEEP" --config "$CONFIG" "${SET_ARGS[@]}" --checkpoint-interval "$INTERVAL" \
    --table-state "$TABLE_STATE" "-Dstate.backend.type=$BACKEND" "-Dexecution.checkpointing.incremental=true" \
    "-Drest.bind-address=127.0.0.1" "-Drest.bind-port=$REST_PORT" "-Drest.port=$REST_PORT" "$@" \
    >"$OUT/train-$n.log" 2>&1 &
  PID=$!
}

# watch N [TARGET]: records checkpoint statistics every 2 s while run N lives; with a target, kills it once that
# many checkpoints have completed (KILLED=1), else waits for its end.
KILLED=0
watch() {
  local n="$1" target="${2:-0}" job=""
  while kill -0 "$PID" 2>/dev/null; do
    [[ -n "$job" ]] || job="$(job_id)"
    if [[ -n "$job" ]]; then
      local stats; stats="$(curl -s --max-time 3 "$REST/jobs/$job/checkpoints" 2>/dev/null || true)"
      [[ -z "$stats" ]] || printf '{"run": %s, "t": %s, "job": "%s", "stats": %s}\n' "$n" "$(date +%s.%N)" "$job" \
        "$stats" >>"$OUT/checkpoints.jsonl"
      if ((target > 0)) && (($(completed "$job") >= target)); then
        # The trainer's process (time's child), not time itself.
        local java_pid; java_pid="$(pgrep -P "$PID" java || echo "$PID")"
        echo "== $(date +%T) kill -9 of run $n after $target completed checkpoints"
        kill -9 "$java_pid"
        wait "$PID" 2>/dev/null || true
        KILLED=1
        return
      fi
    fi
    sleep 2
  done
  wait "$PID" || { echo "run $n failed: tail of $OUT/train-$n.log" >&2; tail -n 30 "$OUT/train-$n.log" >&2; exit 1; }
}

if ((RESUME_ONLY == 0)); then
  echo "== run 0: $ITEMS items, table-state $TABLE_STATE, $BACKEND, checkpoint every $INTERVAL ms"
  rm -rf "$OUT/out"
  run 0
fi
if ((KILL)); then
  if ((RESUME_ONLY == 0)); then
    watch 0 "$CHECKPOINTS"
    ((KILLED)) || { echo "run 0 ended before $CHECKPOINTS checkpoints completed: give more --epochs" >&2; exit 1; }
  fi
  latest="$(ls -d "$OUT"/out/checkpoints/*/chk-* 2>/dev/null | while read -r d; do
    if [[ -f "$d/_metadata" ]]; then echo "${d##*chk-} $d"; fi; done | sort -n | tail -n 1 | cut -d' ' -f2)"
  [[ -n "$latest" ]] || { echo "no completed checkpoint under $OUT/out/checkpoints" >&2; exit 1; }
  echo "== run 1: resumed from $latest"
  run 1 "-Dexecution.state-recovery.path=file://$latest"
  watch 1
else
  watch 0
fi
echo "== done $(date +%T)"
$PY "$ROOT/bench/summarize_checkpoints.py" "$OUT" | tee "$OUT/summary.md"
