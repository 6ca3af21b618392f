import Foundation
import XCTest
@testable import Tokenizers

/// Byte-level BPE: the worked example, training, encoding rules, files and decoding.
final class BytePairTokenizerTests: XCTestCase {
    func train(_ texts: [String], vocabularySize: Int, pattern: SplitPattern = .gpt4, threads: Int = 1) throws -> BytePairTokenizer {
        var trainer = BytePairTrainer(options: BytePairOptions(vocabularySize: vocabularySize, pattern: pattern, threads: threads))
        for text in texts {
            var text = text
            text.withUTF8 { trainer.observe(utf8: $0) }
        }
        return try trainer.train()
    }

    /// Wikipedia's byte pair encoding example: aa → Z, ab → Y, ZY → X, so "aaabdaaabac" is XdXac.
    func testWikipediaExample() throws {
        let tokenizer = try train(["aaabdaaabac"], vocabularySize: 257 + 3)
        XCTAssertEqual(tokenizer.merges, [.init(97, 97), .init(97, 98), .init(256, 257)])
        XCTAssertEqual(try tokenizer.encode("aaabdaaabac"), [258, 100, 258, 97, 99])
        XCTAssertEqual(tokenizer.boundaryToken, 259)
        XCTAssertEqual(tokenizer.vocabularySize, 260)
        XCTAssertEqual(tokenizer.decode([258, 100, 258, 97, 99]), "aaabdaaabac")
    }

    static let corpus = """
        First Citizen:
        Before we proceed any further, hear me speak.

        All:
        Speak, speak. We'll say it's 1234567 times: don't! <|endoftext|> isn't a boundary here.
        Café naïve e\u{301} 日本語の文章 🦀👨‍👩‍👧 שלום مرحبا \t tabs  and   spaces\r\n
        """

    func randomString(_ generator: inout SystemRandomNumberGeneratorSeeded, length: Int) -> String {
        let pool: [String] = ["a", "b", "the", " ", "  ", "\n", "\t", "'s", "'LL", "1", "22", "333", "é", "e\u{301}", "日", "本",
                              "🦀", "👨‍👩‍👧", "ש", "م", "!", "?!", ".", "\u{3000}", "\r\n", "<|endoftext|>", "ſ"]
        var text = ""
        for _ in 0..<length {
            if generator.next() % 10 == 0, let scalar = Unicode.Scalar(UInt32(generator.next() % 0x10FFFF)) {
                text.unicodeScalars.append(scalar)
            } else {
                text += pool[Int(generator.next() % UInt64(pool.count))]
            }
        }
        return text
    }

    func testDecodeOfEncodeIsTheTextForRandomStrings() throws {
        for pattern in SplitPattern.allCases {
            let tokenizer = try train([Self.corpus, Self.corpus.uppercased()], vocabularySize: 400, pattern: pattern)
            var generator = SystemRandomNumberGeneratorSeeded(seed: 42)
            for _ in 0..<300 {
                let text = randomString(&generator, length: Int(generator.next() % 40))
                let tokens = try tokenizer.encode(text)
                XCTAssertEqual(tokenizer.decode(tokens), text)
                XCTAssertFalse(tokens.contains(tokenizer.boundaryToken))
                XCTAssertTrue(tokens.allSatisfy { $0 >= 0 && Int($0) < tokenizer.mergeableCount })
            }
        }
    }

    /// The piece contract of `Tokenizer`: cut at safe cuts, the pieces encode to the whole's tokens.
    func testPiecesCutAtSafeCutsEncodeAsTheWhole() throws {
        for pattern in SplitPattern.allCases {
            let tokenizer = try train([Self.corpus, Self.corpus.lowercased()], vocabularySize: 380, pattern: pattern)
            var generator = SystemRandomNumberGeneratorSeeded(seed: 99)
            var cutsSeen = 0
            for _ in 0..<200 {
                let text = randomString(&generator, length: 10 + Int(generator.next() % 60)) + "\nend\n" + randomString(&generator, length: 8)
                let bytes = Array(text.utf8)
                let whole = try tokenizer.encode(text)
                let cuts = bytes.withUnsafeBufferPointer { buffer in (0..<bytes.count).filter { SafeCut.isSafeCut(buffer, at: $0) } }
                cutsSeen += cuts.count
                var tokens: [Int32] = []
                var start = 0
                for end in cuts + [bytes.count] {
                    try Array(bytes[start..<end]).withUnsafeBufferPointer { try tokenizer.encode(utf8: $0, appendingTo: &tokens) }
                    start = end
                }
                XCTAssertEqual(tokens, whole, "\(pattern) on \(text.debugDescription) cut at \(cuts)")
            }
            XCTAssertGreaterThan(cutsSeen, 200)
        }
    }

    func testSpecialTokenSpellingIsOrdinaryText() throws {
        let tokenizer = try train([Self.corpus], vocabularySize: 300)
        let tokens = try tokenizer.encode("<|endoftext|>")
        XCTAssertFalse(tokens.contains(tokenizer.boundaryToken))
        XCTAssertEqual(tokenizer.decode(tokens), "<|endoftext|>")
        XCTAssertEqual(tokenizer.bytes(of: tokenizer.boundaryToken), Array("<|endoftext|>".utf8))
    }

    func testTrainingIsDeterministicAndIndependentOfThreadsAndBatches() throws {
        let text = String(repeating: Self.corpus, count: 3)
        let one = try train([text], vocabularySize: 400, threads: 1)
        let two = try train([text], vocabularySize: 400, threads: 2)
        let lines = try train(text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
            // The same text in pieces: cut only after a newline, as safe cuts are.
            String(line) + (index < text.split(separator: "\n", omittingEmptySubsequences: false).count - 1 ? "\n" : "")
        }, vocabularySize: 400, threads: 2)
        XCTAssertEqual(try one.jsonData(), try two.jsonData())
        XCTAssertEqual(one.merges.count, 400 - 257)
        // Cut at every newline, some cuts are not safe ("\n\n"), so only the size is compared.
        XCTAssertEqual(lines.vocabularySize, one.vocabularySize)
    }

    func testParallelCountingEqualsSerialOnALargeBatch() throws {
        // More than one counting batch (8 MiB), so segments are cut at safe cuts inside one piece.
        let text = String(repeating: Self.corpus + "\nAnd so on\n", count: 40_000)
        var serial = BytePairTrainer(options: BytePairOptions(vocabularySize: 300, threads: 1))
        var parallel = BytePairTrainer(options: BytePairOptions(vocabularySize: 300, threads: 2))
        var copy = text
        copy.withUTF8 { serial.observe(utf8: $0); parallel.observe(utf8: $0) }
        let a = serial.preTokenCounts(), b = parallel.preTokenCounts()
        XCTAssertEqual(a.map(\.bytes), b.map(\.bytes))
        XCTAssertEqual(a.map(\.count), b.map(\.count))
    }

    func testSaveLoadRoundTrip() throws {
        for pattern in SplitPattern.allCases {
            let tokenizer = try train([Self.corpus], vocabularySize: 333, pattern: pattern)
            let data = try tokenizer.jsonData()
            let loaded = try TokenizerFile.load(jsonData: data)
            XCTAssertEqual(loaded as? BytePairTokenizer, tokenizer)
            XCTAssertEqual(try loaded.jsonData(), data)
            XCTAssertEqual(try loaded.encode(Self.corpus), try tokenizer.encode(Self.corpus))
        }
    }

    func testCorruptFilesAreRefusedWithAReason() throws {
        let tokenizer = try train([Self.corpus], vocabularySize: 300)
        let text = String(decoding: try tokenizer.jsonData(), as: UTF8.self)
        let cases: [(String, String)] = [
            (text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2"), "version 2 is not supported"),
            (text.replacingOccurrences(of: "\"gpt4\"", with: "\"gpt5\""), "pattern (gpt4 or gpt2)"),
            (text.replacingOccurrences(of: "\"\(tokenizer.merges[0].left) \(tokenizer.merges[0].right)\"", with: "\"97 x\""),
             "expected two ids"),
            (text.replacingOccurrences(of: "\"type\" : \"bpe\"", with: "\"type\" : \"wordpiece\""), "unknown tokenizer type"),
        ]
        for (corrupt, reason) in cases {
            XCTAssertNotEqual(corrupt, text, "the test's replacement did not apply for \(reason)")
            XCTAssertThrowsError(try TokenizerFile.load(jsonData: Data(corrupt.utf8))) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(error)")
            }
        }
        XCTAssertThrowsError(try BytePairTokenizer(pattern: .gpt4, merges: [.init(97, 300)]))
        XCTAssertThrowsError(try BytePairTokenizer(pattern: .gpt4, merges: [.init(97, 98), .init(97, 98)]))
    }

    func testVocabularySizeOutOfRangeNamesWhatIsPossible() throws {
        XCTAssertThrowsError(try train(["abc"], vocabularySize: 256)) { error in
            XCTAssertEqual(error as? TokenizerError, .vocabularySize(requested: 256, possible: nil))
        }
        XCTAssertThrowsError(try train(["abcd"], vocabularySize: 1000)) { error in
            // "abcd" has three pairs to merge: 256 bytes + 3 + the boundary.
            XCTAssertEqual(error as? TokenizerError, .vocabularySize(requested: 1000, possible: 260))
            XCTAssertTrue("\(error)".contains("--vocab-size 260 or less"))
        }
    }

    /// Runs of one letter: overlapping occurrences of a pair ("aaa" merges as aa·a, left to right),
    /// whose count updates must stay exact; every token's bytes stay distinct and text round-trips.
    func testRunsOfOneLetterKeepTokensDistinct() throws {
        var texts: [String] = []
        for length in 1...40 {
            for copy in 0..<(41 - length) { texts.append(String(repeating: copy % 3 == 0 ? "a" : "b", count: length) + " ") }
        }
        let tokenizer = try train(texts, vocabularySize: 330)
        let spelled = Set((0..<tokenizer.mergeableCount).map { tokenizer.bytes(of: Int32($0)) })
        XCTAssertEqual(spelled.count, tokenizer.mergeableCount)
        for length in [1, 7, 39, 40, 41, 97] {
            let text = String(repeating: "a", count: length) + " " + String(repeating: "b", count: length)
            XCTAssertEqual(tokenizer.decode(try tokenizer.encode(text)), text)
        }
    }

    /// Long pieces merge with a heap; it must give the scan's tokens.
    func testHeapMergeEqualsScanMerge() throws {
        let tokenizer = try train([Self.corpus, String(repeating: "ab ", count: 50), String(repeating: " ", count: 200)],
                                  vocabularySize: 400)
        var generator = SystemRandomNumberGeneratorSeeded(seed: 7)
        for _ in 0..<200 {
            let length = 2 + Int(generator.next() % 120)
            let piece = (0..<length).map { _ in [UInt8(ascii: "a"), UInt8(ascii: "b"), 0x20, 0x65, 0xC3, 0xA9][Int(generator.next() % 6)] }
            var scan: [Int32] = [], heap: [Int32] = []
            piece.withUnsafeBufferPointer { bytes in
                if length <= Vocabulary.heapThreshold {
                    tokenizer.vocabulary.merge(bytes.baseAddress!, length, appendingTo: &scan)
                } else {
                    scan = ScanReference.merge(tokenizer.vocabulary, Array(bytes))
                }
                tokenizer.vocabulary.mergeWithHeap(bytes.baseAddress!, length, appendingTo: &heap)
            }
            XCTAssertEqual(heap, scan)
        }
    }

    func testExportsCarryEveryTokenAndThePattern() throws {
        let tokenizer = try train([Self.corpus], vocabularySize: 320)
        let lines = tokenizer.tiktokenRanks().split(separator: "\n")
        XCTAssertEqual(lines.count, tokenizer.mergeableCount)
        for (rank, line) in lines.enumerated() {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2)
            XCTAssertEqual(Int(parts[1]), rank)
            XCTAssertEqual(Data(base64Encoded: String(parts[0])).map(Array.init), tokenizer.bytes(of: Int32(rank)))
        }
        let json = try JSONSerialization.jsonObject(with: try tokenizer.huggingFaceJSON()) as? [String: Any]
        let model = json?["model"] as? [String: Any]
        let vocab = model?["vocab"] as? [String: Int]
        XCTAssertEqual(Set(vocab?.values ?? [:].values), Set(0..<tokenizer.mergeableCount))
        XCTAssertEqual(vocab?["Ġ"], 32, "GPT-2's byte-level alphabet: space is Ġ")
        XCTAssertGreaterThanOrEqual((model?["merges"] as? [[String]])?.count ?? 0, tokenizer.merges.count)
        XCTAssertEqual(model?["ignore_merges"] as? Bool, true)
        let split = ((json?["pre_tokenizer"] as? [String: Any])?["pretokenizers"] as? [[String: Any]])?.first
        XCTAssertEqual((split?["pattern"] as? [String: String])?["Regex"], SplitPattern.gpt4.onigurumaRegex)
        XCTAssertFalse(SplitPattern.gpt4.onigurumaRegex.contains("{1,3}+"))
        XCTAssertEqual(SplitPattern.gpt2.onigurumaRegex, SplitPattern.gpt2.regex)
        let added = (json?["added_tokens"] as? [[String: Any]])?.first
        XCTAssertEqual(added?["id"] as? Int, Int(tokenizer.boundaryToken))
        XCTAssertEqual(added?["content"] as? String, "<|endoftext|>")
    }

    func testDecodeDropsACharacterCutAtTheEnd() throws {
        let tokenizer = try train([Self.corpus], vocabularySize: 300)
        let crab = Array("a🦀".utf8)
        let tokens = crab.prefix(3).map { Int32($0) }
        XCTAssertEqual(tokenizer.decode(tokens), "a")
        XCTAssertEqual(tokenizer.decode(crab.map { Int32($0) }), "a🦀")
        XCTAssertEqual(tokenizer.decodeBytes(tokens), Array(crab.prefix(3)))
        XCTAssertEqual(tokenizer.decode([0xFF, 0x61]), "\u{FFFD}a", "an invalid byte inside is a replacement character")
    }

    func testEncodingIsTheSameFromSeveralThreads() throws {
        let tokenizer = try train([Self.corpus], vocabularySize: 400)
        let expected = try tokenizer.encode(Self.corpus)
        let results = UnsafeMutableBufferPointer<[Int32]>.allocate(capacity: 8)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        let box = ResultsBox(results: results)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            box.results[index] = (try? tokenizer.encode(Self.corpus)) ?? []
        }
        for result in results { XCTAssertEqual(result, expected) }
    }
}

private struct ResultsBox: @unchecked Sendable { let results: UnsafeMutableBufferPointer<[Int32]> }

/// The scan rule on any length, written plainly: the oracle for the heap.
enum ScanReference {
    static func merge(_ vocabulary: Vocabulary, _ bytes: [UInt8]) -> [Int32] {
        var parts = bytes.map { Int32($0) }
        while parts.count > 1 {
            var best = -1, bestToken = Int32.max
            for i in 0..<(parts.count - 1) {
                let token = vocabulary.pair(parts[i], parts[i + 1])
                if token >= 0 && token < bestToken { best = i; bestToken = token }
            }
            if best < 0 { break }
            parts[best] = bestToken
            parts.remove(at: best + 1)
        }
        return parts
    }
}

/// SplitMix64, so the random strings are the same on every run.
struct SystemRandomNumberGeneratorSeeded: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
