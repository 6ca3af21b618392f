// An exponential moving average with bias correction (TensorBoard's smoothing, fastai's
// `AvgSmoothLoss`): the charts smooth curves with it, the progress line its loss, and the LR
// finder the loss it stops on, so all three agree on what "smoothed" means.
//
// Worked example, weight 0.5: values [4, 2, 2] give the averages [4, 2.667, 2.286]. Without the
// correction the first would be 2 (half of 4 plus half of the zero it starts from).

/// An exponential moving average that skips non-finite values (a diverged step keeps the last
/// average instead of poisoning it).
public struct ExponentialMovingAverage: Sendable, Equatable {
    /// The share of the previous average kept at each new value: 0 is no smoothing, 0.99
    /// averages over about 100 values.
    public let weight: Double
    private var biased = 0.0
    /// weight^n after n values: what the biased average still owes to its zero start.
    private var debt = 1.0
    public private(set) var count = 0

    public init(weight: Double) {
        precondition(weight >= 0 && weight < 1, "ExponentialMovingAverage: weight \(weight) is outside 0..<1")
        self.weight = weight
    }

    /// A weight that averages over about `window` values (weight = 1 − 1/window).
    public init(window: Double) {
        self.init(weight: window <= 1 ? 0 : 1 - 1 / window)
    }

    /// Adds a value (ignored if not finite) and returns the average so far.
    @discardableResult
    public mutating func add(_ value: Double) -> Double? {
        if value.isFinite {
            biased = weight * biased + (1 - weight) * value
            debt *= weight
            count += 1
        }
        return self.value
    }

    /// The bias-corrected average, or nil before the first finite value.
    public var value: Double? {
        count == 0 ? nil : biased / (1 - debt)
    }
}
