# Helpers the bench scripts source (bench.sh, bench_torch.sh, bench_scale.sh).
# get FIELD JSON: a number field of a JSON line ("key":v or "key": v).
get() { sed -n "s/.*\"$1\": *\"\{0,1\}\([-0-9.e]*\).*/\1/p" <<<"$2"; }
# med: the median of the numbers on stdin (space-separated).
med() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0 ? a/b : 0)}'; }
# collect KEY FIELD JSON appends a run's FIELD to KEY's list; m KEY is the list's median.
declare -A acc
collect() { acc["$1"]+="$(get "$2" "$3") "; }
m() { echo "${acc[$1]}" | med; }
