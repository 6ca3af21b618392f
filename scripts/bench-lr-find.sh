#!/usr/bin/env bash
# The README's learning-rate measurements, two of them:
#
#   suggest     runs `descent lr-find` (fastai's defaults: 1e-7 to 10 over 100 steps) on
#               configs/names-mlp.json, shakespeare-char-mlp.json, names-mlp-best.json and
#               shakespeare-char-mlp-best.json (both AdamW), then trains each config for its --steps at its own
#               optimizer.learningRate and at each suggestion (valley, steep, minimum/10; same
#               schedule shape, same seed, only the peak changes), and prints the final
#               validation losses.
#   optimizers  the optimizers sweep on names-mlp: plain SGD, SGD with momentum 0.9, Nesterov
#               and AdamW, each over a small learning-rate grid, for --steps steps; prints each
#               sweep's table and draws the best run of each optimizer in one plot
#               ($WORK/optimizers.svg).
#
# Usage: scripts/bench-lr-find.sh [suggest|optimizers|all] [--names-steps N] [--shakespeare-steps N]
# Environment: WORK (default /tmp/descent-lr; holds datasets, database and plots).
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"; [[ $# -gt 0 ]] && shift
names_steps=20000; shakespeare_steps=2000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --names-steps) names_steps="$2"; shift 2 ;;
        --shakespeare-steps) shakespeare_steps="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
work="${WORK:-/tmp/descent-lr}"
mkdir -p "$work"
root="$PWD"
swift build -c release --product descent >/dev/null
descent="$root/.build/release/descent"
db="$work/db.sqlite"
cd "$work"
[[ -d data/names ]] || "$descent" prepare "$root/../shared/data/names.txt" --out data/names --split-by lines >/dev/null
[[ -d data/shakespeare-char ]] || "$descent" prepare "$root/../shared/data/tinyshakespeare.txt" --out data/shakespeare-char >/dev/null

quiet_steps() {  # 20 evaluations, one checkpoint
    echo "--set training.maxSteps=$1 --set training.evalInterval=$(( $1 / 20 )) --set training.checkpointInterval=0 --set training.logInterval=$(( $1 / 20 ))"
}

final_val() { "$descent" runs --db "$db" | awk -v run="$1" '$1 == run { print $6 }'; }

if [[ $what == suggest || $what == all ]]; then
    for config in names-mlp shakespeare-char-mlp names-mlp-best shakespeare-char-mlp-best; do
        steps=$names_steps; [[ $config == shakespeare* ]] && steps=$shakespeare_steps
        # Its 300 warmup steps were sized for 16,000; a short run warms up for 100.
        extra=""; [[ $config == shakespeare-char-mlp-best ]] && extra="--set schedule.warmupSteps=100"
        out=$("$descent" lr-find "$root/configs/$config.json" -o "lr-$config.svg" 2>/dev/null)
        echo "$out"
        suggested=$(echo "$out" | awk '$1 == "valley" || $1 == "steep" || $1 == "minimum/10" { print $2 }')
        own=$(grep -o '"learningRate": [0-9.e-]*' "$root/configs/$config.json" | awk '{ print $2 }' | tr -d ,)
        for lr in "$own" $suggested; do
            run="$config-lr$lr-$steps"
            "$descent" runs --db "$db" | grep -q "^$run " || \
                "$descent" train "$root/configs/$config.json" --run "$run" --db "$db" --quiet $(quiet_steps "$steps") \
                    --set optimizer.learningRate="$lr" $extra >/dev/null 2>&1 || true
            echo "$config: $steps steps at lr $lr -> final val loss $(final_val "$run")"
        done
    done
fi

if [[ $what == optimizers || $what == all ]]; then
    common="$(quiet_steps "$names_steps")"
    "$descent" sweep "$root/configs/names-mlp.json" --name sgd $common --set optimizer.momentum=0 \
        --grid optimizer.learningRate=0.03,0.1,0.3,1 --db "$db" --quiet -o sweep-sgd.svg 2>/dev/null
    "$descent" sweep "$root/configs/names-mlp.json" --name momentum $common --set optimizer.momentum=0.9 \
        --grid optimizer.learningRate=0.003,0.01,0.03,0.1 --db "$db" --quiet -o sweep-momentum.svg 2>/dev/null
    "$descent" sweep "$root/configs/names-mlp.json" --name nesterov $common --set optimizer.momentum=0.9 --set optimizer.nesterov=true \
        --grid optimizer.learningRate=0.003,0.01,0.03,0.1 --db "$db" --quiet -o sweep-nesterov.svg 2>/dev/null
    "$descent" sweep "$root/configs/names-mlp.json" --name adamw $common --set optimizer.type=adamw \
        --grid optimizer.learningRate=0.001,0.003,0.01,0.03 --db "$db" --quiet -o sweep-adamw.svg 2>/dev/null
    best=()
    for prefix in sgd momentum nesterov adamw; do
        best+=("$("$descent" runs --db "$db" --sort best-val | awk -v p="${prefix}_" 'index($1, p) == 1 { print $1; exit }')")
    done
    echo "best of each optimizer: ${best[*]}"
    "$descent" plot "${best[@]}" --db "$db" --no-lr --no-raw --smoothing 0.995 \
        --title "names-mlp, $names_steps steps of 32: each optimizer at its best learning rate" -o optimizers.svg
fi
