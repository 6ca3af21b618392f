import Core
import XCTest
@testable import Kernels

final class ReduceTests: XCTestCase {
    func testSumOfSquaresMatchesReference() {
        var generator = Xoshiro256(seed: 51)
        for count in [0, 1, 7, 16, 17, 1000, Reduce.chunkSize, Reduce.chunkSize + 13, 3 * Reduce.chunkSize + 5] {
            let x = randomMatrix(1, count, &generator, scale: 3)
            let fast = Reduce.sumOfSquares(x), slow = Reduce.referenceSumOfSquares(x)
            XCTAssertEqual(fast, slow, accuracy: 1e-12 * max(slow, 1), "count \(count)")
        }
        XCTAssertEqual(Reduce.norm([Matrix.vector([3]), Matrix.vector([4])]), 5)
    }

    func testSumOfSquaresBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 52)
        let x = randomMatrix(1, 9 * Reduce.chunkSize + 77, &generator)
        let results = [1, 2, 3, 2].map { threads in withThreads(threads) { Reduce.sumOfSquares(x).bitPattern } }
        XCTAssertEqual(Set(results).count, 1)
    }

    func testAddColumnSumsIsReferenceBitwise() {
        var generator = Xoshiro256(seed: 53)
        for (rows, columns) in [(1, 1), (3, 7), (32, 65), (256, 130), (300, 700)] {
            let x = randomMatrix(rows, columns, &generator), start = randomMatrix(1, columns, &generator)
            let fast = copyOf(start), slow = copyOf(start)
            Reduce.addColumnSums(into: fast, of: x)
            Reduce.referenceAddColumnSums(into: slow, of: x)
            XCTAssertEqual(bits(fast), bits(slow), "\(rows)×\(columns)")
            let threaded = copyOf(start)
            withThreads(2) { Reduce.addColumnSums(into: threaded, of: x) }
            XCTAssertEqual(bits(threaded), bits(slow))
        }
    }

    func testScale() {
        var generator = Xoshiro256(seed: 54)
        let x = randomMatrix(1, 100_003, &generator)
        let expected = x.toArray().map { $0 * 0.37 }
        withThreads(2) { Reduce.scale(x, by: 0.37) }
        XCTAssertEqual(x.toArray(), expected)
    }
}
