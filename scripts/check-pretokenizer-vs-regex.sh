#!/usr/bin/env bash
# Checks the hand-written pre-tokenizer against tiktoken's two split patterns as the Python
# `regex` module applies them, on many seeded random Unicode strings (scripts/tools/random_unicode.py).
#   scripts/check-pretokenizer-vs-regex.sh [COUNT] [SEED]     # default 20000 strings, seed 7
# Needs the bench venv (../shared/bench/setup.sh). Exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$HOME/.cache/descent-bench-venv/bin/python}
COUNT=${1:-20000}
SEED=${2:-7}
OUT=${BENCH_OUT:-bench-out}
mkdir -p "$OUT"
"$PY" scripts/tools/record_split_fixtures.py --count "$COUNT" --seed "$SEED" --out "$OUT/splits-$SEED.json"
DESCENT_SPLIT_FIXTURE="$PWD/$OUT/splits-$SEED.json" swift test --filter PreTokenizerTests/testSplitsEqualAnExternalFixture 2>&1 \
    | grep -E "error|differ|passed|failed" | grep -v "^Test Suite 'All" 
