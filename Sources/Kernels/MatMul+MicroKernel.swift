// GEMM micro-kernels: a 6×16 register tile (12 SIMD8 accumulators) and a 6×8 tile for the
// narrow last column panel. Built with `-Xswiftc -DDESCENT_AVX512` (and an AVX-512 target CPU)
// the same code runs on SIMD16, as a 6×32 tile (12 zmm accumulators) and a 6×16 tail: the same
// arithmetic per element, so the same bits.
//
// One k-block of a tile: for p in 0..<kc, acc[r] += A(r, p) · B(p, 0..<NR), one FMA per lane, in
// p order, starting from zero. Then the tile is stored once:
//     t = acc (+ bias)          first k-block only
//     C = C + t  or  C = t      C + t for later k-blocks, or when accumulating
// Every output element gets exactly this sequence of operations whatever the path (packed or
// direct operands, full or edge tile) and whichever thread computes it. That is what makes the
// product bitwise independent of the thread count and of the partition.
//
// Operand addressing is generic so that one kernel serves packed panels and unpacked matrices:
//     A(r, p) = a[p·aStep + o_r]   (o_0 = 0)      B(p, c) = b[p·bStep + c]
// Packed A is [kc][6] (aStep 6, o_r = r); A used in place is aStep 1, o_r = r·lda (`.nn`) or
// aStep lda, o_r = r (`.tn`). Packed B is [kc][NR] or [kc][NR/2]; B used in place has bStep ldb.

/// How a finished tile is written to C.
struct TileStore {
    /// C = C + t instead of C = t.
    var addsToC: Bool
    /// Added to the accumulators before C, on the first k-block; already offset to the tile's
    /// first column.
    var bias: UnsafePointer<Float>?
}

/// Six row offsets into A (see the file header); o_0 is always 0.
struct RowOffsets {
    var o1: Int, o2: Int, o3: Int, o4: Int, o5: Int

    @inline(__always)
    init(_ o1: Int, _ o2: Int, _ o3: Int, _ o4: Int, _ o5: Int) {
        self.o1 = o1; self.o2 = o2; self.o3 = o3; self.o4 = o4; self.o5 = o5
    }

    /// Offsets `r·scale` for the first `rows` rows; missing rows repeat the last valid one, so that
    /// an edge tile read in place never touches memory outside A (its results are discarded).
    @inline(__always)
    init(rows: Int, scale: Int) {
        let last = rows &- 1
        o1 = min(1, last) &* scale
        o2 = min(2, last) &* scale
        o3 = min(3, last) &* scale
        o4 = min(4, last) &* scale
        o5 = min(5, last) &* scale
    }

    static let packed = RowOffsets(1, 2, 3, 4, 5)
}

typealias Vector8 = SIMD8<Float>

#if DESCENT_AVX512
/// The GEMM's SIMD register: two per tile row.
typealias TileVector = SIMD16<Float>
#else
typealias TileVector = SIMD8<Float>
#endif

/// The micro-tile: 6 rows × `width` columns (NR = two TileVectors).
enum GemmTile {
    static let rows = 6
    static let width = 2 * TileVector.scalarCount
    static let halfWidth = TileVector.scalarCount
}

@inline(__always)
func loadTile(_ pointer: UnsafePointer<Float>) -> TileVector {
    UnsafeRawPointer(pointer).loadUnaligned(as: TileVector.self)
}

@inline(__always)
func storeTile(_ value: TileVector, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: TileVector.self)
}

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
}

@inline(__always)
func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
}

@inline(__always)
func storeTileRow(_ acc: TileVector, _ c: UnsafeMutablePointer<Float>, _ store: TileStore, _ biasOffset: Int) {
    var t = acc
    if let bias = store.bias { t = t + loadTile(bias + biasOffset) }
    if store.addsToC { t = loadTile(c) + t }
    storeTile(t, c)
}

/// One k-block of a 6×NR tile. `c` has row stride `ldc`.
@inline(__always)
func microKernelFull(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                     _ b: UnsafePointer<Float>, _ bStep: Int,
                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
    let h = GemmTile.halfWidth
    var c00 = TileVector(), c01 = TileVector(), c10 = TileVector(), c11 = TileVector()
    var c20 = TileVector(), c21 = TileVector(), c30 = TileVector(), c31 = TileVector()
    var c40 = TileVector(), c41 = TileVector(), c50 = TileVector(), c51 = TileVector()
    var ap = a, bp = b
    let o1 = o.o1, o2 = o.o2, o3 = o.o3, o4 = o.o4, o5 = o.o5
    for _ in 0..<kc {
        let b0 = loadTile(bp), b1 = loadTile(bp + h)
        var x = TileVector(repeating: ap[0])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = TileVector(repeating: ap[o1])
        c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        x = TileVector(repeating: ap[o2])
        c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
        x = TileVector(repeating: ap[o3])
        c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
        x = TileVector(repeating: ap[o4])
        c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
        x = TileVector(repeating: ap[o5])
        c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        ap += aStep
        bp += bStep
    }
    var row = c
    storeTileRow(c00, row, store, 0); storeTileRow(c01, row + h, store, h); row += ldc
    storeTileRow(c10, row, store, 0); storeTileRow(c11, row + h, store, h); row += ldc
    storeTileRow(c20, row, store, 0); storeTileRow(c21, row + h, store, h); row += ldc
    storeTileRow(c30, row, store, 0); storeTileRow(c31, row + h, store, h); row += ldc
    storeTileRow(c40, row, store, 0); storeTileRow(c41, row + h, store, h); row += ldc
    storeTileRow(c50, row, store, 0); storeTileRow(c51, row + h, store, h)
}

/// One k-block of a 6×NR/2 tile (the last column panel when N mod NR is 1...NR/2).
@inline(__always)
func microKernelHalf(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                     _ b: UnsafePointer<Float>, _ bStep: Int,
                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
    var c0 = TileVector(), c1 = TileVector(), c2 = TileVector(), c3 = TileVector(), c4 = TileVector(), c5 = TileVector()
    var ap = a, bp = b
    let o1 = o.o1, o2 = o.o2, o3 = o.o3, o4 = o.o4, o5 = o.o5
    for _ in 0..<kc {
        let b0 = loadTile(bp)
        c0 = c0.addingProduct(TileVector(repeating: ap[0]), b0)
        c1 = c1.addingProduct(TileVector(repeating: ap[o1]), b0)
        c2 = c2.addingProduct(TileVector(repeating: ap[o2]), b0)
        c3 = c3.addingProduct(TileVector(repeating: ap[o3]), b0)
        c4 = c4.addingProduct(TileVector(repeating: ap[o4]), b0)
        c5 = c5.addingProduct(TileVector(repeating: ap[o5]), b0)
        ap += aStep
        bp += bStep
    }
    var row = c
    storeTileRow(c0, row, store, 0); row += ldc
    storeTileRow(c1, row, store, 0); row += ldc
    storeTileRow(c2, row, store, 0); row += ldc
    storeTileRow(c3, row, store, 0); row += ldc
    storeTileRow(c4, row, store, 0); row += ldc
    storeTileRow(c5, row, store, 0)
}

// Non-inlined instances: the packed ones see constant strides, so their loads use immediate
// offsets and the loop carries two pointer increments.

@inline(never)
func kernelPackedFull(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
    microKernelFull(kc, a, 6, .packed, b, GemmTile.width, c, ldc, store)
}

@inline(never)
func kernelGeneralFull(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                       _ b: UnsafePointer<Float>, _ bStep: Int,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
    microKernelFull(kc, a, aStep, o, b, bStep, c, ldc, store)
}

@inline(never)
func kernelGeneralHalf(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                       _ b: UnsafePointer<Float>, _ bStep: Int,
                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
    microKernelHalf(kc, a, aStep, o, b, bStep, c, ldc, store)
}
