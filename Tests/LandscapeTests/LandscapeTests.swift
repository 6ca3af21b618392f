import Core
import Data
import Foundation
import Kernels
import Landscape
import Models
import Parameters
import RunRecords
import XCTest
@testable import Training

final class FilterNormalizationTests: XCTestCase {
    /// Hand-computed: a (2 in × 2 out) weight, a bias and a (2 × 2) embedding.
    ///   weight W = [[3, 0], [4, 1]]: column norms 5 and 1; direction D = [[1, 2], [1, 0]]:
    ///   column norms √2 and 2 → D·[5/√2, 1/2] = [[3.5355, 1], [3.5355, 0]];
    ///   bias → 0; embedding rows: E = [[0, 2], [0, 0]] (norms 2 and 0), D = [[6, 8], [1, 1]]
    ///   (norms 10, √2) → [[1.2, 1.6], [0, 0]] (a zero row of weights gets zero).
    func testEachFilterTakesTheNormOfTheWeightsFilter() {
        var layout = ParameterLayout()
        let weight = layout.add("w", rows: 2, columns: 2, kind: .weight)
        let bias = layout.add("b", rows: 1, columns: 2, kind: .bias)
        let embedding = layout.add("e", rows: 2, columns: 2, kind: .embedding)
        let weights = layout.makeBuffer(), direction = layout.makeBuffer()
        layout.view(weight, in: weights).copy(from: [3, 0, 4, 1])
        layout.view(bias, in: weights).copy(from: [7, 7])
        layout.view(embedding, in: weights).copy(from: [0, 2, 0, 0])
        layout.view(weight, in: direction).copy(from: [1, 2, 1, 0])
        layout.view(bias, in: direction).copy(from: [5, 5])
        layout.view(embedding, in: direction).copy(from: [6, 8, 1, 1])
        FilterNormalization.normalize(direction, toFiltersOf: weights, layout: layout)
        let w = layout.view(weight, in: direction).toArray()
        let half = Float(5 / 2.0.squareRoot())
        XCTAssertEqual(w[0], half, accuracy: 1e-6)
        XCTAssertEqual(w[1], 1, accuracy: 1e-6)
        XCTAssertEqual(w[2], half, accuracy: 1e-6)
        XCTAssertEqual(w[3], 0)
        XCTAssertEqual(layout.view(bias, in: direction).toArray(), [0, 0])
        let e = layout.view(embedding, in: direction).toArray()
        XCTAssertEqual(e[0], 1.2, accuracy: 1e-6)
        XCTAssertEqual(e[1], 1.6, accuracy: 1e-6)
        XCTAssertEqual(Array(e[2...]), [0, 0])
    }

    func testRandomDirectionsAreSeededAndDiffer() {
        var layout = ParameterLayout()
        layout.add("w", rows: 4, columns: 3, kind: .weight)
        let weights = layout.makeBuffer()
        weights.fill(1)
        let a = FilterNormalization.randomDirection(like: weights, layout: layout, seed: 1).toArray()
        XCTAssertEqual(a, FilterNormalization.randomDirection(like: weights, layout: layout, seed: 1).toArray())
        XCTAssertNotEqual(a, FilterNormalization.randomDirection(like: weights, layout: layout, seed: 2).toArray())
        // Every column of 4 ones has norm 2; so does every column of the direction.
        for column in 0..<3 {
            let norm = (0..<4).map { Double(a[$0 * 3 + column]) }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, 2, accuracy: 1e-6)
        }
    }
}

final class PrincipalDirectionsTests: XCTestCase {
    /// Differences (2,0,0), (−2,0,0), (0,1,0), (0,−1,0), (0,0,0) have mean 0 and scatter
    /// diag(8, 2, 0): components ±x and ±y, explaining 80% and 20%, and the path's coordinates
    /// are the differences' own x and y (up to each axis's sign).
    func testAxisAlignedPathByHand() throws {
        let final: [Float] = [1, 2, 3]
        let differences: [[Float]] = [[2, 0, 0], [-2, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 0]]
        let snapshots = differences.map { d in zip(d, final).map { $0 + $1 } }
        let plane = try PrincipalDirections.plane(snapshots: snapshots, final: final)
        XCTAssertEqual(plane.explainedVariance.first, 0.8, accuracy: 1e-12)
        XCTAssertEqual(plane.explainedVariance.second, 0.2, accuracy: 1e-12)
        XCTAssertEqual(plane.first.map(abs), [1, 0, 0])
        XCTAssertEqual(plane.second.map(abs), [0, 1, 0])
        let expected: [(Double, Double)] = [(2, 0), (-2, 0), (0, 1), (0, -1), (0, 0)]
        for (point, want) in zip(plane.path, expected) {
            XCTAssertEqual(abs(point.x), abs(want.0), accuracy: 1e-12)
            XCTAssertEqual(abs(point.y), abs(want.1), accuracy: 1e-12)
        }
        XCTAssertEqual(plane.path.last?.x, 0)
    }

    /// A tilted case: differences (2,1,0), (−2,−1,0), (0,0,0) lie on one line, so the first
    /// component is (2,1,0)/√5 and explains everything; the coordinates are ±√5 and 0.
    func testCollinearPathIsOneComponent() throws {
        let final: [Float] = [0, 0, 0]
        let plane = try PrincipalDirections.plane(snapshots: [[2, 1, 0], [-2, -1, 0], [0, 0, 0]], final: final)
        XCTAssertEqual(plane.explainedVariance.first, 1, accuracy: 1e-12)
        XCTAssertEqual(plane.explainedVariance.second, 0, accuracy: 1e-12)
        XCTAssertEqual(abs(plane.first[0]), 2 / 5.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(abs(plane.path[0].x), 5.0.squareRoot(), accuracy: 1e-12)
    }

    func testTooFewSnapshotsAndNoMovementAreErrors() {
        XCTAssertThrowsError(try PrincipalDirections.plane(snapshots: [[1], [2]], final: [2])) { error in
            XCTAssertEqual(error as? PrincipalDirectionsError, .tooFewSnapshots(found: 2))
        }
        XCTAssertThrowsError(try PrincipalDirections.plane(snapshots: [[2], [2], [2]], final: [2])) { error in
            XCTAssertEqual(error as? PrincipalDirectionsError, .noMovement)
        }
    }
}

final class LossSurfaceTests: XCTestCase {
    var directory: URL!
    var dataset: PreparedDataset!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("descent-landscape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var generator = Xoshiro256(seed: 5)
        let syllables = ["an", "na", "el", "li", "ma", "ra", "jo", "ko", "ti", "sa"]
        let words = (0..<500).map { _ in
            (0..<(1 + generator.nextInt(below: 3))).map { _ in syllables[generator.nextInt(below: syllables.count)] }.joined()
        }
        let input = directory.appendingPathComponent("names.txt")
        try words.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("names").path
        _ = try Prepare.run(PrepareOptions(inputs: [input.path], outputDirectory: output, splitBy: .lines, valFraction: 0.1,
                                           seed: 1337, shardTokens: 1024))
        dataset = try PreparedDataset(directory: output)
    }

    override func tearDownWithError() throws {
        Parallel.threadCount = ProcessInfo.processInfo.activeProcessorCount
        try? FileManager.default.removeItem(at: directory)
    }

    func trained(_ overrides: [String]) throws -> any LanguageModel {
        let config = try TrainingConfig.parse(json: Data(#"{"data": {"dir": "\#(dataset.directory)"}}"#.utf8), source: "test",
                                              overrides: overrides + ["training.evalInterval=0", "training.checkpointInterval=0"])
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        final class Discard: TrainingRecorder {
            func record(metrics: [MetricSample], step: Int) throws {}
            func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws {}
            func record(samples: [TextSample]) throws {}
        }
        _ = try trainer.run(recorder: Discard())
        return trainer.model
    }

    func batches(for model: any LanguageModel, batchSize: Int = 256, count: Int = 8) throws -> FixedBatches {
        try FixedBatches.load(EvaluationSet(dataset: dataset, split: .train, contextLength: model.architecture.contextLength,
                                            batchSize: batchSize, maxBatches: count))
    }

    /// The bigram's loss is convex in its table: around trained weights, the centre of the plane
    /// is the lowest point of the grid.
    func testBigramCentreIsTheLowestPoint() throws {
        let model = try trained(["model.type=bigram", "training.maxSteps=400", "training.batchSize=512",
                                 "optimizer.learningRate=20", "optimizer.momentum=0.9", "schedule.warmupSteps=20"])
        let surface = LossSurface(model: model, batches: try batches(for: model, batchSize: 1024))
        let axis = LossSurface.axis(span: 1, count: 9)
        XCTAssertEqual(axis[4], 0)
        let first = FilterNormalization.randomDirection(like: model.parameters, layout: model.layout, seed: 1)
        let second = FilterNormalization.randomDirection(like: model.parameters, layout: model.layout, seed: 2)
        let grid = surface.grid(xs: axis, ys: axis, first: first, second: second)
        XCTAssertEqual(grid.lowest.i, 4)
        XCTAssertEqual(grid.lowest.j, 4)
        let centre = grid.values[4][4]
        XCTAssertLessThan(centre, grid.values[0][0] - 0.01, "the rim is clearly higher")
    }

    /// The surface has the same bits on 1 and 2 threads, and the centre equals the model's own
    /// loss on the batches.
    func testSurfaceIsBitwiseEqualOnOneAndTwoThreads() throws {
        let model = try trained(["model.type=mlp", "model.contextLength=3", "model.embeddingSize=4", "model.hiddenSize=16", "training.batchSize=8",
                                 "optimizer.learningRate=0.1", "optimizer.momentum=0.9", "training.maxSteps=30"])
        let fixed = try batches(for: model, batchSize: 64, count: 4)
        let surface = LossSurface(model: model, batches: fixed)
        let first = FilterNormalization.randomDirection(like: model.parameters, layout: model.layout, seed: 3)
        let second = FilterNormalization.randomDirection(like: model.parameters, layout: model.layout, seed: 4)
        let axis = LossSurface.axis(span: 0.5, count: 5)
        var grids: [LossGrid] = []
        for threads in [1, 2] {
            Parallel.threadCount = threads
            grids.append(surface.grid(xs: axis, ys: axis, first: first, second: second))
        }
        XCTAssertEqual(grids[0].values.flatMap { $0.map(\.bitPattern) }, grids[1].values.flatMap { $0.map(\.bitPattern) })
        var direct = 0.0
        for b in fixed.counts.indices { direct += model.lossSum(contexts: fixed.contexts[b], targets: fixed.targets[b], count: fixed.counts[b]) }
        XCTAssertEqual(grids[0].values[2][2], direct / Double(fixed.exampleCount))
    }
}
