// The GEMM driver: the choice of path and instance, k-blocking of large B, the split of the output
// between threads, and the tasks that run each thread's part on the chosen instance.
//
// Two paths, chosen from the shape alone:
//   packed  BLIS-style. For each chunk of up to 1024 columns and each k-block, the threads
//           together pack that block of B into k-major micro-panels ([kc][NR], the last one
//           [kc][NR/2] when N mod NR ≤ NR/2), then each thread computes its rows with it, packing
//           its own mc×kc blocks of A into [kc][MR] micro-panels (MR = 12 on AVX-512, 6
//           otherwise; a `.nn` A with at most 128 columns of C is read in place). A B of at
//           most 512 KiB is instead packed whole, up front, by every task for itself: the
//           panels that task reads (see `execute`).
//           Loops: column chunk, k-block, row block, column panel, row panel.
//   direct  For small products, where packing costs more than it saves: A is read in place, B
//           too for `.nn`/`.tn` (only the narrow last panel is copied, so that no load runs past
//           the matrix); `.nt` packs B (it must be transposed anyway).
// Two instances of the packing and compute code (GemmCore, generic over the tile vector), chosen
// by `InstructionSet.active`: GemmBaseline's (SIMD8, NR = 16), compiled for the package's CPU
// level, and GemmAVX512's (SIMD16, NR = 32), compiled for x86-64-v4 and called only after the
// CPU check.
// All paths and both instances give bitwise identical results (see
// GemmCore/GemmKernel+MicroKernel.swift).
//
// Threads split the output into row ranges (multiples of MR, or of 6 when A is read in place) or
// column ranges (multiples of NR); since every element's arithmetic is independent of who
// computes it, the split only has to balance the work. A product with a large B and enough columns is instead cut into one column
// slab per thread, each run start to finish as a single-threaded product (packing its own part of
// B, in its own cache, with no barrier until the end).

import GemmBaseline
import GemmCore
#if arch(x86_64)
import GemmAVX512
#endif

/// Which GEMM path to take. `.automatic` chooses from the shape; the others exist for tests and
/// benchmarks (all give the same bits).
public enum MatMulPath: String, Sendable, CaseIterable {
    case automatic, direct, packed
}

extension MatMul {
    /// Runs a checked product on `instructionSet`'s instance (`plan.tileWidth` is its NR). Chooses
    /// the path and the thread split from the shape.
    static func run(_ plan: inout GemmPlan, path: MatMulPath, instructionSet: InstructionSet) {
        let (m, n, k) = (plan.m, plan.n, plan.k)
        if m == 0 || n == 0 { return }
        if k == 0 {
            fillWithoutProducts(plan)
            return
        }
        let work = m &* n &* k
        let direct: Bool
        switch path {
        case .automatic: direct = work <= GemmBlocking.directPathMaximum
        case .direct: direct = true
        case .packed: direct = false
        }
        // A row-major A with few columns to multiply is read faster in place: each of its 6-row
        // micro-panels meets at most eight B panels, too few to repay the packing (+11% measured
        // at 256×65×512, even at 256×128×512, -16% at 1024³). Transposed A (`.tn`) always pays.
        plan.packsA = !direct && !(plan.form == .nn && n <= GemmBlocking.directAMaximumColumns)
        let threads = work >= GemmBlocking.parallelMinimum ? Parallel.threadCount : 1
        let tasks = GemmTasks.of(instructionSet)
        if !direct && threads > 1 && usesColumnSlabs(plan, threads: threads) {
            runInColumnSlabs(plan, threads: threads, tasks: tasks)
            return
        }
        execute(&plan, direct: direct, threads: threads, tasks: tasks)
    }

    /// Runs a product whose path (`direct`, `plan.packsA`) is chosen, on `threads` threads.
    private static func execute(_ plan: inout GemmPlan, direct: Bool, threads: Int, tasks: GemmTasks) {
        let workspace = Workspace.current
        chooseSplit(&plan, threads: threads)
        // A small B is packed whole, by each compute task for itself: the panels it reads (all
        // of them for a row split) go into its own workspace, with no barrier before it
        // computes. A panel packed by the other core costs far more to read than to pack again
        // (at 256×65×512 on 2 threads the worker's half took 126-144 µs against the packing
        // thread's 96-101 with shared panels, 180-195 when the caller packed all of them). A
        // large B is packed block by block, so that each block is still in cache when the
        // threads use it (+3-6% on 1 thread at 1024³ and the configs' large products).
        if direct || plan.k &* plan.paddedN <= GemmBlocking.wholePackedBMaximum {
            plan.packsBInTask = plan.form == .nt || !direct
            withUnsafeMutablePointer(to: &plan) { pointer in
                Parallel.run(taskCount: pointer.pointee.partCount, context: UnsafeMutableRawPointer(pointer), tasks.compute)
            }
            return
        }
        // Large B: for each chunk of column panels and each k-block, the threads pack that block of
        // B together, then compute with it; each Parallel.run is a barrier.
        let chunk = plan.panelsPerChunk
        plan.packsBlocks = true
        plan.packedB = workspace.packedB.reserve(plan.kBlock(0).size &* min(plan.paddedN, chunk &* plan.tileWidth))
        withUnsafeMutablePointer(to: &plan) { pointer in
            let context = UnsafeMutableRawPointer(pointer)
            var chunkStart = 0
            while chunkStart < pointer.pointee.panelCount {
                let chunkEnd = min(chunkStart &+ chunk, pointer.pointee.panelCount)
                pointer.pointee.blockPanels = chunkStart..<chunkEnd
                pointer.pointee.packPartCount = min(threads, chunkEnd &- chunkStart)
                for block in 0..<pointer.pointee.kBlockCount {
                    pointer.pointee.blockIndex = block
                    Parallel.run(taskCount: pointer.pointee.packPartCount, context: context, tasks.packB)
                    Parallel.run(taskCount: pointer.pointee.partCount, context: context, tasks.compute)
                }
                chunkStart = chunkEnd
            }
        }
    }

    /// Whether a product runs as independent column slabs, one per thread: when B is packed block
    /// by block and each slab gets at least two panels. Measured interleaved at 2 threads against
    /// the shared-block row split: 256×4096×512 .nn 129-243 against 144-178 GFLOP/s, 256×512×512
    /// .nt +10%, 256×512×1024 .nn +12%, 1024³ about even; the shared blocks cost a barrier per
    /// block and make each thread read the half of every block that the other packed.
    private static func usesColumnSlabs(_ plan: GemmPlan, threads: Int) -> Bool {
        plan.k &* plan.paddedN > GemmBlocking.wholePackedBMaximum && plan.panelCount >= 2 &* threads
    }

    /// Splits C into `threads` slabs of whole column panels and runs each as a single-threaded
    /// product on one thread: that thread packs its own columns of B, which then stay in its own
    /// cache, and no thread waits for another until the end. Every thread packs all of A, which
    /// still costs less than the shared blocks' barriers (see `usesColumnSlabs`). Each element's
    /// arithmetic is unchanged.
    private static func runInColumnSlabs(_ plan: GemmPlan, threads: Int, tasks: GemmTasks) {
        var job = ColumnSlabJob(plan: plan, slabCount: min(threads, plan.panelCount), tasks: tasks)
        withUnsafeMutablePointer(to: &job) { pointer in
            Parallel.run(taskCount: pointer.pointee.slabCount, context: UnsafeMutableRawPointer(pointer)) { context, task in
                let job = context.assumingMemoryBound(to: ColumnSlabJob.self).pointee
                let whole = job.plan
                let panels = balancedRange(task, of: job.slabCount, total: whole.panelCount)
                let first = panels.lowerBound &* whole.tileWidth
                let end = min(whole.n, panels.upperBound &* whole.tileWidth)
                if first >= end { return }
                let b = whole.form == .nt ? whole.b + first &* whole.ldb : whole.b + first
                var slab = GemmPlan(m: whole.m, n: end &- first, k: whole.k, form: whole.form,
                                    a: whole.a, lda: whole.lda, b: b, ldb: whole.ldb,
                                    c: whole.c + first, ldc: whole.ldc, bias: whole.bias.map { $0 + first },
                                    accumulate: whole.accumulate, tileWidth: whole.tileWidth,
                                    packedRows: whole.packedRows)
                slab.packsA = whole.packsA
                MatMul.execute(&slab, direct: false, threads: 1, tasks: job.tasks)
            }
        }
    }

    /// k = 0: C = bias (or C += bias), or zeros.
    private static func fillWithoutProducts(_ plan: GemmPlan) {
        for i in 0..<plan.m {
            let row = plan.c + i &* plan.ldc
            if let bias = plan.bias {
                if plan.accumulate {
                    for j in 0..<plan.n { row[j] = row[j] + (0 + bias[j]) }
                } else {
                    for j in 0..<plan.n { row[j] = 0 + bias[j] }
                }
            } else if !plan.accumulate {
                for j in 0..<plan.n { row[j] = 0 }
            }
        }
    }

    /// Splits the output into `threads` parts of equal work: row ranges when there are enough row
    /// panels (packing A is then never duplicated), column ranges otherwise.
    private static func chooseSplit(_ plan: inout GemmPlan, threads: Int) {
        let rowPanels = (plan.m + plan.rowsPerPanel - 1) / plan.rowsPerPanel
        if threads <= 1 {
            plan.partCount = 1
            plan.splitsRows = true
        } else if rowPanels >= 4 * threads || rowPanels >= plan.panelCount {
            plan.splitsRows = true
            plan.partCount = min(threads, rowPanels)
        } else {
            plan.splitsRows = false
            plan.partCount = min(threads, plan.panelCount)
        }
    }
}

private struct ColumnSlabJob {
    let plan: GemmPlan
    let slabCount: Int
    let tasks: GemmTasks
}

/// Part `index` of `count` of `total` units, as a half-open range; parts differ by at most one.
@inline(__always)
func balancedRange(_ index: Int, of count: Int, total: Int) -> Range<Int> {
    let base = total / count, extra = total % count
    let start = index &* base &+ min(index, extra)
    return start..<(start &+ base &+ (index < extra ? 1 : 0))
}

/// The two task functions of one instance: pack a part of B's current block, compute a part of C.
/// Each finds its part from the task index and the plan alone, and its scratch in the thread's
/// workspace.
struct GemmTasks {
    let packB: Parallel.TaskFunction
    let compute: Parallel.TaskFunction

    static func of(_ instructionSet: InstructionSet) -> GemmTasks {
        #if arch(x86_64)
        if instructionSet == .avx512 { return avx512 }
        #endif
        return baseline
    }

    /// GemmBaseline's instance (SIMD8; x86-64-v3 on x86).
    static let baseline = GemmTasks(
        packB: { context, task in packBPart(context, task, GemmBaseline.packB) },
        compute: { context, task in computePart(context, task, GemmBaseline.packB, GemmBaseline.computeRectangle) })

    #if arch(x86_64)
    /// GemmAVX512's instance; chosen only when `InstructionSet.active` is `.avx512`.
    static let avx512 = GemmTasks(
        packB: { context, task in packBPart(context, task, GemmAVX512.packB) },
        compute: { context, task in computePart(context, task, GemmAVX512.packB, GemmAVX512.computeRectangle) })
    #endif
}

/// Packs part `task` of the current block's column panels, for the current k-block(s).
@inline(__always)
private func packBPart(_ context: UnsafeMutableRawPointer, _ task: Int,
                       _ packB: (UnsafePointer<GemmPlan>, Range<Int>) -> Void) {
    let plan = UnsafePointer(context.assumingMemoryBound(to: GemmPlan.self))
    let blockPanels = plan.pointee.blockPanels
    let part = balancedRange(task, of: plan.pointee.packPartCount, total: blockPanels.count)
    packB(plan, (blockPanels.lowerBound + part.lowerBound)..<(blockPanels.lowerBound + part.upperBound))
}

/// Computes part `task` of C for the current block, with scratch from this thread's workspace;
/// first packs the B panels it reads there when the plan says so (`packsBInTask`).
@inline(__always)
private func computePart(_ context: UnsafeMutableRawPointer, _ task: Int,
                         _ packB: (UnsafePointer<GemmPlan>, Range<Int>) -> Void,
                         _ compute: (UnsafePointer<GemmPlan>, Range<Int>, Range<Int>, GemmScratch) -> Void) {
    let plan = UnsafePointer(context.assumingMemoryBound(to: GemmPlan.self))
    let rows: Range<Int>, panels: Range<Int>
    if plan.pointee.splitsRows {
        let unit = plan.pointee.rowsPerPanel
        let rowPanels = balancedRange(task, of: plan.pointee.partCount, total: (plan.pointee.m + unit - 1) / unit)
        rows = (rowPanels.lowerBound * unit)..<min(plan.pointee.m, rowPanels.upperBound * unit)
        panels = plan.pointee.blockPanels
    } else {
        let part = balancedRange(task, of: plan.pointee.partCount, total: plan.pointee.panelCount)
        rows = 0..<plan.pointee.m
        let first = max(part.lowerBound, plan.pointee.blockPanels.lowerBound)
        panels = first..<max(first, min(part.upperBound, plan.pointee.blockPanels.upperBound))
    }
    if rows.isEmpty || panels.isEmpty { return }
    let workspace = Workspace.current
    var own = plan.pointee
    if own.packsBInTask { own.packedB = workspace.packedB.reserve(own.k &* own.paddedN) }
    let counts = own.scratchCounts(panels: panels)
    let scratch = GemmScratch(packedA: counts.packedA > 0 ? workspace.packedA.reserve(counts.packedA) : nil,
                              bTail: counts.bTail > 0 ? workspace.bTail.reserve(counts.bTail) : nil,
                              edgeTile: workspace.edgeTile.reserve(counts.edgeTile))
    withUnsafePointer(to: own) { pointer in
        if own.packsBInTask { packB(pointer, panels) }
        compute(pointer, rows, panels, scratch)
    }
}
