#!/usr/bin/env bash
# Side-by-side GEMM benchmark: Descent's kernels against numpy (OpenBLAS) on the same cells,
# interleaved (for each round and each shape group: ours, then numpy), then per-cell medians,
# ratios and per-config geometric means.
#
# Usage: scripts/bench-gemm-vs-numpy.sh [--rounds N] [--coretype NAME] [-- descent-bench kernels options]
#   --rounds N        rounds of the interleaved pair (default 3)
#   --coretype NAME   run numpy with OPENBLAS_CORETYPE=NAME (e.g. Haswell, the AVX2 kernel);
#                     default: unset, so OpenBLAS picks its kernel for this CPU
#   options after --  go to `descent-bench kernels`, e.g. -- --shapes B,C --threads 2
# Environment: PY (default ~/.cache/descent-bench-venv/bin/python), SCRATCH (SwiftPM scratch
# path, default .build), OUT (work folder, default bench-out/gemm-vs-numpy), SHARED_BENCH (the
# peer scripts, default ../shared/bench).
# Writes $OUT/round-R-GROUP.json (raw cells) and $OUT/summary.json; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
coretype=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --coretype) coretype="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "unknown option $1 (descent-bench options go after --)" >&2; exit 2 ;;
    esac
done

PY="${PY:-$HOME/.cache/descent-bench-venv/bin/python}"
SCRATCH="${SCRATCH:-.build}"
OUT="${OUT:-bench-out/gemm-vs-numpy}"
NUMPY_SCRIPT="${SHARED_BENCH:-../shared/bench}/gemm_numpy.py"
mkdir -p "$OUT"

swift build -c release --scratch-path "$SCRATCH" --product descent-bench >&2
BENCH="$SCRATCH/release/descent-bench"

groups="square,A,B,C"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[$i]}" == "--shapes" ]]; then groups="${args[$((i + 1))]}"; fi
done
filtered=()
skip=0
for a in "${args[@]}"; do
    if [[ $skip == 1 ]]; then skip=0; continue; fi
    if [[ "$a" == "--shapes" ]]; then skip=1; continue; fi
    filtered+=("$a")
done

if [[ -n "$coretype" ]]; then numpy_env=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$coretype"); else numpy_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE); fi

echo "load before: $(uptime)" >&2
for ((round = 1; round <= rounds; round++)); do
    for group in ${groups//,/ }; do
        file="$OUT/round-$round-$group.json"
        "$BENCH" kernels --json --gemm-only --shapes "$group" ${filtered[@]+"${filtered[@]}"} 2>/dev/null \
            | "${numpy_env[@]}" "$PY" "$NUMPY_SCRIPT" > "$file" 2>/dev/null
        echo "round $round $group done ($(cut -d, -f1 /proc/loadavg | cut -d' ' -f1) load)" >&2
    done
done
echo "load after: $(uptime)" >&2

"$PY" - "$OUT" "$rounds" "${coretype:-auto}" <<'PYEOF'
import glob, json, math, statistics, sys
out, rounds, coretype = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cells = {}
for path in sorted(glob.glob(f"{out}/round-*.json")):
    for c in json.load(open(path)):
        key = (c["label"], c["op"], c["m"], c["n"], c["k"], c["threads"])
        cells.setdefault(key, []).append(c)
rows = []
for key, runs in cells.items():
    ours = statistics.median(r["gflops"] for r in runs)
    numpy = statistics.median(r["numpy_gflops"] for r in runs)
    ratios = [r["gflops"] / r["numpy_gflops"] for r in runs]
    rows.append(dict(label=key[0], op=key[1], m=key[2], n=key[3], k=key[4], threads=key[5], rounds=len(runs),
                     descent_gflops=round(ours, 2), numpy_gflops=round(numpy, 2),
                     ratio=round(ours / numpy, 3), ratio_round_median=round(statistics.median(ratios), 3)))
rows.sort(key=lambda r: (r["threads"], r["label"][0] if r["label"][0] in "ABC" else " ", r["label"]))
print(f"numpy OpenBLAS core type: {coretype}; medians over {rounds} interleaved rounds")
print(f"{'shape':42} {'op':8} {'thr':>3} {'Descent':>8} {'numpy':>8} {'ratio':>6}")
for r in rows:
    print(f"{r['label']:42} {r['op']:8} {r['threads']:>3} {r['descent_gflops']:8.1f} {r['numpy_gflops']:8.1f} {r['ratio']:6.3f}")
print()
print("geometric mean of ratios per config and thread count (min ratio):")
groups = {}
for r in rows:
    g = r["label"].split()[0] if r["label"][0] in "ABC" else "square"
    groups.setdefault((g, r["threads"]), []).append(r["ratio"])
for (g, t), rs in sorted(groups.items()):
    gm = math.exp(sum(math.log(x) for x in rs) / len(rs))
    print(f"  {g:7} threads {t}: {gm:.3f}  (min {min(rs):.3f}, {len(rs)} shapes)")
json.dump(rows, open(f"{out}/summary.json", "w"), indent=1)
PYEOF
