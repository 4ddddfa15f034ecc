#!/usr/bin/env bash
# A synthetic interaction log for benchmarks (issue 14), streamed to CSV in the columns `prepare` reads:
# Zipf item popularity, lognormal user activity, sessions (geometric length, close timestamps inside, long gaps
# between), optional planted user clusters; reproducible from --seed (same options, same bytes).
#
#   bench/generate-interactions.sh [--jar JAR] [--heap 1g] --output <file.csv[.gz] | folder> [generator options]
#
#   --jar    the classpath for io.twotower.common.SplitMix64: default $BENCH_JAR, else flink-job/target/twotower-job.jar,
#            else common/target/classes (mvn -B -o -q -pl common -am compile)
#   --heap   the JVM's -Xmx; memory grows with --items (about 50 bytes an item), never with the rows
#
# Generator options (bench/java/GenerateInteractions.java; README in bench/python/README.md):
#   --interactions 1000000 --users 100000 --items 20000 --seed 42 --zipf 1.0 --clusters 0 --cluster-affinity 0.8
#   --user-sigma 1.0 --min-per-user 1 --session-mean 6 --within-gap 60 --session-gap 86400 --session-gap-sigma 1.5
#   --start 1577836800 --days 365 --time-format epoch|epoch-ms|iso --columns userId,movieId,rating,timestamp
#   --files 1 (N > 1: --output is a folder of part-NNNNN.csv[.gz]) --gzip (or an --output ending in .gz)
#   --gzip-level 1 --threads <cores> (parts are written in parallel)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
CP="${BENCH_JAR:-}"
HEAP=1g
ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jar) CP="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
if [[ -z "$CP" ]]; then
  if [[ -f "$ROOT/flink-job/target/twotower-job.jar" ]]; then
    CP="$ROOT/flink-job/target/twotower-job.jar"
  elif [[ -f "$ROOT/common/target/classes/io/twotower/common/SplitMix64.class" ]]; then
    CP="$ROOT/common/target/classes"
  else
    echo "no job jar or common classes: build with mvn -B -o -q -pl common -am compile (or pass --jar)" >&2
    exit 1
  fi
fi
exec java -Xmx"$HEAP" -cp "$CP" "$ROOT/bench/java/GenerateInteractions.java" "${ARGS[@]}"
