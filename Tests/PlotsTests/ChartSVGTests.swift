import Plots
import XCTest

/// Charts drawn from known series, read back with an XML parser.
final class ChartSVGTests: XCTestCase {
    /// Two runs with hand-made metrics: a loss falling from ln 27 ≈ 3.3 towards 2.0 with
    /// alternating noise, validation every 100 steps, and a warmup-then-decay learning rate.
    static func knownChart(steps: Int = 1000) -> Chart {
        var panels = [Panel(id: "loss", title: "loss (nats per token)"),
                      Panel(id: "lr", title: "learning rate", height: 120, includesZero: true)]
        var legend: [LegendEntry] = []
        for (index, name) in ["alpha", "beta"].enumerated() {
            let color = Color.run(index)
            let offset = Double(index) * 0.2
            let train = (1...steps).map { step -> ChartPoint in
                let noise: Double = step % 2 == 0 ? 0.1 : -0.1
                return ChartPoint(x: Double(step), y: 2 + offset + 1.3 * exp(-Double(step) / 200) + noise)
            }
            let smoothed = zip(train, Smoothing.ema(train.map(\.y), weight: 0.9)).map { ChartPoint(x: $0.x, y: $1) }
            let val = stride(from: 0, through: steps, by: 100).map { step -> ChartPoint in
                ChartPoint(x: Double(step), y: 2.05 + offset + 1.3 * exp(-Double(step) / 200))
            }
            let lr = (1...steps).map { step -> ChartPoint in
                let s = Double(step)
                let rate: Double = step < 100 ? 0.1 * s / 100 : 0.1 * (1 - (s - 100) / 1000)
                return ChartPoint(x: s, y: rate)
            }
            panels[0].series += [Series(name: name, metric: "train_loss", role: .raw, color: color, points: train),
                                 Series(name: name, metric: "train_loss", role: .smoothed, color: color, points: smoothed),
                                 Series(name: name, metric: "val_loss", role: .measured, color: color, points: val)]
            panels[1].series.append(Series(name: name, metric: "lr", role: .line, color: color, points: lr))
            legend.append(LegendEntry(label: name, color: color, role: .line))
        }
        legend += [LegendEntry(label: "train (raw)", color: .muted, role: .raw),
                   LegendEntry(label: "train (EMA)", color: .muted, role: .smoothed),
                   LegendEntry(label: "validation", color: .muted, role: .measured)]
        return Chart(title: "alpha, beta", xLabel: "step", panels: panels, legend: legend)
    }

    func testTheSVGParsesAndHoldsTheSeriesAxesAndLegend() throws {
        let svg = Self.knownChart().svg()
        let root = try XMLNode.parse(svg)
        XCTAssertEqual(root.name, "svg")
        XCTAssertEqual(root.attributes["xmlns"], "http://www.w3.org/2000/svg")

        let panels = root.all("g", classes: "panel")
        XCTAssertEqual(panels.map { $0.attributes["data-panel"] }, ["loss", "lr"])

        let series = root.all("g", classes: "series").map {
            [$0.attributes["data-name"]!, $0.attributes["data-metric"]!, $0.attributes["data-role"]!].joined(separator: "/")
        }
        XCTAssertEqual(Set(series), ["alpha/train_loss/raw", "alpha/train_loss/smoothed", "alpha/val_loss/measured", "alpha/lr/line",
                                     "beta/train_loss/raw", "beta/train_loss/smoothed", "beta/val_loss/measured", "beta/lr/line"])
        // Validation: 11 measured points each, drawn as dots on a dashed line.
        let val = root.all("g", classes: "series").first { $0.attributes["data-metric"] == "val_loss" }!
        XCTAssertEqual(val.attributes["data-points"], "11")
        XCTAssertEqual(val.children.filter { $0.name == "circle" }.count, 11)

        // The loss axis: the smoothed and validation curves span about 1.9 to 3.5 (the raw
        // series does not widen it), labelled at a 1-2-5 spacing with one decimal.
        let lossLabels = panels[0].all("g", classes: "axis", "y").flatMap { $0.all("text", classes: "tick-label") }.map(\.text)
        XCTAssert(lossLabels.contains("2.0") && lossLabels.contains("3.0"), "\(lossLabels)")
        XCTAssert(lossLabels.allSatisfy { $0.count <= 4 }, "\(lossLabels)")
        let lrLabels = panels[1].all("g", classes: "axis", "y").flatMap { $0.all("text", classes: "tick-label") }.map(\.text)
        XCTAssertEqual(lrLabels.first, "0.00")
        // Step labels only under the bottom panel.
        XCTAssert(panels[0].all("g", classes: "axis", "x").flatMap { $0.all("text") }.isEmpty)
        let xLabels = panels[1].all("g", classes: "axis", "x").flatMap { $0.all("text", classes: "tick-label") }.map(\.text)
        XCTAssertEqual(xLabels, ["0", "200", "400", "600", "800", "1000"])
        XCTAssertEqual(root.all("text", classes: "axis-label").map(\.text), ["step"])

        let legend = root.all("g", classes: "legend-entry").map { $0.attributes["data-label"]! }
        XCTAssertEqual(legend, ["alpha", "beta", "train (raw)", "train (EMA)", "validation"])
        XCTAssertEqual(root.all("text", classes: "chart-title").first?.text, "alpha, beta")
    }

    func testTheSameChartIsTheSameBytes() {
        XCTAssertEqual(Self.knownChart().svg(), Self.knownChart().svg())
        XCTAssertNotEqual(Self.knownChart().svg(), Self.knownChart(steps: 999).svg())
    }

    func testLongSeriesAreReducedToThePlotsResolution() throws {
        let root = try XMLNode.parse(Self.knownChart(steps: 200_000).svg())
        let raw = root.all("g", classes: "series").first { $0.attributes["data-role"] == "raw" }!
        XCTAssertEqual(raw.attributes["data-points"], "200000")
        let commands = raw.children.first { $0.name == "path" }!.attributes["d"]!.split(separator: " ").filter { $0.hasPrefix("M") || $0.hasPrefix("L") }
        XCTAssertLessThanOrEqual(commands.count, 2 * 960)
        XCTAssertGreaterThan(commands.count, 100)
    }

    func testEmptySinglePointAndDivergedSeriesDrawWithoutNaN() throws {
        let diverged = [ChartPoint(x: 1, y: 3.2), ChartPoint(x: 2, y: 2.9), ChartPoint(x: 3, y: .nan), ChartPoint(x: 4, y: .infinity)]
        let chart = Chart(xLabel: "step", panels: [
            Panel(id: "loss", title: "loss", series: [Series(name: "d", metric: "train_loss", role: .smoothed, color: .run(0), points: diverged),
                                                    Series(name: "one", metric: "val_loss", role: .measured, color: .run(1),
                                                           points: [ChartPoint(x: 2, y: 2.5)])]),
            Panel(id: "empty", title: "nothing", scale: .log, series: [Series(name: "z", metric: "grad_norm", role: .raw, color: .run(2), points: [])]),
        ])
        let svg = chart.svg()
        XCTAssertFalse(svg.lowercased().contains("nan"), svg)
        XCTAssertFalse(svg.contains("inf"), svg)
        let root = try XMLNode.parse(svg)
        let panels = root.all("g", classes: "panel")
        XCTAssertEqual(panels[1].all("text", classes: "no-data").first?.text, "no data")
        XCTAssert(panels[0].all("text", classes: "no-data").isEmpty)
        let single = root.all("g", classes: "series").first { $0.attributes["data-name"] == "one" }!
        XCTAssertEqual(single.children.filter { $0.name == "circle" }.count, 1)
        // The diverged series draws its two finite points and stops.
        let path = root.all("g", classes: "series").first { $0.attributes["data-name"] == "d" }!.children.first { $0.name == "path" }!
        XCTAssertEqual(path.attributes["d"]!.filter { $0 == "M" || $0 == "L" }.count, 2)
    }

    func testLogPanelsAndGuides() throws {
        let norms = (1...500).map { ChartPoint(x: Double($0), y: 20 * exp(-Double($0) / 50) + 0.1) }
        let chart = Chart(identifier: "g", xLabel: "step", panels: [
            Panel(id: "grad", title: "gradient norm", scale: .log,
                  series: [Series(name: "r", metric: "grad_norm", role: .line, color: .run(0), points: norms),
                           Series(name: "r", metric: "clipped", role: .markers, color: .clip, points: norms.filter { $0.y > 1 })],
                  guides: [Guide(value: 1, label: "clip 1")]),
        ])
        let root = try XMLNode.parse(chart.svg())
        let axis = root.all("g", classes: "axis", "y").first!
        XCTAssertEqual(axis.attributes["data-scale"], "log")
        XCTAssertEqual(axis.all("text", classes: "tick-label").map(\.text), ["0.1", "0.2", "0.5", "1", "2", "5", "10", "20"])
        XCTAssertEqual(root.all("g", classes: "guide").first?.allText.trimmingCharacters(in: .whitespacesAndNewlines), "clip 1")
        let markers = root.all("g", classes: "series").first { $0.attributes["data-role"] == "markers" }!
        XCTAssertEqual(markers.children.filter { $0.name == "circle" }.count, norms.filter { $0.y > 1 }.count)
        XCTAssertEqual(root.all("clipPath").first?.attributes["id"], "g-clip-grad")
    }

    func testTimeAxesReadAsClockTime() throws {
        let points = (0...100).map { ChartPoint(x: Double($0) * 6, y: 1) }
        let chart = Chart(xLabel: "training time", xStyle: .duration,
                          panels: [Panel(id: "loss", title: "loss", series: [Series(name: "r", metric: "m", role: .line, color: .run(0), points: points)])])
        let root = try XMLNode.parse(chart.svg())
        let labels = root.all("g", classes: "axis", "x").flatMap { $0.all("text", classes: "tick-label") }.map(\.text)
        XCTAssertEqual(labels, ["0:00", "2:00", "4:00", "6:00", "8:00", "10:00"])
    }

    func testTextIsEscaped() throws {
        let chart = Chart(title: "a < b & \"c\"", xLabel: "step",
                          panels: [Panel(id: "p", title: "x\u{1}y", series: [])])
        let root = try XMLNode.parse(chart.svg())
        XCTAssertEqual(root.all("text", classes: "chart-title").first?.text, "a < b & \"c\"")
        XCTAssertEqual(root.all("text", classes: "panel-title").first?.text, "x\u{FFFD}y")
    }
}
