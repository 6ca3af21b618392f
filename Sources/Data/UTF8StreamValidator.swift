// Strict UTF-8 validation of text read in chunks (Unicode Table 3-7: no overlongs, surrogates or
// values above U+10FFFF), with the 1-based line and 0-based byte offset of the first bad byte. A
// sequence cut by a chunk's end is validated as far as it goes (so an error is reported at once)
// and left for the next chunk. ASCII, the common case, is checked 8 bytes at a time. Not
// handled: other encodings (UTF-16 input is reported as invalid UTF-8 at its first bad byte).

struct UTF8StreamValidator {
    let path: String
    /// Offset in the text of the first byte handed to the next `validate`.
    private(set) var offset = 0
    /// Newlines in the text before `offset`, for the line number of an error.
    private var newlines = 0

    init(path: String) { self.path = path }

    /// Validates `bytes`: the bytes the previous call left over, then a new chunk. Returns the
    /// length of the prefix made of whole sequences; the rest (at most 3 bytes of a sequence cut by
    /// the chunk's end) must start the next call's bytes. `isLast`: nothing follows, so a cut
    /// sequence is an error.
    mutating func validate(_ bytes: UnsafeBufferPointer<UInt8>, isLast: Bool) throws(DataError) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        let raw = UnsafeRawPointer(base)
        let end = bytes.count
        // Newlines are counted on the way, for the line number of an error.
        var lines = 0
        var i = 0
        // Words are tried after an ASCII byte only: in non-Latin text multi-byte sequences come in
        // runs, where the test would fail every time.
        var afterASCII = true
        while i < end {
            if afterASCII {
                lines &+= Self.countNewlinesOfASCIIWords(raw, from: &i, end: end)
                guard i < end else { break }
            }
            let b0 = bytes[i]
            if b0 < 0x80 {
                if b0 == 0x0A { lines &+= 1 }
                i &+= 1
                afterASCII = true
                continue
            }
            afterASCII = false
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            let length: Int
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: throw invalid(at: i, lines: lines)
            }
            let available = end - i
            if available > 1 && !(low...high).contains(bytes[i + 1]) { throw invalid(at: i, lines: lines) }
            if available > 2 && length > 2 && bytes[i + 2] & 0xC0 != 0x80 { throw invalid(at: i, lines: lines) }
            if available > 3 && length > 3 && bytes[i + 3] & 0xC0 != 0x80 { throw invalid(at: i, lines: lines) }
            if available < length {
                if isLast { throw invalid(at: i, lines: lines) }
                newlines &+= lines
                offset &+= i
                return i
            }
            i &+= length
        }
        newlines &+= lines
        offset &+= end
        return end
    }

    /// Skips whole 8-byte words of ASCII from `i`, returning the newlines in them; stops at the
    /// first word with a byte of 0x80 or above, or where fewer than 8 bytes are left.
    @inline(__always)
    private static func countNewlinesOfASCIIWords(_ raw: UnsafeRawPointer, from i: inout Int, end: Int) -> Int {
        let high: UInt64 = 0x8080_8080_8080_8080, low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var count = 0
        while i &+ 8 <= end {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if word & high != 0 { break }
            // A byte of `x` is zero exactly where `word` holds "\n"; this sets its high bit then
            // (exact per byte: no borrow crosses bytes, since every byte is below 0x80).
            let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
            count &+= (~(((x & low) &+ low) | x) & high).nonzeroBitCount
            i &+= 8
        }
        return count
    }

    private func invalid(at index: Int, lines: Int) -> DataError {
        .invalidUTF8(path: path, line: newlines + lines + 1, byteOffset: offset + index)
    }

    /// The scalar value of the valid sequence that starts at `index`, and its length.
    @inline(__always)
    static func decode(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (value: UInt32, length: Int) {
        let b0 = bytes[index]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        if b0 < 0xE0 { return (UInt32(b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return (UInt32(b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        return (UInt32(b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                    | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F), 4)
    }
}
