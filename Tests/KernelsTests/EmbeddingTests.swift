import Core
import XCTest
@testable import Kernels

final class EmbeddingTests: XCTestCase {
    func tokens(_ count: Int, _ vocabulary: Int, _ generator: inout Xoshiro256) -> [Int32] {
        (0..<count).map { _ in Int32(generator.nextInt(below: vocabulary)) }
    }

    func testForwardAndBackwardMatchReferenceBitwise() {
        var generator = Xoshiro256(seed: 41)
        for (batch, context, width, vocabulary) in [(1, 1, 1, 1), (3, 2, 5, 7), (32, 3, 10, 27), (5, 4, 17, 3)] {
            let table = randomMatrix(vocabulary, width, &generator)
            let ids = tokens(batch * context, vocabulary, &generator)
            let fast = Matrix(rows: batch, columns: context * width), slow = Matrix(rows: batch, columns: context * width)
            Embedding.forward(output: fast, tokens: ids, table: table, contextLength: context)
            Embedding.referenceForward(output: slow, tokens: ids, table: table, contextLength: context)
            XCTAssertEqual(bits(fast), bits(slow))
            let dOutput = randomMatrix(batch, context * width, &generator)
            let start = randomMatrix(vocabulary, width, &generator)
            let dFast = copyOf(start), dSlow = copyOf(start)
            Embedding.backward(dTable: dFast, dOutput: dOutput, tokens: ids, contextLength: context)
            Embedding.referenceBackward(dTable: dSlow, dOutput: dOutput, tokens: ids, contextLength: context)
            XCTAssertEqual(bits(dFast), bits(dSlow), "scatter-add accumulates in (b, t) order")
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 42)
        let table = randomMatrix(4, 3, &generator)
        let ids: [Int32] = [1, 1, 3, 0, 1, 2]
        let dOutput = randomMatrix(3, 6, &generator)
        let output = Matrix(rows: 3, columns: 6)
        let dTable = Matrix(rows: 4, columns: 3)
        Embedding.backward(dTable: dTable, dOutput: dOutput, tokens: ids, contextLength: 2)
        assertGradient(dTable, of: table, "dTable") {
            Embedding.forward(output: output, tokens: ids, table: table, contextLength: 2)
            return dot(output, dOutput)
        }
    }

    func testBackwardBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 43)
        let (batch, context, width, vocabulary) = (64, 8, 128, 300)
        let ids = tokens(batch * context, vocabulary, &generator)
        let dOutput = randomMatrix(batch, context * width, &generator)
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            let dTable = Matrix(rows: vocabulary, columns: width)
            withThreads(threads) { Embedding.backward(dTable: dTable, dOutput: dOutput, tokens: ids, contextLength: context) }
            results.append(bits(dTable))
        }
        XCTAssertEqual(results[1], results[0])
        XCTAssertEqual(results[2], results[0])
    }

    func testShapeErrors() {
        let table = Matrix(rows: 5, columns: 2)
        XCTAssertNil(Embedding.shapeError("forward", output: Matrix(rows: 2, columns: 6), tokens: [0, 1, 2, 3, 4, 0], table: table, contextLength: 3))
        XCTAssertEqual(Embedding.shapeError("forward", output: Matrix(rows: 2, columns: 5), tokens: [0, 1, 2, 3, 4, 0], table: table, contextLength: 3),
                       "Embedding.forward: shapes do not agree: output 2×5, 6 tokens, table 5×2, context 3")
        XCTAssertEqual(Embedding.shapeError("backward", output: Matrix(rows: 2, columns: 6), tokens: [0, 1, 2, 3, 5, 0], table: table, contextLength: 3),
                       "Embedding.backward: token 5 at position 4 outside vocabulary 0..<5 (dOutput 2×6, 6 tokens, dTable 5×2, context 3)")
        XCTAssertNotNil(Embedding.shapeError("forward", output: Matrix(rows: 2, columns: 6), tokens: [0, 1, 2], table: table, contextLength: 3))
    }
}
