// What the store holds about a run, gathered once for `plot`, `report`, `metrics` and `diff`:
// its record, every metric, its checkpoints and samples, and its config as flat keys; and the
// figures read from them (final and best losses, training time, throughput) and the x of a step
// on a step, token or time axis.

import ArgumentParser
import Core
import Foundation
import Plots
import RunRecords
import Store
import Training

/// The x axis of a curve.
enum XAxis: String, ExpressibleByArgument, CaseIterable, Sendable {
    case step, tokens, time

    var label: String {
        switch self {
        case .step: "step"
        case .tokens: "tokens trained on (next-token predictions)"
        case .time: "training time"
        }
    }
}

struct RunHistory {
    let record: RunRecord
    let metrics: [MetricName: [(step: Int, value: Double?)]]
    let checkpoints: [CheckpointRecord]
    let samples: [TextSample]
    /// Every config key as "section.key" and its value as text, in `TrainingConfig.keys` order,
    /// then keys this build does not know, sorted. A key the run's config predates reads as its
    /// default: the value the run trained with.
    let config: [(key: String, value: String)]

    var name: String { record.name }

    static func load(_ name: String, store: RunStore) throws -> RunHistory {
        let record = try attempt { try store.requireRun(named: name) }
        var metrics: [MetricName: [(step: Int, value: Double?)]] = [:]
        for row in try attempt({ try store.metrics(runID: record.id) }) { metrics[row.name, default: []].append((row.step, row.value)) }
        return RunHistory(record: record, metrics: metrics, checkpoints: try attempt { try store.checkpoints(runID: record.id) },
                          samples: try attempt { try store.samples(runID: record.id) }, config: flatConfig(record.configJSON))
    }

    static func flatConfig(_ json: String) -> [(key: String, value: String)] {
        var values: [String: String] = [:]
        if case .object(let sections)? = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) {
            for (section, content) in sections {
                if case .object(let keys) = content {
                    for (key, value) in keys { values["\(section).\(key)"] = text(value) }
                } else {
                    values[section] = text(content)
                }
            }
        }
        let known = TrainingConfig.keys.map { key in (key.path, values[key.path] ?? key.defaultValue.map(text) ?? "-") }
        let unknown = values.keys.filter { TrainingConfig.key($0) == nil }.sorted().map { ($0, values[$0] ?? "") }
        return (known + unknown).map { (key: $0.0, value: $0.1) }
    }

    private static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return value.display
    }

    func value(ofConfig key: String) -> String? { config.first { $0.key == key }?.value }

    /// The values of `name` by step; nil values were not finite (a diverged step).
    func series(_ name: MetricName) -> [(step: Int, value: Double?)] { metrics[name] ?? [] }

    // MARK: Figures

    var lastTrainLoss: Double? { series(.trainLoss).last?.value ?? nil }
    var lastValLoss: (step: Int, value: Double)? {
        series(.valLoss).last.flatMap { row in row.value.map { (row.step, $0) } }
    }
    var bestValLoss: (step: Int, value: Double)? {
        series(.valLoss).compactMap { row in row.value.map { (step: row.step, value: $0) } }.min { $0.value < $1.value }
    }

    /// The training loss smoothed as the plots smooth it, at the last step.
    var smoothedTrainLoss: Double? {
        let values = series(.trainLoss).map { $0.value ?? .nan }
        var average = ExponentialMovingAverage(weight: Smoothing.automaticWeight(count: values.count))
        for value in values { average.add(value) }
        return average.value
    }

    /// Training time in seconds, summed over sessions: the last `elapsed_seconds`, or for runs
    /// trained before that metric existed, what the rates imply.
    var elapsedSeconds: Double? {
        if let last = series(.elapsedSeconds).last?.value { return last }
        return reconstructedTime().last?.value
    }

    /// Next-token predictions trained on.
    var examplesSeen: Int? {
        if let last = series(.examplesSeen).last?.value { return Int(last) }
        return batchSize.map { $0 * record.step }
    }

    /// The median of the throughput measured at each log interval: the steady rate, which an
    /// evaluation or checkpoint interval does not drag down.
    var medianTokensPerSecond: Double? {
        let rates = series(.tokensPerSecond).compactMap(\.value).sorted()
        guard !rates.isEmpty else { return nil }
        return rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
    }

    var clippedSteps: Int { Int(series(.clippedSteps).compactMap(\.value).reduce(0, +)) }

    var batchSize: Int? { value(ofConfig: "training.batchSize").flatMap { Int($0) } }
    var gradientClipNorm: Double { value(ofConfig: "optimizer.gradientClipNorm").flatMap { Double($0) } ?? 0 }

    // MARK: The x axis

    /// The x of every step on `axis`: anchors (step, x) read from the run's metrics, joined by
    /// straight lines (exact while the rate is steady, as it is between two log intervals).
    func xMapping(_ axis: XAxis) throws -> (Int) -> Double {
        switch axis {
        case .step:
            return { Double($0) }
        case .tokens:
            var anchors = series(.examplesSeen).compactMap { row in row.value.map { (row.step, $0) } }
            if anchors.isEmpty, let batchSize { anchors = [(record.step, Double(batchSize * record.step))] }
            guard !anchors.isEmpty else { throw missingAxis(axis) }
            return Self.interpolation([(0, 0)] + anchors)
        case .time:
            var anchors = series(.elapsedSeconds).compactMap { row in row.value.map { (row.step, $0) } }
            if anchors.isEmpty { anchors = reconstructedTime().map { ($0.step, $0.value) } }
            guard !anchors.isEmpty else { throw missingAxis(axis) }
            return Self.interpolation([(0, 0)] + anchors)
        }
    }

    private func missingAxis(_ axis: XAxis) -> CommandFailure {
        CommandFailure(message: "run '\(name)' has no \(axis == .time ? "timing" : "token count") metrics to plot against \(axis.rawValue); use --x step.", code: 1)
    }

    /// Training time at each log interval of a run without `elapsed_seconds`: each interval's
    /// examples over its measured rate, summed.
    private func reconstructedTime() -> [(step: Int, value: Double)] {
        guard let batchSize else { return [] }
        var previous = 0
        var total = 0.0
        var result: [(step: Int, value: Double)] = []
        for row in series(.tokensPerSecond) {
            guard let rate = row.value, rate > 0 else { continue }
            total += Double((row.step - previous) * batchSize) / rate
            previous = row.step
            result.append((row.step, total))
        }
        return result
    }

    /// Piecewise-linear through `anchors` (sorted by step), extended past the last at its slope.
    static func interpolation(_ anchors: [(Int, Double)]) -> (Int) -> Double {
        var points: [(Int, Double)] = []
        for anchor in anchors.sorted(by: { $0.0 < $1.0 }) where points.last?.0 != anchor.0 { points.append(anchor) }
        return { step in
            guard points.count > 1 else { return points.first?.1 ?? Double(step) }
            // The first anchor at or after `step` (binary search), kept within 1..<count.
            var low = 0, high = points.count - 1
            while low < high {
                let middle = (low + high) / 2
                if points[middle].0 >= step { high = middle } else { low = middle + 1 }
            }
            let upper = max(low, 1)
            let (s0, x0) = points[upper - 1], (s1, x1) = points[upper]
            return x0 + (x1 - x0) * Double(step - s0) / Double(s1 - s0)
        }
    }
}
