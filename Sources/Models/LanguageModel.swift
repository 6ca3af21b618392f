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

extension ModelArchitecture {
    /// Trainable values of a model of this architecture (the layout's padding excluded), or nil
    /// when the count does not fit an `Int`. Checked arithmetic: the architecture may come from a
    /// damaged checkpoint.
    public var checkedParameterCount: Int? {
        func product(_ factors: Int...) -> Int? {
            factors.reduce(Int?(1)) { partial, factor in
                guard let partial, factor >= 0 else { return nil }
                let (value, overflow) = partial.multipliedReportingOverflow(by: factor)
                return overflow ? nil : value
            }
        }
        func sum(_ terms: Int?...) -> Int? {
            terms.reduce(Int?(0)) { partial, term in
                guard let partial, let term else { return nil }
                let (value, overflow) = partial.addingReportingOverflow(term)
                return overflow ? nil : value
            }
        }
        let (v, t, d, h, l) = (vocabularySize, contextLength, embeddingSize, hiddenSize, hiddenLayers)
        switch type {
        case .bigram:
            return product(v, v)
        case .mlp:
            return sum(product(v, d), product(t, d, h), product(max(l - 1, 0), h, h), product(l, h), product(h, v), v)
        }
    }

    /// Why no model can have this architecture (a field out of range or sizes that overflow), or
    /// nil. A model's initialiser traps on such an architecture; one read from a file is checked
    /// here first.
    public var problem: String? {
        guard vocabularySize >= 2, vocabularySize <= Int(Int32.max) else {
            return "vocabulary size \(vocabularySize), expected 2...\(Int32.max)"
        }
        switch type {
        case .bigram:
            guard contextLength == 1, embeddingSize == 0, hiddenSize == 0, hiddenLayers == 0 else {
                return "a bigram with MLP fields (context \(contextLength), embedding \(embeddingSize), hidden \(hiddenLayers)×\(hiddenSize))"
            }
        case .mlp:
            for (name, value) in [("context length", contextLength), ("embedding size", embeddingSize),
                                  ("hidden size", hiddenSize), ("hidden layers", hiddenLayers)] where value < 1 {
                return "\(name) \(value), expected at least 1"
            }
        }
        guard let count = checkedParameterCount, count <= Int.max / 64 else { return "a parameter count that overflows" }
        return nil
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
    /// `dropoutKey` selects the dropout masks of this call (a model without dropout ignores it);
    /// the trainer derives it from the seed and the step, so a resumed step draws the same masks.
    func computeGradients(contexts: [Int32], targets: [Int32], count: Int, dropoutKey: UInt64) -> Double

    /// Grows the activation workspace to hold `batchSize` examples (allocates; call it before a
    /// loop, not inside).
    func reserve(batchSize: Int)

    /// When set, `computeGradients` charges its wall time to phases (`descent-bench train
    /// --breakdown`); nil, the default, reads no clock.
    var phaseTimes: PhaseTimes? { get set }
}

extension LanguageModel {
    public var parameterCount: Int { layout.parameterCount }

    /// `computeGradients` with dropout key 0: for models and tests where no dropout is drawn, or
    /// one fixed mask is wanted.
    public func computeGradients(contexts: [Int32], targets: [Int32], count: Int) -> Double {
        computeGradients(contexts: contexts, targets: targets, count: count, dropoutKey: 0)
    }

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
    /// load weights next. `firstLayer` is the MLP's (the bigram has no such layer).
    /// `dropout` is the MLP's training-time dropout rate (the bigram has no hidden layer to drop).
    public static func make(_ architecture: ModelArchitecture, firstLayer: FirstLayerPath = .auto,
                            dropout: Float = 0) -> any LanguageModel {
        switch architecture.type {
        case .bigram: return BigramModel(vocabularySize: architecture.vocabularySize)
        case .mlp:
            let model = MLPModel(architecture: architecture, firstLayer: firstLayer)
            model.dropout = dropout
            return model
        }
    }
}
