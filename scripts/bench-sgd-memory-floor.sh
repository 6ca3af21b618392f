#!/usr/bin/env bash
# The memory floor of config C's optimizer pass: a plain C loop doing the same SGD-momentum
# traffic (scripts/sgd-memory-floor.c) over its 2,626,048 parameters, caches emptied before each
# repetition. Compare its median with the update share of
# `descent-bench train --config C --breakdown` on the same machine, in the same session.
#
# Usage: scripts/bench-sgd-memory-floor.sh [--threads N] [--repetitions N] [--parameters N]
set -euo pipefail
threads=2 repetitions=50 parameters=2626048
while [[ $# -gt 0 ]]; do
  if [[ "$1" == --* && "$1" != --help && $# -lt 2 ]]; then
    echo "$1 needs a value (try --help)" >&2; exit 2
  fi
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --repetitions) repetitions="$2"; shift 2 ;;
    --parameters) parameters="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
compiler="$(command -v cc || command -v clang || true)"
if [[ -z "$compiler" ]]; then
  echo "needs a C compiler (cc or clang); the Swift toolchain's clang will do" >&2
  exit 1
fi
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(mktemp -d)/sgd-memory-floor"
trap 'rm -rf "$(dirname "$binary")"' EXIT
"$compiler" -O3 -march=native -o "$binary" "$here/sgd-memory-floor.c" -lpthread
grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
"$binary" "$parameters" "$threads" "$repetitions"
