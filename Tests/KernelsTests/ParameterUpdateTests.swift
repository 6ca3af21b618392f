import Core
import XCTest
@testable import Kernels

final class ParameterUpdateTests: XCTestCase {
    func testSGDMatchesReferenceBitwise() {
        var generator = Xoshiro256(seed: 61)
        for count in [1, 13, 64, 1003] {
            for (momentum, nesterov, weightDecay) in [(Float(0), false, Float(0)), (0.9, false, 0), (0.9, true, 0.01), (0, false, 0.1)] {
                let p = randomMatrix(1, count, &generator), g = randomMatrix(1, count, &generator)
                let v = randomMatrix(1, count, &generator)
                let (p2, v2) = (copyOf(p), copyOf(v))
                for _ in 0..<3 {
                    ParameterUpdate.sgd(parameters: p, gradients: g, velocity: v, learningRate: 0.05,
                                        momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
                    ParameterUpdate.referenceSGD(parameters: p2, gradients: g, velocity: v2, learningRate: 0.05,
                                                 momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
                }
                XCTAssertEqual(bits(p), bits(p2))
                XCTAssertEqual(bits(v), bits(v2))
            }
        }
    }

    /// One step, derived by hand from PyTorch's formulas: p=1, g=0.5, v=0, momentum 0.9, lr 0.1,
    /// wd 0.01: g' = 0.5 + 0.01 = 0.51, v = 0.51, p = 1 − 0.051 = 0.949; Nesterov: g'' = 0.51 +
    /// 0.9·0.51 = 0.969, p = 0.9031.
    func testSGDWithoutVelocityIgnoresMomentum() {
        let p = Matrix.vector([1, 2]), g = Matrix.vector([0.5, -1])
        ParameterUpdate.sgd(parameters: p, gradients: g, velocity: nil, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0)
        XCTAssertEqual(p.toArray(), [Float(1).addingProduct(-0.1, 0.5), Float(2).addingProduct(-0.1, -1)])
    }

    func testSGDGoldenStep() {
        for (nesterov, expected) in [(false, Float(0.949)), (true, Float(0.9031))] {
            let p = Matrix.vector([1]), g = Matrix.vector([0.5]), v = Matrix.vector([0])
            ParameterUpdate.sgd(parameters: p, gradients: g, velocity: v, learningRate: 0.1, momentum: 0.9, nesterov: nesterov, weightDecay: 0.01)
            XCTAssertEqual(p[0], expected, accuracy: 1e-7)
            XCTAssertEqual(v[0], 0.51, accuracy: 1e-7)
        }
    }

    func testAdamWMatchesReferenceBitwise() {
        var generator = Xoshiro256(seed: 62)
        for count in [1, 7, 64, 1003] {
            let p = randomMatrix(1, count, &generator), m = Matrix(rows: 1, columns: count), v = Matrix(rows: 1, columns: count)
            let (p2, m2, v2) = (copyOf(p), copyOf(m), copyOf(v))
            for step in 1...4 {
                let g = randomMatrix(1, count, &generator)
                ParameterUpdate.adamW(parameters: p, gradients: g, firstMoment: m, secondMoment: v, learningRate: 1e-3,
                                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: step)
                ParameterUpdate.referenceAdamW(parameters: p2, gradients: g, firstMoment: m2, secondMoment: v2, learningRate: 1e-3,
                                               beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: step)
            }
            XCTAssertEqual(bits(p), bits(p2))
            XCTAssertEqual(bits(m), bits(m2))
            XCTAssertEqual(bits(v), bits(v2))
        }
    }

    /// First step by hand: m = 0.1·g, v = 0.001·g², bias corrections 0.1 and 0.001, so the update
    /// is lr·g/(|g| + ε) ≈ lr·sign(g); with p = 2, g = −0.5, lr 0.01, wd 0.1:
    /// p = 2·(1 − 0.001) + 0.01 = 2.008.
    func testAdamWGoldenFirstStep() {
        let p = Matrix.vector([2]), g = Matrix.vector([-0.5]), m = Matrix.vector([0]), v = Matrix.vector([0])
        ParameterUpdate.adamW(parameters: p, gradients: g, firstMoment: m, secondMoment: v, learningRate: 0.01,
                              beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: 1)
        XCTAssertEqual(p[0], 2.008, accuracy: 2.5e-7)  // one ulp at 2
        XCTAssertEqual(m[0], -0.05, accuracy: 1e-8)
        XCTAssertEqual(v[0], 0.00025, accuracy: 1e-10)
    }

    /// 1 − β2 is computed in Double from 0.999, then rounded, as PyTorch does (not from the Float
    /// 0.99900001…).
    func testScalarsAreComputedInDoubleFromTheHyperparameters() {
        let scalars = AdamWScalars(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1)
        XCTAssertEqual(scalars.oneMinusBeta2, Float(1 - 0.999))
    }

    func testBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 63)
        let count = 300_001
        let p = randomMatrix(1, count, &generator), g = randomMatrix(1, count, &generator)
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            withThreads(threads) {
                let (q, m, v, w) = (copyOf(p), Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count), Matrix(rows: 1, columns: count))
                ParameterUpdate.adamW(parameters: q, gradients: g, firstMoment: m, secondMoment: v, learningRate: 1e-3,
                                      beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, step: 3)
                ParameterUpdate.sgd(parameters: q, gradients: g, velocity: w, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0)
                results.append(bits(q) + bits(m) + bits(v) + bits(w))
            }
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testShapeErrors() {
        let four = Matrix(rows: 1, columns: 4), three = Matrix(rows: 1, columns: 3)
        XCTAssertNil(ParameterUpdate.sgdError(parameters: four, gradients: four, velocity: nil, momentum: 0))
        XCTAssertEqual(ParameterUpdate.sgdError(parameters: four, gradients: three, velocity: nil, momentum: 0),
                       "ParameterUpdate.sgd: sizes differ: parameters 4, gradients 3, velocity none")
        XCTAssertNil(ParameterUpdate.sgdError(parameters: four, gradients: four, velocity: nil, momentum: 0.9))
        XCTAssertNotNil(ParameterUpdate.adamWError(parameters: four, gradients: four, firstMoment: three, secondMoment: four, step: 1))
        XCTAssertEqual(ParameterUpdate.adamWError(parameters: four, gradients: four, firstMoment: four, secondMoment: four, step: 0),
                       "ParameterUpdate.adamW: step counts from 1, got 0")
    }
}
