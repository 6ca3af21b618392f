// Learning rate as a pure function of the step: the schedule protocol, and linear warmup then
// cosine decay, the schedule every training run uses.
//
// Pure, so that a resumed run, an LR plot and the trainer all agree without saved state.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning rate for every step, counted from 0 (the step about to run).
public protocol LearningRateSchedule: Sendable {
    func learningRate(at step: Int) -> Double
}

/// Linear warmup to `peak` over `warmupSteps`, then cosine decay to `minimumFraction · peak`.
///
/// For a step s counted from 0 (the step about to run), with W = warmupSteps, N = totalSteps and
/// m = minimumFraction · peak:
///
///     s < W:   lr(s) = peak · (s + 1) / W
///     s ≥ W:   lr(s) = m + ½ (peak − m) (1 + cos(π (s − W) / (N − W)))
///
/// The off-by-one is deliberate and matches the PyTorch reference in `../shared/bench`: warmup
/// counts s + 1 so that step 0 already trains (lr(0) = peak/W > 0) and the last warmup step
/// reaches the peak; the cosine starts at the peak again at s = W, and reaches m exactly at
/// s = N, one past the last step run (lr(N − 1) is a hair above m). Steps beyond N (a resumed
/// run whose maxSteps shrank) hold m. With W = 0 the schedule is a plain cosine from the peak.
///
/// Rule of thumb (nanoGPT): minimumFraction ≈ 0.1; warmup a few percent of the run.
public struct WarmupCosineSchedule: LearningRateSchedule, Equatable {
    public let peak: Double
    public let warmupSteps: Int
    public let totalSteps: Int
    public let minimumFraction: Double

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, minimumFraction: Double) {
        precondition(warmupSteps >= 0 && totalSteps > warmupSteps,
                     "WarmupCosineSchedule: warmup \(warmupSteps) must be in 0..<\(totalSteps)")
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimumFraction = minimumFraction
    }

    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        let minimum = minimumFraction * peak
        if step >= totalSteps { return minimum }
        let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
        return minimum + 0.5 * (peak - minimum) * (1 + cos(Double.pi * progress))
    }
}

/// The LR range test's schedule (Smith 2017; fastai's `SchedExp` in `lr_find`): the rate grows
/// geometrically from `start` towards `end` over `steps` steps,
///
///     lr(s) = start · (end / start)^(s / steps),   s = 0 … steps − 1,
///
/// so step 0 runs at `start` and the last step one ratio short of `end`, as fastai's does.
/// Steps past the range hold `end`.
public struct ExponentialRangeSchedule: LearningRateSchedule, Equatable {
    public let start: Double
    public let end: Double
    public let steps: Int

    public init(start: Double, end: Double, steps: Int) {
        precondition(start > 0 && end > start && steps >= 1, "ExponentialRangeSchedule: needs 0 < start < end and steps ≥ 1")
        self.start = start
        self.end = end
        self.steps = steps
    }

    public func learningRate(at step: Int) -> Double {
        guard step < steps else { return end }
        return start * pow(end / start, Double(max(step, 0)) / Double(steps))
    }
}
