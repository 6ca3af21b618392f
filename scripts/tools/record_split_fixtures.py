#!/usr/bin/env python3
"""Records how tiktoken's two split patterns cut a set of strings, as computed by the Python
`regex` module (the same syntax and leftmost-first semantics as tiktoken's fancy-regex), for the
Swift pre-tokenizer tests to compare with.

    ~/.cache/descent-bench-venv/bin/python scripts/tools/record_split_fixtures.py            # the committed fixture
    ~/.cache/descent-bench-venv/bin/python scripts/tools/record_split_fixtures.py --count 20000 --seed 7 --out FILE

Strings: hand-picked edge cases, then seeded random Unicode (random_unicode.py). Scalars drawn
from the whole code space are limited to those on which `regex` and tiktoken's engine agree
(regex 2026.x follows Unicode 17.0, tiktoken 0.14's engine 16.0), so a fixture tests the splitter,
not the version gap; the end-to-end check against tiktoken itself covers every scalar.
Output: JSON, a list of {"text", "gpt4", "gpt2"}, the splits as piece lengths in UTF-8 bytes."""
import argparse
import json
import os
import random
import sys

import regex

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_unicode_classes as classes  # noqa: E402
from random_unicode import random_text  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPT4 = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
GPT2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""

EDGE_CASES = [
    "", " ", "  ", "a", "Hello world's 12345!\n\n", "I'm WE'LL you'Re they'VE he'D it'S 'ſ 'ſt",
    "a\n\nb", "a \n\n b", "x\r\ny", "  leading", "trailing  ", "trailing\n", "tabs\t\tand\t",
    "1234567", "a1b22c333d4444", " 1 22 333 4444", "hello!!! ?? ...\n\n\nnext", " !\n", "(word) [x]",
    "don't can't WON'T", "'''s", "e\u0301t\u00e9 caf\u00e9", "\u4e2d\u6587\u5b57 \u65e5\u672c",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 123",
    "\u00a0\u00a0x", "\u3000word", " \u3000 word", "\u0085x", "\n\r\n\r", " \t\n \t\n x", "\u00bd\u00b2\u2165",
    "<|endoftext|>", "a<|endoftext|>b", "   \n   ", "\n ", " \n", "x \ny", "\ty", "\t\ty", "$100.00", "'\n",
]


def splits(pattern, text):
    return [len(m.group(0).encode("utf-8")) for m in regex.finditer(pattern, text)]


def agreeing_scalars():
    engine = {c: 0 for c in classes.SCALARS}
    for value, pattern in ((1, r"\p{L}"), (2, r"\p{N}"), (3, r"\s")):
        for c in classes.probe(pattern, classes.SCALARS):
            engine[c] = value
    oracle = {}
    for value, pattern in ((1, r"\p{L}"), (2, r"\p{N}"), (3, r"\s")):
        for c in classes.with_regex(pattern):
            oracle[c] = value
    return [c for c in classes.SCALARS if engine[c] == oracle.get(c, 0)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures", "splits.json"))
    args = parser.parse_args()
    whole = agreeing_scalars()
    r = random.Random(args.seed)
    texts = list(EDGE_CASES) + [random_text(r, whole, r.randint(1, 24)) for _ in range(args.count)]
    records = []
    for text in texts:
        pieces4, pieces2 = splits(GPT4, text), splits(GPT2, text)
        assert sum(pieces4) == len(text.encode("utf-8")) and sum(pieces2) == sum(pieces4), repr(text)
        records.append({"text": text, "gpt4": pieces4, "gpt2": pieces2})
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        # One record per line: small diffs when the fixture is regenerated.
        f.write("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n")
    print(f"wrote {len(records)} strings to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
