import Foundation
import XCTest
@testable import Tokenizers

/// The safe-cut rule, checked against the pre-tokenization it exists for.
final class SafeCutTests: XCTestCase {
    func cuts(_ text: String) -> [Int] {
        Array(text.utf8).withUnsafeBufferPointer { bytes in (0...bytes.count).filter { SafeCut.isSafeCut(bytes, at: $0) } }
    }

    func testRuleOnExamples() {
        XCTAssertEqual(cuts("Be\nit so.\n\nThen"), [3])
        XCTAssertEqual(cuts("x\ny\nz"), [2, 4])
        XCTAssertEqual(cuts("x\r\ny"), [], "CRLF: the newline follows whitespace")
        XCTAssertEqual(cuts(" \ny"), [])
        XCTAssertEqual(cuts("x\n y"), [])
        XCTAssertEqual(cuts("x\n\u{A0}y"), [], "no-break space is White_Space")
        XCTAssertEqual(cuts("\u{3000}\ny"), [], "ideographic space is White_Space")
        XCTAssertEqual(cuts("é\nü"), [3], "non-ASCII neighbours that are not whitespace")
        XCTAssertEqual(cuts("日\n🦀"), [4])
        XCTAssertEqual(cuts("\nx"), [], "nothing before the newline")
        XCTAssertEqual(cuts("x\n"), [], "nothing after the newline")
        Array("a\nb\nc\nd".utf8).withUnsafeBufferPointer { bytes in
            XCTAssertEqual(SafeCut.first(in: bytes, candidates: 0..<7), 2)
            XCTAssertEqual(SafeCut.first(in: bytes, candidates: 3..<7), 4)
            XCTAssertEqual(SafeCut.first(in: bytes, candidates: 5..<6), nil)
            XCTAssertEqual(SafeCut.first(in: bytes, candidates: 5..<99), 6)
        }
    }

    // MARK: - Against tiktoken's pre-tokenization

    /// tiktoken's patterns (tiktoken_ext/openai_public.py), with `$` written `\z`: the Rust regex
    /// engine's `$` is the end of the text, which Swift spells `\z`.
    static let gpt2 = #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++\z|\s+(?!\S)|\s"#
    static let gpt2Original = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let cl100k = #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++\z|\s*[\r\n]|\s+(?!\S)|\s"#

    func preTokens(_ text: String, _ pattern: String) throws -> [String] {
        let regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
        return text.matches(of: regex).map { String(text.unicodeScalars[$0.range]) }
    }

    func testTheSwiftModelOfThePatternsSplitsAsTiktokenDoes() throws {
        // Known tiktoken splits: GPT-2 gives "\n\n" before text as two newlines, and at the end as one.
        XCTAssertEqual(try preTokens("Hello\n\nWorld", Self.gpt2), ["Hello", "\n", "\n", "World"])
        XCTAssertEqual(try preTokens("Hello\n\n", Self.gpt2), ["Hello", "\n\n"])
        XCTAssertEqual(try preTokens("he's 12345 ok!\n\n", Self.cl100k), ["he", "'s", " ", "123", "45", " ok", "!\n\n"])
        XCTAssertEqual(try preTokens("a  b", Self.gpt2Original), ["a", " ", " b"])
    }

    /// The brief's weaker rule (a newline, then non-whitespace) is not enough for GPT-2.
    func testANewlineAfterWhitespaceIsNotASafeCutForGPT2() throws {
        let whole = try preTokens("a\n\nb", Self.gpt2)
        let cut = try preTokens("a\n\n", Self.gpt2) + preTokens("b", Self.gpt2)
        XCTAssertNotEqual(whole, cut)
        XCTAssertEqual(cuts("a\n\nb"), [])
    }

    /// Every safe cut of random texts over an alphabet of awkward characters is a pre-token
    /// boundary of all three patterns: the pieces pre-tokenize to the whole's pre-tokens. The
    /// weaker rule (any newline followed by non-whitespace) fails on some of the same texts, which
    /// shows the check can fail.
    func testSafeCutsArePreTokenBoundaries() throws {
        let alphabet = ["a", "Zz", "é", "日", "1", "234", " ", "  ", "\n", "\n", "\n", "\n\n", "\r", "\t", ".", "!?", "'",
                        "'s", "\u{A0}", "\u{2028}", "🦀", "x", "y"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        func split(_ text: String, at cut: Int, _ pattern: String) throws -> [String] {
            let bytes = Array(text.utf8)
            return try preTokens(String(decoding: bytes[..<cut], as: UTF8.self), pattern)
                + preTokens(String(decoding: bytes[cut...], as: UTF8.self), pattern)
        }
        var checked = 0
        var weakRuleFailures = 0
        for _ in 0..<1500 {
            let text = (0..<(1 + next(16))).map { _ in alphabet[next(alphabet.count)] }.joined()
            let safe = cuts(text)
            for cut in safe {
                for pattern in [Self.gpt2, Self.gpt2Original, Self.cl100k] {
                    XCTAssertEqual(try split(text, at: cut, pattern), try preTokens(text, pattern),
                                   "\(text.debugDescription) cut at byte \(cut), pattern \(pattern)")
                }
                checked += 1
            }
            let bytes = Array(text.utf8)
            for cut in 1..<max(1, bytes.count) where bytes[cut - 1] == 0x0A && !safe.contains(cut) {
                let next = String(decoding: bytes[cut...], as: UTF8.self).unicodeScalars.first!
                if !next.properties.isWhitespace, try split(text, at: cut, Self.gpt2) != preTokens(text, Self.gpt2) {
                    weakRuleFailures += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 300)
        XCTAssertGreaterThan(weakRuleFailures, 10)
    }
}
