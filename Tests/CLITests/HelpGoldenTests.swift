@testable import DescentCLI
import ArgumentParser
import Foundation
import XCTest

/// The complete `--help` of every verb, pinned as golden text in Tests/CLITests/Golden. A change
/// to an option, a default or a config key shows up here as a diff to review. After an intended
/// change, regenerate the files with
///
///     DESCENT_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests
final class HelpGoldenTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// The root command, every verb it lists and their own verbs (`tokenizer-show`), so a new
    /// verb needs a golden file too.
    static var pages: [(name: String, command: ParsableCommand.Type)] {
        var pages: [(name: String, command: ParsableCommand.Type)] = [("descent", DescentCommand.self)]
        for verb in DescentCommand.configuration.subcommands {
            let name = verb.configuration.commandName ?? "\(verb)"
            pages.append((name, verb))
            for inner in verb.configuration.subcommands {
                pages.append((name + "-" + (inner.configuration.commandName ?? "\(inner)"), inner))
            }
        }
        return pages
    }

    func testEveryHelpPageMatchesItsGoldenFile() throws {
        let updating = ProcessInfo.processInfo.environment["DESCENT_UPDATE_GOLDEN"] == "1"
        for (name, command) in Self.pages {
            let text = DescentCommand.helpMessage(for: command, columns: 80) + "\n"
            let file = Self.golden.appendingPathComponent("help-\(name).txt")
            if updating {
                try text.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
                XCTFail("no golden help for '\(name)' at \(file.path); create it with DESCENT_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests")
                continue
            }
            XCTAssertEqual(text, expected, "`descent help \(name)` differs from \(file.lastPathComponent); if the change is intended, regenerate with DESCENT_UPDATE_GOLDEN=1 swift test --filter HelpGoldenTests")
        }
    }

    func testEveryHelpLineFitsEightyColumns() {
        for (name, command) in Self.pages {
            for line in DescentCommand.helpMessage(for: command, columns: 80).split(separator: "\n") where !line.hasPrefix("USAGE:") {
                XCTAssertLessThanOrEqual(line.count, 80, "descent help \(name): \(line)")
            }
        }
    }
}
