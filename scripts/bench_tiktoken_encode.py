#!/usr/bin/env python3
"""tiktoken's encoding speed with Descent's exported ranks and pattern, one thread:
    bench_tiktoken_encode.py RANKS.tiktoken gpt2|gpt4 CORPUS [--repeat 3]
Prints `RESULT {json}`: seconds (median/min/max) of encode_ordinary on the whole string and on
~1 MiB chunks cut at line ends (as ../shared/bench/tokenizer_bench.py cuts them), and MB/s."""
import json
import os
import statistics
import sys
import time

import tiktoken
from tiktoken.load import load_tiktoken_bpe

PATTERNS = {
    "gpt4": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
}


def chunks_of(text, size=1 << 20):
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return out


def main():
    ranks_path, pattern, corpus = sys.argv[1:4]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    ranks = load_tiktoken_bpe(ranks_path)
    enc = tiktoken.Encoding("descent", pat_str=PATTERNS[pattern], mergeable_ranks=ranks,
                            special_tokens={"<|endoftext|>": len(ranks)})
    text = open(corpus, encoding="utf-8").read()
    nbytes = len(text.encode("utf-8"))
    chunks = chunks_of(text)
    enc.encode_ordinary(text[:1_000_000])
    result = {"bench": "tiktoken-encode", "tiktoken": tiktoken.__version__, "bytes": nbytes, "vocab": len(ranks) + 1}
    for name, fn in (("whole", lambda: len(enc.encode_ordinary(text))),
                     ("chunks", lambda: sum(len(enc.encode_ordinary(c)) for c in chunks))):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            tokens = fn()
            times.append(time.perf_counter() - t0)
        m = statistics.median(times)
        result[name] = {"seconds": {"median": m, "min": min(times), "max": max(times)}, "tokens": tokens, "mb_per_s": nbytes / m / 1e6}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
