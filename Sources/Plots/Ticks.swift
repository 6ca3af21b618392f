// Axis ticks a person can read: round values (1, 2 or 5 × 10^k) on linear axes, decades or
// 1-2-5 steps on log axes, durations in whole seconds, minutes or hours, each labelled with just
// the digits its spacing needs ("0.5", "2k", "1e-4", "2:30").
//
// The step rule is Heckbert's ("Nice numbers for graph labels", Graphics Gems, 1990) with d3's
// thresholds. Not handled: calendar dates, and ranges that are not finite (`AxisLayout` turns
// empty or degenerate data into a finite range before asking for ticks).

import Foundation

/// How tick labels read.
public enum TickStyle: Sendable, Equatable {
    /// Plain numbers; thousands and millions as "k" and "M", tiny values as "1e-4".
    case number
    /// Seconds shown as "45 s", "2:30" (minutes and seconds) or "1:05" (hours and minutes).
    case duration
}

/// Tick values and their labels, in increasing order.
public struct Ticks: Sendable, Equatable {
    public var values: [Double]
    public var labels: [String]

    public init(values: [Double], labels: [String]) {
        self.values = values
        self.labels = labels
    }
}

public enum NiceTicks {
    /// The spacing of about `count` ticks over `lower...upper`: 1, 2 or 5 times a power of ten.
    /// `(0, 1, 5)` → 0.2; `(1.53, 4.2, 5)` → 0.5; `(0, 200_000, 5)` → 50_000.
    public static func step(lower: Double, upper: Double, count: Int) -> Double {
        let span = upper - lower
        guard span > 0, span.isFinite, count > 0 else { return 1 }
        let raw = span / Double(count)
        let power = (log10(raw)).rounded(.down)
        let magnitude = pow(10, power)
        let error = raw / magnitude
        let factor: Double = error >= 50.squareRoot() ? 10 : error >= 10.squareRoot() ? 5 : error >= 2.squareRoot() ? 2 : 1
        return factor * magnitude
    }

    /// The multiples of `step` inside `lower...upper`. The values are `i × step` computed from the
    /// integer `i`, so ticks never drift (0.30000000000000004 is printed by the label, not summed).
    public static func multiples(of step: Double, lower: Double, upper: Double) -> [Double] {
        guard step > 0, lower <= upper else { return [] }
        // A tolerance of a millionth of a step keeps a tick that rounding put just outside.
        let first = (lower / step - 1e-6).rounded(.up)
        let last = (upper / step + 1e-6).rounded(.down)
        guard first <= last, last - first < 10_000 else { return [] }
        return stride(from: first, through: last, by: 1).map { $0 == 0 ? 0 : $0 * step }
    }

    /// `lower...upper` widened to the nearest multiples of its tick step, so the axis starts and
    /// ends on a tick (d3's `nice`). The step is recomputed once, as widening can change it.
    public static func widened(lower: Double, upper: Double, count: Int) -> (lower: Double, upper: Double) {
        var (low, high) = (lower, upper)
        for _ in 0..<2 {
            let step = step(lower: low, upper: high, count: count)
            low = (low / step).rounded(.down) * step
            high = (high / step).rounded(.up) * step
        }
        return (low, high)
    }

    /// About `count` ticks on a linear axis over `lower...upper`.
    public static func linear(lower: Double, upper: Double, count: Int) -> Ticks {
        let step = step(lower: lower, upper: upper, count: count)
        let values = multiples(of: step, lower: lower, upper: upper)
        return Ticks(values: values, labels: TickLabels.numbers(values, step: step))
    }

    /// Ticks on a log axis over `lower...upper` (both > 0): powers of ten when the range spans
    /// three decades or more, then 1-2-5 steps, and for less than a decade the linear ticks of
    /// the range (a loss from 1.5 to 4 gets 1.5, 2, 2.5, 3, 3.5, 4, not a lone 2).
    public static func logarithmic(lower: Double, upper: Double, count: Int) -> Ticks {
        guard lower > 0, upper > lower else { return linear(lower: lower, upper: upper, count: count) }
        let decades = log10(upper) - log10(lower)
        if decades < 1 {
            return linear(lower: lower, upper: upper, count: count)
        }
        let firstPower = Int((log10(lower) - 1e-9).rounded(.down))
        let lastPower = Int((log10(upper) + 1e-9).rounded(.up))
        var values: [Double] = []
        let mantissas: [Double] = decades >= 3 ? [1] : [1, 2, 5]
        // Many decades: every k-th power, so that about `count` remain.
        let every = decades >= 3 ? max(1, Int((decades / Double(max(count, 1))).rounded(.up))) : 1
        for power in firstPower...lastPower where decades < 3 || power.isMultiple(of: every) {
            for mantissa in mantissas {
                let value = mantissa * pow(10, Double(power))
                if value >= lower * (1 - 1e-9) && value <= upper * (1 + 1e-9) { values.append(value) }
            }
        }
        return Ticks(values: values, labels: TickLabels.logarithmic(values))
    }

    /// The duration spacings, in seconds: whole seconds, then minutes, then hours.
    static let durationSteps: [Double] = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
                                          3600, 7200, 10_800, 21_600, 43_200, 86_400]

    /// About `count` ticks on an axis of seconds, at a spacing a clock reads (15 s, 5 min, 1 h).
    public static func duration(lower: Double, upper: Double, count: Int) -> Ticks {
        let span = max(upper - lower, 1e-9)
        // The finest spacing that gives at most half as many ticks again as asked for.
        let step = durationSteps.first { span / $0 <= 1.5 * Double(max(count, 1)) }
            ?? Self.step(lower: lower / 86_400, upper: upper / 86_400, count: count) * 86_400
        let values = multiples(of: step, lower: lower, upper: upper)
        return Ticks(values: values, labels: values.map { TickLabels.duration($0, step: step, upper: upper) })
    }
}

/// Tick labels with the digits their spacing needs.
public enum TickLabels {
    /// Labels for linear ticks spaced `step` apart. The unit is chosen once for the axis: when
    /// its largest value reaches 10,000, every label is in the largest of k, M and G that it
    /// reaches ("50k", "1.5M"); spacings under 0.0001 are written with the largest value's
    /// exponent ("2.5e-5"); zero is "0" in both.
    public static func numbers(_ values: [Double], step: Double) -> [String] {
        let largest = values.map(abs).max() ?? 0
        if largest >= 1e4, let unit = [1e9, 1e6, 1e3].first(where: { largest >= $0 }) {
            let suffix = unit == 1e9 ? "G" : unit == 1e6 ? "M" : "k"
            return values.map { $0 == 0 ? "0" : fixed($0 / unit, step: step / unit) + suffix }
        }
        if step < 1e-4 && largest > 0 {
            let exponent = Int(log10(largest).rounded(.down))
            let scale = pow(10, Double(exponent))
            return values.map { $0 == 0 ? "0" : fixed($0 / scale, step: step / scale) + "e\(exponent)" }
        }
        return values.map { fixed($0, step: step) }
    }

    /// Labels of log-axis ticks m × 10^k (m = 1, 2 or 5): plain ("0.001", "50") when every tick
    /// lies from 0.001 to 50,000, otherwise all as "2e-5", "1e6", one form for the whole axis.
    public static func logarithmic(_ values: [Double]) -> [String] {
        let exponents = values.map { Int((log10($0) + 1e-9).rounded(.down)) }
        let plain = exponents.allSatisfy { (-3...4).contains($0) }
        return zip(values, exponents).map { value, exponent in
            if plain { return fixed(value, step: pow(10, Double(exponent))) }
            let mantissa = Int((value / pow(10, Double(exponent))).rounded())
            return "\(mantissa)e\(exponent)"
        }
    }

    /// `value` with as many decimals as `step` needs, the same for every tick of an axis:
    /// (0.4, 0.2) → "0.4", (2, 0.5) → "2.0", (150, 50) → "150".
    static func fixed(_ value: Double, step: Double) -> String {
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        let text = String(format: "%.\(min(decimals, 12))f", value)
        // "-0.0" reads as a different number from "0.0"; a tick at a rounded zero is zero.
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }

    /// "45 s" below two minutes of axis, "2:30" (minutes) below two hours, "1:05" (hours) above.
    public static func duration(_ seconds: Double, step: Double, upper: Double) -> String {
        if upper < 120 { return fixed(seconds, step: step) + " s" }
        let total = Int(seconds.rounded())
        if upper < 7200 { return String(format: "%d:%02d", total / 60, total % 60) }
        return String(format: "%d:%02d", total / 3600, total / 60 % 60)
    }
}
