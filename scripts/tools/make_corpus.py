"""Writes a large corpus for data-path benchmarks: the lines of a text file, shuffled with a fixed
seed and grouped into paragraphs of 1-12 lines, repeated until the output reaches --megabytes.

    python3 scripts/tools/make_corpus.py ../shared/data/tinyshakespeare.txt --megabytes 400 -o /tmp/corpus.txt

Deterministic: the same input and options give the same bytes.
"""
import argparse
import random


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("--megabytes", type=float, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    lines = [line for line in open(args.input, encoding="utf-8").read().split("\n") if line.strip()]
    generator = random.Random(args.seed)
    target = int(args.megabytes * 1_000_000)
    written = 0
    with open(args.output, "w", encoding="utf-8") as out:
        while written < target:
            order = lines[:]
            generator.shuffle(order)
            i = 0
            while i < len(order) and written < target:
                size = generator.randint(1, 12)
                paragraph = "\n".join(order[i:i + size]) + "\n\n"
                out.write(paragraph)
                written += len(paragraph.encode("utf-8"))
                i += size


if __name__ == "__main__":
    main()
