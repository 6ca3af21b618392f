import Data
import Foundation
import Models
import Tokenizers
import XCTest
@testable import Training

final class EvaluatorTests: XCTestCase {
    /// Scoring the validation documents as a text file gives the trainer's validation loss over
    /// the whole split: same stream, same contexts, same positions.
    func testTextEvaluationEqualsTheValidationLoss() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Fixtures.namesDataset(in: directory)
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=40", "training.evalBatches=0"])
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        _ = try trainer.run(recorder: MemoryRecorder())
        let validation = try XCTUnwrap(try trainer.validationLoss())

        let stream = try dataset.readStream(.val)
        let boundary = dataset.tokenizer.boundaryToken
        let documents = stream.split(separator: boundary).map { dataset.tokenizer.decode(Array($0)) }
        let file = directory.appendingPathComponent("val.txt")
        try (documents.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        for batchSize in [1, 7, 256] {
            let result = try Evaluator.evaluate(model: trainer.model, tokenizer: dataset.tokenizer, paths: [file.path],
                                                split: .lines, batchSize: batchSize)
            XCTAssertEqual(result.loss, validation, accuracy: 1e-9)
            XCTAssertEqual(result.tokens, stream.count - 1)
            XCTAssertEqual(result.documents, documents.count)
            XCTAssertEqual(result.perplexity, exp(result.loss), accuracy: 1e-9)
            // Character-level: bits per character = loss / ln 2.
            XCTAssertEqual(result.bitsPerCharacter, result.loss / log(2), accuracy: 1e-9)
        }
    }

    func testUnknownCharactersAndEmptyTextAreErrors() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Fixtures.namesDataset(in: directory)
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP)
        let model = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule).model
        let odd = directory.appendingPathComponent("odd.txt")
        try "anna\nbo\u{E9}\n".write(to: odd, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Evaluator.evaluate(model: model, tokenizer: dataset.tokenizer, paths: [odd.path], split: .lines)) {
            XCTAssertEqual($0 as? DataError, .unknownCharacterInFile(path: odd.path, document: 2, offset: 2, scalar: "\u{E9}"))
        }
        let empty = directory.appendingPathComponent("empty.txt")
        try "\n\n".write(to: empty, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Evaluator.evaluate(model: model, tokenizer: dataset.tokenizer, paths: [empty.path], split: .lines))
    }

    /// Bits per character divide by the text's characters (Unicode scalars, plus one per document
    /// end), the loss by the tokens predicted: with a tokenizer that emits one token per two
    /// characters the two differ, and each is what its definition says.
    func testBitsPerCharacterCountCharactersAndLossCountsTokens() throws {
        struct PairTokenizer: Tokenizer {
            var vocabularySize: Int { 3 }
            var boundaryToken: Int32 { 0 }
            var typeName: String { "pairs" }
            /// Id 1 per pair of scalars, id 2 for a last scalar left alone.
            func encode(utf8 text: UnsafeBufferPointer<UInt8>, appendingTo tokens: inout [Int32]) {
                let scalars = text.filter { $0 & 0xC0 != 0x80 }.count
                tokens += [Int32](repeating: 1, count: scalars / 2) + (scalars % 2 == 1 ? [2] : [])
            }
            func decode(_ tokens: [Int32]) -> String { "" }
            func jsonData() -> Data { Data() }
        }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("text.txt")
        // Documents of 4, 3 and 5 scalars (the last one 11 bytes): 2, 2 and 3 tokens.
        try "abcd\nabc\né日🦀xy\n".write(to: file, atomically: true, encoding: .utf8)
        // A zero bigram predicts uniformly: every token costs ln 3 nats.
        let model = BigramModel(vocabularySize: 3)
        let result = try Evaluator.evaluate(model: model, tokenizer: PairTokenizer(), paths: [file.path], split: .lines)
        XCTAssertEqual(result.documents, 3)
        XCTAssertEqual(result.characters, 12)
        XCTAssertEqual(result.tokens, 2 + 2 + 3 + 3)
        XCTAssertEqual(result.loss, log(3), accuracy: 1e-6)
        XCTAssertEqual(result.bitsPerCharacter, Double(result.tokens) * log(3) / log(2) / Double(12 + 3), accuracy: 1e-6)
        XCTAssertNotEqual(result.bitsPerCharacter, result.loss / log(2), accuracy: 0.1)
    }
}
