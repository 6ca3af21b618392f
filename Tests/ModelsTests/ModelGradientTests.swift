import Core
import Kernels
import Parameters
import XCTest
@testable import Models

/// A plain Double re-implementation of both models' loss, the oracle for the Float models and for
/// central finite differences.
struct ReferenceLoss {
    let architecture: ModelArchitecture
    let layout: ParameterLayout
    /// Dropout as the MLP draws it: layer l's mask is `DropoutMask(rate, key: mix(key, l))` over the
    /// (B, H) activations in row-major order.
    var dropout: (rate: Float, key: UInt64)? = nil

    /// The factor dropout applies to hidden unit `o` of example `b` in layer `layer`.
    func dropoutFactor(layer: Int, example b: Int, unit o: Int) -> Double {
        guard let dropout, dropout.rate > 0 else { return 1 }
        let mask = DropoutMask(rate: dropout.rate, key: SplitMix64.mix(dropout.key, UInt64(layer)))
        return mask.keeps(b * architecture.hiddenSize + o) ? 1 / Double(1 - dropout.rate) : 0
    }

    func tensor(_ name: String, _ parameters: [Double]) -> (values: ArraySlice<Double>, rows: Int, columns: Int) {
        let t = layout[name]!
        return (parameters[t.offset..<(t.offset + t.count)], t.rows, t.columns)
    }

    func activation(_ x: Double) -> Double {
        switch architecture.activation {
        case .tanh: return Foundation.tanh(x)
        case .relu: return max(x, 0)
        case .gelu: return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }

    /// Mean cross-entropy over the batch.
    func loss(_ parameters: [Double], contexts: [Int32], targets: [Int32]) -> Double {
        let batch = targets.count
        var total = 0.0
        for b in 0..<batch {
            var logits: [Double]
            switch architecture.type {
            case .bigram:
                let table = tensor("table", parameters)
                let row = Int(contexts[b])
                logits = (0..<table.columns).map { table.values[table.values.startIndex + row * table.columns + $0] }
            case .mlp:
                let e = tensor("embedding", parameters)
                var x: [Double] = []
                for t in 0..<architecture.contextLength {
                    let token = Int(contexts[b * architecture.contextLength + t])
                    for j in 0..<e.columns { x.append(e.values[e.values.startIndex + token * e.columns + j]) }
                }
                for layer in 0..<architecture.hiddenLayers {
                    let w = tensor("hidden\(layer).weight", parameters), bias = tensor("hidden\(layer).bias", parameters)
                    x = (0..<w.columns).map { o in
                        var sum = bias.values[bias.values.startIndex + o]
                        for i in 0..<w.rows { sum += x[i] * w.values[w.values.startIndex + i * w.columns + o] }
                        return activation(sum) * dropoutFactor(layer: layer, example: b, unit: o)
                    }
                }
                let w = tensor("output.weight", parameters), bias = tensor("output.bias", parameters)
                logits = (0..<w.columns).map { o in
                    var sum = bias.values[bias.values.startIndex + o]
                    for i in 0..<w.rows { sum += x[i] * w.values[w.values.startIndex + i * w.columns + o] }
                    return sum
                }
            }
            let maximum = logits.max()!
            let logSum = Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - maximum) }) + maximum
            total += logSum - logits[Int(targets[b])]
        }
        return total / Double(batch)
    }
}

import Foundation

final class ModelGradientTests: XCTestCase {
    func randomBatch(_ architecture: ModelArchitecture, batch: Int, seed: UInt64) -> ([Int32], [Int32]) {
        var generator = Xoshiro256(seed: seed)
        let contexts = (0..<(batch * architecture.contextLength)).map { _ in Int32(generator.nextInt(below: architecture.vocabularySize)) }
        let targets = (0..<batch).map { _ in Int32(generator.nextInt(below: architecture.vocabularySize)) }
        return (contexts, targets)
    }

    /// Every parameter of every tensor: the model's Float gradient against central differences of
    /// the Double reference loss, and the model's loss against the reference loss.
    func checkGradients(_ architecture: ModelArchitecture, randomizeParameters: Bool, firstLayer: FirstLayerPath = .auto,
                        dropout: (rate: Float, key: UInt64)? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let model = ModelFactory.make(architecture, firstLayer: firstLayer, dropout: dropout?.rate ?? 0)
        model.initializeParameters(seed: 3)
        if randomizeParameters {
            // Break the zero init (bigram) and the tiny output scale so every path carries gradient.
            var generator = Xoshiro256(seed: 9)
            for tensor in model.layout.tensors {
                let view = model.layout.view(tensor, in: model.parameters)
                for i in 0..<view.count { view[i] = Float(generator.nextGaussian() * 0.7) }
            }
        }
        let batch = 5
        let (contexts, targets) = randomBatch(architecture, batch: batch, seed: 4)
        let loss = model.computeGradients(contexts: contexts, targets: targets, count: batch, dropoutKey: dropout?.key ?? 0)
        let reference = ReferenceLoss(architecture: architecture, layout: model.layout, dropout: dropout)
        var theta = model.parameters.toArray().map(Double.init)
        XCTAssertEqual(loss, reference.loss(theta, contexts: contexts, targets: targets), accuracy: 1e-5, "loss", file: file, line: line)
        let h = 1e-5
        for tensor in model.layout.tensors {
            var worst = 0.0
            for index in tensor.offset..<(tensor.offset + tensor.count) {
                let saved = theta[index]
                theta[index] = saved + h
                let plus = reference.loss(theta, contexts: contexts, targets: targets)
                theta[index] = saved - h
                let minus = reference.loss(theta, contexts: contexts, targets: targets)
                theta[index] = saved
                let numeric = (plus - minus) / (2 * h)
                let analytic = Double(model.gradients[index])
                worst = max(worst, abs(numeric - analytic) / max(1e-3, abs(numeric)))
            }
            XCTAssertLessThan(worst, 2e-3, "\(architecture.type) \(architecture.activation) \(tensor.name): relative error \(worst)", file: file, line: line)
        }
    }

    func testBigramGradientMatchesFiniteDifferences() {
        checkGradients(ModelArchitecture(type: .bigram, vocabularySize: 6), randomizeParameters: true)
    }

    func testMLPGradientMatchesFiniteDifferencesForEveryActivation() {
        for activation in Activation.allCases {
            for firstLayer in [FirstLayerPath.dense, .tables] {
                checkGradients(ModelArchitecture(type: .mlp, vocabularySize: 7, contextLength: 3, embeddingSize: 2,
                                                 hiddenSize: 5, hiddenLayers: 1, activation: activation), randomizeParameters: true,
                               firstLayer: firstLayer)
            }
        }
    }

    /// With dropout the loss is a fixed function of the parameters for a fixed key: the gradient
    /// through the masks of every layer, on both first-layer paths, against the reference that
    /// draws the same masks. Rate 0.4 on H = 6 drops units in every layer of the batch.
    func testMLPWithDropoutMatchesFiniteDifferences() {
        for firstLayer in [FirstLayerPath.dense, .tables] {
            for activation in [Activation.tanh, .gelu] {
                checkGradients(ModelArchitecture(type: .mlp, vocabularySize: 7, contextLength: 3, embeddingSize: 2,
                                                 hiddenSize: 6, hiddenLayers: 3, activation: activation), randomizeParameters: true,
                               firstLayer: firstLayer, dropout: (0.4, 0x5EED))
            }
        }
    }

    /// Dropout is training only: the logits and the evaluation loss ignore it, a key changes the
    /// training loss, the same key gives the same bits at any thread count, and rate 0 leaves the
    /// step bitwise as without dropout.
    func testDropoutOnlyChangesTrainingAndIsDeterministic() {
        let architecture = ModelArchitecture(type: .mlp, vocabularySize: 11, contextLength: 4, embeddingSize: 3,
                                             hiddenSize: 40, hiddenLayers: 2, activation: .gelu)
        let (contexts, targets) = randomBatch(architecture, batch: 33, seed: 12)
        func model(dropout: Float) -> MLPModel {
            let model = MLPModel(architecture: architecture)
            model.dropout = dropout
            model.initializeParameters(seed: 13)
            return model
        }
        let plain = model(dropout: 0), dropping = model(dropout: 0.3)
        XCTAssertEqual(dropping.logits(contexts: contexts, count: 33).toArray(), plain.logits(contexts: contexts, count: 33).toArray())
        XCTAssertEqual(dropping.lossSum(contexts: contexts, targets: targets, count: 33),
                       plain.lossSum(contexts: contexts, targets: targets, count: 33))
        let plainLoss = plain.computeGradients(contexts: contexts, targets: targets, count: 33, dropoutKey: 9)
        let plainGradients = plain.gradients.toArray()
        _ = plain.computeGradients(contexts: contexts, targets: targets, count: 33)
        XCTAssertEqual(plain.gradients.toArray(), plainGradients, "rate 0: the key changes nothing")
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var gradients: [[Float]] = []
        let losses = (1...3).map { threads in
            Parallel.threadCount = threads
            defer { gradients.append(dropping.gradients.toArray()) }
            return dropping.computeGradients(contexts: contexts, targets: targets, count: 33, dropoutKey: 9)
        }
        XCTAssertEqual(Set(losses).count, 1, "same key, any thread count")
        XCTAssertTrue(gradients.allSatisfy { $0.map(\.bitPattern) == gradients[0].map(\.bitPattern) }, "gradient bits, any thread count")
        XCTAssertNotEqual(losses[0], plainLoss)
        XCTAssertNotEqual(dropping.computeGradients(contexts: contexts, targets: targets, count: 33, dropoutKey: 10), losses[0])
    }

    func testTablesPathMatchesFiniteDifferencesOnEdgeShapes() {
        for (v, t, d, h, layers) in [(2, 1, 1, 3, 1), (3, 4, 2, 9, 2), (11, 2, 3, 4, 1)] {
            checkGradients(ModelArchitecture(type: .mlp, vocabularySize: v, contextLength: t, embeddingSize: d,
                                             hiddenSize: h, hiddenLayers: layers, activation: .tanh), randomizeParameters: true,
                           firstLayer: .tables)
        }
    }

    /// The tables path against the dense one: logits and every gradient within 1e-5 relative, on
    /// the smallest vocabulary a model allows (2), T = 1, V > B, widths off the vector sizes.
    func testTablesPathMatchesDensePath() {
        let shapes: [(v: Int, t: Int, d: Int, h: Int, layers: Int, batch: Int, activation: Activation)] = [
            (2, 1, 1, 1, 1, 1, .tanh), (2, 3, 4, 37, 1, 9, .relu), (40, 2, 3, 45, 2, 5, .gelu),
            (65, 16, 8, 70, 1, 33, .tanh), (5, 1, 17, 33, 3, 64, .gelu), (300, 3, 5, 16, 1, 7, .tanh),
        ]
        for s in shapes {
            let architecture = ModelArchitecture(type: .mlp, vocabularySize: s.v, contextLength: s.t, embeddingSize: s.d,
                                                 hiddenSize: s.h, hiddenLayers: s.layers, activation: s.activation)
            let dense = MLPModel(architecture: architecture, firstLayer: .dense)
            let tables = MLPModel(architecture: architecture, firstLayer: .tables)
            dense.initializeParameters(seed: 21)
            var generator = Xoshiro256(seed: 22)
            for i in 0..<dense.parameters.count { dense.parameters[i] += Float(generator.nextGaussian() * 0.3) }
            tables.parameters.assign(bytes: dense.parameters.withUnsafeBytes { UnsafeRawBufferPointer($0) })
            let (contexts, targets) = randomBatch(architecture, batch: s.batch, seed: 23)
            let denseLogits = dense.logits(contexts: contexts, count: s.batch).toArray()
            let tablesLogits = tables.logits(contexts: contexts, count: s.batch).toArray()
            func worst(_ a: [Float], _ b: [Float], scale: Float) -> Float {
                zip(a, b).map { abs($0 - $1) / max(scale, abs($0)) }.max() ?? 0
            }
            let name = "V \(s.v) T \(s.t) d \(s.d) H \(s.h) L \(s.layers) B \(s.batch) \(s.activation)"
            XCTAssertLessThan(worst(denseLogits, tablesLogits, scale: 1), 1e-5, "logits, \(name)")
            let denseLoss = dense.computeGradients(contexts: contexts, targets: targets, count: s.batch)
            let tablesLoss = tables.computeGradients(contexts: contexts, targets: targets, count: s.batch)
            XCTAssertEqual(denseLoss, tablesLoss, accuracy: 1e-5 * max(1, abs(denseLoss)), name)
            for tensor in dense.layout.tensors {
                let a = dense.layout.view(tensor, in: dense.gradients).toArray()
                let b = tables.layout.view(tensor, in: tables.gradients).toArray()
                // Relative to the tensor's largest gradient: entries that cancel to near zero carry
                // the rounding of the terms they cancel.
                let scale = max(a.map(abs).max() ?? 0, 1e-12)
                XCTAssertLessThan(worst(a, b, scale: scale), 1e-5, "\(tensor.name), \(name)")
            }
        }
    }

    func testFirstLayerCostChoosesTablesForSmallVocabulariesOnly() {
        func path(v: Int, t: Int, d: Int, h: Int, batch: Int) -> FirstLayerPath {
            FirstLayerCost.path(.auto, ModelArchitecture(type: .mlp, vocabularySize: v, contextLength: t, embeddingSize: d,
                                                         hiddenSize: h, hiddenLayers: 1), batch: batch, training: true)
        }
        XCTAssertEqual(path(v: 65, t: 16, d: 64, h: 512, batch: 256), .tables, "config B")
        XCTAssertEqual(path(v: 4096, t: 8, d: 64, h: 512, batch: 256), .dense, "config C")
        XCTAssertEqual(path(v: 65, t: 16, d: 64, h: 512, batch: 1), .dense, "one example")
        XCTAssertEqual(FirstLayerCost.path(.tables, ModelArchitecture(type: .mlp, vocabularySize: 4096, contextLength: 8, embeddingSize: 64,
                                                                      hiddenSize: 512, hiddenLayers: 1), batch: 1, training: true), .tables)
    }

    func testDeepMLPGradientMatchesFiniteDifferences() {
        checkGradients(ModelArchitecture(type: .mlp, vocabularySize: 5, contextLength: 2, embeddingSize: 3,
                                         hiddenSize: 4, hiddenLayers: 3, activation: .tanh), randomizeParameters: true)
    }

    func testGradientsAreRecomputedNotAccumulatedAcrossCalls() {
        let architecture = ModelArchitecture(type: .mlp, vocabularySize: 7, contextLength: 2, embeddingSize: 3, hiddenSize: 4, hiddenLayers: 1)
        let model = ModelFactory.make(architecture)
        model.initializeParameters(seed: 1)
        let (contexts, targets) = randomBatch(architecture, batch: 4, seed: 2)
        _ = model.computeGradients(contexts: contexts, targets: targets, count: 4)
        let first = model.gradients.toArray()
        _ = model.computeGradients(contexts: contexts, targets: targets, count: 4)
        XCTAssertEqual(model.gradients.toArray(), first)
    }

    func testInitialisationIsSeededAndStartsNearUniform() {
        let architecture = ModelArchitecture(type: .mlp, vocabularySize: 27, contextLength: 3, embeddingSize: 10, hiddenSize: 200, hiddenLayers: 1)
        let a = ModelFactory.make(architecture), b = ModelFactory.make(architecture), c = ModelFactory.make(architecture)
        a.initializeParameters(seed: 42)
        b.initializeParameters(seed: 42)
        c.initializeParameters(seed: 43)
        XCTAssertEqual(a.parameters.toArray(), b.parameters.toArray())
        XCTAssertNotEqual(a.parameters.toArray(), c.parameters.toArray())
        XCTAssertEqual(a.parameterCount, 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27)
        let (contexts, targets) = randomBatch(architecture, batch: 64, seed: 5)
        let loss = a.lossSum(contexts: contexts, targets: targets, count: 64) / 64
        XCTAssertEqual(loss, Foundation.log(27.0), accuracy: 0.05, "the first loss should be close to ln V")
        // Hidden pre-activations are not saturated: the tanh gain keeps |h| mostly below 0.97.
    }

    func testLossSumAndLogitsAgreeWithTrainingLoss() {
        for architecture in [ModelArchitecture(type: .bigram, vocabularySize: 9),
                             ModelArchitecture(type: .mlp, vocabularySize: 9, contextLength: 4, embeddingSize: 3, hiddenSize: 8, hiddenLayers: 2)] {
            let model = ModelFactory.make(architecture)
            model.initializeParameters(seed: 8)
            let (contexts, targets) = randomBatch(architecture, batch: 6, seed: 6)
            let sum = model.lossSum(contexts: contexts, targets: targets, count: 6)
            let mean = model.computeGradients(contexts: contexts, targets: targets, count: 6)
            XCTAssertEqual(sum / 6, mean, accuracy: 1e-9)
            // A smaller batch than the workspace uses only the first rows.
            let logits = model.logits(contexts: contexts, count: 2)
            XCTAssertEqual(logits.rows, 2)
            XCTAssertEqual(logits.columns, 9)
        }
    }
}
