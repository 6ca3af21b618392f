// Safe cuts: the places where a long document may be cut into pieces that every tokenizer encodes
// independently, so that the pipeline can stream a multi-GB document in bounded memory.
//
// The rule is chosen for byte-level BPE with the two pre-tokenization patterns that matter, as
// tiktoken (tiktoken_ext/openai_public.py) writes them today:
//
//   gpt2 (r50k): '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
//   cl100k:      '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
//
// (and the original GPT-2 release's equivalent 's|'t|…| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+).
// A cut is safe when pre-tokenizing the two sides separately gives the same pre-tokens as the
// whole, which needs two things: no pre-token of the whole crosses the cut, and no pre-token just
// before it changes when the text ends there (`$` and `(?!\S)` look past a pre-token's end).
//
// No pre-token of either pattern holds a "\n" followed by a non-whitespace scalar: only the
// whitespace alternatives and cl100k's `[\r\n]*+` tail match a newline, and that tail ends the
// pre-token. So a cut between "\n" and a non-whitespace scalar is never crossed. It is not enough
// for GPT-2, though: in "a\n\nb" the whole gives "a", "\n", "\n", "b" (`\s+(?!\S)` backs off one
// newline before the "b"), while "a\n\n" on its own ends with one pre-token "\n\n" (`\s++$`, or
// `\s+(?!\S)` at the end of the text). When the "\n" is the only whitespace before the cut, the
// newline is a pre-token of its own either way (or, in cl100k, the tail of a punctuation run that
// stops at the cut), so both patterns agree. Hence the rule:
//
//   offset c of a document is a safe cut when the byte before it is "\n", and neither the scalar
//   before that newline nor the scalar at c is whitespace (Unicode White_Space, which is what `\s`
//   means in tiktoken's regex engine).
//
// In "Be\nit so.\n\nThen" the cut before "it" is safe; the one before "Then" is not. CRLF text
// ("x\r\ny") has no safe cuts, since "\r\n" is two whitespace scalars. Every tokenizer must encode a
// document cut at safe cuts exactly as the whole (see `Tokenizer`); a character tokenizer satisfies
// this for a cut at any scalar boundary. Deliberately not handled: cuts for other patterns.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The safe-cut rule (see the file header): offset `c` of a document is a safe cut when byte
/// `c − 1` is "\n" and neither the scalar before that newline nor the scalar at `c` is whitespace.
public enum SafeCut {
    /// Whether `c` is a safe cut of `text`, which must be whole scalars of valid UTF-8. Needs the
    /// scalar at `c`, so `c < text.count`; offsets 0, 1 and `text.count` are never safe cuts here.
    public static func isSafeCut(_ text: UnsafeBufferPointer<UInt8>, at c: Int) -> Bool {
        guard c >= 2, c < text.count, text[c - 1] == 0x0A else { return false }
        return !isWhitespace(scalarStarting: c, in: text) && !isWhitespace(scalarEnding: c - 2, in: text)
    }

    /// The first safe cut of `text` among `candidates` (offsets at or past `text.count` are never
    /// safe cuts here), or nil.
    public static func first(in text: UnsafeBufferPointer<UInt8>, candidates: Range<Int>) -> Int? {
        guard let base = text.baseAddress else { return nil }
        // The newline of cut c sits at c − 1.
        var newline = max(candidates.lowerBound - 1, 1)
        let lastNewline = min(candidates.upperBound, text.count) - 2
        while newline <= lastNewline {
            guard let found = memchr(base + newline, 0x0A, lastNewline - newline + 1) else { return nil }
            let cut = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
            if isSafeCut(text, at: cut) { return cut }
            newline = cut
        }
        return nil
    }

    /// Whether the scalar whose first byte is at `index` is whitespace.
    private static func isWhitespace(scalarStarting index: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let lead = text[index]
        if lead < 0x80 { return isASCIIWhitespace(lead) }
        return isWhitespace(ValidUTF8.scalar(at: index, in: text))
    }

    /// Whether the scalar whose last byte is at `index` is whitespace.
    private static func isWhitespace(scalarEnding index: Int, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let last = text[index]
        if last < 0x80 { return isASCIIWhitespace(last) }
        var start = index
        while start > 0 && start > index - 3 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return isWhitespace(ValidUTF8.scalar(at: start, in: text))
    }

    @inline(__always)
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func isWhitespace(_ value: UInt32) -> Bool {
        Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }
}
