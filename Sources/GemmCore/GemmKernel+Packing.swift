// GEMM packing: B into k-major micro-panels [kc][NR] (the narrow last one [kc][NR/2]), zero-padded,
// and blocks of A into [panel][kc][MR] (MR = packedRows, 6 or 12), six rows at a time. Pure copies
// and transposes: packing never rounds, so it has no say in the bits.

extension GemmKernel {
    /// Packs `panels` of the current block of B, for the current k-block(s).
    @inlinable
    public static func packBPanels(_ plan: GemmPlan, panels: Range<Int>) {
        guard let packed = plan.packedB else { return }
        // Full panels of an in-place row-major B are copied up to 1024 columns at a time, row by
        // row, so that each row of B is read in runs of up to 4 KiB: runs of 512 bytes, each on a
        // new page, are too short for the hardware prefetcher, and the loads wait on memory.
        let half = halfWidth
        let fullPanels = plan.form == .nt ? panels.lowerBound : min(panels.upperBound, plan.n / width)
        for block in plan.blocks {
            let (kStart, kSize) = plan.kBlock(block)
            var panel = panels.lowerBound
            while panel < fullPanels {
                let groupEnd = min(panel &+ 1024 / width, fullPanels)
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
    @inlinable @inline(__always)
    static func packBPanel(_ plan: GemmPlan, kStart: Int, kSize: Int, panel: Int, into destination: UnsafeMutablePointer<Float>) {
        let panelWidth = plan.panelWidth(panel)
        let column = panel &* width
        let columns = min(panelWidth, plan.n &- column)
        let ldb = plan.ldb
        if plan.form == .nt {
            // B is stored n×k: column c of the panel is a contiguous row of B. Transpose 8×8 blocks;
            // missing columns read as zeros.
            let kVectorEnd = kSize & ~7
            var c0 = 0
            while c0 < panelWidth {
                let valid = max(0, min(8, columns &- c0))
                let base = plan.b + ((column &+ c0) &* ldb &+ kStart)
                @inline(__always) func row(_ i: Int, _ p: Int) -> Vector8 {
                    i < valid ? load8(base + (i &* ldb &+ p)) : Vector8()
                }
                var p = 0
                while p < kVectorEnd {
                    let d = destination + (p &* panelWidth &+ c0)
                    let t = transpose8x8(row(0, p), row(1, p), row(2, p), row(3, p), row(4, p), row(5, p), row(6, p), row(7, p))
                    store8(t.0, d); store8(t.1, d + panelWidth); store8(t.2, d + 2 &* panelWidth)
                    store8(t.3, d + 3 &* panelWidth); store8(t.4, d + 4 &* panelWidth); store8(t.5, d + 5 &* panelWidth)
                    store8(t.6, d + 6 &* panelWidth); store8(t.7, d + 7 &* panelWidth)
                    p &+= 8
                }
                while p < kSize {
                    let d = destination + (p &* panelWidth &+ c0)
                    for i in 0..<8 { d[i] = i < valid ? base[i &* ldb &+ p] : 0 }
                    p &+= 1
                }
                c0 &+= 8
            }
        } else {
            var s = plan.b + (kStart &* ldb &+ column)
            var d = destination
            if columns == width {
                let half = halfWidth
                for _ in 0..<kSize {
                    storeTile(loadTile(s), d); storeTile(loadTile(s + half), d + half)
                    s += ldb; d += width
                }
            } else {
                for _ in 0..<kSize {
                    for c in 0..<panelWidth { d[c] = c < columns ? s[c] : 0 }
                    s += ldb; d += panelWidth
                }
            }
        }
    }

    /// Packs rows `rowStart..<rowStart+rows` of A (all k in the block) as [panel][kSize][packedRows],
    /// zero-padding the last panel's missing rows.
    @inlinable @inline(__always)
    static func packABlock(_ plan: GemmPlan, rowStart: Int, rows: Int, kStart: Int, kSize: Int,
                           into destination: UnsafeMutablePointer<Float>) {
        let panelRows = packedRows
        var panel = destination
        var panelRow = 0
        if plan.form == .tn {
            // A is stored k×m: one p's rows of the block are contiguous. Copy them p by p into
            // every full panel, reading A in order; one panel at a time would read each p's few
            // values lda apart, and every pass would fetch the same lines again.
            let fullPanels = rows / panelRows
            let panelStride = panelRows &* kSize
            var source = plan.a + (kStart &* plan.lda &+ rowStart)
            var target = destination
            for _ in 0..<(fullPanels > 0 ? kSize : 0) {
                var s = source, d = target
                for _ in 0..<fullPanels {
                    if panelRows == 12 {
                        store8(load8(s), d)
                        moveFloats(s + 8, d + 8, as: SIMD4<Float>.self)
                    } else {
                        moveFloats(s, d, as: SIMD4<Float>.self)
                        moveFloats(s + 4, d + 4, as: SIMD2<Float>.self)
                    }
                    s += panelRows; d += panelStride
                }
                source += plan.lda; target += panelRows
            }
            panel += fullPanels &* panelStride
            panelRow = fullPanels &* panelRows
        }
        while panelRow < rows {
            if panelRows == 12 && rows &- panelRow >= 12 {
                packTwelveRows(plan, row: rowStart &+ panelRow, kStart: kStart, kSize: kSize, into: panel)
                panel += 12 &* kSize
                panelRow &+= 12
                continue
            }
            var sixRows = 0
            while sixRows < panelRows {
                let valid = max(0, min(6, rows &- panelRow &- sixRows))
                packSixRows(plan, row: rowStart &+ panelRow &+ sixRows, valid: valid, kStart: kStart, kSize: kSize,
                            into: panel + sixRows, step: panelRows)
                sixRows &+= 6
            }
            panel += panelRows &* kSize
            panelRow &+= panelRows
        }
    }

    /// Copies one `Chunk` of floats from `source` to `destination` (unaligned).
    @inlinable @inline(__always)
    static func moveFloats<Chunk: SIMD>(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                                        as chunk: Chunk.Type) where Chunk.Scalar == Float {
        UnsafeMutableRawPointer(destination).storeBytes(of: UnsafeRawPointer(source).loadUnaligned(as: Chunk.self), as: Chunk.self)
    }

    /// Packs twelve rows of a `.nn`/`.nt` A from `row` (all present) as [kSize][12]: the same
    /// values as two `packSixRows` calls, with half the stores (one 8- and one 4-float store per p
    /// where those make four). A `.tn` A's full panels are packed by `packABlock` itself.
    @inlinable @inline(__always)
    static func packTwelveRows(_ plan: GemmPlan, row i: Int, kStart: Int, kSize: Int,
                               into destination: UnsafeMutablePointer<Float>) {
        let lda = plan.lda
        var d = destination
        @inline(__always) func storeLow(_ value: Vector8, _ target: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(target).storeBytes(of: value.lowHalf, as: SIMD4<Float>.self)
        }
        let s0 = plan.a + (i &* lda &+ kStart)
        let s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
        let s6 = s5 + lda, s7 = s6 + lda, s8 = s7 + lda, s9 = s8 + lda, s10 = s9 + lda, s11 = s10 + lda
        // Eight p at a time: rows 0-7 transpose into eight full columns, rows 8-11 (with four zero
        // rows) into eight half columns.
        var p = 0
        while p &+ 8 <= kSize {
            let t = transpose8x8(load8(s0 + p), load8(s1 + p), load8(s2 + p), load8(s3 + p),
                                 load8(s4 + p), load8(s5 + p), load8(s6 + p), load8(s7 + p))
            let u = transpose8x8(load8(s8 + p), load8(s9 + p), load8(s10 + p), load8(s11 + p),
                                 Vector8(), Vector8(), Vector8(), Vector8())
            store8(t.0, d); storeLow(u.0, d + 8)
            store8(t.1, d + 12); storeLow(u.1, d + 20)
            store8(t.2, d + 24); storeLow(u.2, d + 32)
            store8(t.3, d + 36); storeLow(u.3, d + 44)
            store8(t.4, d + 48); storeLow(u.4, d + 56)
            store8(t.5, d + 60); storeLow(u.5, d + 68)
            store8(t.6, d + 72); storeLow(u.6, d + 80)
            store8(t.7, d + 84); storeLow(u.7, d + 92)
            d += 96
            p &+= 8
        }
        while p < kSize {
            d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p]
            d[6] = s6[p]; d[7] = s7[p]; d[8] = s8[p]; d[9] = s9[p]; d[10] = s10[p]; d[11] = s11[p]
            d += 12
            p &+= 1
        }
    }

    /// Packs six rows of A from `row` (the first `valid` of them; the rest as zeros) for k in the
    /// block: the six values of one p go to `destination + p·step ..< + 6`.
    @inlinable @inline(__always)
    static func packSixRows(_ plan: GemmPlan, row i: Int, valid: Int, kStart: Int, kSize: Int,
                            into destination: UnsafeMutablePointer<Float>, step: Int) {
        let lda = plan.lda
        var d = destination
        if plan.form == .tn {
            // A is stored k×m: the six values for one p are contiguous.
            var s = plan.a + (kStart &* lda &+ i)
            if valid == 6 {
                // One 16-byte and one 8-byte move per p instead of six scalar ones.
                for _ in 0..<kSize {
                    moveFloats(s, d, as: SIMD4<Float>.self)
                    moveFloats(s + 4, d + 4, as: SIMD2<Float>.self)
                    s += lda; d += step
                }
            } else {
                for _ in 0..<kSize {
                    for r in 0..<6 { d[r] = r < valid ? s[r] : 0 }
                    s += lda; d += step
                }
            }
        } else if valid == 6 {
            let s0 = plan.a + (i &* lda &+ kStart)
            let s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
            // Eight p at a time: transpose the 6×8 block (two zero rows) and store the six
            // meaningful lanes of each column.
            @inline(__always) func storeColumn(_ column: Vector8, _ target: UnsafeMutablePointer<Float>) {
                let raw = UnsafeMutableRawPointer(target)
                raw.storeBytes(of: column.lowHalf, as: SIMD4<Float>.self)
                raw.storeBytes(of: SIMD2(column[4], column[5]), toByteOffset: 16, as: SIMD2<Float>.self)
            }
            var p = 0
            while p &+ 8 <= kSize {
                let t = transpose8x8(load8(s0 + p), load8(s1 + p), load8(s2 + p), load8(s3 + p),
                                     load8(s4 + p), load8(s5 + p), Vector8(), Vector8())
                storeColumn(t.0, d); storeColumn(t.1, d + step); storeColumn(t.2, d + 2 &* step)
                storeColumn(t.3, d + 3 &* step); storeColumn(t.4, d + 4 &* step); storeColumn(t.5, d + 5 &* step)
                storeColumn(t.6, d + 6 &* step); storeColumn(t.7, d + 7 &* step)
                d += 8 &* step
                p &+= 8
            }
            while p < kSize {
                d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p]
                d += step
                p &+= 1
            }
        } else {
            let s0 = plan.a + (i &* lda &+ kStart)
            for p in 0..<kSize {
                for r in 0..<6 { d[r] = r < valid ? s0[r &* lda &+ p] : 0 }
                d += step
            }
        }
    }
}
