// The bigram language model: a V×V table whose row a holds the logits of the token after a.
//
// Its forward is an embedding lookup with width V and context 1, so it reuses the embedding
// kernels: logits = table[previous], loss = cross-entropy, dTable = scatter-add of dLogits.
// Initialised to zeros (uniform predictions), as the PyTorch reference does.

import Core
import Kernels
import Parameters

public final class BigramModel: LanguageModel {
    public let architecture: ModelArchitecture
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer
    let table: ParameterTensor
    private var logitsWorkspace = Matrix(rows: 0, columns: 0)

    public init(vocabularySize: Int) {
        precondition(vocabularySize >= 2, "BigramModel needs a vocabulary of at least 2, got \(vocabularySize)")
        architecture = ModelArchitecture(type: .bigram, vocabularySize: vocabularySize)
        var layout = ParameterLayout()
        // Kind .weight: the table multiplies a one-hot input, so weight decay acts on it like the
        // L2 "smoothing" of makemore's neural bigram.
        table = layout.add("table", rows: vocabularySize, columns: vocabularySize, kind: .weight)
        self.layout = layout
        parameters = layout.makeBuffer()
        gradients = layout.makeBuffer()
    }

    /// Zeros: every next token equally likely, loss ln V at step 0.
    public func initializeParameters(seed: UInt64) {
        parameters.fill(0)
    }

    public func reserve(batchSize: Int) {
        if logitsWorkspace.rows < batchSize {
            logitsWorkspace = Matrix(rows: batchSize, columns: architecture.vocabularySize)
        }
    }

    public func logits(contexts: [Int32], count: Int) -> Matrix {
        reserve(batchSize: count)
        let logits = logitsWorkspace.prefix(rows: count)
        Embedding.forward(output: logits, tokens: contexts, table: layout.view(table, in: parameters), contextLength: 1)
        return logits
    }

    public func lossSum(contexts: [Int32], targets: [Int32], count: Int) -> Double {
        CrossEntropy.loss(logits: logits(contexts: contexts, count: count), targets: targets)
    }

    /// The bigram has no hidden layer, so `dropoutKey` selects nothing.
    public func computeGradients(contexts: [Int32], targets: [Int32], count: Int, dropoutKey: UInt64) -> Double {
        let logits = logits(contexts: contexts, count: count)
        let loss = CrossEntropy.forwardBackward(logits: logits, targets: targets, gradientScale: 1 / Float(count))
        gradients.fill(0)
        Embedding.backward(dTable: layout.view(table, in: gradients), dOutput: logits, tokens: contexts, contextLength: 1)
        return loss / Double(count)
    }
}
