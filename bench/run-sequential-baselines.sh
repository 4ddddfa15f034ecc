#!/usr/bin/env bash
# Sequential-recommendation baselines on the job's protocol with a test split (issue 15): most-popular, item-kNN,
# EASE and SASRec (cross-entropy and the paper's sampled BCE), hyper-parameters and epochs chosen on validation,
# figures on test, full catalog, seen items excluded and not. One command, one table:
#
#   bench/run-sequential-baselines.sh [--data PREPARED | --input RATINGS [--tie-break hash|input|item]]
#       [--out DIR] [--jar JAR] [--minutes 10] [--threads 1] [--models most_popular,item_knn,ease,sasrec_ce,sasrec_bce]
#       [-- extra options of bench/python/sequential_baselines.py]
#
#   --data      a `prepare --holdout val+test` folder; else --input (default: the bundled MovieLens ratings) is
#               prepared into DIR/data with --holdout val+test and --tie-break (default: prepare's default, hash)
#   --minutes   wall-time cap of each SASRec run (its epochs are chosen on validation within it)
#   --threads   torch and BLAS threads
#
# Writes DIR/sequences.tsv (bench/java/PreparedSequences.java: the prepared rows per user, for Python, which has
# no Parquet reader on Debian), DIR/baselines.json and DIR/summary.md (the markdown table, also printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
DATA=""
INPUT="$ROOT/data/movielens-small/ratings.csv"
TIE_BREAK=""
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
MINUTES=10
THREADS=1
MODELS="most_popular,item_knn,ease,sasrec_ce,sasrec_bce"
EXTRA=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --input) INPUT="$2"; shift 2 ;;
    --tie-break) TIE_BREAK="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --minutes) MINUTES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --models) MODELS="$2"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
OUT="$(output_dir "$OUT" sequential-baselines)"
echo "sequential baselines output: $OUT"

ensure_jar "$JAR"
ensure_python_packages numpy=python3-numpy scipy=python3-scipy torch=python3-torch
# One BLAS/OpenMP pool of --threads, idle threads asleep (see README, OMP_WAIT_POLICY).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"

if [[ -z "$DATA" ]]; then
  DATA="$OUT/data"
  if [[ ! -f "$DATA/sequences_test.parquet" ]]; then
    # The notebook's layout: PreparedSequences.java hands its training rows to Python.
    args=(prepare --input "$INPUT" --output "$DATA" --holdout val+test --layout notebook)
    [[ -n "$TIE_BREAK" ]] && args+=(--tie-break "$TIE_BREAK")
    java -jar "$JAR" "${args[@]}" >"$OUT/prepare.log" 2>&1 || { echo "prepare failed: $OUT/prepare.log" >&2; exit 1; }
    tail -1 "$OUT/prepare.log"
  fi
fi
[[ -f "$DATA/sequences_test.parquet" ]] || { echo "$DATA has no sequences_test.parquet: prepare it with --holdout val+test" >&2; exit 1; }
[[ -f "$DATA/sequences_train.parquet" ]] || { echo "$DATA has no sequences_train.parquet: prepare it with --layout notebook (PreparedSequences.java reads the notebook's files)" >&2; exit 1; }
java -cp "$JAR" "$ROOT/bench/java/PreparedSequences.java" "$DATA" "$OUT/sequences.tsv"
/usr/bin/python3 "$ROOT/bench/python/sequential_baselines.py" --sequences "$OUT/sequences.tsv" --models "$MODELS" \
  --threads "$THREADS" --minutes "$MINUTES" --json-out "$OUT/baselines.json" "${EXTRA[@]}" | tee "$OUT/run.log"
sed -n '/^| model/,$p' "$OUT/run.log" >"$OUT/summary.md"
