// The one contract every model family meets, so that the trainer, checkpoints, sampling and
// evaluation treat `bigram` and `mlp` alike (nanoGPT's `forward(idx, targets) -> logits, loss`).
//
// Inputs are batches of contexts: row b of `contexts` holds the `contextLength` token ids before
// example b, oldest first (B·T ids, the layout `Data`'s loader writes). Parameters and gradients
// are flat buffers with the model's `ParameterLayout`.

import Core
import Kernels
import Parameters

public enum ModelType: String, Sendable, Codable, CaseIterable {
    case bigram, mlp
}

/// Everything that fixes a model's shape. Stored with each checkpoint; cannot change on resume.
public struct ModelArchitecture: Sendable, Codable, Equatable {
    public var type: ModelType
    public var vocabularySize: Int
    /// Tokens of context per prediction (T). Always 1 for the bigram.
    public var contextLength: Int
    /// Embedding width d (MLP).
    public var embeddingSize: Int
    /// Hidden width H (MLP).
    public var hiddenSize: Int
    /// Number of Linear + activation layers before the output layer (MLP).
    public var hiddenLayers: Int
    public var activation: Activation

    public init(type: ModelType, vocabularySize: Int, contextLength: Int = 1, embeddingSize: Int = 0,
                hiddenSize: Int = 0, hiddenLayers: Int = 0, activation: Activation = .tanh) {
        self.type = type
        self.vocabularySize = vocabularySize
        self.contextLength = type == .bigram ? 1 : contextLength
        self.embeddingSize = type == .bigram ? 0 : embeddingSize
        self.hiddenSize = type == .bigram ? 0 : hiddenSize
        self.hiddenLayers = type == .bigram ? 0 : hiddenLayers
        self.activation = activation
    }

    /// Multiply-adds of the matrix products per example and pass (forward); a training step
    /// costs three times this (forward, and two products per layer backward). For GFLOP/s.
    public var forwardMultiplyAdds: Int {
        switch type {
        case .bigram: return 0
        case .mlp:
            let input = contextLength * embeddingSize
            let hidden = input * hiddenSize + max(hiddenLayers - 1, 0) * hiddenSize * hiddenSize
            return hidden + hiddenSize * vocabularySize
        }
    }
}

public protocol LanguageModel: AnyObject {
    var architecture: ModelArchitecture { get }
    var layout: ParameterLayout { get }
    var parameters: FloatBuffer { get }
    var gradients: FloatBuffer { get }

    /// Draws fresh parameters from `seed` (documented per model).
    func initializeParameters(seed: UInt64)

    /// Logits for `count` examples, (count, V). The view is workspace: valid until the next call.
    func logits(contexts: [Int32], count: Int) -> Matrix

    /// Σ over `count` examples of −log p(target | context). Evaluation: no gradients.
    func lossSum(contexts: [Int32], targets: [Int32], count: Int) -> Double

    /// The mean loss over `count` examples, with its gradient written to `gradients` (previous
    /// contents discarded). Allocates nothing once the workspace has grown to `count`.
    func computeGradients(contexts: [Int32], targets: [Int32], count: Int) -> Double

    /// Grows the activation workspace to hold `batchSize` examples (allocates; call it before a
    /// loop, not inside).
    func reserve(batchSize: Int)
}

extension LanguageModel {
    public var parameterCount: Int { layout.parameterCount }

    /// Views of every named tensor in the parameter buffer.
    public func parameter(_ name: String) -> Matrix? {
        layout[name].map { layout.view($0, in: parameters) }
    }

    public func gradient(_ name: String) -> Matrix? {
        layout[name].map { layout.view($0, in: gradients) }
    }
}

public enum ModelFactory {
    /// A model of `architecture` with zeroed parameters; call `initializeParameters(seed:)` or
    /// load weights next.
    public static func make(_ architecture: ModelArchitecture) -> any LanguageModel {
        switch architecture.type {
        case .bigram: return BigramModel(vocabularySize: architecture.vocabularySize)
        case .mlp: return MLPModel(architecture: architecture)
        }
    }
}
