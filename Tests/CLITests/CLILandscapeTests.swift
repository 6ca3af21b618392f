import Foundation
import XCTest

/// lr-find, landscape and sweep end to end on a tiny corpus, and their bad inputs.
final class CLILandscapeTests: CLITestCase {
    func testLRFindPrintsSuggestionsAndStoresOnlyWithSave() throws {
        try prepareNames()
        let result = try descent("lr-find", "tiny.json", "--start", "1e-4", "--end", "1e4", "--steps", "60", "-o", "lr.svg",
                                 "--db", "db.sqlite")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssert(result.stdout.contains("diverged at lr"), result.stdout)
        for rule in ["valley", "steep", "minimum/10"] { XCTAssert(result.stdout.contains(rule), result.stdout) }
        let svg = try String(contentsOfFile: path("lr.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "class=\"x-guide\"").count - 1, 3, "one guide per suggestion")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("db.sqlite")), "nothing stored without --save")
        XCTAssertEqual(try descent("lr-find", "tiny.json", "--steps", "30", "-o", "lr.svg", "--db", "db.sqlite", "--save", "lr1").status, 0)
        let runs = try descent("runs", "--db", "db.sqlite")
        XCTAssert(runs.stdout.contains("lr1"), runs.stdout)
        XCTAssertEqual(try descent("metrics", "lr1", "--db", "db.sqlite").status, 0)
    }

    func testLandscapeMapSliceAndPath() throws {
        try prepareNames(config: ["trajectoryPoints": "6"])
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "tiny", "--db", "db.sqlite", "--quiet").status, 0)
        let map = try descent("landscape", "tiny", "--grid", "5", "--batches", "2", "--batch-size", "64", "--db", "db.sqlite",
                              "-o", "map.svg")
        XCTAssertEqual(map.status, 0, map.stderr)
        let svg = try String(contentsOfFile: path("map.svg"), encoding: .utf8)
        XCTAssert(svg.contains("class=\"colour-bar\"") && svg.contains("data-rows=\"5\""), "a 5×5 map with a colour scale")
        let slice = try descent("landscape", "tiny", "--1d", "--grid", "7", "--batches", "1", "--db", "db.sqlite", "-o", "slice.svg")
        XCTAssertEqual(slice.status, 0, slice.stderr)
        let route = try descent("landscape", "tiny", "--path", "--grid", "5", "--batches", "1", "--db", "db.sqlite", "-o", "path.svg")
        XCTAssertEqual(route.status, 0, route.stderr)
        XCTAssert(route.stdout.contains("path of 6 snapshots"), route.stdout)
        let pathSVG = try String(contentsOfFile: path("path.svg"), encoding: .utf8)
        XCTAssert(pathSVG.contains("class=\"path\" data-points=\"6\"") && pathSVG.contains("% of variance"), "the path over the plane")
    }

    func testLandscapeErrors() throws {
        try prepareNames()
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "plain", "--db", "db.sqlite", "--quiet").status, 0)
        assertUsageError(try descent("landscape", "plain", "--span", "0", "--db", "db.sqlite"), contains: "--span must be a number > 0")
        assertUsageError(try descent("landscape", "plain", "--span", "-1", "--db", "db.sqlite"), contains: "--span")
        assertUserError(try descent("landscape", "plain", "--path", "--db", "db.sqlite"), contains: "has no weight snapshots")
        assertUserError(try descent("landscape", "ghost", "--db", "db.sqlite"), contains: "no run named 'ghost'")
        try prepareNames(config: ["trajectoryPoints": "2"])
        XCTAssertEqual(try descent("train", "tiny.json", "--run", "two", "--db", "db.sqlite", "--quiet").status, 0)
        assertUserError(try descent("landscape", "two", "--path", "--db", "db.sqlite"), contains: "at least 3 weight snapshots")
        assertUsageError(try descent("lr-find", "tiny.json", "--steps", "3"), contains: "--steps must be at least 6")
        assertUsageError(try descent("lr-find", "tiny.json", "--start", "1", "--end", "0.1"), contains: "--end must be greater")
    }

    func testSweepRanksResumesAndSurvivesDivergence() throws {
        try prepareNames()
        let arguments = ["sweep", "tiny.json", "--name", "s", "--grid", "optimizer.learningRate=0.1,1e6", "--grid", "optimizer.momentum=0,0.9",
                         "--grid", "optimizer.nesterov=false,true", "--db", "db.sqlite", "--quiet", "-o", "sweep.svg"]
        let first = try descent(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssert(first.stderr.contains("skipping optimizer.learningRate=0.1 optimizer.momentum=0 optimizer.nesterov=true"), first.stderr)
        XCTAssert(first.stderr.contains("The sweep goes on"), first.stderr)
        let lines = first.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7, first.stdout)  // header + 6 valid combinations
        XCTAssert(lines[1].contains("learningRate-0.1") && lines[1].contains("completed"), lines[1])
        XCTAssert(lines.last?.contains("diverged") ?? false, first.stdout)
        let svg = try String(contentsOfFile: path("sweep.svg"), encoding: .utf8)
        XCTAssert(svg.contains("data-role=\"smoothed\"") && !svg.contains("data-role=\"raw\""), "moving averages only")
        let again = try descent(arguments)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr.components(separatedBy: "already, kept").count - 1, 6, again.stderr)
        XCTAssertEqual(again.stdout, first.stdout)
    }

    /// Ctrl-C ends the sweep with the current run's checkpoint (exit 130); the same command
    /// again resumes that run rather than starting it over.
    func testSweepStopsOnSigintAndResumes() throws {
        try prepareNames(config: ["maxSteps": "1000000", "logInterval": "1", "checkpointInterval": "0", "evalInterval": "0"])
        let arguments = ["sweep", "tiny.json", "--name", "c", "--grid", "optimizer.learningRate=0.05,0.1", "--db", "db.sqlite"]
        func interrupt(after marker: String) throws -> String {
            let (process, _, err) = try launch(arguments)
            var seen = Data()
            let handle = err.fileHandleForReading
            while !String(decoding: seen, as: UTF8.self).contains(marker) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
            process.interrupt()
            let rest = handle.readDataToEndOfFile()
            process.waitUntilExit()
            let stderr = String(decoding: seen + rest, as: UTF8.self)
            XCTAssertEqual(process.terminationStatus, 130, stderr)
            XCTAssert(stderr.contains("sweep stopped during c_learningRate-0.05"), stderr)
            return stderr
        }
        // A progress line: the run's signal handler is installed by then.
        _ = try interrupt(after: "| loss")
        let first = try descent("runs", "--db", "db.sqlite", "--json")
        XCTAssert(first.stdout.contains("\"interrupted\""), first.stdout)
        XCTAssertFalse(first.stdout.contains("c_learningRate-0.1"), "the second run has not started")
        let again = try interrupt(after: "| loss")
        XCTAssert(again.contains("c_learningRate-0.05: resuming") && again.contains("resuming run 'c_learningRate-0.05' at step"), again)
    }

    func testSweepErrors() throws {
        try prepareNames()
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.learningRat=0.1"), contains: "unknown config key 'optimizer.learningRat'")
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.learningRate="), contains: "is empty")
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.learningRate"), contains: "expected KEY=V1,V2")
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.learningRate=0.1,-1"),
                        contains: "--grid optimizer.learningRate=0.1,-1: --set: optimizer.learningRate must be a number > 0")
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.type=sgd,adam"), contains: "optimizer.type")
        assertUserError(try descent("sweep", "tiny.json", "--grid", "optimizer.nesterov=true", "--set", "optimizer.momentum=0"),
                        contains: "no combination of the grid is a valid config")
        assertUsageError(try descent("sweep", "tiny.json"), contains: "at least one --grid")
    }
}
