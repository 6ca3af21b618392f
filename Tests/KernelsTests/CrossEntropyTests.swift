import Core
import XCTest
@testable import Kernels

final class CrossEntropyTests: XCTestCase {
    func targets(_ rows: Int, _ vocabulary: Int, _ generator: inout Xoshiro256) -> [Int32] {
        (0..<rows).map { _ in Int32(generator.nextInt(below: vocabulary)) }
    }

    func testLossAndGradientMatchReference() {
        var generator = Xoshiro256(seed: 31)
        for (rows, vocabulary) in [(1, 1), (3, 7), (5, 8), (4, 27), (9, 65), (2, 300)] {
            let logits = randomMatrix(rows, vocabulary, &generator, scale: 5)
            let ids = targets(rows, vocabulary, &generator)
            let reference = copyOf(logits), fast = copyOf(logits)
            let expected = CrossEntropy.referenceForwardBackward(logits: reference, targets: ids, gradientScale: 0.25)
            XCTAssertEqual(CrossEntropy.loss(logits: logits, targets: ids), expected, accuracy: 1e-5 * max(1, expected))
            let loss = CrossEntropy.forwardBackward(logits: fast, targets: ids, gradientScale: 0.25)
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * max(1, expected))
            for i in 0..<fast.count {
                XCTAssertEqual(fast[i], reference[i], accuracy: 1e-5 * max(abs(reference[i]), 1e-3), "\(rows)×\(vocabulary) [\(i)]")
            }
            XCTAssertEqual(CrossEntropy.referenceLoss(logits: logits, targets: ids), expected, accuracy: 1e-12 * max(1, expected))
        }
    }

    func testGradientMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 32)
        let logits = randomMatrix(3, 6, &generator, scale: 2)
        let ids = targets(3, 6, &generator)
        let gradient = copyOf(logits)
        _ = CrossEntropy.forwardBackward(logits: gradient, targets: ids, gradientScale: 1)
        assertGradient(gradient, of: logits, step: 1e-2, tolerance: 2e-3, "dLogits") {
            CrossEntropy.loss(logits: logits, targets: ids)
        }
    }

    func testStableForExtremeLogits() {
        let logits = Matrix(rows: 2, columns: 4, values: [1e4, -1e4, 0, 1e4, -3e4, -3e4 + 1, -3e4, -3e4])
        let loss = CrossEntropy.loss(logits: logits, targets: [0, 1])
        let expected = CrossEntropy.referenceLoss(logits: logits, targets: [0, 1])
        XCTAssertTrue(loss.isFinite)
        XCTAssertEqual(loss, expected, accuracy: 1e-5)
        let gradient = copyOf(logits)
        _ = CrossEntropy.forwardBackward(logits: gradient, targets: [0, 1], gradientScale: 1)
        XCTAssertTrue(gradient.toArray().allSatisfy(\.isFinite))
        XCTAssertEqual(gradient[0], -0.5, accuracy: 1e-6)
    }

    func testMeanForwardBackward() {
        var generator = Xoshiro256(seed: 33)
        let logits = randomMatrix(4, 9, &generator), ids = targets(4, 9, &generator)
        let a = copyOf(logits), b = copyOf(logits)
        let mean = CrossEntropy.meanForwardBackward(logits: a, targets: ids)
        let sum = CrossEntropy.forwardBackward(logits: b, targets: ids, gradientScale: 0.25)
        XCTAssertEqual(mean, sum / 4)
        XCTAssertEqual(bits(a), bits(b))
    }

    func testBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 34)
        let logits = randomMatrix(100, 1030, &generator, scale: 4), ids = targets(100, 1030, &generator)
        var losses: [Double] = [], gradients: [[UInt32]] = []
        for threads in [1, 2, 1, 2] {
            withThreads(threads) {
                let g = copyOf(logits)
                losses.append(CrossEntropy.forwardBackward(logits: g, targets: ids, gradientScale: 0.01))
                gradients.append(bits(g))
            }
        }
        for i in 1..<4 {
            XCTAssertEqual(losses[i].bitPattern, losses[0].bitPattern)
            XCTAssertEqual(gradients[i], gradients[0])
        }
    }

    func testTargetErrors() {
        let logits = Matrix(rows: 2, columns: 3)
        XCTAssertNil(CrossEntropy.targetError(logits, [0, 2]))
        XCTAssertEqual(CrossEntropy.targetError(logits, [0]), "CrossEntropy: 1 targets for logits 2×3")
        XCTAssertEqual(CrossEntropy.targetError(logits, [0, 3]), "CrossEntropy: target 3 of row 1 outside 0..<3 (logits 2×3)")
    }
}
