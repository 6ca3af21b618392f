// The product for generation, where a forward pass has one row per sample being generated (often
// one): `output = input · weight + bias` computed row by row. The GEMM would pack the whole
// weight for every call, which for one row costs more than the product itself.
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
                    withUnsafeMutablePointer(orNil: bias) { b in
                        let n = output.columns, blocksPerRow = (n + blockColumns - 1) / blockColumns
                        let units = output.rows * blocksPerRow
                        // A task should have at least 2^16 multiply-adds to outweigh waking a thread.
                        let tasks = max(1, min(Parallel.threadCount, units, (output.rows &* input.columns &* n) >> 16))
                        var job = ProductJob(out: out, x: x, w: w, bias: b, k: input.columns, n: n,
                                             blocksPerRow: blocksPerRow, units: units, tasks: tasks)
                        Parallel.run(taskCount: job.tasks, context: &job, productTask)
                    }
                }
            }
        }
    }

    /// Output columns per unit of work: 8 accumulators of 8 lanes, enough independent
    /// multiply-add chains to cover the FMA latency.
    static let blockColumns = 64

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
}

private struct ProductJob {
    let out: UnsafeMutablePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let w: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let k: Int
    let n: Int
    let blocksPerRow: Int
    let units: Int
    let tasks: Int
}

/// Task `task` of `job.tasks` computes a contiguous share of the (row, 64-column block) units.
private let productTask: Parallel.TaskFunction = { context, task in
    let job = context.assumingMemoryBound(to: ProductJob.self).pointee
    let first = job.units &* task / job.tasks, last = job.units &* (task &+ 1) / job.tasks
    for unit in first..<last {
        let row = unit / job.blocksPerRow
        let start = (unit % job.blocksPerRow) &* RowwiseProduct.blockColumns
        productBlock(job, row: row, columns: start..<min(start &+ RowwiseProduct.blockColumns, job.n))
    }
}

/// One row's `columns`: 64 at a time down k with 8 accumulators, then 8 at a time, then 1 at a
/// time, every element in the same k order.
@inline(__always)
private func productBlock(_ job: ProductJob, row r: Int, columns: Range<Int>) {
    let (k, n, w) = (job.k, job.n, job.w)
    let x = job.x + r &* k
    let out = job.out + r &* n
    var j = columns.lowerBound
    if columns.count == 64 {
        var a = (Vector8(repeating: 0), Vector8(repeating: 0), Vector8(repeating: 0), Vector8(repeating: 0),
                 Vector8(repeating: 0), Vector8(repeating: 0), Vector8(repeating: 0), Vector8(repeating: 0))
        if let bias = job.bias {
            let b = bias + j
            a = (load8(b), load8(b + 8), load8(b + 16), load8(b + 24), load8(b + 32), load8(b + 40), load8(b + 48), load8(b + 56))
        }
        var p = w + j
        for i in 0..<k {
            let xi = Vector8(repeating: x[i])
            a.0 = a.0.addingProduct(xi, load8(p)); a.1 = a.1.addingProduct(xi, load8(p + 8))
            a.2 = a.2.addingProduct(xi, load8(p + 16)); a.3 = a.3.addingProduct(xi, load8(p + 24))
            a.4 = a.4.addingProduct(xi, load8(p + 32)); a.5 = a.5.addingProduct(xi, load8(p + 40))
            a.6 = a.6.addingProduct(xi, load8(p + 48)); a.7 = a.7.addingProduct(xi, load8(p + 56))
            p += n
        }
        let o = out + j
        store8(a.0, o); store8(a.1, o + 8); store8(a.2, o + 16); store8(a.3, o + 24)
        store8(a.4, o + 32); store8(a.5, o + 40); store8(a.6, o + 48); store8(a.7, o + 56)
        return
    }
    while j &+ 8 <= columns.upperBound {
        var a = job.bias.map { load8($0 + j) } ?? Vector8(repeating: 0)
        var p = w + j
        for i in 0..<k {
            a = a.addingProduct(Vector8(repeating: x[i]), load8(p))
            p += n
        }
        store8(a, out + j)
        j &+= 8
    }
    while j < columns.upperBound {
        var a: Float = job.bias.map { $0[j] } ?? 0
        for i in 0..<k { a = a.addingProduct(x[i], w[i &* n &+ j]) }
        out[j] = a
        j &+= 1
    }
}
