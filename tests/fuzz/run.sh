#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD SECONDS TARGET...: runs each target under libFuzzer for
# SECONDS, on its corpus (BUILD/corpus/TARGET, kept between runs), the seeds written by
# apg-fuzz-seeds and the regression inputs of tests/fuzz/regress/TARGET. One summary
# line per target; exit 1 when any target crashed (its input saved under BUILD/crashes).
# FUZZ_FLAGS: more libFuzzer flags (fuzz-smoke: a fixed seed and run count).
set -u
B=$1; SECS=$2; shift 2
shared=${APG_SHARED_DATA:-../shared/data}
[ -d "$shared" ] || { echo "fuzz: $shared not found: real-data seeds left out"; shared=""; }
rm -rf "$B/seeds"
"$B/apg-fuzz-seeds" "$B/seeds" $shared || exit 1
mkdir -p "$B/crashes" "$B/logs"
: >"$B/logs/verdicts"
failed=()
printf "%-11s %8s %10s %8s %7s %s\n" target seconds execs exec/s corpus result
for t in "$@"; do
    mkdir -p "$B/corpus/$t"
    dirs=("$B/corpus/$t" "$B/seeds/$t")
    [ -d "tests/fuzz/regress/$t" ] && dirs+=("tests/fuzz/regress/$t")
    log="$B/logs/$t.log"
    t0=$(date +%s)
    APG_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        "$B/apg-fuzz" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$B/crashes/$t-" ${FUZZ_FLAGS:-} "${dirs[@]}" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - t0 ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$B/corpus/$t" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        res=ok
    else
        res="CRASH (see $log)"; failed+=("$t")
        # the harness's own verdict ("fuzz: ...") went to the closed stderr: replay to show it
        for a in $(sed -n "s/.*Test unit written to //p" "$log"); do
            APG_FUZZ_TARGET=$t "$B/apg-fuzz" "$a" 2>&1 | grep -m1 -E '^fuzz:|^SUMMARY' | sed "s|^|  $a: |" >>"$B/logs/verdicts"
        done
    fi
    printf "%-11s %8s %10s %8s %7s %s\n" "$t" "$took" "${execs:-?}" "${rate:-?}" "$corpus" "$res"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]}"
    cat "$B/logs/verdicts"
    echo "fix the reader, then copy each input to tests/fuzz/regress/TARGET/ (make test replays them)"
    exit 1
fi
