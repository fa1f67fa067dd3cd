#!/usr/bin/env bash
# make valgrind: the main commands under valgrind memcheck, small: training (base, APG
# v6 with micro-batches on 2 threads, numeric features), export, predict at batch 1.
# Fails on any invalid access, use of uninitialised memory, or definite leak
# ("possibly lost" blocks are the pool's running threads and BLIS/libgomp internals).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || { echo "make valgrind needs valgrind: sudo apt-get install valgrind" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
vg() { echo "valgrind: apg $*"; valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
       --show-leak-kinds=definite ./apg "$@" > "$tmp/out.txt" || { cat "$tmp/out.txt"; exit 1; }; }
printf 'u,age,price,click\n' > "$tmp/n.csv"
for i in $(seq 1 600); do printf 'u%d,%s,%d.5,%d\n' $((i % 17)) "$([ $((i % 9)) = 0 ] || echo $((i % 50)))" $((i % 31)) $(((i * 7) % 3 == 0)); done >> "$tmp/n.csv"
vg train --rows 3000 --epochs 1 --hidden 32,16 --save "$tmp/base.ckpt"
vg train --rows 3000 --epochs 1 --hidden 32,16 --apg v6 --K 4 --P 8 --threads 2 --micro-batches 2 --save "$tmp/v6.ckpt"
vg train --dataset csv --file "$tmp/n.csv" --label click --numeric age,price --numeric-transform bucket:4 --no-cache \
   --epochs 1 --hidden 16 --save "$tmp/num.ckpt"
vg export "$tmp/v6.ckpt" "$tmp/v6c.ckpt"
vg predict "$tmp/v6c.ckpt" --batch 1
vg predict "$tmp/num.ckpt"
echo "valgrind: clean"
