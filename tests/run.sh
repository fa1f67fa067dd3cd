#!/usr/bin/env bash
# Runs every cmocka test binary given, sums their test counts and ends with one
# summary line "N passed, N failed". Exit status non-zero when anything failed.
set -u
pass=0; fail=0; bad=()
t0=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
    name=$(basename "$t")
    s=$(date +%s)
    "$t" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or exited non-zero
    pass=$((pass + p)); fail=$((fail + f))
    [ "$rc" -ne 0 ] && bad+=("$name")
    echo "== $name: rc=$rc, $p passed, $f failed ($(( $(date +%s) - s ))s)"
done
echo "== $# test binaries in $(( $(date +%s) - t0 ))s${bad[*]:+; failing: ${bad[*]}}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ ${#bad[@]} -eq 0 ]
