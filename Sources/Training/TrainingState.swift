// The trainer's resumable state besides the weights and the optimizer's moments: the `state`
// part of a checkpoint, as JSON.
//
// Format 2 dropped the RNG state that format 1 carried (nothing in training draws from it; batch
// order is the loader's, initialisation is seeded from the config). Format 1 still reads: JSON
// decoding ignores the extra field.

import Data

public struct TrainingState: Codable, Sendable, Equatable {
    public static let currentFormat = 2
    /// The formats this build reads.
    public static let readableFormats = 1...2

    public var format: Int = TrainingState.currentFormat
    /// Optimizer steps completed.
    public var step: Int
    public var loader: LoaderPosition
    public var lastTrainLoss: Double?
    public var lastValLoss: Double?
    public var bestValLoss: Double?
    /// Next-token predictions trained on so far.
    public var examplesSeen: Int
    /// Wall-clock seconds spent training, summed over sessions.
    public var elapsedSeconds: Double
    public var clippedSteps: Int

    public init(step: Int, loader: LoaderPosition, lastTrainLoss: Double?, lastValLoss: Double?, bestValLoss: Double?,
                examplesSeen: Int, elapsedSeconds: Double, clippedSteps: Int) {
        self.step = step
        self.loader = loader
        self.lastTrainLoss = lastTrainLoss
        self.lastValLoss = lastValLoss
        self.bestValLoss = bestValLoss
        self.examplesSeen = examplesSeen
        self.elapsedSeconds = elapsedSeconds
        self.clippedSteps = clippedSteps
    }
}
