#!/usr/bin/env python3
"""Generates Sources/Tokenizers/UnicodeClasses+Tables.swift: the code points that tiktoken's regex
engine counts as \\p{L} (letters), \\p{N} (numbers) and \\s (whitespace), and the letters that
cl100k's case-insensitive contraction `(?i:[sdmt]|ll|ve|re)` accepts for each ASCII letter.

The tables are read from the engine itself, not from a Unicode database: tiktoken compiles its
patterns with fancy-regex (Rust regex-syntax tables), so for every scalar c we encode "a" + c
with a pattern like `a\\p{L}|(?s:.)` and a vocabulary whose only merges are "a" + one byte. The
merge fires exactly when "a" and c fall in one piece, i.e. when c is in the class. The same sets
are then computed with the Python `regex` module and with `unicodedata`, and any difference is
printed, so the Unicode version behind the tables is on record.

Run with the bench venv (tiktoken, regex):
    ~/.cache/descent-bench-venv/bin/python scripts/tools/generate_unicode_classes.py
"""
import os
import sys
import unicodedata

import regex
import tiktoken

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources", "Tokenizers", "UnicodeClasses+Tables.swift")
SCALARS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
MARKER = ord("a")


def probe(class_pattern, scalars):
    """The scalars c for which tiktoken's engine matches "a" + c against `a(?:class_pattern)`."""
    ranks = {bytes([b]): b for b in range(256)}
    for b in range(256):
        ranks[bytes([MARKER, b])] = 256 + b
    enc = tiktoken.Encoding("probe", pat_str="a(?:" + class_pattern + ")|(?s:.)", mergeable_ranks=ranks, special_tokens={})
    text = "".join("a" + chr(c) for c in scalars)
    tokens = enc.encode_ordinary(text)
    members, t = [], 0
    for c in scalars:
        length = len(chr(c).encode("utf-8"))
        if tokens[t] >= 256:
            members.append(c)
            t += length  # the merged token, then the scalar's remaining bytes
        else:
            assert tokens[t] == MARKER, (hex(c), tokens[t])
            t += 1 + length
    assert t == len(tokens)
    return members


def with_regex(pattern):
    compiled = regex.compile(pattern)
    return [c for c in SCALARS if compiled.fullmatch(chr(c))]


def ranges(members):
    out = []
    for c in members:
        if out and out[-1][1] + 1 == c:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def compare(name, engine, others):
    for label, other in others:
        extra, missing = sorted(set(other) - set(engine)), sorted(set(engine) - set(other))
        print(f"{name}: {label} has {len(extra)} more, {len(missing)} fewer than tiktoken's engine"
              + (f" (e.g. more {[hex(c) for c in extra[:5]]}, fewer {[hex(c) for c in missing[:5]]})" if extra or missing else ""),
              file=sys.stderr)


def main():
    letters = probe(r"\p{L}", SCALARS)
    numbers = probe(r"\p{N}", SCALARS)
    spaces = probe(r"\s", SCALARS)
    compare("letters", letters, [("regex " + regex.__version__, with_regex(r"\p{L}")),
                                 ("unicodedata " + unicodedata.unidata_version,
                                  [c for c in SCALARS if unicodedata.category(chr(c)).startswith("L")])])
    compare("numbers", numbers, [("regex", with_regex(r"\p{N}")),
                                 ("unicodedata", [c for c in SCALARS if unicodedata.category(chr(c)).startswith("N")])])
    compare("whitespace", spaces, [("regex", with_regex(r"\s"))])
    folds = {}
    for letter in "sdmtlver":
        found = probe("(?i:" + letter + ")", letters)
        by_regex = [c for c in letters if regex.fullmatch("(?i:" + letter + ")", chr(c))]
        if found != by_regex:
            print(f"fold {letter}: regex gives {[hex(c) for c in by_regex]}, tiktoken {[hex(c) for c in found]}", file=sys.stderr)
        if ord(letter) not in found or ord(letter.upper()) not in found:
            raise SystemExit(f"(?i:{letter}) does not match {letter} and {letter.upper()}")
        folds[letter] = [c for c in found if c >= 0x80]
    for c in letters:
        if c in numbers or c in spaces:
            raise SystemExit(f"U+{c:04X} is in two classes")

    def literal(name, doc, members):
        rs = ranges(members)
        lines = [f"    /// {doc} {len(members)} scalars in {len(rs)} ranges, as inclusive (first, last) pairs.",
                 f"    static let {name}: [UInt32] = ["]
        row = []
        for first, last in rs:
            row.append(f"0x{first:X}, 0x{last:X},")
            if len(row) == 6:
                lines.append("        " + " ".join(row))
                row = []
        if row:
            lines.append("        " + " ".join(row))
        lines.append("    ]")
        return "\n".join(lines)

    letter_block = literal("letterRanges", "`\\p{L}`:", letters)
    number_block = literal("numberRanges", "`\\p{N}`:", numbers)
    space_block = literal("whitespaceRanges", "`\\s`:", spaces)
    fold_lines = "\n".join(f'        (UInt8(ascii: "{k}"), 0x{c:X}),' for k, v in folds.items() for c in v)
    swift = f"""// Generated by scripts/tools/generate_unicode_classes.py from tiktoken {tiktoken.__version__}'s regex engine
// (fancy-regex over Rust regex-syntax's Unicode tables), probed scalar by scalar; Python regex
// {regex.__version__} and unicodedata {unicodedata.unidata_version} were compared (see the script). Do not edit.

extension UnicodeClasses {{
{letter_block}

{number_block}

{space_block}

    /// Non-ASCII scalars that `(?i:x)` matches, for the letters x of cl100k's contractions (every
    /// x also matches its ASCII upper case).
    static let nonASCIIFolds: [(letter: UInt8, scalar: UInt32)] = [
{fold_lines}
    ]
}}
"""
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(swift)
    print(f"wrote {OUT}: {len(letters)} letters, {len(numbers)} numbers, {len(spaces)} whitespace", file=sys.stderr)


if __name__ == "__main__":
    main()
