#!/usr/bin/env bash
# The landscape's speed target and its determinism on the real names-mlp model: trains
# configs/names-mlp.json for --steps steps (once, cached in $WORK), then draws the 41×41
# landscape on 8 batches of 1,024 training examples --rounds times on 2 threads and on 1,
# alternating, and prints each wall time, the medians, their ratio, and whether the CSV of the
# grid (exact values) is the same on 1 and 2 threads. Target: under 30 s on 2 cores.
#
# The machine is shared: read the times as a range, and the ratio from runs taken side by side.
#
# Usage: scripts/bench-landscape.sh [--steps N] [--rounds N] [--grid N]
# Environment: WORK (default /tmp/descent-landscape; holds the dataset and the database).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=20000; rounds=3; grid=41
while [[ $# -gt 0 ]]; do
    case "$1" in
        --steps) steps="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --grid) grid="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
names=../shared/data/names.txt
[[ -f $names ]] || { echo "needs $names" >&2; exit 1; }
work="${WORK:-/tmp/descent-landscape}"
mkdir -p "$work"
swift build -c release --product descent >/dev/null
descent="$PWD/.build/release/descent"
db="$work/db.sqlite"
if [[ ! -d $work/data/names ]]; then
    (cd "$work" && "$descent" prepare "$OLDPWD/$names" --out data/names --split-by lines >/dev/null)
fi
run="names-mlp-$steps"
if ! (cd "$work" && "$descent" runs --db "$db" --status completed | grep -q "^$run "); then
    (cd "$work" && "$descent" train "$OLDPWD/configs/names-mlp.json" --run "$run" --db "$db" --overwrite --quiet \
        --set training.maxSteps="$steps" --set training.evalInterval=0 --set training.checkpointInterval=0)
fi

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
two=(); one=()
for round in $(seq 1 "$rounds"); do
    for threads in 2 1; do
        t=$(cd "$work" && seconds "$descent" landscape "$run" --db "$db" --grid "$grid" --batches 8 --batch-size 1024 \
            --threads "$threads" -o "landscape-$threads.svg" --csv "grid-$threads.csv")
        if [[ $threads == 2 ]]; then two+=("$t"); else one+=("$t"); fi
        echo "round $round, $threads thread(s): $t s"
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m2=$(median "${two[@]}"); m1=$(median "${one[@]}")
echo "${grid}×${grid} landscape of names-mlp ($steps steps), 8 batches of 1,024: median $m2 s on 2 threads, $m1 s on 1 (1/2 = $(echo "scale=2; $m1 / $m2" | bc))"
if cmp -s "$work/grid-1.csv" "$work/grid-2.csv"; then echo "grid values: identical on 1 and 2 threads"; else echo "grid values: DIFFER between 1 and 2 threads"; exit 1; fi
lscpu | grep -E "Model name|^CPU\(s\)" | sed 's/  */ /g'
