// What a model needs in memory, computed from its architecture before anything is allocated, so
// that a run too big for the machine is refused with a figure instead of dying in the allocator.
//
// Counted: parameters, gradients, optimizer moments, the activation workspace of one batch, and
// the transient copies a checkpoint makes (the encoded weights and optimizer blobs, and the
// store's copy of each while it writes them). Not counted: the dataset's shards in memory (two
// at a time, each `data.shardTokens` × 4 bytes), the evaluation set, and the process itself;
// they are small beside a model that does not fit.

import Models
import Optimizers

/// Bytes a model needs, by purpose. All sizes are checked for overflow: an architecture read from
/// a damaged checkpoint may claim anything.
public struct MemoryEstimate: Sendable, Equatable {
    public let parameterCount: Int
    public let parameterBytes: Int
    public let gradientBytes: Int
    public let optimizerBytes: Int
    public let activationBytes: Int
    /// Encoded blobs and their copies while a checkpoint is written or read.
    public let checkpointBytes: Int

    public var totalBytes: Int {
        [parameterBytes, gradientBytes, optimizerBytes, activationBytes, checkpointBytes].reduce(0) {
            let (sum, overflow) = $0.addingReportingOverflow($1)
            return overflow ? Int.max : sum
        }
    }

    /// A training run: gradients and `momentBuffers` optimizer moments beside the parameters.
    public static func training(_ architecture: ModelArchitecture, batchSize: Int, momentBuffers: Int) -> MemoryEstimate {
        let parameters = architecture.checkedParameterCount ?? Int.max
        let floatBytes = bytes(floats: parameters)
        let moments = times(floatBytes, momentBuffers)
        return MemoryEstimate(parameterCount: parameters, parameterBytes: floatBytes, gradientBytes: floatBytes,
                              optimizerBytes: moments, activationBytes: activationBytes(architecture, batchSize: batchSize, training: true),
                              checkpointBytes: times(plus(floatBytes, moments), 2))
    }

    /// Sampling or evaluation from a checkpoint: the model (gradients included: every model
    /// allocates them), the checkpoint's blobs while it is read, and one batch's activations.
    public static func inference(_ architecture: ModelArchitecture, batchSize: Int) -> MemoryEstimate {
        let parameters = architecture.checkedParameterCount ?? Int.max
        let floatBytes = bytes(floats: parameters)
        return MemoryEstimate(parameterCount: parameters, parameterBytes: floatBytes, gradientBytes: floatBytes, optimizerBytes: 0,
                              activationBytes: activationBytes(architecture, batchSize: batchSize, training: false),
                              checkpointBytes: times(floatBytes, 3))
    }

    /// Optimizer moment buffers a configuration keeps: AdamW two, SGD with momentum one.
    public static func momentBuffers(_ settings: OptimizerSettings) -> Int {
        switch settings.kind {
        case .adamw: return 2
        case .sgd: return settings.momentum != 0 ? 1 : 0
        }
    }

    /// Floating-point operations of one training step of `batchSize` examples: the matrix
    /// products forward (2 per multiply-add) and backward (twice forward), plus the softmax and
    /// cross-entropy over the vocabulary (about 5 per logit) and, for the bigram, its table rows.
    public static func trainingFLOPs(_ architecture: ModelArchitecture, batchSize: Int) -> Double {
        let products = 6 * Double(architecture.forwardMultiplyAdds)
        let logits = 5 * Double(architecture.vocabularySize)
        return Double(batchSize) * (products + logits)
    }

    static func activationBytes(_ a: ModelArchitecture, batchSize: Int, training: Bool) -> Int {
        switch a.type {
        case .bigram:
            return bytes(floats: times(batchSize, a.vocabularySize))
        case .mlp:
            // Input and its gradient (B, T·d), pre-activations and activations per layer and two
            // gradient buffers (B, H), logits (B, V).
            let input = times(times(a.contextLength, a.embeddingSize), 2)
            let hidden = times(a.hiddenSize, plus(times(a.hiddenLayers, 2), 2))
            return bytes(floats: times(batchSize, plus(plus(input, hidden), a.vocabularySize)))
        }
    }

    private static func bytes(floats: Int) -> Int { times(floats, 4) }
    private static func times(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow || a < 0 || b < 0 ? Int.max : value
    }
    private static func plus(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : value
    }
}
