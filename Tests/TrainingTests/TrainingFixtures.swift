import Core
import Data
import Foundation
import Kernels
import RunRecords
@testable import Training

/// Records everything in memory, so tests can compare runs metric by metric.
final class MemoryRecorder: TrainingRecorder {
    var metrics: [MetricSample] = []
    var checkpoints: [CheckpointPayload] = []
    var samples: [TextSample] = []

    func record(metrics: [MetricSample], step: Int) throws { self.metrics += metrics }

    func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws {
        metrics += pendingMetrics
        checkpoints.append(checkpoint)
    }

    func record(samples: [TextSample]) throws { self.samples += samples }

    func values(_ name: MetricName) -> [Int: Double] {
        Dictionary(metrics.filter { $0.name == name }.map { ($0.step, $0.value) }, uniquingKeysWith: { $1 })
    }

    func latest() throws -> LoadedCheckpoint {
        let last = try XCTUnwrapValue(checkpoints.last)
        return try CheckpointCodec.decode(Dictionary(uniqueKeysWithValues: last.blobs.map { ($0.name, $0.bytes) }))
    }
}

struct MissingValue: Error {}

func XCTUnwrapValue<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}

enum Fixtures {
    /// A temporary directory removed at process exit is not guaranteed; tests remove their own.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("descent-training-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small deterministic corpus of name-like words, one per line, prepared as a dataset.
    static func namesDataset(in directory: URL, count: Int = 600) throws -> PreparedDataset {
        var generator = Xoshiro256(seed: 99)
        let syllables = ["an", "na", "el", "li", "ma", "ra", "jo", "ko", "ti", "sa", "be", "ol", "ya", "mi"]
        let words = (0..<count).map { _ in
            (0..<(1 + generator.nextInt(below: 3))).map { _ in syllables[generator.nextInt(below: syllables.count)] }.joined()
        }
        let input = directory.appendingPathComponent("names.txt")
        try words.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("names").path
        _ = try Prepare.run(PrepareOptions(inputs: [input.path], outputDirectory: output, splitBy: .lines, valFraction: 0.1,
                                           seed: 1337, shardTokens: 1024))
        return try PreparedDataset(directory: output)
    }

    static func config(_ dataDirectory: String, _ overrides: [String]) throws -> TrainingConfig {
        try TrainingConfig.parse(json: Data(#"{"data": {"dir": "\#(dataDirectory)"}}"#.utf8), source: "test", overrides: overrides)
    }

    static let smallMLP = ["model.type=mlp", "model.contextLength=3", "model.embeddingSize=4", "model.hiddenSize=16",
                           "training.batchSize=8", "optimizer.learningRate=0.1", "optimizer.momentum=0.9",
                           "schedule.warmupSteps=5", "training.evalInterval=20", "training.evalBatches=4",
                           "training.checkpointInterval=10", "training.logInterval=5"]
}

import XCTest

/// A test case with a small names dataset in a temporary directory of its own, removed afterwards.
class NamesDatasetTestCase: XCTestCase {
    var directory: URL!
    var dataset: PreparedDataset!

    override func setUpWithError() throws {
        directory = Fixtures.temporaryDirectory()
        dataset = try Fixtures.namesDataset(in: directory)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }
}
