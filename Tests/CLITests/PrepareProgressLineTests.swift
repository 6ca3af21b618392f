@testable import DescentCLI
import Data
import Foundation
import XCTest

/// The line `descent prepare` draws on a terminal, and its silence elsewhere.
final class PrepareProgressLineTests: XCTestCase {
    let encoding = PrepareProgress(phase: .encoding, path: "corpus.txt", bytesRead: 65_000_000, inputBytes: 100_000_000,
                                   tokensWritten: 48_200_000, tokenCount: nil)

    func testTheLineShowsBytesRateTokensAndETA() {
        // 40 MB of this pass in 0.5 s: 80 MB/s, so the 35 MB left take 0:00 (0.4 s, rounded down).
        let line = PrepareProgressLine.line(encoding, seconds: 0.5, doneAtStart: 25_000_000, columns: 120)
        XCTAssertEqual(line, "encode 2/3 [█████████████       ]  65% | 65.0/100.0 MB | 80 MB/s | 48.20M tokens | eta 0:00")
        let compressing = PrepareProgress(phase: .compressing, path: nil, bytesRead: 100_000_000, inputBytes: 100_000_000,
                                          tokensWritten: 25_000_000, tokenCount: 100_000_000)
        XCTAssertEqual(PrepareProgressLine.line(compressing, seconds: 10, doneAtStart: 0, columns: 120),
                       "compress 3/3 [█████               ]  25% | 25.00M/100.00M tokens | 2.50M tok/s | eta 0:30")
    }

    func testTheLineFitsEveryWidth() {
        for columns in [120, 80, 60, 40, 20, 5, 1] {
            let line = PrepareProgressLine.line(encoding, seconds: 0.5, doneAtStart: 0, columns: columns)
            XCTAssertLessThanOrEqual(line.count, max(columns - 1, 1), "\(columns): \(line)")
            XCTAssertTrue(line.hasPrefix(String("encode 2/3".prefix(max(columns - 1, 1)))), line)
        }
        // Parts go from the right first, then the bar.
        XCTAssertEqual(PrepareProgressLine.line(encoding, seconds: 0.5, doneAtStart: 0, columns: 60),
                       "encode 2/3 [█████████████       ]  65% | 65.0/100.0 MB")
        XCTAssertEqual(PrepareProgressLine.line(encoding, seconds: 0.5, doneAtStart: 0, columns: 30), "encode 2/3 | 65.0/100.0 MB")
    }

    func testNothingIsDrawnOffATerminal() {
        var written = ""
        let sink = ProgressSink(error: { written += $0 }, output: { _ in }, columns: { 80 })
        let quiet = PrepareProgressLine(isTerminal: false, sink: sink)
        quiet.update(encoding)
        quiet.finish()
        XCTAssertEqual(written, "")
        let live = PrepareProgressLine(isTerminal: true, sink: sink)
        live.update(encoding)
        // Within the redraw interval a second update of the same pass draws nothing.
        live.update(encoding)
        live.finish()
        XCTAssertEqual(written.components(separatedBy: "encode 2/3").count - 1, 1, written)
        XCTAssertTrue(written.hasSuffix("\r\u{1B}[2K"), "the line is cleared for the summary")
    }
}
