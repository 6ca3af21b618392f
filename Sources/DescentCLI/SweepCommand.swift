// `descent sweep`: train every combination of a grid of config values as its own run, resumably,
// then rank them by best validation loss and draw their curves in one plot.
//
// Each run is trained by `descent train` itself (the same command, parsed from arguments), so a
// sweep's runs are ordinary runs: same records, same resume, same Ctrl-C. The sweep reads each
// run's status from the store to decide what to do next: completed and diverged runs are kept,
// interrupted or crashed ones resumed, failed ones started again.

import ArgumentParser
import Foundation
import Plots
import Store
import Training

/// One `--grid key=v1,v2,...`.
struct GridAxis: Equatable {
    let key: String
    let values: [String]

    /// Parses `key=v1,v2`; the key must be a config key and the list non-empty.
    init(argument: String) throws {
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw CommandFailure(message: "--grid \(argument): expected KEY=V1,V2,... e.g. --grid optimizer.learningRate=0.01,0.1.", code: 1)
        }
        guard TrainingConfig.key(parts[0]) != nil else {
            throw CommandFailure(message: "--grid \(argument): unknown config key '\(parts[0])'. `descent help train` lists the keys.", code: 1)
        }
        let values = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !values.isEmpty else {
            throw CommandFailure(message: "--grid \(argument): the grid of '\(parts[0])' is empty; give at least one value, e.g. --grid \(parts[0])=V1,V2.", code: 1)
        }
        guard Set(values).count == values.count else {
            throw CommandFailure(message: "--grid \(argument): a value is listed twice.", code: 1)
        }
        key = parts[0]
        self.values = values
    }
}

/// One point of the grid: a value for each axis, in axis order.
struct GridPoint: Equatable {
    let assignments: [(key: String, value: String)]

    static func == (lhs: GridPoint, rhs: GridPoint) -> Bool {
        lhs.assignments.map(\.key) == rhs.assignments.map(\.key) && lhs.assignments.map(\.value) == rhs.assignments.map(\.value)
    }

    /// Every combination, the last axis varying fastest.
    static func all(_ axes: [GridAxis]) -> [GridPoint] {
        var points: [[(key: String, value: String)]] = [[]]
        for axis in axes {
            points = points.flatMap { prefix in axis.values.map { prefix + [(key: axis.key, value: $0)] } }
        }
        return points.map(GridPoint.init)
    }

    var overrides: [String] { assignments.map { "\($0.key)=\($0.value)" } }

    /// `PREFIX_key-value_…` with each key's last component; characters a run name cannot hold
    /// become '-'.
    func runName(prefix: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        let parts = assignments.map { assignment -> String in
            let key = assignment.key.split(separator: ".").last.map(String.init) ?? assignment.key
            return String("\(key)-\(assignment.value)".map { allowed.contains($0) ? $0 : "-" })
        }
        return ([prefix] + parts).joined(separator: "_")
    }

    var label: String { assignments.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train every combination of a grid of config values, and compare them.",
        discussion: HelpText.paragraphs("""
            Each combination of the --grid values (with the --set keys) is trained as its own run, \
            named after its values: PREFIX_type-sgd_learningRate-0.1. The sweep can be stopped \
            and run again with the same arguments: completed runs are skipped, interrupted ones \
            resumed. Ctrl-C stops the current run with a checkpoint and ends the sweep (exit 130). \
            A run that diverges is marked 'diverged' and the sweep goes on; a combination that \
            is not a valid config (nesterov without momentum) is skipped with its reason.
            """, """
            At the end it prints the runs sorted by best validation loss and draws their curves \
            in one plot (-o).
            """)
            + "\n\n" + """
            Examples:
              descent sweep configs/names-mlp.json --set training.maxSteps=20000 \\
                  --grid optimizer.momentum=0,0.9 \\
                  --grid optimizer.learningRate=0.03,0.1,0.3 -o sweep.svg
              descent sweep configs/names-mlp.json --name opt \\
                  --grid optimizer.type=sgd,adamw --grid optimizer.learningRate=0.01,0.1
            """
    )

    @Argument(help: ArgumentHelp("The base training config (JSON), e.g. configs/names-mlp.json.", valueName: "config"))
    var config: String

    @Option(name: .customLong("grid"), help: ArgumentHelp("A config key and its values, e.g. --grid optimizer.learningRate=0.01,0.1. Repeatable: every combination is trained.",
                                                          valueName: "key=v1,v2"))
    var grids: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key in every run, e.g. --set training.maxSteps=5000. Repeatable.",
                                                         valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("Prefix of the runs' names (default: the config file's name).", valueName: "prefix"))
    var name: String?

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The comparison plot to write.", valueName: "file.svg"))
    var output: String = "sweep.svg"

    @Flag(name: .long, help: "Only the sweep's own lines and the table, not each run's progress.")
    var quiet = false

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if grids.isEmpty { throw ValidationError("give at least one --grid KEY=V1,V2, e.g. --grid optimizer.learningRate=0.01,0.1.") }
        if output.isEmpty { throw ValidationError("-o needs a file name, e.g. -o sweep.svg.") }
    }

    func run() throws {
        let axes = try grids.map { try GridAxis(argument: $0) }
        let keys = axes.map(\.key)
        if let repeated = keys.first(where: { key in keys.filter { $0 == key }.count > 1 }) {
            throw CommandFailure(message: "--grid \(repeated) is given twice; list all its values in one --grid.", code: 1)
        }
        let prefix = name ?? URL(fileURLWithPath: config).deletingPathExtension().lastPathComponent
        _ = try attempt { try TrainingConfig.load(path: config, overrides: overrides) }
        // A value its key rejects is a mistake in the command; a combination that only clashes
        // with another key (nesterov without momentum) is skipped below.
        for axis in axes {
            for value in axis.values {
                if let error = Self.configError(path: config, overrides: overrides + ["\(axis.key)=\(value)"]) {
                    if case .inconsistent = error { continue }
                    throw CommandFailure(message: "--grid \(axis.key)=\(axis.values.joined(separator: ",")): \(error)", code: 1)
                }
            }
        }
        var planned: [(point: GridPoint, name: String)] = []
        var skipped: [String] = []
        for point in GridPoint.all(axes) {
            if let reason = Self.configError(path: config, overrides: overrides + point.overrides) {
                skipped.append("\(point.label): \(reason)")
                continue
            }
            let runName = point.runName(prefix: prefix)
            try attempt { try RunStore.validate(runName: runName) }
            planned.append((point, runName))
        }
        guard !planned.isEmpty else {
            throw CommandFailure(message: "no combination of the grid is a valid config (\(skipped[0])).", code: 1)
        }
        for reason in skipped { Console.error("skipping \(reason)") }
        let store = try attempt { try RunStore(path: storeOptions.db) }

        // Between runs the sweep's own handlers take Ctrl-C (each run installs and removes its
        // own), so a stop between two runs ends the sweep instead of killing it.
        Interruption.install()
        defer { Interruption.restoreDefaults() }
        for (index, entry) in planned.enumerated() {
            if Interruption.isRequested {
                throw CommandFailure(message: "sweep stopped before \(entry.name); run the same command again to continue.", code: 130)
            }
            let existing = try attempt { try store.run(named: entry.name) }
            let status = existing.map(RunsCommand.displayStatus)
            var arguments: [String]
            switch status {
            case "completed", "diverged":
                Console.error("[\(index + 1)/\(planned.count)] \(entry.name): \(status ?? "") already, kept")
                continue
            case "interrupted", "crashed", "running":
                Console.error("[\(index + 1)/\(planned.count)] \(entry.name): resuming")
                arguments = ["--resume", entry.name]
            default:
                Console.error("[\(index + 1)/\(planned.count)] \(entry.name): \(entry.point.label)")
                arguments = [config, "--run", entry.name] + (overrides + entry.point.overrides).flatMap { ["--set", $0] }
                if status == "failed" { arguments.append("--overwrite") }
            }
            arguments += ["--db", storeOptions.db, "--threads", String(compute.threads)] + (quiet ? ["--quiet"] : [])
            let train = try TrainCommand.parse(arguments)
            defer { Interruption.install() }
            do {
                try train.run()
            } catch let failure as CommandFailure where failure.code == 130 {
                throw CommandFailure(message: "sweep stopped during \(entry.name) (checkpoint written); run the same command again to continue.", code: 130)
            } catch let failure as CommandFailure {
                let now = try attempt { try store.run(named: entry.name) }
                guard now?.status == .diverged else { throw failure }
                Console.error("\(entry.name): \(failure.message) The sweep goes on.")
            }
        }
        try report(planned, store: store)
    }

    /// Why `path` with `overrides` is not a valid config, or nil when it is.
    static func configError(path: String, overrides: [String]) -> ConfigError? {
        let result = Result { () throws(ConfigError) -> TrainingConfig in try TrainingConfig.load(path: path, overrides: overrides) }
        if case .failure(let error) = result { return error }
        return nil
    }

    private func report(_ planned: [(point: GridPoint, name: String)], store: RunStore) throws {
        let summaries = try attempt { try store.summaries() }
        let byName = Dictionary(summaries.map { ($0.run.name, $0) }, uniquingKeysWith: { $1 })
        let rows = planned.compactMap { entry in byName[entry.name].map { (entry.point, $0) } }
        // Stable: equal (or missing) losses keep the grid's order.
        let ranked = rows.enumerated().sorted { a, b in
            let (x, y) = (a.element.1.bestValLoss ?? .infinity, b.element.1.bestValLoss ?? .infinity)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        let header = ["RANK", "RUN"] + planned[0].point.assignments.map(\.key) + ["STEP", "BEST VAL", "FINAL VAL", "STATUS"]
        let table = ranked.enumerated().map { rank, row -> [String] in
            let (point, summary) = row
            return [String(rank + 1), summary.run.name] + point.assignments.map(\.value)
                + ["\(summary.run.step)/\(summary.run.maxSteps)", RunsCommand.loss(summary.bestValLoss), RunsCommand.loss(summary.lastValLoss),
                   RunsCommand.displayStatus(summary.run)]
        }
        let widths = header.indices.map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
        for row in [header] + table {
            print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
        let histories = try ranked.map { try RunHistory.load($0.1.run.name, store: store) }
        var options = CurveOptions()
        // Many runs of many steps: their per-step values would overlap in one band.
        options.rawSeries = false
        let chart = try CurveChart.make(runs: histories, options: options, title: "sweep: \(URL(fileURLWithPath: config).lastPathComponent)")
        try writeOutput(chart.svg(), to: output)
        Console.error("wrote \(output)")
    }
}
