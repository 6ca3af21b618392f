// GEMM micro-kernels: a 6×NR register tile (12 tile vectors), a 12×NR one (24 tile vectors; only
// where 32 registers hold it, from packed A), and a 6×NR/2 tile for the narrow last column panel.
// With SIMD8 (Kernels' baseline instance) NR = 16 and the accumulators are ymm registers on
// x86-64-v3; with SIMD16 (GemmAVX512) NR = 32 and they are zmm registers. The arithmetic per
// element is the same, so the bits are too.
//
// One k-block of a tile: for p in 0..<kc, acc[r] += A(r, p) · B(p, 0..<NR), one FMA per lane, in
// p order, starting from zero. Then the tile is stored once:
//     t = acc (+ bias)          first k-block only
//     C = C + t  or  C = t      C + t for later k-blocks, or when accumulating
// Every output element gets exactly this sequence of operations whatever the path (packed or
// direct operands, full or edge tile), whichever thread computes it and whatever the tile width.
// That is what makes the product bitwise independent of the thread count, of the partition and of
// the instruction set.
//
// Operand addressing is generic so that one kernel serves packed panels and unpacked matrices:
//     A(r, p) = a[p·aStep + o_r]   (o_0 = 0)      B(p, c) = b[p·bStep + c]
// Packed A is [kc][MR] (aStep MR, o_r = r; a 12-row panel is also read as two 6-row halves); A
// used in place is aStep 1, o_r = r·lda (`.nn`) or aStep lda, o_r = r (`.tn`). Packed B is
// [kc][NR] or [kc][NR/2]; B used in place has bStep ldb.

import CPrefetch

/// How a finished tile is written to C.
public struct TileStore {
    /// C = C + t instead of C = t.
    public var addsToC: Bool
    /// Added to the accumulators before C, on the first k-block; already offset to the tile's
    /// first column.
    public var bias: UnsafePointer<Float>?

    @inlinable @inline(__always)
    public init(addsToC: Bool, bias: UnsafePointer<Float>?) {
        self.addsToC = addsToC; self.bias = bias
    }
}

/// Six row offsets into A (see the file header); o_0 is always 0.
public struct RowOffsets {
    public var o1: Int, o2: Int, o3: Int, o4: Int, o5: Int

    @inlinable @inline(__always)
    public init(_ o1: Int, _ o2: Int, _ o3: Int, _ o4: Int, _ o5: Int) {
        self.o1 = o1; self.o2 = o2; self.o3 = o3; self.o4 = o4; self.o5 = o5
    }

    /// Offsets `r·scale` for the first `rows` rows; missing rows repeat the last valid one, so that
    /// an edge tile read in place never touches memory outside A (its results are discarded).
    @inlinable @inline(__always)
    public init(rows: Int, scale: Int) {
        let last = rows &- 1
        o1 = min(1, last) &* scale
        o2 = min(2, last) &* scale
        o3 = min(3, last) &* scale
        o4 = min(4, last) &* scale
        o5 = min(5, last) &* scale
    }

    @inlinable
    public static var packed: RowOffsets { RowOffsets(1, 2, 3, 4, 5) }
}

/// The GEMM's numerics for one tile vector type: the micro-tile is 6 rows × `width` columns (two
/// `Vector`s per row). Every member is generic over `Vector`, so each instance module's copies are
/// its own symbols.
public enum GemmKernel<Vector: SIMD> where Vector.Scalar == Float {
    @inlinable public static var rows: Int { 6 }
    /// Rows of a packed A micro-panel ([kc][packedRows]) and of the tile computed from it when it
    /// is full: 12 with SIMD16 (32 zmm registers hold a 12×32 tile), 6 with SIMD8 (16 ymm hold
    /// 6×16). Partial panels are computed 6 rows at a time.
    @inlinable public static var packedRows: Int { Vector.scalarCount >= 16 ? 12 : 6 }
    /// Up to this many columns, a last column panel is computed by `microKernelColumns`, which
    /// spends one FMA per column and k on a whole packed panel (4 for any 1-4 columns), where the
    /// row tiles spend MR/6 · 6 (half panel) per k: 8 with SIMD16 (vs 12), 4 with SIMD8 (vs 6).
    @inlinable public static var columnKernelMaximum: Int { Vector.scalarCount / 2 }
    /// NR.
    @inlinable
    public static var width: Int { 2 &* Vector.scalarCount }
    @inlinable
    public static var halfWidth: Int { Vector.scalarCount }

    @inlinable @inline(__always)
    static func loadTile(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func storeTile(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    @inlinable @inline(__always)
    static func storeTileRow(_ acc: Vector, _ c: UnsafeMutablePointer<Float>, _ store: TileStore, _ biasOffset: Int) {
        var t = acc
        if let bias = store.bias { t = t + loadTile(bias + biasOffset) }
        if store.addsToC { t = loadTile(c) + t }
        storeTile(t, c)
    }

    /// Stores one row of a full tile (its two vectors) at `row` and moves `row` to the next one.
    @inlinable @inline(__always)
    static func storeFullTileRow(_ low: Vector, _ high: Vector, _ row: inout UnsafeMutablePointer<Float>, _ ldc: Int,
                                 _ store: TileStore) {
        let h = halfWidth
        storeTileRow(low, row, store, 0); storeTileRow(high, row + h, store, h)
        row += ldc
    }

    /// Asks for the `rows` × NR tile of C at `c` in L2, at the start of every full tile, so that
    /// the kernel's k loop (~kc·6 cycles) hides the fetch. A tile the kernel adds to is, on large
    /// products, long gone from L2 by then (the block loop visits the whole of C between two
    /// k-blocks). A tile that is only written costs the same fetch: each store to a line not in
    /// cache must first read it (read-for-ownership), and twelve such stores at the tile's end
    /// stall the core when C is larger than the cache (the single k-block products with 4096
    /// columns, such as config C's output layer).
    @inlinable @inline(__always)
    static func prefetchTile(_ c: UnsafeMutablePointer<Float>, rows: Int, _ ldc: Int) {
        let h = halfWidth
        var row = c
        for _ in 0..<rows {
            // First, middle and last float of the row (at most 128 bytes): every line it spans.
            descent_prefetch_l2(row); descent_prefetch_l2(row + h); descent_prefetch_l2(row + (2 &* h &- 1))
            row += ldc
        }
    }

    /// One k-block of a 6×NR tile. `c` has row stride `ldc`.
    @inlinable @inline(__always)
    static func microKernelFull(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                                _ b: UnsafePointer<Float>, _ bStep: Int,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        let h = halfWidth
        prefetchTile(c, rows: 6, ldc)
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
        var c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
        var ap = a, bp = b
        let o1 = o.o1, o2 = o.o2, o3 = o.o3, o4 = o.o4, o5 = o.o5
        @inline(__always) func step(_ ap: UnsafePointer<Float>, _ bp: UnsafePointer<Float>) {
            let b0 = loadTile(bp), b1 = loadTile(bp + h)
            var x = Vector(repeating: ap[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Vector(repeating: ap[o1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Vector(repeating: ap[o2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Vector(repeating: ap[o3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = Vector(repeating: ap[o4])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = Vector(repeating: ap[o5])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        }
        // Four p per trip: one rolled trip spends two pointer bumps and a compare-and-branch (which
        // LLVM lays out as two branches) on twelve FMAs. The order of each accumulator's FMAs is
        // unchanged, so the bits are too.
        var remaining = kc
        while remaining >= 4 {
            step(ap, bp)
            step(ap + aStep, bp + bStep)
            step(ap + 2 &* aStep, bp + 2 &* bStep)
            step(ap + 3 &* aStep, bp + 3 &* bStep)
            ap += 4 &* aStep
            bp += 4 &* bStep
            remaining &-= 4
        }
        while remaining > 0 {
            step(ap, bp)
            ap += aStep
            bp += bStep
            remaining &-= 1
        }
        var row = c
        storeFullTileRow(c00, c01, &row, ldc, store)
        storeFullTileRow(c10, c11, &row, ldc, store)
        storeFullTileRow(c20, c21, &row, ldc, store)
        storeFullTileRow(c30, c31, &row, ldc, store)
        storeFullTileRow(c40, c41, &row, ldc, store)
        storeFullTileRow(c50, c51, &row, ldc, store)
    }

    /// One k-block of a 12×NR tile from a packed A panel ([kc][12]): the AVX-512 instance's main
    /// kernel. 24 accumulators, two B vectors and a broadcast fill 27 of the 32 zmm registers, and
    /// each pair of B loads now feeds 24 FMAs instead of 12 (6×32: 8 loads per 12 FMAs, 12×32: 14
    /// per 24). Each element's arithmetic is exactly `microKernelFull`'s.
    @inlinable @inline(__always)
    static func microKernelTwelveFull(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        let h = halfWidth
        prefetchTile(c, rows: 12, ldc)
        var c00 = Vector(), c01 = Vector()
        var c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector()
        var c30 = Vector(), c31 = Vector()
        var c40 = Vector(), c41 = Vector()
        var c50 = Vector(), c51 = Vector()
        var c60 = Vector(), c61 = Vector()
        var c70 = Vector(), c71 = Vector()
        var c80 = Vector(), c81 = Vector()
        var c90 = Vector(), c91 = Vector()
        var c100 = Vector(), c101 = Vector()
        var c110 = Vector(), c111 = Vector()
        var ap = a, bp = b
        for _ in 0..<kc {
            let b0 = loadTile(bp), b1 = loadTile(bp + h)
            var x = Vector(repeating: ap[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Vector(repeating: ap[1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Vector(repeating: ap[2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Vector(repeating: ap[3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = Vector(repeating: ap[4])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = Vector(repeating: ap[5])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            x = Vector(repeating: ap[6])
            c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
            x = Vector(repeating: ap[7])
            c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
            x = Vector(repeating: ap[8])
            c80 = c80.addingProduct(x, b0); c81 = c81.addingProduct(x, b1)
            x = Vector(repeating: ap[9])
            c90 = c90.addingProduct(x, b0); c91 = c91.addingProduct(x, b1)
            x = Vector(repeating: ap[10])
            c100 = c100.addingProduct(x, b0); c101 = c101.addingProduct(x, b1)
            x = Vector(repeating: ap[11])
            c110 = c110.addingProduct(x, b0); c111 = c111.addingProduct(x, b1)
            ap += 12
            bp += 2 &* h
        }
        var row = c
        storeFullTileRow(c00, c01, &row, ldc, store)
        storeFullTileRow(c10, c11, &row, ldc, store)
        storeFullTileRow(c20, c21, &row, ldc, store)
        storeFullTileRow(c30, c31, &row, ldc, store)
        storeFullTileRow(c40, c41, &row, ldc, store)
        storeFullTileRow(c50, c51, &row, ldc, store)
        storeFullTileRow(c60, c61, &row, ldc, store)
        storeFullTileRow(c70, c71, &row, ldc, store)
        storeFullTileRow(c80, c81, &row, ldc, store)
        storeFullTileRow(c90, c91, &row, ldc, store)
        storeFullTileRow(c100, c101, &row, ldc, store)
        storeFullTileRow(c110, c111, &row, ldc, store)
    }

    /// One k-block of a `rows`×NR tile (1...5 rows) from a packed A panel read with stride
    /// `aStep`, stored straight into C: the last rows of a block whose row count is not a multiple
    /// of six (4 of 256, 2 of 512). Only `rows` rows are computed, where the 6-row kernel would
    /// spend a third or more of its FMAs on padding and then copy through the edge tile. Each
    /// element's arithmetic is exactly `microKernelFull`'s. Inlined with a constant `rows`, so
    /// that the unused accumulators and their FMAs fold away.
    @inlinable @inline(__always)
    static func microKernelPartialRows(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int,
                                       _ b: UnsafePointer<Float>, rows: Int,
                                       _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        let h = halfWidth
        prefetchTile(c, rows: rows, ldc)
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
        var c40 = Vector(), c41 = Vector()
        var ap = a, bp = b
        for _ in 0..<kc {
            let b0 = loadTile(bp), b1 = loadTile(bp + h)
            var x = Vector(repeating: ap[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            if rows > 1 {
                x = Vector(repeating: ap[1])
                c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            }
            if rows > 2 {
                x = Vector(repeating: ap[2])
                c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            }
            if rows > 3 {
                x = Vector(repeating: ap[3])
                c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            }
            if rows > 4 {
                x = Vector(repeating: ap[4])
                c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            }
            ap += aStep
            bp += width
        }
        var row = c
        storeFullTileRow(c00, c01, &row, ldc, store)
        if rows > 1 { storeFullTileRow(c10, c11, &row, ldc, store) }
        if rows > 2 { storeFullTileRow(c20, c21, &row, ldc, store) }
        if rows > 3 { storeFullTileRow(c30, c31, &row, ldc, store) }
        if rows > 4 { storeFullTileRow(c40, c41, &row, ldc, store) }
    }

    /// One k-block of a 6×NR/2 tile (the last column panel when N mod NR is 1...NR/2).
    @inlinable @inline(__always)
    static func microKernelHalf(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                                _ b: UnsafePointer<Float>, _ bStep: Int,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
        var ap = a, bp = b
        let o1 = o.o1, o2 = o.o2, o3 = o.o3, o4 = o.o4, o5 = o.o5
        for _ in 0..<kc {
            let b0 = loadTile(bp)
            c0 = c0.addingProduct(Vector(repeating: ap[0]), b0)
            c1 = c1.addingProduct(Vector(repeating: ap[o1]), b0)
            c2 = c2.addingProduct(Vector(repeating: ap[o2]), b0)
            c3 = c3.addingProduct(Vector(repeating: ap[o3]), b0)
            c4 = c4.addingProduct(Vector(repeating: ap[o4]), b0)
            c5 = c5.addingProduct(Vector(repeating: ap[o5]), b0)
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

    /// One k-block of the last few columns of C against a whole packed A panel, with the roles of
    /// A and B swapped: one vector holds a column of the panel's rows (A(0..<MR, p), read with one
    /// load from the [kc][MR] panel), and each column j of C is one accumulator,
    /// acc_j += A(·, p) · B(p, j). A tile 6 rows tall spends a whole FMA on every row whatever the
    /// width, so a last panel with one valid column costs 12 FMAs per k in 12×NR/2 tiles; here it
    /// costs one. Lane i of acc_j is C(i, j) with exactly `microKernelFull`'s arithmetic (each FMA
    /// multiplies the same two numbers, and the products round the same in either order), and the
    /// stores below repeat `storeTileRow`'s additions, so the bits do not change.
    ///
    /// Computes `columns` (1...4) columns from `b` (bStep apart per p; lanes past `columns` read
    /// padding), and stores rows `0..<rows` of them. The load of A reads `Vector.scalarCount − MR`
    /// floats past each p's rows, into the next p's, and past the block's end on the last p: the
    /// packed-A scratch has that much padding (`GemmPlan.scratchCounts`).
    @inlinable @inline(__always)
    static func microKernelColumns(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int,
                                   _ b: UnsafePointer<Float>, _ bStep: Int, columns: Int, rows: Int,
                                   _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector()
        var ap = a, bp = b
        if columns == 1 {
            for _ in 0..<kc {
                c0 = c0.addingProduct(loadTile(ap), Vector(repeating: bp[0]))
                ap += aStep
                bp += bStep
            }
        } else {
            for _ in 0..<kc {
                let x = loadTile(ap)
                c0 = c0.addingProduct(x, Vector(repeating: bp[0]))
                c1 = c1.addingProduct(x, Vector(repeating: bp[1]))
                c2 = c2.addingProduct(x, Vector(repeating: bp[2]))
                c3 = c3.addingProduct(x, Vector(repeating: bp[3]))
                ap += aStep
                bp += bStep
            }
        }
        @inline(__always) func storeColumn(_ acc: Vector, _ j: Int) {
            var target = c + j
            for i in 0..<rows {
                var t = acc[i]
                if let bias = store.bias { t = t + bias[j] }
                if store.addsToC { t = target.pointee + t }
                target.pointee = t
                target += ldc
            }
        }
        storeColumn(c0, 0)
        if columns > 1 { storeColumn(c1, 1) }
        if columns > 2 { storeColumn(c2, 2) }
        if columns > 3 { storeColumn(c3, 3) }
    }

    // Non-inlined instances: the packed ones see constant strides, so their loads use immediate
    // offsets and the loop carries two pointer increments.

    @inlinable @inline(never)
    static func kernelPackedFull(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        microKernelFull(kc, a, 6, .packed, b, width, c, ldc, store)
    }

    @inlinable @inline(never)
    static func kernelPackedTwelve(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        microKernelTwelveFull(kc, a, b, c, ldc, store)
    }

    /// `microKernelPartialRows` for a full-width panel of packed B; `rows` is 1...5.
    @inlinable @inline(never)
    static func kernelPackedPartialRows(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ b: UnsafePointer<Float>,
                                        rows: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        switch rows {
        case 1: microKernelPartialRows(kc, a, aStep, b, rows: 1, c, ldc, store)
        case 2: microKernelPartialRows(kc, a, aStep, b, rows: 2, c, ldc, store)
        case 3: microKernelPartialRows(kc, a, aStep, b, rows: 3, c, ldc, store)
        case 4: microKernelPartialRows(kc, a, aStep, b, rows: 4, c, ldc, store)
        default: microKernelPartialRows(kc, a, aStep, b, rows: 5, c, ldc, store)
        }
    }

    @inlinable @inline(never)
    static func kernelColumns(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int,
                              _ b: UnsafePointer<Float>, _ bStep: Int, columns: Int, rows: Int,
                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        microKernelColumns(kc, a, aStep, b, bStep, columns: columns, rows: rows, c, ldc, store)
    }

    @inlinable @inline(never)
    static func kernelGeneralFull(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                                  _ b: UnsafePointer<Float>, _ bStep: Int,
                                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        microKernelFull(kc, a, aStep, o, b, bStep, c, ldc, store)
    }

    @inlinable @inline(never)
    static func kernelGeneralHalf(_ kc: Int, _ a: UnsafePointer<Float>, _ aStep: Int, _ o: RowOffsets,
                                  _ b: UnsafePointer<Float>, _ bStep: Int,
                                  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore) {
        microKernelHalf(kc, a, aStep, o, b, bStep, c, ldc, store)
    }
}
