#!/usr/bin/env bash
# Every backbone, base vs + APG v6 (self-wise): test AUC (mean +- std over seeds) and
# seconds per epoch, on synthetic data and on MovieLens-100K when its files are found.
#   STUDY_SEEDS="1 2 3" STUDY_ROWS=100000 STUDY_DATA=../shared/data STUDY_THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${STUDY_SEEDS:-"1 2 3"}
ROWS=${STUDY_ROWS:-100000}
DATA=${STUDY_DATA:-../shared/data}
THREADS=${STUDY_THREADS:-2}
BACKBONES=${STUDY_BACKBONES:-"wdl pnn fibinet difm deepfm dcn autoint mmoe star"}
datasets=("--dataset synthetic --rows $ROWS")
if [ -f "$DATA/ml-100k/u.data" ]; then datasets+=("--dataset ml100k --data $DATA");
else echo "backbone_study: $DATA/ml-100k not found: MovieLens-100K rows skipped" >&2; fi
stat() { awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; v=q/n-m*m; if (v<0) v=0; printf "%.4f +- %.4f", m, sqrt(v)}'; }

for ds in "${datasets[@]}"; do
    echo "== $ds, 1 epoch, seeds: $SEEDS, $THREADS threads"
    printf "%-9s %-20s %-20s %10s %10s %8s\n" backbone "base AUC" "+APG v6 AUC" "base s/ep" "v6 s/ep" gain
    for bb in $BACKBONES; do
        declare -A auc=() sec=()
        for v in none v6; do
            a=(); t=()
            for s in $SEEDS; do
                # shellcheck disable=SC2086
                if j=$(./apg train $ds --backbone "$bb" --apg "$v" --seed "$s" --threads "$THREADS" --json 2>/dev/null | tail -n 1); then
                    a+=("$(sed -n 's/.*"test_auc":\([0-9.]*\).*/\1/p' <<<"$j")")
                    t+=("$(sed -n 's/.*"sec_per_epoch":\([0-9.]*\).*/\1/p' <<<"$j")")
                fi
            done
            if [ ${#a[@]} -gt 0 ]; then
                auc[$v]=$(printf '%s\n' "${a[@]}" | stat)
                sec[$v]=$(printf '%s\n' "${t[@]}" | awk '{s+=$1; n++} END {printf "%.2f", s/n}')
            else auc[$v]="refused"; sec[$v]="-"; fi
        done
        gain="-"
        if [ "${auc[v6]}" != refused ]; then gain=$(awk -v a="${auc[none]%% *}" -v b="${auc[v6]%% *}" 'BEGIN{printf "%+.4f", b-a}'); fi
        printf "%-9s %-20s %-20s %10s %10s %8s\n" "$bb" "${auc[none]}" "${auc[v6]}" "${sec[none]}" "${sec[v6]}" "$gain"
        unset auc sec
    done
done
