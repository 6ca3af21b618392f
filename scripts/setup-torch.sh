#!/usr/bin/env bash
# Creates (or reuses) .venv-torch/, the Python environment of the PyTorch twin (interop/torch) and
# the interop tests, with pinned packages, and prints its python as the last line of stdout:
#     scripts/setup-torch.sh            # CPU build of torch (what this repository's tests use)
#     scripts/setup-torch.sh --cuda     # on a GPU machine: the CUDA build instead (from PyPI)
# The venv goes to $DESCENT_TORCH_VENV (default .venv-torch in the repository root; gitignored).
# Re-running it is cheap. pip's output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=2.13.0
NUMPY_VERSION=2.4.6
SAFETENSORS_VERSION=0.8.0
VENV=${DESCENT_TORCH_VENV:-.venv-torch}
variant=cpu
case "${1:-}" in
  "") ;;
  --cuda) variant=cuda ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup-torch.sh: unknown option '$1' (expected --cuda or nothing)" >&2; exit 2 ;;
esac
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install -q "numpy==$NUMPY_VERSION" "safetensors==$SAFETENSORS_VERSION" >&2
if [ "$variant" = cpu ]; then
  # The +cpu wheel: pip finds it in a configured local wheel folder (find-links) or on the PyTorch
  # CPU index. A plain `pip install torch` resolves PyPI's CUDA build and gigabytes of CUDA
  # libraries, useless on a CPU machine.
  want="$TORCH_VERSION+cpu"
  "$VENV/bin/python" -c "import sys, torch; sys.exit(torch.__version__ != '$want')" 2>/dev/null \
    || "$VENV/bin/pip" install -q "torch==$want" >&2 \
    || "$VENV/bin/pip" install -q "torch==$want" --index-url https://download.pytorch.org/whl/cpu >&2 \
    || { echo "setup-torch.sh: could not install torch==$want (no local wheel and no access to" \
              "https://download.pytorch.org/whl/cpu)" >&2; exit 1; }
else
  # PyPI's default torch build is the CUDA one, with its CUDA libraries as dependencies.
  # The local wheel folder (find-links) would satisfy ==2.13.0 with the +cpu wheel: left out, and a
  # CPU torch already installed is replaced.
  if ! "$VENV/bin/python" -c "import sys, torch; sys.exit(not torch.version.cuda)" 2>/dev/null; then
    "$VENV/bin/pip" uninstall -q -y torch >&2 2>/dev/null || true
    PIP_FIND_LINKS= "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" --index-url https://pypi.org/simple >&2
  fi
fi
echo "$VENV/bin/python"
