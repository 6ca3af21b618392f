// Streaming documents out of text files: chunks of bytes are validated as strict UTF-8 (a
// sequence cut by a chunk's end is carried to the next chunk), segmented into documents by
// `DocumentSplit`, and each document's text is handed to a sink as UTF-8 byte pieces
// (`DocumentPieces`: whole documents, or for long ones pieces of about 1 MiB cut at safe cuts), so
// a multi-GB single-document corpus streams in bounded memory and nothing builds a String.
//
// Decisions: a UTF-8 byte-order mark at the very start of a file is dropped (it is an encoding
// marker, not text); "\r\n" and "\n" end lines in `lines` and `paragraphs` modes, a lone "\r" is
// text; in `file` mode every byte, line ends included, is text. Segmentation works on bytes: every
// byte it looks for ("\n", "\r", ASCII whitespace) is ASCII, which no multi-byte sequence contains.
// Not handled: other encodings (UTF-16 input is reported as invalid UTF-8 with its position),
// Unicode normalisation (scalars are kept exactly as written).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Receives documents in input order: `beginDocument`, one or more `text` pieces, `endDocument`.
protocol DocumentSink {
    mutating func beginDocument() throws(DataError)
    /// The next piece of the current document: valid UTF-8, whole scalars, never empty. Pieces end
    /// at safe cuts, at the document's end, or (after 16 MiB without a safe cut) at a scalar boundary.
    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) throws(DataError)
    mutating func endDocument() throws(DataError)
}

/// Turns a file's text (valid UTF-8, line ends included) into documents.
struct DocumentSegmenter {
    let split: DocumentSplit
    private var isInDocument = false
    /// The previous bytes ended with "\r": a line end if "\n" follows, text otherwise.
    private var hasPendingCarriageReturn = false
    /// `paragraphs`: this line has a non-whitespace scalar (so it is not blank).
    private var lineHasText = false
    /// `paragraphs`: leading whitespace of the current line, held until the line proves non-blank.
    private var pendingWhitespace: [UInt8] = []

    private static let newline: [UInt8] = [0x0A]
    private static let carriageReturn: [UInt8] = [0x0D]

    init(split: DocumentSplit) { self.split = split }

    /// Consumes the next bytes of the file's text (whole scalars).
    mutating func consume<Sink: DocumentSink>(_ bytes: UnsafeBufferPointer<UInt8>, into document: DocumentPieces,
                                              sink: inout Sink) throws(DataError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if split == .file {
            try text(bytes, into: document, sink: &sink)
            return
        }
        var start = 0
        if hasPendingCarriageReturn {
            hasPendingCarriageReturn = false
            if bytes[0] == 0x0A {
                try endLine(into: document, sink: &sink)
                start = 1
            } else {
                try Self.carriageReturn.withBuffer { (cr) throws(DataError) in try text(cr, into: document, sink: &sink) }
            }
        }
        while start < bytes.count {
            let found = memchr(base + start, 0x0A, bytes.count - start)
            let lineEnd = found.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
            var contentEnd = lineEnd
            if contentEnd > start && bytes[contentEnd - 1] == 0x0D {
                contentEnd -= 1
                if found == nil { hasPendingCarriageReturn = true }
            }
            if contentEnd > start {
                try text(UnsafeBufferPointer(rebasing: bytes[start..<contentEnd]), into: document, sink: &sink)
            }
            guard found != nil else { break }
            try endLine(into: document, sink: &sink)
            start = lineEnd + 1
        }
    }

    /// Ends the current file: documents never span files.
    mutating func finishFile<Sink: DocumentSink>(into document: DocumentPieces, sink: inout Sink) throws(DataError) {
        if hasPendingCarriageReturn {
            hasPendingCarriageReturn = false
            try Self.carriageReturn.withBuffer { (cr) throws(DataError) in try text(cr, into: document, sink: &sink) }
        }
        if split != .file { try endLine(into: document, sink: &sink) }
        if isInDocument {
            try document.end(into: &sink)
            isInDocument = false
        }
        lineHasText = false
        pendingWhitespace.removeAll(keepingCapacity: true)
    }

    /// Text of the current line (no line terminator in it).
    private mutating func text<Sink: DocumentSink>(_ bytes: UnsafeBufferPointer<UInt8>, into document: DocumentPieces,
                                                   sink: inout Sink) throws(DataError) {
        var start = 0
        if split == .paragraphs && !lineHasText {
            while start < bytes.count {
                let (value, length) = UTF8StreamValidator.decode(at: start, in: bytes)
                guard Self.isWhitespace(value) else { break }
                pendingWhitespace.append(contentsOf: bytes[start..<(start + length)])
                start += length
            }
            if start == bytes.count { return }
            if isInDocument {
                try Self.newline.withBuffer { (newline) throws(DataError) in try document.append(newline, into: &sink) }
            } else {
                try document.begin(into: &sink)
                isInDocument = true
            }
            if !pendingWhitespace.isEmpty {
                try pendingWhitespace.withBuffer { (held) throws(DataError) in try document.append(held, into: &sink) }
                pendingWhitespace.removeAll(keepingCapacity: true)
            }
            lineHasText = true
        } else if !isInDocument {
            try document.begin(into: &sink)
            isInDocument = true
        }
        try document.append(UnsafeBufferPointer(rebasing: bytes[start...]), into: &sink)
    }

    private mutating func endLine<Sink: DocumentSink>(into document: DocumentPieces, sink: inout Sink) throws(DataError) {
        switch split {
        case .lines:
            if isInDocument {
                try document.end(into: &sink)
                isInDocument = false
            }
        case .paragraphs:
            if !lineHasText && isInDocument {
                try document.end(into: &sink)
                isInDocument = false
            }
            lineHasText = false
            pendingWhitespace.removeAll(keepingCapacity: true)
        case .file:
            break
        }
    }

    /// Whitespace that leaves a line blank in `paragraphs` mode ("\n" never reaches here).
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
                                         chunkSize: Int = chunkSize, pieceSizes: PieceSizes = .standard,
                                         progress: ((_ fileBytesRead: Int, _ fileSize: Int) -> Void)? = nil)
        throws(DataError) -> Int {
        let source = try TextSource(path: path)
        let fileSize = source.fileSize
        var segmenter = DocumentSegmenter(split: split)
        let document = DocumentPieces(sizes: pieceSizes)
        var validator = UTF8StreamValidator(path: path)
        // Up to 3 bytes of a sequence cut by the previous chunk move to the front; 4 spare bytes hold them.
        var buffer = [UInt8](repeating: 0, count: chunkSize + 4)
        var carried = 0
        var textBytes = 0
        var isAtTextStart = true
        while true {
            let count = try buffer.withMutableBytes { (raw) throws(DataError) -> Int in
                try source.readChunk(into: UnsafeMutableRawBufferPointer(rebasing: raw[carried..<(carried + chunkSize)]))
            }
            textBytes += count
            let isLast = count == 0
            let total = carried + count
            let complete = try buffer.withBuffer { (bytes) throws(DataError) -> Int in
                let text = UnsafeBufferPointer(rebasing: bytes[0..<total])
                let complete = try validator.validate(text, isLast: isLast)
                var start = 0
                if isAtTextStart && complete > 0 {
                    isAtTextStart = false
                    if complete >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF { start = 3 }
                }
                try segmenter.consume(UnsafeBufferPointer(rebasing: text[start..<complete]), into: document, sink: &sink)
                return complete
            }
            for i in 0..<(total - complete) { buffer[i] = buffer[complete + i] }
            carried = total - complete
            progress?(source.fileBytesRead, fileSize)
            if isLast { break }
        }
        try segmenter.finishFile(into: document, sink: &sink)
        return textBytes
    }
}
