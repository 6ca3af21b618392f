// The loop nest of one thread's part of a product: column chunk, k-block, row block, column
// panel, row panel, around the micro-kernels of GemmKernel+MicroKernel.swift.

extension GemmKernel {
    /// Computes C(rows, columns of `panels`) over the plan's current k-block(s), on the calling
    /// thread. `scratch` is sized by `plan.scratchCounts(panels:)`; `plan.tileWidth` must be `width`.
    @inlinable
    public static func computeRectangle(_ plan: GemmPlan, rows: Range<Int>, panels: Range<Int>, scratch: GemmScratch) {
        if rows.isEmpty || panels.isEmpty { return }
        let rowBlock = plan.packsA ? GemmBlocking.rowBlock : rows.count
        let packedA = plan.packsA ? scratch.packedA : nil
        let lastPanel = plan.panelCount &- 1
        let bTail = plan.copiesLastPanel(panels) ? scratch.bTail : nil
        let edgeTile = scratch.edgeTile
        let chunk = plan.panelsPerChunk
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
                        let panelWidth = plan.panelWidth(panel)
                        let column = panel &* width
                        let columns = min(panelWidth, plan.n &- column)
                        let bPanel: UnsafePointer<Float>
                        let bStep: Int
                        if let packedB = plan.packedB {
                            bPanel = UnsafePointer(packedB + plan.packedPanelOffset(kStart: kStart, kSize: kSize, panel: panel))
                            bStep = panelWidth
                        } else if panel == lastPanel, let bTail {
                            bPanel = UnsafePointer(bTail)
                            bStep = panelWidth
                        } else {
                            bPanel = plan.b + (kStart &* plan.ldb &+ column)
                            bStep = plan.ldb
                        }
                        var tileBias: UnsafePointer<Float>? = nil
                        if isFirstBlock, let bias = plan.bias { tileBias = bias + column }
                        let store = TileStore(addsToC: !isFirstBlock || plan.accumulate, bias: tileBias)
                        var panelRow = 0
                        while panelRow < blockRows {
                            let tileRows = min(6, blockRows &- panelRow)
                            let i = rowStart &+ panelRow
                            let isFull = tileRows == 6 && columns == panelWidth
                            let target = isFull ? plan.c + (i &* plan.ldc &+ column) : edgeTile
                            let targetStride = isFull ? plan.ldc : panelWidth
                            let targetStore = isFull ? store : TileStore(addsToC: false, bias: nil)
                            if let packedA {
                                let aPanel = UnsafePointer(packedA + panelRow &* kSize)
                                if panelWidth == width {
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
                                if panelWidth == width {
                                    kernelGeneralFull(kSize, aPanel, aStep, offsets, bPanel, bStep, target, targetStride, targetStore)
                                } else {
                                    kernelGeneralHalf(kSize, aPanel, aStep, offsets, bPanel, bStep, target, targetStride, targetStore)
                                }
                            }
                            if !isFull {
                                storeEdgeTile(edgeTile, width: panelWidth, rows: tileRows, columns: columns,
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

    /// Writes the valid part of an edge tile with the same arithmetic as `storeTileRow`. One loop
    /// per case: if-converted into one loop, LLVM loads the absent bias through a masked load from
    /// address 0, and every such load takes a microcode assist (70% of a small product's time).
    @inlinable @inline(__always)
    static func storeEdgeTile(_ tile: UnsafePointer<Float>, width: Int, rows: Int, columns: Int,
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
}
