#!/usr/bin/env bash
# make bench: speed figures, each table measured in one run so its ratios compare like
# with like (these machines are shared and noisy). Nothing here is asserted.
#  1. WDL training/inference throughput at 1 and 2 threads.
#  2. Seconds per epoch of WDL base and of every APG form (self-wise, K=8, P=32), as
#     ratios to base beside the paper's Table 5 time ratios (MovieLens / Amazon / IAAC).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-500000}
APG_ROWS=${BENCH_APG_ROWS:-200000}
THREADS=${BENCH_THREADS:-2}
run() { ./apg train --dataset synthetic --backbone wdl --epochs 1 --json "$@" | tail -n 1; }
get() { sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p" <<<"$2"; }

echo "== WDL (hidden 256-128-64, emb 16, batch 1024), synthetic ml1m-like, $ROWS rows, 1 epoch"
printf "%-8s %14s %14s %10s %10s %8s\n" threads train_samp/s infer_samp/s sec/epoch test_auc ratio
base=""
for t in 1 2; do
    j=$(run --rows "$ROWS" --threads "$t")
    tr=$(get train_samples_per_s "$j")
    [ -z "$base" ] && base=$tr
    printf "%-8s %14.0f %14.0f %10.3f %10.5f %8.2f\n" "$t" "$tr" "$(get infer_samples_per_s "$j")" \
        "$(get sec_per_epoch "$j")" "$(get test_auc "$j")" "$(awk -v a="$tr" -v b="$base" 'BEGIN{print a/b}')"
done

echo
echo "== APG forms on WDL, self-wise, K=8, P=32, $APG_ROWS rows, $THREADS threads, 1 epoch"
printf "%-6s %10s %8s %22s %12s %10s\n" form sec/epoch ratio "paper ratio (ML/Am/IA)" param_MB test_auc
declare -A paper=( [none]="1.00 / 1.00 / 1.00" [v1]="22.22 / 39.48 / 9.55" [v2]="23.80 / 45.29 / 10.66"
                   [v3]="0.84 / 0.91 / 1.08" [v4]="1.09 / 1.52 / 1.42" [v5]="26.53 / 56.05 / 12.75"
                   [v6]="-" [v7]="-" [v8]="-" )
b=""
for f in none v1 v2 v3 v4 v5 v6 v7 v8; do
    j=$(run --rows "$APG_ROWS" --threads "$THREADS" --apg "$f" --K 8 --P 32)
    s=$(get sec_per_epoch "$j")
    [ -z "$b" ] && b=$s
    printf "%-6s %10.3f %8.2f %22s %12.2f %10.5f\n" "$f" "$s" "$(awk -v a="$s" -v b="$b" 'BEGIN{print a/b}')" \
        "${paper[$f]}" "$(awk -v p="$(get param_bytes "$j")" 'BEGIN{print p/1048576}')" "$(get test_auc "$j")"
done
echo "(BLIS kernels: ${BLIS_ARCH_TYPE:-auto}; set BENCH_ROWS, BENCH_APG_ROWS, BENCH_THREADS to change sizes)"
