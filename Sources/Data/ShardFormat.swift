// The shard file format: llm.c's token files (llmc/dataloader.h), gzip-compressed, so that
// `gunzip train_000000.bin.gz` gives a file llm.c reads. Layout after decompression:
//
//   header: 256 × int32 little-endian: [0] magic, [1] version, [2] token count, [3…255] 0
//   payload: token count × uint16 LE (magic 20240520, version 1)
//        or  token count × uint32 LE (magic 20240801, version 7) when the vocabulary exceeds 65,535
//
// A split's stream is cut into ceil(n / shardTokens) shards of near-equal size (sizes differ by at
// most 1), so there is no tiny tail shard. Writing is `ShardWriter`'s (from a spooled stream);
// reading loads one shard, checks its SHA-256 against the manifest, then its header and every token.
import Core

public enum ShardFormat {
    static let headerInts = 256
    static let headerBytes = headerInts * 4
    static let magic16: Int32 = 20240520
    static let version16: Int32 = 1
    static let magic32: Int32 = 20240801
    static let version32: Int32 = 7
    /// zlib level of shards unless `prepare --compression-level` says otherwise. On character tokens
    /// (uint16, high byte zero) zlib's fast levels 1–2 run about 1.5× the speed of level 4 for
    /// shards 11–16 % larger, and compression is nearly all of `prepare`'s work; inflating costs the
    /// same at every level and the loader does it in the background. Level 3 is slower than 4 on
    /// this data. Figures: docs/performance.md, "prepare".
    public static let defaultCompressionLevel = 2
    /// zlib's levels; 0 (stored) is left out, since it would make shards larger than the tokens.
    public static let compressionLevels = 1...9

    static func tokenBytes(vocabularySize: Int) -> Int { vocabularySize > 65_535 ? 4 : 2 }

    static func fileName(split: DatasetSplit, index: Int) -> String {
        let digits = String(index)
        return "\(split.rawValue)_\(String(repeating: "0", count: max(0, 6 - digits.count)))\(digits).bin.gz"
    }

    /// Token counts of the shards of an `n`-token stream: ceil(n / shardTokens) near-equal parts.
    static func shardSizes(totalTokens n: Int, shardTokens: Int) -> [Int] {
        guard n > 0 else { return [] }
        let count = (n + shardTokens - 1) / shardTokens
        let base = n / count
        let extra = n % count
        return (0..<count).map { base + ($0 < extra ? 1 : 0) }
    }

    /// The 1,024-byte header of a shard of `tokenCount` tokens (at most `PrepareOptions`'
    /// largest shard, so it fits llm.c's int32 count).
    static func header(tokenCount: Int, tokenBytes: Int) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: headerBytes)
        writer.write(tokenBytes == 2 ? magic16 : magic32)
        writer.write(tokenBytes == 2 ? version16 : version32)
        writer.write(Int32(tokenCount))
        writer.writeZeros(byteCount: headerBytes - 3 * 4)
        return writer.bytes
    }

    /// Reads the magic and version a shard of `tokenBytes`-byte tokens must have, then its token
    /// count; `header` holds at least the header's first 12 bytes.
    static func readHeader(_ header: ArraySlice<UInt8>, path: String, tokenBytes: Int) throws(BinaryCodecError) -> Int {
        var reader = BinaryReader(header, name: path)
        try reader.readMagic(UInt32(bitPattern: tokenBytes == 2 ? magic16 : magic32))
        try reader.readVersion(UInt32(bitPattern: tokenBytes == 2 ? version16 : version32))
        // A negative count is left to the caller's comparison with the manifest, which names both.
        return Int(try reader.readInt32())
    }
}

/// Reads and verifies shard files, reusing its buffers from one shard to the next.
public final class ShardReader {
    let directory: String
    let vocabularySize: Int
    let tokenBytes: Int
    private var compressed: [UInt8] = []
    private var raw: [UInt8] = []

    /// `tokenBytes` is 2 or 4 (`ShardFormat.tokenBytes(vocabularySize:)`).
    public init(directory: String, vocabularySize: Int, tokenBytes: Int) {
        precondition(tokenBytes == 2 || tokenBytes == 4, "ShardReader: tokens of \(tokenBytes) bytes")
        self.directory = directory
        self.vocabularySize = vocabularySize
        self.tokenBytes = tokenBytes
    }

    func path(of shard: DatasetManifest.Shard) -> String { directory + "/" + shard.file }

    /// Appends the tokens of `shard` to `tokens`, after checking the file's SHA-256, its header
    /// (magic, version, count against the manifest), its length and every token's range.
    func read(_ shard: DatasetManifest.Shard, appendingTo tokens: inout [Int32]) throws(DataError) {
        let path = path(of: shard)
        switch FileSystem.kind(of: path) {
        case .missing: throw .missingFile(path: path)
        case .directory: throw .isDirectory(path: path)
        default: break
        }
        try FileSystem.readAll(path, into: &compressed)
        let actual = compressed.withUnsafeBytes { bytes -> String in
            var hasher = SHA256()
            hasher.update(bytes)
            return hasher.finalizeHex()
        }
        guard actual == shard.sha256 else { throw .checksumMismatch(path: path, expected: shard.sha256, actual: actual) }
        try decode(compressed, path: path, tokenCount: shard.tokens, appendingTo: &tokens)
    }

    /// Appends the tokens of a shard file's bytes (already checked against the manifest's
    /// SHA-256) to `tokens`: gunzips them and checks the header, the count the manifest lists,
    /// the length and every token's range. Throws, never traps, whatever the bytes and the count.
    public func decode(_ compressed: [UInt8], path: String, tokenCount: Int, appendingTo tokens: inout [Int32]) throws(DataError) {
        guard tokenCount >= 0, tokenCount <= Int(Int32.max) else {
            throw .badShardHeader(path: path, reason: "the manifest lists \(tokenCount) tokens, outside 0...\(Int32.max)")
        }
        // One spare byte: a file longer than announced shows up as a byte read past the payload.
        let expectedBytes = ShardFormat.headerBytes + tokenCount * tokenBytes
        // Deflate expands at most ~1032×: refuse to allocate for a count the file cannot hold.
        guard expectedBytes <= compressed.count * 1100 + 4096 else {
            throw .badShardHeader(path: path, reason: "\(compressed.count) compressed bytes cannot hold the \(tokenCount) tokens the manifest lists")
        }
        if raw.count < expectedBytes + 1 { raw = [UInt8](repeating: 0, count: expectedBytes + 1) }
        let gzip = try GzipReader(path: path, source: MemoryChunkSource(compressed))
        let count = try raw.withMutableBytes { (buffer) throws(DataError) -> Int in
            try gzip.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(expectedBytes + 1)]))
        }
        guard count >= ShardFormat.headerBytes else {
            throw .badShardHeader(path: path, reason: "file holds \(count) bytes, less than the \(ShardFormat.headerBytes)-byte header")
        }
        let headerCount: Int
        do { headerCount = try ShardFormat.readHeader(raw[0..<ShardFormat.headerBytes], path: path, tokenBytes: tokenBytes) } catch {
            throw .badShardHeader(path: path, reason: error.evidence)
        }
        guard headerCount == tokenCount else {
            throw .badShardHeader(path: path, reason: "header says \(headerCount) tokens, manifest \(tokenCount)")
        }
        let payload = count - ShardFormat.headerBytes
        guard payload <= tokenCount * tokenBytes else {
            throw .badShardHeader(path: path, reason: "payload is longer than the \(tokenCount) tokens announced")
        }
        guard payload == tokenCount * tokenBytes else {
            throw .shardTruncated(path: path, expectedTokens: tokenCount, foundTokens: payload / tokenBytes)
        }
        let start = tokens.count
        let limit = UInt32(vocabularySize)
        var badIndex = -1
        tokens.reserveCapacity(start + tokenCount)
        raw.withUnsafeBytes { bytes in
            let base = bytes.baseAddress! + ShardFormat.headerBytes
            for i in 0..<tokenCount {
                let value: UInt32
                if tokenBytes == 2 {
                    value = UInt32(base.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self).littleEndian)
                } else {
                    value = base.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self).littleEndian
                }
                if value >= limit && badIndex < 0 { badIndex = i }
                tokens.append(Int32(truncatingIfNeeded: value))
            }
        }
        if badIndex >= 0 {
            let token = Int(UInt32(bitPattern: tokens[start + badIndex]))
            tokens.removeSubrange(start...)
            throw .tokenOutOfRange(path: path, index: badIndex, token: token, vocabularySize: vocabularySize)
        }
    }
}
