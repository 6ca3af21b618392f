// A scalar field on a regular grid drawn as a contour map: cells filled from a colour scale,
// contour lines at the colour bar's levels (marching squares), a colour bar with its ticks, and
// optionally a path drawn over it (the loss landscape and the route a run took across it).
//
// Values are coloured on a log scale when they are all positive and span more than a factor of
// 3 (a loss landscape's rim is far above its floor), linearly otherwise. Like `Chart`, the SVG
// is self-contained, with coordinates rounded to a tenth of a pixel: the same map is always the
// same bytes. Not handled: irregular grids, filled contour bands (cells stand in for them).

import Foundation

public struct ContourMap: Sendable, Equatable {
    public var identifier: String
    public var title: String?
    public var xLabel: String
    public var yLabel: String
    /// What the colour shows ("loss (nats per token)").
    public var valueLabel: String
    /// Grid coordinates, increasing.
    public var xs: [Double]
    public var ys: [Double]
    /// `values[j][i]` is the value at (xs[i], ys[j]); non-finite values are drawn grey.
    public var values: [[Double]]
    /// A path over the map (a training run's projected snapshots), oldest first.
    public var path: [ChartPoint]
    public var pathLabel: String
    /// Labelled points (the centre weights θ*).
    public var marks: [(label: String, point: ChartPoint)]
    public var width: Double
    public var contourLevels: Int

    public init(identifier: String = "contour", title: String? = nil, xLabel: String, yLabel: String, valueLabel: String,
                xs: [Double], ys: [Double], values: [[Double]], path: [ChartPoint] = [], pathLabel: String = "path",
                marks: [(label: String, point: ChartPoint)] = [], width: Double = 760, contourLevels: Int = 14) {
        self.identifier = identifier
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueLabel = valueLabel
        self.xs = xs
        self.ys = ys
        self.values = values
        self.path = path
        self.pathLabel = pathLabel
        self.marks = marks
        self.width = width
        self.contourLevels = contourLevels
    }

    public static func == (lhs: ContourMap, rhs: ContourMap) -> Bool {
        lhs.identifier == rhs.identifier && lhs.title == rhs.title && lhs.xs == rhs.xs && lhs.ys == rhs.ys
            && lhs.values == rhs.values && lhs.path == rhs.path && lhs.marks.map(\.label) == rhs.marks.map(\.label)
            && lhs.marks.map(\.point) == rhs.marks.map(\.point) && lhs.width == rhs.width
    }

    /// The colour axis: log when the values are positive and span more than 3×.
    public var colourAxis: AxisLayout {
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        let kind: ScaleKind = low > 0 && high > 3 * low ? .log : .linear
        return AxisLayout(values: finite, kind: kind, tickCount: 7, widensToTicks: false)
    }

    /// `contourLevels` values evenly spaced on the colour axis, strictly inside its range.
    public var levels: [Double] {
        let axis = colourAxis
        guard axis.hasData, axis.upper > axis.lower else { return [] }
        return (1...contourLevels).map { k in
            let t = Double(k) / Double(contourLevels + 1)
            return axis.kind == .log ? axis.lower * pow(axis.upper / axis.lower, t) : axis.lower + t * (axis.upper - axis.lower)
        }
    }

    public func svg() -> String { "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svgElement() }

    public func svgElement() -> String {
        let left = 70.0, top = title == nil ? 16.0 : 48.0
        let barWidth = 18.0, barGap = 26.0, barLabels = 64.0
        let side = width - left - barGap - barWidth - barLabels - 10
        let height = top + side + 56
        let xAxis = AxisLayout(values: xs, kind: .linear, tickCount: 6, widensToTicks: false)
        let yAxis = AxisLayout(values: ys, kind: .linear, tickCount: 6, widensToTicks: false)
        let xScale = xAxis.scale(from: left, to: left + side)
        let yScale = yAxis.scale(from: top + side, to: top)
        let colour = colourAxis
        let colourScale = colour.scale(from: 0, to: 1)
        var out = Markup()
        out.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": Markup.number(width), "height": Markup.number(height),
                         "viewBox": "0 0 \(Markup.number(width)) \(Markup.number(height))",
                         "font-family": "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif", "font-size": "13",
                         "class": "descent-contour", "id": identifier])
        out.element("title", text: title ?? valueLabel)
        out.element("rect", ["class": "background", "x": "0", "y": "0", "width": Markup.number(width), "height": Markup.number(height),
                             "fill": "#FFFFFF"])
        if let title {
            out.element("text", ["class": "chart-title", "x": Markup.number(left), "y": "28", "font-size": "17", "font-weight": "bold",
                                 "fill": Color.ink.hex], text: title)
        }

        // Cells: each grid point's colour over the rectangle halfway to its neighbours.
        func edges(_ values: [Double], _ scale: Scale) -> [Double] {
            guard values.count > 1 else { return [scale.start, scale.end] }
            var result = [scale.position(values[0]) ?? scale.start]
            for k in 1..<values.count { result.append(scale.position((values[k - 1] + values[k]) / 2) ?? 0) }
            result.append(scale.position(values[values.count - 1]) ?? scale.end)
            return result
        }
        let xEdges = edges(xs, xScale), yEdges = edges(ys, yScale)
        out.open("g", ["class": "cells", "data-rows": String(ys.count), "data-columns": String(xs.count), "shape-rendering": "crispEdges"])
        for j in ys.indices {
            for i in xs.indices {
                let value = values[j][i]
                let fill = value.isFinite ? ColourScale.viridis(colourScale.position(value) ?? 0).hex : "#BBBBBB"
                let x0 = xEdges[i], x1 = xEdges[i + 1], y0 = min(yEdges[j], yEdges[j + 1]), y1 = max(yEdges[j], yEdges[j + 1])
                out.element("rect", ["x": Markup.number(x0), "y": Markup.number(y0), "width": Markup.number(x1 - x0 + 0.3),
                                     "height": Markup.number(y1 - y0 + 0.3), "fill": fill])
            }
        }
        out.close("g")

        out.open("g", ["class": "contours"])
        for level in levels {
            let segments = MarchingSquares.segments(values, level: level)
            guard !segments.isEmpty else { continue }
            var d = ""
            for segment in segments {
                func place(_ point: (Double, Double)) -> (Double, Double) {
                    (Self.interpolate(xs, point.0, xScale), Self.interpolate(ys, point.1, yScale))
                }
                let a = place(segment.0), b = place(segment.1)
                d += "M\(Markup.number(a.0)) \(Markup.number(a.1))L\(Markup.number(b.0)) \(Markup.number(b.1))"
            }
            out.element("path", ["class": "contour", "data-level": String(format: "%.6g", level), "d": d, "fill": "none",
                                 "stroke": "#FFFFFF", "stroke-opacity": "0.75", "stroke-width": "0.9"])
        }
        out.close("g")

        out.element("rect", ["class": "frame", "x": Markup.number(left), "y": Markup.number(top), "width": Markup.number(side),
                             "height": Markup.number(side), "fill": "none", "stroke": "#888888", "stroke-width": "1"])
        out.open("g", ["class": "axis x"])
        for (value, label) in zip(xAxis.ticks.values, xAxis.ticks.labels) {
            guard let x = xScale.position(value) else { continue }
            out.element("line", ["x1": Markup.number(x), "x2": Markup.number(x), "y1": Markup.number(top + side),
                                 "y2": Markup.number(top + side + 5), "stroke": "#888888"])
            out.element("text", ["class": "tick-label", "x": Markup.number(x), "y": Markup.number(top + side + 20), "text-anchor": "middle",
                                 "fill": Color.muted.hex], text: label)
        }
        out.close("g")
        out.open("g", ["class": "axis y"])
        for (value, label) in zip(yAxis.ticks.values, yAxis.ticks.labels) {
            guard let y = yScale.position(value) else { continue }
            out.element("line", ["x1": Markup.number(left - 5), "x2": Markup.number(left), "y1": Markup.number(y), "y2": Markup.number(y),
                                 "stroke": "#888888"])
            out.element("text", ["class": "tick-label", "x": Markup.number(left - 8), "y": Markup.number(y + 4.5), "text-anchor": "end",
                                 "fill": Color.muted.hex], text: label)
        }
        out.close("g")
        out.element("text", ["class": "axis-label x", "x": Markup.number(left + side / 2), "y": Markup.number(top + side + 42),
                             "text-anchor": "middle", "font-size": "14", "fill": Color.ink.hex], text: xLabel)
        out.element("text", ["class": "axis-label y", "x": "18", "y": Markup.number(top + side / 2), "text-anchor": "middle",
                             "font-size": "14", "fill": Color.ink.hex,
                             "transform": "rotate(-90 18 \(Markup.number(top + side / 2)))"], text: yLabel)

        if !path.isEmpty {
            let placed = path.compactMap { point -> (Double, Double)? in
                guard let x = xScale.position(point.x), let y = yScale.position(point.y) else { return nil }
                return (x, y)
            }
            out.open("g", ["class": "path", "data-points": String(path.count)])
            out.element("title", text: pathLabel)
            let d = placed.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(Markup.number($0.element.0)) \(Markup.number($0.element.1))" }
                .joined(separator: " ")
            out.element("path", ["d": d, "fill": "none", "stroke": "#D55E00", "stroke-width": "2", "stroke-linejoin": "round"])
            for (index, point) in placed.enumerated() {
                out.element("circle", ["cx": Markup.number(point.0), "cy": Markup.number(point.1), "r": index == 0 ? "4" : "2.5",
                                       "fill": index == 0 ? "#FFFFFF" : "#D55E00", "stroke": "#D55E00", "stroke-width": "1.2"])
            }
            if let first = placed.first {
                out.element("text", ["x": Markup.number(first.0 + 7), "y": Markup.number(first.1 - 7), "fill": "#FFFFFF",
                                     "font-weight": "bold"], text: "start")
            }
            out.close("g")
        }
        for mark in marks {
            guard let x = xScale.position(mark.point.x), let y = yScale.position(mark.point.y) else { continue }
            out.open("g", ["class": "mark", "data-label": mark.label])
            out.element("path", ["d": "M\(Markup.number(x - 6)) \(Markup.number(y))L\(Markup.number(x + 6)) \(Markup.number(y))M\(Markup.number(x)) \(Markup.number(y - 6))L\(Markup.number(x)) \(Markup.number(y + 6))",
                                 "stroke": "#FFFFFF", "stroke-width": "2"])
            out.element("text", ["x": Markup.number(x + 8), "y": Markup.number(y + 15), "fill": "#FFFFFF"], text: mark.label)
            out.close("g")
        }

        // The colour bar, low values at the bottom.
        let barLeft = left + side + barGap
        let barScale = colour.scale(from: top + side, to: top)
        out.open("g", ["class": "colour-bar", "data-scale": colour.kind.rawValue])
        let stripes = 64
        for k in 0..<stripes {
            let y0 = top + side * Double(stripes - k - 1) / Double(stripes)
            out.element("rect", ["x": Markup.number(barLeft), "y": Markup.number(y0), "width": Markup.number(barWidth),
                                 "height": Markup.number(side / Double(stripes) + 0.3),
                                 "fill": ColourScale.viridis((Double(k) + 0.5) / Double(stripes)).hex])
        }
        out.element("rect", ["x": Markup.number(barLeft), "y": Markup.number(top), "width": Markup.number(barWidth),
                             "height": Markup.number(side), "fill": "none", "stroke": "#888888"])
        for (value, label) in zip(colour.ticks.values, colour.ticks.labels) {
            guard let y = barScale.position(value), y >= top - 0.5, y <= top + side + 0.5 else { continue }
            out.element("line", ["x1": Markup.number(barLeft + barWidth), "x2": Markup.number(barLeft + barWidth + 5),
                                 "y1": Markup.number(y), "y2": Markup.number(y), "stroke": "#888888"])
            out.element("text", ["class": "tick-label", "x": Markup.number(barLeft + barWidth + 8), "y": Markup.number(y + 4.5),
                                 "fill": Color.muted.hex], text: label)
        }
        out.element("text", ["class": "axis-label colour", "x": Markup.number(barLeft + barWidth / 2), "y": Markup.number(top - 6),
                             "text-anchor": "middle", "font-size": "12", "fill": Color.ink.hex],
                    text: valueLabel + (colour.kind == .log ? ", log" : ""))
        out.close("g")
        out.close("svg")
        return out.text
    }

    /// The pixel of a fractional grid index along `coordinates`.
    static func interpolate(_ coordinates: [Double], _ index: Double, _ scale: Scale) -> Double {
        guard coordinates.count > 1 else { return scale.position(coordinates.first ?? 0) ?? scale.start }
        let lower = min(max(Int(index.rounded(.down)), 0), coordinates.count - 2)
        let t = index - Double(lower)
        let value = coordinates[lower] + t * (coordinates[lower + 1] - coordinates[lower])
        return scale.position(value) ?? scale.start
    }
}

/// Contour segments of a grid at one level, by marching squares.
public enum MarchingSquares {
    /// Line segments where `values` crosses `level`, in fractional grid indices (i along a row,
    /// j down the rows), linearly interpolated along cell edges. A saddle cell (opposite corners
    /// on the same side) is resolved by its centre, the mean of its corners. Cells with a
    /// non-finite corner are skipped.
    public static func segments(_ values: [[Double]], level: Double) -> [((Double, Double), (Double, Double))] {
        guard values.count > 1, let columns = values.first?.count, columns > 1 else { return [] }
        var result: [((Double, Double), (Double, Double))] = []
        for j in 0..<(values.count - 1) {
            for i in 0..<(columns - 1) {
                let v00 = values[j][i], v10 = values[j][i + 1], v11 = values[j + 1][i + 1], v01 = values[j + 1][i]
                guard v00.isFinite, v10.isFinite, v11.isFinite, v01.isFinite else { continue }
                func t(_ a: Double, _ b: Double) -> Double { a == b ? 0.5 : (level - a) / (b - a) }
                // Crossing points on the edges: bottom (j), right (i+1), top (j+1), left (i).
                let bottom = (Double(i) + t(v00, v10), Double(j))
                let right = (Double(i + 1), Double(j) + t(v10, v11))
                let top = (Double(i) + t(v01, v11), Double(j + 1))
                let left = (Double(i), Double(j) + t(v00, v01))
                let code = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0)
                switch code {
                case 0, 15: break
                case 1, 14: result.append((left, bottom))
                case 2, 13: result.append((bottom, right))
                case 3, 12: result.append((left, right))
                case 4, 11: result.append((right, top))
                case 6, 9: result.append((bottom, top))
                case 7, 8: result.append((left, top))
                case 5, 10:
                    let centreAbove = (v00 + v10 + v11 + v01) / 4 > level
                    if (code == 5) == centreAbove {
                        result.append((left, top))
                        result.append((bottom, right))
                    } else {
                        result.append((left, bottom))
                        result.append((right, top))
                    }
                default: break
                }
            }
        }
        return result
    }
}

/// Colour scales for values in 0...1.
public enum ColourScale {
    /// Matplotlib's viridis (perceptually uniform, colour-blind safe, prints in grey), as ten
    /// stops read from its published table, with linear interpolation between them.
    static let viridisStops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ]

    public static func viridis(_ t: Double) -> Color {
        let clamped = t.isFinite ? min(max(t, 0), 1) : 0
        let scaled = clamped * Double(viridisStops.count - 1)
        let k = min(Int(scaled), viridisStops.count - 2)
        let f = scaled - Double(k)
        let (a, b) = (viridisStops[k], viridisStops[k + 1])
        func channel(_ x: Double, _ y: Double) -> Int { Int((x + f * (y - x)).rounded()) }
        return Color(hex: String(format: "#%02X%02X%02X", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2)))
    }
}
