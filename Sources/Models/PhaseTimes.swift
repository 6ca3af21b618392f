// Wall time per phase of a model's forward and backward, for `descent-bench train --breakdown`.
//
// A model with a `phaseTimes` clock charges the time since the previous charge to the phase that
// just ran. Every kernel returns only when all its threads are done, so wall time between two
// charges is that phase's time. Off (nil) by default: training never reads a clock per kernel.

import Core

public final class PhaseTimes {
    public enum Phase: String, CaseIterable, Sendable {
        /// The dense first layer's embedding gather and scatter.
        case gather
        /// Matrix products and bias sums. The tables path's layer counts here whole: it builds
        /// each table block and adds its rows in one pass (and scatters and multiplies in one
        /// backward), so its gather-sum and scatter-add cannot be timed apart.
        case products
        /// Nonlinearities forward and backward.
        case activation
        /// Softmax and cross-entropy with its gradient. The bigram's whole forward and backward
        /// counts here: its lookup and scatter-add are inside TableCrossEntropy.
        case loss
    }

    public private(set) var seconds = [Double](repeating: 0, count: Phase.allCases.count)
    private var last = 0

    public init() {}

    /// Starts the clock for the next phase.
    public func start() { last = MonotonicClock.nanoseconds() }

    /// Adds the time since the last `start` or `charge` to `phase`.
    public func charge(_ phase: Phase) {
        let now = MonotonicClock.nanoseconds()
        seconds[Phase.allCases.firstIndex(of: phase)!] += Double(now &- last) * 1e-9
        last = now
    }

    public func seconds(_ phase: Phase) -> Double { seconds[Phase.allCases.firstIndex(of: phase)!] }

    public func reset() { seconds = [Double](repeating: 0, count: Phase.allCases.count) }
}
