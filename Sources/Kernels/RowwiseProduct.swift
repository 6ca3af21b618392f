// Products for generation, where a forward pass has one row per sample being generated (often
// one): `output = input · weight + bias` computed row by row, and the sum of one table row per
// context position. The GEMM would pack the whole weight for every call, which for one row costs
// more than the product itself.
//
// Shapes (R rows, K input width, N output width):
//   input (R,K), weight (K,N) row-major, bias (N), output (R,N).
//
// Every output element is accumulated alone, in k order, with fused multiply-adds, so a row's
// bits depend on nothing but that row, the weight and the bias: not on R, on the other rows or on
// the thread count. That is what keeps sample i the same whether 1 or 100 samples are generated.
// Inference only: there is no backward, training's products are MatMul's.

public enum RowwiseProduct {
    /// output = input · weight + bias, each row on its own.
    public static func forward(output: Matrix, input: Matrix, weight: Matrix, bias: Matrix?) {
        let shapesAgree = input.rows == output.rows && input.columns == weight.rows && weight.columns == output.columns
            && (bias?.count ?? output.columns) == output.columns
        if !shapesAgree || MatMul.overlaps(output, input) || MatMul.overlaps(output, weight) {
            preconditionFailure("RowwiseProduct.forward: output \(output.shapeDescription), input \(input.shapeDescription), "
                                + "weight \(weight.shapeDescription), bias \(bias?.shapeDescription ?? "none")")
        }
        output.withUnsafeMutablePointer { out in
            input.withUnsafeMutablePointer { x in
                weight.withUnsafeMutablePointer { w in
                    withOptionalPointer(bias) { b in
                        var job = ProductJob(out: out, x: x, w: w, bias: b, k: input.columns, n: output.columns)
                        // A row is K·N multiply-adds; split rows across threads only when each gets many.
                        let grain = max(1, (1 << 18) / max(input.columns &* output.columns, 1))
                        Parallel.forEachRange(count: output.rows, grain: grain, context: &job, productRange)
                    }
                }
            }
        }
    }

    /// output[r] = Σ_t tables[t·V + tokens[r·T + t]] (+ nothing else), t in increasing order:
    /// one row of each of the T stacked (V, N) tables per context position. `tables` is (T·V, N).
    public static func gatherSum(output: Matrix, tables: Matrix, tokens: [Int32], contextLength: Int) {
        let t = contextLength
        guard t >= 1, output.columns == tables.columns, tables.rows % t == 0, tokens.count >= output.rows &* t,
              !MatMul.overlaps(output, tables) else {
            preconditionFailure("RowwiseProduct.gatherSum: output \(output.shapeDescription), tables \(tables.shapeDescription), "
                                + "\(tokens.count) tokens, context \(contextLength)")
        }
        let vocabulary = tables.rows / t
        for slot in 0..<(output.rows &* t) where tokens[slot] < 0 || Int(tokens[slot]) >= vocabulary {
            preconditionFailure("RowwiseProduct.gatherSum: token \(tokens[slot]) at position \(slot) outside 0..<\(vocabulary)")
        }
        let n = output.columns
        output.withUnsafeMutablePointer { out in
            tables.withUnsafeMutablePointer { rows in
                tokens.withUnsafeBufferPointer { ids in
                    for r in 0..<output.rows {
                        let target = out + r &* n
                        let context = ids.baseAddress! + r &* t
                        target.update(from: rows + Int(context[0]) &* n, count: n)
                        for position in 1..<t {
                            add(rows + (position &* vocabulary &+ Int(context[position])) &* n, into: target, count: n)
                        }
                    }
                }
            }
        }
    }

    /// The plain loop the tests compare `forward` with.
    public static func reference(output: Matrix, input: Matrix, weight: Matrix, bias: Matrix?) {
        for r in 0..<output.rows {
            for j in 0..<output.columns {
                var sum: Float = bias.map { $0[j] } ?? 0
                for k in 0..<input.columns { sum = sum.addingProduct(input[r, k], weight[k, j]) }
                output[r, j] = sum
            }
        }
    }

    @inline(__always)
    private static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j &+ 8 <= count {
            store8(load8(target + j) + load8(source + j), target + j)
            j &+= 8
        }
        while j < count {
            target[j] += source[j]
            j &+= 1
        }
    }

    private static func withOptionalPointer<R>(_ matrix: Matrix?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
        guard let matrix else { return body(nil) }
        return matrix.withUnsafeMutablePointer { body($0) }
    }
}

private struct ProductJob {
    let out: UnsafeMutablePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let w: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let k: Int
    let n: Int
}

/// Rows `start..<end`: for each block of 32 output columns, 4 accumulators of 8 lanes run down k;
/// the last columns go 8 and then 1 at a time, in the same k order.
private let productRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: ProductJob.self).pointee
    let (k, n, w) = (job.k, job.n, job.w)
    for r in start..<end {
        let x = job.x + r &* k
        let out = job.out + r &* n
        var j = 0
        while j &+ 32 <= n {
            var a0 = Vector8(repeating: 0), a1 = Vector8(repeating: 0), a2 = Vector8(repeating: 0), a3 = Vector8(repeating: 0)
            if let bias = job.bias {
                a0 = load8(bias + j); a1 = load8(bias + (j &+ 8)); a2 = load8(bias + (j &+ 16)); a3 = load8(bias + (j &+ 24))
            }
            var row = w + j
            for i in 0..<k {
                let xi = Vector8(repeating: x[i])
                a0 = a0.addingProduct(xi, load8(row))
                a1 = a1.addingProduct(xi, load8(row + 8))
                a2 = a2.addingProduct(xi, load8(row + 16))
                a3 = a3.addingProduct(xi, load8(row + 24))
                row += n
            }
            store8(a0, out + j); store8(a1, out + (j &+ 8)); store8(a2, out + (j &+ 16)); store8(a3, out + (j &+ 24))
            j &+= 32
        }
        while j &+ 8 <= n {
            var a = job.bias.map { load8($0 + j) } ?? Vector8(repeating: 0)
            var row = w + j
            for i in 0..<k {
                a = a.addingProduct(Vector8(repeating: x[i]), load8(row))
                row += n
            }
            store8(a, out + j)
            j &+= 8
        }
        while j < n {
            var a: Float = job.bias.map { $0[j] } ?? 0
            for i in 0..<k { a = a.addingProduct(x[i], w[i &* n &+ j]) }
            out[j] = a
            j &+= 1
        }
    }
}
