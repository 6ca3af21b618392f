// `descent lr-find`: the LR range test on a config, its suggestions, and a plot of smoothed loss
// against log learning rate with the suggestions marked.

import ArgumentParser
import Data
import Foundation
import Plots
import RunRecords
import Store
import Training

struct LRFindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Find a peak learning rate with the LR range test.",
        discussion: HelpText.paragraphs("""
            From fresh weights, trains with the config's model, optimizer, clipping and batch \
            size while the learning rate grows geometrically from --start to --end over --steps \
            steps (the config's schedule is not used). The loss is smoothed with a \
            bias-corrected moving average (β = 0.98), and the test ends early once the smoothed \
            loss exceeds 4× its best: a divergence is its normal end. These are fastai's \
            definitions.
            """, """
            It prints fastai's suggestions: valley (its default: well down the longest stretch \
            of falling loss), steep (where the loss falls fastest) and minimum/10 (a tenth of the \
            rate at the lowest loss), and draws the curve with them marked. Use one as \
            optimizer.learningRate, the schedule's peak. Nothing is stored unless --save.
            """)
            + "\n\n" + """
            Examples:
              descent lr-find configs/names-mlp.json -o lr.svg
              descent lr-find configs/shakespeare-char-mlp-best.json --steps 200 \\
                  --start 1e-6 --end 1 --save shakespeare-lr
            """
    )

    @Argument(help: ArgumentHelp("A training config (JSON), e.g. configs/names-mlp.json.", valueName: "config"))
    var config: String

    @Option(name: .long, help: ArgumentHelp("The first learning rate.", valueName: "lr"))
    var start: Double = 1e-7

    @Option(name: .long, help: ArgumentHelp("The learning rate the range grows towards.", valueName: "lr"))
    var end: Double = 10

    @Option(name: .long, help: ArgumentHelp("Steps from --start to --end (at least 6).", valueName: "n"))
    var steps: Int = 100

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The SVG plot to write.", valueName: "file.svg"))
    var output: String = "lr-find.svg"

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set training.batchSize=64. Repeatable.",
                                                         valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("""
        Store the test as a run of this name (metrics lr, train_loss and smoothed_loss per step; \
        the suggestions in its status), for `descent plot` and `descent runs`.
        """, valueName: "name"))
    var save: String?

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard start.isFinite, start > 0 else { throw ValidationError("--start must be a learning rate > 0, got \(start).") }
        guard end.isFinite, end > start else { throw ValidationError("--end must be greater than --start (\(start)), got \(end).") }
        guard steps >= 6 else { throw ValidationError("--steps must be at least 6, got \(steps).") }
        if output.isEmpty { throw ValidationError("-o needs a file name, e.g. -o lr.svg.") }
    }

    func run() throws {
        compute.apply()
        let config = try attempt { try TrainingConfig.load(path: self.config, overrides: overrides) }
        var store: RunStore? = nil
        if let save {
            try attempt { try RunStore.validate(runName: save) }
            let opened = try attempt { try RunStore(path: storeOptions.db) }
            if try attempt({ try opened.run(named: save) }) != nil {
                throw CommandFailure(message: StoreError.runExists(name: save).description, code: 1)
            }
            store = opened
        }
        let dataset = try attempt { try PreparedDataset(directory: config.data.directory) }
        var options = LearningRateFinderOptions()
        options.start = start
        options.end = end
        options.steps = steps
        let live = Console.stderrIsTerminal
        Interruption.install()
        defer { Interruption.restoreDefaults() }
        let started = Date()
        let result = try attempt {
            try LearningRateFinder.run(config: config, dataset: dataset, options: options, shouldStop: { Interruption.isRequested }) { probe in
                if live {
                    Console.progress("\r\u{1B}[Kstep \(probe.step + 1)/\(steps)  lr \(Self.format(probe.learningRate))  smoothed loss \(String(format: "%.4f", probe.smoothedLoss))")
                }
            }
        }
        if live { Console.progress("\r\u{1B}[K") }
        let seconds = Date().timeIntervalSince(started)
        let last = result.probes.last.map { Self.format($0.learningRate) } ?? "none"
        let ending: String
        switch result.stop {
        case .reachedEnd: ending = "reached the end of the range"
        case .diverged(let lr): ending = "diverged at lr \(Self.format(lr)) (smoothed loss above 4× its best)"
        case .nonFinite(let lr): ending = "stopped at lr \(Self.format(lr)): the loss or gradient was not finite"
        case .interrupted: ending = "interrupted at lr \(last)"
        }
        print("lr-find \(self.config): \(config.optimizer.type.rawValue), \(result.probes.count) of \(steps) steps of \(config.training.batchSize) from \(Self.format(start)) to \(Self.format(end)) in \(String(format: "%.2f", seconds)) s; \(ending)")
        if result.suggestions.isEmpty {
            print("too few steps before the end for a suggestion (need about steps/10 + 7); widen the range or lower --start")
        }
        for suggestion in result.suggestions {
            print(Self.describe(suggestion))
        }
        try writeOutput(Self.chart(result, title: "LR range test: \(URL(fileURLWithPath: self.config).lastPathComponent)").svg(), to: output)
        Console.error("wrote \(output)")
        if let store, let save { try record(result, config: config, name: save, store: store) }
        if result.stop == .interrupted {
            throw CommandFailure(message: "interrupted after \(result.probes.count) steps; the suggestions above read only those.", code: 130)
        }
    }

    static func describe(_ suggestion: LearningRateSuggestion) -> String {
        switch suggestion.rule {
        case .valley: return "valley      \(format(suggestion.learningRate))   (suggested peak learning rate)"
        case .steep: return "steep       \(format(suggestion.learningRate))"
        case .minimum:
            return "minimum/10  \(format(suggestion.learningRate))   (lowest smoothed loss \(String(format: "%.4f", suggestion.markedLoss)) at lr \(format(suggestion.markedLearningRate)))"
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.3g", value) }

    static func label(_ rule: LearningRateSuggestionRule) -> String { rule == .minimum ? "minimum/10" : rule.rawValue }

    /// Loss per step (faint) and smoothed (bold) against the learning rate on a log axis, less
    /// the last 5 steps; each suggestion as a dashed vertical line and the point its rule read.
    static func chart(_ result: LearningRateFinderResult, title: String) -> Chart {
        // Without the last 5 steps, as fastai's plot: the blow-up would squash the curve flat.
        let shown = result.probes.count > 10 ? Array(result.probes.dropLast(5)) : result.probes
        let raw = shown.map { ChartPoint(x: $0.learningRate, y: $0.loss) }
        let smoothed = shown.map { ChartPoint(x: $0.learningRate, y: $0.smoothedLoss) }
        var panel = Panel(id: "lr-find", title: "loss (nats per token)", height: 380)
        panel.series = [Series(name: "loss", metric: MetricName.trainLoss.rawValue, role: .raw, color: .run(0), points: raw),
                        Series(name: "smoothed", metric: MetricName.smoothedLoss.rawValue, role: .line, color: .run(0), points: smoothed)]
        var legend = [LegendEntry(label: "loss per step", color: .run(0), role: .raw),
                      LegendEntry(label: "smoothed (β 0.98)", color: .run(0), role: .line)]
        for (index, suggestion) in result.suggestions.enumerated() {
            let color = Color.run(index + 1)
            panel.series.append(Series(name: label(suggestion.rule), metric: "suggestion", role: .markers, color: color,
                                       points: [ChartPoint(x: suggestion.markedLearningRate, y: suggestion.markedLoss)]))
            legend.append(LegendEntry(label: "\(label(suggestion.rule)) \(format(suggestion.learningRate))", color: color, role: .markers))
        }
        let guides = result.suggestions.enumerated().map { index, suggestion in
            Guide(value: suggestion.learningRate, label: "\(label(suggestion.rule)) \(format(suggestion.learningRate))", color: .run(index + 1))
        }
        return Chart(identifier: "lr-find", title: title, xLabel: "learning rate (log scale)", xScale: .log, xGuides: guides,
                     panels: [panel], legend: legend)
    }

    private func record(_ result: LearningRateFinderResult, config: TrainingConfig, name: String, store: RunStore) throws {
        let run = try attempt {
            try store.createRun(NewRun(name: name, model: config.model.type.rawValue, parameterCount: result.parameterCount, configJSON: config.json(),
                                       dataDirectory: config.data.directory, maxSteps: steps))
        }
        var rows: [MetricSample] = []
        for probe in result.probes {
            rows.append(MetricSample(step: probe.step + 1, name: .learningRate, value: probe.learningRate))
            rows.append(MetricSample(step: probe.step + 1, name: .trainLoss, value: probe.loss))
            rows.append(MetricSample(step: probe.step + 1, name: .smoothedLoss, value: probe.smoothedLoss))
        }
        try attempt { try store.appendMetrics(runID: run.id, rows, runStep: result.probes.count) }
        let detail = "lr-find: " + result.suggestions.map { "\(Self.label($0.rule)) \(Self.format($0.learningRate))" }.joined(separator: ", ")
        try attempt { try store.updateStatus(runID: run.id, .completed, detail: detail) }
        Console.error("saved as run '\(name)'")
    }
}
