import Data
import Foundation
import XCTest
@testable import Training

/// Quality bar of the foundation: SGD on the bigram table reaches the count-based optimum.
final class BigramQualityTests: XCTestCase {
    static let namesPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/names.txt").standardized.path
    static let configPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../configs/names-bigram.json").standardized.path

    /// Average NLL on the validation stream of the add-one smoothed bigram counts of the training
    /// stream: the best a bigram table can do with smoothing, computed exactly.
    static func smoothedCountLoss(train: [Int32], validation: [Int32], vocabularySize v: Int) -> Double {
        var counts = [Double](repeating: 1, count: v * v)
        for (a, b) in zip(train, train.dropFirst()) { counts[Int(a) * v + Int(b)] += 1 }
        var rowTotals = [Double](repeating: 0, count: v)
        for a in 0..<v { for b in 0..<v { rowTotals[a] += counts[a * v + b] } }
        var total = 0.0
        for (a, b) in zip(validation, validation.dropFirst()) {
            total -= log(counts[Int(a) * v + Int(b)] / rowTotals[Int(a)])
        }
        return total / Double(validation.count - 1)
    }

    func testSGDBigramIsWithinAHundredthOfTheCountOptimum() throws {
        guard FileManager.default.fileExists(atPath: Self.namesPath) else {
            throw XCTSkip("names.txt not found at \(Self.namesPath) (../shared/data beside the checkout); skipping the quality check")
        }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("names").path
        _ = try Prepare.run(PrepareOptions(inputs: [Self.namesPath], outputDirectory: output, splitBy: .lines, valFraction: 0.1,
                                           seed: 1337, shardTokens: 1_000_000))
        let dataset = try PreparedDataset(directory: output)
        let optimum = Self.smoothedCountLoss(train: try dataset.readStream(.train), validation: try dataset.readStream(.val),
                                             vocabularySize: dataset.tokenizer.vocabularySize)
        let config = try TrainingConfig.load(path: Self.configPath, overrides: ["data.dir=\(output)", "training.checkpointInterval=0"])
        XCTAssertEqual(config.training.evalBatches, 0, "the comparison needs the whole validation split")
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let recorder = MemoryRecorder()
        XCTAssertEqual(try trainer.run(recorder: recorder), .completed(step: config.training.maxSteps))
        let validation = try XCTUnwrap(recorder.values(.valLoss)[config.training.maxSteps])
        print("bigram SGD val loss \(validation), smoothed count model \(optimum), gap \(validation - optimum)")
        XCTAssertEqual(validation, optimum, accuracy: 0.01)
    }
}
