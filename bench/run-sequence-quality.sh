#!/usr/bin/env bash
# The sequence tower against SASRec and the classic baselines (issue 15), side by side on one protocol and one
# machine: each user's last item is test, the second-to-last validation (prepare --holdout val+test); epochs and
# hyper-parameters are chosen on validation only; figures are on test, full catalog, seen items excluded and not.
#
#   bench/run-sequence-quality.sh [--input RATINGS | --data PREPARED] [--tie-break hash|input|item]
#       [--seeds 42,43,44] [--configs quality] [--minutes 10] [--threads 1] [--out DIR] [--jar JAR]
#       [--skip-baselines] [--skip-sasrec]
#
#   --configs   ours: conf/twotower-<name>.yaml for each name (e.g. quality,history), trained with `train` per seed;
#               a name may carry overrides, each +KEY=VALUE passed as --set (quality+negatives=mixed+batch_size=256)
#   --minutes   wall-time cap of each SASRec run (bench/python/sequential_baselines.py)
#   --threads   torch/BLAS threads of the Python baselines; ours uses trainer_threads (auto: cores - 1, at least 1)
#
# Runs, one after another (nothing else should run beside them: the seconds are compared):
#   most popular, item-kNN, EASE once (deterministic), SASRec with cross-entropy per seed, then ours per config and
#   seed. Writes DIR/baselines.json, DIR/sasrec-<seed>.json, DIR/ours-<config>-<seed>/ (the job's output) and
#   DIR/summary.md (bench/summarize_sequence_quality.py: mean +- standard deviation over seeds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
DATA=""
INPUT="$ROOT/data/movielens-small/ratings.csv"
TIE_BREAK=""
SEEDS="42,43,44"
CONFIGS="quality"
MINUTES=10
THREADS=1
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
SKIP_BASELINES=0
SKIP_SASREC=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --input) INPUT="$2"; shift 2 ;;
    --tie-break) TIE_BREAK="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --configs) CONFIGS="$2"; shift 2 ;;
    --minutes) MINUTES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --skip-baselines) SKIP_BASELINES=1; shift ;;
    --skip-sasrec) SKIP_SASREC=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
OUT="$(output_dir "$OUT" sequence-quality)"
echo "sequence quality output: $OUT"
ensure_jar "$JAR"
ensure_python_packages numpy=python3-numpy scipy=python3-scipy torch=python3-torch
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
IFS=',' read -r -a SEED_LIST <<<"$SEEDS"
IFS=',' read -r -a CONFIG_LIST <<<"$CONFIGS"
for c in "${CONFIG_LIST[@]}"; do
  [[ -f "$ROOT/conf/twotower-${c%%+*}.yaml" ]] || { echo "--configs: no conf/twotower-${c%%+*}.yaml" >&2; exit 2; }
done

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
[[ -f "$OUT/sequences.tsv" ]] || java -cp "$JAR" "$ROOT/bench/java/PreparedSequences.java" "$DATA" "$OUT/sequences.tsv"

baseline() {  # models seed json log
  OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" /usr/bin/python3 "$ROOT/bench/python/sequential_baselines.py" \
    --sequences "$OUT/sequences.tsv" --models "$1" --seed "$2" --threads "$THREADS" --minutes "$MINUTES" \
    --json-out "$3" >"$4" 2>&1 || { echo "baselines failed: $4" >&2; exit 1; }
}
if [[ "$SKIP_BASELINES" == 0 ]]; then
  echo "== most popular, item-kNN, EASE"
  baseline most_popular,item_knn,ease 42 "$OUT/baselines.json" "$OUT/baselines.log"
fi
for seed in "${SEED_LIST[@]}"; do
  if [[ "$SKIP_SASREC" == 0 ]]; then
    echo "== SASRec (cross-entropy), seed $seed, at most $MINUTES min"
    baseline sasrec_ce "$seed" "$OUT/sasrec-$seed.json" "$OUT/sasrec-$seed.log"
  fi
  for c in "${CONFIG_LIST[@]}"; do
    name="${c%%+*}"
    sets=(--set "seed=$seed")
    if [[ "$c" == *+* ]]; then
      IFS='+' read -r -a overrides <<<"${c#*+}"
      for o in "${overrides[@]}"; do sets+=(--set "$o"); done
    fi
    echo "== ours: conf/twotower-$name.yaml ${sets[*]}"
    run="$OUT/ours-$c-$seed"
    rm -rf "$run"
    start=$(date +%s.%N)
    java -jar "$JAR" train --data "$DATA" --output "$run" --config "$ROOT/conf/twotower-$name.yaml" "${sets[@]}" \
      >"$run.log" 2>&1 || { echo "train failed: $run.log" >&2; exit 1; }
    end=$(date +%s.%N)
    /usr/bin/python3 -c "print(round($end - $start, 1))" >"$run.seconds"
  done
done
/usr/bin/python3 "$ROOT/bench/summarize_sequence_quality.py" "$OUT" | tee "$OUT/summary.md"
