#!/usr/bin/env bash
# The main job, end to end on text this repository holds (its own README and Swift sources),
# with no download: build, prepare a dataset, train a small MLP, sample from it.
#
#   scripts/demo.sh            # about 3-5 minutes on 2 cores, most of it the release build
#
# Re-running replaces the 'demo' run. Everything lands in data/demo and checkpoints/descent.db.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building (release)"
swift build -c release --product descent
descent=.build/release/descent

echo "==> preparing the repository's own text as a corpus (one document per file)"
# A fixed, sorted file list keeps the dataset byte-identical from run to run.
mapfile -t sources < <(find Sources -name '*.swift' | LC_ALL=C sort)
"$descent" prepare README.md "${sources[@]}" --out data/demo --split-by file --overwrite

echo "==> training an MLP (configs/demo-mlp.json)"
"$descent" train configs/demo-mlp.json --run demo --overwrite

echo "==> sampling"
"$descent" sample demo --checkpoint best --prompt "func " --num-samples 3 --max-tokens 240 --temperature 0.8 --seed 1
echo
"$descent" runs
