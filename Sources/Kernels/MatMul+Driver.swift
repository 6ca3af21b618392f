// The GEMM driver: k-blocking, packing, the loop nest around the micro-kernels, and the split of
// the output between threads.
//
// Two paths, chosen from the shape alone:
//   packed  BLIS-style. For each chunk of up to 1024 columns and each k-block, the threads
//           together pack that block of B into k-major micro-panels ([kc][NR], the last one
//           [kc][NR/2] when N mod NR ≤ NR/2; NR = 16, or 32 with DESCENT_AVX512), then each
//           thread computes its rows with it, packing its own mc×kc blocks of A into [kc][6]
//           micro-panels (a `.nn` A with at most 128 columns of C is read in place). A B of at
//           most 512 KiB is packed whole, up front. Loops: column chunk, k-block, row block,
//           column panel, row panel.
//   direct  For small products, where packing costs more than it saves: A is read in place, B
//           too for `.nn`/`.tn` (only the narrow last panel is copied, so that no load runs past
//           the matrix); `.nt` packs B (it must be transposed anyway).
// Both paths give bitwise identical results (see MatMul+MicroKernel.swift).
//
// Threads split the output into row ranges (multiples of 6) or column ranges (multiples of NR);
// since every element's arithmetic is independent of who computes it, the split only has to
// balance the work.

/// Blocking constants. `maximumKBlock` fixes where k is cut into blocks, so it fixes the bits:
/// change it and every product with k > maximumKBlock rounds differently.
enum GemmBlocking {
    /// k is cut into ⌈k / 384⌉ blocks of (nearly) equal size (OpenBLAS's Haswell kc is 384 too).
    static let maximumKBlock = 384
    /// Rows of A packed at once (a multiple of 6): 48 × 384 floats (72 KiB) stay in L2. Blocking is
    /// flat here: 6…96 rows measured within ±4% on 1024³ (48 among the best).
    static let rowBlock = 48
    /// Column panels per pass over a packed A block: up to 1024 columns, so that most products
    /// pack each block of A once.
    static let columnPanelsPerChunk = 1024 / GemmTile.width
    /// Up to this many floats, B is packed whole rather than block by block (512 KiB).
    static let wholePackedBMaximum = 1 << 17
    /// Up to this many columns of C, the packed path reads a `.nn` A in place.
    static let directAMaximumColumns = 128
    /// Below this many multiply-adds (m·n·k) a product takes the direct path.
    static let directPathMaximum = 1 << 18
    /// Below this many multiply-adds a product runs on the calling thread only.
    static let parallelMinimum = 1 << 21
}

/// Which GEMM path to take. `.automatic` chooses from the shape; the others exist for tests and
/// benchmarks (all give the same bits).
public enum MatMulPath: String, Sendable, CaseIterable {
    case automatic, direct, packed
}

/// Everything one product needs; passed to the tasks by pointer.
struct GemmPlan {
    var m: Int, n: Int, k: Int
    var form: MatMulForm
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var c: UnsafeMutablePointer<Float>, ldc: Int
    var bias: UnsafePointer<Float>?
    var accumulate: Bool
    var packsA: Bool
    /// Packed B: one block (`blockPanels` × k-block `blockIndex`) at a time on the packed path,
    /// all of it on the direct path's `.nt`; nil when B is read in place.
    var packedB: UnsafeMutablePointer<Float>?
    /// The packed path packs B block by block, right before the threads use it: the block stays in
    /// cache, and both threads read the same copy.
    var packsBlocks: Bool
    var blockPanels: Range<Int>
    /// The k-block being computed, or -1 for all of them (direct path).
    var blockIndex: Int
    var kBlockCount: Int
    /// Column panels: all NR wide except perhaps the last, NR/2 or NR wide.
    var panelCount: Int
    var lastPanelWidth: Int
    var paddedN: Int
    /// The split between threads: `partCount` row ranges or column-panel ranges.
    var splitsRows: Bool
    var partCount: Int
    /// Column-panel ranges that pack B in parallel.
    var packPartCount: Int

    init(m: Int, n: Int, k: Int, form: MatMulForm,
         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
         c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool) {
        self.m = m; self.n = n; self.k = k; self.form = form
        self.a = a; self.lda = lda; self.b = b; self.ldb = ldb; self.c = c; self.ldc = ldc
        self.bias = bias; self.accumulate = accumulate
        packsA = false
        packedB = nil
        kBlockCount = max(1, (k + GemmBlocking.maximumKBlock - 1) / GemmBlocking.maximumKBlock)
        let width = GemmTile.width
        let fullPanels = n / width, remainder = n % width
        panelCount = fullPanels + (remainder > 0 ? 1 : 0)
        lastPanelWidth = remainder == 0 || remainder > GemmTile.halfWidth ? width : GemmTile.halfWidth
        paddedN = fullPanels * width + (remainder == 0 ? 0 : lastPanelWidth)
        splitsRows = true
        partCount = 1
        packPartCount = 1
        packsBlocks = false
        blockPanels = 0..<panelCount
        blockIndex = -1
    }

    /// The k-blocks the current step covers.
    var blocks: Range<Int> { blockIndex < 0 ? 0..<kBlockCount : blockIndex..<(blockIndex + 1) }

    /// Start and size of k-block `index`: the first k mod blockCount blocks are one longer.
    @inline(__always)
    func kBlock(_ index: Int) -> (start: Int, size: Int) {
        let base = k / kBlockCount, extra = k % kBlockCount
        return (index &* base &+ min(index, extra), base &+ (index < extra ? 1 : 0))
    }

    @inline(__always)
    func panelWidth(_ panel: Int) -> Int { panel == panelCount &- 1 ? lastPanelWidth : GemmTile.width }

    /// Where panel `panel` of k-block starting at `kStart` (size `kSize`) lives in packed B.
    @inline(__always)
    func packedPanelOffset(kStart: Int, kSize: Int, panel: Int) -> Int {
        if packsBlocks { return kSize &* GemmTile.width &* (panel &- blockPanels.lowerBound) }
        return kStart &* paddedN &+ kSize &* GemmTile.width &* panel
    }
}

extension MatMul {
    /// Runs a checked product. Chooses the path and the thread split from the shape.
    static func run(_ plan: inout GemmPlan, path: MatMulPath) {
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
        let workspace = Workspace.current
        let threads = work >= GemmBlocking.parallelMinimum ? Parallel.threadCount : 1
        chooseSplit(&plan, threads: threads)
        // A small B is packed whole in one phase: two barriers per product instead of two per
        // block (-4% at 256×65×512 on 2 threads otherwise). A large one block by block, so that
        // each block is still in cache when the threads use it (+3-6% on 1 thread at 1024³ and the
        // configs' large products).
        if direct || plan.k &* plan.paddedN <= GemmBlocking.wholePackedBMaximum {
            if plan.form == .nt || !direct { plan.packedB = workspace.packedB.reserve(plan.k &* plan.paddedN) }
            plan.packPartCount = min(threads, plan.panelCount)
            withUnsafeMutablePointer(to: &plan) { pointer in
                let context = UnsafeMutableRawPointer(pointer)
                if pointer.pointee.packedB != nil {
                    Parallel.run(taskCount: pointer.pointee.packPartCount, context: context, packBTask)
                }
                Parallel.run(taskCount: pointer.pointee.partCount, context: context, computeTask)
            }
            return
        }
        // Large B: for each chunk of column panels and each k-block, the threads pack that block of
        // B together, then compute with it; each Parallel.run is a barrier.
        let chunk = GemmBlocking.columnPanelsPerChunk
        plan.packsBlocks = true
        plan.packedB = workspace.packedB.reserve(plan.kBlock(0).size &* min(plan.paddedN, chunk &* GemmTile.width))
        withUnsafeMutablePointer(to: &plan) { pointer in
            let context = UnsafeMutableRawPointer(pointer)
            var chunkStart = 0
            while chunkStart < pointer.pointee.panelCount {
                let chunkEnd = min(chunkStart &+ chunk, pointer.pointee.panelCount)
                pointer.pointee.blockPanels = chunkStart..<chunkEnd
                pointer.pointee.packPartCount = min(threads, chunkEnd &- chunkStart)
                for block in 0..<pointer.pointee.kBlockCount {
                    pointer.pointee.blockIndex = block
                    Parallel.run(taskCount: pointer.pointee.packPartCount, context: context, packBTask)
                    Parallel.run(taskCount: pointer.pointee.partCount, context: context, computeTask)
                }
                chunkStart = chunkEnd
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
        let rowPanels = (plan.m + 5) / 6
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

/// Part `index` of `count` of `total` units, as a half-open range; parts differ by at most one.
@inline(__always)
func balancedRange(_ index: Int, of count: Int, total: Int) -> Range<Int> {
    let base = total / count, extra = total % count
    let start = index &* base &+ min(index, extra)
    return start..<(start &+ base &+ (index < extra ? 1 : 0))
}

/// Packs one part of the current block's column panels, for the current k-block(s).
private let packBTask: Parallel.TaskFunction = { context, task in
    let plan = context.assumingMemoryBound(to: GemmPlan.self).pointee
    let part = balancedRange(task, of: plan.packPartCount, total: plan.blockPanels.count)
    packBPanels(plan, panels: (plan.blockPanels.lowerBound + part.lowerBound)..<(plan.blockPanels.lowerBound + part.upperBound))
}

private let computeTask: Parallel.TaskFunction = { context, task in
    let plan = context.assumingMemoryBound(to: GemmPlan.self).pointee
    if plan.splitsRows {
        let panels = balancedRange(task, of: plan.partCount, total: (plan.m + 5) / 6)
        computeRectangle(plan, rows: (panels.lowerBound * 6)..<min(plan.m, panels.upperBound * 6),
                         panels: plan.blockPanels)
    } else {
        let part = balancedRange(task, of: plan.partCount, total: plan.panelCount)
        let first = max(part.lowerBound, plan.blockPanels.lowerBound), end = min(part.upperBound, plan.blockPanels.upperBound)
        if first < end { computeRectangle(plan, rows: 0..<plan.m, panels: first..<end) }
    }
}

func packBPanels(_ plan: GemmPlan, panels: Range<Int>) {
    guard let packed = plan.packedB else { return }
    // Full panels of an in-place row-major B are copied 128 columns at a time, row by row, so that
    // each row of B is read in runs of 512 bytes instead of strided 64-byte pieces.
    let width = GemmTile.width, half = GemmTile.halfWidth
    let fullPanels = plan.form == .nt ? panels.lowerBound : min(panels.upperBound, plan.n / width)
    for block in plan.blocks {
        let (kStart, kSize) = plan.kBlock(block)
        var panel = panels.lowerBound
        while panel < fullPanels {
            let groupEnd = min(panel &+ 128 / width, fullPanels)
            var source = plan.b + (kStart &* plan.ldb &+ panel &* width)
            let destination = packed + plan.packedPanelOffset(kStart: kStart, kSize: kSize, panel: panel)
            let panelStride = kSize &* width
            for p in 0..<kSize {
                var s = source, d = destination + p &* width
                for _ in panel..<groupEnd {
                    storeTile(loadTile(s), d); storeTile(loadTile(s + half), d + half)
                    s += width; d += panelStride
                }
                source += plan.ldb
            }
            panel = groupEnd
        }
        while panel < panels.upperBound {
            let destination = packed + plan.packedPanelOffset(kStart: kStart, kSize: kSize, panel: panel)
            packBPanel(plan, kStart: kStart, kSize: kSize, panel: panel, into: destination)
            panel &+= 1
        }
    }
}

/// Packs B(kStart..<kStart+kSize, panel columns) as [kSize][width], zero-padding missing columns.
@inline(__always)
func packBPanel(_ plan: GemmPlan, kStart: Int, kSize: Int, panel: Int, into destination: UnsafeMutablePointer<Float>) {
    let width = plan.panelWidth(panel)
    let column = panel &* GemmTile.width
    let columns = min(width, plan.n &- column)
    let ldb = plan.ldb
    if plan.form == .nt {
        // B is stored n×k: column c of the panel is a contiguous row of B. Transpose 8×8 blocks;
        // missing columns read as zeros.
        let kVectorEnd = kSize & ~7
        var c0 = 0
        while c0 < width {
            let valid = max(0, min(8, columns &- c0))
            let base = plan.b + ((column &+ c0) &* ldb &+ kStart)
            @inline(__always) func row(_ i: Int, _ p: Int) -> Vector8 {
                i < valid ? load8(base + (i &* ldb &+ p)) : Vector8()
            }
            var p = 0
            while p < kVectorEnd {
                let d = destination + (p &* width &+ c0)
                transpose8x8(row(0, p), row(1, p), row(2, p), row(3, p), row(4, p), row(5, p), row(6, p), row(7, p)) { j, v in
                    store8(v, d + j &* width)
                }
                p &+= 8
            }
            while p < kSize {
                let d = destination + (p &* width &+ c0)
                for i in 0..<8 { d[i] = i < valid ? base[i &* ldb &+ p] : 0 }
                p &+= 1
            }
            c0 &+= 8
        }
    } else {
        var s = plan.b + (kStart &* ldb &+ column)
        var d = destination
        if columns == GemmTile.width {
            let half = GemmTile.halfWidth
            for _ in 0..<kSize {
                storeTile(loadTile(s), d); storeTile(loadTile(s + half), d + half)
                s += ldb; d += GemmTile.width
            }
        } else {
            for _ in 0..<kSize {
                for c in 0..<width { d[c] = c < columns ? s[c] : 0 }
                s += ldb; d += width
            }
        }
    }
}

/// Packs rows `rowStart..<rowStart+rows` of A (all k in the block) as [panel][kSize][6].
@inline(__always)
func packABlock(_ plan: GemmPlan, rowStart: Int, rows: Int, kStart: Int, kSize: Int,
                into destination: UnsafeMutablePointer<Float>) {
    let lda = plan.lda
    var d = destination
    var panelRow = 0
    while panelRow < rows {
        let valid = min(6, rows &- panelRow)
        let i = rowStart &+ panelRow
        if plan.form == .tn {
            // A is stored k×m: the six values for one p are contiguous.
            var s = plan.a + (kStart &* lda &+ i)
            if valid == 6 {
                // One 16-byte and one 8-byte move per p instead of six scalar ones.
                for _ in 0..<kSize {
                    UnsafeMutableRawPointer(d).storeBytes(of: UnsafeRawPointer(s).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                    UnsafeMutableRawPointer(d + 4).storeBytes(of: UnsafeRawPointer(s + 4).loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
                    s += lda; d += 6
                }
            } else {
                for _ in 0..<kSize {
                    for r in 0..<6 { d[r] = r < valid ? s[r] : 0 }
                    s += lda; d += 6
                }
            }
        } else {
            let s0 = plan.a + (i &* lda &+ kStart)
            if valid == 6 {
                let s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
                // Eight p at a time: transpose the 6×8 block (two zero rows) and store the six
                // meaningful lanes of each column.
                var p = 0
                while p &+ 8 <= kSize {
                    let block = d
                    transpose8x8(load8(s0 + p), load8(s1 + p), load8(s2 + p), load8(s3 + p),
                                 load8(s4 + p), load8(s5 + p), Vector8(), Vector8()) { j, column in
                        let target = UnsafeMutableRawPointer(block + j &* 6)
                        target.storeBytes(of: column.lowHalf, as: SIMD4<Float>.self)
                        target.storeBytes(of: SIMD2(column[4], column[5]), toByteOffset: 16, as: SIMD2<Float>.self)
                    }
                    d += 48
                    p &+= 8
                }
                while p < kSize {
                    d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p]
                    d += 6
                    p &+= 1
                }
            } else {
                for p in 0..<kSize {
                    for r in 0..<6 { d[r] = r < valid ? s0[r &* lda &+ p] : 0 }
                    d += 6
                }
            }
        }
        panelRow &+= 6
    }
}

/// Computes C(rows, columns of `panels`) over all k-blocks, on the calling thread.
func computeRectangle(_ plan: GemmPlan, rows: Range<Int>, panels: Range<Int>) {
    if rows.isEmpty || panels.isEmpty { return }
    let workspace = Workspace.current
    let rowBlock = plan.packsA ? GemmBlocking.rowBlock : rows.count
    let maxK = plan.kBlock(0).size
    let packedA = plan.packsA ? workspace.packedA.reserve(GemmBlocking.rowBlock &* maxK) : nil
    // The direct path copies the narrow last panel of an in-place B, so that no load runs past B.
    let lastPanel = plan.panelCount &- 1
    let copiesLastPanel = plan.packedB == nil && panels.contains(lastPanel) && plan.n % GemmTile.width != 0
    let bTail = copiesLastPanel ? workspace.bTail.reserve(maxK &* GemmTile.width) : nil
    let chunk = GemmBlocking.columnPanelsPerChunk

    withUnsafeTemporaryAllocation(of: Float.self, capacity: GemmTile.rows * GemmTile.width) { edgeTileBuffer in
        let edgeTile = edgeTileBuffer.baseAddress!
        var chunkStart = panels.lowerBound
        while chunkStart < panels.upperBound {
            let chunkEnd = min(chunkStart &+ chunk, panels.upperBound)
            for block in plan.blocks {
                let (kStart, kSize) = plan.kBlock(block)
                let isFirstBlock = block == 0
                if let bTail, chunkEnd > lastPanel {
                    packBPanel(plan, kStart: kStart, kSize: kSize, panel: lastPanel, into: bTail)
                }
                var rowStart = rows.lowerBound
                while rowStart < rows.upperBound {
                    let blockRows = min(rowBlock, rows.upperBound &- rowStart)
                    if let packedA {
                        packABlock(plan, rowStart: rowStart, rows: blockRows, kStart: kStart, kSize: kSize, into: packedA)
                    }
                    for panel in chunkStart..<chunkEnd {
                        let width = plan.panelWidth(panel)
                        let column = panel &* GemmTile.width
                        let columns = min(width, plan.n &- column)
                        let bPanel: UnsafePointer<Float>
                        let bStep: Int
                        if let packedB = plan.packedB {
                            bPanel = UnsafePointer(packedB + plan.packedPanelOffset(kStart: kStart, kSize: kSize, panel: panel))
                            bStep = width
                        } else if panel == lastPanel, let bTail {
                            bPanel = UnsafePointer(bTail)
                            bStep = width
                        } else {
                            bPanel = plan.b + (kStart &* plan.ldb &+ column)
                            bStep = plan.ldb
                        }
                        let store = TileStore(addsToC: !isFirstBlock || plan.accumulate,
                                              bias: isFirstBlock ? plan.bias.map { $0 + column } : nil)
                        var panelRow = 0
                        while panelRow < blockRows {
                            let tileRows = min(6, blockRows &- panelRow)
                            let i = rowStart &+ panelRow
                            let isFull = tileRows == 6 && columns == width
                            let target = isFull ? plan.c + (i &* plan.ldc &+ column) : edgeTile
                            let targetStride = isFull ? plan.ldc : width
                            let targetStore = isFull ? store : TileStore(addsToC: false, bias: nil)
                            if let packedA {
                                let aPanel = UnsafePointer(packedA + panelRow &* kSize)
                                if width == GemmTile.width {
                                    kernelPackedFull(kSize, aPanel, bPanel, target, targetStride, targetStore)
                                } else {
                                    kernelGeneralHalf(kSize, aPanel, 6, .packed, bPanel, bStep, target, targetStride, targetStore)
                                }
                            } else {
                                let aPanel: UnsafePointer<Float>
                                let aStep: Int
                                let offsets: RowOffsets
                                if plan.form == .tn {
                                    aPanel = plan.a + (kStart &* plan.lda &+ i)
                                    aStep = plan.lda
                                    offsets = RowOffsets(rows: tileRows, scale: 1)
                                } else {
                                    aPanel = plan.a + (i &* plan.lda &+ kStart)
                                    aStep = 1
                                    offsets = RowOffsets(rows: tileRows, scale: plan.lda)
                                }
                                if width == GemmTile.width {
                                    kernelGeneralFull(kSize, aPanel, aStep, offsets, bPanel, bStep, target, targetStride, targetStore)
                                } else {
                                    kernelGeneralHalf(kSize, aPanel, aStep, offsets, bPanel, bStep, target, targetStride, targetStore)
                                }
                            }
                            if !isFull {
                                storeEdgeTile(edgeTile, width: width, rows: tileRows, columns: columns,
                                              c: plan.c + (i &* plan.ldc &+ column), ldc: plan.ldc, store: store)
                            }
                            panelRow &+= 6
                        }
                    }
                    rowStart &+= blockRows
                }
            }
            chunkStart = chunkEnd
        }
    }
}

/// Writes the valid part of an edge tile with the same arithmetic as `storeTile8`. One loop per
/// case: if-converted into one loop, LLVM loads the absent bias through a masked load from
/// address 0, and every such load takes a microcode assist (70% of a small product's time).
@inline(__always)
func storeEdgeTile(_ tile: UnsafePointer<Float>, width: Int, rows: Int, columns: Int,
                   c: UnsafeMutablePointer<Float>, ldc: Int, store: TileStore) {
    for r in 0..<rows {
        let source = tile + r &* width
        let row = c + r &* ldc
        if let bias = store.bias {
            if store.addsToC {
                for j in 0..<columns { row[j] = row[j] + (source[j] + bias[j]) }
            } else {
                for j in 0..<columns { row[j] = source[j] + bias[j] }
            }
        } else if store.addsToC {
            for j in 0..<columns { row[j] = row[j] + source[j] }
        } else {
            for j in 0..<columns { row[j] = source[j] }
        }
    }
}
