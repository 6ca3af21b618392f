import Core
import XCTest
@testable import Kernels

final class TableCrossEntropyTests: XCTestCase {
    func ids(_ count: Int, below bound: Int, _ generator: inout Xoshiro256) -> [Int32] {
        (0..<count).map { _ in Int32(generator.nextInt(below: bound)) }
    }

    /// The three kernels TableCrossEntropy replaces: lookup, cross-entropy, scatter-add into zeros.
    func threeKernelPath(table: Matrix, tokens: [Int32], targets: [Int32], count: Int, scale: Float) -> (Double, Matrix) {
        let logits = Matrix(rows: count, columns: table.columns)
        Embedding.forward(output: logits, tokens: tokens, table: table, contextLength: 1)
        let loss = CrossEntropy.forwardBackward(logits: logits, targets: targets, gradientScale: scale)
        let dTable = Matrix(rows: table.rows, columns: table.columns)
        Embedding.backward(dTable: dTable, dOutput: logits, tokens: tokens, contextLength: 1)
        return (loss, dTable)
    }

    // Table rows × columns, examples: one row, one column, a ragged width under 8, the character
    // bigram, more rows than examples, rows no example uses, a wide ragged row, tokens repeated.
    let sizes = [(1, 1, 4), (1, 5, 3), (7, 3, 20), (65, 65, 256), (300, 9, 40), (12, 17, 5), (5, 1030, 50), (3, 8, 64)]

    func testBitwiseTheThreeKernelPath() {
        var generator = Xoshiro256(seed: 41)
        for (rows, columns, count) in sizes {
            let table = randomMatrix(rows, columns, &generator, scale: 4)
            let tokens = ids(count, below: rows, &generator), targets = ids(count, below: columns, &generator)
            let (expectedLoss, expectedGradient) = threeKernelPath(table: table, tokens: tokens, targets: targets, count: count, scale: 0.37)
            let dTable = randomMatrix(rows, columns, &generator)  // every row must be overwritten
            let loss = TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: count,
                                                         dTable: dTable, gradientScale: 0.37)
            XCTAssertEqual(loss.bitPattern, expectedLoss.bitPattern, "\(rows)×\(columns), \(count) examples")
            XCTAssertEqual(bits(dTable), bits(expectedGradient), "\(rows)×\(columns), \(count) examples")
            let lossOnly = TableCrossEntropy.loss(table: table, tokens: tokens, targets: targets, count: count)
            XCTAssertEqual(lossOnly.bitPattern, expectedLoss.bitPattern, "\(rows)×\(columns), \(count) examples, loss only")
        }
    }

    func testMatchesReference() {
        var generator = Xoshiro256(seed: 42)
        for (rows, columns, count) in sizes {
            let table = randomMatrix(rows, columns, &generator, scale: 4)
            let tokens = ids(count, below: rows, &generator), targets = ids(count, below: columns, &generator)
            let expectedGradient = Matrix(rows: rows, columns: columns), dTable = Matrix(rows: rows, columns: columns)
            let expected = TableCrossEntropy.referenceForwardBackward(table: table, tokens: tokens, targets: targets, count: count,
                                                                      dTable: expectedGradient, gradientScale: 0.5)
            let loss = TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: count,
                                                         dTable: dTable, gradientScale: 0.5)
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * max(1, expected))
            for i in 0..<dTable.count {
                XCTAssertEqual(dTable[i], expectedGradient[i], accuracy: 1e-5 * max(abs(expectedGradient[i]), 1e-3),
                               "\(rows)×\(columns) [\(i)]")
            }
        }
    }

    func testGradientMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 43)
        let table = randomMatrix(4, 6, &generator, scale: 2)
        let tokens: [Int32] = [2, 0, 2, 2, 1], targets = ids(5, below: 6, &generator)
        let gradient = Matrix(rows: 4, columns: 6)
        _ = TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: 5, dTable: gradient, gradientScale: 1)
        assertGradient(gradient, of: table, step: 1e-2, tolerance: 2e-3, "dTable") {
            TableCrossEntropy.loss(table: table, tokens: tokens, targets: targets, count: 5)
        }
        // Token 3 is unused: its row has no gradient.
        XCTAssertEqual((18..<24).map { gradient[$0] }, [Float](repeating: 0, count: 6))
    }

    func testOnlyTheFirstCountExamplesCount() {
        var generator = Xoshiro256(seed: 44)
        let table = randomMatrix(6, 10, &generator)
        let tokens = ids(9, below: 6, &generator), targets = ids(9, below: 10, &generator)
        let fromLonger = Matrix(rows: 6, columns: 10), fromExact = Matrix(rows: 6, columns: 10)
        let longerLoss = TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: 4,
                                                           dTable: fromLonger, gradientScale: 1)
        let exactLoss = TableCrossEntropy.forwardBackward(table: table, tokens: Array(tokens[..<4]), targets: Array(targets[..<4]),
                                                          count: 4, dTable: fromExact, gradientScale: 1)
        XCTAssertEqual(longerLoss.bitPattern, exactLoss.bitPattern)
        XCTAssertEqual(bits(fromLonger), bits(fromExact))
        let empty = randomMatrix(6, 10, &generator)
        XCTAssertEqual(TableCrossEntropy.forwardBackward(table: table, tokens: [], targets: [], count: 0, dTable: empty, gradientScale: 1), 0)
        XCTAssertEqual(empty.toArray(), [Float](repeating: 0, count: 60))
    }

    func testBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 45)
        // Large enough to run as several tasks.
        let table = randomMatrix(200, 300, &generator, scale: 3)
        let tokens = ids(500, below: 200, &generator), targets = ids(500, below: 300, &generator)
        var losses: [Double] = [], gradients: [[UInt32]] = []
        for threads in [1, 2, 1, 2] {
            withThreads(threads) {
                let dTable = Matrix(rows: 200, columns: 300)
                losses.append(TableCrossEntropy.forwardBackward(table: table, tokens: tokens, targets: targets, count: 500,
                                                                dTable: dTable, gradientScale: 0.002))
                gradients.append(bits(dTable))
            }
        }
        for i in 1..<4 {
            XCTAssertEqual(losses[i].bitPattern, losses[0].bitPattern)
            XCTAssertEqual(gradients[i], gradients[0])
        }
    }

    func testInputErrors() {
        let table = Matrix(rows: 3, columns: 4)
        XCTAssertNil(TableCrossEntropy.inputError(table: table, tokens: [0, 2], targets: [3, 0], count: 2, dTable: nil))
        XCTAssertEqual(TableCrossEntropy.inputError(table: table, tokens: [0], targets: [3, 0], count: 2, dTable: nil),
                       "TableCrossEntropy: operands do not agree: table 3×4, 1 tokens, 2 targets, count 2")
        XCTAssertEqual(TableCrossEntropy.inputError(table: table, tokens: [0, 3], targets: [3, 0], count: 2, dTable: nil),
                       "TableCrossEntropy: token 3 of example 1 outside 0..<3 (table 3×4, 2 tokens, 2 targets, count 2)")
        XCTAssertEqual(TableCrossEntropy.inputError(table: table, tokens: [0, 1], targets: [4, 0], count: 2, dTable: nil),
                       "TableCrossEntropy: target 4 of example 0 outside 0..<4 (table 3×4, 2 tokens, 2 targets, count 2)")
        XCTAssertEqual(TableCrossEntropy.inputError(table: table, tokens: [0], targets: [0], count: 1, dTable: Matrix(rows: 4, columns: 3)),
                       "TableCrossEntropy: dTable must have the table's shape: table 3×4, 1 tokens, 1 targets, count 1, dTable 4×3")
    }
}
