import Core
import Foundation
import XCTest
@testable import Data
import Tokenizers

/// Splits a stream B d1 B d2 … B into its documents' token arrays.
func documentsOf(stream: [Int32], boundary: Int32 = 0) -> [[Int32]] {
    XCTAssertEqual(stream.first, boundary, "a split stream starts with the boundary")
    var documents: [[Int32]] = []
    var current: [Int32] = []
    for token in stream.dropFirst() {
        if token == boundary {
            documents.append(current)
            current = []
        } else {
            current.append(token)
        }
    }
    XCTAssertTrue(current.isEmpty, "a document split's stream ends with the boundary")
    return documents
}

final class PrepareTests: XCTestCase {
    let names = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
                 "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett"]

    func prepare(_ text: String, in directory: String, splitBy: DocumentSplit = .lines, valFraction: Double = 0.1,
                 seed: UInt64 = 1337, shardTokens: Int = 1_000_000, name: String = "input.txt") throws -> PreparedDataset {
        let input = directory + "/" + name
        writeFile(input, text)
        let out = directory + "/out"
        try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: out, splitBy: splitBy,
                                       valFraction: valFraction, seed: seed, shardTokens: shardTokens))
        return try PreparedDataset(directory: out)
    }

    func testDocumentSplitHoldsOutSeededWholeDocuments() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try prepare(names.joined(separator: "\n") + "\n", in: directory)
        let tokenizer = try XCTUnwrap(dataset.tokenizer as? CharacterTokenizer)
        let train = documentsOf(stream: try dataset.readStream(.train)).map { tokenizer.decode($0) }
        let val = documentsOf(stream: try dataset.readStream(.val)).map { tokenizer.decode($0) }

        // k = round(0.1 · 20) = 2, chosen by Algorithm S with Xoshiro256(1337), in document order.
        var generator = Xoshiro256(seed: 1337)
        var needed = 2
        var expectedVal: [String] = []
        for (index, name) in names.enumerated() where needed > 0 {
            if generator.nextInt(below: names.count - index) < needed {
                expectedVal.append(name)
                needed -= 1
            }
        }
        XCTAssertEqual(val, expectedVal)
        XCTAssertEqual(train, names.filter { !expectedVal.contains($0) })

        let manifest = dataset.manifest
        XCTAssertEqual(manifest.holdout, .documents)
        XCTAssertEqual(manifest.splits.train.documents, 18)
        XCTAssertEqual(manifest.splits.val.documents, 2)
        let characters = names.reduce(0) { $0 + $1.count }
        XCTAssertEqual(manifest.splits.train.tokens + manifest.splits.val.tokens, characters + 20 + 2)
        XCTAssertEqual(manifest.splits.val.tokens, expectedVal.reduce(0) { $0 + $1.count + 1 } + 1)
        XCTAssertEqual(manifest.splits.train.examples, manifest.splits.train.tokens - 1)
        XCTAssertEqual(manifest.vocabularySize, Set(names.joined()).count + 1)
    }

    func testValidationCountRounding() throws {
        let directory = makeTemporaryDirectory(self)
        // (documents, fraction, expected k): at least one when F > 0, never all.
        for (count, fraction, expected) in [(2, 0.1, 1), (3, 0.9, 2), (20, 0.1, 2), (20, 0.125, 3), (7, 0.0, 0), (25, 0.5, 13)] {
            let text = (0..<count).map { "doc\($0)" }.joined(separator: "\n")
            let dataset = try prepare(text, in: directory, valFraction: fraction)
            XCTAssertEqual(dataset.manifest.splits.val.documents, expected, "\(count) documents, F = \(fraction)")
            XCTAssertEqual(dataset.manifest.splits.train.documents, count - expected)
        }
    }

    func testSingleDocumentIsSplitAtATokenBoundary() throws {
        let directory = makeTemporaryDirectory(self)
        let text = String((0..<105).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
        let dataset = try prepare(text, in: directory, splitBy: .file)
        let tokens = try dataset.tokenizer.encode(text)
        // cut = n − round(0.1 · n) = 105 − 11 (10.5 rounds away from zero).
        XCTAssertEqual(try dataset.readStream(.train), [0] + Array(tokens[0..<94]))
        XCTAssertEqual(try dataset.readStream(.val), [0] + Array(tokens[94...]) + [0])
        XCTAssertEqual(dataset.manifest.holdout, .tail)
        XCTAssertEqual(dataset.manifest.splits.train.documents, 1)
        XCTAssertEqual(dataset.manifest.splits.val.documents, 1)

        // Two tokens still split (one each); one cannot.
        let tiny = try prepare("ab", in: directory, splitBy: .file)
        XCTAssertEqual(try tiny.readStream(.train), [0, 1])
        XCTAssertEqual(try tiny.readStream(.val), [0, 2, 0])
        XCTAssertThrowsError(try prepare("a", in: directory, splitBy: .file)) { error in
            XCTAssertEqual(error as? DataError, .corpusTooSmall(tokens: 1, valFraction: 0.1))
        }
        // With F = 0 a single document is just the train stream B d B.
        let whole = try prepare("abc", in: directory, splitBy: .file, valFraction: 0)
        XCTAssertEqual(try whole.readStream(.train), [0, 1, 2, 3, 0])
    }

    func testZeroValFractionGivesNoValidationShards() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try prepare(names.joined(separator: "\n"), in: directory, valFraction: 0)
        XCTAssertEqual(dataset.manifest.holdout, .none)
        XCTAssertEqual(dataset.shards(.val), [])
        XCTAssertEqual(dataset.manifest.splits.val, .init(documents: 0, tokens: 0, examples: 0))
        XCTAssertEqual(documentsOf(stream: try dataset.readStream(.train)).count, names.count)
        XCTAssertThrowsError(try BatchLoader(dataset: dataset, split: .val, contextLength: 3, batchSize: 4, seed: 1)) { error in
            XCTAssertEqual(error as? DataError, .emptySplit(dataset: directory + "/out", split: .val))
            XCTAssertTrue("\(error)".contains("--val-fraction"))
        }
        XCTAssertThrowsError(try EvaluationSet(dataset: dataset, split: .val, contextLength: 3, batchSize: 4, maxBatches: 0))
    }

    func testSeveralInputsInOrderAndSplitModes() throws {
        let directory = makeTemporaryDirectory(self)
        writeFile(directory + "/a.txt", "one\ntwo\n\nthree")
        writeFile(directory + "/b.txt", "four\r\nfive\n")
        writeFile(directory + "/c.txt", "")
        let inputs = ["a.txt", "b.txt", "c.txt"].map { directory + "/" + $0 }
        let expected: [(DocumentSplit, [String])] = [
            (.lines, ["one", "two", "three", "four", "five"]),
            (.paragraphs, ["one\ntwo", "three", "four\nfive"]),
            (.file, ["one\ntwo\n\nthree", "four\r\nfive\n"]),
        ]
        for (split, documents) in expected {
            let out = directory + "/out-\(split.rawValue)"
            let summary = try Prepare.run(PrepareOptions(inputs: inputs, outputDirectory: out, splitBy: split, valFraction: 0))
            let dataset = try PreparedDataset(directory: out)
            XCTAssertEqual(documentsOf(stream: try dataset.readStream(.train)).map { dataset.tokenizer.decode($0) }, documents)
            XCTAssertEqual(summary.train.documents, documents.count)
            XCTAssertEqual(dataset.manifest.sources.map(\.path), inputs)
            XCTAssertEqual(dataset.manifest.splitBy, split)
        }
    }

    func testOutputIsByteIdenticalAcrossRuns() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, (0..<3000).map { "\(names[$0 % names.count])\($0 % 7 == 0 ? "é" : "")" }.joined(separator: "\n"))
        var outputs: [[String: [UInt8]]] = []
        for run in 0..<2 {
            let out = directory + "/run\(run)"
            try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: out, shardTokens: 4096))
            let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
            XCTAssertGreaterThan(files.filter { $0.hasPrefix("train_") }.count, 2)
            outputs.append(Dictionary(uniqueKeysWithValues: files.map { ($0, readBytes(out + "/" + $0)) }))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        // gzip header: mtime 0, no file name flag.
        let shard = try XCTUnwrap(outputs[0]["train_000000.bin.gz"])
        XCTAssertEqual(Array(shard[0..<4]), [0x1f, 0x8b, 8, 0])
        XCTAssertEqual(Array(shard[4..<8]), [0, 0, 0, 0])
        // Another seed picks other validation documents.
        let other = directory + "/other-seed"
        try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: other, seed: 7, shardTokens: 4096))
        XCTAssertNotEqual(readBytes(other + "/val_000000.bin.gz"), outputs[0]["val_000000.bin.gz"])
    }

    func testShardsAreBalanced() throws {
        XCTAssertEqual(ShardFormat.shardSizes(totalTokens: 2500, shardTokens: 1024), [834, 833, 833])
        XCTAssertEqual(ShardFormat.shardSizes(totalTokens: 2048, shardTokens: 1024), [1024, 1024])
        XCTAssertEqual(ShardFormat.shardSizes(totalTokens: 2049, shardTokens: 1024), [683, 683, 683])
        XCTAssertEqual(ShardFormat.shardSizes(totalTokens: 5, shardTokens: 1024), [5])
        XCTAssertEqual(ShardFormat.shardSizes(totalTokens: 0, shardTokens: 1024), [])
        let directory = makeTemporaryDirectory(self)
        let dataset = try prepare((0..<600).map { "n\($0)" }.joined(separator: "\n"), in: directory, valFraction: 0, shardTokens: 1024)
        let sizes = dataset.shards(.train).map(\.tokens)
        XCTAssertEqual(sizes.reduce(0, +), dataset.tokenCount(.train))
        XCTAssertEqual(sizes.count, (dataset.tokenCount(.train) + 1023) / 1024)
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
        XCTAssertEqual(dataset.shards(.train).map(\.file), (0..<sizes.count).map { String(format: "train_%06d.bin.gz", $0) })
    }

    func testNonASCIICorpusAndGzipInputGiveTheSameTokens() throws {
        let directory = makeTemporaryDirectory(self)
        let text = "Grüße\n日本語のテキスト\nemoji 🦀🚀\nnaïve café\nπ ≈ 3.14159\n"
        let plain = try prepare(text, in: directory, valFraction: 0)
        let compressed = directory + "/input.txt.gz"
        writeFile(compressed, bytes: try gzipped(Array(text.utf8)))
        let out = directory + "/out-gz"
        let summary = try Prepare.run(PrepareOptions(inputs: [compressed], outputDirectory: out, valFraction: 0))
        let fromGzip = try PreparedDataset(directory: out)
        XCTAssertEqual(try fromGzip.readStream(.train), try plain.readStream(.train))
        XCTAssertEqual(fromGzip.manifest.sources[0].textBytes, text.utf8.count)
        XCTAssertEqual(summary.textBytes, text.utf8.count)
        XCTAssertEqual(documentsOf(stream: try plain.readStream(.train)).map { plain.tokenizer.decode($0) },
                       text.split(separator: "\n").map(String.init))
    }

    func testOutputDirectoryRules() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, names.joined(separator: "\n"))
        func run(_ out: String, _ inputs: [String]? = nil) throws -> PrepareSummary {
            try Prepare.run(PrepareOptions(inputs: inputs ?? [input], outputDirectory: out))
        }

        // A missing parent is created; an empty directory is filled.
        XCTAssertFalse(try run(directory + "/data/names").replacedDataset)
        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: false)
        _ = try run(directory + "/empty/")
        XCTAssertNoThrow(try PreparedDataset(directory: directory + "/empty"))

        // A directory with other files is refused and left as it was.
        let occupied = directory + "/occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: false)
        writeFile(occupied + "/thesis.tex", "precious")
        XCTAssertThrowsError(try run(occupied)) { error in
            XCTAssertEqual(error as? DataError, .outputNotADataset(path: occupied))
            XCTAssertTrue("\(error)".contains("Choose another --out or remove it"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: occupied), ["thesis.tex"])
        XCTAssertThrowsError(try run(input)) { error in
            XCTAssertEqual(error as? DataError, .outputNotADirectory(path: input))
        }

        // A previous dataset is replaced.
        writeFile(input, "zed\nyan\nxia")
        XCTAssertTrue(try run(directory + "/data/names").replacedDataset)
        XCTAssertEqual(try PreparedDataset(directory: directory + "/data/names").manifest.vocabularySize, 9)

        // A failure leaves the previous dataset untouched and no staging directory behind.
        let before = try FileManager.default.contentsOfDirectory(atPath: directory + "/data").sorted()
        let manifestBefore = readBytes(directory + "/data/names/manifest.json")
        let bad = directory + "/bad.txt"
        writeFile(bad, bytes: Array("fine\nline".utf8) + [0xFF])
        XCTAssertThrowsError(try run(directory + "/data/names", [input, bad]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/data").sorted(), before)
        XCTAssertEqual(readBytes(directory + "/data/names/manifest.json"), manifestBefore)

        // Replacing a dataset that contains an input would delete it.
        let inside = directory + "/data/names/extra.txt"
        writeFile(inside, "abc")
        XCTAssertThrowsError(try run(directory + "/data/names", [inside])) { error in
            guard case .badOption(let name, _, _) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "--out")
        }
        XCTAssertEqual(readBytes(inside), Array("abc".utf8))
    }

    func testBadInputsAndOptions() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, "emma\n")
        let out = directory + "/out"
        func error(_ options: PrepareOptions) -> DataError? {
            do {
                _ = try Prepare.run(options)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(error(PrepareOptions(inputs: [directory + "/nope.txt"], outputDirectory: out)),
                       .fileNotFound(path: directory + "/nope.txt"))
        try FileManager.default.createDirectory(atPath: directory + "/notes", withIntermediateDirectories: true)
        writeFile(directory + "/notes/readme.md", "not a corpus\n")
        XCTAssertEqual(error(PrepareOptions(inputs: [directory + "/notes"], outputDirectory: out)),
                       .noTextFiles(directory: directory + "/notes"))
        XCTAssertEqual(error(PrepareOptions(inputs: [input], outputDirectory: out, threads: 0)),
                       .badOption(name: "--threads", value: "0", allowed: "an integer in [1, 256]"))
        let blank = directory + "/blank.txt"
        writeFile(blank, "\n\n\r\n")
        XCTAssertEqual(error(PrepareOptions(inputs: [blank], outputDirectory: out)), .emptyCorpus(inputs: [blank]))
        writeFile(blank, "")
        XCTAssertEqual(error(PrepareOptions(inputs: [blank], outputDirectory: out, splitBy: .file)), .emptyCorpus(inputs: [blank]))
        for fraction in [1.0, -0.1, .nan, .infinity] {
            guard case .badOption(let name, _, let allowed) = error(PrepareOptions(inputs: [input], outputDirectory: out, valFraction: fraction)) else {
                return XCTFail("val fraction \(fraction) accepted")
            }
            XCTAssertEqual(name, "--val-fraction")
            XCTAssertTrue(allowed.contains("[0, 1)"))
        }
        XCTAssertEqual(error(PrepareOptions(inputs: [input], outputDirectory: out, shardTokens: 100)),
                       .badOption(name: "--shard-tokens", value: "100", allowed: "an integer in [1024, 1000000000]"))
        guard case .badOption = error(PrepareOptions(inputs: [], outputDirectory: out)) else { return XCTFail() }
        // Nothing was written by any failure.
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }, [])
    }

    func testProgressIsReportedForEveryPass() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, names.joined(separator: "\n"))
        var events: [PrepareProgress] = []
        try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: directory + "/out")) { events.append($0) }
        let size = names.joined(separator: "\n").utf8.count
        XCTAssertEqual(events.last { $0.phase == .fitting },
                       PrepareProgress(phase: .fitting, path: input, bytesRead: size, inputBytes: size, tokensWritten: 0, tokenCount: nil))
        // Encoding counts tokens as they are spooled: the names' letters, a boundary before each
        // name, and one closing each split's stream.
        let tokens = size - (names.count - 1) + names.count + 2
        XCTAssertEqual(events.last { $0.phase == .encoding }?.bytesRead, size)
        XCTAssertLessThanOrEqual(events.last { $0.phase == .encoding }?.tokensWritten ?? .max, tokens)
        // One event as compression starts, one per shard (a train and a val shard).
        let compressing = events.filter { $0.phase == .compressing }
        XCTAssertEqual(compressing.map(\.tokenCount), Array(repeating: tokens, count: 3))
        XCTAssertEqual(compressing.first?.tokensWritten, 0)
        XCTAssertEqual(compressing.last?.tokensWritten, tokens)
        XCTAssertEqual(events.map(\.phase.rawValue), events.map(\.phase.rawValue).sorted(), "passes in order")
    }

    /// Encoding in parallel chunks and compressing shards on several threads gives the same files,
    /// byte for byte, as one thread, for each tokenizer kind (BPE training included); so does an
    /// error, which names the same input.
    func testOutputIsByteIdenticalForAnyThreadCount() throws {
        let directory = makeTemporaryDirectory(self)
        var generator = Xoshiro256(seed: 7)
        var text = ""
        for line in 0..<6_000 {
            let length = 1 + generator.nextInt(below: 40)
            text += String((0..<length).map { _ in Character(UnicodeScalar(UInt8(97 + generator.nextInt(below: 26)))) })
            text += line % 7 == 0 ? "é\n\n" : "\n"
        }
        writeFile(directory + "/a.txt", text)
        writeFile(directory + "/b.txt", String(text.reversed()))
        var characterDocuments: [String] = []
        for kind in TokenizerKind.allCases {
            var outputs: [[String: [UInt8]]] = []
            for threads in [1, 2, 3] {
                let out = directory + "/out-\(kind.optionName)-\(threads)"
                var options = PrepareOptions(inputs: [directory + "/a.txt", directory + "/b.txt"], outputDirectory: out,
                                             splitBy: .paragraphs, shardTokens: 20_000, tokenizer: kind, threads: threads)
                options.chunkBytes = 4_096
                options.vocabularySize = 400
                try Prepare.run(options)
                let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
                XCTAssertGreaterThan(files.filter { $0.hasPrefix("train_") }.count, kind == .character ? 5 : 2)
                var contents: [String: [UInt8]] = [:]
                for file in files { contents[file] = readBytes(out + "/" + file) }
                // The manifest names its inputs, the same for every run.
                outputs.append(contents)
                if threads == 1 {
                    let dataset = try PreparedDataset(directory: out)
                    XCTAssertEqual(dataset.manifest.tokenizerType, kind.rawValue)
                    let boundary = dataset.tokenizer.boundaryToken
                    let documents = try [DatasetSplit.train, .val].flatMap {
                        documentsOf(stream: try dataset.readStream($0), boundary: boundary).map { dataset.tokenizer.decode($0) }
                    }
                    XCTAssertGreaterThan(documents.count, 100)
                    if kind == .character { characterDocuments = documents }
                    XCTAssertEqual(documents, characterDocuments, "\(kind): the documents decode to their text")
                }
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(kind)")
            XCTAssertEqual(outputs[0], outputs[2], "\(kind)")
        }
    }

    func testCompressionLevelChangesTheShardsButNotTheTokens() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, (0..<4000).map { names[($0 * 7) % names.count] }.joined(separator: "\n"))
        var streams: [[Int32]] = [], sizes: [Int] = []
        for level in [1, ShardFormat.defaultCompressionLevel, 9] {
            let out = directory + "/level\(level)"
            var options = PrepareOptions(inputs: [input], outputDirectory: out, shardTokens: 4096)
            options.compressionLevel = level
            try Prepare.run(options)
            let dataset = try PreparedDataset(directory: out)
            XCTAssertEqual(dataset.manifest.compressionLevel, level)
            streams.append(try dataset.readStream(.train) + dataset.readStream(.val))
            sizes.append(dataset.manifest.shards.reduce(0) { $0 + $1.bytes })
        }
        XCTAssertEqual(streams[0], streams[1])
        XCTAssertEqual(streams[0], streams[2])
        XCTAssertGreaterThan(sizes[0], sizes[2], "level 1 compresses less than level 9")

        var options = PrepareOptions(inputs: [input], outputDirectory: directory + "/bad")
        for level in [0, 10] {
            options.compressionLevel = level
            XCTAssertThrowsError(try Prepare.run(options)) { error in
                guard case DataError.badOption(let name, let value, let allowed) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, "--compression-level")
                XCTAssertEqual(value, "\(level)")
                XCTAssertTrue(allowed.contains("[1, 9]"), allowed)
            }
        }
    }

    func testManifestWithoutCompressionLevelStillLoadsAndAnOutOfRangeOneIsRefused() throws {
        let directory = makeTemporaryDirectory(self)
        _ = try prepare(names.joined(separator: "\n"), in: directory)
        let path = directory + "/out/" + DatasetManifest.fileName
        let original = String(decoding: readBytes(path), as: UTF8.self)
        XCTAssertTrue(original.contains("\"compressionLevel\" : \(ShardFormat.defaultCompressionLevel)"), original)
        let legacy = original.replacingOccurrences(of: "\"compressionLevel\" : \(ShardFormat.defaultCompressionLevel),", with: "")
        XCTAssertNotEqual(legacy, original)
        writeFile(path, legacy)
        XCTAssertNil(try PreparedDataset(directory: directory + "/out").manifest.compressionLevel)
        writeFile(path, original.replacingOccurrences(of: "\"compressionLevel\" : \(ShardFormat.defaultCompressionLevel)",
                                                      with: "\"compressionLevel\" : 12"))
        XCTAssertThrowsError(try PreparedDataset(directory: directory + "/out")) { error in
            XCTAssertTrue("\(error)".contains("compressionLevel 12"), "\(error)")
        }
    }

    func testDirectoryInputsAreReadRecursivelyInByteOrder() throws {
        let directory = makeTemporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: directory + "/corpus/b", withIntermediateDirectories: true)
        writeFile(directory + "/corpus/b/2.txt", "beta\n")
        writeFile(directory + "/corpus/a.txt", "alpha\n")
        writeFile(directory + "/corpus/notes.md", "ignored\n")
        writeFile(directory + "/corpus/B.txt", "gamma\n")
        let out = directory + "/out"
        try Prepare.run(PrepareOptions(inputs: [directory + "/corpus"], outputDirectory: out, valFraction: 0))
        let dataset = try PreparedDataset(directory: out)
        XCTAssertEqual(dataset.manifest.sources.map { ($0.path as NSString).lastPathComponent }, ["B.txt", "a.txt", "2.txt"])
        let stream = try dataset.readStream(.train)
        XCTAssertEqual(documentsOf(stream: stream).map { dataset.tokenizer.decode($0) }, ["gamma", "alpha", "beta"])

        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
        XCTAssertThrowsError(try Prepare.run(PrepareOptions(inputs: [directory + "/empty"], outputDirectory: directory + "/out2"))) {
            XCTAssertEqual($0 as? DataError, .noTextFiles(directory: directory + "/empty"))
        }
    }

    /// A document longer than a piece (1 MiB) is encoded piece by piece, and still gives the tokens
    /// of the whole, split at the tail cut as a short one is; the spools are gone afterwards.
    func testLongSingleDocumentStreamsInPieces() throws {
        let directory = makeTemporaryDirectory(self)
        let verse = "To be, or not to be: that is the question:\nWhether 'tis nobler in the mind to suffer\n\n"
        let text = String(repeating: verse, count: (3 << 20) / verse.utf8.count) + "ünd am Ende\r\n"
        let dataset = try prepare(text, in: directory, splitBy: .file)
        let tokens = try dataset.tokenizer.encode(text)
        let cut = tokens.count - Int((0.1 * Double(tokens.count)).rounded())
        XCTAssertEqual(try dataset.readStream(.train), [0] + Array(tokens[0..<cut]))
        XCTAssertEqual(try dataset.readStream(.val), [0] + Array(tokens[cut...]) + [0])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/out").filter { $0.hasSuffix(".spool") }, [])
    }
}

final class PrepareInternalsTests: XCTestCase {
    /// Encoding (phase c) a file that differs from what fitting (phase a) read is reported, never
    /// silently written.
    func testInputChangedBetweenPassesIsDetected() throws {
        let directory = makeTemporaryDirectory(self)
        let path = directory + "/names.txt"
        func pass2(scanned: String, written: String) throws {
            writeFile(path, scanned)
            let fit = try CorpusFit.run(inputs: [path], split: .lines, kind: .character, progress: nil)
            let plan = SplitPlan(documents: fit.documents, valFraction: 0.5, seed: 1)
            writeFile(path, written)
            let spools = directory + "/spools-\(UUID().uuidString)"
            try FileSystem.makeDirectory(spools)
            defer { try? FileManager.default.removeItem(atPath: spools) }
            _ = try SplitEncoder.encode(inputs: [path], split: .lines, tokenizer: fit.tokenizer, plan: plan,
                                        digests: fit.digests, directory: spools, progress: nil)
        }
        XCTAssertNoThrow(try pass2(scanned: "ab\ncd\nef\n", written: "ab\ncd\nef\n"))
        // The last two keep every count and the vocabulary; only the text's fingerprint differs.
        for changed in ["ab\ncd\nxy\n", "ab\ncd\n", "ab\ncd\nef\ngh\n", "ab\ncd\nefa\n", "ab\ncd\ne\n",
                        "ab\ncd\nfe\n", "ab\ncdef\n\n"] {
            XCTAssertThrowsError(try pass2(scanned: "ab\ncd\nef\n", written: changed), changed) { error in
                XCTAssertEqual(error as? DataError, .inputChanged(path: path))
            }
        }
    }

    func testErrorMessagesAreOneSentenceWithTheNextStep() {
        let cases: [(DataError, String)] = [
            (.fileNotFound(path: "names.txt"), "names.txt: not found. Check the path."),
            (.truncatedGzip(path: "corpus.txt.gz", compressedBytes: 1234),
             "corpus.txt.gz: truncated gzip stream (ended after 1234 bytes). Re-download or re-compress the file."),
            (.notADataset(path: "data/names"), "data/names: not a Descent dataset (no manifest.json). Run `descent prepare` first."),
            (.shardTruncated(path: "data/shakespeare/train_000003.bin.gz", expectedTokens: 2048, foundTokens: 1712),
             "data/shakespeare/train_000003.bin.gz: truncated (expected 2048 tokens, found 1712). Re-run `descent prepare`."),
            (.badOption(name: "--val-fraction", value: "1.5", allowed: "a number in [0, 1), e.g. 0.1"),
             "--val-fraction 1.5: must be a number in [0, 1), e.g. 0.1."),
        ]
        for (error, message) in cases { XCTAssertEqual(error.description, message) }
        let all: [DataError] = [
            .isDirectory(path: "d"), .unreadable(path: "f", reason: "Permission denied"), .emptyCorpus(inputs: ["a", "b"]),
            .corruptGzip(path: "f.gz", detail: "invalid distance too far back"), .inputChanged(path: "f"),
            .corpusTooSmall(tokens: 1, valFraction: 0.1), .tokenizer(.badTokenizerFile(path: "t", reason: "r")),
            .outputNotADataset(path: "o"), .outputNotADirectory(path: "o"), .writeFailed(path: "o", reason: "No space left on device"),
            .badManifest(path: "m", reason: "r"), .missingFile(path: "s"),
            .checksumMismatch(path: "s", expected: String(repeating: "a", count: 64), actual: String(repeating: "b", count: 64)),
            .badShardHeader(path: "s", reason: "r"), .tokenOutOfRange(path: "s", index: 1, token: 99, vocabularySize: 27),
            .emptySplit(dataset: "d", split: .val), .emptySplit(dataset: "d", split: .train), .loaderPositionMismatch(reason: "r"),
        ]
        for error in all {
            XCTAssertFalse(error.description.contains("\n"), "\(error)")
            XCTAssertTrue(error.description.hasSuffix("."), "\(error)")
        }
    }
}
