// Smoothing a noisy training curve: an exponential moving average with TensorBoard's bias
// correction, and the reduction of a long series to what a plot's pixels can show.
//
// Worked example, weight 0.5: values [4, 2, 2] give the averages [4, 2.667, 2.286]. Without the
// correction the first would be 2 (half of 4 plus half of the zero it starts from), dragging the
// start of every curve towards 0. Not handled: smoothing over time rather than over points.

import Core
import Foundation

public enum Smoothing {
    /// The moving average at every point; NaN where the input is not finite (so a line breaks
    /// there) and before the first finite value.
    public static func ema(_ values: [Double], weight: Double) -> [Double] {
        var average = ExponentialMovingAverage(weight: weight)
        return values.map { value in
            let smoothed = average.add(value)
            return value.isFinite ? smoothed ?? .nan : .nan
        }
    }

    /// The smoothing a plot uses by default for `count` points: an average over 2% of them (a
    /// 60,000-step run averages over 1,200 steps, a 400-step one over 8), never below 1.
    public static func automaticWeight(count: Int) -> Double {
        let window = Double(count) / 50
        return window <= 1 ? 0 : 1 - 1 / window
    }
}

/// A point of a series; `y` may be NaN (a gap).
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

public enum Downsample {
    /// At most about `2 × buckets` points that draw the same line at that resolution: the points
    /// sorted by x are cut into `buckets` equal x ranges, and each range keeps its lowest and its
    /// highest point in x order, so spikes survive. Non-finite points are kept (they break the
    /// line). Series already short enough come back unchanged.
    public static func envelope(_ points: [ChartPoint], buckets: Int) -> [ChartPoint] {
        guard buckets > 0, points.count > 2 * buckets,
              let first = points.first?.x, let last = points.last?.x, last > first else { return points }
        var result: [ChartPoint] = []
        result.reserveCapacity(2 * buckets + 8)
        var bucket = -1
        var low: ChartPoint? = nil, high: ChartPoint? = nil
        func flush() {
            switch (low, high) {
            case let (low?, high?) where low == high: result.append(low)
            case let (low?, high?): result += low.x <= high.x ? [low, high] : [high, low]
            default: break
            }
            low = nil
            high = nil
        }
        let width = (last - first) / Double(buckets)
        for point in points {
            let index = min(buckets - 1, Int((point.x - first) / width))
            if index != bucket {
                flush()
                bucket = index
            }
            guard point.y.isFinite else {
                flush()
                result.append(point)
                continue
            }
            if low.map({ point.y < $0.y }) ?? true { low = point }
            if high.map({ point.y > $0.y }) ?? true { high = point }
        }
        flush()
        return result
    }
}
