#!/usr/bin/env bash
# Retrieval quality on the bundled MovieLens data (issue 8): each configuration trained by our job, with
# early stopping, on the same prepared data; the best configuration over 3 seeds. One command, one report:
#
#   bench/run-quality.sh [--seeds 42,43,44] [--out DIR] [--jar JAR] [--configs name,name,...]
#                        [--layout notebook|user-sequences]   (prepare's training-data layout; default notebook)
#
#   seed        the notebook's model (conf/twotower.yaml defaults), one run per seed
#   quality     conf/twotower-history.yaml (the history tower; conf/twotower-quality.yaml until 71f5e17), one run per seed
#   ablations of quality, first seed only:
#     quality-uniform   negatives: uniform, k_neg 50 (history tower, the notebook's sampled softmax)
#     quality-nologq    logq_correction: false
#     quality-mean      history_pooling: mean
#     quality-inbatch   negatives: in_batch (no uniform negatives)
#     quality-idtower   model: seed (user-id tower) with the quality loss (mixed negatives, logQ, scale 20)
#     quality-scale10   fixed_logit_scale: 10 (the notebook's temperature)
#   large               conf/twotower-large.yaml (row-wise Adagrad embeddings), one run per seed
#   large-lazy          the same with embedding_optimizer: lazy_adamw (embedding_lr = lr), one run per seed
#   large-dense         the same with embedding_optimizer: dense (AdamW over whole tables), one run per seed
#   (not in the default list: bench/run-quality.sh --configs quality,large,large-lazy,large-dense)
#
# Every run: `java -jar JAR train --data <prepared> --config <file> --set seed=S` under /usr/bin/time -v
# (wall seconds, peak memory). bench/summarize_quality.py prints the tables (also DIR/summary.md): the
# final (best-epoch) model's metrics both ways, mean +- spread over seeds, time, and the popularity baselines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
# libtorch's idle OpenMP threads spin by default and starve the training thread (see README).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
SEEDS="42,43,44"
OUT=""
JAR="${BENCH_JAR:-/tmp/bench-job.jar}"
CONFIGS="seed,quality,quality-uniform,quality-nologq,quality-mean,quality-inbatch,quality-idtower,quality-scale10"
RATINGS="$ROOT/data/movielens-small/ratings.csv"
LAYOUT=notebook

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) SEEDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --configs) CONFIGS="$2"; shift 2 ;;
    --layout) LAYOUT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage 2 ;;
  esac
done
OUT="$(output_dir "$OUT" quality)"
echo "quality benchmark output: $OUT"

ensure_jar "$JAR"

# name -> config file and overrides
config_args() {
  local q="$ROOT/conf/twotower-history.yaml" l="$ROOT/conf/twotower-large.yaml"
  case "$1" in
    seed) echo "--config $ROOT/conf/twotower.yaml" ;;
    quality) echo "--config $q" ;;
    quality-uniform) echo "--config $q --set negatives=uniform --set k_neg=50" ;;
    quality-nologq) echo "--config $q --set logq_correction=false" ;;
    quality-mean) echo "--config $q --set history_pooling=mean" ;;
    quality-inbatch) echo "--config $q --set negatives=in_batch" ;;
    quality-idtower) echo "--config $q --set model=seed" ;;
    quality-scale10) echo "--config $q --set fixed_logit_scale=10" ;;
    large) echo "--config $l" ;;
    large-lazy) echo "--config $l --set embedding_optimizer=lazy_adamw --set embedding_lr=0" ;;
    large-dense) echo "--config $l --set embedding_optimizer=dense" ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
  esac
}

IFS=, read -ra SEED_LIST <<<"$SEEDS"
IFS=, read -ra CONFIG_LIST <<<"$CONFIGS"
# config_args runs in a command substitution, where its exit would not stop this script: check names first.
for name in "${CONFIG_LIST[@]}"; do config_args "$name" >/dev/null || exit 2; done

DATA="$OUT/data"
if [[ ! -f "$DATA/sequences_val.parquet" ]]; then
  java -jar "$JAR" prepare --input "$RATINGS" --output "$DATA" --layout "$LAYOUT" >"$OUT/prepare.log" 2>&1
fi
for name in "${CONFIG_LIST[@]}"; do
  seeds=("${SEED_LIST[@]}")
  [[ "$name" == seed || "$name" == quality || "$name" == large* ]] || seeds=("${SEED_LIST[0]}")
  for s in "${seeds[@]}"; do
    run="$OUT/$name-s$s"
    [[ -f "$run/twotower_results.json" ]] && { echo "$name seed $s: done before"; continue; }
    rm -rf "$run"
    echo "$(date +%T) $name seed $s"
    # shellcheck disable=SC2046
    /usr/bin/time -v -o "$run.time" java -jar "$JAR" train --data "$DATA" --output "$run" \
      $(config_args "$name") --set seed="$s" >"$run.log" 2>&1 || { echo "$name seed $s failed: $run.log" >&2; exit 1; }
  done
done
/usr/bin/python3 "$ROOT/bench/summarize_quality.py" "$OUT" | tee "$OUT/summary.md"
