// Reading scalars out of bytes that are already valid UTF-8 (validation is the reader's job, in
// the Data module). Reads stay inside the buffer even when the bytes are not valid: a sequence cut
// by the buffer's end, or a lead byte no valid text has, decodes as U+FFFD, so a broken promise
// gives wrong scalars, never an out-of-bounds read. Not handled: validation itself.

enum ValidUTF8 {
    /// The scalar value of the sequence that starts at `index`, and its length in bytes.
    @inline(__always)
    static func decode(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (value: UInt32, length: Int) {
        let b0 = bytes[index]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let available = bytes.count - index
        if b0 < 0xE0 {
            guard b0 >= 0xC0, available >= 2 else { return (0xFFFD, 1) }
            return (UInt32(b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2)
        }
        if b0 < 0xF0 {
            guard available >= 3 else { return (0xFFFD, 1) }
            return (UInt32(b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        }
        guard b0 < 0xF5, available >= 4 else { return (0xFFFD, 1) }
        return (UInt32(b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                    | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F), 4)
    }

    /// The scalar value of the sequence that starts at `index`.
    @inline(__always)
    static func scalar(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        decode(at: index, in: bytes).value
    }

    /// Scalars in `bytes[0..<end]`: every byte that is not a continuation byte starts one.
    static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>, end: Int) -> Int {
        var count = 0
        for i in 0..<end { count &+= bytes[i] & 0xC0 == 0x80 ? 0 : 1 }
        return count
    }
}
