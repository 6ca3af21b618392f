import Core
import GemmCore
import XCTest
@testable import Kernels

final class MatMulTests: XCTestCase {
    /// Sizes around the tiles (6 and 12 rows, 16 and 32 columns), the narrow last panel, last
    /// panels of 1-8 columns and the 384 k-block.
    let sizes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 7, 13), (7, 1, 13), (6, 16, 1), (7, 13, 65), (13, 65, 7), (65, 17, 33),
        (5, 24, 400), (12, 9, 257), (33, 40, 3), (2, 257, 5), (19, 8, 769), (30, 64, 50), (47, 96, 21),
        (25, 35, 40), (14, 38, 70), (22, 150, 30), (40, 70, 90),
    ]

    func testEveryFormAndPathMatchesDoubleReference() {
        var generator = Xoshiro256(seed: 1)
        for form in MatMulForm.allCases {
            for (m, n, k) in sizes {
                for path in [MatMulPath.direct, .packed, .automatic] {
                    for (accumulate, hasBias) in [(false, false), (false, true), (true, false), (true, true)] {
                        let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
                        let bias = hasBias ? randomMatrix(1, n, &generator) : nil
                        let c = randomMatrix(m, n, &generator)
                        let before = c.toArray()
                        MatMul.multiply(c, a, b, form: form, accumulate: accumulate, bias: bias, path: path)
                        let (value, magnitude) = doubleProduct(a, b, form: form, m: m, n: n, k: k, bias: bias)
                        for i in 0..<(m * n) {
                            let expected = (accumulate ? Double(before[i]) : 0) + value[i]
                            let scale = magnitude[i] + (accumulate ? abs(Double(before[i])) : 0)
                            if abs(Double(c[i]) - expected) > 1e-5 * max(scale, 1e-30) {
                                XCTFail("\(form) \(m)×\(n)×\(k) \(path) accumulate \(accumulate) bias \(hasBias): [\(i)] = \(c[i]), expected \(expected)")
                                return
                            }
                        }
                    }
                }
            }
        }
    }

    func testFloatReferenceAgreesWithFastPath() {
        var generator = Xoshiro256(seed: 2)
        for form in MatMulForm.allCases {
            let (m, n, k) = (9, 21, 30)
            let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
            let bias = randomMatrix(1, n, &generator)
            let fast = Matrix(rows: m, columns: n), slow = Matrix(rows: m, columns: n)
            MatMul.multiply(fast, a, b, form: form, bias: bias)
            MatMul.reference(slow, a, b, form: form, accumulate: false, bias: bias, m: m, n: n, k: k)
            for i in 0..<(m * n) { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-5 * 30) }
        }
    }

    func testDirectAndPackedPathsAreBitwiseEqual() {
        var generator = Xoshiro256(seed: 3)
        for form in MatMulForm.allCases {
            for (m, n, k) in sizes {
                let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
                let bias = randomMatrix(1, n, &generator)
                let c0 = randomMatrix(m, n, &generator)
                let c1 = copyOf(c0)
                MatMul.multiply(c0, a, b, form: form, accumulate: true, bias: bias, path: .direct)
                MatMul.multiply(c1, a, b, form: form, accumulate: true, bias: bias, path: .packed)
                XCTAssertEqual(bits(c0), bits(c1), "\(form) \(m)×\(n)×\(k)")
            }
        }
    }

    /// Shapes past the parallel threshold, so that 2 threads really split the output: by rows, by
    /// columns, and (a large B) into column slabs.
    func testBitwiseEqualAcrossThreadCountsAndRuns() {
        var generator = Xoshiro256(seed: 4)
        for (form, m, n, k) in [(MatMulForm.nn, 134, 97, 170), (.nt, 40, 300, 181), (.tn, 301, 45, 160), (.nn, 7, 1000, 300),
                                     (.nt, 40, 60, 2500), (.tn, 50, 1100, 400)] {
            XCTAssertGreaterThanOrEqual(m * n * k, GemmBlocking.parallelMinimum)
            let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
            let bias = randomMatrix(1, n, &generator)
            var results: [[UInt32]] = []
            for threads in [1, 2, 3, 2] {
                let c = Matrix(rows: m, columns: n)
                withThreads(threads) { MatMul.multiply(c, a, b, form: form, bias: bias) }
                results.append(bits(c))
            }
            for result in results.dropFirst() { XCTAssertEqual(result, results[0], "\(form) \(m)×\(n)×\(k)") }
        }
    }

    /// Large enough for B to be packed block by block (two column chunks, two k-blocks): sampled
    /// entries against Double, bitwise against the direct path, and across thread counts.
    func testBlockPackedProducts() {
        var generator = Xoshiro256(seed: 6)
        let (m, n, k) = (13, 1100, 400)
        XCTAssertGreaterThan(k * n, GemmBlocking.wholePackedBMaximum)
        for form in MatMulForm.allCases {
            let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
            let bias = randomMatrix(1, n, &generator)
            let start = randomMatrix(m, n, &generator)
            var results: [[UInt32]] = []
            for (path, threads) in [(MatMulPath.packed, 1), (.packed, 2), (.direct, 1)] {
                let c = copyOf(start)
                withThreads(threads) { MatMul.multiply(c, a, b, form: form, accumulate: true, bias: bias, path: path) }
                results.append(bits(c))
                if results.count == 1 {
                    for _ in 0..<200 {
                        let i = generator.nextInt(below: m), j = generator.nextInt(below: n)
                        var sum = Double(start[i, j]) + Double(bias[j]), size = abs(Double(start[i, j])) + abs(Double(bias[j]))
                        for p in 0..<k {
                            let x = Double(form == .tn ? a[p, i] : a[i, p]), y = Double(form == .nt ? b[j, p] : b[p, j])
                            sum += x * y
                            size += abs(x * y)
                        }
                        XCTAssertLessThanOrEqual(abs(Double(c[i, j]) - sum), 1e-5 * size, "\(form) [\(i), \(j)]")
                    }
                }
            }
            XCTAssertEqual(results[1], results[0], "\(form): 2 threads")
            XCTAssertEqual(results[2], results[0], "\(form): direct path")
        }
    }

    /// Products one task computes in several column chunks, with A packed whole in the first
    /// (block-packed and whole-packed B, one and two k-blocks): bitwise against the direct path.
    func testWholePackedAAcrossColumnChunks() {
        var generator = Xoshiro256(seed: 7)
        for (m, n, k) in [(20, 2100, 30), (13, 1100, 400), (50, 1500, 700)] {
            for form in MatMulForm.allCases {
                let (a, b) = randomOperands(form, m: m, n: n, k: k, &generator)
                let bias = randomMatrix(1, n, &generator)
                let start = randomMatrix(m, n, &generator)
                // The shape qualifies (the plan's operands are never read here).
                let dummy = UnsafeMutablePointer<Float>.allocate(capacity: 1)
                defer { dummy.deallocate() }
                var plan = GemmPlan(m: m, n: n, k: k, form: form.gemmForm, a: dummy, lda: 1, b: dummy, ldb: 1,
                                    c: dummy, ldc: 1, bias: nil, accumulate: false, tileWidth: 16, packedRows: 6)
                plan.packsA = true
                XCTAssertTrue(plan.packsWholeA, "\(form) \(m)×\(n)×\(k)")
                var results: [[UInt32]] = []
                for (path, threads) in [(MatMulPath.packed, 1), (.packed, 2), (.direct, 1)] {
                    let c = copyOf(start)
                    withThreads(threads) { MatMul.multiply(c, a, b, form: form, accumulate: true, bias: bias, path: path) }
                    results.append(bits(c))
                }
                XCTAssert(results[0] == results[2], "\(form) \(m)×\(n)×\(k): packed differs from direct")
                XCTAssert(results[1] == results[2], "\(form) \(m)×\(n)×\(k): 2 threads differ from direct")
            }
        }
    }

    func testAccumulateAddsToExistingValues() {
        var generator = Xoshiro256(seed: 5)
        let a = randomMatrix(7, 9, &generator), b = randomMatrix(9, 20, &generator)
        let once = Matrix(rows: 7, columns: 20), twice = Matrix(rows: 7, columns: 20)
        MatMul.multiply(once, a, b)
        MatMul.multiply(twice, a, b)
        MatMul.multiply(twice, a, b, accumulate: true)
        for i in 0..<once.count { XCTAssertEqual(twice[i], once[i] + once[i], accuracy: 1e-6) }
    }

    func testEmptyDimensions() {
        let bias = Matrix.vector([1, 2, 3])
        let c = Matrix(rows: 2, columns: 3, values: [10, 10, 10, 10, 10, 10])
        MatMul.multiply(c, Matrix(rows: 2, columns: 0), Matrix(rows: 0, columns: 3), bias: bias)
        XCTAssertEqual(c.toArray(), [1, 2, 3, 1, 2, 3])
        MatMul.multiply(c, Matrix(rows: 2, columns: 0), Matrix(rows: 0, columns: 3), accumulate: true, bias: bias)
        XCTAssertEqual(c.toArray(), [2, 4, 6, 2, 4, 6])
        MatMul.multiply(Matrix(rows: 0, columns: 3), Matrix(rows: 0, columns: 4), Matrix(rows: 4, columns: 3))
    }

    func testShapeErrorsNameEveryShape() {
        let c = Matrix(rows: 2, columns: 3)
        XCTAssertNil(MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 4, columns: 3), form: .nn, bias: nil))
        XCTAssertNil(MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 3, columns: 4), form: .nt, bias: nil))
        XCTAssertNil(MatMul.shapeError(c, Matrix(rows: 4, columns: 2), Matrix(rows: 4, columns: 3), form: .tn, bias: Matrix(rows: 1, columns: 3)))
        let message = MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 5, columns: 3), form: .nn, bias: nil)
        XCTAssertEqual(message, "MatMul.nn: shapes do not agree: c 2×3, a 2×4, b 5×3")
        XCTAssertNotNil(MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 4, columns: 3), form: .nt, bias: nil))
        XCTAssertNotNil(MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 4, columns: 3), form: .tn, bias: nil))
        let biasMessage = MatMul.shapeError(c, Matrix(rows: 2, columns: 4), Matrix(rows: 4, columns: 3), form: .nn, bias: Matrix(rows: 1, columns: 2))
        XCTAssertTrue(biasMessage?.contains("bias has 2 elements, c has 3 columns") ?? false, biasMessage ?? "nil")
        let shared = FloatBuffer(count: 100)
        let overlapping = MatMul.shapeError(Matrix(buffer: shared, offset: 0, rows: 2, columns: 3),
                                            Matrix(buffer: shared, offset: 4, rows: 2, columns: 4),
                                            Matrix(rows: 4, columns: 3), form: .nn, bias: nil)
        XCTAssertTrue(overlapping?.contains("overlaps") ?? false, overlapping ?? "nil")
        XCTAssertNil(MatMul.shapeError(Matrix(buffer: shared, offset: 0, rows: 2, columns: 3),
                                       Matrix(buffer: shared, offset: 6, rows: 2, columns: 4),
                                       Matrix(buffer: shared, offset: 14, rows: 4, columns: 3), form: .nn, bias: nil))
    }
}

final class LinearTests: XCTestCase {
    func testBackwardMatchesFiniteDifferences() {
        var generator = Xoshiro256(seed: 11)
        let (batch, inputs, outputs) = (3, 5, 4)
        let x = randomMatrix(batch, inputs, &generator), w = randomMatrix(inputs, outputs, &generator)
        let bias = randomMatrix(1, outputs, &generator), dOut = randomMatrix(batch, outputs, &generator)
        let out = Matrix(rows: batch, columns: outputs)
        let loss: () -> Double = {
            Linear.forward(output: out, input: x, weight: w, bias: bias)
            return dot(out, dOut)
        }
        let dx = Matrix(rows: batch, columns: inputs), dw = Matrix(rows: inputs, columns: outputs), db = Matrix(rows: 1, columns: outputs)
        Linear.backward(dInput: dx, dWeight: dw, dBias: db, dOutput: dOut, input: x, weight: w)
        assertGradient(dx, of: x, "dInput", loss)
        assertGradient(dw, of: w, "dWeight", loss)
        assertGradient(db, of: bias, "dBias", loss)
    }

    func testBackwardAccumulatesParameterGradientsAndWritesInputGradient() {
        var generator = Xoshiro256(seed: 12)
        let x = randomMatrix(4, 6, &generator), w = randomMatrix(6, 5, &generator), dOut = randomMatrix(4, 5, &generator)
        let dx = randomMatrix(4, 6, &generator), dw = Matrix(rows: 6, columns: 5), db = Matrix(rows: 1, columns: 5)
        Linear.backward(dInput: dx, dWeight: dw, dBias: db, dOutput: dOut, input: x, weight: w)
        let dxOnce = dx.toArray(), dwOnce = dw.toArray(), dbOnce = db.toArray()
        Linear.backward(dInput: dx, dWeight: dw, dBias: db, dOutput: dOut, input: x, weight: w)
        XCTAssertEqual(dx.toArray(), dxOnce, "dInput is written, not accumulated")
        for i in 0..<dw.count { XCTAssertEqual(dw[i], 2 * dwOnce[i], accuracy: 1e-6) }
        for i in 0..<db.count { XCTAssertEqual(db[i], 2 * dbOnce[i], accuracy: 1e-6) }
    }
}
