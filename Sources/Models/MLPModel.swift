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
// The first layer runs dense (gather x, then x·W_1) or from per-position tables P_t = E·W_1,t
// (Kernels' TokenTables), as `firstLayer` says; `auto` asks `FirstLayerCost` per batch size. Both
// paths compute the same function and gradients up to float rounding.
// Training may drop hidden activations (`dropout`, inverted dropout after every hidden layer's
// nonlinearity, with a mask drawn from the key the caller gives each step); evaluation never does.
// Dropout leaves the first layer's input alone, so the tables path stays exact under it.
// Not handled: batch/layer normalisation, residual connections.

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
    /// How the first layer is computed; changes the bits, never the function.
    public var firstLayer: FirstLayerPath
    /// Probability of dropping each hidden activation in training, in [0, 1); 0 = off.
    public var dropout: Float = 0 {
        didSet { precondition(dropout >= 0 && dropout < 1, "MLPModel: dropout \(dropout) outside [0, 1)") }
    }
    /// When set, every phase of `logits` and `computeGradients` is timed into it.
    public var phaseTimes: PhaseTimes?

    /// Activations for up to `capacity` examples.
    private struct Workspace {
        var capacity = 0
        var input = Matrix(rows: 0, columns: 0)           // x (B, T·d), then reused as dx
        var inputGradient = Matrix(rows: 0, columns: 0)   // dx (B, T·d)
        var preActivations: [Matrix] = []                 // (B, H) per layer; f′ after a training forward that stores it
        var activations: [Matrix] = []                    // (B, H) per layer
        var dropped: [Matrix] = []                        // (B, H) per layer, the next layer's input under dropout
        var hiddenGradients: [Matrix] = []                // two (B, H) ping-pong buffers
        var logits = Matrix(rows: 0, columns: 0)          // (B, V), then dLogits
    }
    private var workspace = Workspace()

    public init(architecture: ModelArchitecture, firstLayer: FirstLayerPath = .auto) {
        precondition(architecture.type == .mlp && architecture.vocabularySize >= 2 && architecture.contextLength >= 1
                     && architecture.embeddingSize >= 1 && architecture.hiddenSize >= 1 && architecture.hiddenLayers >= 1,
                     "MLPModel: invalid architecture \(architecture)")
        self.architecture = architecture
        self.firstLayer = firstLayer
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
        guard batchSize > workspace.capacity || (dropout > 0 && workspace.dropped.isEmpty) else { return }
        let batchSize = max(batchSize, workspace.capacity)
        let a = architecture
        var w = Workspace()
        w.capacity = batchSize
        w.input = Matrix(rows: batchSize, columns: a.contextLength * a.embeddingSize)
        w.inputGradient = Matrix(rows: batchSize, columns: a.contextLength * a.embeddingSize)
        w.preActivations = (0..<a.hiddenLayers).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        w.activations = (0..<a.hiddenLayers).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        w.hiddenGradients = (0..<2).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) }
        if dropout > 0 { w.dropped = (0..<a.hiddenLayers).map { _ in Matrix(rows: batchSize, columns: a.hiddenSize) } }
        w.logits = Matrix(rows: batchSize, columns: a.vocabularySize)
        workspace = w
    }

    /// The first-layer path a call over `count` examples takes.
    public func firstLayerPath(count: Int, training: Bool) -> FirstLayerPath {
        FirstLayerCost.path(firstLayer, architecture, batch: count, training: training)
    }

    func view(_ tensor: ParameterTensor) -> Matrix { layout.view(tensor, in: parameters) }
    private func gradientView(_ tensor: ParameterTensor) -> Matrix { layout.view(tensor, in: gradients) }

    /// Forward only (evaluation): dense unless tables are forced, whatever the count, so that a
    /// loss does not depend on the batch size it was evaluated in.
    public func logits(contexts: [Int32], count: Int) -> Matrix {
        forward(contexts: contexts, count: count, path: firstLayer == .tables ? .tables : .dense, dropoutKey: nil)
    }

    /// The mask of hidden layer `layer` under `dropoutKey`.
    private func dropoutMask(layer: Int, key: UInt64) -> DropoutMask {
        DropoutMask(rate: dropout, key: SplitMix64.mix(key, UInt64(layer)))
    }

    /// `dropoutKey` nil: evaluation (no dropout). Otherwise training: then an activation that
    /// `storesDerivative` leaves f′(pre) in the pre-activation buffers, for the backward pass,
    /// instead of the pre-activations.
    private func forward(contexts: [Int32], count: Int, path: FirstLayerPath, dropoutKey: UInt64?) -> Matrix {
        let training = dropoutKey != nil
        reserve(batchSize: count)
        let clock = phaseTimes
        clock?.start()
        let t = architecture.contextLength
        var input = workspace.input.prefix(rows: count)
        for layer in 0..<architecture.hiddenLayers {
            let pre = workspace.preActivations[layer].prefix(rows: count)
            let h = workspace.activations[layer].prefix(rows: count)
            if layer == 0 && path == .tables {
                TokenTables.forward(output: pre, embedding: view(embedding), weight: view(hiddenWeights[0]), tokens: contexts,
                                    contextLength: t, bias: view(hiddenBiases[0]))
                clock?.charge(.products)
            } else {
                if layer == 0 {
                    Embedding.forward(output: input, tokens: contexts, table: view(embedding), contextLength: t)
                    clock?.charge(.gather)
                }
                Linear.forward(output: pre, input: input, weight: view(hiddenWeights[layer]), bias: view(hiddenBiases[layer]))
                clock?.charge(.products)
            }
            if training && architecture.activation.storesDerivative {
                architecture.activation.forward(output: h, derivative: pre, input: pre)
            } else {
                architecture.activation.forward(output: h, input: pre)
            }
            clock?.charge(.activation)
            input = h
            if let dropoutKey, dropout > 0 {
                input = workspace.dropped[layer].prefix(rows: count)
                Dropout.forward(output: input, input: h, mask: dropoutMask(layer: layer, key: dropoutKey))
                clock?.charge(.activation)
            }
        }
        let logits = workspace.logits.prefix(rows: count)
        Linear.forward(output: logits, input: input, weight: view(outputWeight), bias: view(outputBias))
        clock?.charge(.products)
        return logits
    }

    public func lossSum(contexts: [Int32], targets: [Int32], count: Int) -> Double {
        CrossEntropy.loss(logits: logits(contexts: contexts, count: count), targets: targets)
    }

    public func computeGradients(contexts: [Int32], targets: [Int32], count: Int, dropoutKey: UInt64) -> Double {
        let path = firstLayerPath(count: count, training: true)
        let logits = forward(contexts: contexts, count: count, path: path, dropoutKey: dropoutKey)
        let dropping = dropout > 0
        /// What layer `layer`'s output fed forward: its activations, or their dropped-out copy.
        func layerOutput(_ layer: Int) -> Matrix {
            (dropping ? workspace.dropped[layer] : workspace.activations[layer]).prefix(rows: count)
        }
        let clock = phaseTimes
        let loss = CrossEntropy.forwardBackward(logits: logits, targets: targets, gradientScale: 1 / Float(count))
        clock?.charge(.loss)
        let layers = architecture.hiddenLayers
        // dLogits now sits in `logits`. Walk the layers backwards, ping-ponging two (B, H) buffers
        // for the hidden gradients because a product's input and output must not alias.
        var dHidden = workspace.hiddenGradients[0].prefix(rows: count)
        // Every weight and bias gets exactly one gradient per step, so the products write their
        // gradients instead of adding to a cleared buffer; only the embedding (a scatter-add) is
        // cleared. The buffer's alignment padding is never written and stays zero.
        Linear.backward(dInput: dHidden, dWeight: gradientView(outputWeight), dBias: gradientView(outputBias),
                        dOutput: logits, input: layerOutput(layers - 1), weight: view(outputWeight),
                        accumulate: false)
        clock?.charge(.products)
        for layer in stride(from: layers - 1, through: 0, by: -1) {
            let pre = workspace.preActivations[layer].prefix(rows: count)
            if dropping {
                Dropout.backward(dInput: dHidden, dOutput: dHidden, mask: dropoutMask(layer: layer, key: dropoutKey))
            }
            // The bias gradient (the column sums of dh_pre) comes out of the activation's backward
            // pass, bitwise the sums a separate pass would make.
            let dBias = gradientView(hiddenBiases[layer])
            dBias.fill(0)
            if architecture.activation.storesDerivative {
                Activation.backward(dInput: dHidden, dOutput: dHidden, derivative: pre, dBias: dBias)
            } else {
                architecture.activation.backward(dInput: dHidden, dOutput: dHidden, input: pre,
                                                 output: workspace.activations[layer].prefix(rows: count), dBias: dBias)
            }
            clock?.charge(.activation)
            let isFirst = layer == 0
            if isFirst && path == .tables {
                let t = architecture.contextLength
                TokenTables.backward(dEmbedding: gradientView(embedding), dWeight: gradientView(hiddenWeights[0]), dOutput: dHidden,
                                     embedding: view(embedding), weight: view(hiddenWeights[0]), tokens: contexts, contextLength: t)
                clock?.charge(.products)
                return loss / Double(count)
            }
            let dInput = isFirst ? workspace.inputGradient.prefix(rows: count)
                                 : workspace.hiddenGradients[(layers - layer) % 2].prefix(rows: count)
            let input = isFirst ? workspace.input.prefix(rows: count) : layerOutput(layer - 1)
            Linear.backward(dInput: dInput, dWeight: gradientView(hiddenWeights[layer]), dBias: nil,
                            dOutput: dHidden, input: input, weight: view(hiddenWeights[layer]), accumulate: false)
            clock?.charge(.products)
            dHidden = dInput
        }
        gradientView(embedding).fill(0)
        Embedding.backward(dTable: gradientView(embedding), dOutput: workspace.inputGradient.prefix(rows: count),
                           tokens: contexts, contextLength: architecture.contextLength)
        clock?.charge(.gather)
        return loss / Double(count)
    }
}
