#!/usr/bin/env bash
# Generation speed: `descent sample RUN --max-tokens N` on shakespeare-char-mlp and
# shakespeare-char-mlp-best, trained briefly on tinyshakespeare (one document, so a sample rarely
# stops early; the script picks a seed whose sample runs to the limit), in tokens per second of the whole command (start-up and checkpoint load
# included). With --baseline BIN, that binary runs the same commands on the same runs, alternating
# round by round, and the script prints the ratio and whether the texts are identical.
#
# Usage: scripts/bench-sample.sh [--steps N] [--rounds N] [--max-tokens N] [--baseline BIN]
# Environment: WORK (default /tmp/descent-bench-sample; holds the dataset and database).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=500; rounds=3; tokens=20000; baseline=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --steps) steps="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --max-tokens) tokens="$2"; shift 2 ;;
        --baseline) baseline="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shakespeare=../shared/data/tinyshakespeare.txt
[[ -f $shakespeare ]] || { echo "needs $shakespeare" >&2; exit 1; }
work="${WORK:-/tmp/descent-bench-sample}"
mkdir -p "$work"
swift build -c release --product descent >&2
descent=.build/release/descent
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) threads; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
db="$work/runs.db"
[[ -f $work/data/manifest.json ]] || "$descent" prepare "$shakespeare" --out "$work/data" --split-by file >/dev/null
for config in shakespeare-char-mlp shakespeare-char-mlp-best; do
    if ! "$descent" show "$config" --db "$db" >/dev/null 2>&1; then
        "$descent" train "configs/$config.json" --db "$db" --run "$config" --set "data.dir=$work/data" \
            --set "training.maxSteps=$steps" >/dev/null
    fi
done

calc() { python3 -c "print($1)"; }
# Seconds of one sample command; its text goes to $2.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$1" sample "$3" --db "$db" --max-tokens "$tokens" --seed "$4" > "$2"
    end=$(date +%s.%N)
    calc "$end - $start"
}
length() { python3 -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read().rstrip("\n")))' "$1"; }
for config in shakespeare-char-mlp shakespeare-char-mlp-best; do
    # The first seed whose sample runs to at least 90% of --max-tokens before a document boundary.
    seed=1
    until "$descent" sample "$config" --db "$db" --max-tokens "$tokens" --seed "$seed" > "$work/new.txt" \
          && (( $(length "$work/new.txt") * 10 >= tokens * 9 )) || (( seed >= 50 )); do seed=$((seed + 1)); done
    for ((round = 1; round <= rounds; round++)); do
        new=$(seconds "$descent" "$work/new.txt" "$config" "$seed")
        generated=$(length "$work/new.txt")
        line=$(printf '%-26s seed %d round %d: %6d tokens in %.3f s = %8.0f tokens/s' "$config" "$seed" "$round" "$generated" "$new" \
               "$(calc "$generated / $new")")
        if [[ -n $baseline ]]; then
            old=$(seconds "$baseline" "$work/old.txt" "$config" "$seed")
            same=$(cmp -s "$work/new.txt" "$work/old.txt" && echo "identical text" || echo "texts differ")
            line+=$(printf '; baseline %.3f s = %8.0f tokens/s; %.1fx, %s' "$old" "$(calc "$generated / $old")" \
                    "$(calc "$old / $new")" "$same")
        fi
        echo "$line"
    done
done
