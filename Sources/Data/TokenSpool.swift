// A split's token stream spooled to a file while documents are encoded, because shard sizes (and
// a one-document corpus's validation cut) depend on the stream's length, which a general tokenizer
// only tells by encoding. Reads give the tokens as a shard's payload holds them (uint16 LE, or
// uint32 LE when the vocabulary exceeds 65,535), so cutting the spool into shards is plain reads.
// A vocabulary of at most 256 ids (every character-level corpus so far) is stored one byte a token
// and widened on reading: half the bytes to write and read back, which is most of the spool's cost.
// The spool lives in the dataset's staging directory and is removed before the dataset is
// committed. Memory: a 1 MiB write buffer; each reader brings its own scratch buffer, so that
// several threads can read one flushed spool at once (`read` only preads). Not handled: reading
// while writing (the writer flushes once, before any read).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A token stream in a file, written sequentially, then read back by token range.
final class TokenSpool: @unchecked Sendable {
    let path: String
    /// Bytes per token that reads deliver: 2 (uint16) or 4 (uint32), `ShardFormat.tokenBytes`.
    let tokenBytes: Int
    /// Bytes per token in the file: 1 for vocabularies of at most 256 ids, else `tokenBytes`.
    let storedBytes: Int
    /// Tokens in the stream, buffered ones included.
    private(set) var count = 0
    private var descriptor: Int32
    /// Bytes already in the file.
    private var fileBytes = 0
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0

    /// Creates the spool file at `path`, which must not exist, for ids below `vocabularySize`.
    init(path: String, vocabularySize: Int) throws(DataError) {
        self.path = path
        tokenBytes = ShardFormat.tokenBytes(vocabularySize: vocabularySize)
        storedBytes = vocabularySize <= 256 ? 1 : tokenBytes
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno)) }
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        buffer.deallocate()
    }

    /// Appends one token, an id below the vocabulary size.
    func append(_ token: Int32) throws(DataError) {
        if buffered == buffer.count { try flush() }
        store(token, at: buffered)
        buffered &+= storedBytes
        count &+= 1
    }

    /// Appends `tokens` in order.
    func append(_ tokens: [Int32]) throws(DataError) {
        try tokens.withBuffer { (tokens) throws(DataError) in try append(tokens) }
    }

    /// Appends `tokens` in order.
    func append(_ tokens: UnsafeBufferPointer<Int32>) throws(DataError) {
        var next = 0
        while next < tokens.count {
            if buffered == buffer.count { try flush() }
            let take = min(tokens.count - next, (buffer.count - buffered) / storedBytes)
            let output = buffer.baseAddress! + buffered
            switch storedBytes {
            case 1:
                for i in 0..<take { output.storeBytes(of: UInt8(truncatingIfNeeded: tokens[next &+ i]), toByteOffset: i, as: UInt8.self) }
            default:
                for i in 0..<take { store(tokens[next &+ i], at: buffered &+ i &* storedBytes) }
            }
            buffered &+= take &* storedBytes
            next &+= take
        }
        count &+= tokens.count
    }

    @inline(__always)
    private func store(_ token: Int32, at offset: Int) {
        switch storedBytes {
        case 1: buffer.storeBytes(of: UInt8(truncatingIfNeeded: token), toByteOffset: offset, as: UInt8.self)
        case 2: buffer.storeBytes(of: UInt16(truncatingIfNeeded: token).littleEndian, toByteOffset: offset, as: UInt16.self)
        default: buffer.storeBytes(of: UInt32(bitPattern: token).littleEndian, toByteOffset: offset, as: UInt32.self)
        }
    }

    /// Writes the buffered tokens to the file; reads see only flushed tokens.
    func flush() throws(DataError) {
        guard buffered > 0 else { return }
        var written = 0
        while written < buffered {
            let result = pwrite(descriptor, buffer.baseAddress! + written, buffered - written, off_t(fileBytes + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno))
            }
            written += result
        }
        fileBytes += buffered
        buffered = 0
    }

    /// Bytes of the scratch buffer that `read` needs: the narrow tokens read back before widening.
    static let readScratchBytes = 1 << 17

    /// Reads tokens `range` as payload bytes (`tokenBytes` each, little-endian) into `bytes`, which
    /// is exactly `range.count · tokenBytes` long. `scratch` (`readScratchBytes` long) is the
    /// caller's, so that threads can read at once.
    func read(tokens range: Range<Int>, into bytes: UnsafeMutableRawBufferPointer,
              scratch narrow: UnsafeMutableRawBufferPointer) throws(DataError) {
        precondition(bytes.count == range.count * tokenBytes, "spool read into a buffer of the wrong size")
        guard storedBytes == 1 else { return try readStored(tokens: range, into: bytes) }
        precondition(narrow.count >= Self.readScratchBytes, "spool read with a short scratch buffer")
        let perRead = Self.readScratchBytes
        var start = range.lowerBound
        var output = bytes.baseAddress!
        while start < range.upperBound {
            let take = min(range.upperBound - start, perRead)
            try readStored(tokens: start..<(start + take), into: UnsafeMutableRawBufferPointer(rebasing: narrow[0..<take]))
            for i in 0..<take {
                output.storeBytes(of: UInt16(narrow[i]).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
            }
            output += take * 2
            start += take
        }
    }

    /// Reads the stored bytes of tokens `range`.
    private func readStored(tokens range: Range<Int>, into bytes: UnsafeMutableRawBufferPointer) throws(DataError) {
        precondition(range.upperBound * storedBytes <= fileBytes && bytes.count == range.count * storedBytes,
                     "spool read outside the flushed tokens")
        var done = 0
        while done < bytes.count {
            let result = pread(descriptor, bytes.baseAddress! + done, bytes.count - done,
                               off_t(range.lowerBound * storedBytes + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: FileSystem.errorMessage(errno))
            }
            guard result > 0 else { throw .unreadable(path: path, reason: "the spool file is shorter than written") }
            done += result
        }
    }

    /// Appends this spool's tokens `range` to `other`, a spool of the same vocabulary.
    func copy(tokens range: Range<Int>, to other: TokenSpool) throws(DataError) {
        precondition(other.storedBytes == storedBytes && other.tokenBytes == tokenBytes, "spools of different vocabularies")
        try flush()
        var start = range.lowerBound
        while start < range.upperBound {
            if other.buffered == other.buffer.count { try other.flush() }
            let take = min(range.upperBound - start, (other.buffer.count - other.buffered) / storedBytes)
            let end = other.buffered + take * storedBytes
            try readStored(tokens: start..<(start + take), into: UnsafeMutableRawBufferPointer(rebasing: other.buffer[other.buffered..<end]))
            other.buffered = end
            other.count += take
            start += take
        }
    }

    /// Drops every token from `newCount` on.
    func truncate(toCount newCount: Int) throws(DataError) {
        precondition(newCount <= count, "a spool only shrinks")
        try flush()
        guard ftruncate(descriptor, off_t(newCount * storedBytes)) == 0 else {
            throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno))
        }
        fileBytes = newCount * storedBytes
        count = newCount
    }

    /// Closes and deletes the file.
    func remove() throws(DataError) {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        guard unlink(path) == 0 else { throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno)) }
    }
}
