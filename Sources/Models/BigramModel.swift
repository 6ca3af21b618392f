// The bigram language model: a V×V table whose row a holds the logits of the token after a.
//
// Its logits are a row lookup, logits = table[previous]. Training and evaluation never copy them
// out: TableCrossEntropy computes the loss and dTable straight from the table, one softmax per
// distinct previous token, with the bits of the lookup, cross-entropy and scatter-add kernels in
// a row. `logits(contexts:count:)` does the lookup, for sampling. Initialised to zeros (uniform
// predictions), as the PyTorch reference does.

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
    public var phaseTimes: PhaseTimes?

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
        TableCrossEntropy.loss(table: layout.view(table, in: parameters), tokens: contexts, targets: targets, count: count)
    }

    /// The bigram has no hidden layer, so `dropoutKey` selects nothing.
    public func computeGradients(contexts: [Int32], targets: [Int32], count: Int, dropoutKey: UInt64) -> Double {
        phaseTimes?.start()
        defer { phaseTimes?.charge(.loss) }
        let loss = TableCrossEntropy.forwardBackward(table: layout.view(table, in: parameters), tokens: contexts, targets: targets,
                                                     count: count, dTable: layout.view(table, in: gradients),
                                                     gradientScale: 1 / Float(count))
        return loss / Double(count)
    }
}
