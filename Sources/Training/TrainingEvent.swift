// What the trainer reports while it runs, for a progress display. Reports are values: the
// trainer never prints. A live display gets `.step` after every step and redraws at its own
// pace; a log gets `.progress` at each log interval.

import RunRecords

/// The state of training at a log interval.
public struct ProgressReport: Sendable {
    public let step: Int
    public let maxSteps: Int
    /// The last step's training loss (nats per token).
    public let trainLoss: Double
    /// The learning rate the last step ran at.
    public let learningRate: Double
    /// Next-token predictions per second over the last log interval.
    public let examplesPerSecond: Double
    /// Training time so far, summed over sessions.
    public let elapsedSeconds: Double
    /// Time left at this session's mean step time.
    public let etaSeconds: Double

    public init(step: Int, maxSteps: Int, trainLoss: Double, learningRate: Double, examplesPerSecond: Double,
                elapsedSeconds: Double, etaSeconds: Double) {
        self.step = step
        self.maxSteps = maxSteps
        self.trainLoss = trainLoss
        self.learningRate = learningRate
        self.examplesPerSecond = examplesPerSecond
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
    }
}

/// One completed step.
public struct StepReport: Sendable {
    public let step: Int
    public let maxSteps: Int
    /// This step's training loss (nats per token).
    public let trainLoss: Double
    public let learningRate: Double
    /// Next-token predictions trained on so far, over sessions.
    public let examplesSeen: Int
    /// Training time so far, summed over sessions.
    public let elapsedSeconds: Double

    public init(step: Int, maxSteps: Int, trainLoss: Double, learningRate: Double, examplesSeen: Int, elapsedSeconds: Double) {
        self.step = step
        self.maxSteps = maxSteps
        self.trainLoss = trainLoss
        self.learningRate = learningRate
        self.examplesSeen = examplesSeen
        self.elapsedSeconds = elapsedSeconds
    }
}

public enum TrainingEvent: Sendable {
    case step(StepReport)
    case progress(ProgressReport)
    case evaluation(step: Int, valLoss: Double, seconds: Double)
    case checkpoint(step: Int, reason: CheckpointReason)
    /// Text generated from the model after `step` (`training.sampleInterval`), also recorded.
    case samples(step: Int, texts: [String])
    case note(String)
}
