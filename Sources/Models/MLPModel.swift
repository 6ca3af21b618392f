// A Bengio-style MLP language model (Bengio et al. 2003; Karpathy's makemore MLP).
//
// Shapes (B batch, T context, d embedding, H hidden, V vocabulary, L hidden layers):
//   x      = concat(E[t_1] … E[t_T])            (B, T·d)    E: embedding (V, d)
//   h_1    = f(x · W_1 + b_1)                   (B, H)      W_1: (T·d, H)
//   h_l    = f(h_{l−1} · W_l + b_l), l = 2…L    (B, H)      W_l: (H, H)
//   logits = h_L · W_out + b_out                (B, V)      W_out: (H, V)
//   loss   = mean cross-entropy(logits, target)
// f is tanh by default (ReLU and GELU available). All tensors live in one flat buffer; the
// activations in workspaces sized once for the largest batch, so a step allocates nothing.
// Not handled: dropout, batch/layer normalisation, residual connections.

import Core
import Kernels
import Parameters

public final class MLPModel: LanguageModel {
    public let architecture: ModelArchitecture
    public let layout: ParameterLayout
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer

    let embedding: ParameterTensor
    let hiddenWeights: [ParameterTensor]
    let hiddenBiases: [ParameterTensor]
    let outputWeight: ParameterTensor
    let outputBias: ParameterTensor

    /// Activations for up to `capacity` examples.
    private struct Workspace {
        var capacity = 0
        var input = Matrix(rows: 0, columns: 0)           // x (B, T·d), then reused as dx
        var inputGradient = Matrix(rows: 0, columns: 0)   // dx (B, T·d)
        var preActivations: [Matrix] = []                 // (B, H) per layer
        var activations: [Matrix] = []                    // (B, H) per layer
        var hiddenGradients: [Matrix] = []                // two (B, H) ping-pong buffers
        var logits = Matrix(rows: 0, columns: 0)          // (B, V), then dLogits
    }
    private var workspace = Workspace()

    public init(architecture: ModelArchitecture) {
        precondition(architecture.type == .mlp && architecture.vocabularySize >= 2 && architecture.contextLength >= 1
                     && architecture.embeddingSize >= 1 && architecture.hiddenSize >= 1 && architecture.hiddenLayers >= 1,
                     "MLPModel: invalid architecture \(architecture)")
        self.architecture = architecture
        let (v, t, d, h) = (architecture.vocabularySize, architecture.contextLength, architecture.embeddingSize, architecture.hiddenSize)
        var layout = ParameterLayout()
        embedding = layout.add("embedding", rows: v, columns: d, kind: .embedding)
        var weights: [ParameterTensor] = [], biases: [ParameterTensor] = []
        for layer in 0..<architecture.hiddenLayers {
            weights.append(layout.add("hidden\(layer).weight", rows: layer == 0 ? t * d : h, columns: h, kind: .weight))
            biases.append(layout.add("hidden\(layer).bias", rows: 1, columns: h, kind: .bias))
        }
        hiddenWeights = weights
        hiddenBiases = biases
        outputWeight = layout.add("output.weight", rows: h, columns: v, kind: .weight)
        outputBias = layout.add("output.bias", rows: 1, columns: v, kind: .bias)
        self.layout = layout
        parameters = layout.makeBuffer()
        gradients = layout.makeBuffer()
    }

    /// makemore lecture 3's initialisation, which trains well without tuning:
    /// - embedding ~ N(0, 1);
    /// - hidden weights ~ N(0, 1) · gain / √fan_in (Kaiming), hidden biases 0. Kaiming's gain
    ///   (5/3 for tanh, √2 for ReLU and GELU) makes up for what the previous layer's nonlinearity
    ///   takes from the variance, so deeper layers neither shrink nor saturate. The first layer's
    ///   inputs are raw unit-variance embeddings, not activations, so its gain is 1 (LeCun normal):
    ///   pre-activations start with unit variance, where tanh is still near-linear. Measured: gain
    ///   5/3 on the first layer saturated a wide one (shakespeare-char, context 16: validation
    ///   1.878 after 5,000 steps, against 1.829 with gain 1; names.txt unchanged at 2.100);
    /// - output weights ~ N(0, 1) · 0.01 and output bias 0, so the initial logits are nearly
    ///   equal and the first loss is ≈ ln V instead of a confident wrong guess.
    public func initializeParameters(seed: UInt64) {
        var generator = Xoshiro256(seed: seed)
        parameters.fill(0)
        func fillGaussian(_ tensor: ParameterTensor, scale: Double) {
            let view = layout.view(tensor, in: parameters)
            for i in 0..<view.count { view[i] = Float(generator.nextGaussian() * scale) }
        }
        let gain: Double = architecture.activation == .tanh ? 5.0 / 3.0 : 2.0.squareRoot()
        fillGaussian(embedding, scale: 1)
        for (layer, weight) in hiddenWeights.enumerated() {
            fillGaussian(weight, scale: (layer == 0 ? 1 : gain) / Double(weight.rows).squareRoot())
        }
        fillGaussian(outputWeight, scale: 0.01)
    }

    public func reserve(batchSize: Int) {
        guard batchSize > workspace.capacity else { return }
        let a = architecture
        var w = Workspace()
        w.capacity = batchSize
        w.input = Matrix(rows: batchSize, columns: a.contextLength * a.embeddingSize)
        w.inputGradient = Matrix(rows: batchSize, columns: a.contextLength * a.embeddingSize)
        w.preActivations = (0..<a.hiddenLayers).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        w.activations = (0..<a.hiddenLayers).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        w.hiddenGradients = (0..<2).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        w.logits = Matrix(rows: batchSize, columns: a.vocabularySize)
        workspace = w
    }

    func view(_ tensor: ParameterTensor) -> Matrix { layout.view(tensor, in: parameters) }
    private func gradientView(_ tensor: ParameterTensor) -> Matrix { layout.view(tensor, in: gradients) }

    public func logits(contexts: [Int32], count: Int) -> Matrix {
        reserve(batchSize: count)
        let x = workspace.input.prefix(rows: count)
        Embedding.forward(output: x, tokens: contexts, table: view(embedding), contextLength: architecture.contextLength)
        var input = x
        for layer in 0..<architecture.hiddenLayers {
            let pre = workspace.preActivations[layer].prefix(rows: count)
            let h = workspace.activations[layer].prefix(rows: count)
            Linear.forward(output: pre, input: input, weight: view(hiddenWeights[layer]), bias: view(hiddenBiases[layer]))
            architecture.activation.forward(output: h, input: pre)
            input = h
        }
        let logits = workspace.logits.prefix(rows: count)
        Linear.forward(output: logits, input: input, weight: view(outputWeight), bias: view(outputBias))
        return logits
    }

    public func lossSum(contexts: [Int32], targets: [Int32], count: Int) -> Double {
        CrossEntropy.loss(logits: logits(contexts: contexts, count: count), targets: targets)
    }

    public func computeGradients(contexts: [Int32], targets: [Int32], count: Int) -> Double {
        let logits = logits(contexts: contexts, count: count)
        let loss = CrossEntropy.forwardBackward(logits: logits, targets: targets, gradientScale: 1 / Float(count))
        let layers = architecture.hiddenLayers
        // dLogits now sits in `logits`. Walk the layers backwards, ping-ponging two (B, H) buffers
        // for the hidden gradients because a product's input and output must not alias.
        var dHidden = workspace.hiddenGradients[0].prefix(rows: count)
        // Every weight and bias gets exactly one gradient per step, so the products write their
        // gradients instead of adding to a cleared buffer; only the embedding (a scatter-add) is
        // cleared. The buffer's alignment padding is never written and stays zero.
        Linear.backward(dInput: dHidden, dWeight: gradientView(outputWeight), dBias: gradientView(outputBias),
                        dOutput: logits, input: workspace.activations[layers - 1].prefix(rows: count), weight: view(outputWeight),
                        accumulate: false)
        for layer in stride(from: layers - 1, through: 0, by: -1) {
            let pre = workspace.preActivations[layer].prefix(rows: count)
            architecture.activation.backward(dInput: dHidden, dOutput: dHidden, input: pre,
                                             output: workspace.activations[layer].prefix(rows: count))
            let isFirst = layer == 0
            let dInput = isFirst ? workspace.inputGradient.prefix(rows: count)
                                 : workspace.hiddenGradients[(layers - layer) % 2].prefix(rows: count)
            let input = isFirst ? workspace.input.prefix(rows: count) : workspace.activations[layer - 1].prefix(rows: count)
            Linear.backward(dInput: dInput, dWeight: gradientView(hiddenWeights[layer]), dBias: gradientView(hiddenBiases[layer]),
                            dOutput: dHidden, input: input, weight: view(hiddenWeights[layer]), accumulate: false)
            dHidden = dInput
        }
        gradientView(embedding).fill(0)
        Embedding.backward(dTable: gradientView(embedding), dOutput: workspace.inputGradient.prefix(rows: count),
                           tokens: contexts, contextLength: architecture.contextLength)
        return loss / Double(count)
    }
}
