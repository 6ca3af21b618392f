#!/usr/bin/env bash
# The database's size on disk over a long run with many checkpoints: configs/shakespeare-char-mlp
# .json with a checkpoint every --interval steps until --checkpoints have been written
# (training.keepCheckpoints keeps the newest 3 and the best). Prints the main file's and the
# write-ahead log's sizes after every 20th checkpoint; the main file must level off once pruned
# checkpoints' pages are reused, and the log stays under its automatic-checkpoint size plus the
# journal size limit.
#
# Usage: scripts/measure-db-growth.sh [--checkpoints N] [--interval STEPS]
# Environment: WORK (default /tmp/descent-db-growth), DESCENT (an executable instead of building).
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoints=200; interval=5
while [[ $# -gt 0 ]]; do
    case "$1" in
        --checkpoints) checkpoints="$2"; shift 2 ;;
        --interval) interval="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shakespeare=../shared/data/tinyshakespeare.txt
[[ -f $shakespeare ]] || { echo "needs $shakespeare" >&2; exit 1; }
if [[ -n ${DESCENT:-} ]]; then descent="$(realpath "$DESCENT")"; else swift build -c release --product descent >&2; descent="$PWD/.build/release/descent"; fi
work="${WORK:-/tmp/descent-db-growth}"; mkdir -p "$work"
[[ -f $work/data/manifest.json ]] || "$descent" prepare "$shakespeare" --out "$work/data" --split-by file >/dev/null
db="$work/growth.db"; rm -f "$db" "$db-wal" "$db-shm"
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) threads"
echo "checkpoint  db_bytes  wal_bytes  checkpoints_kept"
count=0
"$descent" train configs/shakespeare-char-mlp.json --run growth --db "$db" --log-format json \
    --set data.dir="$work/data" --set training.maxSteps=$((checkpoints * interval)) \
    --set training.checkpointInterval="$interval" --set training.evalInterval=$((interval * 10)) \
    --set training.evalBatches=2 --set training.logInterval="$interval" |
while read -r line; do
    [[ $line == *'"event":"checkpoint"'* ]] || continue
    count=$((count + 1))
    if (( count % 20 == 0 || count == 1 )); then
        kept=$("$descent" show growth --db "$db" | grep -c '^  [0-9]' || true)
        printf '%10d  %8d  %9d  %d\n' "$count" "$(size "$db")" "$(size "$db-wal")" "$kept"
    fi
done
