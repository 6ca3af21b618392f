import Plots
import XCTest

final class ContourMapTests: XCTestCase {
    /// One cell with corners (bottom-left 0, bottom-right 2, top-right 2, top-left 0) crosses
    /// level 1 halfway along the bottom and top edges: a vertical segment at i = 0.5.
    func testMarchingSquaresInterpolatesAlongEdges() {
        let segments = MarchingSquares.segments([[0, 2], [0, 2]], level: 1)
        XCTAssertEqual(segments.count, 1)
        let points = [segments[0].0, segments[0].1].sorted { $0.1 < $1.1 }
        XCTAssertEqual(points[0].0, 0.5)
        XCTAssertEqual(points[0].1, 0)
        XCTAssertEqual(points[1].0, 0.5)
        XCTAssertEqual(points[1].1, 1)
        // A quarter of the way: level 0.5 between 0 and 2.
        XCTAssertEqual(MarchingSquares.segments([[0, 2], [0, 2]], level: 0.5).first?.0.0, 0.25)
        XCTAssertTrue(MarchingSquares.segments([[0, 0], [0, 0]], level: 1).isEmpty)
        XCTAssertTrue(MarchingSquares.segments([[0, .nan], [0, 2]], level: 1).isEmpty, "cells with a gap are skipped")
    }

    /// A saddle (high corners on one diagonal) gives two segments, split by the centre's side.
    func testSaddleCellsGiveTwoSegments() {
        let high = MarchingSquares.segments([[3, 0], [0, 3]], level: 1)  // centre 1.5: above
        let low = MarchingSquares.segments([[1.2, 0], [0, 1.2]], level: 1)  // centre 0.6: below
        XCTAssertEqual(high.count, 2)
        XCTAssertEqual(low.count, 2)
        XCTAssertNotEqual(high.map { [$0.0.0, $0.0.1, $0.1.0, $0.1.1] }.sorted { $0.lexicographicallyPrecedes($1) },
                          low.map { [$0.0.0, $0.0.1, $0.1.0, $0.1.1] }.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// A bowl: cells for every point, closed contours, a log colour bar (the rim is over 3× the
    /// floor), the mark at the centre, and the same bytes every time.
    func testBowlMapHasCellsContoursAndAColourBar() throws {
        let axis = (0..<9).map { Double($0) / 4 - 1 }
        let values = axis.map { y in axis.map { x in 1 + 8 * (x * x + y * y) } }
        let map = ContourMap(xLabel: "α", yLabel: "β", valueLabel: "loss", xs: axis, ys: axis, values: values,
                             marks: [(label: "θ*", point: ChartPoint(x: 0, y: 0))], contourLevels: 5)
        XCTAssertEqual(map.colourAxis.kind, .log)
        XCTAssertEqual(map.levels.count, 5)
        XCTAssert(map.levels.allSatisfy { $0 > 1 && $0 < 17 })
        let svg = map.svg()
        XCTAssertEqual(svg, map.svg())
        let root = try XMLNode.parse(svg)
        XCTAssertEqual(root.all("g", classes: "cells").first?.all("rect").count, 81)
        XCTAssertEqual(root.all("path", classes: "contour").count, 5)
        XCTAssertEqual(root.all("g", classes: "colour-bar").first?.attributes["data-scale"], "log")
        XCTAssertEqual(root.all("g", classes: "mark").count, 1)
    }

    func testViridisEndsAndMiddle() {
        XCTAssertEqual(ColourScale.viridis(0).hex, "#440154")
        XCTAssertEqual(ColourScale.viridis(1).hex, "#FDE725")
        XCTAssertEqual(ColourScale.viridis(-3).hex, "#440154")
        XCTAssertEqual(ColourScale.viridis(.nan).hex, "#440154")
    }

    /// A log x axis with guides: the guides are drawn at their values' pixels, in order.
    func testLogXAxisWithGuides() throws {
        var panel = Panel(id: "p", title: "loss")
        panel.series = [Series(name: "s", metric: "loss", role: .line, color: .run(0),
                               points: [1e-6, 1e-4, 1e-2, 1].map { ChartPoint(x: $0, y: 3) })]
        let chart = Chart(xLabel: "lr", xScale: .log, xGuides: [Guide(value: 1e-3, label: "a"), Guide(value: 1e-1, label: "b")],
                          panels: [panel])
        let root = try XMLNode.parse(chart.svg())
        let guides = root.all("g", classes: "x-guide")
        XCTAssertEqual(guides.count, 2)
        let xs = guides.compactMap { $0.all("line").first?.attributes["x1"].flatMap(Double.init) }
        XCTAssertEqual(xs.count, 2)
        XCTAssertLessThan(xs[0], xs[1])
        // Six decades get decade ticks.
        let ticks = root.all("g", classes: "axis", "x").first?.all("text").map(\.text) ?? []
        XCTAssert(ticks.contains("1e-4") || ticks.contains("0.0001"), "\(ticks)")
    }
}
