// Softmax + cross-entropy over rows of logits, fused, beside its reference.
//
// Shapes: logits (B,V), targets B ids in 0..<V. Numerically stable: each row is shifted by its
// maximum before exponentiation. Per row: one pass for the maximum, one for Σ e^{x−max} (SIMD
// exp, eight Float partial sums combined in Double) and, for the backward, one that writes
// (p − onehot)·scale. Each row's loss is computed in Double into a per-row slot and the slots
// are added in row order, so the sum is bitwise independent of how rows are split between
// threads. Deliberately not handled: label smoothing, ignored targets, class weights.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum CrossEntropy {
    /// Sum over rows of −log softmax(logits)[target]. Leaves `logits` unchanged (evaluation).
    public static func loss(logits: Matrix, targets: [Int32]) -> Double {
        run(logits: logits, targets: targets, writesGradient: false, gradientScale: 0)
    }

    /// Returns the same sum as `loss`, and overwrites `logits` with
    /// dLogits = (softmax(logits) − onehot(target)) · gradientScale (pass 1/B for a mean loss).
    public static func forwardBackward(logits: Matrix, targets: [Int32], gradientScale: Float) -> Double {
        run(logits: logits, targets: targets, writesGradient: true, gradientScale: gradientScale)
    }

    /// The mean loss over the B rows, writing the gradient of that mean into `logits`:
    /// `forwardBackward(gradientScale: 1/B) / B`.
    public static func meanForwardBackward(logits: Matrix, targets: [Int32]) -> Double {
        let rows = max(logits.rows, 1)
        return forwardBackward(logits: logits, targets: targets, gradientScale: 1 / Float(rows)) / Double(rows)
    }

    private static func run(logits: Matrix, targets: [Int32], writesGradient: Bool, gradientScale: Float) -> Double {
        if let message = targetError(logits, targets) { preconditionFailure(message) }
        let rows = logits.rows
        if rows == 0 { return 0 }
        let rowLosses = Workspace.current.doubles.reserve(rows)
        logits.withUnsafeMutablePointer { base in
            targets.withUnsafeBufferPointer { ids in
                var job = CrossEntropyJob(logits: base, columns: logits.columns, targets: ids.baseAddress!,
                                          rowLosses: rowLosses, writesGradient: writesGradient, gradientScale: gradientScale)
                let grain = max(1, (1 << 13) / max(logits.columns, 1))
                Parallel.forEachRange(count: rows, grain: grain, context: &job, crossEntropyRows)
            }
        }
        var total = 0.0
        for row in 0..<rows { total += rowLosses[row] }
        return total
    }

    /// Why these targets cannot be used with these logits, or nil.
    static func targetError(_ logits: Matrix, _ targets: [Int32]) -> String? {
        if targets.count < logits.rows {
            return "CrossEntropy: \(targets.count) targets for logits \(logits.shapeDescription)"
        }
        for b in 0..<logits.rows {
            let target = Int(targets[b])
            if target < 0 || target >= logits.columns {
                return "CrossEntropy: target \(target) of row \(b) outside 0..<\(logits.columns) (logits \(logits.shapeDescription))"
            }
        }
        return nil
    }

    // MARK: Reference

    /// The plain loop in Double, as `loss`. The oracle.
    public static func referenceLoss(logits: Matrix, targets: [Int32]) -> Double {
        if let message = targetError(logits, targets) { preconditionFailure(message) }
        var total = 0.0
        for b in 0..<logits.rows {
            var maximum = -Float.infinity
            for v in 0..<logits.columns { maximum = max(maximum, logits[b, v]) }
            var sum = 0.0
            for v in 0..<logits.columns { sum += exp(Double(logits[b, v] - maximum)) }
            total += log(sum) - Double(logits[b, Int(targets[b])] - maximum)
        }
        return total
    }

    /// The plain loop in Double, as `forwardBackward`. The oracle.
    public static func referenceForwardBackward(logits: Matrix, targets: [Int32], gradientScale: Float) -> Double {
        if let message = targetError(logits, targets) { preconditionFailure(message) }
        var total = 0.0
        for b in 0..<logits.rows {
            var maximum = -Float.infinity
            for v in 0..<logits.columns { maximum = max(maximum, logits[b, v]) }
            var sum = 0.0
            for v in 0..<logits.columns { sum += exp(Double(logits[b, v] - maximum)) }
            let target = Int(targets[b])
            total += log(sum) - Double(logits[b, target] - maximum)
            for v in 0..<logits.columns {
                let probability = exp(Double(logits[b, v] - maximum)) / sum
                logits[b, v] = Float((probability - (v == target ? 1 : 0)) * Double(gradientScale))
            }
        }
        return total
    }
}

private struct CrossEntropyJob {
    let logits: UnsafeMutablePointer<Float>
    let columns: Int
    let targets: UnsafePointer<Int32>
    let rowLosses: UnsafeMutablePointer<Double>
    let writesGradient: Bool
    let gradientScale: Float
}

private let crossEntropyRows: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: CrossEntropyJob.self).pointee
    let shape = SoftmaxRow(columns: job.columns)
    for row in start..<end {
        let x = job.logits + row &* job.columns
        let rowMaximum = shape.maximum(x)
        let target = Int(job.targets[row])
        // Read before the backward overwrites the row with e^{x − max}.
        let targetShifted = Double(x[target] - rowMaximum)
        let sum = job.writesGradient ? shape.exponentiate(x, shift: rowMaximum, writingTo: x)
                                     : shape.sumOfExponentials(x, shift: rowMaximum)
        job.rowLosses[row] = log(sum) - targetShifted
        if job.writesGradient {
            shape.scale(x, by: Float(Double(job.gradientScale) / sum))
            x[target] = x[target] - job.gradientScale
        }
    }
}

/// One row of `columns` logits as the softmax kernels walk it: 8-lane vectors, then a ragged end.
/// Every softmax kernel goes through it, so that they all round alike and can be compared bit for
/// bit.
///
/// A row of at least 8 with a ragged end covers it with one more full vector over the last 8
/// columns, overlapping the previous one; the overlap is masked out of the sum, and its stores
/// write the very values the main loop writes (the same exp of the same inputs), so the bits do
/// not change. Rows under 8 go lane by lane.
struct SoftmaxRow {
    let vectorEnd: Int
    let tail: Int
    let overlaps: Bool
    let lastStart: Int
    /// Lanes of the last vector that the main loop did not already cover.
    let freshLanes: SIMDMask<SIMD8<Int32>>

    @inline(__always)
    init(columns: Int) {
        vectorEnd = columns & ~7
        tail = columns &- vectorEnd
        overlaps = tail > 0 && columns >= 8
        lastStart = columns &- 8
        freshLanes = Vector8(0, 1, 2, 3, 4, 5, 6, 7) .>= Vector8(repeating: Float(8 &- tail))
    }

    @inline(__always)
    func maximum(_ x: UnsafePointer<Float>) -> Float {
        var maxVector = Vector8(repeating: -.infinity)
        var j = 0
        while j < vectorEnd { maxVector = Kernels.maximum(maxVector, load8(x + j)); j &+= 8 }
        if overlaps { maxVector = Kernels.maximum(maxVector, load8(x + lastStart)) }
        // Lane by lane: `SIMD.max()` is a generic call in the standard library, not inlined.
        var rowMaximum = maxVector[0]
        for lane in 1..<8 where maxVector[lane] > rowMaximum { rowMaximum = maxVector[lane] }
        if !overlaps { for t in 0..<tail where x[vectorEnd &+ t] > rowMaximum { rowMaximum = x[vectorEnd &+ t] } }
        return rowMaximum
    }

    /// Σ e^{x − shift}, eight Float partial sums combined in Double.
    @inline(__always)
    func sumOfExponentials(_ x: UnsafePointer<Float>, shift: Float) -> Double {
        walk(x, shift: shift, writes: false, to: UnsafeMutablePointer(mutating: x))
    }

    /// Σ e^{x − shift} as `sumOfExponentials`, and e^{x − shift} stored to `destination`, which
    /// may be `x` itself.
    @inline(__always)
    func exponentiate(_ x: UnsafePointer<Float>, shift: Float, writingTo destination: UnsafeMutablePointer<Float>) -> Double {
        walk(x, shift: shift, writes: true, to: destination)
    }

    @inline(__always)
    private func walk(_ x: UnsafePointer<Float>, shift rowMaximum: Float, writes: Bool, to destination: UnsafeMutablePointer<Float>) -> Double {
        let shift = Vector8(repeating: rowMaximum)
        // The last vector's exponentials, from the inputs before the main loop overwrites them.
        let lastExp = overlaps ? FastMath.exp(load8(x + lastStart) - shift) : Vector8()
        var sumVector = Vector8()
        var j = 0
        while j < vectorEnd {
            let e = FastMath.exp(load8(x + j) - shift)
            if writes { store8(e, destination + j) }
            sumVector = sumVector + e
            j &+= 8
        }
        var tailSum: Float = 0
        if overlaps {
            if writes { store8(lastExp, destination + lastStart) }
            sumVector = sumVector + lastExp.replacing(with: 0, where: .!freshLanes)
        } else if tail > 0 {
            var e = FastMath.exp(loadPartial8(x + vectorEnd, tail) - shift)
            for lane in tail..<8 { e[lane] = 0 }
            if writes { storePartial8(e, destination + vectorEnd, tail) }
            tailSum = e.sum()
        }
        var sum = 0.0
        for lane in 0..<8 { sum += Double(sumVector[lane]) }
        return sum + Double(tailSum)
    }

    /// x ← x · factor, elementwise.
    @inline(__always)
    func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float) {
        let factor = Vector8(repeating: factor)
        // The last vector first: it reads its inputs before the main loop scales the overlap.
        let lastScaled = overlaps ? load8(x + lastStart) * factor : Vector8()
        var j = 0
        while j < vectorEnd { store8(load8(x + j) * factor, x + j); j &+= 8 }
        if overlaps {
            store8(lastScaled, x + lastStart)
        } else if tail > 0 {
            storePartial8(loadPartial8(x + vectorEnd, tail) * factor, x + vectorEnd, tail)
        }
    }
}
