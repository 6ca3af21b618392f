// The training loop: batches from the loader, forward and backward, clipping, the optimizer
// step; evaluation, metrics and checkpoints at their intervals; clean stops on request.
//
// The loop owns no I/O policy: metrics and checkpoints go to a `TrainingRecorder` (the CLI backs
// it with SQLite) and progress to a callback. Everything a later step depends on (weights,
// optimizer moments, RNG, loader position, step) is in the checkpoint, so a run stopped at step
// k and resumed ends bitwise equal to one that never stopped.

import Core
import Data
import Foundation
import Kernels
import Models
import Optimizers

public struct MetricSample: Sendable, Equatable {
    public let step: Int
    public let name: String
    public let value: Double

    public init(step: Int, name: String, value: Double) {
        self.step = step
        self.name = name
        self.value = value
    }
}

/// A checkpoint ready to store.
public struct CheckpointPayload {
    public let step: Int
    public let trainLoss: Double?
    public let valLoss: Double?
    public let weightsSHA256: String
    public let reason: CheckpointReason
    public let blobs: [(name: String, bytes: [UInt8])]
}

public enum CheckpointReason: String, Sendable {
    case interval, final, interrupt, stopAt = "stop-at"
}

/// Where the trainer's records go. Each call is one transaction.
public protocol TrainingRecorder: AnyObject {
    func record(metrics: [MetricSample], step: Int) throws
    func saveCheckpoint(_ checkpoint: CheckpointPayload, pendingMetrics: [MetricSample], keepLatest: Int) throws
}

public struct ProgressReport: Sendable {
    public let step: Int
    public let maxSteps: Int
    public let trainLoss: Double
    public let learningRate: Double
    public let examplesPerSecond: Double
    public let elapsedSeconds: Double
    public let etaSeconds: Double
}

public enum TrainingEvent: Sendable {
    case progress(ProgressReport)
    case evaluation(step: Int, valLoss: Double, seconds: Double)
    case checkpoint(step: Int, reason: CheckpointReason)
    case note(String)
}

public enum TrainingOutcome: Sendable, Equatable {
    case completed(step: Int)
    /// Stopped by a signal (or a stop request) after finishing `step`; a checkpoint was written.
    case interrupted(step: Int)
    /// Stopped at `--stop-at`; a checkpoint was written.
    case stoppedAt(step: Int)
    /// A non-finite loss or gradient norm at `step` (the step that failed, counted from 1).
    case diverged(step: Int, learningRate: Double, quantity: String, lastCheckpointStep: Int?)
}

public enum TrainingError: Error, CustomStringConvertible {
    case data(DataError)
    case checkpoint(CheckpointError)
    case optimizerState(OptimizerError)
    case vocabularyMismatch(dataset: Int, checkpoint: Int, dataDirectory: String)
    case architectureMismatch(expected: ModelArchitecture, found: ModelArchitecture)
    case recorder(Error)

    public var description: String {
        switch self {
        case .data(let error): return error.description
        case .checkpoint(let error): return error.description
        case .optimizerState(let error): return error.description
        case let .vocabularyMismatch(dataset, checkpoint, directory):
            return "\(directory): the dataset's vocabulary has \(dataset) tokens but the checkpoint's model has \(checkpoint). Use the dataset the run was trained on."
        case let .architectureMismatch(expected, found):
            return "the checkpoint's model (\(found.type), vocabulary \(found.vocabularySize)) does not match the config's (\(expected.type), vocabulary \(expected.vocabularySize))."
        case .recorder(let error): return "\(error)"
        }
    }
}

public final class Trainer {
    public let config: TrainingConfig
    public let model: any LanguageModel
    public let optimizer: Optimizer
    public let dataset: PreparedDataset
    public private(set) var state: TrainingState
    let loader: BatchLoader
    let evaluation: EvaluationSet?
    let tokenizerJSON: Data
    var rng: Xoshiro256

    /// How the trainer starts: fresh, from a checkpoint of the same run, or from another run's
    /// weights (fine-tuning: fresh optimizer and data order).
    public enum Start {
        case fresh
        case resume(LoadedCheckpoint)
        case initialize(fromWeights: LoadedCheckpoint)
    }

    public init(config: TrainingConfig, dataset: PreparedDataset, start: Start) throws(TrainingError) {
        self.config = config
        self.dataset = dataset
        let vocabularySize = dataset.tokenizer.vocabularySize
        let architecture = config.architecture(vocabularySize: vocabularySize)
        do { tokenizerJSON = try dataset.tokenizer.jsonData() } catch { throw .data(error) }

        switch start {
        case .fresh:
            model = ModelFactory.make(architecture)
            model.initializeParameters(seed: SplitMix64.mix(config.seed, 1))
        case .resume(let checkpoint), .initialize(let checkpoint):
            guard checkpoint.model.architecture.vocabularySize == vocabularySize else {
                throw .vocabularyMismatch(dataset: vocabularySize, checkpoint: checkpoint.model.architecture.vocabularySize,
                                          dataDirectory: config.dataDirectory)
            }
            guard checkpoint.model.architecture == architecture else {
                throw .architectureMismatch(expected: architecture, found: checkpoint.model.architecture)
            }
            do { model = try checkpoint.makeModel() } catch { throw .checkpoint(error) }
        }
        optimizer = Optimizer(settings: config.optimizer, layout: model.layout)

        var resumed: TrainingState? = nil
        switch start {
        case .resume(let checkpoint):
            do { try optimizer.restore(stateBlob: checkpoint.optimizerState) } catch { throw .optimizerState(error) }
            resumed = checkpoint.state
            rng = Xoshiro256(state: checkpoint.state.rng) ?? Xoshiro256(seed: SplitMix64.mix(config.seed, 2))
        case .fresh, .initialize:
            rng = Xoshiro256(seed: SplitMix64.mix(config.seed, 2))
        }
        do {
            loader = try BatchLoader(dataset: dataset, split: .train, contextLength: architecture.contextLength,
                                     batchSize: config.batchSize, seed: config.seed, position: resumed?.loader)
            if dataset.exampleCount(.val) > 0 {
                evaluation = try EvaluationSet(dataset: dataset, split: .val, contextLength: architecture.contextLength,
                                               batchSize: config.batchSize, maxBatches: config.evalBatches)
            } else {
                evaluation = nil
            }
        } catch { throw .data(error) }
        state = resumed ?? TrainingState(step: 0, rng: rng.state, loader: loader.position, lastTrainLoss: nil, lastValLoss: nil,
                                         bestValLoss: nil, examplesSeen: 0, elapsedSeconds: 0, clippedSteps: 0)
        model.reserve(batchSize: config.batchSize)
    }

    /// Mean validation loss over the fixed evaluation set, or nil without a validation split.
    public func validationLoss() throws(TrainingError) -> Double? {
        guard let evaluation else { return nil }
        var total = 0.0
        var count = 0
        do {
            try evaluation.forEachBatch { contexts, targets, batchCount in
                total += model.lossSum(contexts: contexts, targets: targets, count: batchCount)
                count += batchCount
            }
        } catch let error as DataError {
            throw .data(error)
        } catch {
            preconditionFailure("the evaluation body throws nothing, got \(error)")
        }
        return count > 0 ? total / Double(count) : nil
    }

    private func makeCheckpoint(reason: CheckpointReason) -> CheckpointPayload {
        state.rng = rng.state
        state.loader = loader.position
        let blobs = CheckpointCodec.blobs(model: model, optimizerState: optimizer.stateBlob(), state: state,
                                          configJSON: config.json(), tokenizerJSON: tokenizerJSON)
        let evaluatedNow = lastEvaluationStep == state.step
        return CheckpointPayload(step: state.step, trainLoss: state.lastTrainLoss, valLoss: evaluatedNow ? state.lastValLoss : nil,
                                 weightsSHA256: CheckpointCodec.weightsSHA256(model.parameters), reason: reason, blobs: blobs)
    }

    private var lastEvaluationStep: Int?

    /// Trains until `config.maxSteps`, `stopAt`, a stop request or divergence.
    ///
    /// - Parameters:
    ///   - stopAt: end this session after this many completed steps, with a checkpoint.
    ///   - shouldStop: polled between steps (signal handlers set it); when true, the trainer
    ///     writes a checkpoint and returns `.interrupted`.
    public func run(recorder: TrainingRecorder, stopAt: Int? = nil, shouldStop: () -> Bool = { false },
                    progress: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> TrainingOutcome {
        let maxSteps = config.maxSteps
        let schedule = config.schedule
        let batchSize = config.batchSize
        let contextLength = model.architecture.contextLength
        var contexts = [Int32](repeating: 0, count: batchSize * contextLength)
        var targets = [Int32](repeating: 0, count: batchSize)
        var pending: [MetricSample] = []
        pending.reserveCapacity(config.logInterval * 3 + 8)
        var lastCheckpointStep: Int? = state.step > 0 ? state.step : nil

        func record(_ name: String, _ value: Double, at step: Int) { pending.append(MetricSample(step: step, name: name, value: value)) }
        func flush() throws(TrainingError) {
            do { try recorder.record(metrics: pending, step: state.step) } catch { throw .recorder(error) }
            pending.removeAll(keepingCapacity: true)
        }
        func checkpoint(_ reason: CheckpointReason) throws(TrainingError) {
            let payload = makeCheckpoint(reason: reason)
            do { try recorder.saveCheckpoint(payload, pendingMetrics: pending, keepLatest: config.keepCheckpoints) } catch {
                throw .recorder(error)
            }
            pending.removeAll(keepingCapacity: true)
            lastCheckpointStep = state.step
            progress(.checkpoint(step: state.step, reason: reason))
        }
        func evaluate() throws(TrainingError) {
            let started = MonotonicClock.seconds()
            guard let loss = try validationLoss() else { return }
            state.lastValLoss = loss
            state.bestValLoss = min(state.bestValLoss ?? .infinity, loss)
            lastEvaluationStep = state.step
            record("val_loss", loss, at: state.step)
            progress(.evaluation(step: state.step, valLoss: loss, seconds: MonotonicClock.seconds() - started))
        }

        if evaluation == nil { progress(.note("the dataset has no validation split: no validation loss will be measured")) }
        if state.step == 0 && config.evalInterval > 0 { try evaluate() }

        let sessionStart = MonotonicClock.seconds()
        let elapsedBefore = state.elapsedSeconds
        var intervalStart = sessionStart
        var intervalExamples = 0
        var intervalClipped = 0
        var stepsThisSession = 0

        while state.step < maxSteps {
            if shouldStop() {
                try checkpoint(.interrupt)
                return .interrupted(step: state.step)
            }
            if let stopAt, state.step >= stopAt {
                try checkpoint(.stopAt)
                return .stoppedAt(step: state.step)
            }
            let learningRate = schedule.learningRate(at: state.step)
            do { try loader.next(contexts: &contexts, targets: &targets) } catch { throw .data(error) }
            let loss = model.computeGradients(contexts: contexts, targets: targets, count: batchSize)
            let clip = Optimizer.clipGradients(model.gradients, maxNorm: config.optimizer.gradientClipNorm)
            if !loss.isFinite || !clip.norm.isFinite {
                // Keep the metrics up to the failure, but no checkpoint of the broken weights.
                record("train_loss", loss, at: state.step + 1)
                record("grad_norm", clip.norm, at: state.step + 1)
                try flush()
                return .diverged(step: state.step + 1, learningRate: learningRate,
                                 quantity: loss.isFinite ? "gradient norm" : "loss", lastCheckpointStep: lastCheckpointStep)
            }
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
            state.step += 1
            stepsThisSession += 1
            state.examplesSeen += batchSize
            state.lastTrainLoss = loss
            if clip.clipped { state.clippedSteps += 1; intervalClipped += 1 }
            intervalExamples += batchSize
            record("train_loss", loss, at: state.step)
            record("lr", learningRate, at: state.step)
            record("grad_norm", clip.norm, at: state.step)

            let isLast = state.step == maxSteps
            if state.step % config.logInterval == 0 || isLast {
                let now = MonotonicClock.seconds()
                let rate = Double(intervalExamples) / max(now - intervalStart, 1e-9)
                state.elapsedSeconds = elapsedBefore + (now - sessionStart)
                let perStep = (now - sessionStart) / Double(stepsThisSession)
                record("tokens_per_second", rate, at: state.step)
                record("clipped_steps", Double(intervalClipped), at: state.step)
                progress(.progress(ProgressReport(step: state.step, maxSteps: maxSteps, trainLoss: loss, learningRate: learningRate,
                                                  examplesPerSecond: rate, elapsedSeconds: state.elapsedSeconds,
                                                  etaSeconds: perStep * Double(maxSteps - state.step))))
                intervalStart = now
                intervalExamples = 0
                intervalClipped = 0
            }
            if (config.evalInterval > 0 && state.step % config.evalInterval == 0) || isLast { try evaluate() }
            if isLast {
                state.elapsedSeconds = elapsedBefore + (MonotonicClock.seconds() - sessionStart)
                try checkpoint(.final)
            } else if config.checkpointInterval > 0 && state.step % config.checkpointInterval == 0 {
                state.elapsedSeconds = elapsedBefore + (MonotonicClock.seconds() - sessionStart)
                try checkpoint(.interval)
            } else if state.step % config.logInterval == 0 {
                try flush()
            }
        }
        // Resumed at or past maxSteps: nothing was trained; keep what was measured.
        if stepsThisSession == 0 { try flush() }
        return .completed(step: state.step)
    }
}
