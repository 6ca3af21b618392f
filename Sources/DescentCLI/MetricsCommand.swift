// `descent metrics`: every stored metric of a run, as CSV or JSON, for pandas or a spreadsheet.

import ArgumentParser
import Foundation
import RunRecords
import Store

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print a run's metrics as CSV or JSON.",
        discussion: HelpText.paragraphs("""
            CSV has one row per step and one column per metric, sorted by name; a cell is empty \
            where that metric was not measured at that step, and `nan` where it was not finite \
            (a diverged step). JSON maps each metric to its [step, value] pairs, with null for \
            values that were not finite.
            """)
            + "\n\n" + """
            Examples:
              descent metrics shakespeare-char-mlp --csv > m.csv
              descent metrics names-mlp --name val_loss --name lr --json
            In pandas: pd.read_csv("m.csv", index_col="step")
            """
    )

    enum Format: String, EnumerableFlag {
        case csv, json

        static func help(for value: Format) -> ArgumentHelp? {
            switch value {
            case .csv: "Comma-separated values, one row per step."
            case .json: "One JSON object: {\"run\": ..., \"metrics\": {name: [[step, value], ...]}}."
            }
        }
    }

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @Option(name: .long, help: ArgumentHelp("Only this metric (repeatable), e.g. --name train_loss --name val_loss.", valueName: "name"))
    var name: [String] = []

    @Flag var format: Format = .csv

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let run = try attempt { try store.requireRun(named: runName) }
        let stored = try attempt { try store.metricNames(runID: run.id) }
        let wanted = name.map(MetricName.init(rawValue:))
        if let unknown = wanted.first(where: { !stored.contains($0) }) {
            let list = stored.isEmpty ? "none yet" : stored.map(\.rawValue).joined(separator: ", ")
            throw CommandFailure(message: "run '\(runName)' has no metric named '\(unknown)' (stored: \(list)).", code: 1)
        }
        let rows = try attempt { try store.metrics(runID: run.id, names: wanted.isEmpty ? nil : wanted) }
        let names = wanted.isEmpty ? stored : stored.filter(wanted.contains)
        switch format {
        case .csv: print(Self.csv(rows, names: names), terminator: "")
        case .json: print(Self.json(rows, names: names, run: runName))
        }
    }

    /// Full precision (the shortest text that reads back to the same Double).
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "nan" }
        return "\(value)"
    }

    static func csv(_ rows: [(name: MetricName, step: Int, value: Double?)], names: [MetricName]) -> String {
        let column = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        var table: [Int: [String]] = [:]
        for row in rows {
            guard let index = column[row.name] else { continue }
            table[row.step, default: [String](repeating: "", count: names.count)][index] = number(row.value)
        }
        var text = (["step"] + names.map(\.rawValue)).joined(separator: ",") + "\n"
        for step in table.keys.sorted() { text += "\(step)," + (table[step] ?? []).joined(separator: ",") + "\n" }
        return text
    }

    static func json(_ rows: [(name: MetricName, step: Int, value: Double?)], names: [MetricName], run: String) -> String {
        var byName: [MetricName: [String]] = [:]
        for row in rows {
            byName[row.name, default: []].append("[\(row.step),\(row.value.map { $0.isFinite ? "\($0)" : "null" } ?? "null")]")
        }
        let metrics = names.map { JSONField.quote($0.rawValue) + ":[" + (byName[$0] ?? []).joined(separator: ",") + "]" }
        return "{\"run\":\(JSONField.quote(run)),\"metrics\":{" + metrics.joined(separator: ",") + "}}"
    }
}
