// Cross-entropy of logits that are rows of a table looked up by token (the bigram's whole forward
// and backward), with one softmax per distinct token rather than one per example, beside its
// reference.
//
// Shapes: table (V, W), tokens and targets `count` ids; example b's logits are table[tokens[b]]
// and its target targets[b] is in 0..<W. Examples with the same token share their logits, so they
// share their softmax: a batch of B over a V-row table needs min(B, V) softmaxes, not B (a
// character bigram with B 256 and V 65 exponentiates a quarter as much). The results are bitwise
// those of the three kernels this replaces, Embedding.forward, CrossEntropy.forwardBackward and
// Embedding.backward into a zeroed dTable: each distinct row's maximum, exponentials, sum and
// scaled probabilities come from the same code (SoftmaxRow), and each example's gradient row is
// added into dTable in batch order, rounded exactly as those kernels round it. Each example's loss
// goes to its own slot and the slots are added in batch order.
//
// A serial counting sort first lists each token's examples in batch order; then tasks take ranges
// of tokens, and each writes only its own rows of dTable, so the bits do not depend on the thread
// count. Deliberately not handled: contexts longer than one token (that is the MLP's embedding,
// whose rows feed a product, not a softmax), label smoothing, ignored targets.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum TableCrossEntropy {
    /// Σ over the first `count` examples of −log softmax(table[tokens[b]])[targets[b]].
    public static func loss(table: Matrix, tokens: [Int32], targets: [Int32], count: Int) -> Double {
        run(table: table, tokens: tokens, targets: targets, count: count, dTable: nil, gradientScale: 0)
    }

    /// Returns the same sum as `loss`, and overwrites every row of `dTable` (the table's shape)
    /// with gradientScale · ∂sum/∂table; rows of tokens the batch does not use are zero.
    public static func forwardBackward(table: Matrix, tokens: [Int32], targets: [Int32], count: Int,
                                       dTable: Matrix, gradientScale: Float) -> Double {
        run(table: table, tokens: tokens, targets: targets, count: count, dTable: dTable, gradientScale: gradientScale)
    }

    private static func run(table: Matrix, tokens: [Int32], targets: [Int32], count: Int,
                            dTable: Matrix?, gradientScale: Float) -> Double {
        if let message = inputError(table: table, tokens: tokens, targets: targets, count: count, dTable: dTable) {
            preconditionFailure(message)
        }
        if count == 0 {
            dTable?.fill(0)
            return 0
        }
        let rows = table.rows, columns = table.columns
        let workspace = Workspace.current
        let rowLosses = workspace.doubles.reserve(count)
        // groupStart[a]..<groupStart[a + 1] indexes token a's examples in `examples`.
        let indices = workspace.indices.reserve(2 &* (rows &+ 1) &+ count)
        let groupStart = indices, cursor = indices + (rows &+ 1), examples = indices + 2 &* (rows &+ 1)
        tokens.withUnsafeBufferPointer { ids in
            groupStart.initialize(repeating: 0, count: rows &+ 1)
            for b in 0..<count { groupStart[Int(ids[b]) &+ 1] &+= 1 }
            for a in 0..<rows { groupStart[a &+ 1] &+= groupStart[a] }
            cursor.update(from: groupStart, count: rows)
            for b in 0..<count {
                let a = Int(ids[b])
                examples[Int(cursor[a])] = Int32(b)
                cursor[a] &+= 1
            }
        }
        table.withUnsafeMutablePointer { source in
            targets.withUnsafeBufferPointer { ids in
                withUnsafeMutablePointer(orNil: dTable) { gradient in
                    var job = TableCrossEntropyJob(table: source, columns: columns, targets: ids.baseAddress!,
                                                   groupStart: groupStart, examples: examples, rowLosses: rowLosses,
                                                   dTable: gradient, gradientScale: gradientScale)
                    // Tasks only when the exponentials and row additions outweigh waking a worker.
                    let work = (min(count, rows) &* 4 &+ count) &* columns
                    Parallel.forEachRange(count: rows, grain: work >= 1 << 17 ? 16 : Int.max, context: &job, tableCrossEntropyRows)
                }
            }
        }
        var total = 0.0
        for b in 0..<count { total += rowLosses[b] }
        return total
    }

    /// Why these operands do not fit together, or nil: counts and shapes first, then every id.
    static func inputError(table: Matrix, tokens: [Int32], targets: [Int32], count: Int, dTable: Matrix?) -> String? {
        var shapes: String {
            "table \(table.shapeDescription), \(tokens.count) tokens, \(targets.count) targets, count \(count)"
                + (dTable.map { ", dTable \($0.shapeDescription)" } ?? "")
        }
        if count < 0 || tokens.count < count || targets.count < count || table.columns < 1 {
            return "TableCrossEntropy: operands do not agree: \(shapes)"
        }
        if let dTable, dTable.rows != table.rows || dTable.columns != table.columns {
            return "TableCrossEntropy: dTable must have the table's shape: \(shapes)"
        }
        for b in 0..<count {
            if tokens[b] < 0 || Int(tokens[b]) >= table.rows {
                return "TableCrossEntropy: token \(tokens[b]) of example \(b) outside 0..<\(table.rows) (\(shapes))"
            }
            if targets[b] < 0 || Int(targets[b]) >= table.columns {
                return "TableCrossEntropy: target \(targets[b]) of example \(b) outside 0..<\(table.columns) (\(shapes))"
            }
        }
        return nil
    }

    // MARK: Reference

    /// The three reference kernels in a row, in Double where they are: each example's logits
    /// copied out, its softmax and loss, its gradient added into the zeroed dTable. The oracle.
    public static func referenceForwardBackward(table: Matrix, tokens: [Int32], targets: [Int32], count: Int,
                                                dTable: Matrix, gradientScale: Float) -> Double {
        if let message = inputError(table: table, tokens: tokens, targets: targets, count: count, dTable: dTable) {
            preconditionFailure(message)
        }
        let logits = Matrix(rows: count, columns: table.columns)
        Embedding.referenceForward(output: logits, tokens: tokens, table: table, contextLength: 1)
        let loss = CrossEntropy.referenceForwardBackward(logits: logits, targets: targets, gradientScale: gradientScale)
        dTable.fill(0)
        Embedding.referenceBackward(dTable: dTable, dOutput: logits, tokens: tokens, contextLength: 1)
        return loss
    }
}

private struct TableCrossEntropyJob {
    let table: UnsafeMutablePointer<Float>
    let columns: Int
    let targets: UnsafePointer<Int32>
    let groupStart: UnsafeMutablePointer<Int32>
    let examples: UnsafeMutablePointer<Int32>
    let rowLosses: UnsafeMutablePointer<Double>
    let dTable: UnsafeMutablePointer<Float>?
    let gradientScale: Float
}

/// Tokens `start..<end`: one softmax per token the batch uses, then its examples in batch order.
private let tableCrossEntropyRows: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: TableCrossEntropyJob.self).pointee
    let columns = job.columns
    let shape = SoftmaxRow(columns: columns)
    let scale = job.gradientScale
    let probabilities = Workspace.current.tableBlock.reserve(columns)
    for token in start..<end {
        let first = Int(job.groupStart[token]), last = Int(job.groupStart[token &+ 1])
        let row = job.dTable.map { $0 + token &* columns }
        if first == last {
            row?.update(repeating: 0, count: columns)
            continue
        }
        let logits = UnsafePointer(job.table + token &* columns)
        let rowMaximum = shape.maximum(logits)
        let sum = row == nil ? shape.sumOfExponentials(logits, shift: rowMaximum)
                             : shape.exponentiate(logits, shift: rowMaximum, writingTo: probabilities)
        let logSum = log(sum)
        if let row {
            // (softmax · scale), as CrossEntropy.forwardBackward leaves it before the target's −scale.
            shape.scale(probabilities, by: Float(Double(scale) / sum))
        }
        for slot in first..<last {
            let example = Int(job.examples[slot])
            job.rowLosses[example] = logSum - Double(logits[Int(job.targets[example])] - rowMaximum)
        }
        if let row { accumulateGradients(probabilities, scale: scale, into: row, columns: columns, job: job, examples: first..<last) }
    }
}

/// row ← Σ over the examples, in batch order, of their gradient rows: the probabilities with
/// (probability − scale) at the example's target. Each element's sum starts from zero and adds the
/// same values in the same order as Embedding.backward does into a zeroed dTable, so the bits are
/// its bits; eight elements at a time are summed in a register, the examples' targets blended in
/// lane by lane.
@inline(__always)
private func accumulateGradients(_ probabilities: UnsafePointer<Float>, scale: Float, into row: UnsafeMutablePointer<Float>,
                                 columns: Int, job: TableCrossEntropyJob, examples: Range<Int>) {
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var chunk = 0
    while chunk < columns {
        let width = min(8, columns &- chunk)
        let p = width == 8 ? load8(probabilities + chunk) : loadPartial8(probabilities + chunk, width)
        let atTarget = p - Vector8(repeating: scale)
        var sum = Vector8()
        for slot in examples {
            let target = job.targets[Int(job.examples[slot])]
            let isTarget = lanes .== SIMD8<Int32>(repeating: target &- Int32(truncatingIfNeeded: chunk))
            sum = sum + p.replacing(with: atTarget, where: isTarget)
        }
        if width == 8 { store8(sum, row + chunk) } else { storePartial8(sum, row + chunk, width) }
        chunk &+= 8
    }
}
