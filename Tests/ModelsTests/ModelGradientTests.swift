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
                        return activation(sum)
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
                        file: StaticString = #filePath, line: UInt = #line) {
        let model = ModelFactory.make(architecture, firstLayer: firstLayer)
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
        let loss = model.computeGradients(contexts: contexts, targets: targets, count: batch)
        let reference = ReferenceLoss(architecture: architecture, layout: model.layout)
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
