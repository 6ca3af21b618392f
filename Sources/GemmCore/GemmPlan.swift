// GemmCore: the GEMM's numerics, written once and generic over the SIMD register type of its
// micro-tile, so that each instruction-set module specializes it with its own code generation:
// Kernels for the package's baseline (SIMD8, 6×16 tile; x86-64-v3 on x86), GemmAVX512 for
// x86-64-v4 (SIMD16, 12×32 tile, 6×32 on edges). Everything here is `@inlinable` and generic over
// the tile vector (`GemmKernel<Vector>`), so every out-of-line copy a module emits carries its
// vector type in its symbol name: the linker can never merge an AVX-512 copy into the baseline
// path.
//
// This file: the plan of one product (sizes, operands, blocking, the split) and the blocking
// constants. Packing, micro-kernels and the loop nest are in the GemmKernel files. Deliberately
// not here: choosing the path or the split, threads, scratch memory, the instruction-set check
// (all in Kernels, MatMul+Driver.swift and InstructionSet.swift).

/// Which operands are stored transposed (Kernels' `MatMulForm`).
public enum GemmForm: Sendable {
    case nn, nt, tn
}

/// Blocking constants. `maximumKBlock` fixes where k is cut into blocks, so it fixes the bits:
/// change it and every product with k > maximumKBlock rounds differently. None of them depends on
/// the tile width, which is why both instances give the same bits.
public enum GemmBlocking {
    /// k is cut into ⌈k / 384⌉ blocks of (nearly) equal size (OpenBLAS's Haswell kc is 384 too).
    @inlinable public static var maximumKBlock: Int { 384 }

    /// The number of blocks k is cut into.
    @inlinable @inline(__always)
    public static func kBlockCount(_ k: Int) -> Int { max(1, (k + maximumKBlock - 1) / maximumKBlock) }

    /// Start and size of k-block `index` of `count`: the first k mod count blocks are one longer.
    /// A kernel that splits a sum over k the way a product would (TokenTables) cuts it here.
    @inlinable @inline(__always)
    public static func kBlock(_ index: Int, of count: Int, k: Int) -> (start: Int, size: Int) {
        let base = k / count, extra = k % count
        return (index &* base &+ min(index, extra), base &+ (index < extra ? 1 : 0))
    }
    /// Rows of A packed at once (a multiple of 6 and 12): 48 × 384 floats (72 KiB) stay in L2.
    /// Blocking is flat here: 6…96 rows measured within ±4% on 1024³ (48 among the best); with the
    /// 12×32 tile, 24 and 96 measured 2-6% slower than 48.
    @inlinable public static var rowBlock: Int { 48 }
    /// Columns per pass over a packed A block: up to 1024, so that most products pack each block
    /// of A once.
    @inlinable public static var columnsPerChunk: Int { 1024 }
    /// Up to this many floats, B is packed whole rather than block by block (512 KiB).
    @inlinable public static var wholePackedBMaximum: Int { 1 << 17 }
    /// Up to this many floats (1 MiB), a product computed by one task in several column chunks
    /// packs all of A once, in the first chunk, instead of again in every chunk.
    @inlinable public static var wholePackedAMaximum: Int { 1 << 18 }
    /// Up to this many columns of C, the packed path reads a `.nn` A in place.
    @inlinable public static var directAMaximumColumns: Int { 128 }
    /// Below this many multiply-adds (m·n·k) a product takes the direct path.
    @inlinable public static var directPathMaximum: Int { 1 << 18 }
    /// Below this many multiply-adds a product runs on the calling thread only.
    @inlinable public static var parallelMinimum: Int { 1 << 21 }
}

/// Everything one product needs; passed to the tasks by pointer.
public struct GemmPlan {
    public var m: Int, n: Int, k: Int
    public var form: GemmForm
    public var a: UnsafePointer<Float>, lda: Int
    public var b: UnsafePointer<Float>, ldb: Int
    public var c: UnsafeMutablePointer<Float>, ldc: Int
    public var bias: UnsafePointer<Float>?
    public var accumulate: Bool
    /// NR: the micro-tile's width (two tile vectors), 16 or 32. Fixes the panel geometry below and
    /// which instance may compute the plan.
    public let tileWidth: Int
    /// Rows of a packed A micro-panel: the instance's `GemmKernel.packedRows`, 6 or 12.
    public let packedRows: Int
    public var packsA: Bool
    /// Packed B: one block (`blockPanels` × k-block `blockIndex`) at a time, shared by the
    /// threads, for a large B; a compute task's own copy of the panels it reads for a small one
    /// (`packsBInTask`); nil when B is read in place.
    public var packedB: UnsafeMutablePointer<Float>?
    /// The packed path packs B block by block, right before the threads use it: the block stays in
    /// cache, and both threads read the same copy.
    public var packsBlocks: Bool
    public var blockPanels: Range<Int>
    /// The k-block being computed, or -1 for all of them (direct path).
    public var blockIndex: Int
    public var kBlockCount: Int
    /// Column panels: all NR wide except perhaps the last, NR/2 or NR wide.
    public var panelCount: Int
    public var lastPanelWidth: Int
    public var paddedN: Int
    /// The split between threads: `partCount` row ranges or column-panel ranges.
    public var splitsRows: Bool
    public var partCount: Int
    /// Column-panel ranges that pack a block of a large B in parallel.
    public var packPartCount: Int
    /// Each compute task packs the B panels it reads (all k-blocks of them) into its own scratch
    /// first: set for a small B that is packed at all (Kernels' driver decides).
    public var packsBInTask: Bool

    public init(m: Int, n: Int, k: Int, form: GemmForm,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool,
                 tileWidth: Int, packedRows: Int) {
        self.m = m; self.n = n; self.k = k; self.form = form
        self.a = a; self.lda = lda; self.b = b; self.ldb = ldb; self.c = c; self.ldc = ldc
        self.bias = bias; self.accumulate = accumulate
        self.tileWidth = tileWidth
        self.packedRows = packedRows
        packsA = false
        packedB = nil
        kBlockCount = GemmBlocking.kBlockCount(k)
        let half = tileWidth / 2
        let fullPanels = n / tileWidth, remainder = n % tileWidth
        panelCount = fullPanels + (remainder > 0 ? 1 : 0)
        lastPanelWidth = remainder == 0 || remainder > half ? tileWidth : half
        paddedN = fullPanels * tileWidth + (remainder == 0 ? 0 : lastPanelWidth)
        splitsRows = true
        partCount = 1
        packPartCount = 1
        packsBInTask = false
        packsBlocks = false
        blockPanels = 0..<panelCount
        blockIndex = -1
    }

    /// The unit of a row split between threads: a packed A micro-panel, or 6 rows when A is read
    /// in place.
    @inlinable
    public var rowsPerPanel: Int { packsA ? packedRows : 6 }

    /// Column panels per pass over a packed A block (`GemmBlocking.columnsPerChunk` columns).
    @inlinable
    public var panelsPerChunk: Int { GemmBlocking.columnsPerChunk / tileWidth }

    /// The k-blocks the current step covers.
    @inlinable
    public var blocks: Range<Int> { blockIndex < 0 ? 0..<kBlockCount : blockIndex..<(blockIndex + 1) }

    /// Start and size of k-block `index`.
    @inlinable @inline(__always)
    public func kBlock(_ index: Int) -> (start: Int, size: Int) { GemmBlocking.kBlock(index, of: kBlockCount, k: k) }

    @inlinable @inline(__always)
    public func panelWidth(_ panel: Int) -> Int { panel == panelCount &- 1 ? lastPanelWidth : tileWidth }

    /// Where panel `panel` of k-block starting at `kStart` (size `kSize`) lives in packed B.
    @inlinable @inline(__always)
    public func packedPanelOffset(kStart: Int, kSize: Int, panel: Int) -> Int {
        if packsBlocks { return kSize &* tileWidth &* (panel &- blockPanels.lowerBound) }
        return kStart &* paddedN &+ kSize &* tileWidth &* panel
    }

    /// Whether computing `panels` copies the narrow last panel of an in-place B (direct path), so
    /// that no load runs past B.
    @inlinable
    public func copiesLastPanel(_ panels: Range<Int>) -> Bool {
        packedB == nil && panels.contains(panelCount &- 1) && n % tileWidth != 0
    }

    /// Rows of A as packed whole (`packsWholeA`): m rounded up to whole micro-panels.
    @inlinable
    public var wholePackedARows: Int { (m &+ packedRows &- 1) / packedRows &* packedRows }

    /// Where the block of A for k-block (`kStart`, `kSize`) and rows from `rowStart` lives in a
    /// whole packed A: k-block after k-block, each [panel][kSize][packedRows].
    @inlinable @inline(__always)
    public func wholePackedAOffset(kStart: Int, kSize: Int, rowStart: Int) -> Int {
        kStart &* wholePackedARows &+ rowStart &* kSize
    }

    /// All of A (every k-block) is packed into the scratch once, in the first column chunk, and
    /// read from there by the later ones: where one task computes several chunks and A is small
    /// enough (`GemmBlocking.wholePackedAMaximum`). Only with one task: the pool hands tasks to
    /// whichever thread claims them, so A packed in one thread's scratch may not be there for the
    /// next chunk.
    @inlinable
    public var packsWholeA: Bool {
        packsA && partCount == 1 && panelCount > panelsPerChunk && wholePackedARows &* k <= GemmBlocking.wholePackedAMaximum
    }

    /// Floats of scratch that computing `panels` needs, per kind (0: none).
    @inlinable
    public func scratchCounts(panels: Range<Int>) -> (packedA: Int, bTail: Int, edgeTile: Int) {
        let maxK = kBlock(0).size
        let packedAFloats = packsWholeA ? wholePackedARows &* k : GemmBlocking.rowBlock &* maxK
        // Packed A gets NR/2 floats of padding: `microKernelColumns` loads a whole vector per p.
        return (packsA ? packedAFloats &+ tileWidth / 2 : 0,
                copiesLastPanel(panels) ? maxK &* tileWidth : 0,
                6 &* tileWidth)
    }
}

/// Per-thread scratch for one `computeRectangle` call, sized by `GemmPlan.scratchCounts`.
public struct GemmScratch {
    /// One mc × kc block of A ([panel][kc][MR]); nil when A is read in place.
    public var packedA: UnsafeMutablePointer<Float>?
    /// The narrow last panel of an in-place B; nil unless `copiesLastPanel`.
    public var bTail: UnsafeMutablePointer<Float>?
    /// One 6 × NR tile, for tiles that do not fit C.
    public var edgeTile: UnsafeMutablePointer<Float>

    public init(packedA: UnsafeMutablePointer<Float>?, bTail: UnsafeMutablePointer<Float>?,
                 edgeTile: UnsafeMutablePointer<Float>) {
        self.packedA = packedA; self.bTail = bTail; self.edgeTile = edgeTile
    }
}
