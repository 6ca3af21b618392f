// The loop nest of one thread's part of a product: column chunk, k-block, row block, column
// panel, row panel, around the micro-kernels of GemmKernel+MicroKernel.swift.

extension GemmKernel {
    /// Computes C(rows, columns of `panels`) over the plan's current k-block(s), on the calling
    /// thread. `scratch` is sized by `plan.scratchCounts(panels:)`; `plan.tileWidth` and
    /// `plan.packedRows` must be this instance's `width` and `packedRows`.
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
                    var blockA = packedA
                    if let packedA {
                        if plan.packsWholeA {
                            // One task computes every chunk, from the first: later chunks find A packed.
                            let block = packedA + plan.wholePackedAOffset(kStart: kStart, kSize: kSize, rowStart: rowStart)
                            if chunkStart == 0 {
                                packABlock(plan, rowStart: rowStart, rows: blockRows, kStart: kStart, kSize: kSize, into: block)
                            }
                            blockA = block
                        } else {
                            packABlock(plan, rowStart: rowStart, rows: blockRows, kStart: kStart, kSize: kSize, into: packedA)
                        }
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
                        let tileTarget = TileTarget(c: plan.c, ldc: plan.ldc, column: column, columns: columns,
                                                    panelWidth: panelWidth, store: store, edgeTile: edgeTile)
                        if let packedA = blockA {
                            // Full MR-row panels in one tile; a last column panel with at most
                            // `columnKernelMaximum` columns a column at a time; other partial panels
                            // (and the narrow last column panel) six rows at a time, reading the
                            // packed panel with stride MR.
                            let panelRows = packedRows
                            var panelRow = 0
                            while panelRow < blockRows {
                                let aPanel = UnsafePointer(packedA + panelRow &* kSize)
                                let i = rowStart &+ panelRow
                                let tileRows = min(panelRows, blockRows &- panelRow)
                                if columns <= columnKernelMaximum {
                                    var first = 0
                                    while first < columns {
                                        let count = min(4, columns &- first)
                                        let groupStore = TileStore(addsToC: store.addsToC, bias: store.bias.map { $0 + first })
                                        kernelColumns(kSize, aPanel, panelRows, bPanel + first, bStep, columns: count, rows: tileRows,
                                                      plan.c + (i &* plan.ldc &+ column &+ first), plan.ldc, groupStore)
                                        first &+= 4
                                    }
                                } else if panelRows == 12 && tileRows == 12 && columns == width {
                                    kernelPackedTwelve(kSize, aPanel, bPanel, plan.c + (i &* plan.ldc &+ column), plan.ldc, store)
                                } else if panelRows == 6 && tileRows == 6 && columns == width {
                                    kernelPackedFull(kSize, aPanel, bPanel, plan.c + (i &* plan.ldc &+ column), plan.ldc, store)
                                } else {
                                    var sixRows = 0
                                    while sixRows < tileRows {
                                        let pieceRows = min(6, tileRows &- sixRows)
                                        if pieceRows < 6 && columns == width && bStep == width {
                                            kernelPackedPartialRows(kSize, aPanel + sixRows, panelRows, bPanel, rows: pieceRows,
                                                                    plan.c + ((i &+ sixRows) &* plan.ldc &+ column), plan.ldc, store)
                                        } else {
                                            computeSixRows(tileTarget, row: i &+ sixRows, rows: pieceRows, kSize: kSize,
                                                           a: aPanel + sixRows, aStep: panelRows, offsets: .packed, b: bPanel, bStep: bStep)
                                        }
                                        sixRows &+= 6
                                    }
                                }
                                panelRow &+= panelRows
                            }
                        } else {
                            var panelRow = 0
                            while panelRow < blockRows {
                                let tileRows = min(6, blockRows &- panelRow)
                                let i = rowStart &+ panelRow
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
                                computeSixRows(tileTarget, row: i, rows: tileRows, kSize: kSize,
                                               a: aPanel, aStep: aStep, offsets: offsets, b: bPanel, bStep: bStep)
                                panelRow &+= 6
                            }
                        }
                    }
                    rowStart &+= blockRows
                }
            }
            chunkStart = chunkEnd
        }
    }

    /// Computes rows `row..<row+rows` (at most 6) of one column panel with the general kernels,
    /// through the edge tile when the tile does not fit C.
    @inlinable @inline(__always)
    static func computeSixRows(_ target: TileTarget, row i: Int, rows: Int, kSize: Int,
                               a: UnsafePointer<Float>, aStep: Int, offsets: RowOffsets,
                               b: UnsafePointer<Float>, bStep: Int) {
        let isFull = rows == 6 && target.columns == target.panelWidth
        let c = target.c + (i &* target.ldc &+ target.column)
        let output = isFull ? c : target.edgeTile
        let outputStride = isFull ? target.ldc : target.panelWidth
        let outputStore = isFull ? target.store : TileStore(addsToC: false, bias: nil)
        if target.panelWidth == width {
            kernelGeneralFull(kSize, a, aStep, offsets, b, bStep, output, outputStride, outputStore)
        } else {
            kernelGeneralHalf(kSize, a, aStep, offsets, b, bStep, output, outputStride, outputStore)
        }
        if !isFull {
            storeEdgeTile(target.edgeTile, width: target.panelWidth, rows: rows, columns: target.columns,
                          c: c, ldc: target.ldc, store: target.store)
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

/// Where one column panel's tiles go: C from `column`, `columns` of them valid in a panel
/// `panelWidth` wide, and the edge tile for tiles that do not fit.
public struct TileTarget {
    public var c: UnsafeMutablePointer<Float>, ldc: Int
    public var column: Int, columns: Int, panelWidth: Int
    public var store: TileStore
    public var edgeTile: UnsafeMutablePointer<Float>

    @inlinable @inline(__always)
    public init(c: UnsafeMutablePointer<Float>, ldc: Int, column: Int, columns: Int, panelWidth: Int,
                store: TileStore, edgeTile: UnsafeMutablePointer<Float>) {
        self.c = c; self.ldc = ldc; self.column = column; self.columns = columns; self.panelWidth = panelWidth
        self.store = store; self.edgeTile = edgeTile
    }
}
