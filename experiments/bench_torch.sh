#!/usr/bin/env bash
# make bench-torch: APG-C beside an independent PyTorch implementation of the same
# models (experiments/torch_reference.py: WDL base and WDL + APG v3 / v6, self-wise,
# K 8, P 32, the same shapes, initialisation, Adam and batch) on the same data files
# (`apg data export` of a synthetic ml1m-like set, read back by APG-C's csv loader),
# at 1 and 2 threads: training samples/s of both and test AUC of both, median of REPS.
# Targets (issue "Speed"): base WDL at 2 threads >= 2.5x PyTorch, test AUC within
# 0.005. Nothing is asserted. Needs Debian's python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_TORCH_ROWS:-500000}
REPS=${BENCH_REPS:-3}
EPOCHS=${BENCH_TORCH_EPOCHS:-1}
PY=""                                   # $PYTHON, else the first python3 with torch (Debian's
for cand in ${PYTHON:-} python3 /usr/bin/python3; do   # is /usr/bin/python3, maybe not first)
    if "$cand" -c "import torch" 2>/dev/null; then PY=$cand; break; fi
done
if [ -z "$PY" ]; then
    echo "make bench-torch needs PyTorch: sudo apt-get install python3-torch (or PYTHON=/path/to/python3)" >&2
    exit 1
fi
. experiments/bench_lib.sh

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
./apg data export --out "$tmp" --rows "$ROWS" | head -n 1
multi=$("$PY" -c "import json,sys; f=json.load(open(sys.argv[1]))['fields']; print(','.join(x['name']+':|' for x in f if x['multi']))" "$tmp/fields.json")
csv=(--dataset csv --train-file "$tmp/train.csv" --val-file "$tmp/val.csv" --test-file "$tmp/test.csv" --label label
     --cache-dir "$tmp/cache")
[ -z "$multi" ] || csv+=(--multi "$multi")
./apg data info "${csv[@]}" > /dev/null                  # parse once: the cache, outside the timings
echo "torch $("$PY" -c 'import torch; print(torch.__version__)'), $ROWS rows, $EPOCHS epoch(s), median of $REPS"

for rep in $(seq "$REPS"); do
    for model in base v3 v6; do
        case $model in base) a=() ;; v3) a=(--apg v3 --K 8) ;; v6) a=(--apg v6 --K 8 --P 32) ;; esac
        for t in 1 2; do
            j=$(./apg train "${csv[@]}" "${a[@]}" --epochs "$EPOCHS" --threads "$t" --json | tail -n 1)
            collect "c$model$t" train_samples_per_s "$j"; collect "ca$model$t" test_auc "$j"
            j=$("$PY" experiments/torch_reference.py --data "$tmp" --model "$model" --K 8 --P 32 --epochs "$EPOCHS" \
                --threads "$t" | tail -n 1)
            collect "p$model$t" train_samples_per_s "$j"; collect "pa$model$t" test_auc "$j"
        done
    done
done
printf "%-6s %7s %16s %16s %8s %12s %12s %9s\n" model threads "APG-C samp/s" "PyTorch samp/s" speedup \
    "APG-C auc" "PyTorch auc" "auc diff"
for model in base v3 v6; do
    for t in 1 2; do
        printf "%-6s %7d %16.0f %16.0f %8s %12.5f %12.5f %+9.5f\n" "$model" "$t" "$(m c$model$t)" "$(m p$model$t)" \
            "$(ratio "$(m c$model$t)" "$(m p$model$t)")" "$(m ca$model$t)" "$(m pa$model$t)" \
            "$(awk -v a="$(m ca$model$t)" -v b="$(m pa$model$t)" 'BEGIN{print a - b}')"
    done
done
echo "(target: base at 2 threads speedup >= 2.50 with |auc diff| <= 0.005; BENCH_TORCH_ROWS, BENCH_REPS to change)"
