#!/usr/bin/env bash
# make bench-mpi: data-parallel training (apg train --dist) on this machine, 1 rank x 1
# thread (plain apg train) against 2 ranks x 1 thread (mpirun -np 2), WDL base and APG
# v6 (self-wise, K 8, P 32), the runs alternating, median of REPS; the bytes each rank
# exchanges per step; and, from those bytes and the 1-rank step time, the efficiency
# that N machines on a 25 Gbit/s network would reach by a model on paper (labelled so).
# Target (issue "MPI"): 2 ranks >= 1.7x 1 rank. Nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_MPI_ROWS:-300000}
REPS=${BENCH_REPS:-3}
if ! command -v mpirun > /dev/null || ! ldd ./apg | grep -q libmpi; then
    echo "make bench-mpi needs Open MPI: scripts/install-deps.sh installs it; then make clean && make" >&2
    exit 1
fi
. experiments/bench_lib.sh
MPIRUN=(mpirun -np 2)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}      # one machine: shared memory
run() { "$@" --dataset synthetic --rows "$ROWS" --epochs 1 --threads 1 --json 2>/dev/null | tail -n 1; }

echo "== data-parallel WDL (256-128-64, emb 16, global batch 1024), synthetic ml1m-like, $ROWS rows, 1 epoch, median of $REPS"
for rep in $(seq "$REPS"); do
    for f in none v6; do
        args=(--backbone wdl)
        [ "$f" = none ] || args+=(--apg v6 --K 8 --P 32)
        j=$(run ./apg train "${args[@]}")
        collect "one$f" train_samples_per_s "$j"; collect "auc1$f" test_auc "$j"
        j=$(run "${MPIRUN[@]}" ./apg train --dist "${args[@]}")
        collect "two$f" train_samples_per_s "$j"; collect "auc2$f" test_auc "$j"
        collect "bytes$f" dist_bytes_per_step "$j"; collect "dense$f" dist_dense_bytes "$j"
        collect "sparse$f" dist_sparse_bytes "$j"
    done
    j=$(run "${MPIRUN[@]}" ./apg train --dist --shard-embeddings --backbone wdl)
    collect twoshard train_samples_per_s "$j"; collect auc2shard test_auc "$j"; collect bytesshard dist_bytes_per_step "$j"
done
printf "%-6s %16s %16s %8s %18s %12s %12s\n" model "1 rank samp/s" "2 ranks samp/s" ratio "KB/step per rank" "auc 1 rank" "auc 2 ranks"
for f in none v6; do
    printf "%-6s %16.0f %16.0f %8s %18.1f %12.5f %12.5f\n" "$f" "$(m one$f)" "$(m two$f)" "$(ratio "$(m two$f)" "$(m one$f)")" \
        "$(awk -v b="$(m bytes$f)" 'BEGIN{print b / 1024}')" "$(m auc1$f)" "$(m auc2$f)"
done
printf "%-6s %16.0f %16.0f %8s %18.1f %12.5f %12.5f\n" "shard" "$(m onenone)" "$(m twoshard)" \
    "$(ratio "$(m twoshard)" "$(m onenone)")" "$(awk -v b="$(m bytesshard)" 'BEGIN{print b / 1024}')" "$(m auc1none)" "$(m auc2shard)"
echo "(shard: base with --shard-embeddings, each rank holding half the table's rows)"
echo "(target: 2 ranks x 1 thread >= 1.70 x 1 rank, for base and v6)"

echo
echo "== per-rank memory of row-sharded embedding tables (--shard-embeddings), the paper's Alibaba scale:"
echo "   100M users + 80M items, emb 16, Adam; a row here is 16 floats of value, gradient and two"
echo "   moments (256 B) + 9 B of bookkeeping (touched-row list, mark, L2 step count)"
for n in 1 8 32 128; do
    awk -v n="$n" 'BEGIN{ rows = 180e6; b = rows * (16 * 4 * 4 + 9) / n;
        printf "   N = %3d: %8.2f GB per rank\n", n, b / 1e9 }'
done

echo
echo "== projected efficiency on N machines, 25 Gbit/s, by a model on paper (not measured):"
echo "   step(N) = t1 / N + [2 (N-1)/N dense + (N-1) sparse(N)] / 3.125 GB/s + 2 log2(N) x 10 us,"
echo "   t1 = the 1-rank step time above, dense = the allreduce buffer, sparse(N) = one rank's"
echo "   embedding rows at 2 ranks x 2 / N (each rank's share of the batch shrinks with N)"
printf "%-6s" model
for n in 2 4 8 16 32 64; do printf " %8s" "N=$n"; done
echo
for f in none v6; do
    printf "%-6s" "$f"
    for n in 2 4 8 16 32 64; do
        awk -v s="$(m one$f)" -v d="$(m dense$f)" -v sp="$(m sparse$f)" -v n="$n" 'BEGIN{
            t1 = 1024 / s; bw = 25e9 / 8; lat = 2 * log(n) / log(2) * 10e-6
            comm = (2 * (n - 1) / n * d + (n - 1) * sp * 2 / n) / bw + lat
            printf " %8.2f", (t1 / n) / (t1 / n + comm) }'
    done
    echo
done
echo "(efficiency = ideal step time t1 / N over the modelled one; BENCH_MPI_ROWS, BENCH_REPS to change)"
