// Token embedding lookup with context concatenation, and its scatter-add backward, each beside
// its reference.
//
// Shapes (B batch, T context length, d embedding width, V vocabulary):
//   tokens (B·T) ids, row b holds the T context tokens of example b, oldest first;
//   table (V,d); output (B, T·d) = [table[t_1] | table[t_2] | … | table[t_T]].
//
// The backward is deterministic: every row of dTable receives its additions in (b, t) order.
// With several threads each task owns a range of token ids and scans all contexts in order, so
// the bits do not depend on the thread count. Deliberately not handled: padding ids, max-norm.

public enum Embedding {
    /// Gathers the embedding rows of each example's context into one row of `output`.
    public static func forward(output: Matrix, tokens: [Int32], table: Matrix, contextLength: Int) {
        if let message = shapeError("forward", output: output, tokens: tokens, table: table, contextLength: contextLength) {
            preconditionFailure(message)
        }
        let width = table.columns, slots = output.rows &* contextLength
        output.withUnsafeMutablePointer { out in
            table.withUnsafeMutablePointer { rows in
                tokens.withUnsafeBufferPointer { ids in
                    for slot in 0..<slots {
                        copy(from: rows + Int(ids[slot]) &* width, to: out + slot &* width, count: width)
                    }
                }
            }
        }
    }

    /// Accumulates dTable[token] += the slice of dOutput that token's copy produced.
    public static func backward(dTable: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        if let message = shapeError("backward", output: dOutput, tokens: tokens, table: dTable, contextLength: contextLength) {
            preconditionFailure(message)
        }
        let width = dTable.columns
        dTable.withUnsafeMutablePointer { table in
            dOutput.withUnsafeMutablePointer { gradient in
                tokens.withUnsafeBufferPointer { ids in
                    var job = EmbeddingBackwardJob(table: table, gradient: gradient, tokens: ids.baseAddress!,
                                                   slots: dOutput.rows &* contextLength, width: width)
                    // Parallel only when the additions outweigh every task's scan of all tokens.
                    let additions = job.slots &* width
                    let grain = additions >= 1 << 16 ? max(16, dTable.rows / 8) : Int.max
                    Parallel.forEachRange(count: dTable.rows, grain: grain, context: &job, embeddingBackwardRange)
                }
            }
        }
    }

    /// Why these operands do not fit together, or nil: shapes first, then every token id.
    static func shapeError(_ pass: String, output: Matrix, tokens: [Int32], table: Matrix, contextLength: Int) -> String? {
        let batch = output.rows
        let names = pass == "forward" ? ("output", "table") : ("dOutput", "dTable")
        var shapes: String { "\(names.0) \(output.shapeDescription), \(tokens.count) tokens, \(names.1) \(table.shapeDescription), context \(contextLength)" }
        if contextLength < 1 || output.columns != contextLength * table.columns || tokens.count < batch * contextLength {
            return "Embedding.\(pass): shapes do not agree: \(shapes)"
        }
        for slot in 0..<(batch * contextLength) where tokens[slot] < 0 || Int(tokens[slot]) >= table.rows {
            return "Embedding.\(pass): token \(tokens[slot]) at position \(slot) outside vocabulary 0..<\(table.rows) (\(shapes))"
        }
        return nil
    }

    // MARK: Reference

    /// The plain loop for `forward`. The oracle.
    public static func referenceForward(output: Matrix, tokens: [Int32], table: Matrix, contextLength: Int) {
        if let message = shapeError("forward", output: output, tokens: tokens, table: table, contextLength: contextLength) {
            preconditionFailure(message)
        }
        let width = table.columns
        for b in 0..<output.rows {
            for t in 0..<contextLength {
                let token = Int(tokens[b * contextLength + t])
                for j in 0..<width { output[b, t * width + j] = table[token, j] }
            }
        }
    }

    /// The plain loop for `backward`, in (b, t) order. The oracle.
    public static func referenceBackward(dTable: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        if let message = shapeError("backward", output: dOutput, tokens: tokens, table: dTable, contextLength: contextLength) {
            preconditionFailure(message)
        }
        let width = dTable.columns
        for b in 0..<dOutput.rows {
            for t in 0..<contextLength {
                let token = Int(tokens[b * contextLength + t])
                for j in 0..<width { dTable[token, j] += dOutput[b, t * width + j] }
            }
        }
    }
}

@inline(__always)
private func copy(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    while j &+ 8 <= count { store8(load8(source + j), destination + j); j &+= 8 }
    while j < count { destination[j] = source[j]; j &+= 1 }
}

private struct EmbeddingBackwardJob {
    let table: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>
    let tokens: UnsafePointer<Int32>
    let slots: Int
    let width: Int
}

/// Token ids `start..<end`: scans every slot in order and adds the ones in range.
private let embeddingBackwardRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: EmbeddingBackwardJob.self).pointee
    let width = job.width
    for slot in 0..<job.slots {
        let token = Int(job.tokens[slot])
        if token < start || token >= end { continue }
        let row = job.table + token &* width
        let source = job.gradient + slot &* width
        var j = 0
        while j &+ 8 <= width { store8(load8(row + j) + load8(source + j), row + j); j &+= 8 }
        while j < width { row[j] = row[j] + source[j]; j &+= 1 }
    }
}
