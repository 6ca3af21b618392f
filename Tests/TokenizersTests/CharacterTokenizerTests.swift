import Foundation
import XCTest
@testable import Tokenizers

/// The byte-level hot path, the trainer and the kind that names them.
final class CharacterTokenizerTests: XCTestCase {
    let text = "Café naïve e\u{301} 日本語 🦀 tab\tend \u{0}\u{7F}\u{80}\u{FF}\u{100}\u{FFFF}\u{10000}\u{10FFFF}\n"

    func encodeUTF8(_ tokenizer: CharacterTokenizer, _ text: String, appendingTo tokens: inout [Int32]) throws {
        var bytes = Array(text.utf8)
        var failure: TokenizerError?
        bytes.withUnsafeMutableBufferPointer { buffer in
            do throws(TokenizerError) { try tokenizer.encode(utf8: UnsafeBufferPointer(buffer), appendingTo: &tokens) } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    func testUTF8EncodingAppendsTheStringsTokens() throws {
        let tokenizer = CharacterTokenizer(text: text)
        var tokens: [Int32] = [0, 0]
        try encodeUTF8(tokenizer, text, appendingTo: &tokens)
        XCTAssertEqual(Array(tokens[0..<2]), [0, 0])
        XCTAssertEqual(Array(tokens[2...]), try tokenizer.encode(text))
        XCTAssertEqual(Array(tokens[2...]), text.unicodeScalars.map { tokenizer.id(of: $0)! })
        XCTAssertEqual(tokens.count - 2, text.unicodeScalars.count)
    }

    /// The piece contract: a character tokenizer gives the whole's tokens for a cut at any scalar boundary.
    func testAnyScalarBoundaryIsASafeCutForIt() throws {
        let tokenizer = CharacterTokenizer(text: text)
        let whole = try tokenizer.encode(text)
        let scalars = Array(text.unicodeScalars)
        for cut in 0...scalars.count {
            var tokens: [Int32] = []
            try encodeUTF8(tokenizer, String(String.UnicodeScalarView(scalars[..<cut])), appendingTo: &tokens)
            try encodeUTF8(tokenizer, String(String.UnicodeScalarView(scalars[cut...])), appendingTo: &tokens)
            XCTAssertEqual(tokens, whole, "cut at scalar \(cut)")
        }
    }

    func testUnknownCharacterOffsetCountsScalarsAndKeepsTheIdsBefore() throws {
        let tokenizer = CharacterTokenizer(text: "日本a")
        var tokens: [Int32] = [7]
        XCTAssertThrowsError(try encodeUTF8(tokenizer, "日本x日", appendingTo: &tokens)) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownCharacter("x", offset: 2))
        }
        XCTAssertEqual(tokens, [7, 2, 3])
    }

    /// Bytes that break the valid-UTF-8 promise give errors or wrong ids, never a read out of bounds.
    func testBytesThatAreNotUTF8StayInBounds() {
        let tokenizer = CharacterTokenizer(text: "abc")
        for bytes: [UInt8] in [[0xE6], [0x61, 0xF0, 0x9F], [0xF4, 0xBF, 0xBF, 0xBF], [0xFF], [0x80, 0x61], [0xC3]] {
            var tokens: [Int32] = []
            var failure: TokenizerError?
            bytes.withUnsafeBufferPointer { buffer in
                do throws(TokenizerError) { try tokenizer.encode(utf8: buffer, appendingTo: &tokens) } catch { failure = error }
            }
            guard case .unknownCharacter = failure else { return XCTFail("\(bytes) gave \(tokens)") }
            XCTAssertTrue(tokens.allSatisfy { $0 >= 1 && $0 <= 3 })
        }
    }

    /// The paged scalar table at the edges of its pages and of the scalar range.
    func testIdsAtPageAndRangeEdges() throws {
        let edges: [UInt32] = [0x0, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF]
        let tokenizer = try CharacterTokenizer(symbols: edges.map { Unicode.Scalar($0)! })
        for (index, value) in edges.enumerated() {
            XCTAssertEqual(tokenizer.id(of: Unicode.Scalar(value)!), Int32(index + 1), "U+\(String(value, radix: 16))")
        }
        for absent: UInt32 in [0x1, 0x7E, 0x81, 0x101, 0x200, 0xFFFE, 0x10001, 0x10FFFE] {
            XCTAssertNil(tokenizer.id(of: Unicode.Scalar(absent)!), "U+\(String(absent, radix: 16))")
        }
    }

    func testTrainerCollectsTheScalarSetWhateverThePieces() throws {
        let bytes = Array(text.utf8)
        for pieceLength in [1, 2, 3, 5, bytes.count] {
            var trainer = CharacterTokenizerTrainer()
            var start = 0
            while start < bytes.count {
                var end = min(start + pieceLength, bytes.count)
                while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
                bytes[start..<end].withUnsafeBufferPointer { trainer.observe(utf8: $0) }
                start = end
            }
            XCTAssertEqual(try trainer.makeTokenizer() as? CharacterTokenizer, CharacterTokenizer(text: text), "pieces of \(pieceLength)")
        }
        XCTAssertEqual((try { var t = CharacterTokenizerTrainer(); return try t.makeTokenizer() }() as? CharacterTokenizer)?.vocabularySize, 1)
    }

    func testKindNamesTheFileTypeTheTrainerAndTheDecoder() throws {
        XCTAssertEqual(TokenizerKind.allCases, [.character, .bytePair])
        XCTAssertEqual(TokenizerKind.allCases.map(\.optionName), ["char", "bpe"])
        XCTAssertEqual(TokenizerKind(optionName: "bpe"), .bytePair)
        XCTAssertTrue(TokenizerKind.bytePair.makeTrainer() is BytePairTrainer)
        XCTAssertEqual(TokenizerKind.character.rawValue, CharacterTokenizer.typeName)
        var trainer = TokenizerKind.character.makeTrainer()
        XCTAssertTrue(trainer is CharacterTokenizerTrainer)
        Array("hello".utf8).withUnsafeBufferPointer { trainer.observe(utf8: $0) }
        let tokenizer = try trainer.makeTokenizer()
        XCTAssertEqual(try TokenizerFile.load(jsonData: try tokenizer.jsonData()) as? CharacterTokenizer,
                       CharacterTokenizer(text: "hello"))
    }

    func testErrorMessagesAreOneSentenceWithTheNextStep() {
        XCTAssertEqual(TokenizerError.unknownCharacter("\n", offset: 4).description,
                       "character \"\\n\" (U+000A) at position 4 is not in the tokenizer's vocabulary. Use only characters that occur in the training corpus.")
        XCTAssertEqual(TokenizerError.codePoint("\u{10FFFF}"), "U+10FFFF")
        for error: TokenizerError in [.badTokenizerFile(path: "t.json", reason: "r"), .unencodable(reason: "r")] {
            XCTAssertFalse(error.description.contains("\n"), "\(error)")
            XCTAssertTrue(error.description.hasSuffix("."), "\(error)")
        }
    }
}
