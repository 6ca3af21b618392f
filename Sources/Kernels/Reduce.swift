// Reductions training needs: squared norms (gradient clipping), column sums (bias gradients),
// scaling. Each beside its reference.
//
// Summation order is fixed by the problem size alone. `sumOfSquares` cuts the input into chunks
// of `chunkSize` elements, sums each chunk in Double (four 4-lane partial sums, combined in a
// fixed tree) and adds the chunk sums in chunk order: the same bits on 1 or N threads.
// `addColumnSums` adds rows in order, per column, in Float: bitwise the reference loop.
// Deliberately not handled: other norms, Kahan summation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Reduce {
    /// Elements per partial sum of `sumOfSquares`. Part of the result's definition: changing it
    /// changes the last bits.
    static let chunkSize = 1 << 14

    /// Σ x², accumulated in Double.
    public static func sumOfSquares(_ x: Matrix) -> Double {
        let count = x.count
        if count == 0 { return 0 }
        let chunks = (count + chunkSize - 1) / chunkSize
        let partials = Workspace.current.doubles.reserve(chunks)
        x.withUnsafeMutablePointer { base in
            var job = SumOfSquaresJob(x: base, count: count, partials: partials)
            // The ranges here are chunk indices: each chunk sum is independent of the split.
            Parallel.forEachRange(count: chunks, grain: 4, context: &job, sumOfSquaresChunks)
        }
        var total = 0.0
        for chunk in 0..<chunks { total += partials[chunk] }
        return total
    }

    /// The global L2 norm of several gradient buffers: √(Σ over all of them of x²), the value
    /// that gradient clipping compares with its threshold.
    public static func norm(_ buffers: [Matrix]) -> Double {
        var total = 0.0
        for buffer in buffers { total += sumOfSquares(buffer) }
        return total.squareRoot()
    }

    /// into[j] += Σ_rows x[row, j].
    public static func addColumnSums(into: Matrix, of x: Matrix) {
        if into.count != x.columns {
            preconditionFailure("Reduce.addColumnSums: into has \(into.count) elements, x is \(x.shapeDescription)")
        }
        into.withUnsafeMutablePointer { target in
            x.withUnsafeMutablePointer { source in
                var job = ColumnSumsJob(into: target, x: source, rows: x.rows, columns: x.columns)
                Parallel.forEachRange(count: x.columns, grain: max(64, (1 << 16) / max(x.rows, 1)), context: &job, columnSumsRange)
            }
        }
    }

    /// x *= factor, elementwise.
    public static func scale(_ x: Matrix, by factor: Float) {
        x.withUnsafeMutablePointer { base in
            var job = ScaleJob(x: base, factor: factor)
            Parallel.forEachRange(count: x.count, grain: 1 << 16, context: &job, scaleRange)
        }
    }

    // MARK: Reference

    /// Σ x² in Double, in index order. The oracle.
    public static func referenceSumOfSquares(_ x: Matrix) -> Double {
        var sum = 0.0
        for i in 0..<x.count { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }

    /// into[j] += Σ_rows x[row, j], rows in order, in Float. The oracle.
    public static func referenceAddColumnSums(into: Matrix, of x: Matrix) {
        precondition(into.count == x.columns, "Reduce.referenceAddColumnSums: into has \(into.count) elements, x is \(x.shapeDescription)")
        for j in 0..<x.columns {
            var sum: Float = 0
            for i in 0..<x.rows { sum += x[i, j] }
            into[j] += sum
        }
    }
}

private struct SumOfSquaresJob {
    let x: UnsafeMutablePointer<Float>
    let count: Int
    let partials: UnsafeMutablePointer<Double>
}

private let sumOfSquaresChunks: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: SumOfSquaresJob.self).pointee
    for chunk in start..<end {
        let first = chunk &* Reduce.chunkSize
        let last = min(first &+ Reduce.chunkSize, job.count)
        job.partials[chunk] = sumOfSquares(job.x + first, count: last &- first)
    }
}

/// Σ x² over one chunk: four 4-lane Double accumulators over 16 elements per step, then a fixed
/// combination order, then the scalar tail.
@inline(__always)
private func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
    var i = 0
    while i &+ 16 <= count {
        let a = load8(x + i), b = load8(x + (i &+ 8))
        let d0 = SIMD4<Double>(a.lowHalf), d1 = SIMD4<Double>(a.highHalf)
        let d2 = SIMD4<Double>(b.lowHalf), d3 = SIMD4<Double>(b.highHalf)
        s0 = s0.addingProduct(d0, d0); s1 = s1.addingProduct(d1, d1)
        s2 = s2.addingProduct(d2, d2); s3 = s3.addingProduct(d3, d3)
        i &+= 16
    }
    let lanes = (s0 + s1) + (s2 + s3)
    var sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    while i < count {
        let value = Double(x[i])
        sum = sum + value * value
        i &+= 1
    }
    return sum
}

private struct ColumnSumsJob {
    let into: UnsafeMutablePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let rows: Int
    let columns: Int
}

/// Columns `start..<end` in strips of 64, rows in order: sum = ((0 + x₀) + x₁) + …, into += sum.
private let columnSumsRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: ColumnSumsJob.self).pointee
    var stripStart = start
    while stripStart < end {
        let stripEnd = min(stripStart &+ 64, end)
        let width = stripEnd &- stripStart
        if width == 64 {
            var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
            var a4 = Vector8(), a5 = Vector8(), a6 = Vector8(), a7 = Vector8()
            var row = job.x + stripStart
            for _ in 0..<job.rows {
                a0 = a0 + load8(row); a1 = a1 + load8(row + 8); a2 = a2 + load8(row + 16); a3 = a3 + load8(row + 24)
                a4 = a4 + load8(row + 32); a5 = a5 + load8(row + 40); a6 = a6 + load8(row + 48); a7 = a7 + load8(row + 56)
                row += job.columns
            }
            let into = job.into + stripStart
            store8(load8(into) + a0, into); store8(load8(into + 8) + a1, into + 8)
            store8(load8(into + 16) + a2, into + 16); store8(load8(into + 24) + a3, into + 24)
            store8(load8(into + 32) + a4, into + 32); store8(load8(into + 40) + a5, into + 40)
            store8(load8(into + 48) + a6, into + 48); store8(load8(into + 56) + a7, into + 56)
        } else {
            var j = stripStart
            while j < stripEnd {
                let n = min(8, stripEnd &- j)
                var sum = Vector8()
                var row = job.x + j
                for _ in 0..<job.rows {
                    sum = sum + (n == 8 ? load8(row) : loadPartial8(row, n))
                    row += job.columns
                }
                if n == 8 { store8(load8(job.into + j) + sum, job.into + j) } else {
                    storePartial8(loadPartial8(job.into + j, n) + sum, job.into + j, n)
                }
                j &+= 8
            }
        }
        stripStart = stripEnd
    }
}

private struct ScaleJob {
    let x: UnsafeMutablePointer<Float>
    let factor: Float
}

private let scaleRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: ScaleJob.self).pointee
    let factor = Vector8(repeating: job.factor)
    var i = start
    while i &+ 8 <= end { store8(load8(job.x + i) * factor, job.x + i); i &+= 8 }
    while i < end { job.x[i] = job.x[i] * job.factor; i &+= 1 }
}
