import Foundation
import XCTest
@testable import Data
import Tokenizers

final class DocumentReaderTests: XCTestCase {
    func testLinesStripTerminatorsAndSkipEmptyLines() throws {
        let directory = makeTemporaryDirectory(self)
        XCTAssertEqual(try documents(of: "emma\nolivia\r\n\n\r\nava", split: .lines, in: directory), ["emma", "olivia", "ava"])
        // A lone CR is text; whitespace-only lines are documents (only empty lines are skipped).
        XCTAssertEqual(try documents(of: "a\rb\n \nc\r", split: .lines, in: directory), ["a\rb", " ", "c\r"])
        XCTAssertEqual(try documents(of: "", split: .lines, in: directory), [])
        XCTAssertEqual(try documents(of: "\n\n\r\n", split: .lines, in: directory), [])
    }

    func testParagraphsSplitAtBlankLinesAndJoinLines() throws {
        let directory = makeTemporaryDirectory(self)
        let text = "\n  First line\nsecond line  \n \t\n\n\r\nThird\r\n  indented\n\u{00A0}\nlast"
        XCTAssertEqual(try documents(of: text, split: .paragraphs, in: directory),
                       ["  First line\nsecond line  ", "Third\n  indented", "last"])
    }

    func testFileModeKeepsEverythingAndDropsOnlyALeadingBOM() throws {
        let directory = makeTemporaryDirectory(self)
        XCTAssertEqual(try documents(of: "\u{FEFF}a\r\n\nb\n", split: .file, in: directory), ["a\r\n\nb\n"])
        XCTAssertEqual(try documents(of: "a\u{FEFF}", split: .file, in: directory), ["a\u{FEFF}"])
        XCTAssertEqual(try documents(of: "", split: .file, in: directory), [])
    }

    func testMultiByteSequencesCutByChunkBoundaries() throws {
        let directory = makeTemporaryDirectory(self)
        let text = "é日🦀\nnaïve 😀 x\n\n\u{10FFFF}\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\n"
        let expected = try documents(of: text, split: .lines, in: directory)
        XCTAssertEqual(expected, ["é日🦀", "naïve 😀 x", "\u{10FFFF}\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}"])
        for chunkSize in [1, 2, 3, 4, 5, 7, 13] {
            XCTAssertEqual(try documents(of: text, split: .lines, chunkSize: chunkSize, in: directory), expected,
                           "chunk size \(chunkSize)")
        }
    }

    func testInvalidUTF8ReportsLineAndByteOffset() throws {
        let directory = makeTemporaryDirectory(self)
        let path = directory + "/latin1.txt"
        // "ab\ncd\nx" then Latin-1 é (0xE9) at byte 7 of line 3.
        writeFile(path, bytes: Array("ab\ncd\nx".utf8) + [0xE9, 0x41, 0x0A])
        for chunkSize in [1, 3, 8, 1 << 20] {
            var sink = CollectingSink()
            XCTAssertThrowsError(try DocumentReader.read(path: path, split: .lines, into: &sink, chunkSize: chunkSize)) { error in
                XCTAssertEqual(error as? DataError, .invalidUTF8(path: path, line: 3, byteOffset: 7))
            }
        }
        let cases: [([UInt8], Int)] = [
            ([0xC0, 0x80], 0),               // overlong NUL
            ([0x61, 0xED, 0xA0, 0x80], 1),   // UTF-16 surrogate
            ([0xF4, 0x90, 0x80, 0x80], 0),   // above U+10FFFF
            ([0x61, 0x62, 0xE6, 0x97], 2),   // sequence cut by the end of the file
            ([0x80], 0),                     // lone continuation byte
            ([0xFF, 0xFE, 0x61, 0x00], 0),   // UTF-16 with BOM
        ]
        for (bytes, offset) in cases {
            writeFile(path, bytes: bytes)
            var sink = CollectingSink()
            XCTAssertThrowsError(try DocumentReader.read(path: path, split: .file, into: &sink, chunkSize: 2)) { error in
                XCTAssertEqual(error as? DataError, .invalidUTF8(path: path, line: 1, byteOffset: offset), "\(bytes)")
            }
        }
        XCTAssertEqual("\(DataError.invalidUTF8(path: "input.txt", line: 3, byteOffset: 57))",
                       "input.txt: invalid UTF-8 at line 3, byte 57. Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`).")
    }

    func testGzipInputIncludingConcatenatedMembers() throws {
        let directory = makeTemporaryDirectory(self)
        let first = try gzipped(Array("emma\nolivia\n".utf8))
        let second = try gzipped(Array("ava\nnaïve\n".utf8))
        let path = directory + "/names.txt.gz"
        writeFile(path, bytes: first + second)
        for chunkSize in [1, 5, 1 << 20] {
            var sink = CollectingSink()
            let textBytes = try DocumentReader.read(path: path, split: .lines, into: &sink, chunkSize: chunkSize)
            XCTAssertEqual(sink.documents, ["emma", "olivia", "ava", "naïve"])
            XCTAssertEqual(textBytes, 23)
        }
        // Detected by the magic bytes, whatever the name.
        let renamed = directory + "/names.bin"
        writeFile(renamed, bytes: first)
        var sink = CollectingSink()
        try DocumentReader.read(path: renamed, split: .lines, into: &sink)
        XCTAssertEqual(sink.documents, ["emma", "olivia"])
    }

    func testTruncatedAndCorruptGzip() throws {
        let directory = makeTemporaryDirectory(self)
        var text: [UInt8] = []
        for i in 0..<5000 { text += Array("line number \(i * 7919 % 10007)\n".utf8) }
        let compressed = try gzipped(text)
        let path = directory + "/corpus.txt.gz"
        func readLines(_ path: String) throws {
            var sink = CollectingSink()
            try DocumentReader.read(path: path, split: .lines, into: &sink)
        }

        writeFile(path, bytes: Array(compressed[0..<(compressed.count / 2)]))
        XCTAssertThrowsError(try readLines(path)) { error in
            XCTAssertEqual(error as? DataError, .truncatedGzip(path: path, compressedBytes: compressed.count / 2))
        }
        // Cut inside the 8-byte trailer (CRC32 + length).
        writeFile(path, bytes: Array(compressed.dropLast(3)))
        XCTAssertThrowsError(try readLines(path)) { error in
            guard case .truncatedGzip = error as? DataError else { return XCTFail("\(error)") }
        }
        var corrupt = compressed
        for i in stride(from: 20, to: corrupt.count - 20, by: 97) { corrupt[i] ^= 0x5A }
        writeFile(path, bytes: corrupt)
        XCTAssertThrowsError(try readLines(path)) { error in
            guard case .corruptGzip(let reported, let detail) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(reported, path)
            XCTAssertFalse(detail.isEmpty)
        }
        // A .gz name without gzip data, an empty .gz, and garbage after a member.
        writeFile(path, "plain text")
        XCTAssertThrowsError(try readLines(path)) { error in
            guard case .corruptGzip = error as? DataError else { return XCTFail("\(error)") }
        }
        writeFile(path, bytes: [])
        XCTAssertThrowsError(try readLines(path)) { error in
            XCTAssertEqual(error as? DataError, .truncatedGzip(path: path, compressedBytes: 0))
        }
        writeFile(path, bytes: compressed + Array("trailing junk".utf8))
        XCTAssertThrowsError(try readLines(path)) { error in
            guard case .corruptGzip = error as? DataError else { return XCTFail("\(error)") }
        }
    }

    func testMissingDirectoryAndUnreadableInputs() throws {
        let directory = makeTemporaryDirectory(self)
        var sink = CollectingSink()
        XCTAssertThrowsError(try DocumentReader.read(path: directory + "/missing.txt", split: .lines, into: &sink)) { error in
            XCTAssertEqual(error as? DataError, .fileNotFound(path: directory + "/missing.txt"))
        }
        XCTAssertThrowsError(try DocumentReader.read(path: directory, split: .lines, into: &sink)) { error in
            XCTAssertEqual(error as? DataError, .isDirectory(path: directory))
        }
        let locked = directory + "/locked.txt"
        writeFile(locked, "secret")
        chmod(locked, 0)
        defer { chmod(locked, 0o644) }
        if getuid() != 0 {
            XCTAssertThrowsError(try DocumentReader.read(path: locked, split: .lines, into: &sink)) { error in
                guard case .unreadable(let path, _) = error as? DataError else { return XCTFail("\(error)") }
                XCTAssertEqual(path, locked)
            }
        }
    }

    // MARK: - Pieces

    /// Reads `text` with small piece sizes and returns each document's pieces.
    func pieces(of text: String, split: DocumentSplit, chunkSize: Int, sizes: PieceSizes, in directory: String) throws -> [[[UInt8]]] {
        let path = directory + "/pieces-\(UUID().uuidString).txt"
        writeFile(path, text)
        var sink = CollectingSink()
        try DocumentReader.read(path: path, split: split, into: &sink, chunkSize: chunkSize, pieceSizes: sizes)
        return sink.pieces
    }

    func testLongDocumentsArePiecesCutAtSafeCutsWhateverTheChunking() throws {
        let directory = makeTemporaryDirectory(self)
        let text = "First Citizen:\nBefore we proceed, hear me.\n\nAll:\nSpeak, speak.\r\né\nü  \n 日本\n🦀\nend"
        let sizes = PieceSizes(target: 8, limit: 32)
        let expected = try pieces(of: text, split: .file, chunkSize: 1 << 20, sizes: sizes, in: directory)
        XCTAssertEqual(expected.count, 1)
        let document = Array(text.utf8)
        XCTAssertEqual(Array(expected[0].joined()), document)
        XCTAssertGreaterThan(expected[0].count, 3)
        var offset = 0
        document.withUnsafeBufferPointer { bytes in
            for piece in expected[0].dropLast() {
                offset += piece.count
                // Each cut is the first safe cut at or past the target, or a scalar boundary at the limit.
                if SafeCut.isSafeCut(bytes, at: offset) {
                    XCTAssertGreaterThanOrEqual(piece.count, sizes.target)
                    let start = offset - piece.count
                    let earlier = SafeCut.first(in: bytes, candidates: (start + sizes.target)..<offset)
                    XCTAssertNil(earlier, "a safe cut before \(offset)")
                } else {
                    XCTAssertLessThanOrEqual(piece.count, sizes.limit)
                    XCTAssertGreaterThan(piece.count, sizes.limit - 4)
                }
            }
        }
        for chunkSize in [1, 2, 3, 4, 5, 7, 13] {
            XCTAssertEqual(try pieces(of: text, split: .file, chunkSize: chunkSize, sizes: sizes, in: directory), expected,
                           "chunk size \(chunkSize)")
        }
        // Lines and paragraphs documents are cut the same way.
        let paragraphs = try pieces(of: text, split: .paragraphs, chunkSize: 3, sizes: sizes, in: directory)
        XCTAssertEqual(paragraphs, try pieces(of: text, split: .paragraphs, chunkSize: 1 << 20, sizes: sizes, in: directory))
        XCTAssertGreaterThan(paragraphs[0].count, 1)
    }

    func testAStretchWithoutSafeCutsIsCutAtAScalarBoundaryAtTheLimit() throws {
        let directory = makeTemporaryDirectory(self)
        // CRLF text has no safe cut; "é日🦀" mixes 2-, 3- and 4-byte scalars.
        let text = String(repeating: "é日🦀\r\n", count: 20)
        let sizes = PieceSizes(target: 8, limit: 21)
        let expected = try pieces(of: text, split: .file, chunkSize: 1 << 20, sizes: sizes, in: directory)
        XCTAssertEqual(Array(expected[0].joined()), Array(text.utf8))
        for piece in expected[0].dropLast() {
            XCTAssertLessThanOrEqual(piece.count, 21)
            XCTAssertGreaterThanOrEqual(piece.count, 18)
        }
        for chunkSize in [1, 2, 3, 5, 13] {
            XCTAssertEqual(try pieces(of: text, split: .file, chunkSize: chunkSize, sizes: sizes, in: directory), expected,
                           "chunk size \(chunkSize)")
        }
    }

    func testShortDocumentsAreOnePiece() throws {
        let directory = makeTemporaryDirectory(self)
        let lines = try pieces(of: "emma\nolivia\n\nava", split: .lines, chunkSize: 2, sizes: .standard, in: directory)
        XCTAssertEqual(lines, [[Array("emma".utf8)], [Array("olivia".utf8)], [Array("ava".utf8)]])
        // A leading BOM is dropped whatever the chunking; later ones are text.
        for chunkSize in [1, 2, 3, 4] {
            XCTAssertEqual(try documents(of: "\u{FEFF}a\u{FEFF}\nb", split: .lines, chunkSize: chunkSize, in: directory),
                           ["a\u{FEFF}", "b"], "chunk size \(chunkSize)")
        }
    }
}
