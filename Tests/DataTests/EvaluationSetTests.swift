import Foundation
import XCTest
@testable import Data

final class EvaluationSetTests: XCTestCase {
    func makeDataset(valLength: Int, documentLength: Int, shardTokens: Int, directory: String) throws -> PreparedDataset {
        let tokenizer = try syntheticTokenizer(vocabularySize: max(valLength, 2))
        try DatasetWriter.write(train: [0, 1, 0], val: incrementingStream(length: valLength, documentLength: documentLength),
                                tokenizer: tokenizer, shardTokens: shardTokens, to: directory + "/eval")
        return try PreparedDataset(directory: directory + "/eval")
    }

    func collect(_ set: EvaluationSet) throws -> (contexts: [Int32], targets: [Int32], counts: [Int]) {
        var contexts: [Int32] = [], targets: [Int32] = [], counts: [Int] = []
        try set.forEachBatch { batchContexts, batchTargets, count in
            XCTAssertEqual(batchContexts.count, set.batchSize * set.contextLength)
            XCTAssertEqual(batchTargets.count, set.batchSize)
            contexts += batchContexts[0..<(count * set.contextLength)]
            targets += batchTargets[0..<count]
            counts.append(count)
            // Unused rows of a partial batch hold boundary tokens.
            XCTAssertTrue(batchTargets[count...].allSatisfy { $0 == 0 })
        }
        return (contexts, targets, counts)
    }

    func testAllExamplesInStreamOrder() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try makeDataset(valLength: 500, documentLength: 9, shardTokens: 64, directory: directory)
        let stream = try dataset.readStream(.val)
        let expected = ContextWindow.examples(stream: stream, contextLength: 70, boundaryToken: 0)
        for maxBatches in [0, 100, 50] {   // 0 = all; 50 · 10 ≥ 499 examples = all
            let set = try EvaluationSet(dataset: dataset, split: .val, contextLength: 70, batchSize: 10, maxBatches: maxBatches)
            XCTAssertTrue(set.isExhaustive)
            XCTAssertEqual(set.exampleCount, 499)
            XCTAssertEqual(set.batchCount, 50)
            let (contexts, targets, counts) = try collect(set)
            XCTAssertEqual(targets, expected.targets)
            XCTAssertEqual(contexts, expected.contexts)
            XCTAssertEqual(counts, Array(repeating: 10, count: 49) + [9])
        }
    }

    func testSampledExamplesAreEvenlySpreadAndFixed() throws {
        let directory = makeTemporaryDirectory(self)
        let dataset = try makeDataset(valLength: 1000, documentLength: 11, shardTokens: 100, directory: directory)
        let stream = try dataset.readStream(.val)
        let set = try EvaluationSet(dataset: dataset, split: .val, contextLength: 5, batchSize: 8, maxBatches: 3)
        XCTAssertFalse(set.isExhaustive)
        XCTAssertEqual(set.exampleCount, 24)
        // p_i = 1 + floor((i + 0.5) · 999 / 24).
        let positions = (0..<24).map { 1 + Int((Double($0) + 0.5) * 999 / 24) }
        XCTAssertEqual((0..<24).map(set.position(ofExample:)), positions)
        let (contexts, targets, counts) = try collect(set)
        XCTAssertEqual(counts, [8, 8, 8])
        XCTAssertEqual(targets, positions.map { stream[$0] })
        XCTAssertEqual(contexts, positions.flatMap { ContextWindow.context(in: stream, position: $0, contextLength: 5, boundaryToken: 0) })
        // The same set every time.
        XCTAssertEqual(try collect(set).contexts, contexts)
    }
}
