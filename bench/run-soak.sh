#!/usr/bin/env bash
# A soak of `online` (issue 17): does it run for weeks? A fixed-rate feed for --minutes, `online` with checkpoints
# every 30 s and a snapshot published every minute, kill -9 at random moments, and the figures every 10 s. One command:
#
#   bench/run-soak.sh [--minutes 30] [--rate 300] [--kills 3] [--seed 17] [--out DIR] [--jar JAR] [--xmx 2g]
#                     [--warmup-minutes 3] [--corrupt-every 1000] [--partitions 2] [--history-ttl "10 min"]
#                     [--log-events N]         (loop only the log's first N events: a short run sees all its ids early)
#                     [--online-args "ARGS"]   (extra arguments for `online`, e.g. "--config conf/twotower-history.yaml")
#                     [--jvm-opts "OPTS"]      (the online JVM's options besides -Xmx; default "-Xms<xmx>
#                                               -XX:+AlwaysPreTouch": a fixed, touched heap as a Flink TaskManager has)
#                     [--malloc glibc|jemalloc] (native allocator of the online JVM; jemalloc is LD_PRELOADed from
#                                               Debian's libjemalloc2, as Flink's own Docker images do)
#
#   broker  bin/kafka-broker on 127.0.0.1:$SOAK_KAFKA_PORT (39192) with TWOTOWER_WORK=$SOAK_SERVERS_WORK
#           (/tmp/soak-servers), started fresh and stopped at the end
#   feeder  bench/soak/SoakFeeder.java (compiled here against JAR): data/movielens-small/ratings.csv looped at --rate
#           events/s for --minutes, each event stamped with the wall clock (event time moves as in a live system), a
#           corrupt record every --corrupt-every (dead-letter path); records the consumer lag every 10 s (lag.tsv)
#   online  java -jar JAR online (embedded Flink) --checkpoint-interval 30000 --window "1 min" --snapshot-every 1
#           --windows-per-file 10 --history-ttl ... --dead-letter-topic <topic>.dlq, JVM with -Xmx --xmx,
#           -XX:NativeMemoryTracking=summary and a GC log; REST on 127.0.0.1:$SOAK_REST_PORT (38191)
#   kills   --kills times, at seeded random moments (one in each of --kills equal slots of 10%-85% of the run), once
#           the running job has completed a checkpoint: kill -9, `snapshots verify` of LATEST, then a restart with
#           --resume-from latest (the newest completed checkpoint)
#   end     the feed stops; once the group's committed offsets reach the end of the topic, a stop-with-savepoint
#           --drain through the REST API ends the input: online_results.json has the totals of every event once
#   every 10 s: RSS (/proc), heap used after a full GC and NMT (one `jcmd -f`: GC.run, GC.heap_info,
#           VM.native_memory summary), the job's checkpoints (REST), the checkpoint dir's size; the operator's own
#           progress lines (events, trained, dead-lettered, open NDArrays, every 10 s) are in online-<run>.log
#
# bench/summarize_soak.py prints the tables and the checks (DIR/summary.md) and draws DIR/soak.png.
# JAR defaults to $BENCH_JAR or /tmp/bench-job.jar (copied from flink-job/target/twotower-job.jar when missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
MINUTES=30
RATE=300
KILLS=3
SEED=17
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
XMX=2g
WARMUP=3
CORRUPT_EVERY=1000
PARTITIONS=2
LOG_EVENTS=0
HISTORY_TTL="10 min"
ONLINE_ARGS=""
JVM_OPTS=""
MALLOC=glibc
PY=/usr/bin/python3
KAFKA_PORT_SOAK="${SOAK_KAFKA_PORT:-39192}"
REST_PORT="${SOAK_REST_PORT:-38191}"
SERVERS_WORK="${SOAK_SERVERS_WORK:-/tmp/soak-servers}"
RATINGS="$ROOT/data/movielens-small/ratings.csv"
DRAIN_TIMEOUT=600

while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --kills) KILLS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --xmx) XMX="$2"; shift 2 ;;
    --warmup-minutes) WARMUP="$2"; shift 2 ;;
    --corrupt-every) CORRUPT_EVERY="$2"; shift 2 ;;
    --partitions) PARTITIONS="$2"; shift 2 ;;
    --log-events) LOG_EVENTS="$2"; shift 2 ;;
    --history-ttl) HISTORY_TTL="$2"; shift 2 ;;
    --online-args) ONLINE_ARGS="$2"; shift 2 ;;
    --jvm-opts) JVM_OPTS="$2"; shift 2 ;;
    --malloc) MALLOC="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
[[ "$MINUTES" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--minutes must be a number of minutes" >&2; exit 2; }
[[ "$RATE" =~ ^[1-9][0-9]*$ ]] || { echo "--rate must be a positive integer (events/s)" >&2; exit 2; }
[[ "$KILLS" =~ ^[0-9]+$ ]] || { echo "--kills must be a count (0 or more)" >&2; exit 2; }
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "--seed must be a non-negative integer" >&2; exit 2; }
[[ "$LOG_EVENTS" =~ ^[0-9]+$ ]] || { echo "--log-events must be a count (0: the whole log)" >&2; exit 2; }
[[ -n "$JVM_OPTS" ]] || JVM_OPTS="-Xms$XMX -XX:+AlwaysPreTouch"
PRELOAD=""
case "$MALLOC" in
  glibc) ;;
  jemalloc)
    for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2; do
      [[ -e "$lib" ]] && PRELOAD="$lib" && break
    done
    [[ -n "$PRELOAD" ]] || { echo "--malloc jemalloc: libjemalloc.so.2 not found (apt-get install libjemalloc2)" >&2; exit 2; } ;;
  *) echo "--malloc must be glibc or jemalloc" >&2; exit 2 ;;
esac
SECONDS_TOTAL=$($PY -c "print(int(round(float('$MINUTES') * 60)))")

STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$(output_dir "$OUT" soak)"
echo "soak output: $OUT"
ensure_jar "$JAR"
TOPIC="soak-$STAMP"
GROUP="soak-$STAMP"
DLQ="$TOPIC.dlq"
ONLINE_OUT="$OUT/online-out"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT_SOAK"
REST="http://127.0.0.1:$REST_PORT"

echo "== compiling bench/soak/*.java against $JAR"
mkdir -p "$OUT/classes"
javac -nowarn -d "$OUT/classes" -cp "$JAR" "$ROOT"/bench/soak/*.java

{
  echo "date=$(date -Is)"
  echo "host=$(uname -srm)"
  echo "cpus=$(nproc)"
  echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "java=$(java -version 2>&1 | head -n 1)"
  echo "jar=$JAR"
  echo "jar_sha256=$(sha256sum "$JAR" | cut -c1-16)"
  echo "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "minutes=$MINUTES"
  echo "rate=$RATE"
  echo "kills=$KILLS"
  echo "seed=$SEED"
  echo "xmx=$XMX"
  echo "warmup_minutes=$WARMUP"
  echo "corrupt_every=$CORRUPT_EVERY"
  echo "partitions=$PARTITIONS"
  echo "log_events=$LOG_EVENTS"
  echo "history_ttl=$HISTORY_TTL"
  echo "online_args=$ONLINE_ARGS"
  echo "jvm_opts=$JVM_OPTS"
  echo "malloc=$MALLOC${PRELOAD:+ ($PRELOAD)}"
  echo "malloc_conf=${MALLOC_CONF:-}"
  echo "omp_wait_policy=$OMP_WAIT_POLICY"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command=bench/run-soak.sh --minutes $MINUTES --rate $RATE --kills $KILLS --seed $SEED --xmx $XMX --log-events $LOG_EVENTS --malloc $MALLOC --jvm-opts '$JVM_OPTS'"
} >"$OUT/env.txt"

BROKER_STARTED=0
FEEDER_PID=""
ONLINE_PID=""
cleanup() {
  [[ -z "$ONLINE_PID" ]] || kill -9 "$ONLINE_PID" 2>/dev/null || true
  [[ -z "$FEEDER_PID" ]] || kill "$FEEDER_PID" 2>/dev/null || true
  if ((BROKER_STARTED)); then
    TWOTOWER_WORK="$SERVERS_WORK" KAFKA_PORT="$KAFKA_PORT_SOAK" "$ROOT/bin/kafka-broker" stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

echo "== starting a Kafka broker on $BOOTSTRAP (TWOTOWER_WORK=$SERVERS_WORK)"
TWOTOWER_WORK="$SERVERS_WORK" KAFKA_PORT="$KAFKA_PORT_SOAK" "$ROOT/bin/kafka-broker" start --fresh \
  >"$OUT/kafka-start.log" 2>&1 || { cat "$OUT/kafka-start.log" >&2; exit 1; }
BROKER_STARTED=1

# ---- the kill schedule: one moment in each of KILLS equal slots of 10%..85% of the run (seeded) ----
$PY - "$SEED" "$KILLS" "$SECONDS_TOTAL" >"$OUT/kill-schedule.txt" <<'PY'
import random, sys
seed, kills, total = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
lo, hi = 0.10 * total, 0.85 * total
for k in range(kills):
    a = lo + (hi - lo) * k / kills
    b = lo + (hi - lo) * (k + 1) / kills
    print(int(rng.uniform(a, b)))
PY
mapfile -t KILL_AT <"$OUT/kill-schedule.txt"
echo "== kills planned at ${KILL_AT[*]:-none} s of ${SECONDS_TOTAL} s"

T0=$(date +%s)
echo "t0=$T0" >>"$OUT/env.txt"
echo "== feeder: $RATE events/s for $SECONDS_TOTAL s into $TOPIC ($PARTITIONS partitions)"
java -Xmx256m -cp "$OUT/classes:$JAR" SoakFeeder --input "$RATINGS" --bootstrap-servers "$BOOTSTRAP" \
  --topic "$TOPIC" --group-id "$GROUP" --dead-letter-topic "$DLQ" --rate "$RATE" --seconds "$SECONDS_TOTAL" \
  --corrupt-every "$CORRUPT_EVERY" --partitions "$PARTITIONS" --out "$OUT" \
  $( ((LOG_EVENTS > 0)) && echo "--limit $LOG_EVENTS") >"$OUT/feeder.log" 2>&1 &
FEEDER_PID=$!
for _ in $(seq 120); do [[ -f "$OUT/lag.tsv" ]] && break; sleep 1; done
[[ -f "$OUT/lag.tsv" ]] || { echo "the feeder did not start (see $OUT/feeder.log)" >&2; exit 1; }

RUN=0
JOB_ID=""
# start_online: the online job, fresh for run 0, resumed from the newest completed checkpoint after that.
start_online() {
  local args=(online --bootstrap-servers "$BOOTSTRAP" --topic "$TOPIC" --group-id "$GROUP" --dead-letter-topic "$DLQ"
    --output "$ONLINE_OUT" --run-id soak --checkpoint-interval 30000 --window "1 min" --snapshot-every 1
    --windows-per-file 10 --history-ttl "$HISTORY_TTL" --keep-snapshots 5
    "-Drest.bind-address=127.0.0.1" "-Drest.bind-port=$REST_PORT" "-Drest.port=$REST_PORT")
  ((RUN == 0)) || args+=(--resume-from latest)
  # shellcheck disable=SC2206
  args+=($ONLINE_ARGS)
  # shellcheck disable=SC2086
  env ${PRELOAD:+LD_PRELOAD=$PRELOAD} java "-Xmx$XMX" $JVM_OPTS -XX:NativeMemoryTracking=summary "-Xlog:gc:file=$OUT/gc-$RUN.log:uptime,time" \
    "-Dlog.file=$OUT/flink-$RUN.log" -jar "$JAR" "${args[@]}" >"$OUT/online-$RUN.log" 2>&1 &
  ONLINE_PID=$!
  JOB_ID=""
  printf '%s\t%s\t%s\tstart\n' "$(date +%s.%N)" "$RUN" "$ONLINE_PID" >>"$OUT/events.tsv"
  echo "== online run $RUN: pid $ONLINE_PID$( ((RUN == 0)) || echo ", resumed from the latest checkpoint")"
}

job_id() {
  curl -s --max-time 3 "$REST/jobs" 2>/dev/null | $PY -c \
    'import json,sys; j=[x["id"] for x in json.load(sys.stdin)["jobs"] if x["status"]=="RUNNING"]; print(j[0] if j else "")' \
    2>/dev/null || true
}

completed_checkpoints() {
  [[ -n "$JOB_ID" ]] || { echo 0; return; }
  curl -s --max-time 3 "$REST/jobs/$JOB_ID/checkpoints" 2>/dev/null | $PY -c \
    'import json,sys; print(json.load(sys.stdin)["counts"]["completed"])' 2>/dev/null || echo 0
}

verify_latest() {
  local rc=0
  echo "== $(date -Is) $1" >>"$OUT/verify.log"
  java -jar "$JAR" snapshots verify "$ONLINE_OUT" >>"$OUT/verify.log" 2>&1 || rc=$?
  printf '%s\t%s\t%s\tverify rc=%s\n' "$(date +%s.%N)" "$RUN" "$1" "$rc" >>"$OUT/events.tsv"
  return 0
}

printf 'GC.run\nGC.heap_info\nVM.native_memory summary\n' >"$OUT/jcmd-commands.txt"
# sample: one line of each kind every 10 s (memory.raw: the jcmd output under a header line).
sample() {
  local now; now=$(date +%s.%N)
  if [[ -n "$ONLINE_PID" ]] && kill -0 "$ONLINE_PID" 2>/dev/null; then
    local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$ONLINE_PID/status" 2>/dev/null || echo "")
    {
      echo "=== t=$now run=$RUN pid=$ONLINE_PID rss_kb=$rss"
      timeout 20 jcmd "$ONLINE_PID" -f "$OUT/jcmd-commands.txt" 2>&1 || true
    } >>"$OUT/memory.raw"
    [[ -n "$JOB_ID" ]] || JOB_ID=$(job_id)
    if [[ -n "$JOB_ID" ]]; then
      local cp; cp=$(curl -s --max-time 3 "$REST/jobs/$JOB_ID/checkpoints" 2>/dev/null | tr -d '\n' || true)
      [[ -z "$cp" ]] || printf '%s\t%s\t%s\t%s\n' "$now" "$RUN" "$JOB_ID" "$cp" >>"$OUT/checkpoints.tsv"
    fi
  fi
  printf '%s\t%s\t%s\n' "$now" "$(du -sk "$ONLINE_OUT/checkpoints" 2>/dev/null | cut -f1 || echo 0)" \
    "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT/disk.tsv"
}

start_online
NEXT_KILL=0
UNPLANNED=0
# ---- the soak: sample every 10 s, kill on schedule, restart what died ----
while [[ ! -f "$OUT/feeder.json" ]]; do
  tick=$(date +%s)
  if ! kill -0 "$ONLINE_PID" 2>/dev/null; then
    wait "$ONLINE_PID" 2>/dev/null || true
    printf '%s\t%s\t%s\tdied\n' "$(date +%s.%N)" "$RUN" "$ONLINE_PID" >>"$OUT/events.tsv"
    echo "   online run $RUN died on its own (see $OUT/online-$RUN.log)" >&2
    UNPLANNED=$((UNPLANNED + 1))
    ((UNPLANNED <= 3)) || { echo "online keeps dying: giving up" >&2; exit 1; }
    RUN=$((RUN + 1)); start_online
  fi
  if ((NEXT_KILL < ${#KILL_AT[@]})) && ((tick - T0 >= KILL_AT[NEXT_KILL])); then
    [[ -n "$JOB_ID" ]] || JOB_ID=$(job_id)
    done_cp=$(completed_checkpoints)
    if ((done_cp >= 1)); then
      kill -9 "$ONLINE_PID"
      wait "$ONLINE_PID" 2>/dev/null || true
      printf '%s\t%s\t%s\tkill completed_checkpoints=%s\n' "$(date +%s.%N)" "$RUN" "$ONLINE_PID" "$done_cp" \
        >>"$OUT/events.tsv"
      echo "== $(date +%T) kill -9 of online run $RUN ($done_cp checkpoints completed in it)"
      verify_latest "after kill of run $RUN"
      NEXT_KILL=$((NEXT_KILL + 1))
      RUN=$((RUN + 1)); start_online
    fi
  fi
  sample
  sleep $((10 - ($(date +%s) - tick) > 0 ? 10 - ($(date +%s) - tick) : 0))
done
FEEDER_DONE=$(date +%s)
echo "== $(date +%T) feed done: $(cat "$OUT/feeder.json")"
printf '%s\t%s\t-\tfeed-done\n' "$(date +%s.%N)" "$RUN" >>"$OUT/events.tsv"

# ---- drain: wait until a checkpoint has committed every published record, then stop with --drain ----
PUBLISHED=$($PY -c "import json; print(json.load(open('$OUT/feeder.json'))['published'])")
while :; do
  last=$(tail -n 1 "$OUT/lag.tsv")
  committed=$(echo "$last" | cut -f3)
  [[ "$committed" == "$PUBLISHED" ]] && break
  if (($(date +%s) - FEEDER_DONE > DRAIN_TIMEOUT)); then
    echo "the group's committed offsets ($committed) did not reach the $PUBLISHED published in ${DRAIN_TIMEOUT}s" >&2
    exit 1
  fi
  kill -0 "$ONLINE_PID" 2>/dev/null || { echo "online run $RUN died during the drain" >&2; exit 1; }
  sample
  sleep 10
done
[[ -n "$JOB_ID" ]] || JOB_ID=$(job_id)
echo "== $(date +%T) every record committed; stop-with-savepoint --drain of job $JOB_ID"
printf '%s\t%s\t%s\tstop-drain\n' "$(date +%s.%N)" "$RUN" "$ONLINE_PID" >>"$OUT/events.tsv"
curl -s --max-time 10 -X POST -H 'Content-Type: application/json' \
  -d "{\"drain\": true, \"targetDirectory\": \"file://$OUT/savepoints\"}" "$REST/jobs/$JOB_ID/stop" \
  >"$OUT/stop.json" || true
TRIGGER=$($PY -c 'import json,sys; print(json.load(sys.stdin).get("request-id", ""))' <"$OUT/stop.json" 2>/dev/null || true)
rc=0
for _ in $(seq 300); do
  kill -0 "$ONLINE_PID" 2>/dev/null || break
  # Fetching the savepoint's result also lets the embedded cluster close: its REST endpoint keeps an operation's
  # result until it is read (or rest.async.store-duration, 5 min, passes) before it shuts down.
  if [[ -n "$TRIGGER" ]]; then
    curl -s --max-time 3 "$REST/jobs/$JOB_ID/savepoints/$TRIGGER" >"$OUT/savepoint.json" 2>/dev/null || true
  fi
  sleep 1
done
if kill -0 "$ONLINE_PID" 2>/dev/null; then
  echo "online run $RUN did not end within 300 s of the drain (see $OUT/online-$RUN.log): killed" >&2
  kill -9 "$ONLINE_PID" 2>/dev/null || true
  rc=1
else
  wait "$ONLINE_PID" 2>/dev/null || rc=$?
fi
printf '%s\t%s\t%s\tended rc=%s\n' "$(date +%s.%N)" "$RUN" "$ONLINE_PID" "$rc" >>"$OUT/events.tsv"
ONLINE_PID=""
sleep 11   # one more lag sample after the drain
kill "$FEEDER_PID" 2>/dev/null || true
wait "$FEEDER_PID" 2>/dev/null || true
FEEDER_PID=""
verify_latest "at the end"
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

$PY "$ROOT/bench/summarize_soak.py" "$OUT" | tee "$OUT/summary.md"
