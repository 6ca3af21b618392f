// Charts of runs' metrics, for `descent plot` and `descent report`: which series a metric gets
// (raw and smoothed for per-step metrics, points for measured ones), the panels (loss, learning
// rate, gradient norm with the clipped steps) and the legend. Drawing is the Plots module's; this
// file only decides what to draw. Not handled: several metrics in one panel besides the losses.

import Plots
import RunRecords

struct CurveOptions {
    var x: XAxis = .step
    var logY = false
    /// The moving average's weight; nil chooses one per series (`Smoothing.automaticWeight`).
    var smoothing: Double?
    /// What the main panel shows: "loss" (training loss raw and smoothed, with validation loss)
    /// or any stored metric.
    var metric = CurveOptions.loss
    static let loss = "loss"
    var isLoss: Bool { metric == Self.loss }
    var learningRatePanel = true
    /// Draw per-step values under their moving average; off, only the average (many runs of many
    /// steps overlap in a band otherwise).
    var rawSeries = true
    var gradientPanel = false
}

enum CurveChart {
    /// Metrics measured at every step, drawn raw (faint) with a moving average over them.
    static let perStep: Set<MetricName> = [.trainLoss, .gradientNorm]

    static func make(runs: [RunHistory], options: CurveOptions, identifier: String = "chart", title: String? = nil) throws -> Chart {
        let mappings = try runs.map { try $0.xMapping(options.x) }
        var panels: [Panel] = []
        var legendRoles: [SeriesRole] = []
        func add(_ role: SeriesRole) { if !legendRoles.contains(role) { legendRoles.append(role) } }

        var main: Panel
        if options.isLoss {
            main = Panel(id: "loss", title: "loss (nats per token)\(options.logY ? ", log scale" : "")", scale: options.logY ? .log : .linear,
                         height: 360)
            for (index, run) in runs.enumerated() {
                let color = Color.run(index)
                main.series += smoothedSeries(run, .trainLoss, color: color, x: mappings[index], weight: options.smoothing,
                                              includesRaw: options.rawSeries)
                let val = points(run, .valLoss, x: mappings[index])
                if !val.isEmpty { main.series.append(Series(name: run.name, metric: MetricName.valLoss.rawValue, role: .measured, color: color, points: val)) }
            }
        } else {
            let name = MetricName(options.metric)
            main = Panel(id: "metric", title: name.rawValue + (options.logY ? ", log scale" : ""), scale: options.logY ? .log : .linear,
                         height: 360, includesZero: !options.logY && name == .learningRate)
            for (index, run) in runs.enumerated() {
                main.series += series(run, name, color: .run(index), x: mappings[index], weight: options.smoothing)
            }
        }
        main.series.forEach { add($0.role) }
        panels.append(main)

        if options.learningRatePanel && options.metric != MetricName.learningRate.rawValue {
            // Runs whose peaks differ more than tenfold (SGD against AdamW) would leave one curve
            // flat along zero on a linear axis.
            let peaks = runs.compactMap { run in run.series(.learningRate).compactMap(\.value).max() }.filter { $0 > 0 }
            let isLog = (peaks.max() ?? 0) > 10 * (peaks.min() ?? .infinity)
            var lr = Panel(id: "lr", title: isLog ? "learning rate, log scale" : "learning rate", scale: isLog ? .log : .linear,
                           height: 130, includesZero: !isLog)
            for (index, run) in runs.enumerated() {
                lr.series.append(Series(name: run.name, metric: MetricName.learningRate.rawValue, role: .line, color: .run(index),
                                        points: points(run, .learningRate, x: mappings[index])))
            }
            panels.append(lr)
        }
        if options.gradientPanel {
            var gradient = Panel(id: "grad_norm", title: "gradient norm before clipping, log scale", scale: .log, height: 200)
            var clipNorms = Set<Double>()
            for (index, run) in runs.enumerated() {
                let color = Color.run(index)
                gradient.series += smoothedSeries(run, .gradientNorm, color: color, x: mappings[index], weight: options.smoothing)
                let clip = run.gradientClipNorm
                guard clip > 0 else { continue }
                clipNorms.insert(clip)
                // A step was clipped exactly when its norm exceeded the clip norm.
                let clipped = run.series(.gradientNorm).compactMap { row -> ChartPoint? in
                    guard let value = row.value, value > clip else { return nil }
                    return ChartPoint(x: mappings[index](row.step), y: value)
                }
                gradient.series.append(Series(name: run.name, metric: "clipped_step", role: .rug, color: .clip, points: clipped))
                add(.rug)
            }
            gradient.guides = clipNorms.sorted().map { Guide(value: $0, label: "clip \(TickLabels.numbers([$0], step: $0)[0])") }
            panels.append(gradient)
        }

        var legend = runs.enumerated().map { LegendEntry(label: $0.element.name, color: .run($0.offset), role: .line) }
        let keys: [(SeriesRole, String)] = [(.raw, options.isLoss ? "train (per step)" : "per step"),
                                            (.smoothed, "moving average"),
                                            (.measured, options.isLoss ? "validation" : "measured"),
                                            (.rug, "clipped step")]
        legend += keys.filter { legendRoles.contains($0.0) }.map { LegendEntry(label: $0.1, color: $0.0 == .rug ? .clip : .muted, role: $0.0) }
        return Chart(identifier: identifier, title: title, xLabel: options.x.label, xStyle: options.x == .time ? .duration : .number,
                     panels: panels, legend: legend)
    }

    /// The series a metric gets: a line for the learning rate, raw and smoothed for per-step
    /// metrics (and any metric logged at most steps), points for occasional measurements.
    static func series(_ run: RunHistory, _ name: MetricName, color: Color, x: (Int) -> Double, weight: Double?) -> [Series] {
        let rows = run.series(name)
        if name == .learningRate {
            return [Series(name: run.name, metric: name.rawValue, role: .line, color: color, points: points(run, name, x: x))]
        }
        let span = (rows.last?.step ?? 0) - (rows.first?.step ?? 0)
        if perStep.contains(name) || (rows.count > 50 && Double(rows.count) > 0.5 * Double(span)) {
            return smoothedSeries(run, name, color: color, x: x, weight: weight)
        }
        return [Series(name: run.name, metric: name.rawValue, role: .measured, color: color, points: points(run, name, x: x))]
    }

    /// Without `includesRaw`, only the average (or, unsmoothed, the values drawn as it would be).
    static func smoothedSeries(_ run: RunHistory, _ name: MetricName, color: Color, x: (Int) -> Double, weight: Double?,
                               includesRaw: Bool = true) -> [Series] {
        let raw = points(run, name, x: x)
        let weight = weight ?? Smoothing.automaticWeight(count: raw.count)
        let rawSeries = Series(name: run.name, metric: name.rawValue, role: .raw, color: color, points: raw)
        guard weight > 0 else {
            return [Series(name: run.name, metric: name.rawValue, role: includesRaw ? .raw : .smoothed, color: color, points: raw)]
        }
        let smoothed = zip(raw, Smoothing.ema(raw.map(\.y), weight: weight)).map { ChartPoint(x: $0.x, y: $1) }
        let average = Series(name: run.name, metric: name.rawValue, role: .smoothed, color: color, points: smoothed)
        return includesRaw ? [rawSeries, average] : [average]
    }

    static func points(_ run: RunHistory, _ name: MetricName, x: (Int) -> Double) -> [ChartPoint] {
        run.series(name).map { ChartPoint(x: x($0.step), y: $0.value ?? .nan) }
    }
}
