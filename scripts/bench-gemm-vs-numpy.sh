#!/usr/bin/env bash
# Side-by-side GEMM benchmark: Descent's kernels against numpy (OpenBLAS) on the same cells,
# interleaved, then per-cell medians, ratios and per-config geometric means.
#
# For each round, each GEMM cell of the chosen shape groups (square, A, B, C; the cells of
# ../shared/bench/gemm_bench.py) and each thread count: wait until the machine is idle, run
# `descent-bench kernels --json --cell …` on that one cell, then pipe its output through
# ../shared/bench/gemm_numpy.py, which times numpy on the same cell. The two sides of a pair run
# within a second or two of each other, which matters here: on a shared virtual machine the speed
# of both drifts by 10-30% over minutes with load that no process inside it can see. Each run is
# tagged with the CPU load of other processes while it ran; a pair where either side saw more than
# --max-load cores of background load is repeated (up to 3 times) and then kept but flagged.
# Reported per cell: medians of each side, the median over rounds of the paired ratio, and the
# ratio of each side's best round (slowdowns from the host are one-sided, so the best rounds are the
# least disturbed). 1-thread pairs run both sides pinned to one core, alternating cores between
# rounds (the host's cores differ in speed from moment to moment). AGGREGATE_ONLY=1 re-prints the
# tables from an existing $OUT/cells.json. Niced processes count as load too: with the kernel's
# autogroup scheduling a niced job in another session still takes its share of the cores, and
# OpenBLAS's 2-thread GEMM collapses 5-100x beside one.
#
# Usage: scripts/bench-gemm-vs-numpy.sh [--rounds N] [--coretype NAME] [--max-load X] [-- bench options]
#   --rounds N        rounds of the interleaved pairs (default 3)
#   --coretype NAME   run numpy with OPENBLAS_CORETYPE=NAME (e.g. Haswell, OpenBLAS's AVX2 kernel);
#                     default: unset, so OpenBLAS picks its kernel for this CPU
#   --max-load X      background cores above which a pair is redone (default 0.3)
#   options after --  go to `descent-bench kernels`, e.g. -- --shapes B,C --threads 2
# Environment: PY (default ~/.cache/descent-bench-venv/bin/python), SCRATCH (SwiftPM scratch
# path, default .build), SWIFT_BUILD_FLAGS (extra `swift build` flags; use their own SCRATCH),
# DESCENT_ISA (avx2, avx512 or auto: the GEMM instance Descent runs, default auto, the widest the
# CPU has; the table's header names the one that ran), OUT (work folder, default
# bench-out/gemm-vs-numpy), SHARED_BENCH (the peer scripts, default ../shared/bench),
# IDLE_WAIT_SECONDS (how long each pair waits for the machine to go idle, default 300; lower it on
# a machine that another user keeps busy, and raise --max-load to match).
# Writes $OUT/cells.json (every run) and $OUT/summary.json; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
coretype=""
max_load=0.3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --coretype) coretype="$2"; shift 2 ;;
        --max-load) max_load="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "unknown option $1 (descent-bench options go after --)" >&2; exit 2 ;;
    esac
done

PY="${PY:-$HOME/.cache/descent-bench-venv/bin/python}"
SCRATCH="${SCRATCH:-.build}"
OUT="${OUT:-bench-out/gemm-vs-numpy}"
SHARED_BENCH="${SHARED_BENCH:-../shared/bench}"
mkdir -p "$OUT"

# shellcheck disable=SC2086
[[ -n "${AGGREGATE_ONLY:-}" ]] || swift build -c release --scratch-path "$SCRATCH" ${SWIFT_BUILD_FLAGS:-} --product descent-bench >&2

exec "$PY" - "$SCRATCH/release/descent-bench" "$SHARED_BENCH" "$OUT" "$rounds" "$coretype" "$max_load" "$@" <<'PYEOF'
import json, math, os, statistics, subprocess, sys, time
bench, shared, out, rounds, coretype, max_load = sys.argv[1:7]
rounds, max_load = int(rounds), float(max_load)
args = sys.argv[7:]
def take(option, default):
    global args
    if option not in args:
        return default
    i = args.index(option)
    value = args[i + 1]
    args = args[:i] + args[i + 2:]
    return value
groups = take("--shapes", "square,A,B,C").split(",")
thread_counts = take("--threads", "1,2").split(",")
sys.path.insert(0, shared)
sys.dont_write_bytecode = True
from gemm_bench import model_shapes  # noqa: E402
cells = []
for label, M, K, N, transposes_a, transposes_b in model_shapes():
    group = "square" if label.startswith("square") else label.split()[0]
    if group in groups:
        cells.append(("gemm_tn" if transposes_a else "gemm_nt" if transposes_b else "gemm_nn", M, N, K))

numpy_env = dict(os.environ)
numpy_env.pop("OPENBLAS_L2_SIZE", None)
numpy_env.pop("OPENBLAS_CORETYPE", None)
if coretype:
    numpy_env["OPENBLAS_CORETYPE"] = coretype

HZ = os.sysconf("SC_CLK_TCK")

def busy():
    """CPU seconds spent so far by all processes: all time except idle and iowait."""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:9]))
    return (sum(v) - v[3] - v[4]) / HZ

def wait_idle(threshold=0.15, timeout=float(os.environ.get("IDLE_WAIT_SECONDS", "300"))):
    """Waits until other processes use < threshold cores over 1 s, or timeout."""
    end = time.time() + timeout
    while True:
        b0, w0 = busy(), time.perf_counter()
        time.sleep(1.0)
        load = (busy() - b0) / (time.perf_counter() - w0)
        if load < threshold or time.time() > end:
            return load
        time.sleep(2.0)

CPUS = sorted(os.sched_getaffinity(0))

def measured(cmd, stdin_text=None, env=None, cpu=None):
    """Runs cmd (on `cpu` alone when given); returns (stdout, cores other processes kept busy
    meanwhile)."""
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    b0, t0, w0 = busy(), os.times(), time.perf_counter()
    result = subprocess.run(cmd, input=stdin_text, capture_output=True, text=True, env=env, check=True, preexec_fn=pin)
    b1, t1, w1 = busy(), os.times(), time.perf_counter()
    own = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    return result.stdout, max(0.0, (b1 - b0 - own) / max(w1 - w0, 1e-9))

runs = json.load(open(os.path.join(out, "cells.json"))) if os.environ.get("AGGREGATE_ONLY") else []
for r in range(1, 0 if runs else rounds + 1):
    for op, m, n, k in cells:
        for threads in thread_counts:
            # Both sides of a 1-thread pair run on the same core, alternating between cores from
            # round to round: this host's cores are not equally fast at any moment (pinned, the same
            # L2-bound loop measured 97-154 GFLOP/s on one and 107-167 on the other, seconds apart),
            # and unpinned the two sides of a pair could land on different ones.
            cpu = CPUS[(r - 1) % len(CPUS)] if threads == "1" and len(CPUS) > 1 else None
            for attempt in range(1, 4):
                wait_idle()
                ours, ours_load = measured([bench, "kernels", "--json", "--gemm-only", "--cell", f"{op}:{m}:{n}:{k}",
                                            "--threads", threads] + args, cpu=cpu)
                both, numpy_load = measured([sys.executable, os.path.join(shared, "gemm_numpy.py")], ours, numpy_env, cpu=cpu)
                load = max(ours_load, numpy_load)
                cell = json.loads(both)[0]
                print(f"round {r} {op} {m}x{n}x{k} threads {threads}" + (f" (cpu {cpu})" if cpu is not None else "") +
                      f": {cell['gflops']:.1f} vs {cell['numpy_gflops']:.1f} GFLOP/s, "
                      f"background {ours_load:.2f}/{numpy_load:.2f} cores" + (" - redo" if load > max_load and attempt < 3 else ""),
                      file=sys.stderr, flush=True)
                if load <= max_load or attempt == 3:
                    break
            cell.update(round=r, background_load=round(load, 2), loaded=load > max_load, cpu=cpu)
            runs.append(cell)
if not os.environ.get("AGGREGATE_ONLY"):
    json.dump(runs, open(os.path.join(out, "cells.json"), "w"), indent=1)
rounds = max(c["round"] for c in runs)

cells = {}
for c in runs:
    cells.setdefault((c["label"], c["op"], c["m"], c["n"], c["k"], c["threads"]), []).append(c)
rows = []
for key, rs in cells.items():
    clean = [x for x in rs if not x["loaded"]] or rs
    ours = statistics.median(x["gflops"] for x in clean)
    numpy = statistics.median(x["numpy_gflops"] for x in clean)
    rows.append(dict(label=key[0], op=key[1], m=key[2], n=key[3], k=key[4], threads=key[5], rounds=len(clean),
                     descent_gflops=round(ours, 2), numpy_gflops=round(numpy, 2), ratio=round(ours / numpy, 3),
                     ratio_of_rounds=round(statistics.median(x["gflops"] / x["numpy_gflops"] for x in clean), 3),
                     descent_best=round(max(x["gflops"] for x in clean), 2), numpy_best=round(max(x["numpy_gflops"] for x in clean), 2),
                     ratio_of_best=round(max(x["gflops"] for x in clean) / max(x["numpy_gflops"] for x in clean), 3)))
config = lambda r: r["label"].split()[0] if r["label"][0] in "ABC" else "square"
rows.sort(key=lambda r: (r["threads"], config(r) != "square", config(r), r["label"]))
isas = sorted({c.get("isa", "unknown") for c in runs})
print(f"Descent's GEMM instruction set: {', '.join(isas)}; numpy's OpenBLAS kernel: {coretype or 'auto'}; medians over {rounds} interleaved rounds "
      f"(rounds with > {max_load} background cores dropped when others were clean)")
print("GFLOP/s: median over rounds, and best round; paired = median over rounds of ours/numpy within a pair;")
print("best = ratio of the two best rounds")
print(f"{'shape':40} {'op':8} {'thr':>3} {'Descent':>8} {'numpy':>8} {'paired':>7} {'best D':>7} {'best np':>7} {'best':>6}")
for r in rows:
    print(f"{r['label']:40} {r['op']:8} {r['threads']:>3} {r['descent_gflops']:8.1f} {r['numpy_gflops']:8.1f} {r['ratio_of_rounds']:7.3f}"
          f" {r['descent_best']:7.1f} {r['numpy_best']:7.1f} {r['ratio_of_best']:6.3f}")
print("\ngeometric mean of the ratios per config and thread count, paired | best (lowest in brackets):")
summary = {}
for r in rows:
    summary.setdefault((config(r), r["threads"]), []).append((r["ratio_of_rounds"], r["ratio_of_best"]))
geo = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
for (g, t), rs in sorted(summary.items()):
    paired, best = [x[0] for x in rs], [x[1] for x in rs]
    print(f"  {g:7} threads {t}: {geo(paired):.3f} (lowest {min(paired):.3f}) | {geo(best):.3f} (lowest {min(best):.3f}), {len(rs)} shapes")
json.dump(rows, open(os.path.join(out, "summary.json"), "w"), indent=1)
PYEOF
