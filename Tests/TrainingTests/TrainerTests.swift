import Core
import Data
import Foundation
import Kernels
import Models
import XCTest
@testable import Training

final class TrainerTests: NamesDatasetTestCase {
    override func tearDownWithError() throws {
        Parallel.threadCount = ProcessInfo.processInfo.activeProcessorCount
        try super.tearDownWithError()
    }

    func train(_ overrides: [String], start: Trainer.Start = .fresh, stopAt: Int? = nil,
               recorder: MemoryRecorder = MemoryRecorder()) throws -> (Trainer, TrainingOutcome, MemoryRecorder) {
        let config = try Fixtures.config(dataset.directory, overrides)
        let trainer = try Trainer(config: config, dataset: dataset, start: start, schedule: config.learningRateSchedule)
        let outcome = try trainer.run(recorder: recorder, stopAt: stopAt)
        return (trainer, outcome, recorder)
    }

    /// 60 steps straight against 25 steps, a checkpoint, and a resumed trainer for the rest:
    /// the same weights bit for bit and the same logged losses, for each optimizer and model.
    func testResumeIsBitwiseExact() throws {
        let variants: [[String]] = [
            Fixtures.smallMLP + ["training.maxSteps=60"],
            Fixtures.smallMLP + ["training.maxSteps=60", "model.firstLayer=tables"],
            Fixtures.smallMLP + ["training.maxSteps=60", "model.firstLayer=dense", "model.hiddenLayers=2"],
            Fixtures.smallMLP + ["training.maxSteps=60", "model.hiddenLayers=2", "model.dropout=0.25"],
            Fixtures.smallMLP + ["training.maxSteps=60", "optimizer.type=adamw", "optimizer.learningRate=0.01",
                                 "optimizer.weightDecay=0.1", "optimizer.gradientClipNorm=0.5"],
            ["model.type=bigram", "training.maxSteps=60", "training.batchSize=16", "optimizer.learningRate=5",
             "optimizer.momentum=0.9", "optimizer.nesterov=true", "training.evalInterval=20"],
        ]
        for overrides in variants {
            let (straight, outcome, straightRecords) = try train(overrides)
            XCTAssertEqual(outcome, .completed(step: 60))

            let (_, paused, pausedRecords) = try train(overrides, stopAt: 25)
            XCTAssertEqual(paused, .stoppedAt(step: 25))
            XCTAssertEqual(pausedRecords.checkpoints.last?.reason, .stopAt)
            let checkpoint = try pausedRecords.latest()
            XCTAssertEqual(checkpoint.state.step, 25)
            let (resumed, finished, resumedRecords) = try train(overrides, start: .resume(checkpoint))
            XCTAssertEqual(finished, .completed(step: 60))

            XCTAssertEqual(resumed.model.parameters.toArray().map(\.bitPattern), straight.model.parameters.toArray().map(\.bitPattern),
                           "weights differ for \(overrides)")
            XCTAssertEqual(resumedRecords.checkpoints.last?.weightsSHA256, straightRecords.checkpoints.last?.weightsSHA256)
            let straightLosses = straightRecords.values(.trainLoss)
            let stitched = pausedRecords.values(.trainLoss).merging(resumedRecords.values(.trainLoss)) { $1 }
            XCTAssertEqual(stitched.count, 60)
            XCTAssertEqual(stitched, straightLosses)
            XCTAssertEqual(resumedRecords.values(.valLoss)[60], straightRecords.values(.valLoss)[60])
        }
    }

    func testStopRequestFinishesTheStepAndCheckpoints() throws {
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=100"])
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let recorder = MemoryRecorder()
        var polls = 0
        let outcome = try trainer.run(recorder: recorder, shouldStop: { polls += 1; return polls > 13 })
        XCTAssertEqual(outcome, .interrupted(step: 13))
        XCTAssertEqual(recorder.checkpoints.last?.reason, .interrupt)
        XCTAssertEqual(try recorder.latest().state.step, 13)
        XCTAssertEqual(recorder.values(.trainLoss).count, 13, "every completed step's loss is recorded")
    }

    func testDivergenceKeepsTheLastGoodCheckpoint() throws {
        let (_, outcome, recorder) = try train(Fixtures.smallMLP + ["training.maxSteps=200", "optimizer.learningRate=1e5",
                                                                    "schedule.warmupSteps=30"])
        guard case let .diverged(step, learningRate, _, lastCheckpoint) = outcome else {
            return XCTFail("expected divergence, got \(outcome)")
        }
        XCTAssertGreaterThan(step, 0)
        XCTAssertEqual(learningRate, 1e5 * Double(min(step, 30)) / 30, accuracy: 1e-6)
        XCTAssertEqual(recorder.checkpoints.last.map(\.step), lastCheckpoint)
        XCTAssert(recorder.checkpoints.allSatisfy { $0.step < step })
    }

    func testThreadCountDoesNotChangeTheBits() throws {
        for firstLayer in FirstLayerPath.allCases {
            var weights: [[UInt32]] = []
            for threads in [1, 2, 3] {
                Parallel.threadCount = threads
                let (trainer, _, _) = try train(Fixtures.smallMLP + ["training.maxSteps=30", "model.hiddenSize=70", "training.batchSize=37",
                                                                     "model.firstLayer=\(firstLayer)"])
                weights.append(trainer.model.parameters.toArray().map(\.bitPattern))
            }
            XCTAssertEqual(weights[0], weights[1], "\(firstLayer)")
            XCTAssertEqual(weights[0], weights[2], "\(firstLayer)")
        }
    }

    /// Dropout trains differently from no dropout, every step draws new masks (the same masks
    /// every step would train a thinner network), and the run is the same bits at any thread count.
    func testDropoutDrawsNewMasksEveryStep() throws {
        let common = Fixtures.smallMLP + ["training.maxSteps=30", "model.hiddenSize=70", "training.batchSize=37"]
        let (plain, _, _) = try train(common)
        var weights: [[UInt32]] = []
        for threads in [1, 3] {
            Parallel.threadCount = threads
            let (dropping, _, _) = try train(common + ["model.dropout=0.3"])
            weights.append(dropping.model.parameters.toArray().map(\.bitPattern))
        }
        XCTAssertEqual(weights[0], weights[1], "thread count")
        XCTAssertNotEqual(weights[0], plain.model.parameters.toArray().map(\.bitPattern))
        let keys = (0..<10_000).map { Trainer.dropoutKey(seed: 1337, step: $0) }
        XCTAssertEqual(Set(keys).count, keys.count, "each step's key draws its own masks")
        XCTAssertNotEqual(Trainer.dropoutKey(seed: 1337, step: 5), Trainer.dropoutKey(seed: 1338, step: 5))
    }

    /// The two first-layer paths train the same function: after 30 steps the weights agree to
    /// float rounding, though not bit for bit.
    func testFirstLayerPathsTrainAlike() throws {
        let common = Fixtures.smallMLP + ["training.maxSteps=30"]
        let (dense, _, _) = try train(common + ["model.firstLayer=dense"])
        let (tables, _, _) = try train(common + ["model.firstLayer=tables"])
        let a = dense.model.parameters.toArray(), b = tables.model.parameters.toArray()
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertNotEqual(a.map(\.bitPattern), b.map(\.bitPattern), "the paths round differently; equal bits would mean one path ran twice")
    }

    func testFineTuningStartsFromTheWeightsWithAFreshOptimizer() throws {
        let (base, _, records) = try train(Fixtures.smallMLP + ["training.maxSteps=20"])
        let checkpoint = try records.latest()
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=10"])
        let tuned = try Trainer(config: config, dataset: dataset, start: .initialize(fromWeights: checkpoint), schedule: config.learningRateSchedule)
        XCTAssertEqual(tuned.model.parameters.toArray(), base.model.parameters.toArray())
        XCTAssertEqual(tuned.state.step, 0)
        XCTAssertEqual(tuned.optimizer.stepCount, 0)
        let wider = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["model.hiddenSize=17"])
        XCTAssertThrowsError(try Trainer(config: wider, dataset: dataset, start: .initialize(fromWeights: checkpoint), schedule: wider.learningRateSchedule))
    }

    func testTrainingLowersTheLoss() throws {
        let (trainer, _, records) = try train(Fixtures.smallMLP + ["training.maxSteps=300", "training.evalInterval=300",
                                                                   "training.batchSize=32", "schedule.warmupSteps=10"])
        let val = records.values(.valLoss)
        XCTAssertLessThan(try XCTUnwrap(val[300]), try XCTUnwrap(val[0]) - 0.5)
        XCTAssertEqual(trainer.state.examplesSeen, 300 * 32)
    }

    /// Sampling reads the weights between steps and draws from its own generators: a run with
    /// samples every 7 steps ends with the same bits and logs the same losses as one without,
    /// for the MLP (which shares its activation workspace with sampling) and the bigram. A batch
    /// of 2, smaller than the 3 samples, makes sampling grow that workspace mid-run.
    func testSamplingDoesNotChangeTheTrainingBits() throws {
        let variants: [[String]] = [
            Fixtures.smallMLP + ["training.maxSteps=30", "training.batchSize=2"],
            ["model.type=bigram", "training.maxSteps=30", "training.batchSize=16", "optimizer.learningRate=5"],
        ]
        for overrides in variants {
            let (plain, _, plainRecords) = try train(overrides)
            let (sampled, outcome, sampledRecords) = try train(overrides + ["training.sampleInterval=7", "training.sampleTokens=12"])
            XCTAssertEqual(outcome, .completed(step: 30))
            XCTAssertEqual(sampled.model.parameters.toArray().map(\.bitPattern), plain.model.parameters.toArray().map(\.bitPattern),
                           "weights differ for \(overrides)")
            XCTAssertEqual(sampledRecords.values(.trainLoss), plainRecords.values(.trainLoss))
            XCTAssertEqual(sampledRecords.values(.valLoss), plainRecords.values(.valLoss))
            XCTAssert(plainRecords.samples.isEmpty)
            // Step 0 (the initial weights), every 7 steps, and the last step; 3 samples each.
            XCTAssertEqual(sampledRecords.samples.map(\.step), [0, 7, 14, 21, 28, 30].flatMap { [$0, $0, $0] })
            XCTAssertEqual(sampledRecords.samples.map(\.index), (0..<6).flatMap { _ in [0, 1, 2] })
            XCTAssert(sampledRecords.samples.allSatisfy { $0.text.unicodeScalars.count <= 12 })
            // The same seed at every interval, so the same run gives the same samples.
            let (_, _, again) = try train(overrides + ["training.sampleInterval=7", "training.sampleTokens=12"])
            XCTAssertEqual(again.samples, sampledRecords.samples)
        }
    }

    func testEventsReportEveryStepAndTheSamples() throws {
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=12", "training.sampleInterval=10"])
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        var steps: [StepReport] = []
        var samples: [(Int, [String])] = []
        var progress: [Int] = []
        _ = try trainer.run(recorder: MemoryRecorder(), progress: { event in
            switch event {
            case .step(let report): steps.append(report)
            case .samples(let step, let texts): samples.append((step, texts))
            case .progress(let report): progress.append(report.step)
            default: break
            }
        })
        XCTAssertEqual(steps.map(\.step), Array(1...12))
        XCTAssertEqual(steps.last?.examplesSeen, 12 * 8)
        XCTAssertEqual(steps.map(\.elapsedSeconds), steps.map(\.elapsedSeconds).sorted())
        XCTAssertEqual(samples.map(\.0), [0, 10, 12])
        XCTAssert(samples.allSatisfy { $0.1.count == Trainer.sampleCount })
        XCTAssertEqual(progress, [5, 10, 12])
    }

    func testLogIntervalsRecordElapsedTimeAndExamples() throws {
        let (_, _, records) = try train(Fixtures.smallMLP + ["training.maxSteps=12"])
        XCTAssertEqual(records.values(.examplesSeen), [5: 40, 10: 80, 12: 96])
        let elapsed = records.values(.elapsedSeconds)
        XCTAssertEqual(elapsed.keys.sorted(), [5, 10, 12])
        XCTAssertLessThanOrEqual(elapsed[5]!, elapsed[12]!)
    }
}

final class TrainerRecordsTests: XCTestCase {
    /// Every log step records how long training waited for data, and the run reports the time it
    /// spent keeping records.
    func testDataWaitAndRecordingTimeAreMeasured() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Fixtures.namesDataset(in: directory)
        let config = try Fixtures.config(dataset.directory, Fixtures.smallMLP + ["training.maxSteps=30"])
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: config.learningRateSchedule)
        let recorder = MemoryRecorder()
        XCTAssertEqual(try trainer.run(recorder: recorder), .completed(step: 30))
        let waits = recorder.values(.dataWait)
        XCTAssertEqual(waits.keys.sorted(), Array(stride(from: 5, through: 30, by: 5)))
        XCTAssert(waits.values.allSatisfy { $0 >= 0 && $0.isFinite }, "\(waits)")
        XCTAssertGreaterThan(trainer.recordingSeconds, 0)
        XCTAssertLessThan(trainer.recordingSeconds, trainer.sessionSeconds)
    }
}
