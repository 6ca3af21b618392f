// `descent report`: one self-contained HTML page about one or more runs: the figures, the curves,
// the config (differences highlighted), the samples over training and the checkpoints.

import ArgumentParser
import Foundation
import Plots
import RunRecords
import Store

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a one-page HTML report of runs.",
        discussion: HelpText.paragraphs("""
            The page holds the final and best losses, time and throughput; the loss curves with \
            the learning rate and the gradient norm (clipped steps marked); the config, with the \
            keys that differ between runs highlighted; the samples printed during training \
            (training.sampleInterval); and the checkpoints. It is one file with inline SVG and \
            CSS, no script and nothing fetched from the network, so it opens offline in any \
            browser.
            """)
            + "\n\n" + """
            Examples:
              descent report shakespeare-char-mlp -o report.html
              descent report names-mlp names-mlp-best --x time -o compare.html
            """
    )

    @Argument(help: ArgumentHelp("The runs to report on.", valueName: "run"))
    var runs: [String]

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The HTML file to write.", valueName: "file.html"))
    var output: String

    @OptionGroup var curves: CurveArguments
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run to report on; `descent runs` lists them.") }
        if output.isEmpty { throw ValidationError("-o needs a file name, e.g. -o report.html.") }
    }

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let histories = try runs.map { try RunHistory.load($0, store: store) }
        var options = CurveOptions()
        options.x = curves.x
        options.logY = curves.logY
        options.smoothing = curves.smoothing
        options.gradientPanel = true
        let chart = try CurveChart.make(runs: histories, options: options, identifier: "curves")
        try writeOutput(Self.page(histories, chart: chart).html(), to: output)
        Console.error("wrote \(output)")
    }

    static func page(_ runs: [RunHistory], chart: Chart) -> ReportPage {
        let names = runs.map(\.name)
        let subtitle: String
        if let run = runs.first, runs.count == 1 {
            subtitle = "\(run.record.model), \(grouped(run.record.parameterCount)) parameters, data \(run.record.dataDirectory); \(statusText(run))"
        } else {
            subtitle = "\(runs.count) runs: " + names.joined(separator: ", ")
        }
        var sections = [ReportSection(id: "summary", heading: "Summary", blocks: [.table(summaryTable(runs))])]
        sections.append(ReportSection(id: "curves", heading: "Curves", blocks: [
            .chart(chart),
            .note("""
                Training loss per step (faint) with its moving average (over 2% of the steps unless --smoothing is given); \
                validation loss as points. The gradient norm is measured before clipping; red ticks along its bottom edge mark the steps it was clipped.
                """),
        ]))
        sections.append(ReportSection(id: "config", heading: "Config", blocks: configBlocks(runs)))
        var sampleBlocks: [ReportBlock] = []
        for run in runs {
            if runs.count > 1 { sampleBlocks.append(.subheading(run.name)) }
            let groups = Dictionary(grouping: run.samples, by: \.step).sorted { $0.key < $1.key }
                .map { SampleGroup(step: $0.key, texts: $0.value.sorted { $0.index < $1.index }.map(\.text)) }
            sampleBlocks.append(groups.isEmpty
                ? .note("No samples were taken. Train with --set training.sampleInterval=N to print and keep samples every N steps.")
                : .samples(groups))
        }
        sections.append(ReportSection(id: "samples", heading: "Samples over training", blocks: sampleBlocks))
        var checkpointBlocks: [ReportBlock] = []
        for run in runs {
            if runs.count > 1 { checkpointBlocks.append(.subheading(run.name)) }
            checkpointBlocks.append(run.checkpoints.isEmpty ? .note("No checkpoints.") : .table(checkpointTable(run)))
        }
        sections.append(ReportSection(id: "checkpoints", heading: "Checkpoints", blocks: checkpointBlocks))
        return ReportPage(title: "Descent report: " + names.joined(separator: ", "), subtitle: subtitle, sections: sections)
    }

    static func statusText(_ run: RunHistory) -> String {
        let status = RunsCommand.displayStatus(run.record)
        return run.record.statusDetail.map { "\(status) (\($0))" } ?? status
    }

    static func summaryTable(_ runs: [RunHistory]) -> ReportTable {
        let rows: [(String, (RunHistory) -> String)] = [
            ("status", statusText),
            ("model", { "\($0.record.model), \(grouped($0.record.parameterCount)) parameters" }),
            ("steps", { "\(grouped($0.record.step)) of \(grouped($0.record.maxSteps))" }),
            ("final train loss (moving average)", { loss($0.smoothedTrainLoss) }),
            ("final validation loss", { run in run.lastValLoss.map { "\(loss($0.value)) (step \(grouped($0.step)))" } ?? "-" }),
            ("best validation loss", { run in run.bestValLoss.map { "\(loss($0.value)) (step \(grouped($0.step)))" } ?? "-" }),
            ("training time", { $0.elapsedSeconds.map(duration) ?? "-" }),
            ("throughput (median)", { $0.medianTokensPerSecond.map { "\(grouped(Int($0.rounded()))) tokens/s" } ?? "-" }),
            ("tokens trained on", { $0.examplesSeen.map(grouped) ?? "-" }),
            ("clipped steps", { String($0.clippedSteps) }),
            ("fine-tuned from", { run in run.record.parentRun.map { "\($0) @ \(run.record.parentStep ?? 0)" } ?? "-" }),
            ("created", { timestamp($0.record.createdAt) }),
        ]
        return ReportTable(kind: "summary", header: [""] + runs.map(\.name),
                           rows: rows.map { label, value in .init([label] + runs.map(value)) },
                           numericColumns: Set(1...runs.count))
    }

    static func configBlocks(_ runs: [RunHistory]) -> [ReportBlock] {
        let keys = runs.first?.config.map(\.key) ?? []
        let extra = runs.dropFirst().flatMap { $0.config.map(\.key) }.filter { !keys.contains($0) }
        var differing = 0
        let rows = (keys + extra).map { key -> ReportTable.Row in
            let values = runs.map { $0.value(ofConfig: key) ?? "-" }
            let differs = Set(values).count > 1
            if differs { differing += 1 }
            return .init([key] + values, isHighlighted: differs)
        }
        let note: ReportBlock = runs.count > 1
            ? .note(differing == 0 ? "The configs are identical." : "\(differing) key\(differing == 1 ? "" : "s") differ (highlighted).")
            : .note("Every key, defaults included, as the run stored it.")
        return [note, .table(ReportTable(kind: "config", header: ["key"] + runs.map(\.name), rows: rows))]
    }

    static func checkpointTable(_ run: RunHistory) -> ReportTable {
        ReportTable(kind: "checkpoints", header: ["step", "reason", "train loss", "val loss", "written", "weights SHA-256"],
                    rows: run.checkpoints.map { checkpoint in
                        .init([grouped(checkpoint.step), checkpoint.reason.rawValue, loss(checkpoint.trainLoss), loss(checkpoint.valLoss),
                               timestamp(checkpoint.createdAt), String(checkpoint.weightsSHA256.prefix(16))])
                    },
                    numericColumns: [0, 2, 3])
    }

    /// "12.3 s" under a minute, then "m:ss" or "h:mm:ss".
    static func duration(_ seconds: Double) -> String {
        seconds < 59.95 ? String(format: "%.1f s", seconds) : TrainCommand.duration(seconds)
    }

    static func loss(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }

    /// 1234567 → "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// In UTC, so that the same database gives the same page wherever it is rendered.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
