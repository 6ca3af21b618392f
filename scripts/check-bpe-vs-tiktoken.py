#!/usr/bin/env python3
"""Checks Descent's byte-level BPE token for token against tiktoken, and its exported
tokenizer.json against Hugging Face `tokenizers`.

For each split pattern (gpt4 = cl100k's pat_str, gpt2 = r50k's) it trains a tokenizer with
`descent prepare --tokenizer bpe` on tinyshakespeare plus seeded random Unicode text, exports it
(`descent tokenizer export --format tiktoken|hf`), then encodes three texts with
`descent prepare --tokenizer-from` (so the whole pipeline is checked: pieces cut at safe cuts,
shards) and compares the shard tokens with
  tiktoken.Encoding(name, pat_str=tiktoken's pattern, mergeable_ranks=<exported ranks>,
                    special_tokens={"<|endoftext|>": id}).encode_ordinary(text)
and with tokenizers.Tokenizer.from_file(<exported tokenizer.json>) (encode_special_tokens on):
  - tinyshakespeare;
  - the Swift sources of this repository, concatenated in path order;
  - seeded random Unicode (emoji and ZWJ sequences, CJK, combining marks, RTL scripts, mixed
    scripts, whitespace runs, digits of every length, contractions in both cases, and scalars
    drawn from the whole code space).

    scripts/check-bpe-vs-tiktoken.sh            # builds descent (release) and runs this
Exit status 1 when any tiktoken comparison differs. HF differences are reported, not fatal when
they come from the regex engines' Unicode tables (Oniguruma's differs from tiktoken's).
"""
import argparse
import glob
import gzip
import os
import random
import struct
import subprocess
import sys
import tempfile

import tiktoken
import tiktoken.load
import tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "tools"))
from random_unicode import random_text  # noqa: E402

PATTERNS = {
    "gpt4": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
    "gpt2": r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s""",
}
ALL_SCALARS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def shard_tokens(directory):
    tokens = []
    for split in ("train", "val"):
        for path in sorted(glob.glob(os.path.join(directory, f"{split}_*.bin.gz"))):
            data = gzip.open(path).read()
            magic, _, count = struct.unpack("<3i", data[:12])
            width = 2 if magic == 20240520 else 4
            tokens += list(struct.unpack(f"<{count}{'H' if width == 2 else 'I'}", data[1024:1024 + count * width]))
    return tokens


def descent_encode(descent, tokenizer_dir, text, work, name):
    path = os.path.join(work, name + ".txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    out = os.path.join(work, name + "-data")
    run([descent, "prepare", path, "--out", out, "--split-by", "file", "--val-fraction", "0", "--tokenizer-from", tokenizer_dir])
    tokens = shard_tokens(out)
    # The stream is B text B.
    return tokens[1:-1]


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--descent", default=os.path.join(ROOT, ".build", "release", "descent"))
    parser.add_argument("--shakespeare", default=os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt"))
    parser.add_argument("--vocab-size", type=int, default=2048)
    parser.add_argument("--random-chars", type=int, default=400_000, help="fragments of random Unicode text")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    shakespeare = open(args.shakespeare, encoding="utf-8").read()
    swift_files = sorted(glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True)
                         + glob.glob(os.path.join(ROOT, "Tests", "**", "*.swift"), recursive=True))
    swift = "".join(open(p, encoding="utf-8").read() for p in swift_files)
    r = random.Random(args.seed)
    train_random = random_text(r, ALL_SCALARS, args.random_chars // 4)
    check_random = random_text(r, ALL_SCALARS, args.random_chars)
    texts = {"tinyshakespeare": shakespeare, "swift-sources": swift, "random-unicode": check_random}
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        corpus = os.path.join(work, "random-train.txt")
        with open(corpus, "w", encoding="utf-8", newline="") as f:
            f.write(train_random)
        for pattern, pat_str in PATTERNS.items():
            data = os.path.join(work, f"bpe-{pattern}")
            run([args.descent, "prepare", args.shakespeare, corpus, "--out", data, "--split-by", "file",
                 "--tokenizer", "bpe", "--vocab-size", str(args.vocab_size), "--split-pattern", pattern])
            ranks_path, hf_path = os.path.join(work, f"{pattern}.tiktoken"), os.path.join(work, f"{pattern}.json")
            run([args.descent, "tokenizer", "export", data, "--format", "tiktoken", "-o", ranks_path])
            run([args.descent, "tokenizer", "export", data, "--format", "hf", "-o", hf_path])
            ranks = tiktoken.load.load_tiktoken_bpe(ranks_path)
            boundary = len(ranks)
            enc = tiktoken.Encoding(name=f"descent-{pattern}", pat_str=pat_str, mergeable_ranks=ranks,
                                    special_tokens={"<|endoftext|>": boundary})
            hf = tokenizers.Tokenizer.from_file(hf_path)
            hf.encode_special_tokens = True
            for name, text in texts.items():
                ours = descent_encode(args.descent, data, text, work, f"{pattern}-{name}")
                theirs = enc.encode_ordinary(text)
                hf_ids = hf.encode(text, add_special_tokens=False).ids
                d = first_difference(ours, theirs)
                status = "equal" if d < 0 else f"DIFFER at token {d}"
                if d >= 0:
                    failures += 1
                hd = first_difference(ours, hf_ids)
                hf_status = "equal" if hd < 0 else f"differs at token {hd} ({sum(x != y for x, y in zip(ours, hf_ids))} ids)"
                print(f"{pattern} V={boundary + 1} {name:16s} {len(text.encode('utf-8')):>9,} bytes {len(ours):>9,} tokens: "
                      f"tiktoken {status}; HF tokenizers {hf_status}")
                if d >= 0:
                    print(f"    ours {ours[max(0, d - 3):d + 5]} tiktoken {theirs[max(0, d - 3):d + 5]}; "
                          f"text near it: {enc.decode(theirs[max(0, d - 3):d + 5])!r}")
                if hd >= 0 and name != "random-unicode":
                    print(f"    HF {hf_ids[max(0, hd - 3):hd + 5]} vs ours {ours[max(0, hd - 3):hd + 5]}")
    print("all tiktoken comparisons equal" if failures == 0 else f"{failures} tiktoken comparison(s) differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
