// gzip through the system zlib: a streaming inflater over any chunked byte source (a file, or bytes
// in memory), and a streaming deflater that writes a gzip file while hashing what it writes.
//
// Reading accepts concatenated members (`cat a.gz b.gz`, what `gzip -dc` accepts) and tells a
// truncated stream (the input ends before a member's end marker) from a corrupt one (zlib's
// Z_DATA_ERROR, with zlib's message). Writing produces a deterministic gzip header: mtime 0, no
// file name, so the same tokens give the same bytes. Deliberately not handled: gzip's trailing
// garbage tolerance (bytes after the last member that are not another member are an error), and
// zlib's `deflateParams` tuning.
import CZlib
import Core

/// Something that fills a buffer with the next bytes of a stream; 0 means the end.
protocol ByteChunkSource: AnyObject {
    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int
}

extension ByteChunkSource {
    /// Fills `buffer` completely unless the stream ends first; returns the count read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try readChunk(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

extension InputFile: ByteChunkSource {}
extension GzipReader: ByteChunkSource {}

/// Bytes already in memory, served in chunks.
final class MemoryChunkSource: ByteChunkSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        let count = min(buffer.count, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

enum GzipMagic {
    static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }
}

/// Inflates a gzip stream (one or more members) from a `ByteChunkSource`.
final class GzipReader {
    let path: String
    private let source: ByteChunkSource
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var isMemberFinished = false
    private var isAtEnd = false
    /// Compressed bytes taken from the source so far.
    private(set) var compressedBytes = 0

    /// `prefix`: bytes already read from `source` (e.g. while sniffing the magic number), inflated first.
    init(path: String, source: ByteChunkSource, prefix: UnsafeRawBufferPointer? = nil,
         bufferSize: Int = 1 << 18) throws(DataError) {
        self.path = path
        self.source = source
        input = .allocate(byteCount: max(bufferSize, prefix?.count ?? 0), alignment: 16)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: a 32 KiB window, with zlib detecting the gzip (or zlib) header itself.
        let status = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw .unreadable(path: path, reason: "zlib inflateInit2 failed with status \(status)")
        }
        if let prefix, prefix.count > 0 {
            input.copyMemory(from: prefix)
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_in = uInt(prefix.count)
            compressedBytes = prefix.count
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws(DataError) -> Bool {
        let count = try source.readChunk(into: input)
        compressedBytes += count
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(count)
        return count > 0
    }

    /// Inflates into `buffer`; returns the count written, 0 only at the end of the last member.
    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        guard !isAtEnd, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let capacity = min(buffer.count, Int(UInt32.max))
        stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(capacity)
        while Int(stream.pointee.avail_out) == capacity {
            if isMemberFinished {
                if stream.pointee.avail_in == 0, try !refill() {
                    isAtEnd = true
                    break
                }
                // Another member follows: start it afresh (zlib re-reads a header).
                inflateReset(stream)
                isMemberFinished = false
            }
            if stream.pointee.avail_in == 0 {
                if try !refill() {
                    throw .truncatedGzip(path: path, compressedBytes: compressedBytes)
                }
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                isMemberFinished = true
            case Z_MEM_ERROR:
                throw .unreadable(path: path, reason: "out of memory while inflating")
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw .corruptGzip(path: path, detail: message)
            }
        }
        return capacity - Int(stream.pointee.avail_out)
    }
}

/// Writes a new gzip file, hashing the compressed bytes as they go out.
final class GzipWriter {
    let path: String
    private let file: OutputFile
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var hasher = SHA256()
    private var isFinished = false
    /// Compressed bytes written so far.
    private(set) var compressedBytes = 0

    /// `level`: zlib's 1 (fastest) … 9 (smallest). See `ShardFormat.compressionLevel` for the choice.
    init(path: String, level: Int32, bufferSize: Int = 1 << 18) throws(DataError) {
        self.path = path
        file = try OutputFile(path: path)
        output = .allocate(byteCount: bufferSize, alignment: 16)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16 = 31: gzip wrapper with zlib's default header (mtime 0, no name).
        let status = deflateInit2_(stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw .writeFailed(path: path, reason: "zlib deflateInit2 failed with status \(status)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        while stream.pointee.avail_in > 0 {
            try deflateStep(flush: Z_NO_FLUSH)
        }
    }

    /// Ends the gzip stream and closes the file; returns the file's size and SHA-256.
    func finish() throws(DataError) -> (bytes: Int, sha256: String) {
        precondition(!isFinished, "GzipWriter.finish called twice")
        isFinished = true
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while try deflateStep(flush: Z_FINISH) != Z_STREAM_END {}
        try file.finish()
        return (compressedBytes, hasher.finalizeHex())
    }

    @discardableResult
    private func deflateStep(flush: Int32) throws(DataError) -> Int32 {
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = deflate(stream, flush)
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw .writeFailed(path: path, reason: "zlib deflate failed with status \(status)")
        }
        let produced = output.count - Int(stream.pointee.avail_out)
        if produced > 0 {
            let chunk = UnsafeRawBufferPointer(rebasing: output[0..<produced])
            try file.append(chunk)
            hasher.update(chunk)
            compressedBytes += produced
        }
        return status
    }
}
