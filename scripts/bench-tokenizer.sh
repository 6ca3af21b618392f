#!/usr/bin/env bash
# Byte-level BPE speed against HF tokenizers (training) and tiktoken (encoding), interleaved in one
# session; see scripts/bench-tokenizer.py. Needs the bench venv (../shared/bench/setup.sh).
#   scripts/bench-tokenizer.sh [ROUNDS]      # default 3; writes into $BENCH_OUT (default bench-out/)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$HOME/.cache/descent-bench-venv/bin/python}
swift build -c release --product descent >/dev/null
swift build -c release --product descent-bench >/dev/null
exec "$PY" scripts/bench-tokenizer.py "$@"
