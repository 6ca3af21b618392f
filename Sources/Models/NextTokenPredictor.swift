// The forward pass of generation: logits for a few contexts at a time, with the weights frozen.
//
// An MLP's first layer is x·W1 with x = [E[t₁] | … | E[t_T]], so x·W1 = Σ_t E[t_t]·W1_t, W1_t the
// rows of W1 that position t multiplies. With the weights frozen, the tables P_t = E·W1_t (one
// (V, H) table per position, `TokenTables`) are built once, and each generated token's first
// layer is T row gathers instead of a (T·d)×H product. Building the tables costs T·V·d·H
// multiply-adds, as much as the dense first layer of V rows, so they are built only when more
// than V rows will be generated, and only while they fit `maximumTableBytes`.
//
// Every product runs row by row (`RowwiseProduct`), so a row's logits do not depend on how many
// rows are computed with it or on the thread count. They differ from training's batched forward
// pass by float rounding only.

import Kernels

public final class NextTokenPredictor {
    /// The largest tables built: 256 MiB, e.g. V 4096, T 32, H 512.
    public static let maximumTableBytes = 256 << 20

    public let architecture: ModelArchitecture
    /// The MLP's first-layer path, `.tables` (gathers from per-position tables built once) or
    /// `.dense` (the embedding gather and the (T·d)×H product for every row); nil for a bigram,
    /// whose logits are one table row.
    public let firstLayer: FirstLayerPath?
    private let model: any LanguageModel
    /// `model` as an MLP, which has the layers this pass runs; nil for a bigram.
    private let mlp: MLPModel?
    private let tables: Matrix?
    private var capacity = 0
    private var input = Matrix(rows: 0, columns: 0)
    private var hidden: [Matrix] = []
    private var logitsWorkspace = Matrix(rows: 0, columns: 0)

    /// A predictor over `model`'s current weights, which must not change while it is used.
    /// `rowsToGenerate`: how many rows of logits the caller expects to ask for in all (tokens ×
    /// samples), which decides whether the first layer's tables pay for themselves.
    public init(model: any LanguageModel, rowsToGenerate: Int) {
        self.model = model
        architecture = model.architecture
        mlp = model as? MLPModel
        guard let mlp else {
            firstLayer = nil
            tables = nil
            return
        }
        let a = architecture
        let tableBytes = a.contextLength.multipliedReportingOverflow(by: a.vocabularySize * a.hiddenSize * 4)
        if a.vocabularySize < rowsToGenerate, !tableBytes.overflow, tableBytes.partialValue <= Self.maximumTableBytes {
            firstLayer = .tables
            tables = Self.buildTables(mlp)
        } else {
            firstLayer = .dense
            tables = nil
        }
    }

    /// Logits of `count` contexts (T tokens each, oldest first), (count, V). The view is
    /// workspace: valid until the next call.
    public func logits(contexts: [Int32], count: Int) -> Matrix {
        guard let mlp, let firstLayer else { return model.logits(contexts: contexts, count: count) }
        reserve(rows: count)
        let a = architecture
        var x = hidden[0].prefix(rows: count)
        if firstLayer == .tables {
            TokenTables.gatherSum(output: x, tables: tables!, tokens: contexts, contextLength: a.contextLength,
                                  bias: mlp.view(mlp.hiddenBiases[0]))
        } else {
            let embedded = input.prefix(rows: count)
            Embedding.forward(output: embedded, tokens: contexts, table: mlp.view(mlp.embedding), contextLength: a.contextLength)
            RowwiseProduct.forward(output: x, input: embedded, weight: mlp.view(mlp.hiddenWeights[0]), bias: mlp.view(mlp.hiddenBiases[0]))
        }
        a.activation.forward(output: x, input: x)
        for layer in 1..<a.hiddenLayers {
            let next = hidden[layer % 2].prefix(rows: count)
            RowwiseProduct.forward(output: next, input: x, weight: mlp.view(mlp.hiddenWeights[layer]), bias: mlp.view(mlp.hiddenBiases[layer]))
            a.activation.forward(output: next, input: next)
            x = next
        }
        let logits = logitsWorkspace.prefix(rows: count)
        RowwiseProduct.forward(output: logits, input: x, weight: mlp.view(mlp.outputWeight), bias: mlp.view(mlp.outputBias))
        return logits
    }

    private func reserve(rows: Int) {
        guard rows > capacity else { return }
        let a = architecture
        capacity = rows
        if firstLayer == .dense { input = Matrix(rows: rows, columns: a.contextLength * a.embeddingSize) }
        hidden = (0..<min(a.hiddenLayers, 2)).map { _ in Matrix(rows: rows, columns: a.hiddenSize) }
        logitsWorkspace = Matrix(rows: rows, columns: a.vocabularySize)
    }

    /// (T·V, H): rows t·V ..< (t+1)·V hold P_t = E·W1_t.
    private static func buildTables(_ mlp: MLPModel) -> Matrix {
        let a = mlp.architecture
        let tables = Matrix(rows: a.contextLength * a.vocabularySize, columns: a.hiddenSize)
        TokenTables.build(tables: tables, embedding: mlp.view(mlp.embedding), weight: mlp.view(mlp.hiddenWeights[0]),
                          contextLength: a.contextLength)
        return tables
    }
}
