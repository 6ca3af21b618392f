import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// Watching and comparing runs through the executable: progress output, samples during
/// training, plot, report, metrics, diff, and the runs list's order and filter.
final class CLISeeingTests: CLITestCase {
    /// Element names and attributes of a well-formed XML document, or a failure.
    final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            found.append((name, attributes))
        }

        static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [(name: String, attributes: [String: String])] {
            let parser = XMLParser(data: Data(text.utf8))
            let elements = Elements()
            parser.delegate = elements
            XCTAssert(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)", file: file, line: line)
            return elements.found
        }
    }

    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func testPlainLinesSamplesQuietAndJSON() throws {
        try prepareNames(config: ["sampleInterval": "20", "sampleTokens": "12"])
        let plain = try descent("train", "tiny.json", "--run", "plain", "--db", "db.sqlite")
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssert(plain.stderr.contains("step 10/40 | loss "), plain.stderr)
        for step in [0, 20, 40] { XCTAssert(plain.stderr.contains("samples at step \(step):\n  1| "), plain.stderr) }
        XCTAssert(plain.stderr.contains("step 20: val loss"), plain.stderr)
        XCTAssertFalse(plain.stderr.contains("\u{1B}["), "no terminal control codes in a log")

        let quiet = try descent("train", "tiny.json", "--run", "quiet", "--db", "db.sqlite", "--quiet")
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr.split(separator: "\n").count, 1, quiet.stderr)
        XCTAssert(quiet.stderr.hasPrefix("run 'quiet' completed 40 steps"), quiet.stderr)
        XCTAssertEqual(quiet.stdout, "")

        let json = try descent("train", "tiny.json", "--run", "json", "--db", "db.sqlite", "--log-format", "json")
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.stderr, "")
        let events = try json.stdout.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let kinds = events.map { $0["event"] as? String ?? "?" }
        XCTAssertEqual(kinds.first, "start")
        XCTAssertEqual(kinds.last, "end")
        XCTAssertEqual(kinds.filter { $0 == "progress" }.count, 4)
        XCTAssertEqual(kinds.filter { $0 == "samples" }.count, 3)
        XCTAssertEqual(kinds.filter { $0 == "evaluation" }.count, 3)
        XCTAssertEqual(kinds.filter { $0 == "checkpoint" }.count, 4)
        XCTAssertEqual(events.last?["outcome"] as? String, "completed")
        XCTAssertEqual(events.first?["run"] as? String, "json")
        XCTAssertNotNil(events.first?["parameters"] as? Int)
        let samples = try XCTUnwrap(events.first { $0["event"] as? String == "samples" }?["texts"] as? [String])
        XCTAssertEqual(samples.count, 3)

        // Sampling is seeded: every run of the same config printed the same samples, and all
        // three runs trained the same bits.
        let quietJSON = try descent("train", "tiny.json", "--run", "quiet-json", "--db", "db.sqlite", "--log-format", "json", "--quiet")
        XCTAssertEqual(quietJSON.stdout.split(separator: "\n").count, 1, quietJSON.stdout)
        XCTAssert(quietJSON.stdout.hasPrefix(#"{"event":"end","outcome":"completed","step":40,"#), quietJSON.stdout)
        let list = try descent("runs", "--json", "--db", "db.sqlite")
        let hashes = Set(try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]).compactMap { $0["weightsSHA256"] as? String })
        XCTAssertEqual(hashes.count, 1)
        let csv = try descent("metrics", "plain", "--db", "db.sqlite", "--name", "val_loss")
        XCTAssertEqual(csv.stdout, try descent("metrics", "json", "--db", "db.sqlite", "--name", "val_loss").stdout)
    }

    func testPlotReportMetricsDiffAndRunsOrder() throws {
        try prepareNames(config: ["sampleInterval": "20", "sampleTokens": "12"])
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "slow", "--db", "db.sqlite", "--quiet",
                                   "--set", "optimizer.learningRate=0.02").status, 0)
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "fast", "--db", "db.sqlite", "--quiet",
                                   "--set", "optimizer.gradientClipNorm=0.5").status, 0)

        // plot: well-formed, one series group per run and role, a legend entry per run, and the
        // same bytes twice.
        let plotted = try descent("plot", "slow", "fast", "-o", "curves.svg", "--db", "db.sqlite")
        XCTAssertEqual(plotted.status, 0, plotted.stderr)
        let svg = try read("curves.svg")
        let elements = Elements.parse(svg)
        let series = elements.filter { $0.attributes["class"] == "series" }.map { "\($0.attributes["data-name"]!)/\($0.attributes["data-metric"]!)/\($0.attributes["data-role"]!)" }
        XCTAssertEqual(Set(series), ["slow/train_loss/raw", "slow/val_loss/measured", "slow/lr/line",
                                     "fast/train_loss/raw", "fast/val_loss/measured", "fast/lr/line"])
        XCTAssertEqual(elements.filter { $0.attributes["class"] == "legend-entry" }.compactMap { $0.attributes["data-label"] },
                       ["slow", "fast", "train (per step)", "validation"])
        XCTAssertEqual(try descent("plot", "slow", "fast", "-o", "again.svg", "--db", "db.sqlite").status, 0)
        XCTAssertEqual(try read("again.svg"), svg)
        for options in [["--x", "time"], ["--x", "tokens", "--log-y"], ["--metric", "grad_norm", "--smoothing", "0.5"], ["--no-lr"]] {
            let result = try descent(["plot", "fast", "-o", "other.svg", "--db", "db.sqlite"] + options)
            XCTAssertEqual(result.status, 0, "\(options): \(result.stderr)")
            _ = Elements.parse(try read("other.svg"))
        }
        XCTAssertEqual(Elements.parse(try read("other.svg")).filter { $0.attributes["class"] == "panel" }.compactMap { $0.attributes["data-panel"] },
                       ["loss"], "--no-lr")
        assertUserError(try descent("plot", "fast", "-o", "x.svg", "--db", "db.sqlite", "--metric", "wat"), contains: "has a metric named 'wat'")
        assertUserError(try descent("plot", "nope", "-o", "x.svg", "--db", "db.sqlite"), contains: "no run named 'nope'")
        assertUsageError(try descent("plot", "fast", "-o", "x.svg", "--db", "db.sqlite", "--smoothing", "1"), contains: "--smoothing")

        // report: one well-formed page with every section, the samples, and nothing to fetch.
        let reported = try descent("report", "slow", "fast", "-o", "report.html", "--db", "db.sqlite")
        XCTAssertEqual(reported.status, 0, reported.stderr)
        let html = try read("report.html")
        let page = Elements.parse(html)
        XCTAssertEqual(page.filter { $0.name == "section" }.compactMap { $0.attributes["id"] }, ["summary", "curves", "config", "samples", "checkpoints"])
        XCTAssertEqual(page.filter { $0.attributes["class"] == "panel" }.compactMap { $0.attributes["data-panel"] }, ["loss", "lr", "grad_norm"])
        XCTAssertEqual(page.filter { $0.name == "tr" && $0.attributes["class"] == "differs" }.count, 2, "learningRate and gradientClipNorm")
        XCTAssertEqual(page.filter { $0.name == "pre" && $0.attributes["class"]?.hasPrefix("sample") == true }.count, 2 * 3 * 3)
        XCTAssertEqual(page.filter { $0.name == "script" || $0.name == "img" || $0.name == "link" }.count, 0)
        XCTAssert(page.contains { $0.attributes["class"] == "rug" }, "fast clipped some steps")

        // metrics: a wide CSV of every step, and JSON.
        let csv = try descent("metrics", "slow", "--csv", "--db", "db.sqlite")
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let rows = csv.stdout.split(separator: "\n")
        XCTAssertEqual(rows.first, "step,clipped_steps,data_wait,elapsed_seconds,examples_seen,grad_norm,lr,tokens_per_second,train_loss,val_loss")
        XCTAssertEqual(rows.count, 1 + 41)
        XCTAssert(rows[1].hasPrefix("0,,,,,,,,,"), String(rows[1]))
        XCTAssertEqual(rows[10].split(separator: ",", omittingEmptySubsequences: false).count, 10)
        let json = try descent("metrics", "slow", "--json", "--name", "val_loss", "--db", "db.sqlite")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let val = try XCTUnwrap((object["metrics"] as? [String: Any])?["val_loss"] as? [[Double]])
        XCTAssertEqual(val.map { $0[0] }, [0, 20, 40])
        assertUserError(try descent("metrics", "slow", "--name", "loss", "--db", "db.sqlite"), contains: "no metric named 'loss'")

        // diff: the two keys that differ, then the figures side by side.
        let diff = try descent("diff", "slow", "fast", "--db", "db.sqlite")
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssert(diff.stdout.hasPrefix("config (2 of "), diff.stdout)
        XCTAssert(diff.stdout.contains("optimizer.learningRate") && diff.stdout.contains("0.02") && diff.stdout.contains("optimizer.gradientClipNorm"), diff.stdout)
        XCTAssert(diff.stdout.contains("best val loss"), diff.stdout)

        // runs: sorted and filtered.
        let byName = try descent("runs", "--sort", "name", "--db", "db.sqlite")
        XCTAssertEqual(byName.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(4)) }, ["fast", "slow"])
        let created = try descent("runs", "--db", "db.sqlite")
        XCTAssertEqual(created.stdout.split(separator: "\n").dropFirst().map { String($0.prefix(4)) }, ["slow", "fast"])
        XCTAssertEqual(try descent("runs", "--status", "completed", "--db", "db.sqlite").stdout.split(separator: "\n").count, 3)
        XCTAssert(try descent("runs", "--status", "diverged", "--db", "db.sqlite").stdout.hasPrefix("No runs in db.sqlite with status diverged."))
        assertUsageError(try descent("runs", "--sort", "loss", "--db", "db.sqlite"), contains: "loss")
    }
}
