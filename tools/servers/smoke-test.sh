#!/usr/bin/env bash
# End-to-end check of bin/kafka-broker, bin/s3-server, bin/local-cluster and bin/flink:
# starts each real server on 127.0.0.1, uses it, stops it, and checks that no process is left.
# Takes ~1.5-2 min on 2 cores (first run longer: Maven resolves the jars, DJL unpacks libtorch).
#
#   tools/servers/smoke-test.sh            all
#   tools/servers/smoke-test.sh kafka s3   only some of: kafka s3 flink
#
# Uses its own work dir (TWOTOWER_WORK, default a fresh temp dir) and the default ports
# (KAFKA_PORT 19092, S3_PORT 19000, FLINK_REST_PORT 18081...): nothing else may hold them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/bin"
export TWOTOWER_WORK="${TWOTOWER_WORK:-$(mktemp -d /tmp/twotower-smoke.XXXXXX)}"
PARTS=("$@")
[[ ${#PARTS[@]} -gt 0 ]] || PARTS=(kafka s3 flink)
want() { local p; for p in "${PARTS[@]}"; do [[ "$p" == "$1" ]] && return 0; done; return 1; }
step() { echo; echo "=== $*"; }
fail() { echo "SMOKE TEST FAILED: $*" >&2; exit 1; }

cleanup() {
  "$BIN/local-cluster" stop >/dev/null 2>&1 || true
  "$BIN/s3-server" stop >/dev/null 2>&1 || true
  "$BIN/kafka-broker" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "work dir: $TWOTOWER_WORK"

if want kafka; then
  step "kafka: start"
  "$BIN/kafka-broker" start --fresh
  "$BIN/kafka-broker" status
  step "kafka: create topic, produce, consume"
  "$BIN/kafka-broker" topics --create --topic smoke --partitions 1
  msg="hello-$RANDOM"
  echo "$msg" | "$BIN/kafka-broker" run-class org.apache.kafka.tools.ConsoleProducer \
    --bootstrap-server "$("$BIN/kafka-broker" bootstrap)" --topic smoke --command-property acks=all
  got="$("$BIN/kafka-broker" run-class org.apache.kafka.tools.consumer.ConsoleConsumer \
    --bootstrap-server "$("$BIN/kafka-broker" bootstrap)" --topic smoke --from-beginning \
    --max-messages 1 --timeout-ms 30000 2>/dev/null)"
  [[ "$got" == "$msg" ]] || fail "kafka: consumed '$got', expected '$msg'"
  echo "consumed: $got"
  step "kafka: stop"
  "$BIN/kafka-broker" stop
fi

if want s3 || want flink; then
  step "s3: start"
  S3_BUCKETS="smoke-bucket" "$BIN/s3-server" start
  step "s3: PUT / GET / list"
  echo "hello s3 $RANDOM" >"$TWOTOWER_WORK/obj.txt"
  "$BIN/s3-server" curl /smoke-bucket/dir/obj.txt -T "$TWOTOWER_WORK/obj.txt" -o /dev/null
  "$BIN/s3-server" curl /smoke-bucket/dir/obj.txt -o "$TWOTOWER_WORK/obj.back"
  cmp "$TWOTOWER_WORK/obj.txt" "$TWOTOWER_WORK/obj.back" || fail "s3: object differs"
  "$BIN/s3-server" curl '/smoke-bucket?list-type=2' | grep '<Key>dir/obj.txt</Key>' >/dev/null || fail "s3: list"
  code="$(curl -s -o /dev/null -w '%{http_code}' "$("$BIN/s3-server" endpoint)/smoke-bucket/dir/obj.txt")"
  [[ "$code" == 403 ]] || fail "s3: unsigned GET answered $code, expected 403"
  echo "PUT/GET/list ok, unsigned request refused (403)"
fi

if want flink; then
  step "flink: build the smoke job"
  T="$ROOT/tools/servers/target"
  source "$BIN/servers-common.sh"
  FLIB="$(tt_lib flink)"
  DJL="$(tt_lib djl)"
  rm -rf "$T/smoke-job/classes" && mkdir -p "$T/smoke-job/classes"
  javac -nowarn -d "$T/smoke-job/classes" -cp "$FLIB/*:$DJL/*" \
    "$ROOT/tools/servers/smoke-job/src/io/twotower/smoke/SmokeJob.java"
  jar --create --file "$T/smoke-job.jar" --main-class io.twotower.smoke.SmokeJob -C "$T/smoke-job/classes" .
  JAR="$T/smoke-job.jar"
  TMOUT_DIR="$TWOTOWER_WORK/flink/log"

  step "flink: start (1 TaskManager)"
  "$BIN/local-cluster" start --taskmanagers 1
  step "flink: batch job"
  "$BIN/flink" run "$JAR" --n 1000 | tee "$TWOTOWER_WORK/run1.txt"
  grep -q 'SMOKE OK sum=1001000' "$TWOTOWER_WORK/run1.txt" || fail "flink: batch job"
  step "flink: DJL job, twice on the same TaskManager"
  for i in 1 2; do
    "$BIN/flink" run "$JAR" --n 500 --djl | tee "$TWOTOWER_WORK/djl$i.txt"
    grep -q 'SMOKE OK sum=250500 (via DJL)' "$TWOTOWER_WORK/djl$i.txt" || fail "flink: DJL job $i"
  done
  step "flink: FileSink to s3://smoke-bucket/flink-out (flink-s3-fs-hadoop -> S3Proxy)"
  "$BIN/flink" run "$JAR" --n 100 --out s3://smoke-bucket/flink-out | tail -n 1
  "$BIN/s3-server" curl '/smoke-bucket?list-type=2&prefix=flink-out/' | grep -o '<Key>[^<]*</Key>' | sed -n 1,3p
  part="$(find "$("$BIN/s3-server" datadir)/smoke-bucket/flink-out" -type f -name 'part-*' | sed -n 1p)"
  [[ -n "$part" && "$(cat "$part")" == 10100 ]] || fail "flink: S3 output"

  step "flink: unbounded job, stop with savepoint, resume"
  "$BIN/flink" run -d "$JAR" --unbounded | tail -n 1
  sleep 10
  job="$("$BIN/flink" list -r | grep -o '[0-9a-f]\{32\}' | sed -n 1p)"
  [[ -n "$job" ]] || fail "flink: no running job"
  "$BIN/flink" stop --savepointPath "file://$TWOTOWER_WORK/flink/savepoints/smoke" "$job" | tee "$TWOTOWER_WORK/stop.txt"
  sp="$(sed -n 's/^Savepoint completed. Path: //p' "$TWOTOWER_WORK/stop.txt")"
  [[ -n "$sp" ]] || fail "flink: no savepoint path"
  before="$(grep -h 'SMOKE-STREAM' "$TMOUT_DIR"/taskmanager-*.out | tail -n 1)"
  "$BIN/flink" run -d -s "$sp" "$JAR" --unbounded | tail -n 1
  sleep 8
  after="$(grep -h 'SMOKE-STREAM' "$TMOUT_DIR"/taskmanager-*.out | tail -n 1)"
  echo "before stop: $before / after resume: $after"
  [[ "${after#*i=}" -gt "${before#*i=}" ]] || fail "flink: resumed job did not continue from the savepoint"

  step "flink: failover: add a TaskManager, kill -9 the first one"
  "$BIN/local-cluster" add-taskmanager
  first="$("$BIN/local-cluster" tm-pids | sed -n 1p)"
  kill -9 "$first"
  for ((i = 0; i < 60; i++)); do
    grep -q 'SMOKE-STREAM' "$TMOUT_DIR/taskmanager-2.out" 2>/dev/null && break
    sleep 2
  done
  grep -m 1 -h 'SMOKE-STREAM' "$TMOUT_DIR/taskmanager-2.out" || fail "flink: job did not recover on taskmanager-2"
  "$BIN/local-cluster" status
  step "flink: stop"
  "$BIN/local-cluster" stop
fi

step "stop all, check no process is left"
cleanup
if pgrep -af "twotower.server=" | grep -F -- "$TWOTOWER_WORK" ; then fail "processes left"; fi
if pgrep -f "twotower.server=" >/dev/null; then
  echo "note: other twotower servers (another work dir) are running:"; pgrep -af "twotower.server=" | cut -c1-160
fi
echo
echo "SMOKE TEST PASSED (work dir $TWOTOWER_WORK)"
