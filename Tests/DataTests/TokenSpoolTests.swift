import Foundation
import XCTest
@testable import Data

final class TokenSpoolTests: XCTestCase {
    /// Reads give shard payload bytes whatever the stored width; copy and truncate make the tail cut.
    func testReadsGivePayloadBytesAndTheTailCutMovesTokens() throws {
        let directory = makeTemporaryDirectory(self)
        for (vocabularySize, stored, payload) in [(256, 1, 2), (257, 2, 2), (70_000, 4, 4)] {
            let tokens = (0..<300_000).map { Int32($0 * 7919 % vocabularySize) }
            let spool = try TokenSpool(path: directory + "/s\(vocabularySize)", vocabularySize: vocabularySize)
            XCTAssertEqual(spool.storedBytes, stored)
            XCTAssertEqual(spool.tokenBytes, payload)
            try spool.append(tokens[0])
            try spool.append(Array(tokens[1...]))
            try spool.flush()
            XCTAssertEqual(spool.count, tokens.count)
            XCTAssertEqual(try read(spool, 1000..<200_000), Array(tokens[1000..<200_000]))

            let other = try TokenSpool(path: directory + "/t\(vocabularySize)", vocabularySize: vocabularySize)
            try other.append(0)
            try spool.copy(tokens: 250_000..<300_000, to: other)
            try other.append(0)
            try other.flush()
            try spool.truncate(toCount: 250_000)
            XCTAssertEqual(spool.count, 250_000)
            XCTAssertEqual(try read(other, 0..<other.count), [0] + Array(tokens[250_000...]) + [0])
            XCTAssertEqual(try read(spool, 249_990..<250_000), Array(tokens[249_990..<250_000]))
            try spool.remove()
            try other.remove()
            XCTAssertFalse(FileManager.default.fileExists(atPath: spool.path))
        }
    }

    func read(_ spool: TokenSpool, _ range: Range<Int>) throws -> [Int32] {
        var bytes = [UInt8](repeating: 0, count: range.count * spool.tokenBytes)
        var scratch = [UInt8](repeating: 0, count: TokenSpool.readScratchBytes)
        try bytes.withMutableBytes { (buffer) throws(DataError) in
            try scratch.withMutableBytes { (scratch) throws(DataError) in try spool.read(tokens: range, into: buffer, scratch: scratch) }
        }
        return stride(from: 0, to: bytes.count, by: spool.tokenBytes).map { offset in
            (0..<spool.tokenBytes).reversed().reduce(Int32(0)) { $0 << 8 | Int32(bytes[offset + $1]) }
        }
    }
}
