// The hand-written splitter for the two patterns of `SplitPattern`. Each pattern is a list of
// alternatives tried in order at the current offset (leftmost-first, as the regex engine does);
// the first that matches gives the piece, and the next piece starts where it ends. Every scalar is
// a letter, a number, whitespace or other (`UnicodeClasses`), and each alternative reads as a
// small scan over those classes:
//
//   "Hello world's 12345!\n\n"  gpt4 → "Hello", " world", "'s", " ", "123", "45", "!\n\n"
//                               gpt2 → "Hello", " world", "'s", " 12345", "!", "\n\n"
//
// The possessive quantifiers (`?+`, `++`) never give back what they took, which is what makes a
// forward scan exact. The text must be valid UTF-8 (the reader checks); a broken sequence reads as
// U+FFFD and never outside the buffer. Not handled: other patterns.

/// Cuts UTF-8 text into pre-tokens. A value type with no state, safe on any thread.
public struct PreTokenizer: Sendable, Equatable {
    public let pattern: SplitPattern
    private let table = UnicodeClasses.table

    public init(pattern: SplitPattern) { self.pattern = pattern }

    public static func == (lhs: PreTokenizer, rhs: PreTokenizer) -> Bool { lhs.pattern == rhs.pattern }

    /// Calls `body(start, end)` for each piece of `text`, in order; the pieces tile the text.
    @inline(__always)
    public func forEachPiece(in text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
        var start = 0
        let count = text.count
        switch pattern {
        case .gpt4:
            while start < count {
                let end = gpt4PieceEnd(text, start)
                body(start, end)
                start = end
            }
        case .gpt2:
            while start < count {
                let end = gpt2PieceEnd(text, start)
                body(start, end)
                start = end
            }
        }
    }

    /// The pieces of `text` as strings (for tests, `descent tokenizer show` and the check scripts).
    public func pieces(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var result: [String] = []
            forEachPiece(in: bytes) { start, end in
                result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            }
            return result
        }
    }

    // MARK: - Scalars and their classes

    /// The class and byte length of the scalar at `i` (`i < text.count`).
    @inline(__always)
    private func scalarClass(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let lead = text[i]
        if lead < 0x80 { return (table.ascii[Int(lead)], 1) }
        let (value, length) = ValidUTF8.decode(at: i, in: text)
        return (table.classOf(value), length)
    }

    /// The end of the run of scalars of class `wanted` that starts at `i`.
    @inline(__always)
    private func runEnd(_ text: UnsafeBufferPointer<UInt8>, from i: Int, of wanted: UInt8) -> Int {
        var j = i
        let count = text.count
        while j < count {
            let (found, length) = scalarClass(text, j)
            if found != wanted { break }
            j &+= length
        }
        return j
    }

    // MARK: - Contractions

    /// The end of `'(?:[sdmt]|ll|ve|re)` at `i` (case-insensitive for gpt4), or nil.
    @inline(__always)
    private func contractionEnd(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, ignoringCase: Bool) -> Int? {
        let count = text.count
        guard text[i] == UInt8(ascii: "'"), i + 1 < count else { return nil }
        @inline(__always) func matches(_ value: UInt32, _ letter: UInt8) -> Bool {
            ignoringCase ? UnicodeClasses.foldsTo(value, letter) : value == UInt32(letter)
        }
        let (first, firstLength) = ValidUTF8.decode(at: i + 1, in: text)
        if matches(first, UInt8(ascii: "s")) || matches(first, UInt8(ascii: "d")) || matches(first, UInt8(ascii: "m"))
            || matches(first, UInt8(ascii: "t")) {
            return i + 1 + firstLength
        }
        let next = i + 1 + firstLength
        guard next < count else { return nil }
        let (second, secondLength) = ValidUTF8.decode(at: next, in: text)
        let isPair = (matches(first, UInt8(ascii: "l")) && matches(second, UInt8(ascii: "l")))
            || (matches(first, UInt8(ascii: "v")) && matches(second, UInt8(ascii: "e")))
            || (matches(first, UInt8(ascii: "r")) && matches(second, UInt8(ascii: "e")))
        return isPair ? next + secondLength : nil
    }

    // MARK: - Whitespace alternatives

    /// `\s++$`, then (gpt4 only) `\s*[\r\n]`, then `\s+(?!\S)`, then `\s`, at `i`, whose scalar
    /// (of byte length `length`) is whitespace.
    @inline(__always)
    private func whitespaceEnd(_ text: UnsafeBufferPointer<UInt8>, _ i: Int, length: Int, newlineAlternative: Bool) -> Int {
        let count = text.count
        var end = i
        var lastStart = i
        var lastNewlineEnd = -1
        while end < count {
            let (found, scalarLength) = scalarClass(text, end)
            if found != ScalarClass.whitespace { break }
            let byte = text[end]
            if byte == 0x0A || byte == 0x0D { lastNewlineEnd = end + 1 }
            lastStart = end
            end &+= scalarLength
        }
        if end == count { return count }                                  // \s++$
        if newlineAlternative && lastNewlineEnd >= 0 { return lastNewlineEnd }  // \s*[\r\n]
        if lastStart > i { return lastStart }                             // \s+(?!\S): all but the last
        return i + length                                                 // \s
    }

    // MARK: - The patterns

    /// gpt4: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
    /// ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
    @inline(__always)
    func gpt4PieceEnd(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let count = text.count
        let lead = text[i]
        let (first, length) = scalarClass(text, i)
        if lead == UInt8(ascii: "'"), let end = contractionEnd(text, i, ignoringCase: true) { return end }
        if first == ScalarClass.letter { return runEnd(text, from: i + length, of: ScalarClass.letter) }
        if first != ScalarClass.number && lead != 0x0A && lead != 0x0D && i + length < count {
            // The optional prefix is taken whenever it can be (`?+`): a letter must follow it.
            if scalarClass(text, i + length).0 == ScalarClass.letter {
                return runEnd(text, from: i + length, of: ScalarClass.letter)
            }
        }
        if first == ScalarClass.number {
            var end = i + length
            for _ in 0..<2 where end < count {
                let (next, nextLength) = scalarClass(text, end)
                if next != ScalarClass.number { break }
                end += nextLength
            }
            return end
        }
        let symbolStart = lead == 0x20 && i + 1 < count ? i + 1 : i
        if symbolStart < count, scalarClass(text, symbolStart).0 == ScalarClass.other {
            var end = runEnd(text, from: symbolStart, of: ScalarClass.other)
            while end < count && (text[end] == 0x0A || text[end] == 0x0D) { end += 1 }
            return end
        }
        // Only whitespace is left: every scalar of another class matched above.
        return whitespaceEnd(text, i, length: length, newlineAlternative: true)
    }

    /// gpt2: `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
    @inline(__always)
    func gpt2PieceEnd(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let count = text.count
        let lead = text[i]
        if lead == UInt8(ascii: "'"), let end = contractionEnd(text, i, ignoringCase: false) { return end }
        let (first, length) = scalarClass(text, i)
        // ` ?` backs off when the class does not follow the space, and the space is not of the class.
        var start = i
        var kind = first
        if lead == 0x20 && i + 1 < count {
            let following = scalarClass(text, i + 1).0
            if following != ScalarClass.whitespace {
                start = i + 1
                kind = following
            }
        }
        if kind != ScalarClass.whitespace { return runEnd(text, from: start, of: kind) }
        return whitespaceEnd(text, i, length: length, newlineAlternative: false)
    }
}
