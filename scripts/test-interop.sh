#!/usr/bin/env bash
# Runs every Python interop test (interop/tests: the PyTorch twin's parity tests, the numpy check
# of exported weights, the llm.c shard reader) with the twin's venv, after building Descent's
# release executables (DESCENT_BIN and DESCENT_BENCH_BIN point the tests at them).
#     scripts/test-interop.sh            # the default set, about two minutes on 2 cores
#     scripts/test-interop.sh --long     # also names-mlp for 20,000 steps in both trainers (minutes)
#     scripts/test-interop.sh -k twin    # extra arguments go to `python -m unittest discover`
# Without the venv (scripts/setup-torch.sh creates it) it says so and exits 0: nothing to test.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DESCENT_TORCH_VENV:-.venv-torch}
PY="$VENV/bin/python"
args=()
for arg in "$@"; do
  case "$arg" in
    --long) export DESCENT_INTEROP_LONG=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$arg") ;;
  esac
done
if [ ! -x "$PY" ]; then
  echo "test-interop.sh: skipped: no Python venv at $VENV (create it with scripts/setup-torch.sh)"
  exit 0
fi
swift build -c release --product descent >&2
swift build -c release --product descent-bench >&2
bin=$(swift build -c release --show-bin-path)
export DESCENT_BIN="$bin/descent" DESCENT_BENCH_BIN="$bin/descent-bench"
exec "$PY" -m unittest discover -s interop/tests "${args[@]}"
