// A split's token stream spooled to a file while documents are encoded, because shard sizes (and
// a one-document corpus's validation cut) depend on the stream's length, which a general tokenizer
// only tells by encoding. The spool holds the tokens exactly as a shard's payload does (uint16 LE,
// or uint32 LE when the vocabulary exceeds 65,535), so cutting it into shards is plain reads. It
// lives in the dataset's staging directory and is removed before the dataset is committed.
// Memory: one 1 MiB write buffer. Not handled: reuse across runs, or reading while writing (the
// writer flushes once, before any read).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A token stream in a file, written sequentially, then read back by token range.
final class TokenSpool {
    let path: String
    /// 2 (uint16) or 4 (uint32), as `ShardFormat.tokenBytes` says for the vocabulary.
    let tokenBytes: Int
    /// Tokens in the stream, buffered ones included.
    private(set) var count = 0
    private var descriptor: Int32
    /// Bytes already in the file.
    private var fileBytes = 0
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0

    /// Creates the spool file at `path`, which must not exist.
    init(path: String, tokenBytes: Int) throws(DataError) {
        precondition(tokenBytes == 2 || tokenBytes == 4, "a spool holds uint16 or uint32 tokens")
        self.path = path
        self.tokenBytes = tokenBytes
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno)) }
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        buffer.deallocate()
    }

    /// Appends one token (its low 16 bits for a uint16 spool; tokens are below the vocabulary size).
    func append(_ token: Int32) throws(DataError) {
        if buffered == buffer.count { try flush() }
        store(token, at: buffered)
        buffered &+= tokenBytes
        count &+= 1
    }

    /// Appends `tokens` in order.
    func append(_ tokens: [Int32]) throws(DataError) {
        try tokens.withBuffer { (tokens) throws(DataError) in
            var next = 0
            while next < tokens.count {
                if buffered == buffer.count { try flush() }
                let take = min(tokens.count - next, (buffer.count - buffered) / tokenBytes)
                for i in 0..<take { store(tokens[next &+ i], at: buffered &+ i &* tokenBytes) }
                buffered &+= take &* tokenBytes
                next &+= take
            }
        }
        count &+= tokens.count
    }

    @inline(__always)
    private func store(_ token: Int32, at offset: Int) {
        if tokenBytes == 2 {
            buffer.storeBytes(of: UInt16(truncatingIfNeeded: token).littleEndian, toByteOffset: offset, as: UInt16.self)
        } else {
            buffer.storeBytes(of: UInt32(bitPattern: token).littleEndian, toByteOffset: offset, as: UInt32.self)
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

    /// Reads the raw bytes of tokens `range` into `bytes` (exactly `range.count · tokenBytes` long).
    func read(tokens range: Range<Int>, into bytes: UnsafeMutableRawBufferPointer) throws(DataError) {
        precondition(range.upperBound * tokenBytes <= fileBytes && bytes.count == range.count * tokenBytes,
                     "spool read outside the flushed tokens")
        var done = 0
        while done < bytes.count {
            let result = pread(descriptor, bytes.baseAddress! + done, bytes.count - done,
                               off_t(range.lowerBound * tokenBytes + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: FileSystem.errorMessage(errno))
            }
            guard result > 0 else { throw .unreadable(path: path, reason: "the spool file is shorter than written") }
            done += result
        }
    }

    /// Appends this spool's tokens `range` to `other`.
    func copy(tokens range: Range<Int>, to other: TokenSpool) throws(DataError) {
        precondition(other.tokenBytes == tokenBytes, "spools of different token widths")
        try flush()
        var start = range.lowerBound
        while start < range.upperBound {
            if other.buffered == other.buffer.count { try other.flush() }
            let take = min(range.upperBound - start, (other.buffer.count - other.buffered) / tokenBytes)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: other.buffer[other.buffered..<(other.buffered + take * tokenBytes)])
            try read(tokens: start..<(start + take), into: bytes)
            other.buffered += take * tokenBytes
            other.count += take
            start += take
        }
    }

    /// Drops every token from `newCount` on.
    func truncate(toCount newCount: Int) throws(DataError) {
        precondition(newCount <= count, "a spool only shrinks")
        try flush()
        guard ftruncate(descriptor, off_t(newCount * tokenBytes)) == 0 else {
            throw .writeFailed(path: path, reason: FileSystem.errorMessage(errno))
        }
        fileBytes = newCount * tokenBytes
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
