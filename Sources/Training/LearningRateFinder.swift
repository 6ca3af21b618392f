// The LR range test (Smith 2017, "Cyclical learning rates"; fastai's `lr_find`): from fresh
// weights, train with a learning rate that grows geometrically from `start` to `end`, and watch
// the loss. It falls slowly while the rate is too small, fast while it is right, and blows up
// once it is too large; a good peak rate sits on the steep part, before the minimum.
//
// Definitions, as fastai's `fastai/callback/schedule.py` has them:
// - rate of step s (from 0): start · (end/start)^(s/steps) (`ExponentialRangeSchedule`);
// - the loss is smoothed with the bias-corrected moving average of weight β = 0.98 (`AvgSmoothLoss`);
// - the test stops after `steps` steps, or once the smoothed loss exceeds 4× the best smoothed
//   loss so far (its normal end: the rate is too high), or at a non-finite loss or gradient;
// - suggestions are read from the smoothed losses without the first steps/10 probes and the
//   last 5 (warm-up of the average, and the blow-up): `valley`, `steep`, `minimum` (a tenth of
//   the rate at the lowest loss).
//
// It reuses `Trainer`'s step on its loader (the config's optimizer, clipping, batch size and
// seed), with the range schedule in place of the config's. Nothing is stored here; the CLI
// decides. Not handled: several parameter groups with their own ranges.

import Core
import Data
import Foundation
import Optimizers

/// One step of the range test.
public struct LearningRateProbe: Sendable, Equatable {
    /// Steps completed before this one.
    public var step: Int
    public var learningRate: Double
    /// The batch's mean loss before the update.
    public var loss: Double
    /// The bias-corrected moving average of the losses so far.
    public var smoothedLoss: Double

    public init(step: Int, learningRate: Double, loss: Double, smoothedLoss: Double) {
        self.step = step
        self.learningRate = learningRate
        self.loss = loss
        self.smoothedLoss = smoothedLoss
    }
}

/// The range test's settings; the defaults are fastai's.
public struct LearningRateFinderOptions: Sendable, Equatable {
    public var start = 1e-7
    public var end = 10.0
    /// Steps from `start` to `end` (fastai: at least 6).
    public var steps = 100
    /// β of the loss's moving average.
    public var smoothing = 0.98
    /// Stop once the smoothed loss exceeds this multiple of its best.
    public var divergenceFactor = 4.0

    public init() {}
}

/// Why the test ended. Every case is a normal end.
public enum LearningRateFinderStop: Sendable, Equatable {
    /// All `steps` steps ran.
    case reachedEnd
    /// The smoothed loss passed `divergenceFactor` × its best at this learning rate.
    case diverged(learningRate: Double)
    /// A loss or gradient norm was not finite at this learning rate (the step was not applied).
    case nonFinite(learningRate: Double)
    /// A stop request (Ctrl-C).
    case interrupted
}

/// fastai's suggestion rules.
public enum LearningRateSuggestionRule: String, Sendable, CaseIterable {
    /// About two thirds down the longest stretch of falling loss: fastai's default.
    case valley
    /// Where the loss falls fastest per decade of learning rate.
    case steep
    /// A tenth of the rate at the lowest loss.
    case minimum
}

public struct LearningRateSuggestion: Sendable, Equatable {
    public var rule: LearningRateSuggestionRule
    /// The suggested peak learning rate.
    public var learningRate: Double
    /// The probe the rule read (for `minimum`, the lowest point, ten times the suggestion).
    public var markedLearningRate: Double
    public var markedLoss: Double
}

public struct LearningRateFinderResult: Sendable, Equatable {
    public var probes: [LearningRateProbe]
    /// Trainable values of the model tested.
    public var parameterCount: Int
    public var stop: LearningRateFinderStop
    /// Empty when too few probes remain after the trimming (stop earlier than ~steps/10 + 7).
    public var suggestions: [LearningRateSuggestion]

    public func suggestion(_ rule: LearningRateSuggestionRule) -> LearningRateSuggestion? {
        suggestions.first { $0.rule == rule }
    }
}

public enum LearningRateFinder {
    /// Runs the range test on `config` (its model, optimizer, clipping, batch size and seed;
    /// its schedule and step count are ignored).
    ///
    /// - Parameters:
    ///   - shouldStop: polled between steps; true ends the test with `.interrupted`.
    ///   - progress: called after every step with its probe.
    public static func run(config: TrainingConfig, dataset: PreparedDataset, options: LearningRateFinderOptions,
                           shouldStop: () -> Bool = { false },
                           progress: (LearningRateProbe) -> Void = { _ in }) throws(TrainingError) -> LearningRateFinderResult {
        let schedule = ExponentialRangeSchedule(start: options.start, end: options.end, steps: options.steps)
        let trainer = try Trainer(config: config, dataset: dataset, start: .fresh, schedule: schedule)
        var average = ExponentialMovingAverage(weight: options.smoothing)
        var best = Double.infinity
        var probes: [LearningRateProbe] = []
        probes.reserveCapacity(options.steps)
        var stop = LearningRateFinderStop.reachedEnd
        while probes.count < options.steps {
            if shouldStop() {
                stop = .interrupted
                break
            }
            let (result, learningRate) = try trainer.trainNextBatch()
            guard result.isFinite else {
                stop = .nonFinite(learningRate: learningRate)
                break
            }
            trainer.advanceStep()
            let smoothed = average.add(result.loss) ?? result.loss
            let probe = LearningRateProbe(step: probes.count, learningRate: learningRate, loss: result.loss, smoothedLoss: smoothed)
            probes.append(probe)
            progress(probe)
            best = min(best, smoothed)
            if smoothed > options.divergenceFactor * best {
                stop = .diverged(learningRate: learningRate)
                break
            }
        }
        return LearningRateFinderResult(probes: probes, parameterCount: trainer.model.parameterCount, stop: stop, suggestions: suggestions(probes, plannedSteps: options.steps))
    }

    /// fastai's suggestions over the probes, without the first `plannedSteps / 10` and the last
    /// 5 of them.
    public static func suggestions(_ probes: [LearningRateProbe], plannedSteps: Int) -> [LearningRateSuggestion] {
        let first = plannedSteps / 10
        let last = probes.count - 5
        guard last - first >= 2 else { return [] }
        let window = Array(probes[first..<last])
        let rates = window.map(\.learningRate)
        let losses = window.map(\.smoothedLoss)
        func marked(_ rule: LearningRateSuggestionRule, _ suggested: Double, at index: Int) -> LearningRateSuggestion {
            LearningRateSuggestion(rule: rule, learningRate: suggested, markedLearningRate: rates[index], markedLoss: losses[index])
        }
        let valley = valleyIndex(losses)
        let steep = steepIndex(rates: rates, losses: losses)
        let lowest = losses.indices.min { losses[$0] < losses[$1] } ?? 0
        return [marked(.valley, rates[valley], at: valley), marked(.steep, rates[steep], at: steep),
                marked(.minimum, rates[lowest] / 10, at: lowest)]
    }

    /// fastai's `valley`: the longest strictly decreasing subsequence of the losses (lds[i] is the
    /// longest one ending at i), taken as the stretch from `end − lds[end]` to its end, and the
    /// index ⌊s⌋ + ⌊s/2⌋ past that start with s = (stretch length) / 3: about halfway into its
    /// last two thirds, where the loss still falls but is no longer flat.
    ///
    /// Worked example: losses [5, 4, 3, 2, 1, 2] give lds [1, 2, 3, 4, 5, 4], end 4, start
    /// 4 − 5 = −1, s = 5/3, index −1 + 1 + 0 = 0. (fastai's start is one before the stretch; an
    /// index below 0, which Python would read from the far end, is clamped to 0 here.)
    static func valleyIndex(_ losses: [Double]) -> Int {
        let n = losses.count
        var lengths = [Int](repeating: 1, count: n)
        var end = 0
        for i in 1..<max(n, 1) {
            for j in 0..<i where losses[i] < losses[j] && lengths[i] < lengths[j] + 1 {
                lengths[i] = lengths[j] + 1
            }
            if lengths[end] < lengths[i] { end = i }
        }
        let start = end - lengths[end]
        let sections = Double(end - start) / 3
        let index = start + Int(sections) + Int(sections / 2)
        return min(max(index, 0), n - 1)
    }

    /// fastai's `steep`: the left end of the interval where the loss falls fastest per unit of
    /// log learning rate (the first one, on ties).
    static func steepIndex(rates: [Double], losses: [Double]) -> Int {
        var best = 0
        var steepest = Double.infinity
        for i in 0..<(losses.count - 1) {
            let slope = (losses[i + 1] - losses[i]) / (log(rates[i + 1]) - log(rates[i]))
            if slope < steepest {
                steepest = slope
                best = i
            }
        }
        return best
    }
}
