#!/usr/bin/env bash
# make bench: speed figures, each table measured in one run so its ratios compare like
# with like (these machines are shared and noisy: every figure is the median of REPS
# runs, the configurations of a table alternating). Nothing here is asserted.
#  1. WDL training/inference throughput at 1 and 2 threads (the default, 2 micro-batches, and
#     the per-op split, --micro-batches 1), idle and beside one busy neighbour process (`yes`):
#     2-thread / 1-thread ratios.
#  2. The GEMM limit: BLIS alone on the step's own GEMM shapes (experiments/bench_gemm.py)
#     against base WDL training at 1 thread, as achieved / BLIS GFLOP/s, the two alternating.
#  3. Seconds per epoch and inference samples/s of WDL base and of every APG form
#     (self-wise, K=8, P=32), as ratios to base beside the paper's Table 5 time ratios.
#  4. Inference of saved models: base, v3, v6 and v6 collapsed by `apg export`, at
#     batch 1024 (throughput) and batch 1 (latency).
#  5. Every backbone: training samples/s base and with APG v6.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-500000}
APG_ROWS=${BENCH_APG_ROWS:-200000}
THREADS=${BENCH_THREADS:-1}
REPS=${BENCH_REPS:-3}
run() { ./apg train --dataset synthetic --epochs 1 --json "$@" | tail -n 1; }
# targs T: the thread options of a section-1 configuration (1, 2, or 2m1 = 2 threads, M = 1).
targs() { case $1 in *m1) echo "--threads ${1%m1} --micro-batches 1" ;; *) echo "--threads $1" ;; esac; }
. experiments/bench_lib.sh
# want N: section N is among BENCH_SECTIONS (all five by default)
want() { [[ " ${BENCH_SECTIONS:-1 2 3 4 5} " == *" $1 "* ]]; }

if want 1; then
echo "== WDL (hidden 256-128-64, emb 16, batch 1024), synthetic ml1m-like, $ROWS rows, 1 epoch, median of $REPS"
for rep in $(seq "$REPS"); do
    for t in 1 2 2m1; do
        j=$(run --backbone wdl --rows "$ROWS" $(targs "$t"))
        collect "tr$t" train_samples_per_s "$j"; collect "in$t" infer_samples_per_s "$j"
        collect "auc$t" test_auc "$j"; collect "sec$t" sec_per_epoch "$j"
    done
    yes > /dev/null & busy=$!
    for t in 1 2 2m1; do
        j=$(run --backbone wdl --rows "$ROWS" $(targs "$t"))
        collect "busy$t" train_samples_per_s "$j"
    done
    kill "$busy"; wait "$busy" 2>/dev/null || true
done
printf "%-8s %14s %14s %10s %10s %16s\n" threads train_samp/s infer_samp/s sec/epoch test_auc "busy train_samp/s"
for t in 1 2 2m1; do
    printf "%-8s %14.0f %14.0f %10.3f %10.5f %16.0f\n" "${t/m1/ M=1}" "$(m tr$t)" "$(m in$t)" "$(m sec$t)" "$(m auc$t)" "$(m busy$t)"
done
echo "2 threads / 1 thread: idle $(ratio "$(m tr2)" "$(m tr1)") (target >= 1.85), beside one busy process $(ratio "$(m busy2)" "$(m busy1)") (target >= 0.90)"
echo "2 threads, --micro-batches 1 (per-op split) / 1 thread: idle $(ratio "$(m tr2m1)" "$(m tr1)"), beside one busy process $(ratio "$(m busy2m1)" "$(m busy1)")"
echo "(2 threads train each minibatch as 2 parts by default (--micro-batches auto) that the threads take as"
echo " they come free, one gradient copy per part: other bits than 1 thread; M = 1 splits each op instead)"

fi
if want 2; then
echo
echo "== GEMM limit of the WDL step at batch 1024 (BLIS alone, 1 thread, the step's 9 GEMM shapes)"
blis_dir=$(dirname "$(ldd ./apg | awk '/libblis/ {print $3}')")
F=$(./apg train --dataset synthetic --rows 20000 --epochs 1 | grep -o '[0-9]* fields' | head -1 | awk '{print $1}')
gemm() { python3 experiments/bench_gemm.py -t "$1" "$blis_dir" 1024 $((F * 16)) 256 128 64; }
if g=$(gemm 1 2>/dev/null); then
    macs=$(awk '{print $2}' <<<"$g")
    # BLIS at 1 and 2 threads (its own threading: how far two threads can scale these
    # products on this machine, the ceiling of the 2 / 1 ratio) alternating with base
    # WDL training at 1 thread, so that the limit compares runs of the same minutes
    for rep in $(seq "$REPS"); do
        for t in 1 2; do collect "bg$t" blis "$(gemm "$t" | awk '{print "{\"blis\": " $6 "}"}')"; done
        collect trg train_samples_per_s "$(run --backbone wdl --rows "$ROWS" --threads 1)"
    done
    lim=$(awk -v g="$(m bg1)" -v mac="$macs" 'BEGIN{printf "%.0f", g * 1e9 / (2 * mac / 1024)}')
    ach=$(awk -v s="$(m trg)" -v mac="$macs" 'BEGIN{printf "%.1f", 2 * mac / 1024 * s / 1e9}')
    echo "BLIS on the step's shapes: $(m bg1) GFLOP/s, a GEMM-only step would train $lim samples/s"
    echo "base WDL, 1 thread: $(printf %.0f "$(m trg)") samples/s = $ach GFLOP/s of GEMM work = $(ratio "$ach" "$(m bg1)") of the GEMM limit (target >= 0.80)"
    echo "BLIS's own 2 threads on these shapes: $(m bg2) GFLOP/s = $(ratio "$(m bg2)" "$(m bg1)") x its 1 thread: the machine's ceiling for the 2 / 1 thread ratio"
else
    echo "(python3 or $blis_dir/libblis.so.4 missing: GEMM limit not measured)"
fi

fi
if want 3; then
echo
echo "== APG forms on WDL, self-wise, K=8, P=32, $APG_ROWS rows, $THREADS thread(s), 1 epoch, median of $REPS"
declare -A paper=( [none]="1.00 / 1.00 / 1.00" [v1]="22.22 / 39.48 / 9.55" [v2]="23.80 / 45.29 / 10.66"
                   [v3]="0.84 / 0.91 / 1.08" [v4]="1.09 / 1.52 / 1.42" [v5]="26.53 / 56.05 / 12.75"
                   [v6]="-" [v7]="-" [v8]="-" )
forms="none v1 v2 v3 v4 v5 v6 v7 v8"
# v1, v2, v4, v5 cost tens of times base: they run on a tenth of the rows and their
# seconds per epoch are scaled back (time per epoch is linear in rows; marked *).
slow="v1 v2 v4 v5"
for rep in $(seq "$REPS"); do
    for f in $forms; do
        rows=$APG_ROWS
        case " $slow " in *" $f "*) rows=$((APG_ROWS / 10)) ;; esac
        args=(--backbone wdl --rows "$rows" --threads "$THREADS")
        [ "$f" = none ] || args+=(--apg "$f")
        case $f in v2|v3|v4) args+=(--K 8) ;; v6|v7|v8) args+=(--K 8 --P 32) ;; esac
        j=$(run "${args[@]}")
        sec=$(get sec_per_epoch "$j")
        acc["s$f"]+="$(awk -v s="$sec" -v a="$APG_ROWS" -v r="$rows" 'BEGIN{print s * a / r}') "
        collect "i$f" infer_samples_per_s "$j"
        collect "a$f" test_auc "$j"; collect "p$f" param_bytes "$j"; collect "x$f" train_macs_per_row "$j"
    done
done
# span F: the lowest and highest of the reps' own ratios (rep r's seconds of F over rep r's
# of base, run minutes apart at most): how far the machine's noise moves one ratio.
span() {
    awk -v a="${acc[s$1]}" -v b="${acc[snone]}" 'BEGIN{n = split(a, x, " "); split(b, y, " ");
        lo = 1e9; hi = 0; for (i = 1; i <= n; i++) if (y[i] > 0) { r = x[i] / y[i]; if (r < lo) lo = r; if (r > hi) hi = r }
        printf "%.2f-%.2f", lo, hi}'
}
printf "%-6s %10s %8s %10s %9s %9s %22s %14s %13s %10s %10s\n" form sec/epoch ratio "rep range" "MAC ratio" \
    "time/MAC" "paper ratio (ML/Am/IA)" infer_samp/s "latency ratio" param_MB test_auc
for f in $forms; do
    mark=""; case " $slow " in *" $f "*) mark="*" ;; esac
    tr=$(ratio "$(m s$f)" "$(m snone)"); xr=$(ratio "$(m x$f)" "$(m xnone)")
    printf "%-6s %10.3f %8s %10s %9s %9s %22s %14.0f %13s %10.2f %10.5f\n" "$f$mark" "$(m s$f)" "$tr" "$(span "$f")" "$xr" \
        "$(awk -v s="$(m s$f)" -v b="$(m snone)" -v x="$(m x$f)" -v y="$(m xnone)" \
             'BEGIN{printf "%.2f", (b > 0 && x > 0 ? (s / b) / (x / y) : 0)}')" \
        "${paper[$f]}" "$(m i$f)" "$(ratio "$(m inone)" "$(m i$f)")" \
        "$(awk -v p="$(m p$f)" 'BEGIN{print p/1048576}')" "$(m a$f)"
done
echo "(* measured on $((APG_ROWS / 10)) rows, seconds scaled to $APG_ROWS; their AUC is of the smaller set)"
echo "(ratio: median seconds over base's median; rep range: the lowest and highest of each rep's own ratio)"
echo "(MAC ratio: the training step's product multiply-adds per row (forwards and operand gradients of"
echo " linear, matmul, rowmv, lrmv, genmv: train_macs_per_row in --json) over base's; time/MAC: the time ratio"
echo " over it, 1.00 = the form costs what its multiply-adds imply at base's speed)"
echo "(targets: v3 and v6 at most 0.70 of base time per epoch; inference latency ratio at most 1.00;"
echo " v6-v8 infer through their chains multiplied once per batch, i.e. the collapsed v3 cost)"

fi
if want 4; then
echo
echo "== Inference of saved models (apg predict on the test rows): base, v3, v6 as trained and v6 collapsed"
echo "   by apg export into v3's U, V (paper 3.2.4); $APG_ROWS rows, $THREADS thread(s), median of $REPS"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in none v3 v6; do
    args=(--backbone wdl --rows "$APG_ROWS" --threads "$THREADS" --save "$tmp/$f.ckpt")
    case $f in v3) args+=(--apg v3 --K 8) ;; v6) args+=(--apg v6 --K 8 --P 32) ;; esac
    run "${args[@]}" > /dev/null
done
./apg export "$tmp/v6.ckpt" "$tmp/v6c.ckpt" > /dev/null
models="none v3 v6 v6c"
for rep in $(seq "$REPS"); do
    for f in $models; do
        for bs in 1024 1; do
            j=$(./apg predict "$tmp/$f.ckpt" --batch "$bs" --threads "$THREADS" --json | tail -n 1)
            collect "q$f$bs" infer_samples_per_s "$j"; collect "qa$f" test_auc "$j"
        done
    done
done
printf "%-14s %16s %16s %16s %12s\n" model "batch 1024 samp/s" "batch 1 us/row" "latency ratio" test_auc
declare -A label=( [none]="base" [v3]="v3" [v6]="v6 (chains)" [v6c]="v6 collapsed" )
for f in $models; do
    printf "%-14s %16.0f %16.1f %16s %12.5f\n" "${label[$f]}" "$(m q${f}1024)" \
        "$(awk -v s="$(m q${f}1)" 'BEGIN{printf "%.1f", (s > 0 ? 1e6 / s : 0)}')" \
        "$(ratio "$(m qnone1)" "$(m q${f}1)")" "$(m qa$f)"
done
echo "(latency ratio = base samples/s / model samples/s at batch 1; target for v6 collapsed: at most 1.00)"

fi
if want 5; then
echo
echo "== Every backbone, base and APG v6 (self-wise, K=8, P=32), $APG_ROWS rows, $THREADS thread(s), median of $REPS"
bbs=$(./apg list 2>/dev/null | awk '/^backbones:/ {on = 1; next} /^[a-z]/ {on = 0} on && /^  [a-z]/ {print $1}' || true)
[ -n "$bbs" ] || bbs="wdl pnn fibinet difm deepfm dcn autoint"
for rep in $(seq "$REPS"); do
    for b in $bbs; do
        collect "b$b" train_samples_per_s "$(run --backbone "$b" --rows "$APG_ROWS" --threads "$THREADS")"
        j=$(run --backbone "$b" --rows "$APG_ROWS" --threads "$THREADS" --apg v6 --K 8 --P 32 2>/dev/null) || j=""
        collect "v$b" train_samples_per_s "$j"   # empty where the backbone refuses APG (Star)
    done
done
printf "%-10s %16s %16s %12s\n" backbone base_samp/s v6_samp/s "v6 time ratio"
for b in $bbs; do
    v=$(m "v$b")
    if [ -n "$v" ]; then printf "%-10s %16.0f %16.0f %12s\n" "$b" "$(m b$b)" "$v" "$(ratio "$(m b$b)" "$v")"
    else printf "%-10s %16.0f %16s %12s\n" "$b" "$(m b$b)" "-" "-"; fi
done
fi
echo "(BLIS kernels: ${BLIS_ARCH_TYPE:-auto}; set BENCH_ROWS, BENCH_APG_ROWS, BENCH_THREADS, BENCH_REPS to change sizes,"
echo " BENCH_SECTIONS (e.g. "3 4") to run some of the tables)"
