import Core
import XCTest
@testable import Kernels

final class TokenTablesTests: XCTestCase {
    func tokens(_ count: Int, _ vocabulary: Int, _ generator: inout Xoshiro256) -> [Int32] {
        (0..<count).map { _ in Int32(generator.nextInt(below: vocabulary)) }
    }

    /// (batch, context, width d, hidden H, vocabulary): V = 1, T = 1, V > B, widths off the
    /// vector and tile sizes, and d = 17 (dE's columns in two parts of 16 and 1).
    let shapes = [(1, 1, 1, 1, 1), (3, 1, 2, 5, 7), (2, 4, 3, 37, 1), (5, 3, 2, 45, 40), (33, 2, 7, 70, 5), (4, 5, 9, 16, 3),
                  (6, 3, 17, 40, 9)]

    func assertClose(_ fast: Matrix, _ slow: Matrix, scale: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        for i in 0..<fast.count where abs(Double(fast[i]) - Double(slow[i])) > 1e-5 * max(scale, abs(Double(slow[i]))) {
            return XCTFail("\(message)[\(i)]: \(fast[i]) against \(slow[i])", file: file, line: line)
        }
    }

    func testGatherSumMatchesReferenceBitwise() {
        var generator = Xoshiro256(seed: 51)
        for (batch, context, _, hidden, vocabulary) in shapes {
            let tables = randomMatrix(context * vocabulary, hidden, &generator)
            let bias = randomMatrix(1, hidden, &generator)
            let ids = tokens(batch * context, vocabulary, &generator)
            for withBias in [true, false] {
                let fast = Matrix(rows: batch, columns: hidden), slow = Matrix(rows: batch, columns: hidden)
                TokenTables.gatherSum(output: fast, tables: tables, tokens: ids, contextLength: context, bias: withBias ? bias : nil)
                TokenTables.referenceGatherSum(output: slow, tables: tables, tokens: ids, contextLength: context, bias: withBias ? bias : nil)
                XCTAssertEqual(bits(fast), bits(slow), "gather-sum \(batch)×\(context)×\(hidden), V \(vocabulary)")
            }
        }
    }

    /// The fused layer: forward bitwise `build` then `gatherSum`; backward close to the plain
    /// loops and bitwise the unfused pass (the reference scatter-add, then the products), with
    /// H up to 900: dE's products in one, two and three k-blocks.
    func testFusedLayerMatchesTablesAndReference() {
        var generator = Xoshiro256(seed: 56)
        for (batch, context, width, hidden, vocabulary) in shapes + [(256, 4, 8, 300, 65), (40, 3, 5, 37, 2), (16, 2, 3, 500, 9),
                                                                          (8, 3, 4, 900, 5)] {
            let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
            let bias = randomMatrix(1, hidden, &generator)
            let ids = tokens(batch * context, vocabulary, &generator)
            let tables = Matrix(rows: context * vocabulary, columns: hidden)
            TokenTables.build(tables: tables, embedding: embedding, weight: weight, contextLength: context)
            for withBias in [true, false] {
                let viaTables = Matrix(rows: batch, columns: hidden)
                TokenTables.gatherSum(output: viaTables, tables: tables, tokens: ids, contextLength: context, bias: withBias ? bias : nil)
                let fused = randomMatrix(batch, hidden, &generator)
                TokenTables.forward(output: fused, embedding: embedding, weight: weight, tokens: ids, contextLength: context,
                                    bias: withBias ? bias : nil)
                XCTAssertEqual(bits(fused), bits(viaTables), "fused forward \(batch)×\(context)×\(hidden), V \(vocabulary)")
            }

            let dOutput = randomMatrix(batch, hidden, &generator)
            // −0 where a row's first addition lands: the scatter must store 0 + (−0) = +0 there,
            // as adding to a cleared row does.
            for i in stride(from: 0, to: dOutput.count, by: 3) { dOutput[i] = -0.0 }
            // Start from garbage: the backward writes every element.
            let dEmbedding = randomMatrix(vocabulary, width, &generator), dWeight = randomMatrix(context * width, hidden, &generator)
            TokenTables.backward(dEmbedding: dEmbedding, dWeight: dWeight, dOutput: dOutput, embedding: embedding, weight: weight,
                                 tokens: ids, contextLength: context)
            let dTables = randomMatrix(context * vocabulary, hidden, &generator)
            TokenTables.referenceGatherSumBackward(dTables: dTables, dOutput: dOutput, tokens: ids, contextLength: context)
            let dEmbeddingSlow = Matrix(rows: vocabulary, columns: width), dWeightSlow = Matrix(rows: context * width, columns: hidden)
            TokenTables.referenceBuildBackward(dEmbedding: dEmbeddingSlow, dWeight: dWeightSlow, dTables: dTables, embedding: embedding,
                                               weight: weight, contextLength: context)
            assertClose(dEmbedding, dEmbeddingSlow, scale: Double(batch * hidden), "dEmbedding")
            assertClose(dWeight, dWeightSlow, scale: Double(batch), "dWeight")
            // Bitwise the unfused pass: the scatter-add in b order, then dW_t = Eᵀ·dP_t and
            // dE = Σ_t dP_t·W_tᵀ as one product accumulating over t.
            let dEmbeddingUnfused = Matrix(rows: vocabulary, columns: width)
            for t in 0..<context {
                let dWeightT = Matrix(rows: width, columns: hidden), dTablesT = dTables.rows(t * vocabulary ..< (t + 1) * vocabulary)
                MatMul.multiply(dWeightT, embedding, dTablesT, form: .tn, path: .direct)
                XCTAssertEqual(bits(dWeight.rows(t * width ..< (t + 1) * width)), bits(dWeightT), "dW_\(t)")
                MatMul.multiply(dEmbeddingUnfused, dTablesT, weight.rows(t * width ..< (t + 1) * width), form: .nt, accumulate: t > 0)
            }
            XCTAssertEqual(bits(dEmbedding), bits(dEmbeddingUnfused), "dE \(batch)×\(context)×\(hidden), V \(vocabulary)")
        }
    }

    func testBuildMatchesReference() {
        var generator = Xoshiro256(seed: 52)
        for (_, context, width, hidden, vocabulary) in shapes {
            let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
            let fast = Matrix(rows: context * vocabulary, columns: hidden), slow = Matrix(rows: context * vocabulary, columns: hidden)
            TokenTables.build(tables: fast, embedding: embedding, weight: weight, contextLength: context)
            TokenTables.referenceBuild(tables: slow, embedding: embedding, weight: weight, contextLength: context)
            assertClose(fast, slow, scale: Double(width), "tables")

        }
    }

    /// The whole layer (build, then gather-sum) against the dense one it replaces:
    /// concat(E[tokens])·W + bias.
    func testTablesEqualTheDenseLayer() {
        var generator = Xoshiro256(seed: 53)
        for (batch, context, width, hidden, vocabulary) in shapes {
            let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
            let bias = randomMatrix(1, hidden, &generator)
            let ids = tokens(batch * context, vocabulary, &generator)
            let tables = Matrix(rows: context * vocabulary, columns: hidden)
            TokenTables.build(tables: tables, embedding: embedding, weight: weight, contextLength: context)
            let viaTables = Matrix(rows: batch, columns: hidden)
            TokenTables.gatherSum(output: viaTables, tables: tables, tokens: ids, contextLength: context, bias: bias)
            let x = Matrix(rows: batch, columns: context * width), dense = Matrix(rows: batch, columns: hidden)
            Embedding.forward(output: x, tokens: ids, table: embedding, contextLength: context)
            MatMul.multiply(dense, x, weight, form: .nn, bias: bias)
            assertClose(viaTables, dense, scale: Double(context * width), "tables against dense")
        }
    }

    func testBackwardsMatchFiniteDifferences() {
        var generator = Xoshiro256(seed: 54)
        let (batch, context, width, hidden, vocabulary) = (5, 3, 2, 4, 3)
        let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
        let bias = randomMatrix(1, hidden, &generator)
        let ids = tokens(batch * context, vocabulary, &generator)
        let dOutput = randomMatrix(batch, hidden, &generator)
        let tables = Matrix(rows: context * vocabulary, columns: hidden), output = Matrix(rows: batch, columns: hidden)
        // L = Σ output·dOutput with output = the fused layer, bias included.
        func loss() -> Double {
            TokenTables.forward(output: output, embedding: embedding, weight: weight, tokens: ids, contextLength: context, bias: bias)
            return dot(output, dOutput)
        }
        let dEmbedding = Matrix(rows: vocabulary, columns: width), dWeight = Matrix(rows: context * width, columns: hidden)
        TokenTables.backward(dEmbedding: dEmbedding, dWeight: dWeight, dOutput: dOutput, embedding: embedding, weight: weight,
                             tokens: ids, contextLength: context)
        assertGradient(dEmbedding, of: embedding, "dEmbedding", loss)
        assertGradient(dWeight, of: weight, "dWeight", loss)
        // The reference scatter-add: the gradient of the gather-sum with respect to the tables.
        TokenTables.build(tables: tables, embedding: embedding, weight: weight, contextLength: context)
        let dTables = Matrix(rows: context * vocabulary, columns: hidden)
        TokenTables.referenceGatherSumBackward(dTables: dTables, dOutput: dOutput, tokens: ids, contextLength: context)
        assertGradient(dTables, of: tables, "dTables") {
            TokenTables.gatherSum(output: output, tables: tables, tokens: ids, contextLength: context, bias: bias)
            return dot(output, dOutput)
        }
    }

    func testBitwiseAcrossThreadCounts() {
        var generator = Xoshiro256(seed: 55)
        // Large enough that the products, the fused forward's column blocks and the backward's
        // positions run on the pool.
        for (batch, context, width, hidden, vocabulary) in [(256, 16, 8, 96, 65), (64, 1, 4, 200, 300), (37, 3, 5, 70, 27),
                                                            (64, 4, 24, 130, 40)] {
            let embedding = randomMatrix(vocabulary, width, &generator), weight = randomMatrix(context * width, hidden, &generator)
            let ids = tokens(batch * context, vocabulary, &generator)
            let dOutput = randomMatrix(batch, hidden, &generator)
            var results: [[UInt32]] = []
            for threads in [1, 2, 3] {
                let tables = Matrix(rows: context * vocabulary, columns: hidden), output = Matrix(rows: batch, columns: hidden)
                let fused = Matrix(rows: batch, columns: hidden)
                let dEmbedding = Matrix(rows: vocabulary, columns: width), dWeight = Matrix(rows: context * width, columns: hidden)
                withThreads(threads) {
                    TokenTables.build(tables: tables, embedding: embedding, weight: weight, contextLength: context)
                    TokenTables.gatherSum(output: output, tables: tables, tokens: ids, contextLength: context, bias: nil)
                    TokenTables.forward(output: fused, embedding: embedding, weight: weight, tokens: ids, contextLength: context, bias: nil)
                    TokenTables.backward(dEmbedding: dEmbedding, dWeight: dWeight, dOutput: dOutput, embedding: embedding, weight: weight,
                                         tokens: ids, contextLength: context)
                }
                results.append(bits(output) + bits(fused) + bits(dEmbedding) + bits(dWeight))
            }
            XCTAssertEqual(results[1], results[0])
            XCTAssertEqual(results[2], results[0])
        }
    }

    func testShapeErrors() {
        let tables = Matrix(rows: 6, columns: 4)
        XCTAssertNil(TokenTables.gatherError("gatherSum", output: Matrix(rows: 2, columns: 4), tables: tables, tokens: [0, 2, 1, 0],
                                             contextLength: 2, bias: nil))
        XCTAssertEqual(TokenTables.gatherError("gatherSum", output: Matrix(rows: 2, columns: 4), tables: tables, tokens: [0, 3, 1, 0],
                                               contextLength: 2, bias: nil),
                       "TokenTables.gatherSum: token 3 at position 1 outside vocabulary 0..<3 (output 2×4, tables 6×4, 4 tokens, context 2)")
        XCTAssertNotNil(TokenTables.gatherError("gatherSum", output: Matrix(rows: 2, columns: 4), tables: tables, tokens: [0, 1],
                                                contextLength: 2, bias: nil))
        XCTAssertNotNil(TokenTables.gatherError("gatherSum", output: Matrix(rows: 2, columns: 5), tables: tables, tokens: [0, 1, 1, 0],
                                                contextLength: 2, bias: nil))
        XCTAssertNotNil(TokenTables.gatherError("gatherSum", output: Matrix(rows: 2, columns: 4), tables: tables, tokens: [0, 1, 1, 0],
                                                contextLength: 4, bias: nil))
        let (embedding, weight) = (Matrix(rows: 3, columns: 2), Matrix(rows: 4, columns: 4))
        XCTAssertNil(TokenTables.layerError("forward", output: Matrix(rows: 2, columns: 4), embedding: embedding, weight: weight,
                                            tokens: [0, 2, 1, 0], contextLength: 2, bias: nil))
        XCTAssertEqual(TokenTables.layerError("backward", output: Matrix(rows: 2, columns: 4), embedding: embedding, weight: weight,
                                              tokens: [0, 2, 1, 3], contextLength: 2, bias: nil),
                       "TokenTables.backward: token 3 at position 3 outside vocabulary 0..<3 (output 2×4, embedding 3×2, weight 4×4, 4 tokens, context 2)")
        XCTAssertEqual(TokenTables.layerError("forward", output: Matrix(rows: 2, columns: 4), embedding: embedding,
                                              weight: Matrix(rows: 6, columns: 4), tokens: [0, 2, 1, 0], contextLength: 2, bias: nil),
                       "TokenTables.forward: shapes do not agree: output 2×4, embedding 3×2, weight 6×4, 4 tokens, context 2")
        XCTAssertNotNil(TokenTables.layerError("forward", output: Matrix(rows: 2, columns: 4), embedding: embedding, weight: weight,
                                               tokens: [0, 2, 1, 0], contextLength: 2, bias: Matrix(rows: 1, columns: 3)))
        XCTAssertEqual(TokenTables.tablesError("build", tables: tables, embedding: Matrix(rows: 3, columns: 2),
                                               weight: Matrix(rows: 5, columns: 4), contextLength: 2),
                       "TokenTables.build: shapes do not agree: tables 6×4, embedding 3×2, weight 5×4, context 2")
    }
}
