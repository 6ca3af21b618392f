// One little-endian binary writer and a bounds-checked reader for the project's small file
// layouts (weights and optimizer blobs, llm.c's shard header): a magic number, a version, then
// typed fields.
//
// The reader never traps on its input: every read checks the bytes left, counts that overflow a
// size or do not fit an `Int` are rejected at their byte offset, and all failures are one typed
// error that names the blob. A caller rejects a field value it cannot use (an unknown code, a
// count that does not match its model) through the same error, with the field's offset.
//
// Deliberately not handled: strings, variable-length integers and alignment padding (no layout
// here needs them), and big-endian hosts: integers are converted explicitly, but float payloads
// are copied in native order, which is little-endian on every platform this project targets.

/// A failure to decode a binary blob, with its evidence.
public enum BinaryCodecError: Error, Equatable, CustomStringConvertible {
    /// A read needed `count × elementBytes` bytes at `offset` and only `left` remained. The product
    /// is kept as two factors so that a huge count read from a damaged blob is reported, not
    /// overflowed.
    case truncated(blob: String, offset: Int, count: Int, elementBytes: Int, left: Int)
    /// The blob does not start with the expected magic number.
    case badMagic(blob: String, found: UInt32, expected: UInt32)
    /// The blob's format version is not the one this build reads.
    case unsupportedVersion(blob: String, found: UInt32, supported: UInt32)
    /// A field read at `offset` holds a value its reader cannot use.
    case invalidField(blob: String, field: String, offset: Int, value: String, expected: String)
    /// Bytes remain after the last field.
    case trailingBytes(blob: String, offset: Int, count: Int)

    /// The name given to the reader: "weights", "optimizer", a shard's path.
    public var blob: String {
        switch self {
        case .truncated(let blob, _, _, _, _), .badMagic(let blob, _, _), .unsupportedVersion(let blob, _, _),
             .invalidField(let blob, _, _, _, _), .trailingBytes(let blob, _, _):
            return blob
        }
    }

    /// The evidence without the blob's name, for errors that name the blob themselves:
    /// `kind code 7 at byte 8, expected 0 (sgd) or 1 (adamw)`.
    public var evidence: String {
        switch self {
        case .truncated(_, let offset, let count, let elementBytes, let left):
            let needed = count == 1 || elementBytes == 1 ? bytes(count * elementBytes) : "\(count) × \(elementBytes) bytes"
            return "truncated at byte \(offset): \(needed) needed, \(left) left"
        case .badMagic(_, let found, let expected):
            return "magic \(found), expected \(expected)"
        case .unsupportedVersion(_, let found, let supported):
            return "version \(found), expected \(supported)"
        case .invalidField(_, let field, let offset, let value, let expected):
            return "\(field) \(value) at byte \(offset), expected \(expected)"
        case .trailingBytes(_, let offset, let count):
            return "\(bytes(count)) unexpected after the last field at byte \(offset)"
        }
    }

    private func bytes(_ count: Int) -> String { count == 1 ? "1 byte" : "\(count) bytes" }

    public var description: String { "\(blob): \(evidence)." }
}

/// Builds a little-endian blob field by field.
///
///     var writer = BinaryWriter(reservingCapacity: 16 + weights.count * 4)
///     writer.writeHeader(magic: 0x5354_5744, version: 1)   // "DWTS"
///     writer.write(UInt64(weights.count))
///     weights.withUnsafeBytes { writer.write(floats: $0) }
public struct BinaryWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// `capacity`: the blob's final size when known, so that writing never reallocates.
    public init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// The magic number, then the format version.
    public mutating func writeHeader(magic: UInt32, version: UInt32) {
        write(magic)
        write(version)
    }

    public mutating func write(_ value: UInt32) { writeInteger(value) }
    public mutating func write(_ value: UInt64) { writeInteger(value) }
    public mutating func write(_ value: Int32) { writeInteger(value) }

    /// Raw bytes, as they are.
    public mutating func write(bytes raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }

    /// `byteCount` zero bytes (reserved header space).
    public mutating func writeZeros(byteCount: Int) {
        bytes.append(contentsOf: repeatElement(0, count: byteCount))
    }

    /// The storage of a Float32 array (for example `FloatBuffer.withUnsafeBytes`), as little-endian
    /// Float32s.
    public mutating func write(floats raw: UnsafeRawBufferPointer) {
        precondition(raw.count % 4 == 0, "BinaryWriter.write(floats:): \(raw.count) bytes is not a whole number of Float32s")
        bytes.append(contentsOf: raw)
    }

    private mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads a little-endian blob field by field, from the front, checking every read.
///
///     var reader = BinaryReader(blob, name: "weights")
///     try reader.readMagic(0x5354_5744)
///     try reader.readVersion(1)
///     let count = try reader.readCount64("value count")
///     let payload = try reader.readFloats(count: count)
///     try reader.expectEnd()
///
/// Every read throws `BinaryCodecError` instead of trapping, whatever the bytes are.
public struct BinaryReader {
    /// Names the blob in errors.
    public let name: String
    /// Byte offset of the next read from the start of the blob.
    public private(set) var offset = 0
    private let bytes: ArraySlice<UInt8>

    public init(_ bytes: [UInt8], name: String) {
        self.init(bytes[...], name: name)
    }

    /// Reads a slice; offsets count from the slice's first byte.
    public init(_ bytes: ArraySlice<UInt8>, name: String) {
        self.bytes = bytes
        self.name = name
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    /// Reads a UInt32 and throws `badMagic` unless it is `expected`.
    public mutating func readMagic(_ expected: UInt32) throws(BinaryCodecError) {
        let found = try readUInt32()
        guard found == expected else { throw .badMagic(blob: name, found: found, expected: expected) }
    }

    /// Reads a UInt32 and throws `unsupportedVersion` unless it is `supported`.
    public mutating func readVersion(_ supported: UInt32) throws(BinaryCodecError) {
        let found = try readUInt32()
        guard found == supported else { throw .unsupportedVersion(blob: name, found: found, supported: supported) }
    }

    public mutating func readUInt32() throws(BinaryCodecError) -> UInt32 { try readInteger() }
    public mutating func readUInt64() throws(BinaryCodecError) -> UInt64 { try readInteger() }
    public mutating func readInt32() throws(BinaryCodecError) -> Int32 { try readInteger() }

    /// A UInt64 count or index as an `Int`; a value above `Int.max` is rejected as `field`.
    public mutating func readCount64(_ field: String) throws(BinaryCodecError) -> Int {
        let start = offset
        let value = try readUInt64()
        guard let count = Int(exactly: value) else {
            throw invalid(field, at: start, value: value, expected: "at most \(Int.max)")
        }
        return count
    }

    /// The next `count` bytes, as a slice of the blob (no copy).
    public mutating func readBytes(count: Int) throws(BinaryCodecError) -> ArraySlice<UInt8> {
        try take(count: count, elementBytes: 1)
    }

    /// The next `count` little-endian Float32s' bytes, as a slice of the blob (no copy), ready for
    /// `FloatBuffer.assign(bytes:)` through `withUnsafeBytes`.
    public mutating func readFloats(count: Int) throws(BinaryCodecError) -> ArraySlice<UInt8> {
        try take(count: count, elementBytes: 4)
    }

    /// Throws `trailingBytes` unless every byte has been read.
    public func expectEnd() throws(BinaryCodecError) {
        guard remaining == 0 else { throw .trailingBytes(blob: name, offset: offset, count: remaining) }
    }

    /// The error for a field whose value the caller rejects: `field` names it, `offset` is where
    /// it was read (take `offset` before reading it), `expected` says what would have been valid.
    public func invalid(_ field: String, at offset: Int, value: some CustomStringConvertible,
                        expected: String) -> BinaryCodecError {
        .invalidField(blob: name, field: field, offset: offset, value: value.description, expected: expected)
    }

    private mutating func take(count: Int, elementBytes: Int) throws(BinaryCodecError) -> ArraySlice<UInt8> {
        guard count >= 0 else { throw invalid("element count", at: offset, value: count, expected: "a count of at least 0") }
        // Division, not multiplication: a count read from a damaged blob may overflow `count * size`.
        guard count <= remaining / elementBytes else {
            throw .truncated(blob: name, offset: offset, count: count, elementBytes: elementBytes, left: remaining)
        }
        let start = bytes.startIndex + offset
        let byteCount = count * elementBytes
        offset += byteCount
        return bytes[start..<(start + byteCount)]
    }

    private mutating func readInteger<T: FixedWidthInteger>() throws(BinaryCodecError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(blob: name, offset: offset, count: 1, elementBytes: size, left: remaining) }
        let start = offset
        offset += size
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: T.self)) }
    }
}
