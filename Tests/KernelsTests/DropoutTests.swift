import Core
import XCTest
@testable import Kernels

final class DropoutTests: XCTestCase {
    /// Forward and backward against the scalar reference, bitwise, on sizes off the vector width
    /// and at 1–3 threads; in place as well.
    func testForwardAndBackwardEqualTheReferenceAtEveryThreadCount() {
        var generator = Xoshiro256(seed: 5)
        for (rows, columns) in [(1, 1), (1, 7), (3, 8), (5, 9), (37, 45), (256, 129)] {
            let input = randomMatrix(rows, columns, &generator)
            for rate: Float in [0, 0.1, 0.5, 0.9] {
                let mask = DropoutMask(rate: rate, key: 0xABCD_0123_4567_89EF)
                let expected = Matrix(rows: rows, columns: columns)
                Dropout.reference(output: expected, input: input, mask: mask)
                for threads in 1...3 {
                    let output = Matrix(rows: rows, columns: columns)
                    withThreads(threads) { Dropout.forward(output: output, input: input, mask: mask) }
                    XCTAssertEqual(bits(output), bits(expected), "forward \(rows)×\(columns) rate \(rate) threads \(threads)")
                    let gradient = copyOf(input)
                    withThreads(threads) { Dropout.backward(dInput: gradient, dOutput: gradient, mask: mask) }
                    XCTAssertEqual(bits(gradient), bits(expected), "backward in place \(rows)×\(columns) rate \(rate) threads \(threads)")
                }
            }
        }
    }

    /// The backward is the forward's derivative: for L = Σ w·dropout(x), central differences of L
    /// equal dropout's backward applied to w.
    func testBackwardMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 6)
        let x = randomMatrix(9, 13, &generator), w = randomMatrix(9, 13, &generator)
        let mask = DropoutMask(rate: 0.3, key: 77)
        let y = Matrix(rows: 9, columns: 13)
        func loss() -> Double {
            Dropout.forward(output: y, input: x, mask: mask)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(w[$1]) }
        }
        let dx = Matrix(rows: 9, columns: 13)
        Dropout.backward(dInput: dx, dOutput: w, mask: mask)
        for index in 0..<x.count {
            let numeric = centralDifference(x, index, step: 1e-2, loss)
            XCTAssertEqual(numeric, Double(dx[index]), accuracy: 1e-4 * max(1, abs(numeric)), "element \(index)")
        }
    }

    /// Over 2¹⁸ elements the kept fraction is 1 − rate to within 0.5%, kept values are scaled by
    /// 1/(1 − rate), and two keys draw masks that agree only as often as independent ones would.
    func testMasksHaveTheirRateAndKeysAreIndependent() {
        let count = 1 << 18
        let ones = Matrix(rows: 1, columns: count)
        ones.fill(1)
        for rate: Float in [0.1, 0.25, 0.5] {
            let a = Matrix(rows: 1, columns: count), b = Matrix(rows: 1, columns: count)
            Dropout.forward(output: a, input: ones, mask: DropoutMask(rate: rate, key: 1))
            Dropout.forward(output: b, input: ones, mask: DropoutMask(rate: rate, key: 2))
            let kept = (0..<count).filter { a[$0] != 0 }
            XCTAssertEqual(Double(kept.count) / Double(count), Double(1 - rate), accuracy: 0.005, "rate \(rate)")
            XCTAssertTrue(kept.allSatisfy { a[$0] == 1 / (1 - rate) }, "kept values scaled, rate \(rate)")
            let agree = (0..<count).filter { (a[$0] != 0) == (b[$0] != 0) }.count
            let independent = Double((1 - rate) * (1 - rate) + rate * rate)
            XCTAssertEqual(Double(agree) / Double(count), independent, accuracy: 0.005, "keys 1 and 2, rate \(rate)")
        }
    }

    func testRateZeroCopiesTheInput() {
        var generator = Xoshiro256(seed: 8)
        let input = randomMatrix(4, 11, &generator)
        let output = Matrix(rows: 4, columns: 11)
        Dropout.forward(output: output, input: input, mask: DropoutMask(rate: 0, key: 3))
        XCTAssertEqual(bits(output), bits(input))
    }
}
