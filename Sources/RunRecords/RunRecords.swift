// The records a training run leaves behind, shared by the trainer that writes them and the store
// that keeps them: metric samples under declared names, text generated during training, and
// checkpoints as typed fields plus named blobs. Nothing here knows of models, SQL or files.

/// The name of a metric, declared once for every module that writes or reads it. Open-ended (a
/// database may hold names a later version added), so it is a wrapped string with the known
/// names as constants rather than a closed enum.
public struct MetricName: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Mean training loss of the step's batch (nats per token), at the step it completes.
    public static let trainLoss = MetricName("train_loss")
    /// Mean loss over the fixed validation set (nats per token).
    public static let valLoss = MetricName("val_loss")
    /// The learning rate the step ran at.
    public static let learningRate = MetricName("lr")
    /// Global L2 norm of the gradient before clipping.
    public static let gradientNorm = MetricName("grad_norm")
    /// Next-token predictions per second over the last log interval.
    public static let tokensPerSecond = MetricName("tokens_per_second")
    /// Steps whose gradient was clipped during the last log interval.
    public static let clippedSteps = MetricName("clipped_steps")
    /// Seconds the training thread waited for shards to be read during the last log interval.
    public static let dataWait = MetricName("data_wait")
    /// Training time so far in seconds, summed over sessions, at each log interval: the x of a
    /// curve against time.
    public static let elapsedSeconds = MetricName("elapsed_seconds")
    /// Next-token predictions trained on so far, at each log interval: the x of a curve against
    /// tokens (exact even when a resumed run changed its batch size).
    public static let examplesSeen = MetricName("examples_seen")
    /// The LR range test's bias-corrected moving average of the training loss (β 0.98).
    public static let smoothedLoss = MetricName("smoothed_loss")

    public var description: String { rawValue }
    public static func < (lhs: MetricName, rhs: MetricName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One value of one metric at one step.
public struct MetricSample: Sendable, Equatable {
    public let step: Int
    public let name: MetricName
    public let value: Double

    public init(step: Int, name: MetricName, value: Double) {
        self.step = step
        self.name = name
        self.value = value
    }
}

/// One text generated from the model during training (`training.sampleInterval`), so that the
/// text can be seen getting better.
public struct TextSample: Sendable, Equatable {
    /// The step after which it was generated (0: the initial weights).
    public let step: Int
    /// Its place among the samples of that step; sample i always starts from the same seed.
    public let index: Int
    public let text: String

    public init(step: Int, index: Int, text: String) {
        self.step = step
        self.index = index
        self.text = text
    }
}

/// Why a checkpoint was written.
public struct CheckpointReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Every `training.checkpointInterval` steps.
    public static let interval = CheckpointReason(rawValue: "interval")
    /// At `training.maxSteps`.
    public static let final = CheckpointReason(rawValue: "final")
    /// On Ctrl-C or SIGTERM.
    public static let interrupt = CheckpointReason(rawValue: "interrupt")
    /// At `--stop-at`.
    public static let stopAt = CheckpointReason(rawValue: "stop-at")
    /// Written by `descent import` from a safetensors file.
    public static let imported = CheckpointReason(rawValue: "import")

    public var description: String { rawValue }
}

/// A checkpoint ready to store: a step, a few typed fields, and named blobs that only the
/// trainer interprets.
public struct CheckpointPayload: Sendable {
    public var step: Int
    public var trainLoss: Double?
    /// The validation loss measured at this very step, if one was.
    public var valLoss: Double?
    /// SHA-256 (hex) of the weights: equal weights, equal digest.
    public var weightsSHA256: String
    public var reason: CheckpointReason
    public var blobs: [(name: String, bytes: [UInt8])]

    public init(step: Int, trainLoss: Double?, valLoss: Double?, weightsSHA256: String, reason: CheckpointReason,
                blobs: [(name: String, bytes: [UInt8])]) {
        self.step = step
        self.trainLoss = trainLoss
        self.valLoss = valLoss
        self.weightsSHA256 = weightsSHA256
        self.reason = reason
        self.blobs = blobs
    }
}
