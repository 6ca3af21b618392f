import Plots
import XCTest

/// The report page's structure, read back with an XML parser (the page is well-formed XHTML).
final class ReportPageTests: XCTestCase {
    func page() -> ReportPage {
        let chart = Chart(identifier: "losses", xLabel: "step", panels: [
            Panel(id: "loss", title: "loss", series: [Series(name: "a", metric: "train_loss", role: .line, color: .run(0),
                                                             points: [ChartPoint(x: 1, y: 3), ChartPoint(x: 2, y: 2)])]),
        ])
        let config = ReportTable(kind: "config", header: ["key", "a", "b"], rows: [
            .init(["model.type", "mlp", "mlp"]),
            .init(["optimizer.learningRate", "0.1", "0.05"], isHighlighted: true),
        ])
        return ReportPage(title: "Runs a & b", subtitle: "2 runs", sections: [
            ReportSection(id: "summary", heading: "Summary", blocks: [
                .table(ReportTable(kind: "summary", header: ["", "a"], rows: [.init(["best val loss", "2.1000"])], numericColumns: [1])),
            ]),
            ReportSection(id: "losses", heading: "Loss curves", blocks: [.chart(chart), .note("EMA over 2% of the steps")]),
            ReportSection(id: "config", heading: "Config", blocks: [.table(config)]),
            ReportSection(id: "samples", heading: "Samples", blocks: [
                .subheading("a"), .samples([SampleGroup(step: 0, texts: ["<qz&", ""]), SampleGroup(step: 100, texts: ["ROMEO:\n  Ay."])]),
            ]),
        ])
    }

    func testThePageIsOneSelfContainedWellFormedDocument() throws {
        let html = page().html()
        XCTAssert(html.hasPrefix("<!DOCTYPE html>\n"))
        let root = try XMLNode.parse(html)
        XCTAssertEqual(root.name, "html")
        XCTAssertEqual(root.all("title").first?.text, "Runs a & b")
        XCTAssertEqual(root.all("section").map { $0.attributes["id"]! }, ["summary", "losses", "config", "samples"])
        XCTAssertEqual(root.all("nav").first?.all("a").map { $0.attributes["href"]! }, ["#summary", "#losses", "#config", "#samples"])
        // Nothing to fetch: no script, no link or image, and no address but the two namespaces.
        for name in ["script", "link", "img", "iframe", "object"] { XCTAssert(root.all(name).isEmpty, name) }
        let addresses = html.components(separatedBy: "http").count - 1
        XCTAssertEqual(addresses, 2, "only the XHTML and SVG namespaces")
        XCTAssertFalse(html.contains("url(http"))
        XCTAssertFalse(html.contains("@import"))
        XCTAssertEqual(root.all("style").count, 1)
        XCTAssertEqual(root.all("svg").count, 1)
        XCTAssertEqual(root.all("svg").first?.attributes["id"], "losses")
    }

    func testTablesHighlightDifferencesAndAlignNumbers() throws {
        let root = try XMLNode.parse(page().html())
        let config = root.all("table", classes: "config").first!
        let rows = config.all("tr").dropFirst()
        XCTAssertEqual(rows.map { $0.attributes["class"] ?? "" }, ["", "differs"])
        XCTAssertEqual(config.all("th").map(\.text), ["key", "a", "b"])
        XCTAssertEqual(root.all("table", classes: "summary").first?.all("td", classes: "num").map(\.text), ["2.1000"])
    }

    func testSamplesKeepTheirTextExactly() throws {
        let root = try XMLNode.parse(page().html())
        let samples = root.all("pre", classes: "sample").map(\.text)
        XCTAssertEqual(samples, ["<qz&", "(empty)", "ROMEO:\n  Ay."])
        XCTAssertEqual(root.all("td", classes: "step").map(\.text), ["0", "100"])
        XCTAssertEqual(page().html(), page().html())
    }
}
