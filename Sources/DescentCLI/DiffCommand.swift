// `descent diff`: two runs side by side: the config keys that differ, then the losses, steps,
// time and throughput.

import ArgumentParser
import Foundation
import Store

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs: config differences, losses, steps, time and throughput.",
        discussion: """
            Example:
              descent diff names-mlp names-mlp-best
            """
    )

    @Argument(help: ArgumentHelp("The first run.", valueName: "run-a"))
    var first: String

    @Argument(help: ArgumentHelp("The second run.", valueName: "run-b"))
    var second: String

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let a = try RunHistory.load(first, store: store)
        let b = try RunHistory.load(second, store: store)
        print(Self.text(a, b), terminator: "")
    }

    static func text(_ a: RunHistory, _ b: RunHistory) -> String {
        var keys = a.config.map(\.key)
        keys += b.config.map(\.key).filter { !keys.contains($0) }
        let differing = keys.compactMap { key -> [String]? in
            let (left, right) = (a.value(ofConfig: key) ?? "-", b.value(ofConfig: key) ?? "-")
            return left == right ? nil : [key, left, right]
        }
        var out = ""
        if differing.isEmpty {
            out += "config: identical (\(keys.count) keys)\n"
        } else {
            out += table([["config (\(differing.count) of \(keys.count) keys differ)", a.name, b.name]] + differing)
        }
        out += "\n"
        let figures: [(String, (RunHistory) -> String)] = [
            ("status", ReportCommand.statusText),
            ("model", { "\($0.record.model), \(ReportCommand.grouped($0.record.parameterCount)) parameters" }),
            ("steps", { "\($0.record.step)/\($0.record.maxSteps)" }),
            ("final train loss (avg)", { ReportCommand.loss($0.smoothedTrainLoss) }),
            ("final val loss", { run in run.lastValLoss.map { ReportCommand.loss($0.value) } ?? "-" }),
            ("best val loss", { run in run.bestValLoss.map { "\(ReportCommand.loss($0.value)) @ \($0.step)" } ?? "-" }),
            ("training time", { $0.elapsedSeconds.map(ReportCommand.duration) ?? "-" }),
            ("throughput", { $0.medianTokensPerSecond.map { ProgressPrinter.compact($0) + " tok/s" } ?? "-" }),
            ("tokens trained on", { $0.examplesSeen.map(ReportCommand.grouped) ?? "-" }),
        ]
        var rows = [["", a.name, b.name]]
        for (label, value) in figures { rows.append([label, value(a), value(b)]) }
        if let left = a.bestValLoss?.value, let right = b.bestValLoss?.value {
            rows.append(["best val, b − a", "", String(format: "%+.4f", right - left)])
        }
        out += table(rows)
        return out
    }

    /// Left-aligned columns two spaces apart; the first row is the header.
    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
