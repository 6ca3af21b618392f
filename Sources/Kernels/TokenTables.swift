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
// Training runs the layer fused (`forward`, `backward`): no table is ever stored whole. The
// forward builds one column block of one P_t at a time in a thread's scratch and adds it to the
// output block it owns while both are in L2; the backward gives each position's task its own dP_t
// in scratch, scatters into it and runs both products from it. Stored whole, the T·V×H tables
// (4.3 MB for V 65, T 32, H 512) were written, then read back from L3 or memory, in both passes.
// Generation keeps whole tables (`build`, `gatherSum`): it builds them once per sample batch and
// reads T rows per token.
//
// Shapes (B batch, T context length, d embedding width, H output width, V vocabulary):
//   embedding E (V,d); weight W (T·d, H), rows t·d ..< (t+1)·d are W_t; bias (H);
//   tables P (T·V, H), rows t·V ..< (t+1)·V are P_t; tokens (B·T), row b oldest first;
//   output, dOutput (B,H).
//
// Deterministic: the gather adds the bias and then the T rows in t order; the scatter gives
// every row of dP_t its additions in b order; dE adds the terms of Σ_t dP_t·W_tᵀ in the order
// and k-blocks a product accumulating over t would (the GEMM's, `GemmBlocking.kBlock`), so the
// fused backward has the bits of the scatter-add followed by the per-position products. Tasks
// own disjoint outputs (column blocks forward, positions backward), so the bits do not depend on
// the thread count. No atomics.
// Deliberately not handled: padding ids, strided views.

import GemmCore

public enum TokenTables {
    // MARK: Tables

    /// tables[t·V ..< (t+1)·V] = embedding · weight[t·d ..< (t+1)·d], for every position t.
    public static func build(tables: Matrix, embedding: Matrix, weight: Matrix, contextLength: Int) {
        if let message = tablesError("build", tables: tables, embedding: embedding, weight: weight, contextLength: contextLength) {
            preconditionFailure(message)
        }
        var job = ProductsJob(tables: tables, embedding: embedding, weight: weight, contextLength: contextLength)
        runProducts(&job, taskCount: contextLength)
    }

    /// The per-position products as tasks, each one product on one thread (a GEMM called inside
    /// a task runs inline, and a product's bits do not depend on the thread that computes it):
    /// they are too small for the GEMM's own thread split to pay (65×512×32 runs at one thread's
    /// speed on two). They take the direct path, which at these shapes costs less than packing
    /// and gives the same bits. The fused passes below call their products the same way. Small
    /// jobs run inline in task order.
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

    // MARK: The fused layer (training)

    /// output = bias + Σ_t P_t[tokens[b·T + t]] with P_t = embedding · weight_t, without storing
    /// the tables: bitwise `build` followed by `gatherSum`. Each task owns a block of output
    /// columns and, for t in order, builds that block of P_t in its scratch and adds its rows.
    public static func forward(output: Matrix, embedding: Matrix, weight: Matrix, tokens: [Int32], contextLength: Int, bias: Matrix?) {
        if let message = layerError("forward", output: output, embedding: embedding, weight: weight, tokens: tokens,
                                    contextLength: contextLength, bias: bias) {
            preconditionFailure(message)
        }
        let (batch, width) = (output.rows, output.columns)
        if batch == 0 { return }
        // Blocks narrow enough that the output block (B × w) stays in L2 beside the table block
        // (V × w), and at least two per thread, for balance; the blocks never change the bits.
        let fitting = max(16, (Self.forwardBlockFloats / batch) / 16 * 16)
        let balanced = max(16, (width + 2 * Parallel.threadCount - 1) / (2 * Parallel.threadCount) + 15) / 16 * 16
        let blockWidth = min(width, fitting, balanced)
        let blocks = (width + blockWidth - 1) / blockWidth
        output.withUnsafeMutablePointer { out in
            embedding.withUnsafeMutablePointer { e in
                weight.withUnsafeMutablePointer { w in
                    tokens.withUnsafeBufferPointer { ids in
                        let layer = LayerOperands(embedding: UnsafePointer(e), weight: UnsafePointer(w), tokens: ids.baseAddress!,
                                                  batch: batch, contextLength: contextLength, vocabularySize: embedding.rows,
                                                  embeddingWidth: embedding.columns, width: width)
                        var job = LayerForwardJob(operands: layer, output: out, bias: nil, blockWidth: blockWidth)
                        if let bias {
                            bias.withUnsafeMutablePointer { b in
                                job.bias = UnsafePointer(b)
                                runLayerForward(&job, blocks: blocks)
                            }
                        } else {
                            runLayerForward(&job, blocks: blocks)
                        }
                    }
                }
            }
        }
    }

    private static func runLayerForward(_ job: inout LayerForwardJob, blocks: Int) {
        let layer = job.operands
        if layer.batch &* layer.contextLength &* layer.width < 1 << 16 {
            for block in 0..<blocks { layerForwardBlock(&job, block) }
        } else {
            Parallel.run(taskCount: blocks, context: &job, layerForwardTask)
        }
    }

    /// Floats of one forward task's output block: 128 KiB, a quarter of a Zen 2 core's L2.
    static let forwardBlockFloats = 1 << 15

    /// The backward of `forward`, without storing dP: task t scatters dOutput's rows into its own
    /// dP_t (in b order; rows no example selects are zero), then computes dWeight_t = Eᵀ·dP_t and
    /// dP_t·W_tᵀ, one product per k-block of H; dEmbedding is the sum of those in (t, k-block)
    /// order, which is how a product accumulating over t (C = C + tile per k-block) adds them.
    /// Both are written, not accumulated. (The bias gradient is the column sums of dOutput:
    /// `Reduce.addColumnSums`.)
    public static func backward(dEmbedding: Matrix, dWeight: Matrix, dOutput: Matrix, embedding: Matrix, weight: Matrix,
                                tokens: [Int32], contextLength: Int) {
        if let message = layerError("backward", output: dOutput, embedding: embedding, weight: weight, tokens: tokens,
                                    contextLength: contextLength, bias: nil)
            ?? sameShape("backward", ("dEmbedding", dEmbedding), ("embedding", embedding))
            ?? sameShape("backward", ("dWeight", dWeight), ("weight", weight)) {
            preconditionFailure(message)
        }
        let (v, d) = (embedding.rows, embedding.columns)
        // dP_t·W_tᵀ per position and k-block, for the calling thread to add in order.
        let kBlocks = GemmBlocking.kBlockCount(dOutput.columns)
        let partials = Workspace.current.sharedFloats.reserve(contextLength &* kBlocks &* v &* d)
        dEmbedding.withUnsafeMutablePointer { dE in
            dWeight.withUnsafeMutablePointer { dW in
                dOutput.withUnsafeMutablePointer { gradient in
                    embedding.withUnsafeMutablePointer { e in
                        weight.withUnsafeMutablePointer { w in
                            tokens.withUnsafeBufferPointer { ids in
                                let layer = LayerOperands(embedding: UnsafePointer(e), weight: UnsafePointer(w),
                                                          tokens: ids.baseAddress!, batch: dOutput.rows, contextLength: contextLength,
                                                          vocabularySize: v, embeddingWidth: d, width: dOutput.columns)
                                var job = LayerBackwardJob(operands: layer, dOutput: UnsafePointer(gradient), dWeight: dW,
                                                           partials: partials, kBlocks: kBlocks)
                                let work = contextLength &* max(dOutput.rows, v &* d) &* dOutput.columns
                                if work < 1 << 16 {
                                    for t in 0..<contextLength { layerBackwardPosition(&job, t) }
                                } else {
                                    Parallel.run(taskCount: contextLength, context: &job, layerBackwardTask)
                                }
                            }
                        }
                    }
                }
                addPartials(into: dE, partials, count: v &* d, terms: contextLength &* kBlocks)
            }
        }
    }

    /// sum[i] = partials[i] + partials[count + i] + … in that order: the first term is stored as
    /// it is, as a product's first k-block stores its tile.
    private static func addPartials(into sum: UnsafeMutablePointer<Float>, _ partials: UnsafeMutablePointer<Float>, count: Int,
                                    terms: Int) {
        var i = 0
        while i &+ 8 <= count {
            var s = load8(partials + i)
            for term in 1..<max(1, terms) { s += load8(partials + (term &* count &+ i)) }
            store8(s, sum + i)
            i &+= 8
        }
        while i < count {
            var s = partials[i]
            for term in 1..<max(1, terms) { s += partials[term &* count &+ i] }
            sum[i] = s
            i &+= 1
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
        guard tables.columns == output.columns else {
            return "TokenTables.\(pass): shapes do not agree: output \(output.shapeDescription), tables \(tables.shapeDescription), \(tokens.count) tokens, context \(contextLength)"
        }
        return tokensError(pass, output: output, tableRows: tables.rows, tokens: tokens, contextLength: contextLength, bias: bias,
                           operands: "tables \(tables.shapeDescription)")
    }

    /// `gatherError` for the fused layer, whose tables (T·V × H) are implied by embedding and weight.
    static func layerError(_ pass: String, output: Matrix, embedding: Matrix, weight: Matrix, tokens: [Int32], contextLength: Int,
                           bias: Matrix?) -> String? {
        // Messages are built only on failure: this check runs every training step.
        var operands: String { "embedding \(embedding.shapeDescription), weight \(weight.shapeDescription)" }
        guard contextLength >= 1, weight.rows == contextLength * embedding.columns, weight.columns == output.columns else {
            return "TokenTables.\(pass): shapes do not agree: output \(output.shapeDescription), \(operands), \(tokens.count) tokens, context \(contextLength)"
        }
        return tokensError(pass, output: output, tableRows: contextLength * embedding.rows, tokens: tokens, contextLength: contextLength,
                           bias: bias, operands: operands)
    }

    private static func tokensError(_ pass: String, output: Matrix, tableRows: Int, tokens: [Int32], contextLength: Int, bias: Matrix?,
                                    operands: @autoclosure () -> String) -> String? {
        var shapes: String { "output \(output.shapeDescription), \(operands()), \(tokens.count) tokens, context \(contextLength)" }
        guard contextLength >= 1, tableRows % contextLength == 0, tokens.count >= output.rows * contextLength else {
            return "TokenTables.\(pass): shapes do not agree: \(shapes)"
        }
        if let bias, bias.count != output.columns { return "TokenTables.\(pass): bias has \(bias.count) elements (\(shapes))" }
        let vocabulary = tableRows / contextLength
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

    /// The plain loops for the products of `backward`, from a given dTables: dWeight_t =
    /// Eᵀ·dTables_t and dEmbedding = Σ_t dTables_t·W_tᵀ. The oracle.
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

    /// The plain loop for the scatter-add of `backward` (the gradient of `gatherSum` with respect
    /// to the tables), in b order. The oracle.
    public static func referenceGatherSumBackward(dTables: Matrix, dOutput: Matrix, tokens: [Int32], contextLength: Int) {
        if let message = gatherError("referenceGatherSumBackward", output: dOutput, tables: dTables, tokens: tokens, contextLength: contextLength, bias: nil) {
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
    let tables: Matrix
    let embedding: Matrix
    let weight: Matrix
    let contextLength: Int
}

/// Task t computes P_t = E·W_t.
private func productsTask(_ job: inout ProductsJob, _ task: Int) {
    let (v, d) = (job.embedding.rows, job.embedding.columns)
    MatMul.multiply(job.tables.rows(task * v ..< (task + 1) * v), job.embedding, job.weight.rows(task * d ..< (task + 1) * d),
                    path: .direct)
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

/// The operands both fused passes read, by pointer.
private struct LayerOperands {
    let embedding: UnsafePointer<Float>
    let weight: UnsafePointer<Float>
    let tokens: UnsafePointer<Int32>
    let batch: Int
    let contextLength: Int
    let vocabularySize: Int
    let embeddingWidth: Int
    let width: Int
}

private struct LayerForwardJob {
    let operands: LayerOperands
    let output: UnsafeMutablePointer<Float>
    var bias: UnsafePointer<Float>?
    let blockWidth: Int
}

private let layerForwardTask: Parallel.TaskFunction = { context, task in
    layerForwardBlock(&context.assumingMemoryBound(to: LayerForwardJob.self).pointee, task)
}

/// Output columns block·w ..< (block+1)·w: for each position p in order, P_p's block into scratch
/// (the GEMM's bits do not depend on which columns it is asked for), then every output row (the
/// bias, or its sum so far) plus the row its token selects.
@inline(__always)
private func layerForwardBlock(_ job: inout LayerForwardJob, _ block: Int) {
    let layer = job.operands
    let (v, d, h, t) = (layer.vocabularySize, layer.embeddingWidth, layer.width, layer.contextLength)
    let first = block &* job.blockWidth
    let count = min(h, first &+ job.blockWidth) &- first
    if count <= 0 { return }
    let table = Workspace.current.tableBlock.reserve(v &* count)
    let zero = Vector8(repeating: 0)
    for p in 0..<t {
        MatMul.multiply(m: v, n: count, k: d, form: .nn, a: layer.embedding, lda: d,
                        b: layer.weight + (p &* d &* h &+ first), ldb: h, c: table, ldc: count, bias: nil, accumulate: false,
                        path: .direct)
        for b in 0..<layer.batch {
            let out = job.output + (b &* h &+ first)
            let row = UnsafePointer(table + Int(layer.tokens[b &* t &+ p]) &* count)
            // The first position adds to the bias (or to 0, as the gather-sum does without one).
            let base = p > 0 ? UnsafePointer(out) : job.bias.map { $0 + first }
            var j = 0
            if let base {
                while j &+ 8 <= count { store8(load8(base + j) + load8(row + j), out + j); j &+= 8 }
                while j < count { out[j] = base[j] + row[j]; j &+= 1 }
            } else {
                while j &+ 8 <= count { store8(zero + load8(row + j), out + j); j &+= 8 }
                while j < count { out[j] = 0 + row[j]; j &+= 1 }
            }
        }
    }
}

private struct LayerBackwardJob {
    let operands: LayerOperands
    let dOutput: UnsafePointer<Float>
    let dWeight: UnsafeMutablePointer<Float>
    /// T · kBlocks blocks of V×d: dP_t·W_tᵀ over each k-block of H, t-major.
    let partials: UnsafeMutablePointer<Float>
    /// `GemmBlocking.kBlockCount(width)`.
    let kBlocks: Int
}

private let layerBackwardTask: Parallel.TaskFunction = { context, task in
    layerBackwardPosition(&context.assumingMemoryBound(to: LayerBackwardJob.self).pointee, task)
}

/// Position p: dP_p in this thread's scratch, every example's dOutput row added into the row its
/// token selects in b order, the rows no example selected zeroed; then dW_p = Eᵀ·dP_p and
/// dP_p·W_pᵀ (one partial per k-block) while dP_p is in cache. A row's first addition is stored
/// as 0 + dOutput (the bits of adding to a cleared row, −0 included), so dP_p is not cleared first.
@inline(__always)
private func layerBackwardPosition(_ job: inout LayerBackwardJob, _ p: Int) {
    let layer = job.operands
    let (v, d, h, t) = (layer.vocabularySize, layer.embeddingWidth, layer.width, layer.contextLength)
    let workspace = Workspace.current
    let table = workspace.tableBlock.reserve(v &* h)
    let touched = workspace.flags.reserve(v)
    touched.update(repeating: 0, count: v)
    let zero = Vector8(repeating: 0)
    for b in 0..<layer.batch {
        let token = Int(layer.tokens[b &* t &+ p])
        let target = table + token &* h
        let source = job.dOutput + b &* h
        var j = 0
        if touched[token] == 0 {
            touched[token] = 1
            while j &+ 8 <= h { store8(zero + load8(source + j), target + j); j &+= 8 }
            while j < h { target[j] = 0 + source[j]; j &+= 1 }
        } else {
            while j &+ 8 <= h { store8(load8(target + j) + load8(source + j), target + j); j &+= 8 }
            while j < h { target[j] = target[j] + source[j]; j &+= 1 }
        }
    }
    for row in 0..<v where touched[row] == 0 { (table + row &* h).update(repeating: 0, count: h) }
    MatMul.multiply(m: d, n: h, k: v, form: .tn, a: layer.embedding, lda: d, b: UnsafePointer(table), ldb: h,
                    c: job.dWeight + p &* d &* h, ldc: h, bias: nil, accumulate: false, path: .direct)
    for block in 0..<job.kBlocks {
        let (kStart, kSize) = GemmBlocking.kBlock(block, of: job.kBlocks, k: h)
        MatMul.multiply(m: v, n: d, k: kSize, form: .nt, a: UnsafePointer(table + kStart), lda: h,
                        b: layer.weight + (p &* d &* h &+ kStart), ldb: h, c: job.partials + (p &* job.kBlocks &+ block) &* v &* d,
                        ldc: d, bias: nil, accumulate: false, path: .direct)
    }
}
