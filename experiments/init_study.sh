#!/usr/bin/env bash
# The APG initialisation study: test AUC of WDL base vs APG v3 and v6 (self-wise) under
# the scaled (default) and the plain initialisation, over seeds, on synthetic data and
# on MovieLens-100K when its files are found. Prints mean +- std per configuration.
#   STUDY_SEEDS="1 2 3" STUDY_ROWS=200000 STUDY_DATA=../shared/data STUDY_EPOCHS=1
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${STUDY_SEEDS:-"1 2 3"}
ROWS=${STUDY_ROWS:-200000}
DATA=${STUDY_DATA:-../shared/data}
EPOCHS=${STUDY_EPOCHS:-1}
THREADS=${STUDY_THREADS:-2}
EXTRA=${STUDY_EXTRA:-}
configs=("--apg none" "--apg v3 --apg-init scaled" "--apg v3 --apg-init plain"
         "--apg v6 --apg-init scaled" "--apg v6 --apg-init plain")
datasets=("--dataset synthetic --rows $ROWS")
if [ -f "$DATA/ml-100k/u.data" ]; then datasets+=("--dataset ml100k --data $DATA");
else echo "init_study: $DATA/ml-100k not found: MovieLens-100K rows skipped" >&2; fi

for ds in "${datasets[@]}"; do
    echo "== $ds, seeds: $SEEDS, epochs $EPOCHS"
    printf "%-32s %-24s %s\n" config "test AUC mean +- std" "per seed"
    for cfg in "${configs[@]}"; do
        aucs=()
        for s in $SEEDS; do
            # shellcheck disable=SC2086
            j=$(./apg train $ds $cfg $EXTRA --seed "$s" --epochs "$EPOCHS" --threads "$THREADS" --json | tail -n 1)
            aucs+=("$(sed -n 's/.*"test_auc":\([0-9.]*\).*/\1/p' <<<"$j")")
        done
        printf "%-32s %s   %s\n" "$cfg" "$(printf '%s\n' "${aucs[@]}" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; v=q/n-m*m; if (v<0) v=0; printf "%.4f +- %.4f", m, sqrt(v)}')" "${aucs[*]}"
    done
done
