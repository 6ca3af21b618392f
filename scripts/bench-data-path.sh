#!/usr/bin/env bash
# The data path, three measurements:
#
#   prepare     `descent prepare` (character tokenizer) of a generated corpus of --megabytes MB
#               against `gzip -4 -c FILE > /dev/null` on the same file, alternating --rounds
#               times: MB/s of each and their ratio, prepare on 1 and on all threads, with the
#               peak RSS of each, and whether the two datasets are byte-identical. Then peak RSS
#               of prepare at --large-megabytes MB, to show that memory stays flat.
#   data-wait   prepares a ~400 MB corpus (tinyshakespeare's lines shuffled into paragraphs,
#               generated on the fly), trains config B's shape on it (the shakespeare-char-mlp
#               model, batch 256) for --steps steps, and prints the data_wait metric: the seconds
#               per log interval that training waited for a shard to be read.
#   overhead    trains configs/shakespeare-char-mlp.json as shipped and with metrics and
#               checkpoints off (one flush at the end, one final checkpoint), alternating
#               --rounds times, and prints the wall times and their ratio, and the share of each
#               run that the trainer itself timed in writing metrics and checkpoints.
#
# Usage: scripts/bench-data-path.sh [prepare|data-wait|overhead|all] [--steps N] [--rounds N]
#            [--megabytes N] [--large-megabytes N] [--compression-level N]
# --compression-level is passed to prepare's timed runs (default: prepare's own default).
# Environment: WORK (default /tmp/descent-data-path; holds the corpus, datasets and databases).
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"; [[ $# -gt 0 ]] && shift
steps=30000; rounds=3; megabytes=400; large=2000; level=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --steps) steps="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --megabytes) megabytes="$2"; shift 2 ;;
        --compression-level) level=(--compression-level "$2"); shift 2 ;;
        --large-megabytes) large="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shakespeare=../shared/data/tinyshakespeare.txt
[[ -f $shakespeare ]] || { echo "needs $shakespeare" >&2; exit 1; }
work="${WORK:-/tmp/descent-data-path}"
mkdir -p "$work"
swift build -c release --product descent >&2
descent=.build/release/descent
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) threads" >&2

# Seconds and peak RSS (KB) of a command, as "seconds kilobytes".
timed() {
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null
    cat "$work/time.txt"
}

if [[ $what == prepare || $what == all ]]; then
    [[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
    corpus="$work/corpus-${megabytes}mb.txt"
    [[ -f $corpus ]] || python3 scripts/tools/make_corpus.py "$shakespeare" --megabytes "$megabytes" -o "$corpus"
    bytes=$(stat -c %s "$corpus")
    threads=$(nproc)
    rows=()
    for ((round = 1; round <= rounds; round++)); do
        gzip_result=$(timed gzip -4 -c "$corpus")
        rm -rf "$work/prep-1" "$work/prep-n"
        one=$(timed "$descent" prepare "$corpus" --out "$work/prep-1" --split-by paragraphs --threads 1 "${level[@]}")
        all=$(timed "$descent" prepare "$corpus" --out "$work/prep-n" --split-by paragraphs --threads "$threads" "${level[@]}")
        rows+=("$gzip_result $one $all")
        echo "round $round: gzip -4 ${gzip_result% *} s; prepare 1 thread ${one% *} s; $threads threads ${all% *} s" >&2
    done
    identical=yes
    for file in "$work"/prep-1/*; do cmp -s "$file" "$work/prep-n/$(basename "$file")" || identical=no; done
    python3 - "$bytes" "$threads" "$identical" "${rows[@]}" <<'PY'
import statistics, sys
size, threads, identical = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = [[float(x) for x in row.split()] for row in sys.argv[4:]]
mbps = lambda seconds: size / seconds / 1e6
gzip = [mbps(r[0]) for r in rows]; one = [mbps(r[2]) for r in rows]; full = [mbps(r[4]) for r in rows]
ratio = [f / g for f, g in zip(full, gzip)]
print(f"{size / 1e6:.0f} MB: gzip -4 {statistics.median(gzip):.1f} MB/s; prepare 1 thread {statistics.median(one):.1f} MB/s "
      f"({statistics.median([o / g for o, g in zip(one, gzip)]):.2f}x), {threads} threads {statistics.median(full):.1f} MB/s; "
      f"{threads} threads / gzip -4 median of rounds {statistics.median(ratio):.2f}x (rounds {', '.join(f'{r:.2f}' for r in ratio)}); "
      f"peak RSS {max(r[3] for r in rows) / 1024:.0f} MB (1 thread), {max(r[5] for r in rows) / 1024:.0f} MB ({threads} threads); "
      f"1 and {threads} threads byte-identical: {identical}")
PY
    rm -rf "$work/prep-1" "$work/prep-n"
    if (( large > 0 )); then
        big="$work/corpus-${large}mb.txt"
        [[ -f $big ]] || python3 scripts/tools/make_corpus.py "$shakespeare" --megabytes "$large" -o "$big"
        result=$(timed "$descent" prepare "$big" --out "$work/prep-large" --split-by paragraphs)
        echo "$large MB: prepare ${result% *} s, $(python3 -c "print(f'{$large / ${result% *}:.1f}')") MB/s, peak RSS $(( ${result#* } / 1024 )) MB"
        rm -rf "$work/prep-large"
    fi
fi

if [[ $what == data-wait || $what == all ]]; then
    corpus="$work/corpus-${megabytes}mb.txt"
    [[ -f $corpus ]] || python3 scripts/tools/make_corpus.py "$shakespeare" --megabytes "$megabytes" -o "$corpus"
    [[ -f $work/big/manifest.json ]] || "$descent" prepare "$corpus" --out "$work/big" --split-by paragraphs >&2
    db="$work/data-wait.db"; rm -f "$db"*
    "$descent" train configs/shakespeare-char-mlp.json --run wait --db "$db" --quiet \
        --set data.dir="$work/big" --set training.maxSteps="$steps" --set training.evalBatches=50 >&2
    python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT step, value FROM metrics WHERE name = 'data_wait' ORDER BY step").fetchall()
total = sum(v for _, v in rows)
worst = max(rows, key=lambda r: r[1])
rate = db.execute("SELECT AVG(value) FROM metrics WHERE name = 'tokens_per_second'").fetchone()[0]
shards = db.execute("SELECT config_json FROM runs").fetchone()[0]
print(f"data_wait over {len(rows)} log intervals: total {total * 1e3:.2f} ms, largest {worst[1] * 1e3:.3f} ms (step {worst[0]}), "
      f"intervals above 1 ms: {sum(1 for _, v in rows if v > 1e-3)}; mean {rate:,.0f} tokens/s")
PY
fi

if [[ $what == overhead || $what == all ]]; then
    [[ -f data/shakespeare-char/manifest.json ]] || "$descent" prepare "$shakespeare" --out data/shakespeare-char --split-by file >&2
    shipped=(); off=()
    for ((round = 1; round <= rounds; round++)); do
        for mode in shipped off; do
            db="$work/overhead-$mode.db"; rm -f "$db"*
            extra=()
            [[ $mode == off ]] && extra=(--set training.logInterval=5000 --set training.checkpointInterval=0)
            start=$(date +%s.%N)
            summary=$("$descent" train configs/shakespeare-char-mlp.json --run o --db "$db" --quiet ${extra[@]+"${extra[@]}"} 2>&1 | tail -1)
            seconds=$(echo "$(date +%s.%N) - $start" | bc)
            if [[ $mode == shipped ]]; then shipped+=("$seconds"); else off+=("$seconds"); fi
            # The trainer's own account: the share of the session spent writing metrics and checkpoints.
            echo "round $round $mode: $seconds s; $(grep -o '[0-9.]*% of it writing metrics and checkpoints' <<< "$summary")" >&2
        done
    done
    python3 - "${shipped[*]}" "${off[*]}" <<'PY'
import statistics, sys
shipped = [float(x) for x in sys.argv[1].split()]
off = [float(x) for x in sys.argv[2].split()]
ratios = [a / b for a, b in zip(shipped, off)]
print(f"shakespeare-char-mlp, 5,000 steps: shipped intervals {statistics.median(shipped):.2f} s, metrics and checkpoints off "
      f"{statistics.median(off):.2f} s; shipped/off median of pairs {statistics.median(ratios):.4f} "
      f"(pairs {', '.join(f'{r:.4f}' for r in ratios)})")
PY
fi
