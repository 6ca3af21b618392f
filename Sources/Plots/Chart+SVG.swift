// Drawing a `Chart` as a self-contained SVG document: presentation attributes instead of a style
// sheet (so the file looks the same alone, inlined in HTML or in an image viewer), no scripts,
// no external fonts, and coordinates rounded to a tenth of a pixel, so the same chart is always
// the same bytes.
//
// Long series are reduced to about two points per pixel column (`Downsample.envelope`) before
// drawing. Elements carry `class` and `data-*` attributes (panel, axis, series, legend entry) for
// tests and for anyone styling the file. Not handled: interactivity, text wider than its margin.

import Foundation

extension Chart {
    /// Layout constants, in pixels.
    private enum Layout {
        static let tickFont = 13.0
        static let headingFont = 14.0
        static let titleFont = 17.0
        /// Average advance of a character of the tick font, for sizing margins without a font.
        static let characterWidth = 7.4
        static let panelHeading = 24.0
        static let panelGap = 18.0
        static let bottom = 50.0
        static let rightPad = 18.0
        static let fontFamily = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
    }

    /// The chart as an SVG document (with its XML declaration).
    public func svg() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svgElement()
    }

    /// The `<svg>` element alone, for inlining in HTML.
    public func svgElement() -> String {
        var out = Markup()
        let x = xAxis()
        let yAxes = panels.map(yAxis)
        let longestYLabel = yAxes.flatMap(\.ticks.labels).map(\.count).max() ?? 1
        let left = max(58, Double(longestYLabel) * Layout.characterWidth + 18)
        let legendWidth = legend.isEmpty ? 0
            : min(280, max(130, Double(legend.map(\.label.count).max() ?? 0) * Layout.characterWidth + 44))
        let right = width - Layout.rightPad - legendWidth
        let top = title == nil ? 12.0 : 44.0
        var panelTops: [Double] = []
        var cursor = top
        for panel in panels {
            panelTops.append(cursor + Layout.panelHeading)
            cursor += Layout.panelHeading + panel.height + Layout.panelGap
        }
        let height = (cursor - Layout.panelGap + Layout.bottom).rounded(.up)
        let xScale = x.scale(from: left, to: right)

        out.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": Markup.number(width), "height": Markup.number(height),
                         "viewBox": "0 0 \(Markup.number(width)) \(Markup.number(height))", "font-family": Layout.fontFamily,
                         "font-size": Markup.number(Layout.tickFont), "class": "descent-chart", "id": identifier])
        out.element("title", text: title ?? panels.map(\.title).joined(separator: ", "))
        out.element("rect", ["class": "background", "x": "0", "y": "0", "width": Markup.number(width),
                             "height": Markup.number(height), "fill": "#FFFFFF"])
        if let title {
            out.element("text", ["class": "chart-title", "x": Markup.number(left), "y": "28", "font-size": Markup.number(Layout.titleFont),
                                 "font-weight": "bold", "fill": Color.ink.hex], text: title)
        }
        out.open("defs")
        for (index, panel) in panels.enumerated() {
            out.open("clipPath", ["id": clipID(panel)])
            out.element("rect", ["x": Markup.number(left), "y": Markup.number(panelTops[index]),
                                 "width": Markup.number(right - left), "height": Markup.number(panel.height)])
            out.close("clipPath")
        }
        out.close("defs")
        for (index, panel) in panels.enumerated() {
            let frameTop = panelTops[index]
            let yScale = yAxes[index].scale(from: frameTop + panel.height, to: frameTop)
            draw(panel, yAxis: yAxes[index], yScale: yScale, xAxis: x, xScale: xScale, top: frameTop, left: left, right: right,
                 labelsX: index == panels.count - 1, into: &out)
        }
        out.element("text", ["class": "axis-label x", "x": Markup.number((left + right) / 2), "y": Markup.number(height - 10),
                             "text-anchor": "middle", "font-size": Markup.number(Layout.headingFont), "fill": Color.ink.hex],
                    text: xLabel)
        if !legend.isEmpty { drawLegend(x: right + 22, top: panelTops.first ?? top, into: &out) }
        out.close("svg")
        return out.text
    }

    private func clipID(_ panel: Panel) -> String { "\(identifier)-clip-\(panel.id)" }

    private func xAxis() -> AxisLayout {
        let values = panels.flatMap { $0.series.flatMap { $0.points.map(\.x) } } + xGuides.map(\.value)
        let ticks = max(3, Int((width - 320) / 110))
        return AxisLayout(values: values, kind: xScale, style: xStyle, tickCount: ticks, widensToTicks: false,
                          includesZero: xStyle == .duration && xScale == .linear)
    }

    private func yAxis(_ panel: Panel) -> AxisLayout {
        // A rug has no y; raw series range the axis only when nothing else does.
        let drawn = panel.series.filter { $0.role != .rug }
        let ranging = drawn.contains { $0.role != .raw } ? drawn.filter { $0.role != .raw } : drawn
        let values = ranging.flatMap { $0.points.map(\.y) } + panel.guides.map(\.value)
        // Log axes label decades, which can sit closer than linear ticks and still read.
        let ticks = max(2, Int(panel.height / (panel.scale == .log ? 32 : 60)))
        return AxisLayout(values: values, kind: panel.scale, tickCount: ticks, widensToTicks: true,
                          includesZero: panel.includesZero)
    }

    private func draw(_ panel: Panel, yAxis: AxisLayout, yScale: Scale, xAxis: AxisLayout, xScale: Scale, top: Double,
                      left: Double, right: Double, labelsX: Bool, into out: inout Markup) {
        let bottom = top + panel.height
        out.open("g", ["class": "panel", "data-panel": panel.id])
        out.element("text", ["class": "panel-title", "x": Markup.number(left), "y": Markup.number(top - 8),
                             "font-size": Markup.number(Layout.headingFont), "font-weight": "bold", "fill": Color.ink.hex],
                    text: panel.title)

        out.open("g", ["class": "axis y", "data-scale": panel.scale.rawValue])
        for (value, label) in zip(yAxis.ticks.values, yAxis.ticks.labels) {
            guard let y = yScale.position(value) else { continue }
            out.open("g", ["class": "tick"])
            out.element("line", ["class": "grid", "x1": Markup.number(left), "x2": Markup.number(right), "y1": Markup.number(y),
                                 "y2": Markup.number(y), "stroke": Color.grid.hex, "stroke-width": "1"])
            out.element("text", ["class": "tick-label", "x": Markup.number(left - 7), "y": Markup.number(y + 4.5),
                                 "text-anchor": "end", "fill": Color.muted.hex], text: label)
            out.close("g")
        }
        out.close("g")

        out.open("g", ["class": "axis x"])
        for (value, label) in zip(xAxis.ticks.values, xAxis.ticks.labels) {
            guard let x = xScale.position(value) else { continue }
            out.open("g", ["class": "tick"])
            out.element("line", ["class": "grid", "x1": Markup.number(x), "x2": Markup.number(x), "y1": Markup.number(top),
                                 "y2": Markup.number(bottom), "stroke": Color.grid.hex, "stroke-width": "1"])
            if labelsX {
                out.element("text", ["class": "tick-label", "x": Markup.number(x), "y": Markup.number(bottom + 19),
                                     "text-anchor": "middle", "fill": Color.muted.hex], text: label)
            }
            out.close("g")
        }
        out.close("g")
        out.element("rect", ["class": "frame", "x": Markup.number(left), "y": Markup.number(top), "width": Markup.number(right - left),
                             "height": Markup.number(panel.height), "fill": "none", "stroke": "#BBBBBB", "stroke-width": "1"])

        for guide in panel.guides {
            guard let y = yScale.position(guide.value) else { continue }
            out.open("g", ["class": "guide"])
            out.element("line", ["x1": Markup.number(left), "x2": Markup.number(right), "y1": Markup.number(y), "y2": Markup.number(y),
                                 "stroke": guide.color.hex, "stroke-width": "1", "stroke-dasharray": "6 4"])
            // At the left, above the line: clear of a rug along the bottom edge and of the
            // curves' ends at the right.
            out.element("text", ["x": Markup.number(left + 6), "y": Markup.number(y - 5), "fill": guide.color.hex], text: guide.label)
            out.close("g")
        }

        for (index, guide) in xGuides.enumerated() {
            guard let x = xScale.position(guide.value) else { continue }
            out.open("g", ["class": "x-guide", "data-value": String(guide.value)])
            out.element("line", ["x1": Markup.number(x), "x2": Markup.number(x), "y1": Markup.number(top), "y2": Markup.number(bottom),
                                 "stroke": guide.color.hex, "stroke-width": "1", "stroke-dasharray": "4 3"])
            // Staggered down the panel so that labels of nearby guides do not overprint.
            out.element("text", ["x": Markup.number(x + 4), "y": Markup.number(top + 16 + 16 * Double(index)), "fill": guide.color.hex],
                        text: guide.label)
            out.close("g")
        }

        let buckets = max(1, Int(right - left))
        for series in panel.series {
            let points = Downsample.envelope(series.points.sorted { $0.x < $1.x }, buckets: buckets)
            let placed = points.map { point -> (Double, Double)? in
                guard let x = xScale.position(point.x), let y = yScale.position(point.y) else { return nil }
                // Far-off values (a spike above a clipped range) stay near the frame, so the
                // coordinates keep a bounded size; the clip path hides them either way.
                return (x, min(max(y, top - 4 * panel.height), bottom + 4 * panel.height))
            }
            out.open("g", ["class": "series", "data-name": series.name, "data-metric": series.metric, "data-role": series.role.rawValue,
                           "data-points": String(series.points.count), "clip-path": "url(#\(clipID(panel)))"])
            out.element("title", text: "\(series.name): \(series.metric)")
            var style = Self.stroke(series.role, color: series.color)
            if series.role == .raw && series.points.count > 8 * buckets {
                // Many steps per pixel column: the min/max zig-zag fills a band, which reads
                // better lighter.
                style = [("stroke-width", "1"), ("stroke-opacity", "0.18")]
            }
            if series.role == .rug {
                // One tick per pixel column is all the eye can tell apart.
                var columns = Set<Int>()
                let ticks = series.points.compactMap { xScale.position($0.x) }.filter { columns.insert(Int($0.rounded())).inserted }
                if let path = Self.path(ticks.flatMap { [($0, bottom - 6), ($0, bottom), nil] }) {
                    out.element("path", ["class": "rug", "d": path, "fill": "none", "stroke": series.color.hex, "stroke-width": "1"])
                }
            } else if series.role != .markers, let path = Self.path(placed) {
                out.element("path", ["d": path, "fill": "none", "stroke": series.color.hex] + style)
            }
            if series.role == .markers || (series.role == .measured && placed.count <= 400) {
                let radius = series.role == .markers ? "2.2" : "2.8"
                for case let (x, y)? in placed {
                    out.element("circle", ["cx": Markup.number(x), "cy": Markup.number(y), "r": radius, "fill": series.color.hex])
                }
            }
            out.close("g")
        }
        if !yAxis.hasData {
            out.element("text", ["class": "no-data", "x": Markup.number((left + right) / 2), "y": Markup.number(top + panel.height / 2),
                                 "text-anchor": "middle", "fill": Color.muted.hex], text: "no data")
        }
        out.close("g")
    }

    /// "M x y L x y …", starting a new subpath after each gap; nil when nothing can be drawn.
    private static func path(_ points: [(Double, Double)?]) -> String? {
        var parts: [String] = []
        var penDown = false
        for point in points {
            guard let (x, y) = point else {
                penDown = false
                continue
            }
            parts.append("\(penDown ? "L" : "M")\(Markup.number(x)) \(Markup.number(y))")
            penDown = true
        }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    private static func stroke(_ role: SeriesRole, color: Color) -> [(String, String)] {
        switch role {
        case .raw: [("stroke-width", "1"), ("stroke-opacity", "0.28")]
        case .smoothed: [("stroke-width", "2.2"), ("stroke-linejoin", "round")]
        case .measured: [("stroke-width", "1.6"), ("stroke-dasharray", "5 3")]
        case .line: [("stroke-width", "2"), ("stroke-linejoin", "round")]
        case .markers, .rug: []
        }
    }

    private func drawLegend(x: Double, top: Double, into out: inout Markup) {
        out.open("g", ["class": "legend"])
        for (index, entry) in legend.enumerated() {
            let y = top + 8 + Double(index) * 22
            out.open("g", ["class": "legend-entry", "data-label": entry.label, "data-role": entry.role.rawValue])
            let style = Self.stroke(entry.role, color: entry.color)
            if entry.role == .markers {
                out.element("circle", ["cx": Markup.number(x + 12), "cy": Markup.number(y), "r": "3", "fill": entry.color.hex])
            } else if entry.role == .rug {
                for offset in [8.0, 12, 16] {
                    out.element("line", ["x1": Markup.number(x + offset), "x2": Markup.number(x + offset), "y1": Markup.number(y - 5),
                                         "y2": Markup.number(y + 5), "stroke": entry.color.hex, "stroke-width": "1"])
                }
            } else {
                out.element("line", ["x1": Markup.number(x), "x2": Markup.number(x + 24), "y1": Markup.number(y), "y2": Markup.number(y),
                                     "stroke": entry.color.hex] + (entry.role == .raw ? [("stroke-width", "2"), ("stroke-opacity", "0.35")] : style))
                if entry.role == .measured {
                    out.element("circle", ["cx": Markup.number(x + 12), "cy": Markup.number(y), "r": "2.8", "fill": entry.color.hex])
                }
            }
            out.element("text", ["x": Markup.number(x + 32), "y": Markup.number(y + 4.5), "fill": Color.ink.hex], text: entry.label)
            out.close("g")
        }
        out.close("g")
    }
}

/// `KeyValuePairs` + extra pairs → one ordered list.
private func + (lhs: KeyValuePairs<String, String>, rhs: [(String, String)]) -> [(String, String)] {
    lhs.map { ($0.key, $0.value) } + rhs
}
