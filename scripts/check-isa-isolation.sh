#!/usr/bin/env bash
# Checks, on the release build, that the AVX-512 GEMM instance is isolated, so that the binary runs
# on AVX2-only CPUs (Zen 3, Haswell):
#   1. GemmAVX512's micro-kernels use zmm FMAs (vfmadd...ps on zmm);
#   2. no function outside GemmAVX512 contains an AVX-512 instruction (any EVEX-encoded
#      instruction, or one on mask registers), and GemmAVX512 defines no symbol that another
#      object file also defines (the linker could otherwise keep its x86-64-v4 copy for everyone);
#      code outside GemmAVX512 calls (or takes the address of) only its two entry points;
#   3. the baseline instance's micro-kernels use ymm FMAs, and nothing calls fmaf.
# Prints the evidence and exits non-zero on the first violated property.
#
# Usage: scripts/check-isa-isolation.sh [BINARY]   (default: $SCRATCH/release/descent-bench)
# Environment: SCRATCH (SwiftPM scratch path, default .build). Needs objdump, nm and python3.
# x86-64 only.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCRATCH:-.build}"
swift build -c release --scratch-path "$scratch" >&2
binary="${1:-$scratch/release/descent-bench}"
exec python3 - "$scratch/release" "$binary" <<'PYEOF'
import collections, glob, os, re, subprocess, sys
release, binary = sys.argv[1:3]

def defined_text_symbols(obj):
    out = subprocess.run(["nm", "--defined-only", obj], capture_output=True, text=True, check=True).stdout
    return {line.split()[2] for line in out.splitlines() if len(line.split()) == 3 and line.split()[1] in "tTwW"}

wide_objects = glob.glob(os.path.join(release, "GemmAVX512.build", "*.o"))
other_objects = [o for o in glob.glob(os.path.join(release, "*.build", "*.o")) if "/GemmAVX512.build/" not in o]
if not wide_objects:
    sys.exit("no GemmAVX512 object files under " + release)
wide = set().union(*(defined_text_symbols(o) for o in wide_objects))
others = collections.defaultdict(set)
for o in other_objects:
    for s in defined_text_symbols(o):
        others[s].add(os.path.basename(os.path.dirname(o)))
shared = sorted(s for s in wide if s in others)

def demangle(names):
    if not names:
        return []
    return subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                          capture_output=True, text=True, check=True).stdout.splitlines()

# Disassemble the final binary: function -> instructions (raw bytes, text).
dump = subprocess.run(["objdump", "-d", "--insn-width=16", binary], capture_output=True, text=True, check=True).stdout
functions = collections.defaultdict(list)
current = None
for line in dump.splitlines():
    m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
    if m:
        current = m.group(1)
        continue
    m = re.match(r"^\s+[0-9a-f]+:\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$", line)
    if m and current:
        functions[current].append((m.group(1).split(), m.group(2).strip()))

PREFIXES = {"67", "26", "2e", "36", "3e", "64", "65"}
def is_avx512(raw, text):
    i = 0
    while i < len(raw) and raw[i] in PREFIXES:
        i += 1
    # In 64-bit mode 0x62 starts an EVEX instruction (BOUND does not exist there); AVX-512 mask
    # instructions are VEX-encoded but name %k registers.
    return (i < len(raw) and raw[i] == "62") or re.search(r"%k[0-7]\b", text) is not None

avx512_functions = {f for f, insns in functions.items() if any(is_avx512(r, t) for r, t in insns)}
names = dict(zip(sorted(functions), demangle(sorted(functions))))
def fmas(insns, register):
    return sum(1 for _, t in insns if re.match(r"vfmadd\d+ps", t) and register in t)
failures = []

# 1. zmm FMAs in the AVX-512 instance.
wide_fma = {f: fmas(insns, "zmm") for f, insns in functions.items() if f in wide}
print("1. GemmAVX512 functions with zmm FMAs (count, function):")
for f in sorted(wide_fma, key=lambda f: names[f]):
    if wide_fma[f]:
        print(f"   {wide_fma[f]:4d}  {names[f]}  [{f}]")
if not any(wide_fma.values()):
    failures.append("1: no zmm FMA in any GemmAVX512 function")

# 2. AVX-512 only inside GemmAVX512; no symbol shared with another object; only entry points called.
outside = sorted(avx512_functions - wide)
print(f"2. functions with AVX-512 instructions: {len(avx512_functions)}, of which outside GemmAVX512: {len(outside)}")
for f in sorted(avx512_functions & wide, key=lambda f: names[f]):
    print("   inside:  " + names[f])
for f in outside:
    print("   OUTSIDE: " + names[f])
if outside:
    failures.append(f"2: {len(outside)} functions outside GemmAVX512 contain AVX-512 instructions")
print(f"   GemmAVX512 defines {len(wide)} text symbols; also defined by another object file: {len(shared)}")
for s, name in zip(shared, demangle(shared)):
    print(f"   SHARED: {name} (also in {', '.join(sorted(others[s]))})")
if shared:
    failures.append(f"2: {len(shared)} GemmAVX512 symbols are also defined elsewhere")
entry = {s for s in wide if "10GemmAVX512" in s and "GemmKernel" not in s}
called = collections.Counter()
for f, insns in functions.items():
    if f in wide:
        continue
    for _, t in insns:
        m = re.match(r"(?:call|jmp)\w*\s+[0-9a-f]+ <([^>+]+)>", t) or re.search(r"# [0-9a-f]+ <([^>+]+)>$", t)
        if m and m.group(1) in wide:
            called[m.group(1)] += 1
print("   GemmAVX512 symbols called or referenced from outside it: " + (", ".join(demangle(sorted(called))) or "none"))
if set(called) - entry:
    failures.append("2: code outside GemmAVX512 calls into it past its entry points: " + ", ".join(demangle(sorted(set(called) - entry))))

# 3. The baseline instance: ymm FMAs, no fmaf anywhere.
baseline = {f: fmas(insns, "ymm") for f, insns in functions.items()
            if f not in wide and "specialized" in names[f] and "GemmKernel" in names[f]}
print("3. baseline GemmKernel specializations with ymm FMAs (count, function):")
for f in sorted(baseline, key=lambda f: names[f]):
    if baseline[f]:
        print(f"   {baseline[f]:4d}  {names[f]}  [{f}]")
fmaf_calls = [f for f, insns in functions.items() if any(re.search(r"call\w*\s+[0-9a-f]+ <fmaf", t) for _, t in insns)]
print(f"   functions calling fmaf: {len(fmaf_calls)}")
for f in fmaf_calls:
    print("   FMAF: " + names[f])
if not any(baseline.values()):
    failures.append("3: no ymm FMA in the baseline GemmKernel specializations")
if fmaf_calls:
    failures.append(f"3: {len(fmaf_calls)} functions call fmaf")

for failure in failures:
    print("FAILED " + failure)
print("all three properties hold" if not failures else f"{len(failures)} properties violated")
sys.exit(1 if failures else 0)
PYEOF
