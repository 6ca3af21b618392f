import Core
import XCTest
@testable import Kernels

final class RowwiseProductTests: XCTestCase {
    /// Every element is one fused multiply-add chain in k order, the same chain the reference
    /// writes out, so the two agree to the bit; and a row's bits do not depend on the other rows
    /// or on the thread count.
    func testForwardMatchesTheReferenceBitwiseOnUnfriendlySizes() {
        var generator = Xoshiro256(seed: 11)
        for (rows, k, n) in [(1, 1, 1), (1, 3, 7), (2, 64, 8), (3, 17, 31), (1, 512, 32), (5, 9, 33), (4, 100, 65), (2, 5, 130), (70, 40, 100), (1, 512, 512)] {
            let input = randomMatrix(rows, k, &generator), weight = randomMatrix(k, n, &generator)
            for bias in [nil, randomMatrix(1, n, &generator)] {
                let expected = Matrix(rows: rows, columns: n)
                RowwiseProduct.reference(output: expected, input: input, weight: weight, bias: bias)
                for threads in [1, 2, 3] {
                    let output = Matrix(rows: rows, columns: n)
                    withThreads(threads) { RowwiseProduct.forward(output: output, input: input, weight: weight, bias: bias) }
                    XCTAssertEqual(bits(output), bits(expected), "\(rows)×\(k)·\(k)×\(n), bias \(bias != nil), \(threads) threads")
                }
                // Row by row gives the same bits as all rows at once.
                for r in 0..<rows {
                    let one = Matrix(rows: 1, columns: n)
                    let row = input.rows(r..<(r + 1))
                    RowwiseProduct.forward(output: one, input: row, weight: weight, bias: bias)
                    XCTAssertEqual(bits(one), Array(bits(expected)[(r * n)..<((r + 1) * n)]))
                }
            }
        }
    }

    func testForwardAgreesWithTheGemm() {
        var generator = Xoshiro256(seed: 12)
        let input = randomMatrix(6, 48, &generator), weight = randomMatrix(48, 65, &generator), bias = randomMatrix(1, 65, &generator)
        let rowwise = Matrix(rows: 6, columns: 65), gemm = Matrix(rows: 6, columns: 65)
        RowwiseProduct.forward(output: rowwise, input: input, weight: weight, bias: bias)
        MatMul.multiply(gemm, input, weight, form: .nn, bias: bias)
        for i in 0..<gemm.count { XCTAssertEqual(rowwise[i], gemm[i], accuracy: 1e-5 * max(1, abs(gemm[i]))) }
    }
}
