// One optimizer step as a unit: forward and backward over a batch, the gradient norm and
// clipping, then the update at the learning rate the caller gives. The trainer, the benchmark
// (`descent-bench train`) and anything else that steps a model (an LR finder) share it, so they
// all time and train the same arithmetic.
//
// The step knows no schedule, loader or log: the batch and the learning rate come in, the loss
// and the gradient norm go out. A step whose loss or gradient norm is not finite leaves the
// parameters untouched, so the caller can stop on the last good weights.

import Models
import Optimizers

/// What one step measured.
public struct StepResult: Sendable, Equatable {
    /// Mean cross-entropy of the batch, in nats per token.
    public let loss: Double
    /// Global L2 norm of the gradient, before clipping.
    public let gradientNorm: Double
    /// Whether the gradient was rescaled to the clip norm.
    public let clipped: Bool

    /// False when the loss or the gradient norm is NaN or infinite; the update was skipped.
    public var isFinite: Bool { loss.isFinite && gradientNorm.isFinite }
}

public final class TrainingStep {
    public let model: any LanguageModel
    public let optimizer: Optimizer
    /// Gradients whose global L2 norm exceeds this are rescaled to it; 0 turns clipping off.
    public let gradientClipNorm: Double

    public init(model: any LanguageModel, optimizer: Optimizer, gradientClipNorm: Double) {
        self.model = model
        self.optimizer = optimizer
        self.gradientClipNorm = gradientClipNorm
    }

    /// Trains on one batch: `contexts` holds `count` rows of the model's context length, oldest
    /// token first, and `targets` the token after each row. Allocates nothing once the model's
    /// workspace holds `count` examples (`model.reserve(batchSize:)`). `dropoutKey` selects the
    /// step's dropout masks, if the model drops anything.
    public func run(contexts: [Int32], targets: [Int32], count: Int, learningRate: Double, dropoutKey: UInt64 = 0) -> StepResult {
        let loss = model.computeGradients(contexts: contexts, targets: targets, count: count, dropoutKey: dropoutKey)
        let clip = Optimizer.clipGradients(model.gradients, maxNorm: gradientClipNorm)
        let result = StepResult(loss: loss, gradientNorm: clip.norm, clipped: clip.clipped)
        if result.isFinite {
            optimizer.step(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
        }
        return result
    }
}
