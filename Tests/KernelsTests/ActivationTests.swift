import Core
import XCTest
@testable import Kernels
#if canImport(Glibc)
import Glibc
#endif

final class ActivationTests: XCTestCase {
    /// A dense sweep of inputs: around 0, the polynomial/exp switch at ±0.625, the tails, and
    /// counts that leave a SIMD tail.
    func sweep() -> Matrix {
        var values: [Float] = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.625, -0.625, 0.62499994, 0.6250001, 9, -9, 10, -10, 50, -50, 90, -90]
        var x: Float = -12
        while x <= 12 { values.append(x); x += 0.00731 }
        for exponent in -20...3 { values.append(powf(2, Float(exponent)) * 1.37); values.append(-powf(2, Float(exponent)) * 0.91) }
        return Matrix(rows: 1, columns: values.count, values: values)
    }

    func testForwardMatchesDoubleReference() {
        let input = sweep()
        for kind in Activation.allCases {
            let output = Matrix(rows: 1, columns: input.count)
            kind.forward(output: output, input: input)
            for i in 0..<input.count {
                let x = Double(input[i])
                let exact: Double
                switch kind {
                case .tanh: exact = Glibc.tanh(x)
                case .relu: exact = max(x, 0)
                case .gelu: exact = Activation.geluReference(x)
                }
                // Relative error, plus 1e-30 absolute for GELU's far negative tail, which the fast
                // path stops at ~1e-37 instead of flushing to −0.
                let allowed = 1e-5 * abs(exact) + 1e-30
                XCTAssertLessThanOrEqual(abs(Double(output[i]) - exact), allowed, "\(kind)(\(input[i])) = \(output[i]), exact \(exact)")
            }
        }
    }

    /// The reference GELU is the textbook 0.5·x·(1 + tanh u), rearranged: check it against the
    /// textbook form where that form does not cancel, and its derivative against a difference.
    func testGeluReferenceIsTheTanhApproximation() {
        let c = (2.0 / Double.pi).squareRoot()
        var x = -5.0
        while x <= 5 {
            let textbook = 0.5 * x * (1 + Glibc.tanh(c * (x + 0.044715 * x * x * x)))
            XCTAssertEqual(Activation.geluReference(x), textbook, accuracy: 1e-12)
            let h = 1e-5
            let difference = (Activation.geluReference(x + h) - Activation.geluReference(x - h)) / (2 * h)
            XCTAssertEqual(Activation.geluDerivativeReference(x), difference, accuracy: 1e-8)
            x += 0.0137
        }
    }

    func testTanhIsOddAndBounded() {
        let input = sweep()
        let negated = Matrix(rows: 1, columns: input.count)
        for i in 0..<input.count { negated[i] = -input[i] }
        let y = Matrix(rows: 1, columns: input.count), yNegated = Matrix(rows: 1, columns: input.count)
        Activation.tanh.forward(output: y, input: input)
        Activation.tanh.forward(output: yNegated, input: negated)
        for i in 0..<input.count {
            XCTAssertEqual(y[i], -yNegated[i])
            XCTAssertLessThanOrEqual(abs(y[i]), 1)
        }
    }

    func testBackwardMatchesReference() {
        var generator = Xoshiro256(seed: 21)
        let input = randomMatrix(7, 13, &generator, scale: 4), dOutput = randomMatrix(7, 13, &generator)
        for kind in Activation.allCases {
            let output = Matrix(rows: 7, columns: 13)
            kind.forward(output: output, input: input)
            let fast = Matrix(rows: 7, columns: 13), slow = Matrix(rows: 7, columns: 13)
            kind.backward(dInput: fast, dOutput: dOutput, input: input, output: output)
            kind.referenceBackward(dInput: slow, dOutput: dOutput, input: input, output: output)
            if kind == .gelu {
                for i in 0..<fast.count { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-5 * max(1, abs(slow[i]))) }
            } else {
                XCTAssertEqual(bits(fast), bits(slow), "\(kind) backward is the reference's arithmetic")
            }
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 22)
        for kind in Activation.allCases {
            let input = randomMatrix(3, 5, &generator, scale: 2)
            // Keep ReLU's inputs away from the kink, where the difference quotient is not the derivative.
            if kind == .relu { for i in 0..<input.count where abs(input[i]) < 0.05 { input[i] = 0.5 } }
            let dOutput = randomMatrix(3, 5, &generator)
            let output = Matrix(rows: 3, columns: 5)
            let loss: () -> Double = {
                kind.forward(output: output, input: input)
                return dot(output, dOutput)
            }
            _ = loss()
            let dInput = Matrix(rows: 3, columns: 5)
            kind.backward(dInput: dInput, dOutput: dOutput, input: input, output: output)
            assertGradient(dInput, of: input, step: 1e-2, tolerance: 2e-3, "\(kind) dInput", loss)
        }
    }

    func testBiasForwardEqualsAddThenActivate() {
        var generator = Xoshiro256(seed: 23)
        let input = randomMatrix(5, 19, &generator, scale: 2), bias = randomMatrix(1, 19, &generator)
        for kind in Activation.allCases {
            let fused = Matrix(rows: 5, columns: 19), separate = Matrix(rows: 5, columns: 19)
            kind.forward(output: fused, input: input, bias: bias)
            for i in 0..<5 { for j in 0..<19 { separate[i, j] = input[i, j] + bias[j] } }
            kind.forward(output: separate, input: separate)
            XCTAssertEqual(bits(fused), bits(separate), "\(kind)")
        }
    }

    func testFusedBackwardAccumulatesColumnSumsBitwise() {
        var generator = Xoshiro256(seed: 24)
        for (rows, columns) in [(3, 5), (17, 70), (64, 130)] {
            let input = randomMatrix(rows, columns, &generator, scale: 2), dOutput = randomMatrix(rows, columns, &generator)
            let output = Matrix(rows: rows, columns: columns)
            Activation.tanh.forward(output: output, input: input)
            let start = randomMatrix(1, columns, &generator)
            let fused = Matrix(rows: rows, columns: columns), fusedBias = copyOf(start)
            Activation.tanh.backward(dInput: fused, dOutput: dOutput, input: input, output: output, dBias: fusedBias)
            let separate = Matrix(rows: rows, columns: columns), separateBias = copyOf(start)
            Activation.tanh.backward(dInput: separate, dOutput: dOutput, input: input, output: output)
            Reduce.referenceAddColumnSums(into: separateBias, of: separate)
            XCTAssertEqual(bits(fused), bits(separate))
            XCTAssertEqual(bits(fusedBias), bits(separateBias), "dBias += column sums, rows in order")
        }
    }

    func testInPlaceAndThreadCountBitwise() {
        var generator = Xoshiro256(seed: 25)
        let input = randomMatrix(130, 600, &generator, scale: 3), dOutput = randomMatrix(130, 600, &generator)
        for kind in Activation.allCases {
            var results: [[UInt32]] = []
            for threads in [1, 2] {
                withThreads(threads) {
                    let y = copyOf(input)
                    kind.forward(output: y, input: y)
                    let dx = copyOf(dOutput), dBias = Matrix(rows: 1, columns: 600)
                    kind.backward(dInput: dx, dOutput: dx, input: input, output: y, dBias: dBias)
                    results.append(bits(y) + bits(dx) + bits(dBias))
                }
            }
            XCTAssertEqual(results[0], results[1], "\(kind)")
        }
    }

    /// The stored-derivative pair (forward keeping f′, in place over the input; backward reading
    /// it) gives bitwise the outputs, input gradients and bias sums of forward + fused backward,
    /// on every kind, on the sweep's tails and SIMD remainders, at 1-3 threads.
    func testStoredDerivativeEqualsRecomputedBitwise() {
        var generator = Xoshiro256(seed: 26)
        let sweep = sweep()
        for (rows, columns) in [(1, sweep.count), (3, 5), (130, 600)] {
            let input = rows == 1 ? sweep : randomMatrix(rows, columns, &generator, scale: 3)
            let dOutput = randomMatrix(rows, columns, &generator), start = randomMatrix(1, columns, &generator)
            for kind in Activation.allCases {
                let y = Matrix(rows: rows, columns: columns)
                kind.forward(output: y, input: input)
                let dx = Matrix(rows: rows, columns: columns), dBias = copyOf(start)
                kind.backward(dInput: dx, dOutput: dOutput, input: input, output: y, dBias: dBias)
                for threads in [1, 2, 3] {
                    withThreads(threads) {
                        let stored = copyOf(input), storedY = Matrix(rows: rows, columns: columns)
                        kind.forward(output: storedY, derivative: stored, input: stored)
                        XCTAssertEqual(bits(storedY), bits(y), "\(kind) forward, \(threads) threads")
                        let storedDx = copyOf(dOutput), storedBias = copyOf(start)
                        Activation.backward(dInput: storedDx, dOutput: storedDx, derivative: stored, dBias: storedBias)
                        XCTAssertEqual(bits(storedDx), bits(dx), "\(kind) dInput, \(threads) threads")
                        XCTAssertEqual(bits(storedBias), bits(dBias), "\(kind) dBias, \(threads) threads")
                    }
                }
            }
        }
    }

    func testShapeErrors() {
        XCTAssertNil(Activation.countError("forward", Matrix(rows: 2, columns: 3), Matrix(rows: 3, columns: 2)))
        XCTAssertEqual(Activation.countError("forward", Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 2)),
                       "Activation.forward: element counts differ: output 2×3, input 2×2")
        XCTAssertEqual(Activation.countError("backward", Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 3), Matrix(rows: 1, columns: 3)),
                       "Activation.backward: element counts differ: dInput 2×3, dOutput 2×3, input 2×3, output 1×3")
        XCTAssertEqual(Activation.countError("forward", Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 3), Matrix(rows: 3, columns: 3)),
                       "Activation.forward: element counts differ: output 2×3, input 2×3, derivative 3×3")
        XCTAssertEqual(Activation.countError("backward(derivative:)", Matrix(rows: 2, columns: 3), Matrix(rows: 2, columns: 3), Matrix(rows: 1, columns: 3)),
                       "Activation.backward(derivative:): element counts differ: dInput 2×3, dOutput 2×3, derivative 1×3")
        XCTAssertEqual(Activation.biasError("forward", output: Matrix(rows: 2, columns: 3), input: Matrix(rows: 2, columns: 3), bias: Matrix(rows: 1, columns: 2)),
                       "Activation.forward: shapes do not agree: output 2×3, input 2×3, bias 1×2")
    }
}
