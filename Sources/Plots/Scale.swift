// From data values to pixels: linear and log scales, and the axis (domain and ticks) that a set
// of values gets.
//
// Values that a scale cannot place (NaN, infinities, and zero or negatives on a log scale) map to
// nil, and callers break their lines there. Not handled: reversed or broken axes.

import Foundation

public enum ScaleKind: String, Sendable, Equatable {
    case linear, log
}

/// A map from a value domain to a pixel range (which may run downwards, as a y axis does).
public struct Scale: Sendable, Equatable {
    public let kind: ScaleKind
    public let lower: Double
    public let upper: Double
    public let start: Double
    public let end: Double

    public init(kind: ScaleKind, lower: Double, upper: Double, start: Double, end: Double) {
        self.kind = kind
        self.lower = lower
        self.upper = upper
        self.start = start
        self.end = end
    }

    /// The pixel of `value`, or nil when it cannot be placed.
    public func position(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        let fraction: Double
        switch kind {
        case .linear:
            fraction = upper == lower ? 0.5 : (value - lower) / (upper - lower)
        case .log:
            guard value > 0 else { return nil }
            let (low, high) = (log10(lower), log10(upper))
            fraction = high == low ? 0.5 : (log10(value) - low) / (high - low)
        }
        return start + fraction * (end - start)
    }
}

/// An axis fitted to data: its domain and its ticks.
public struct AxisLayout: Sendable, Equatable {
    public let kind: ScaleKind
    public let lower: Double
    public let upper: Double
    public let ticks: Ticks
    /// False when no value could be placed; the domain is then a stand-in (0...1 or 1...10).
    public let hasData: Bool

    /// The axis for `values` (non-finite ones, and non-positive ones on a log axis, are ignored).
    ///
    /// - Parameters:
    ///   - widensToTicks: a y axis widens to the nearest ticks (it starts and ends on a label);
    ///     an x axis keeps the data's exact range, so curves reach both edges.
    ///   - includesZero: start a linear axis at 0 when all values are positive (a learning rate).
    public init(values: [Double], kind: ScaleKind, style: TickStyle = .number, tickCount: Int = 6,
                widensToTicks: Bool, includesZero: Bool = false) {
        let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
        self.kind = kind
        hasData = !usable.isEmpty
        var low = usable.min() ?? (kind == .log ? 1 : 0)
        var high = usable.max() ?? (kind == .log ? 10 : 1)
        if includesZero && kind == .linear && low > 0 { low = 0 }
        if low == high {
            // One value, or a flat series: give it room rather than a zero-height axis.
            switch kind {
            case .linear:
                let pad = low == 0 ? 1 : abs(low) * 0.1
                (low, high) = (low - pad, high + pad)
            case .log:
                (low, high) = (low / 1.25, high * 1.25)
            }
            if style == .duration { low = max(low, 0) }
        }
        switch (kind, style) {
        case (.linear, .number):
            if widensToTicks { (low, high) = NiceTicks.widened(lower: low, upper: high, count: tickCount) }
            ticks = NiceTicks.linear(lower: low, upper: high, count: tickCount)
        case (.linear, .duration):
            ticks = NiceTicks.duration(lower: low, upper: high, count: tickCount)
        case (.log, _):
            if widensToTicks {
                // 4% of the log range each side, so the extreme points sit inside the frame.
                let pad = pow(high / low, 0.04)
                (low, high) = (low / pad, high * pad)
            }
            ticks = NiceTicks.logarithmic(lower: low, upper: high, count: tickCount)
        }
        lower = low
        upper = high
    }

    /// The scale from this axis to the pixels `start...end`.
    public func scale(from start: Double, to end: Double) -> Scale {
        Scale(kind: kind, lower: lower, upper: upper, start: start, end: end)
    }
}
