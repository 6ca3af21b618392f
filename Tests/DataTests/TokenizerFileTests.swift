import Foundation
import XCTest
@testable import Data
import Tokenizers

/// Reading a tokenizer file from disk is Data's: its errors are the file's.
final class TokenizerFileTests: XCTestCase {
    func testLoadFromPathReportsMissingFile() {
        XCTAssertThrowsError(try TokenizerFile.load(path: "/nonexistent/tokenizer.json")) { error in
            XCTAssertEqual(error as? DataError, .fileNotFound(path: "/nonexistent/tokenizer.json"))
        }
    }

    func testLoadFromPathWrapsTheTokenizersOwnErrors() throws {
        let directory = makeTemporaryDirectory(self)
        let path = directory + "/tokenizer.json"
        writeFile(path, #"{"format":"descent-tokenizer","version":2,"type":"character"}"#)
        XCTAssertThrowsError(try TokenizerFile.load(path: path)) { error in
            guard case .tokenizer(.badTokenizerFile(let reported, let reason)) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(reported, path)
            XCTAssertTrue(reason.contains("version 2"), reason)
            XCTAssertTrue("\(error)".hasSuffix("Re-run `descent prepare`."), "\(error)")
        }
        let tokenizer = CharacterTokenizer(text: "abc")
        writeFile(path, bytes: [UInt8](try tokenizer.jsonData()))
        XCTAssertEqual(try TokenizerFile.load(path: path) as? CharacterTokenizer, tokenizer)
    }
}
