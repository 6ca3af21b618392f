#!/usr/bin/env bash
# Whole training steps side by side: Descent (`descent-bench train`) against the PyTorch eager
# reference (../shared/bench/torch_lm_bench.py cell), interleaved per round and cell, 2 threads
# each, same config and batch; then per-cell medians and ratios.
#
# Usage: scripts/bench-train-vs-torch.sh [--rounds N] [--cells A:mlp,B:mlp,C:mlp,D:mlp,B:bigram] [--threads N]
# Config D is three hidden GELU layers on both sides (the peer's `cell --config D`, our preset D).
# Environment: PY (default ~/.cache/descent-bench-venv/bin/python, made by ../shared/bench/setup.sh),
# SCRATCH (SwiftPM scratch path, default .build), OUT (default bench-out/train-vs-torch),
# SHARED_BENCH (default ../shared/bench).
# Writes $OUT/results.jsonl (one line per measurement) and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
cells="A:mlp,B:mlp,C:mlp,D:mlp,B:bigram"
threads=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --cells) cells="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

PY="${PY:-$HOME/.cache/descent-bench-venv/bin/python}"
SCRATCH="${SCRATCH:-.build}"
OUT="${OUT:-bench-out/train-vs-torch}"
TORCH_SCRIPT="${SHARED_BENCH:-../shared/bench}/torch_lm_bench.py"
mkdir -p "$OUT"
: > "$OUT/results.jsonl"

swift build -c release --scratch-path "$SCRATCH" --product descent-bench >&2
BENCH="$SCRATCH/release/descent-bench"

echo "load before: $(uptime)" >&2
for ((round = 1; round <= rounds; round++)); do
    for cell in ${cells//,/ }; do
        config="${cell%%:*}"; model="${cell##*:}"
        torch_line=$("$PY" "$TORCH_SCRIPT" cell --config "$config" --model "$model" --threads "$threads" --lr 0.05 | grep '^RESULT ' | cut -c8-)
        echo "{\"peer\": \"torch\", \"round\": $round, \"config\": \"$config\", \"model\": \"$model\", \"result\": $torch_line}" >> "$OUT/results.jsonl"
        ours=$("$BENCH" train --config "$config" --model "$model" --threads "$threads" --json)
        echo "{\"peer\": \"descent\", \"round\": $round, \"config\": \"$config\", \"model\": \"$model\", \"result\": $ours}" >> "$OUT/results.jsonl"
        echo "round $round $config $model done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    done
done
echo "load after: $(uptime)" >&2

"$PY" - "$OUT/results.jsonl" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cells = {}
for r in rows:
    key = (r["config"], r["model"])
    rate = r["result"]["examples_per_s"]["median"] if r["peer"] == "torch" else r["result"]["examplesPerSecond"]
    cells.setdefault(key, {}).setdefault(r["peer"], []).append(rate)
    if r["peer"] == "descent":
        cells[key]["gflops"] = cells[key].get("gflops", []) + [r["result"]["gflops"]]
        cells[key]["path"] = r["result"].get("firstLayer", "?")
print(f"{'config':8} {'model':7} {'first layer':>11} {'torch ex/s':>12} {'descent ex/s':>13} {'ratio':>6} {'per-round ratios':>24} {'descent GFLOP/s':>16}")
for (config, model), peers in cells.items():
    t, d = statistics.median(peers["torch"]), statistics.median(peers["descent"])
    per_round = [b / a for a, b in zip(peers["torch"], peers["descent"])]
    print(f"{config:8} {model:7} {peers.get('path', '?'):>11} {t:12.0f} {d:13.0f} {d / t:6.2f} {' '.join(f'{x:.2f}' for x in per_round):>24} {statistics.median(peers['gflops']):16.1f}")
PYEOF
