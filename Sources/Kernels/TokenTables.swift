// A first layer over concatenated token embeddings, computed from per-position lookup tables.
//
// With x = [E[tok_1] | … | E[tok_T]] the product x·W splits by position: x·W = Σ_t E[tok_t]·W_t,
// where W_t is the d×H block of W's rows for position t. So with one table per position,
// P_t = E·W_t, the layer is a gather-sum of table rows, and its backward is a scatter-add into
// dP_t followed by two products per position:
//   forward   P_t = E·W_t;  output[b] = bias + Σ_t P_t[tok_{b,t}]
//   backward  dP_t[v] = Σ_{b: tok_{b,t} = v} dOutput[b];  dW_t = Eᵀ·dP_t;  dE = Σ_t dP_t·W_tᵀ
// Exact up to float rounding. The products cost 2·T·V·d·H flop each instead of 2·B·T·d·H, so
// this pays when the vocabulary V is small beside the batch B (character models); see
// Models' `FirstLayerCost` for the choice.
//
// Shapes (B batch, T context length, d embedding width, H output width, V vocabulary):
//   embedding E (V,d); weight W (T·d, H), rows t·d ..< (t+1)·d are W_t; bias (H);
//   tables P (T·V, H), rows t·V ..< (t+1)·V are P_t; tokens (B·T), row b oldest first;
//   output, dOutput (B,H).
//
// Deterministic: the gather adds the bias and then the T rows in t order; the scatter gives
// every row of dP its additions in b order, each task owning a (position, column range) block,
// so no two tasks touch one element and the bits do not depend on the thread count. No atomics.
// Deliberately not handled: padding ids, strided views.

public enum TokenTables {
    // MARK: Tables

    /// tables[t·V ..< (t+1)·V] = embedding · weight[t·d ..< (t+1)·d], for every position t.
    public static func build(tables: Matrix, embedding: Matrix, weight: Matrix, contextLength: Int) {
        if let message = tablesError("build", tables: tables, embedding: embedding, weight: weight, contextLength: contextLength) {
            preconditionFailure(message)
        }
        var job = ProductsJob(tables: tables, embedding: embedding, weight: weight, dEmbedding: nil, dWeight: nil,
                              contextLength: contextLength, embeddingParts: 0)
        runProducts(&job, taskCount: contextLength)
    }

    /// The backward of `build`: dWeight[t·d ..< (t+1)·d] = embeddingᵀ · dTables_t, and
    /// dEmbedding = Σ_t dTables_t · weight_tᵀ (in t order). Both are written, not accumulated.
    public static func buildBackward(dEmbedding: Matrix, dWeight: Matrix, dTables: Matrix,
                                     embedding: Matrix, weight: Matrix, contextLength: Int) {
        if let message = tablesError("buildBackward", tables: dTables, embedding: embedding, weight: weight, contextLength: contextLength)
            ?? sameShape("buildBackward", ("dEmbedding", dEmbedding), ("embedding", embedding))
            ?? sameShape("buildBackward", ("dWeight", dWeight), ("weight", weight)) {
            preconditionFailure(message)
        }
        // dE's columns in parts of whole 8-column groups, one per thread: each part packs its own
        // rows of every W_t once (a split by rows would pack all of them once per part).
        let parts = max(1, min(Parallel.threadCount, embedding.columns / 8))
        var job = ProductsJob(tables: dTables, embedding: embedding, weight: weight, dEmbedding: dEmbedding, dWeight: dWeight,
                              contextLength: contextLength, embeddingParts: parts)
        runProducts(&job, taskCount: parts + contextLength)
    }

    /// The per-position products as tasks, each one product on one thread (a GEMM called inside
    /// a task runs inline): these products are too small for the GEMM's own thread split to pay
    /// (65×512×32 runs at one thread's speed on two), and a product's bits do not depend on the
    /// thread that computes it. They take the direct path: at these shapes packing costs more than
    /// it saves (65×512×32 `.nn`, 32×512×65 `.tn`, 65×16×512 `.nt`), and both paths give the same
    /// bits. Small jobs run inline in task order.
    private static func runProducts(_ job: inout ProductsJob, taskCount: Int) {
        let work = job.contextLength &* job.embedding.count &* job.weight.columns
        if work < 1 << 18 {
            for task in 0..<taskCount { productsTask(&job, task) }
        } else {
            withUnsafeMutablePointer(to: &job) { pointer in
                Parallel.run(taskCount: taskCount, context: UnsafeMutableRawPointer(pointer)) { context, task in
                    productsTask(&context.assumingMemoryBound(to: ProductsJob.self).pointee, task)
                }
            }
        }
    }

    // MARK: Gather-sum

    /// output[b] = bias + Σ_t tables[t·V + tokens[b·T + t]], with V = tables.rows / T.
    public static func gatherSum(output: Matrix, tables: Matrix, tokens: [Int32], contextLength: Int, bias: Matrix?) {
        if let message = gatherError("gatherSum", output: output, tables: tables, tokens: tokens, contextLength: contextLength, bias: bias) {
            preconditionFailure(message)
        }
        output.withUnsafeMutablePointer { out in
            tables.withUnsafeMutablePointer { rows in
                tokens.withUnsafeBufferPointer { ids in
                    let run = { (bias: UnsafePointer<Float>?) in
                        var job = GatherSumJob(output: out, tables: rows, bias: bias, tokens: ids.baseAddress!,
                                               contextLength: contextLength, vocabularySize: tables.rows / contextLength,
                                               width: output.columns)
                        let grain = max(1, (1 << 15) / max(1, contextLength &* output.columns))
                        Parallel.forEachRange(count: output.rows, grain: grain, context: &job, gatherSumRows)
                    }
                    if let bias { bias.withUnsafeMutablePointer { run(UnsafePointer($0)) } } else { run(nil) }
                }
            }
        }
    }

    /// The backward of `gatherSum`: dTables[t·V + v] = Σ_{b: tokens[b·T + t] = v} dOutput[b], added
    /// in b order; rows no token selects are zero. Written, not accumulated. (The bias gradient is
    /// the column sums of dOutput: `Reduce.addColumnSums`.)
    public static func gatherSumBackward(dTables: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        if let message = gatherError("gatherSumBackward", output: dOutput, tables: dTables, tokens: tokens, contextLength: contextLength, bias: nil) {
            preconditionFailure(message)
        }
        let width = dOutput.columns
        // Enough (position, column range) blocks for every thread; the split never changes the bits.
        let wanted = max(1, (2 * Parallel.threadCount + contextLength - 1) / contextLength)
        let chunks = min(wanted, max(1, width / 16))
        let chunkWidth = (width + chunks - 1) / chunks
        dTables.withUnsafeMutablePointer { table in
            dOutput.withUnsafeMutablePointer { gradient in
                tokens.withUnsafeBufferPointer { ids in
                    var job = ScatterAddJob(dTables: table, dOutput: gradient, tokens: ids.baseAddress!, batch: dOutput.rows,
                                            contextLength: contextLength, vocabularySize: dTables.rows / contextLength,
                                            width: width, chunkWidth: chunkWidth, chunks: chunks)
                    let tasks = contextLength &* chunks
                    if dOutput.rows &* contextLength &* width < 1 << 14 {
                        for task in 0..<tasks { scatterAddBlock(&job, task) }
                    } else {
                        Parallel.run(taskCount: tasks, context: &job, scatterAddTask)
                    }
                }
            }
        }
    }

    // MARK: Checks

    static func tablesError(_ pass: String, tables: Matrix, embedding: Matrix, weight: Matrix, contextLength: Int) -> String? {
        let (v, d) = (embedding.rows, embedding.columns)
        if contextLength < 1 || weight.rows != contextLength * d || tables.rows != contextLength * v || tables.columns != weight.columns {
            return "TokenTables.\(pass): shapes do not agree: tables \(tables.shapeDescription), embedding \(embedding.shapeDescription), weight \(weight.shapeDescription), context \(contextLength)"
        }
        return nil
    }

    static func sameShape(_ pass: String, _ x: (String, Matrix), _ y: (String, Matrix)) -> String? {
        x.1.rows == y.1.rows && x.1.columns == y.1.columns ? nil
            : "TokenTables.\(pass): \(x.0) \(x.1.shapeDescription) does not match \(y.0) \(y.1.shapeDescription)"
    }

    /// Why these operands do not fit together, or nil: shapes first, then every token id.
    static func gatherError(_ pass: String, output: Matrix, tables: Matrix, tokens: [Int32], contextLength: Int, bias: Matrix?) -> String? {
        var shapes: String { "output \(output.shapeDescription), tables \(tables.shapeDescription), \(tokens.count) tokens, context \(contextLength)" }
        guard contextLength >= 1, tables.rows % contextLength == 0, tables.columns == output.columns,
              tokens.count >= output.rows * contextLength else {
            return "TokenTables.\(pass): shapes do not agree: \(shapes)"
        }
        if let bias, bias.count != output.columns { return "TokenTables.\(pass): bias has \(bias.count) elements (\(shapes))" }
        let vocabulary = tables.rows / contextLength
        for slot in 0..<(output.rows * contextLength) where tokens[slot] < 0 || Int(tokens[slot]) >= vocabulary {
            return "TokenTables.\(pass): token \(tokens[slot]) at position \(slot) outside vocabulary 0..<\(vocabulary) (\(shapes))"
        }
        return nil
    }

    // MARK: Reference

    /// The plain loops for `build`, accumulating in Float in k order. The oracle.
    public static func referenceBuild(tables: Matrix, embedding: Matrix, weight: Matrix, contextLength: Int) {
        if let message = tablesError("build", tables: tables, embedding: embedding, weight: weight, contextLength: contextLength) {
            preconditionFailure(message)
        }
        let (v, d, h) = (embedding.rows, embedding.columns, weight.columns)
        for t in 0..<contextLength {
            for token in 0..<v {
                for j in 0..<h {
                    var sum: Float = 0
                    for i in 0..<d { sum += embedding[token, i] * weight[t * d + i, j] }
                    tables[t * v + token, j] = sum
                }
            }
        }
    }

    /// The plain loops for `buildBackward`. The oracle.
    public static func referenceBuildBackward(dEmbedding: Matrix, dWeight: Matrix, dTables: Matrix,
                                              embedding: Matrix, weight: Matrix, contextLength: Int) {
        let (v, d, h) = (embedding.rows, embedding.columns, weight.columns)
        for t in 0..<contextLength {
            for i in 0..<d {
                for j in 0..<h {
                    var sum: Float = 0
                    for token in 0..<v { sum += embedding[token, i] * dTables[t * v + token, j] }
                    dWeight[t * d + i, j] = sum
                }
            }
        }
        for token in 0..<v {
            for i in 0..<d {
                var total: Float = 0
                for t in 0..<contextLength {
                    var sum: Float = 0
                    for j in 0..<h { sum += dTables[t * v + token, j] * weight[t * d + i, j] }
                    total += sum
                }
                dEmbedding[token, i] = total
            }
        }
    }

    /// The plain loop for `gatherSum`, in the same order. The oracle.
    public static func referenceGatherSum(output: Matrix, tables: Matrix, tokens: [Int32], contextLength: Int, bias: Matrix?) {
        if let message = gatherError("gatherSum", output: output, tables: tables, tokens: tokens, contextLength: contextLength, bias: bias) {
            preconditionFailure(message)
        }
        let v = tables.rows / contextLength
        for b in 0..<output.rows {
            for j in 0..<output.columns {
                var sum: Float = bias?[j] ?? 0
                for t in 0..<contextLength { sum += tables[t * v + Int(tokens[b * contextLength + t]), j] }
                output[b, j] = sum
            }
        }
    }

    /// The plain loop for `gatherSumBackward`, in b order. The oracle.
    public static func referenceGatherSumBackward(dTables: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        if let message = gatherError("gatherSumBackward", output: dOutput, tables: dTables, tokens: tokens, contextLength: contextLength, bias: nil) {
            preconditionFailure(message)
        }
        let v = dTables.rows / contextLength
        dTables.fill(0)
        for b in 0..<dOutput.rows {
            for t in 0..<contextLength {
                let row = t * v + Int(tokens[b * contextLength + t])
                for j in 0..<dOutput.columns { dTables[row, j] += dOutput[b, j] }
            }
        }
    }
}

private struct ProductsJob {
    /// P in `build`, dP in `buildBackward`.
    let tables: Matrix
    let embedding: Matrix
    let weight: Matrix
    let dEmbedding: Matrix?
    let dWeight: Matrix?
    let contextLength: Int
    let embeddingParts: Int
}

/// `build`: task t computes P_t = E·W_t. `buildBackward`: the first `embeddingParts` tasks each
/// compute a range of dE's columns, Σ_t dP_t·W_tᵀ in t order (the larger tasks first, for
/// balance), and the remaining task t computes dW_t = Eᵀ·dP_t.
private func productsTask(_ job: inout ProductsJob, _ task: Int) {
    let (v, d) = (job.embedding.rows, job.embedding.columns)
    guard let dEmbedding = job.dEmbedding, let dWeight = job.dWeight else {
        MatMul.multiply(job.tables.rows(task * v ..< (task + 1) * v), job.embedding, job.weight.rows(task * d ..< (task + 1) * d),
                        path: .direct)
        return
    }
    if task < job.embeddingParts {
        let groups = balancedRange(task, of: job.embeddingParts, total: (d + 7) / 8)
        let columns = groups.lowerBound * 8 ..< min(d, groups.upperBound * 8)
        if columns.isEmpty { return }
        let h = job.weight.columns
        dEmbedding.withUnsafeMutablePointer { dE in
            job.tables.withUnsafeMutablePointer { dTables in
                job.weight.withUnsafeMutablePointer { weight in
                    for t in 0..<job.contextLength {
                        // dE[:, columns] (+)= dP_t · (rows `columns` of W_t)ᵀ: a column slice of dE,
                        // which a Matrix view cannot express.
                        MatMul.multiply(m: v, n: columns.count, k: h, form: .nt,
                                        a: UnsafePointer(dTables + t &* v &* h), lda: h,
                                        b: UnsafePointer(weight + (t &* d &+ columns.lowerBound) &* h), ldb: h,
                                        c: dE + columns.lowerBound, ldc: d, bias: nil, accumulate: t > 0, path: .direct)
                    }
                }
            }
        }
    } else {
        let t = task - job.embeddingParts
        MatMul.multiply(dWeight.rows(t * d ..< (t + 1) * d), job.embedding, job.tables.rows(t * v ..< (t + 1) * v), form: .tn,
                        path: .direct)
    }
}

private struct GatherSumJob {
    let output: UnsafeMutablePointer<Float>
    let tables: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>?
    let tokens: UnsafePointer<Int32>
    let contextLength: Int
    let vocabularySize: Int
    let width: Int
}

/// Rows `start..<end` of the output: 32 columns at a time held in four vectors while the T table
/// rows are added, so each output element is stored once.
private let gatherSumRows: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: GatherSumJob.self).pointee
    let (t, v, h) = (job.contextLength, job.vocabularySize, job.width)
    for b in start..<end {
        let out = job.output + b &* h
        let ids = job.tokens + b &* t
        var j = 0
        while j &+ 32 <= h {
            var s0 = Vector8(repeating: 0), s1 = s0, s2 = s0, s3 = s0
            if let bias = job.bias { s0 = load8(bias + j); s1 = load8(bias + (j &+ 8)); s2 = load8(bias + (j &+ 16)); s3 = load8(bias + (j &+ 24)) }
            for p in 0..<t {
                let row = UnsafePointer(job.tables + ((p &* v &+ Int(ids[p])) &* h &+ j))
                s0 += load8(row); s1 += load8(row + 8); s2 += load8(row + 16); s3 += load8(row + 24)
            }
            store8(s0, out + j); store8(s1, out + (j &+ 8)); store8(s2, out + (j &+ 16)); store8(s3, out + (j &+ 24))
            j &+= 32
        }
        while j &+ 8 <= h {
            var s = job.bias.map { load8($0 + j) } ?? Vector8(repeating: 0)
            for p in 0..<t { s += load8(job.tables + ((p &* v &+ Int(ids[p])) &* h &+ j)) }
            store8(s, out + j)
            j &+= 8
        }
        while j < h {
            var s: Float = job.bias?[j] ?? 0
            for p in 0..<t { s += job.tables[(p &* v &+ Int(ids[p])) &* h &+ j] }
            out[j] = s
            j &+= 1
        }
    }
}

private struct ScatterAddJob {
    let dTables: UnsafeMutablePointer<Float>
    let dOutput: UnsafeMutablePointer<Float>
    let tokens: UnsafePointer<Int32>
    let batch: Int
    let contextLength: Int
    let vocabularySize: Int
    let width: Int
    let chunkWidth: Int
    let chunks: Int
}

private let scatterAddTask: Parallel.TaskFunction = { context, task in
    scatterAddBlock(&context.assumingMemoryBound(to: ScatterAddJob.self).pointee, task)
}

/// Task `task` = (position p, column chunk c): adds every example's dOutput slice into the row its
/// token selects, in b order, then zeroes the rows no example selected. A row's first addition is
/// stored as 0 + dOutput (the same bits as adding to a cleared row, −0 included), so P_p's block
/// is not cleared before most of it is written again.
@inline(__always)
private func scatterAddBlock(_ job: inout ScatterAddJob, _ task: Int) {
    let p = task / job.chunks, chunk = task % job.chunks
    let (v, h, t) = (job.vocabularySize, job.width, job.contextLength)
    let first = chunk &* job.chunkWidth
    let count = min(h, first &+ job.chunkWidth) &- first
    if count <= 0 { return }
    let block = job.dTables + (p &* v &* h &+ first)
    let touched = Workspace.current.flags.reserve(v)
    touched.update(repeating: 0, count: v)
    let zero = Vector8(repeating: 0)
    for b in 0..<job.batch {
        let token = Int(job.tokens[b &* t &+ p])
        let target = block + token &* h
        let source = UnsafePointer(job.dOutput + (b &* h &+ first))
        var j = 0
        if touched[token] == 0 {
            touched[token] = 1
            while j &+ 8 <= count { store8(zero + load8(source + j), target + j); j &+= 8 }
            while j < count { target[j] = 0 + source[j]; j &+= 1 }
        } else {
            while j &+ 8 <= count { store8(load8(target + j) + load8(source + j), target + j); j &+= 8 }
            while j < count { target[j] = target[j] + source[j]; j &+= 1 }
        }
    }
    for row in 0..<v where touched[row] == 0 { (block + row &* h).update(repeating: 0, count: count) }
}
