#!/usr/bin/env bash
# Token-for-token check of Descent's byte-level BPE against tiktoken and HF tokenizers
# (scripts/check-bpe-vs-tiktoken.py says what is compared). Needs the bench venv
# (../shared/bench/setup.sh) and ../shared/data/tinyshakespeare.txt.
#   scripts/check-bpe-vs-tiktoken.sh [--vocab-size N] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$HOME/.cache/descent-bench-venv/bin/python}
swift build -c release --product descent >/dev/null
exec "$PY" scripts/check-bpe-vs-tiktoken.py "$@"
