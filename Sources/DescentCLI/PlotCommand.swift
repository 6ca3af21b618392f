// `descent plot`: curves of one or more runs as a self-contained SVG file.

import ArgumentParser
import Foundation
import Plots
import RunRecords
import Store

/// Options shared by the verbs that draw curves.
struct CurveArguments: ParsableArguments {
    @Option(name: .customLong("x"), help: ArgumentHelp("The x axis: optimizer steps, tokens trained on, or training time.",
                                                       valueName: "step|tokens|time"))
    var x: XAxis = .step

    @Flag(name: .customLong("log-y"), help: "Draw the top panel's y axis (the loss, or plot's --metric) on a log scale.")
    var logY = false

    @Option(name: .long, help: ArgumentHelp("""
        Weight of the moving average drawn over per-step metrics, in 0..<1 (0 = raw only, 0.99 \
        averages over about 100 steps). Default: an average over 2% of the run's steps.
        """, valueName: "w"))
    var smoothing: Double?

    func validate() throws {
        if let smoothing, !(smoothing >= 0 && smoothing < 1) {
            throw ValidationError("--smoothing must be in 0..<1 (0 = no smoothing), got \(smoothing).")
        }
    }
}

/// Writes `text` to `path` through a temporary sibling, so a failure never leaves half a file.
func writeOutput(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
        throw CommandFailure(message: "\(path): cannot write (\(error.localizedDescription)). Check that its directory exists and is writable.", code: 1)
    }
}

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the loss curves of runs as an SVG file.",
        discussion: HelpText.paragraphs("""
            Each run gets a colour. The top panel shows the training loss of every step (faint) \
            with its moving average, and the validation loss as points joined by a dashed line; \
            the learning rate is drawn under it. --metric plots any stored metric instead of the \
            loss (`descent metrics RUN` lists them). The SVG is self-contained and the same data \
            always gives the same bytes.
            """)
            + "\n\n" + """
            Examples:
              descent plot names-mlp names-mlp-best -o curves.svg
              descent plot shakespeare-char-mlp --x time --log-y -o loss.svg
              descent plot names-mlp-best --metric grad_norm -o norms.svg
            """
    )

    @Argument(help: ArgumentHelp("The runs to draw, one colour each.", valueName: "run"))
    var runs: [String]

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The SVG file to write.", valueName: "file.svg"))
    var output: String

    @Option(name: .long, help: ArgumentHelp("What the main panel shows: 'loss' (training and validation) or a stored metric such as grad_norm, lr or tokens_per_second.",
                                            valueName: "name"))
    var metric: String = CurveOptions.loss

    @Flag(name: .customLong("no-lr"), help: "Leave out the learning-rate panel.")
    var noLearningRate = false

    @Flag(name: .customLong("no-raw"), help: "Draw only the moving average of the training loss, not every step under it.")
    var noRaw = false

    @Option(name: .long, help: ArgumentHelp("The chart's title (default: the runs' names).", valueName: "text"))
    var title: String?

    @OptionGroup var curves: CurveArguments
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if runs.isEmpty { throw ValidationError("name at least one run to plot; `descent runs` lists them.") }
        if output.isEmpty { throw ValidationError("-o needs a file name, e.g. -o curves.svg.") }
    }

    func run() throws {
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let histories = try runs.map { try RunHistory.load($0, store: store) }
        if metric != CurveOptions.loss {
            let available = Set(histories.flatMap { $0.metrics.keys })
            guard available.contains(MetricName(metric)) else {
                let names = available.map(\.rawValue).sorted().joined(separator: ", ")
                throw CommandFailure(message: "no run among \(runs.joined(separator: ", ")) has a metric named '\(metric)' (stored: loss, \(names)).", code: 1)
            }
        }
        var options = CurveOptions()
        options.x = curves.x
        options.logY = curves.logY
        options.smoothing = curves.smoothing
        options.metric = metric
        options.learningRatePanel = !noLearningRate
        options.rawSeries = !noRaw
        let chart = try CurveChart.make(runs: histories, options: options, title: title ?? runs.joined(separator: ", "))
        try writeOutput(chart.svg(), to: output)
        Console.error("wrote \(output)")
    }
}
