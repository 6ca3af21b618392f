#!/usr/bin/env bash
# Counts heap allocations per training step: runs `descent-bench train` for N and for 2N steps
# under an LD_PRELOAD malloc counter (scripts/tools/malloc_counter.c) and prints
# (count(2N) − count(N)) / N for each config. 0 means a step allocates nothing.
#
# Usage: scripts/count-allocations.sh [N]      (default N = 200)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-200}"
scratch="${SCRATCH:-.build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/malloc_counter.so" scripts/tools/malloc_counter.c -ldl
swift build -c release --scratch-path "$scratch" --product descent-bench >&2
bench="$scratch/release/descent-bench"
# CONFIG:MODEL[:FIRST-LAYER]; B and C run both first-layer paths.
for cell in A:mlp B:mlp:tables B:mlp:dense C:mlp:dense C:mlp:tables D:mlp B:bigram; do
    IFS=: read -r config model first <<< "$cell"
    first="${first:-auto}"
    counts=()
    for n in "$steps" "$((2 * steps))"; do
        rm -f "$work/count"
        MALLOC_COUNTER_OUT="$work/count" LD_PRELOAD="$work/malloc_counter.so" \
            "$bench" train --config "$config" --model "$model" --first-layer "$first" --threads 2 --warmup-seconds 0.2 --steps "$n" > /dev/null
        counts+=("$(cat "$work/count")")
    done
    echo "$config $model (first layer $first): ${counts[0]} allocations for $steps steps, ${counts[1]} for $((2 * steps)): $(( (counts[1] - counts[0]) / steps )) per step"
done
