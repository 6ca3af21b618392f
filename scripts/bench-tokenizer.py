#!/usr/bin/env python3
"""Descent's byte-level BPE against HF `tokenizers` (training) and tiktoken (encoding), side by
side in one session, interleaved round by round (peer, Descent, peer, Descent, ...), reported as
medians and ratios. Run through scripts/bench-tokenizer.sh, which builds the release binaries.

  training : vocabulary 4096, GPT-2 pattern, 2 threads each (HF: RAYON_NUM_THREADS=2, BpeTrainer
             with the ByteLevel pre-tokenizer, ../shared/bench/tokenizer_bench.py hf_train, which
             runs in a fresh process and includes reading the file; Descent: descent-bench
             tokenizer train, the same span), on tinyshakespeare and on the 50 MB corpus.
  encoding : the 50 MB corpus, Descent's tokenizer trained on tinyshakespeare at 4096, its ranks
             exported to tiktoken with the same pattern; tiktoken encode_ordinary on one thread
             (whole string and ~1 MiB chunks); Descent on 1 and 2 threads (~1 MiB pieces).
  prepare  : `descent prepare` of the 50 MB corpus end to end (read, fit or load, encode, shards),
             2 threads: with --tokenizer-from (encoding only) and with --tokenizer bpe (training too).
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH = os.path.join(ROOT, "..", "shared", "bench")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench-out"))
PY = sys.executable
DESCENT = os.path.join(ROOT, ".build", "release", "descent")
DBENCH = os.path.join(ROOT, ".build", "release", "descent-bench")
SHAKES = os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")
CORPUS = os.path.join(OUT, "corpus50m.txt")


def result(args, env=None):
    p = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, **(env or {})))
    lines = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
    if p.returncode != 0 or not lines:
        raise SystemExit(f"{args} failed: {p.stdout[-2000:]}{p.stderr[-2000:]}")
    return json.loads(lines[-1][7:])


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    os.makedirs(OUT, exist_ok=True)
    env = {"BENCH_OUT": OUT}
    if not os.path.exists(CORPUS):
        subprocess.run([PY, os.path.join(BENCH, "tokenizer_bench.py"), "corpus"], check=True, env=dict(os.environ, **env))
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
    print(f"CPU: {model}, {os.cpu_count()} logical CPUs; {rounds} interleaved rounds", flush=True)
    rows = {}

    def add(key, value):
        rows.setdefault(key, []).append(value)
        print(f"  {key}: {value:.3f}", flush=True)

    for name, corpus in (("tinyshakespeare", SHAKES), ("corpus50m", CORPUS)):
        for _ in range(rounds):
            hf = result([PY, os.path.join(BENCH, "tokenizer_bench.py"), "hf_train", corpus, "4096", os.path.join(OUT, "hf_bench.json")],
                        dict(env, RAYON_NUM_THREADS="2"))
            add(f"train {name} HF s", hf["train_s"])
            ours = result([DBENCH, "tokenizer", "train", "--corpus", corpus, "--vocab-size", "4096", "--pattern", "gpt2",
                           "--threads", "2", "--repeat", "1"])
            add(f"train {name} Descent s", ours["seconds"]["median"])

    data = os.path.join(OUT, "descent-bpe-shakes-4096")
    subprocess.run([DESCENT, "prepare", SHAKES, "--out", data, "--split-by", "file", "--tokenizer", "bpe", "--vocab-size", "4096",
                    "--split-pattern", "gpt2", "--overwrite"], check=True, capture_output=True)
    ranks = os.path.join(OUT, "descent-bpe-shakes-4096.tiktoken")
    subprocess.run([DESCENT, "tokenizer", "export", data, "--format", "tiktoken", "-o", ranks], check=True, capture_output=True)
    for _ in range(rounds):
        tk = result([PY, os.path.join(HERE, "bench_tiktoken_encode.py"), ranks, "gpt2", CORPUS, "--repeat", "1"])
        add("encode tiktoken whole MB/s", tk["whole"]["mb_per_s"])
        add("encode tiktoken chunks MB/s", tk["chunks"]["mb_per_s"])
        for threads in (1, 2):
            ours = result([DBENCH, "tokenizer", "encode", "--tokenizer", data, "--corpus", CORPUS, "--threads", str(threads),
                           "--repeat", "1"])
            add(f"encode Descent {threads}t MB/s", ours["mb_per_s"])
        t0 = time.perf_counter()
        subprocess.run([DESCENT, "prepare", CORPUS, "--out", os.path.join(OUT, "prepare-bench"), "--split-by", "file",
                        "--tokenizer-from", data, "--threads", "2", "--overwrite"], check=True, capture_output=True)
        add("prepare --tokenizer-from 2t MB/s", os.path.getsize(CORPUS) / (time.perf_counter() - t0) / 1e6)
        t0 = time.perf_counter()
        subprocess.run([DESCENT, "prepare", CORPUS, "--out", os.path.join(OUT, "prepare-bench"), "--split-by", "file",
                        "--tokenizer", "bpe", "--vocab-size", "4096", "--split-pattern", "gpt2", "--threads", "2", "--overwrite"],
                       check=True, capture_output=True)
        add("prepare --tokenizer bpe 2t MB/s", os.path.getsize(CORPUS) / (time.perf_counter() - t0) / 1e6)

    med = {k: statistics.median(v) for k, v in rows.items()}
    print("\nmedians:")
    for k, v in med.items():
        print(f"  {k:32s} {v:10.3f}   (all: {', '.join(f'{x:.3f}' for x in rows[k])})")
    print("ratios:")
    for name in ("tinyshakespeare", "corpus50m"):
        print(f"  train {name}: HF / Descent = {med[f'train {name} HF s'] / med[f'train {name} Descent s']:.2f}x")
    best_tk = med["encode tiktoken chunks MB/s"]
    print(f"  encode 1 thread: Descent / tiktoken whole = {med['encode Descent 1t MB/s'] / med['encode tiktoken whole MB/s']:.2f}x, "
          f"/ tiktoken chunks = {med['encode Descent 1t MB/s'] / best_tk:.2f}x")
    print(f"  encode 2 threads / 1 thread (Descent) = {med['encode Descent 2t MB/s'] / med['encode Descent 1t MB/s']:.2f}x")
    for kind in ("--tokenizer-from", "--tokenizer bpe"):
        print(f"  prepare {kind} (2 threads, end to end) / tiktoken 1 thread chunks = {med[f'prepare {kind} 2t MB/s'] / best_tk:.2f}x")


if __name__ == "__main__":
    main()
