// Streaming documents out of text files: strict UTF-8 decoding of chunks (a sequence cut by a chunk
// boundary is carried to the next chunk), then segmentation into documents by `DocumentSplit`.
// Documents are never materialised: a sink receives begin / scalar / end events, so a multi-GB
// single-document corpus streams in constant memory.
//
// Decisions: a UTF-8 byte-order mark at the very start of a file is dropped (it is an encoding
// marker, not text); "\r\n" and "\n" end lines in `lines` and `paragraphs` modes, a lone "\r" is
// text; in `file` mode every scalar, line ends included, is text. Not handled: other encodings
// (UTF-16 input is reported as invalid UTF-8 with its position), Unicode normalisation (scalars are
// kept exactly as written).

/// What a document is in the input files.
public enum DocumentSplit: String, CaseIterable, Codable, Sendable {
    /// Each non-empty line is a document (terminator "\n" or "\r\n" stripped; empty lines skipped).
    case lines
    /// Documents are separated by one or more blank (empty or whitespace-only) lines; a document's
    /// lines are joined with "\n".
    case paragraphs
    /// Each input file's whole text is one document (a file with no text gives none).
    case file
}

/// Receives documents as events, in input order.
protocol DocumentSink {
    mutating func beginDocument() throws(DataError)
    mutating func append(_ scalar: UInt32) throws(DataError)
    mutating func endDocument() throws(DataError)
}

/// Turns a stream of scalars (line ends included) into document events.
struct DocumentSegmenter {
    let split: DocumentSplit
    private var isInDocument = false
    private var hasPendingCarriageReturn = false
    /// `paragraphs`: this line has a non-whitespace scalar (so it is not blank).
    private var lineHasText = false
    /// `paragraphs`: leading whitespace of the current line, held until the line proves non-blank.
    private var pendingWhitespace: [UInt32] = []

    init(split: DocumentSplit) { self.split = split }

    @inline(__always)
    mutating func consume<Sink: DocumentSink>(_ scalar: UInt32, into sink: inout Sink) throws(DataError) {
        if split == .file {
            if !isInDocument { try sink.beginDocument(); isInDocument = true }
            try sink.append(scalar)
            return
        }
        if hasPendingCarriageReturn {
            hasPendingCarriageReturn = false
            if scalar == 0x0A { try endLine(into: &sink); return }
            try text(0x0D, into: &sink)
        }
        switch scalar {
        case 0x0A: try endLine(into: &sink)
        case 0x0D: hasPendingCarriageReturn = true
        default: try text(scalar, into: &sink)
        }
    }

    /// Ends the current file: documents never span files.
    mutating func finishFile<Sink: DocumentSink>(into sink: inout Sink) throws(DataError) {
        if hasPendingCarriageReturn {
            hasPendingCarriageReturn = false
            try text(0x0D, into: &sink)
        }
        if split != .file { try endLine(into: &sink) }
        if isInDocument { try sink.endDocument(); isInDocument = false }
        lineHasText = false
        pendingWhitespace.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private mutating func text<Sink: DocumentSink>(_ scalar: UInt32, into sink: inout Sink) throws(DataError) {
        if split == .lines {
            if !isInDocument { try sink.beginDocument(); isInDocument = true }
            try sink.append(scalar)
            return
        }
        // paragraphs
        if lineHasText { try sink.append(scalar); return }
        if Self.isWhitespace(scalar) { pendingWhitespace.append(scalar); return }
        if isInDocument {
            try sink.append(0x0A)
        } else {
            try sink.beginDocument()
            isInDocument = true
        }
        for held in pendingWhitespace { try sink.append(held) }
        pendingWhitespace.removeAll(keepingCapacity: true)
        lineHasText = true
        try sink.append(scalar)
    }

    private mutating func endLine<Sink: DocumentSink>(into sink: inout Sink) throws(DataError) {
        switch split {
        case .lines:
            if isInDocument { try sink.endDocument(); isInDocument = false }
        case .paragraphs:
            if !lineHasText && isInDocument { try sink.endDocument(); isInDocument = false }
            lineHasText = false
            pendingWhitespace.removeAll(keepingCapacity: true)
        case .file:
            break
        }
    }

    static func isWhitespace(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x20, 0x09, 0x0B, 0x0C, 0x0D: return true
        case 0..<0x80: return false
        default: return Unicode.Scalar(scalar)?.properties.isWhitespace ?? false
        }
    }
}

enum DocumentReader {
    static let chunkSize = 1 << 20

    /// Streams the documents of `path` into `sink`. `progress` gets the file bytes read so far after
    /// each chunk. Returns the text bytes (decompressed) read.
    @discardableResult
    static func read<Sink: DocumentSink>(path: String, split: DocumentSplit, into sink: inout Sink,
                                         chunkSize: Int = chunkSize,
                                         progress: ((_ fileBytesRead: Int, _ fileSize: Int) -> Void)? = nil)
        throws(DataError) -> Int {
        let source = try TextSource(path: path)
        let fileSize = source.fileSize
        var segmenter = DocumentSegmenter(split: split)
        var decoder = UTF8StreamDecoder(path: path)
        // Up to 3 bytes of a sequence cut by the previous chunk move to the front; 4 spare bytes hold them.
        var buffer = [UInt8](repeating: 0, count: chunkSize + 4)
        var carried = 0
        var textBytes = 0
        while true {
            let count = try buffer.withMutableBytes { (raw) throws(DataError) -> Int in
                try source.readChunk(into: UnsafeMutableRawBufferPointer(rebasing: raw[carried..<(carried + chunkSize)]))
            }
            textBytes += count
            let isLast = count == 0
            let total = carried + count
            let leftover = try buffer.withBuffer { (bytes) throws(DataError) -> Int in
                try decoder.decode(UnsafeBufferPointer(rebasing: bytes[0..<total]), isLast: isLast,
                                   segmenter: &segmenter, sink: &sink)
            }
            for i in 0..<leftover { buffer[i] = buffer[total - leftover + i] }
            carried = leftover
            progress?(source.fileBytesRead, fileSize)
            if isLast { break }
        }
        try segmenter.finishFile(into: &sink)
        return textBytes
    }
}

/// Strict UTF-8 (Unicode Table 3-7: no overlongs, surrogates or values above U+10FFFF) with
/// line and byte positions for errors.
struct UTF8StreamDecoder {
    let path: String
    /// Offset in the text of the first byte of the next chunk handed to `decode`.
    private var offset = 0
    /// 1-based line of the next scalar.
    private var line = 1

    init(path: String) { self.path = path }

    /// Decodes `bytes`, feeding scalars through `segmenter` into `sink`. Returns how many bytes at
    /// the end form an incomplete sequence to be carried to the next call (0 when `isLast`).
    mutating func decode<Sink: DocumentSink>(_ bytes: UnsafeBufferPointer<UInt8>, isLast: Bool,
                                             segmenter: inout DocumentSegmenter, sink: inout Sink)
        throws(DataError) -> Int {
        let end = bytes.count
        var i = 0
        while i < end {
            let b0 = bytes[i]
            var scalar: UInt32
            var length: Int
            if b0 < 0x80 {
                scalar = UInt32(b0)
                length = 1
            } else {
                var low: UInt8 = 0x80
                var high: UInt8 = 0xBF
                switch b0 {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; high = 0x9F
                case 0xF0: length = 4; low = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; high = 0x8F
                default: throw invalid(at: i)
                }
                let available = end - i
                // Validate what is there, so an error is reported at once, then carry a cut sequence.
                if available > 1 && !(low...high).contains(bytes[i + 1]) { throw invalid(at: i) }
                if available > 2 && length > 2 && bytes[i + 2] & 0xC0 != 0x80 { throw invalid(at: i) }
                if available > 3 && length > 3 && bytes[i + 3] & 0xC0 != 0x80 { throw invalid(at: i) }
                if available < length {
                    if isLast { throw invalid(at: i) }
                    offset += i
                    return available
                }
                switch length {
                case 2:
                    scalar = UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)
                case 3:
                    scalar = UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                default:
                    scalar = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                        | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                }
                if scalar == 0xFEFF && offset + i == 0 {
                    i += length
                    continue
                }
            }
            try segmenter.consume(scalar, into: &sink)
            if scalar == 0x0A { line += 1 }
            i += length
        }
        offset += end
        return 0
    }

    private func invalid(at index: Int) -> DataError {
        .invalidUTF8(path: path, line: line, byteOffset: offset + index)
    }
}
