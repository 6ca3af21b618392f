"""Seeded random Unicode text that exercises the split patterns: emoji and ZWJ sequences, CJK,
combining marks, RTL scripts, mixed scripts, runs of spaces, tabs and newlines (CR and LF), Unicode
whitespace, digits of every length and of other scripts, apostrophes and contractions in upper and
lower case (the long s too), punctuation, and scalars drawn from the whole code space.

`whole_range` lists the scalars that may be drawn uniformly; pass only those on which the oracle
agrees with tiktoken's engine (see check scripts)."""
import random

POOLS = [
    # (weight, generator of one fragment)
    (8, lambda r: r.choice(["the", "The", "THE", "word", "Romeo", "hello", "x", "a", "naïve", "Straße"])),
    (6, lambda r: r.choice([" ", "  ", "   ", "\t", " \t", "\n", "\n\n", "\r\n", "\r", " \n ", "\n \n", "\u00a0", "\u3000",
                            "\u2003", "\u0085", "\u2028", "\u200b", "\x0b", "\x0c", " \r\n\t "])),
    (5, lambda r: r.choice(["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ll", "'LL", "'lL", "'ve", "'VE", "'m", "'M", "'d",
                            "'D", "'\u017f", "'x", "'", "''", "'\u017fs", "'\u212a", "n't", "I'm", "WE'LL", "'ll've"])),
    (5, lambda r: "".join(r.choice("0123456789") for _ in range(r.randint(1, 9)))),
    (3, lambda r: r.choice(["\u0661\u0662\u0663", "\u00b2", "\u00bd", "\u2165", "\u0967\u0968", "\uff11\uff12", "\U0001d7ce"])),
    (4, lambda r: r.choice([".", ",", "!", "?", "...", "--", "(", ")", "\"", ";:", "#", "$", "%", "&", "*", "+", "<|endoftext|>",
                            "\u2014", "\u201c", "\u00bf", "\u3002", "@", "\\", "{}", "[", "_", "~", "`"])),
    (3, lambda r: r.choice(["\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u2764\ufe0f", "\U0001f44d\U0001f3fd",
                            "\U0001f1eb\U0001f1f7", "\U0001f3f3\ufe0f\u200d\U0001f308", "\u00a9", "\u2122"])),
    (3, lambda r: "".join(chr(r.randint(0x4E00, 0x9FFF)) for _ in range(r.randint(1, 4)))),
    (2, lambda r: r.choice(["\u3053\u3093\u306b\u3061\u306f", "\ud55c\uad6d\uc5b4", "\u30ab\u30bf\u30ab\u30ca"])),
    (3, lambda r: r.choice(["e\u0301", "a\u0308", "\u0301", "n\u0303\u0323", "\u0915\u094d\u0937", "\u0e01\u0e34"])),
    (3, lambda r: r.choice(["\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u200f", "\u200e", "\u202b",
                            "\u0627\u0644\u0661"])),
    (2, lambda r: r.choice(["\u041f\u0440\u0438\u0432\u0435\u0442", "\u03b1\u03b2\u03b3", "\u0561\u0562", "\u10d0"])),
]


def fragment(r, whole_range):
    if whole_range and r.random() < 0.08:
        return "".join(chr(r.choice(whole_range)) for _ in range(r.randint(1, 3)))
    total = sum(w for w, _ in POOLS)
    x = r.uniform(0, total)
    for weight, make in POOLS:
        x -= weight
        if x <= 0:
            return make(r)
    return POOLS[-1][1](r)


def random_text(r, whole_range, fragments):
    return "".join(fragment(r, whole_range) for _ in range(fragments))
