import Foundation
import XCTest
@testable import Tokenizers

final class TokenizerTests: XCTestCase {
    func testNamesLayoutIsMakemores() throws {
        let characters = CharacterTokenizer(text: "zyxwvutsrqponmlkjihgfedcbaemma")
        XCTAssertEqual(characters.vocabularySize, 27)
        XCTAssertEqual(characters.boundaryToken, 0)
        XCTAssertEqual(try characters.encode("abz"), [1, 2, 26])
        XCTAssertEqual(characters.decode([0, 5, 13, 13, 1, 0]), "emma")
    }

    func testRoundTripWithNonASCII() throws {
        // Combining marks, CJK, an emoji outside the BMP, a control character, and NUL.
        let text = "Café naïve e\u{301} 日本語 🦀 tab\tend \u{0}"
        let tokenizer = CharacterTokenizer(text: text)
        let tokens = try tokenizer.encode(text)
        XCTAssertEqual(tokens.count, text.unicodeScalars.count)
        XCTAssertTrue(tokens.allSatisfy { $0 >= 1 && Int($0) < tokenizer.vocabularySize })
        XCTAssertEqual(tokenizer.decode(tokens), text)
        XCTAssertEqual(Array(tokenizer.decode(tokens).unicodeScalars), Array(text.unicodeScalars))
        // Ids follow ascending scalar order.
        XCTAssertEqual(tokenizer.symbols, tokenizer.symbols.sorted { $0.value < $1.value })
    }

    func testUnknownCharacterNamesItsPosition() throws {
        let tokenizer = CharacterTokenizer(text: "abc")
        XCTAssertThrowsError(try tokenizer.encode("abé")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownCharacter("é", offset: 2))
            XCTAssertTrue("\(error)".contains("U+00E9"), "\(error)")
        }
    }

    func testDecodeSkipsBoundariesAndReplacesOutOfRange() {
        let tokenizer = CharacterTokenizer(text: "ab")
        XCTAssertEqual(tokenizer.decode([0, 1, 0, 2, 0]), "ab")
        XCTAssertEqual(tokenizer.decode([1, 99, -1]), "a\u{FFFD}\u{FFFD}")
    }

    func testJSONRoundTrip() throws {
        let tokenizer = CharacterTokenizer(text: "hello, wörld\n\"quoted\" / \\ \u{1}🦀")
        let data = try tokenizer.jsonData()
        let loaded = try TokenizerFile.load(jsonData: data)
        XCTAssertEqual(loaded as? CharacterTokenizer, tokenizer)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(object?["format"] as? String, "descent-tokenizer")
        XCTAssertEqual(object?["version"] as? Int, 1)
        XCTAssertEqual(object?["type"] as? String, "character")
        XCTAssertEqual(object?["boundaryToken"] as? Int, 0)
        XCTAssertEqual((object?["symbols"] as? [String])?.count, tokenizer.vocabularySize - 1)
        // Same tokenizer, same bytes.
        XCTAssertEqual(try CharacterTokenizer(symbols: tokenizer.symbols).jsonData(), data)
    }

    func testRejectsUnknownVersionTypeAndBadSymbols() {
        func reason(_ json: String) -> String {
            do {
                _ = try TokenizerFile.load(jsonData: Data(json.utf8), path: "t.json")
                return "loaded"
            } catch {
                guard case .badTokenizerFile(let path, let reason) = error else { return "wrong error \(error)" }
                XCTAssertEqual(path, "t.json")
                return reason
            }
        }
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":2,"type":"character"}"#).contains("version 2"))
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":1,"type":"wordpiece"}"#).contains("unknown tokenizer type \"wordpiece\""))
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":1,"type":"bpe"}"#).contains("a bpe tokenizer needs"))
        XCTAssertTrue(reason(#"{"format":"other","version":1}"#).contains("format"))
        XCTAssertTrue(reason("not json").contains("JSON"))
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":1,"type":"character","boundaryToken":0,"symbols":["b","a"]}"#)
            .contains("ascending"))
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":1,"type":"character","boundaryToken":0,"symbols":["ab"]}"#)
            .contains("exactly one"))
        XCTAssertTrue(reason(#"{"format":"descent-tokenizer","version":1,"type":"character","boundaryToken":3,"symbols":["a"]}"#)
            .contains("boundaryToken"))
    }
}
