@testable import DescentCLI
import XCTest

/// ArgumentParser re-wraps any discussion line wider than its 80-column screen and starts the
/// overflow at column 0, which breaks the examples and the key list; so every discussion line must
/// already fit.
final class HelpTextTests: XCTestCase {
    func testEveryDiscussionLineFitsEightyColumns() {
        let commands: [(String, String)] = [
            ("descent", DescentCommand.configuration.discussion),
            ("prepare", PrepareCommand.configuration.discussion),
            ("train", TrainCommand.configuration.discussion),
            ("sample", SampleCommand.configuration.discussion),
            ("eval", EvaluateCommand.configuration.discussion),
            ("runs", RunsCommand.configuration.discussion),
        ]
        for (name, discussion) in commands {
            XCTAssertFalse(discussion.isEmpty, name)
            for line in discussion.split(separator: "\n") {
                XCTAssertLessThanOrEqual(line.count, 80, "\(name) --help: \(line)")
            }
        }
    }

    func testWrapKeepsWordsAndIndentation() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        let wrapped = HelpText.wrap(text, indent: "    ", hangingIndent: "  ")
        let lines = wrapped.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 1)
        XCTAssert(lines.allSatisfy { $0.count <= HelpText.width }, wrapped)
        XCTAssert(lines[0].hasPrefix("    one"))
        XCTAssert(lines.dropFirst().allSatisfy { $0.hasPrefix("      ") && !$0.hasPrefix("       ") }, wrapped)
        XCTAssertEqual(wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " "), text)
        XCTAssertEqual(HelpText.wrap(String(repeating: "x", count: 100)), String(repeating: "x", count: 100))
    }
}
