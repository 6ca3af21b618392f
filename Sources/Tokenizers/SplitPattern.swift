// Pre-tokenization: how byte-level BPE cuts text into pieces before merging inside each piece.
// The two patterns are tiktoken's (tiktoken_ext/openai_public.py, tiktoken 0.14.0):
//
//   gpt4 (cl100k_base): '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
//   gpt2 (r50k_base):   '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
//
// `PreTokenizer` implements both by hand, with no regex engine, and gives exactly the pieces that
// the regex's leftmost-first matching gives on any valid UTF-8 (tests compare with recorded
// regex splits; scripts/check-pretokenizer-vs-regex.sh checks seeded random Unicode). Not handled:
// other patterns.

/// Which split pattern a byte-level BPE pre-tokenizes with.
public enum SplitPattern: String, CaseIterable, Codable, Sendable {
    /// cl100k_base's pattern (GPT-3.5/GPT-4): case-insensitive contractions, numbers in groups of
    /// at most three, a leading non-letter glued to a word.
    case gpt4
    /// GPT-2's pattern (r50k_base): lowercase contractions, an optional leading space.
    case gpt2

    /// The pattern as tiktoken writes it (`pat_str`).
    public var regex: String {
        switch self {
        case .gpt4:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        }
    }
}
