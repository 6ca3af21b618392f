// How a call to `Trainer.run` ended.

public enum TrainingOutcome: Sendable, Equatable {
    case completed(step: Int)
    /// Stopped by a signal (or a stop request) after finishing `step`; a checkpoint was written.
    case interrupted(step: Int)
    /// Stopped at `--stop-at`; a checkpoint was written.
    case stoppedAt(step: Int)
    /// A non-finite loss or gradient norm at `step` (the step that failed, counted from 1).
    case diverged(step: Int, learningRate: Double, quantity: String, lastCheckpointStep: Int?)
}
