// Shared helpers for the Data tests: a fresh temporary directory per test, file writers, gzip via
// the real `gzip` tool, synthetic datasets of incrementing tokens, and the corpora in ../shared/data.
import Foundation
import XCTest
@testable import Data
import Tokenizers

/// A fresh directory under the system temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase, file: StaticString = #filePath, line: UInt = #line) -> String {
    let path = NSTemporaryDirectory() + "descent-data-tests-" + UUID().uuidString
    XCTAssertNoThrow(try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true), file: file, line: line)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

func writeFile(_ path: String, _ text: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
}

func writeFile(_ path: String, bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func readBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

/// Runs a tool and returns its standard output; fails the test on a non-zero exit.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], input: [UInt8]? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    let inputPipe = Pipe()
    if input != nil { process.standardInput = inputPipe }
    try process.run()
    if let input {
        inputPipe.fileHandleForWriting.write(Data(input))
        try inputPipe.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "\(executable) \(arguments.joined(separator: " ")) failed", file: file, line: line)
    return [UInt8](data)
}

func gzipTool() throws -> String {
    for path in ["/usr/bin/gzip", "/bin/gzip"] where FileManager.default.isExecutableFile(atPath: path) { return path }
    throw XCTSkip("the gzip tool is not installed")
}

/// `text` compressed by the real gzip tool.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    try runTool(try gzipTool(), ["-c", "-n"], input: bytes)
}

/// The corpora shipped beside the project: ../shared/data relative to the package root.
func sharedCorpus(_ name: String) throws -> String {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let path = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/\(name)").path
    guard FileManager.default.fileExists(atPath: path) else {
        throw XCTSkip("\(path) is absent; this test needs the shared corpora (../shared/data beside the package)")
    }
    return path
}

/// Collects documents as strings, and each document's pieces (test sink for the document reader).
struct CollectingSink: DocumentSink {
    var documents: [String] = []
    var pieces: [[[UInt8]]] = []
    private var current: [[UInt8]] = []
    private var isOpen = false

    mutating func beginDocument() {
        XCTAssertFalse(isOpen, "document begun twice")
        isOpen = true
        current = []
    }

    mutating func text(_ piece: UnsafeBufferPointer<UInt8>) {
        XCTAssertTrue(isOpen, "text outside a document")
        XCTAssertFalse(piece.isEmpty, "an empty piece")
        XCTAssertNotNil(String(validating: piece, as: UTF8.self), "a piece that is not whole scalars of UTF-8")
        current.append(Array(piece))
    }

    mutating func endDocument() {
        XCTAssertTrue(isOpen, "document ended twice")
        isOpen = false
        documents.append(String(decoding: current.joined(), as: UTF8.self))
        pieces.append(current)
    }
}

/// Documents of `text` written to a file and read back by `DocumentReader`.
func documents(of text: String, split: DocumentSplit, chunkSize: Int = DocumentReader.chunkSize,
               in directory: String) throws -> [String] {
    let path = directory + "/doc-\(UUID().uuidString).txt"
    writeFile(path, text)
    var sink = CollectingSink()
    try DocumentReader.read(path: path, split: split, into: &sink, chunkSize: chunkSize)
    return sink.documents
}

/// A tokenizer of `vocabularySize` ids whose symbols are U+0100, U+0101, … (no surrogates below
/// vocabulary 0xD700) or, above 65,535, scalars from U+10000 on.
func syntheticTokenizer(vocabularySize: Int) throws -> CharacterTokenizer {
    let first: UInt32 = vocabularySize > 0xD000 ? 0x10000 : 0x100
    return try CharacterTokenizer(symbols: (0..<(vocabularySize - 1)).map { Unicode.Scalar(first + UInt32($0))! })
}

/// The synthetic stream of incrementing tokens: token p at position p, except every
/// `documentLength`-th position, which is the boundary 0. So an example's position is its target,
/// or (for a boundary target) its context's last token + 1.
func incrementingStream(length: Int, documentLength: Int) -> [Int32] {
    (0..<length).map { $0 % documentLength == 0 ? 0 : Int32($0) }
}
