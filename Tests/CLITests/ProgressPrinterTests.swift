@testable import DescentCLI
import Foundation
import Training
import XCTest

/// The progress printer with a recording sink: what a terminal, a log file and a program see.
final class ProgressPrinterTests: XCTestCase {
    final class Recording {
        var stderr = ""
        var stdout: [String] = []
        var columns = 100
        var sink: ProgressSink {
            ProgressSink(error: { self.stderr += $0 }, output: { self.stdout.append($0) }, columns: { self.columns })
        }
    }

    func report(_ step: Int, of maxSteps: Int = 5000, seconds: Double) -> StepReport {
        StepReport(step: step, maxSteps: maxSteps, trainLoss: 2 + 1 / Double(step), learningRate: 0.05,
                   examplesSeen: step * 256, elapsedSeconds: seconds)
    }

    func testTheLiveLineFitsEveryWidthAndDropsTheLeastUsefulPartsFirst() {
        let step = report(1200, seconds: 12)
        let window = (seconds: 2.0, examples: 40_000, steps: 160)
        let wide = ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: 2.1502, window: window, columns: 140)
        XCTAssertEqual(wide, "step 1200/5000 [███████▏                      ]  24% | loss 2.1345 | val 2.1502 | lr 5.00e-02 | 20.0k tok/s | 0:12 eta 0:48")
        for columns in [140, 100, 80, 60, 40, 30, 20, 12, 5, 1] {
            let line = ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: 2.1502, window: window, columns: columns)
            XCTAssertLessThanOrEqual(line.count, max(columns - 1, 1), "\(columns): \(line)")
            XCTAssertFalse(line.contains("\n"))
        }
        let eighty = ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: 2.1502, window: window, columns: 80)
        XCTAssert(eighty.hasPrefix("step 1200/5000 [") && eighty.contains("loss 2.1345") && eighty.contains("eta 0:48"), eighty)
        XCTAssertFalse(eighty.contains("lr "), eighty)
        // Narrow: no room for the bar; the step, the loss, then the time.
        XCTAssertEqual(ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: 2.1502, window: window, columns: 50),
                       "step 1200/5000 | loss 2.1345 | 0:12 eta 0:48")
        XCTAssertEqual(ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: 2.1502, window: window, columns: 40),
                       "step 1200/5000 | loss 2.1345")
        XCTAssertEqual(ProgressPrinter.line(report: step, smoothedLoss: 2.1345, valLoss: nil, window: window, columns: 12), "step 1200/5")
    }

    func testTheBarMovesInEighthsOfACell() {
        XCTAssertEqual(ProgressPrinter.bar(0, cells: 4), "[    ]")
        XCTAssertEqual(ProgressPrinter.bar(0.5, cells: 4), "[██  ]")
        XCTAssertEqual(ProgressPrinter.bar(1.0 / 32, cells: 4), "[▏   ]")
        XCTAssertEqual(ProgressPrinter.bar(1, cells: 4), "[████]")
        XCTAssertEqual(ProgressPrinter.bar(7, cells: 4), "[████]")
    }

    func testALiveLineRedrawsAtMostFiveTimesASecondWhateverTheStepRate() {
        let recording = Recording()
        let printer = ProgressPrinter(format: .text, quiet: false, isTerminal: true, sink: recording.sink)
        // 10,000 steps in one second.
        for step in 1...10_000 { printer.handle(.step(report(step, of: 10_000, seconds: Double(step) * 1e-4))) }
        let redraws = recording.stderr.components(separatedBy: "\r\u{1B}[2K").count - 1
        XCTAssertLessThanOrEqual(redraws, 7)
        XCTAssertGreaterThanOrEqual(redraws, 5)
        XCTAssertFalse(recording.stderr.contains("\n"))
        XCTAssert(recording.stderr.hasSuffix("100% | loss 2.0001 | 0:01 eta 0:00") || recording.stderr.contains("10000/10000"), recording.stderr)
    }

    func testMessagesPrintAboveTheLiveLine() {
        let recording = Recording()
        let printer = ProgressPrinter(format: .text, quiet: false, isTerminal: true, sink: recording.sink)
        printer.handle(.step(report(10, seconds: 1)))
        recording.stderr = ""
        printer.handle(.evaluation(step: 10, valLoss: 2.25, seconds: 0.5))
        XCTAssert(recording.stderr.hasPrefix("\r\u{1B}[2Kstep 10: val loss 2.2500 (0.5 s)\n\r\u{1B}[2Kstep   10/5000"), recording.stderr)
        XCTAssert(recording.stderr.contains("val 2.2500"), recording.stderr)
        printer.handle(.samples(step: 10, texts: ["anna", "two\nlines"]))
        XCTAssert(recording.stderr.contains("samples at step 10:\n  1| anna\n  2| two\n   | lines\n"), recording.stderr)
        printer.end(text: "done", fields: [])
        XCTAssert(recording.stderr.hasSuffix("\ndone\n"), recording.stderr)
    }

    func testALogGetsAPlainLinePerLogInterval() {
        let recording = Recording()
        let printer = ProgressPrinter(format: .text, quiet: false, isTerminal: false, sink: recording.sink)
        printer.handle(.step(report(100, seconds: 1)))
        XCTAssertEqual(recording.stderr, "")
        printer.handle(.progress(ProgressReport(step: 100, maxSteps: 5000, trainLoss: 2.5, learningRate: 0.05, examplesPerSecond: 25_600,
                                                elapsedSeconds: 1, etaSeconds: 49)))
        printer.handle(.checkpoint(step: 100, reason: .interval))
        XCTAssertEqual(recording.stderr, "step  100/5000 | loss 2.5000 | lr 5.000e-02 | 25.6k tok/s | elapsed 0:01 | eta 0:49\ncheckpoint at step 100 (interval)\n")
    }

    func testQuietPrintsOnlyTheSummary() {
        let recording = Recording()
        let printer = ProgressPrinter(format: .text, quiet: true, isTerminal: true, sink: recording.sink)
        printer.start(text: "run 'x'", fields: [])
        printer.handle(.step(report(1, seconds: 1)))
        printer.handle(.evaluation(step: 1, valLoss: 2, seconds: 0))
        printer.handle(.checkpoint(step: 1, reason: .final))
        printer.handle(.note("no validation split"))
        printer.end(text: "run 'x' completed", fields: [])
        XCTAssertEqual(recording.stderr, "run 'x' completed\n")
    }

    func testJSONGivesOneObjectPerEventOnStandardOutput() throws {
        let recording = Recording()
        let printer = ProgressPrinter(format: .json, quiet: false, isTerminal: true, sink: recording.sink)
        printer.start(text: "ignored", fields: [("run", .string("r"))])
        printer.handle(.step(report(1, seconds: 1)))
        printer.handle(.evaluation(step: 1, valLoss: .nan, seconds: 0.25))
        printer.handle(.samples(step: 1, texts: ["a \"quoted\"\nline\u{1}"]))
        printer.end(text: "ignored", fields: [("outcome", .string("completed")), ("bestValLoss", .optionalNumber(nil))])
        XCTAssertEqual(recording.stderr, "")
        XCTAssertEqual(recording.stdout, [
            #"{"event":"start","run":"r"}"#,
            #"{"event":"evaluation","step":1,"valLoss":null,"seconds":0.25}"#,
            #"{"event":"samples","step":1,"texts":["a \"quoted\"\nline\u0001"]}"#,
            #"{"event":"end","outcome":"completed","bestValLoss":null}"#,
        ])
        for line in recording.stdout {
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        }
        let samples = try JSONSerialization.jsonObject(with: Data(recording.stdout[2].utf8)) as? [String: Any]
        XCTAssertEqual(samples?["texts"] as? [String], ["a \"quoted\"\nline\u{1}"])
    }
}
