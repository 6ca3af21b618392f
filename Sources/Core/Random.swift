// Seeded, serialisable random numbers: xoshiro256** (Blackman & Vigna 2018) seeded by SplitMix64.
//
// Every random choice in Descent (initialisation, shuffles, sampling) draws from a `Xoshiro256`
// whose whole state is four UInt64s, so a checkpoint can store it and a resumed run continues the
// exact same stream. Deliberately not handled: cryptographic use, and `SystemRandomNumberGenerator`
// (not reproducible).

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit mixer used to expand seeds into full states.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Mixes several words into one seed, e.g. `(seed, epoch, shard)` → the seed of that shard's
    /// shuffle. Order matters: `mix(1, 2) != mix(2, 1)`.
    public static func mix(_ words: UInt64...) -> UInt64 {
        var generator = SplitMix64(seed: 0x243F_6A88_85A3_08D3)
        var result: UInt64 = 0
        for word in words {
            generator.state ^= word
            result = generator.next()
        }
        return result
    }
}

/// xoshiro256**: fast, 256 bits of state, passes BigCrush. The state is public so that it can be
/// checkpointed and restored bit for bit.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    private var s0, s1, s2, s3: UInt64

    /// Seeds all 256 bits from one 64-bit seed via SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        (s0, s1, s2, s3) = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// Restores a saved state. Returns nil for a state that is not four words or is all zero
    /// (the one state xoshiro never leaves).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The whole generator state, for checkpoints.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits: every value is an exact Float.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire 2019, multiply-shift with
    /// rejection). `bound` must be positive.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Standard normal by the Box–Muller transform. Uses two uniforms per value and keeps no
    /// spare, so the state alone determines every later draw.
    public mutating func nextGaussian() -> Double {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// Fisher–Yates shuffle of `values` in place, drawing from this generator.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { values.swapAt(i, j) }
        }
    }
}
