// The bytes of one input file as text: read plain, or inflated when the file starts with the gzip
// magic bytes 1f 8b (a UTF-8 text cannot: 8b is a continuation byte). A `.gz` name without the
// magic is reported as corrupt gzip rather than read as text.

final class TextSource {
    let path: String
    let isCompressed: Bool
    private let file: InputFile
    private let gzip: GzipReader?
    private var sniffed: [UInt8]
    private var sniffedOffset = 0

    init(path: String) throws(DataError) {
        self.path = path
        let file = try InputFile(path: path)
        self.file = file
        var head = [UInt8](repeating: 0, count: 2)
        let count = try head.withMutableBytes { (buffer) throws(DataError) -> Int in
            try file.readFully(into: buffer)
        }
        head.removeSubrange(count...)
        let hasMagic = head.withUnsafeBytes { GzipMagic.matches($0) }
        if hasMagic {
            isCompressed = true
            gzip = try head.withBytes { (prefix) throws(DataError) -> GzipReader in
                try GzipReader(path: path, source: file, prefix: prefix)
            }
            sniffed = []
        } else if path.hasSuffix(".gz") {
            if count == 0 { throw .truncatedGzip(path: path, compressedBytes: 0) }
            throw .corruptGzip(path: path, detail: "not in gzip format: no 1f 8b magic bytes")
        } else {
            isCompressed = false
            gzip = nil
            sniffed = head
        }
    }

    /// Bytes of the file on disk read so far (compressed bytes for gzip).
    var fileBytesRead: Int { file.bytesRead }

    /// The file's size on disk.
    var fileSize: Int { file.size }

    /// Fills `buffer` with the next text bytes; 0 at the end.
    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(DataError) -> Int {
        if let gzip { return try gzip.readChunk(into: buffer) }
        if sniffedOffset < sniffed.count {
            let count = min(buffer.count, sniffed.count - sniffedOffset)
            for i in 0..<count { buffer[i] = sniffed[sniffedOffset + i] }
            sniffedOffset += count
            return count
        }
        return try file.readChunk(into: buffer)
    }
}
