#!/usr/bin/env bash
# make bench-scale: seconds per epoch and peak RSS of WDL base and APG v6 (self-wise,
# K 8, P 32) at 100k, 1M and 4M synthetic rows (ml1m-like), 1 epoch, BENCH_THREADS
# threads (default 1). Time per epoch should grow linearly with rows (the last column:
# seconds per million rows); memory with the data and the tables. Nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${BENCH_THREADS:-1}
SIZES=${BENCH_SCALE_ROWS:-"100000 1000000 4000000"}
. experiments/bench_lib.sh
echo "== WDL 256-128-64, emb 16, batch 1024, synthetic ml1m-like, 1 epoch, $THREADS thread(s)"
printf "%-6s %10s %12s %12s %14s %12s %10s\n" model rows sec/epoch train_samp/s "s per 1M rows" peak_RSS_MB test_auc
for apg in none v6; do
    for n in $SIZES; do
        args=(--rows "$n" --epochs 1 --threads "$THREADS" --no-cache --json)
        [ "$apg" = none ] || args+=(--apg v6 --K 8 --P 32)
        j=$(./apg train "${args[@]}" | tail -n 1)
        sec=$(get sec_per_epoch "$j")
        printf "%-6s %10d %12.3f %12.0f %14.3f %12.1f %10.5f\n" "$apg" "$n" "$sec" "$(get train_samples_per_s "$j")" \
            "$(awk -v s="$sec" -v n="$n" 'BEGIN{print s / n * 1e6}')" \
            "$(awk -v b="$(get peak_rss_bytes "$j")" 'BEGIN{print b / 1048576}')" "$(get test_auc "$j")"
    done
done
