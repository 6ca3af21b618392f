// What the trainer reports while it runs, for a progress display. Reports are values: the
// trainer never prints.

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
}

public enum TrainingEvent: Sendable {
    case progress(ProgressReport)
    case evaluation(step: Int, valLoss: Double, seconds: Double)
    case checkpoint(step: Int, reason: CheckpointReason)
    case note(String)
}
