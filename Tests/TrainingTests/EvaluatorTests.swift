import Data
import Foundation
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
}
