#!/usr/bin/env bash
# make bench: training/inference throughput of WDL on synthetic data at 1 and 2
# threads, measured in one run so the ratios compare like with like.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-500000}
THREADS=${BENCH_THREADS:-"1 2"}
echo "bench: WDL (hidden 256-128-64, emb 16, batch 1024) on synthetic ml1m-like data, $ROWS rows, 1 epoch"
printf "%-8s %14s %14s %12s %10s\n" threads train_samp/s infer_samp/s sec/epoch test_auc
base=""
for t in $THREADS; do
    json=$(./apg train --dataset synthetic --rows "$ROWS" --backbone wdl --epochs 1 --threads "$t" --json | tail -n 1)
    get() { sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p" <<<"$json"; }
    tr=$(get train_samples_per_s); inf=$(get infer_samples_per_s)
    printf "%-8s %14.0f %14.0f %12.3f %10.5f\n" "$t" "$tr" "$inf" "$(get sec_per_epoch)" "$(get test_auc)"
    [ -z "$base" ] && base=$tr
done
echo "(ratios: divide a row's train samples/s by the first row's: $base)"
