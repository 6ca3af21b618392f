// The training loop: a batch from the loader, one `TrainingStep` at the schedule's learning rate,
// then evaluation, metrics and checkpoints at their intervals, and clean stops on request.
//
// The loop owns no I/O policy: metrics, checkpoints and samples go to a `TrainingRecorder` (the
// CLI backs it with SQLite) and progress to a callback. Everything a later step depends on
// (weights, optimizer moments, loader position, step) is in the checkpoint, so a run stopped at
// step k and resumed ends bitwise equal to one that never stopped.

import Core
import Data
import Foundation
import Models
import Optimizers
import RunRecords

public final class Trainer {
    public let config: TrainingConfig
    public let model: any LanguageModel
    public let optimizer: Optimizer
    public let dataset: PreparedDataset
    /// The learning rate of each step, by step index (counted from 0).
    public let schedule: any LearningRateSchedule
    public private(set) var state: TrainingState
    let step: TrainingStep
    let loader: BatchLoader
    let evaluation: EvaluationSet?
    let tokenizerJSON: Data
    /// The batch being trained on: B rows of T context ids, and B targets.
    private var contexts: [Int32]
    private var targets: [Int32]
    private var lastEvaluationStep: Int?
    private var lastCheckpointStep: Int?
    /// The weight snapshots of `training.trajectoryPoints`, nil when off.
    public private(set) var trajectory: WeightTrajectory?
    /// The steps that take a snapshot.
    private let trajectorySteps: Set<Int>
    /// Seconds the last `run` spent writing metrics and checkpoints (encoding them and the
    /// recorder's transactions): the cost of keeping records, beside the training itself.
    public private(set) var recordingSeconds = 0.0
    /// Wall-clock seconds of the last `run`.
    public private(set) var sessionSeconds = 0.0

    /// How the trainer starts: fresh, from a checkpoint of the same run, or from another run's
    /// weights (fine-tuning: fresh optimizer and data order).
    public enum Start {
        case fresh
        case resume(LoadedCheckpoint)
        case initialize(fromWeights: LoadedCheckpoint)
    }

    /// - Parameter schedule: the learning rate of every step; a run uses
    ///   `config.learningRateSchedule`.
    public init(config: TrainingConfig, dataset: PreparedDataset, start: Start,
                schedule: any LearningRateSchedule) throws(TrainingError) {
        self.config = config
        self.dataset = dataset
        self.schedule = schedule
        let vocabularySize = dataset.tokenizer.vocabularySize
        let architecture = config.architecture(vocabularySize: vocabularySize)
        do { tokenizerJSON = try dataset.tokenizer.jsonData() } catch { throw .data(.tokenizer(error)) }

        switch start {
        case .fresh:
            model = ModelFactory.make(architecture, firstLayer: config.model.firstLayer, dropout: Float(config.model.dropout))
            model.initializeParameters(seed: SplitMix64.mix(config.training.seed, 1))
        case .resume(let checkpoint), .initialize(let checkpoint):
            guard checkpoint.model.architecture.vocabularySize == vocabularySize else {
                throw .vocabularyMismatch(dataset: vocabularySize, checkpoint: checkpoint.model.architecture.vocabularySize,
                                          dataDirectory: config.data.directory)
            }
            guard checkpoint.model.architecture == architecture else {
                throw .architectureMismatch(expected: architecture, found: checkpoint.model.architecture)
            }
            do { model = try checkpoint.makeModel(firstLayer: config.model.firstLayer, dropout: Float(config.model.dropout)) }
            catch { throw .checkpoint(error) }
        }
        optimizer = Optimizer(settings: config.optimizerSettings, layout: model.layout)
        step = TrainingStep(model: model, optimizer: optimizer, gradientClipNorm: config.optimizer.gradientClipNorm)

        var resumed: TrainingState? = nil
        if config.training.trajectoryPoints > 0 { trajectory = WeightTrajectory(valueCount: model.parameters.count) }
        trajectorySteps = Set(WeightTrajectory.plannedSteps(points: config.training.trajectoryPoints, maxSteps: config.training.maxSteps))
        if case .resume(let checkpoint) = start {
            do { try optimizer.restore(stateBlob: checkpoint.optimizerState) } catch { throw .optimizerState(error) }
            resumed = checkpoint.state
            if trajectory != nil, let kept = checkpoint.trajectory, kept.valueCount == model.parameters.count { trajectory = kept }
        }
        let batchSize = config.training.batchSize
        do {
            loader = try BatchLoader(dataset: dataset, split: .train, contextLength: architecture.contextLength,
                                     batchSize: batchSize, seed: config.training.seed, position: resumed?.loader)
            if dataset.exampleCount(.val) > 0 {
                evaluation = try EvaluationSet(dataset: dataset, split: .val, contextLength: architecture.contextLength,
                                               batchSize: batchSize, maxBatches: config.training.evalBatches)
            } else {
                evaluation = nil
            }
        } catch { throw .data(error) }
        state = resumed ?? TrainingState(step: 0, loader: loader.position, lastTrainLoss: nil, lastValLoss: nil,
                                         bestValLoss: nil, examplesSeen: 0, elapsedSeconds: 0, clippedSteps: 0)
        contexts = [Int32](repeating: 0, count: batchSize * architecture.contextLength)
        targets = [Int32](repeating: 0, count: batchSize)
        model.reserve(batchSize: batchSize)
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

    /// Median seconds of a training step, measured on up to `steps` steps of the run's first
    /// batches after one warm-up step, stopping early once `budgetSeconds` have passed: the
    /// estimate `train --dry-run` prints. It trains the model and moves the loader, so the trainer
    /// is thrown away afterwards.
    public func measureStepSeconds(steps: Int = 5, budgetSeconds: Double = 3) throws(TrainingError) -> Double {
        var times: [Double] = []
        let started = MonotonicClock.seconds()
        for index in 0...max(steps, 1) {
            let stepStart = MonotonicClock.seconds()
            _ = try trainNextBatch()
            advanceStep()
            if index > 0 { times.append(MonotonicClock.seconds() - stepStart) }
            if MonotonicClock.seconds() - started > budgetSeconds && !times.isEmpty { break }
        }
        guard !times.isEmpty else { return MonotonicClock.seconds() - started }
        return times.sorted()[times.count / 2]
    }

    /// Trains until `training.maxSteps`, `stopAt`, a stop request or divergence.
    ///
    /// - Parameters:
    ///   - stopAt: end this session after this many completed steps, with a checkpoint.
    ///   - shouldStop: polled between steps (signal handlers set it); when true, the trainer
    ///     writes a checkpoint and returns `.interrupted`.
    public func run(recorder: TrainingRecorder, stopAt: Int? = nil, shouldStop: () -> Bool = { false },
                    progress: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> TrainingOutcome {
        var log = MetricLog(recorder: recorder, capacity: config.training.logInterval * 3 + 8)
        var session = SessionTiming(elapsedBefore: state.elapsedSeconds, dataWait: loader.dataWaitSeconds)
        lastCheckpointStep = state.step > 0 ? state.step : nil
        defer {
            recordingSeconds = log.seconds
            sessionSeconds = MonotonicClock.seconds() - session.start
        }

        if evaluation == nil { progress(.note("the dataset has no validation split: no validation loss will be measured")) }
        if state.step == 0 && config.training.evalInterval > 0 { try evaluate(&log, progress) }
        if state.step == 0 { try sample(&log, progress) }
        snapshotIfPlanned()

        while state.step < config.training.maxSteps {
            if shouldStop() {
                try checkpoint(.interrupt, &log, &session, progress)
                return .interrupted(step: state.step)
            }
            if let stopAt, state.step >= stopAt {
                try checkpoint(.stopAt, &log, &session, progress)
                return .stoppedAt(step: state.step)
            }
            let (result, learningRate) = try trainNextBatch()
            guard result.isFinite else {
                // Keep the metrics up to the failure, but no checkpoint of the broken weights.
                log.add(.trainLoss, result.loss, at: state.step + 1)
                log.add(.gradientNorm, result.gradientNorm, at: state.step + 1)
                try log.flush(step: state.step)
                return .diverged(step: state.step + 1, learningRate: learningRate,
                                 quantity: result.loss.isFinite ? "gradient norm" : "loss", lastCheckpointStep: lastCheckpointStep)
            }
            record(result, learningRate: learningRate, in: &log, &session)
            snapshotIfPlanned()
            progress(.step(StepReport(step: state.step, maxSteps: config.training.maxSteps, trainLoss: result.loss,
                                      learningRate: learningRate, examplesSeen: state.examplesSeen,
                                      elapsedSeconds: session.elapsed(at: MonotonicClock.seconds()))))
            try finishStep(result, learningRate: learningRate, &log, &session, progress)
        }
        // Resumed at or past maxSteps: nothing was trained; keep what was measured.
        if session.steps == 0 { try log.flush(step: state.step) }
        return .completed(step: state.step)
    }

    /// One step on the loader's next batch at the schedule's rate for `state.step`, and nothing
    /// else: no counting, metrics, evaluation or checkpoint. The loop below counts a finite step
    /// with `record`; the LR range test drives this alone.
    func trainNextBatch() throws(TrainingError) -> (result: StepResult, learningRate: Double) {
        let learningRate = schedule.learningRate(at: state.step)
        do { try loader.next(contexts: &contexts, targets: &targets) } catch { throw .data(error) }
        let result = step.run(contexts: contexts, targets: targets, count: config.training.batchSize, learningRate: learningRate,
                              dropoutKey: Self.dropoutKey(seed: config.training.seed, step: state.step))
        return (result, learningRate)
    }

    /// The dropout key of step `step`: a function of the seed and the step alone, so a resumed
    /// run draws the masks the uninterrupted one drew. (Initialisation mixes the seed with 1, the
    /// loader with 2.)
    static func dropoutKey(seed: UInt64, step: Int) -> UInt64 { SplitMix64.mix(seed, 3, UInt64(step)) }

    /// Counts a step that ran outside `run` (the LR range test), so the next one takes the
    /// schedule's next rate.
    func advanceStep() {
        state.step += 1
        state.examplesSeen += config.training.batchSize
    }

    // MARK: The loop's parts

    /// Takes the weight snapshot planned for this step, if any (`training.trajectoryPoints`).
    private func snapshotIfPlanned() {
        if trajectory != nil && trajectorySteps.contains(state.step) { trajectory?.record(model.parameters, step: state.step) }
    }

    /// Counts a completed step into the state and the metrics.
    private func record(_ result: StepResult, learningRate: Double, in log: inout MetricLog, _ session: inout SessionTiming) {
        let batchSize = config.training.batchSize
        state.step += 1
        state.examplesSeen += batchSize
        state.lastTrainLoss = result.loss
        session.steps += 1
        session.intervalExamples += batchSize
        if result.clipped {
            state.clippedSteps += 1
            session.intervalClipped += 1
        }
        log.add(.trainLoss, result.loss, at: state.step)
        log.add(.learningRate, learningRate, at: state.step)
        log.add(.gradientNorm, result.gradientNorm, at: state.step)
    }

    /// After a step: the progress report at log intervals, then evaluation, then a checkpoint or
    /// a metrics flush, each at its interval (and all of them after the last step).
    private func finishStep(_ result: StepResult, learningRate: Double, _ log: inout MetricLog,
                            _ session: inout SessionTiming, _ progress: (TrainingEvent) -> Void) throws(TrainingError) {
        let training = config.training
        let isLast = state.step == training.maxSteps
        let isLogStep = state.step % training.logInterval == 0
        if isLogStep || isLast {
            let now = MonotonicClock.seconds()
            let rate = Double(session.intervalExamples) / max(now - session.intervalStart, 1e-9)
            state.elapsedSeconds = session.elapsed(at: now)
            let perStep = (now - session.start) / Double(session.steps)
            log.add(.tokensPerSecond, rate, at: state.step)
            log.add(.clippedSteps, Double(session.intervalClipped), at: state.step)
            log.add(.dataWait, loader.dataWaitSeconds - session.intervalDataWaitStart, at: state.step)
            log.add(.elapsedSeconds, state.elapsedSeconds, at: state.step)
            log.add(.examplesSeen, Double(state.examplesSeen), at: state.step)
            progress(.progress(ProgressReport(step: state.step, maxSteps: training.maxSteps, trainLoss: result.loss,
                                              learningRate: learningRate, examplesPerSecond: rate,
                                              elapsedSeconds: state.elapsedSeconds,
                                              etaSeconds: perStep * Double(training.maxSteps - state.step))))
            session.startInterval(at: now, dataWait: loader.dataWaitSeconds)
        }
        if (training.evalInterval > 0 && state.step % training.evalInterval == 0) || isLast { try evaluate(&log, progress) }
        if training.sampleInterval > 0 && (state.step % training.sampleInterval == 0 || isLast) { try sample(&log, progress) }
        if isLast {
            try checkpoint(.final, &log, &session, progress)
        } else if training.checkpointInterval > 0 && state.step % training.checkpointInterval == 0 {
            try checkpoint(.interval, &log, &session, progress)
        } else if isLogStep {
            try log.flush(step: state.step)
        }
    }

    private func evaluate(_ log: inout MetricLog, _ progress: (TrainingEvent) -> Void) throws(TrainingError) {
        let started = MonotonicClock.seconds()
        guard let loss = try validationLoss() else { return }
        state.lastValLoss = loss
        state.bestValLoss = min(state.bestValLoss ?? .infinity, loss)
        lastEvaluationStep = state.step
        log.add(.valLoss, loss, at: state.step)
        progress(.evaluation(step: state.step, valLoss: loss, seconds: MonotonicClock.seconds() - started))
    }

    /// The samples of `training.sampleInterval`, if on: `sampleCount` texts from the same seed at
    /// every interval, so that only the weights change between them. Sampling reads the weights
    /// and uses the model's activation workspace, which the next step overwrites; it draws from
    /// its own generators and never touches the loader, the optimizer or the training state, so
    /// training ends with the same bits with sampling on or off.
    private func sample(_ log: inout MetricLog, _ progress: (TrainingEvent) -> Void) throws(TrainingError) {
        guard config.training.sampleInterval > 0 else { return }
        var options = SamplingOptions()
        options.maxTokens = config.training.sampleTokens
        options.sampleCount = Self.sampleCount
        options.seed = SplitMix64.mix(config.training.seed, 2)
        let generated: [GeneratedSample]
        do { generated = try Sampler.generate(model: model, tokenizer: dataset.tokenizer, prompt: "", options: options) } catch {
            throw .sampling(error)
        }
        let texts = generated.map { $0.text(dataset.tokenizer) }
        try log.save(texts.enumerated().map { TextSample(step: state.step, index: $0.offset, text: $0.element) })
        progress(.samples(step: state.step, texts: texts))
    }

    /// Texts generated at each `training.sampleInterval`.
    public static let sampleCount = 3

    /// The checkpoint of the trainer as it stands: weights, optimizer state, the training state
    /// at the loader's position. `descent import` stores a fresh trainer's, holding imported weights.
    public func checkpointPayload(_ reason: CheckpointReason, valLoss: Double?) -> CheckpointPayload {
        state.loader = loader.position
        let blobs = CheckpointCodec.blobs(model: model, optimizerState: optimizer.stateBlob(), state: state,
                                          configJSON: config.json(), tokenizerJSON: tokenizerJSON, trajectory: trajectory)
        return CheckpointPayload(step: state.step, trainLoss: state.lastTrainLoss, valLoss: valLoss,
                                 weightsSHA256: CheckpointCodec.weightsSHA256(model.parameters), reason: reason, blobs: blobs)
    }

    /// Writes a checkpoint with the metrics logged since the last flush, in one transaction.
    private func checkpoint(_ reason: CheckpointReason, _ log: inout MetricLog, _ session: inout SessionTiming,
                            _ progress: (TrainingEvent) -> Void) throws(TrainingError) {
        let started = MonotonicClock.seconds()
        state.elapsedSeconds = session.elapsed(at: MonotonicClock.seconds())
        let payload = checkpointPayload(reason, valLoss: lastEvaluationStep == state.step ? state.lastValLoss : nil)
        try log.save(payload, keepLatest: config.training.keepCheckpoints)
        log.seconds += MonotonicClock.seconds() - started
        lastCheckpointStep = state.step
        progress(.checkpoint(step: state.step, reason: reason))
    }
}

/// Metrics of the session not yet handed to the recorder.
private struct MetricLog {
    let recorder: TrainingRecorder
    private var pending: [MetricSample] = []
    /// Seconds spent in `flush` and in checkpoints (which add theirs).
    var seconds = 0.0

    init(recorder: TrainingRecorder, capacity: Int) {
        self.recorder = recorder
        pending.reserveCapacity(capacity)
    }

    mutating func add(_ name: MetricName, _ value: Double, at step: Int) {
        pending.append(MetricSample(step: step, name: name, value: value))
    }

    /// Records the pending metrics and the run's step.
    mutating func flush(step: Int) throws(TrainingError) {
        let started = MonotonicClock.seconds()
        defer { seconds += MonotonicClock.seconds() - started }
        do { try recorder.record(metrics: pending, step: step) } catch { throw .recorder(error) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Records generated text at once (it is not part of a checkpoint's transaction).
    func save(_ samples: [TextSample]) throws(TrainingError) {
        do { try recorder.record(samples: samples) } catch { throw .recorder(error) }
    }

    /// Saves a checkpoint together with the pending metrics.
    mutating func save(_ checkpoint: CheckpointPayload, keepLatest: Int) throws(TrainingError) {
        do { try recorder.saveCheckpoint(checkpoint, pendingMetrics: pending, keepLatest: keepLatest) } catch {
            throw .recorder(error)
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// Wall-clock bookkeeping of one `run` call, for throughput, ETA and the run's total time.
private struct SessionTiming {
    let start = MonotonicClock.seconds()
    /// Training time of earlier sessions of the run.
    let elapsedBefore: Double
    private(set) var intervalStart: Double
    var intervalExamples = 0
    var intervalClipped = 0
    /// The loader's total data wait when the interval started.
    private(set) var intervalDataWaitStart = 0.0
    /// Steps completed in this session.
    var steps = 0

    init(elapsedBefore: Double, dataWait: Double) {
        self.elapsedBefore = elapsedBefore
        intervalStart = start
        intervalDataWaitStart = dataWait
    }

    func elapsed(at now: Double) -> Double { elapsedBefore + (now - start) }

    mutating func startInterval(at now: Double, dataWait: Double) {
        intervalStart = now
        intervalDataWaitStart = dataWait
        intervalExamples = 0
        intervalClipped = 0
    }
}
