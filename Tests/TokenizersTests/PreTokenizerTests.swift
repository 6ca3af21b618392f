import Foundation
import XCTest
@testable import Tokenizers

/// The hand-written splitter against splits the regex gave (scripts/tools/record_split_fixtures.py,
/// Python `regex` with tiktoken's exact patterns).
final class PreTokenizerTests: XCTestCase {
    struct Record: Decodable {
        let text: String
        let gpt4: [Int]
        let gpt2: [Int]
    }

    static let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func pieceLengths(_ pattern: SplitPattern, _ text: String) -> [Int] {
        var lengths: [Int] = []
        var text = text
        text.withUTF8 { bytes in
            PreTokenizer(pattern: pattern).forEachPiece(in: bytes) { start, end in lengths.append(end - start) }
        }
        return lengths
    }

    func check(_ records: [Record], file: StaticString = #filePath, line: UInt = #line) {
        var failures = 0
        for record in records {
            for (pattern, expected) in [(SplitPattern.gpt4, record.gpt4), (.gpt2, record.gpt2)] {
                let found = pieceLengths(pattern, record.text)
                if found != expected {
                    failures += 1
                    if failures <= 10 {
                        XCTFail("\(pattern) on \(record.text.debugDescription): regex \(expected), ours \(found)", file: file, line: line)
                    }
                }
            }
        }
        XCTAssertEqual(failures, 0, "\(failures) of \(records.count * 2) splits differ", file: file, line: line)
    }

    func testSplitsEqualTheRecordedRegexSplits() throws {
        let data = try Data(contentsOf: Self.fixtureDirectory.appendingPathComponent("splits.json"))
        let records = try JSONDecoder().decode([Record].self, from: data)
        XCTAssertGreaterThan(records.count, 400)
        check(records)
    }

    /// scripts/check-pretokenizer-vs-regex.sh records many more seeded strings and points this at them.
    func testSplitsEqualAnExternalFixture() throws {
        guard let path = ProcessInfo.processInfo.environment["DESCENT_SPLIT_FIXTURE"] else {
            throw XCTSkip("set DESCENT_SPLIT_FIXTURE to a file from record_split_fixtures.py (scripts/check-pretokenizer-vs-regex.sh does)")
        }
        let records = try JSONDecoder().decode([Record].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        check(records)
    }

    func testWorkedExamplesOfTheFileHeader() {
        let text = "Hello world's 12345!\n\n"
        XCTAssertEqual(PreTokenizer(pattern: .gpt4).pieces(text), ["Hello", " world", "'s", " ", "123", "45", "!\n\n"])
        XCTAssertEqual(PreTokenizer(pattern: .gpt2).pieces(text), ["Hello", " world", "'s", " 12345", "!", "\n\n"])
    }

    func testClassesOfSampleScalars() {
        XCTAssertEqual(UnicodeClasses.classOf("a"), ScalarClass.letter)
        XCTAssertEqual(UnicodeClasses.classOf("\u{4E2D}"), ScalarClass.letter)
        XCTAssertEqual(UnicodeClasses.classOf("\u{0661}"), ScalarClass.number)
        XCTAssertEqual(UnicodeClasses.classOf("\u{00BD}"), ScalarClass.number)
        XCTAssertEqual(UnicodeClasses.classOf("\u{3000}"), ScalarClass.whitespace)
        XCTAssertEqual(UnicodeClasses.classOf("\u{200B}"), ScalarClass.other, "zero-width space is not White_Space")
        XCTAssertEqual(UnicodeClasses.classOf("\u{0301}"), ScalarClass.other, "combining marks are M, not L")
        XCTAssertEqual(UnicodeClasses.classOf("\u{1C89}"), ScalarClass.letter, "a Unicode 16.0 letter")
        XCTAssertEqual(UnicodeClasses.classOf("\u{10FFFF}"), ScalarClass.other)
    }
}
