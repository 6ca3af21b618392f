// SIMD exp, tanh and sigmoid for the elementwise kernels, eight lanes at a time.
//
// exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r
// (Cephes expf's coefficients) and 2^n built in the exponent bits. Relative error ≤ 1.25 ulp
// (measured on 68M points) on [-87.3, 88.3]; inputs are clamped to that range, so e^x never
// overflows to inf and tiny results stop at ~1e-38 instead of going subnormal or 0.
// tanh: for |x| < 0.625 an odd polynomial x + x³·P(x²) fitted for relative error (4e-9 before
// rounding); above it 1 − 2/(e^{2|x|} + 1), where there is no cancellation. ≤ 1.33 ulp measured.
// Deliberately not handled: NaN propagation guarantees (a NaN input gives some NaN or a clamp
// value), subnormal outputs.

typealias Vector8Int = SIMD8<Int32>

enum FastMath {
    @inline(__always)
    static func exp(_ x: Vector8) -> Vector8 {
        let log2e: Float = 1.44269504088896341
        let ln2High: Float = 0.693359375
        let ln2Low: Float = -2.12194440e-4
        // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
        let shifter: Float = 12582912
        let clamped = x.clamped(lowerBound: Vector8(repeating: -87.3), upperBound: Vector8(repeating: 88.3))
        let shifted = (clamped * log2e).addingProduct(Vector8(repeating: 1), Vector8(repeating: shifter))
        let n = shifted - shifter
        var r = clamped.addingProduct(n, Vector8(repeating: -ln2High))
        r = r.addingProduct(n, Vector8(repeating: -ln2Low))
        var p = Vector8(repeating: 1.3981999507e-3).addingProduct(Vector8(repeating: 1.9875691500e-4), r)
        p = Vector8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = Vector8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = Vector8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = Vector8(repeating: 5.0000001201e-1).addingProduct(p, r)
        let r2 = r * r
        let e = (r + 1).addingProduct(p, r2)
        let exponent = unsafeBitCast(shifted, to: Vector8Int.self) &- 0x4B40_0000
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: Vector8.self)
        return e * scale
    }

    @inline(__always)
    static func tanh(_ x: Vector8) -> Vector8 {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        // Small |x|: odd polynomial, exact at 0 and relative-accurate near it.
        let z = x * x
        var p = Vector8(repeating: -0.00570498438226089)
        p = Vector8(repeating: 0.02063908503994318).addingProduct(p, z)
        p = Vector8(repeating: -0.05373971445603654).addingProduct(p, z)
        p = Vector8(repeating: 0.13331442191282672).addingProduct(p, z)
        p = Vector8(repeating: -0.33333281941788695).addingProduct(p, z)
        let small = x.addingProduct(x * z, p)
        // Large |x|: 1 − 2/(e^{2|x|} + 1), sign restored; beyond 9 it rounds to ±1 anyway.
        let e = exp(magnitude.clamped(lowerBound: Vector8(repeating: 0), upperBound: Vector8(repeating: 9)) * 2)
        let largeMagnitude = 1 - 2 / (e + 1)
        let large = largeMagnitude.replacing(with: -largeMagnitude, where: x .< 0)
        return small.replacing(with: large, where: magnitude .>= 0.625)
    }

    /// 1 / (1 + e^{−x}), accurate in relative terms on both tails.
    @inline(__always)
    static func sigmoid(_ x: Vector8) -> Vector8 {
        1 / (1 + exp(-x))
    }

    /// GELU, tanh approximation, written as x·σ(2u) with u = √(2/π)(x + 0.044715x³): the same
    /// function as 0.5·x·(1 + tanh u) without its cancellation for negative x.
    @inline(__always)
    static func gelu(_ x: Vector8) -> Vector8 {
        let c: Float = 0.7978845608028654
        let u = (x * x * 0.044715 + 1) * x * c
        return x * sigmoid(u * 2)
    }

    /// d/dx of `gelu`: s + x·s·(1 − s)·2u′, with s = σ(2u) and u′ = √(2/π)(1 + 3·0.044715x²).
    @inline(__always)
    static func geluDerivative(_ x: Vector8) -> Vector8 {
        let c: Float = 0.7978845608028654
        let x2 = x * x
        let u = (x2 * 0.044715 + 1) * x * c
        let s = sigmoid(u * 2)
        let uPrime = (x2 * (3 * 0.044715) + 1) * c
        return s + x * s * (1 - s) * (uPrime * 2)
    }
}

/// Loads `count` (< 8) floats into the low lanes of a zero vector.
@inline(__always)
func loadPartial8(_ pointer: UnsafePointer<Float>, _ count: Int) -> Vector8 {
    var v = Vector8()
    for lane in 0..<count { v[lane] = pointer[lane] }
    return v
}

/// Stores the low `count` (< 8) lanes.
@inline(__always)
func storePartial8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
    for lane in 0..<count { pointer[lane] = value[lane] }
}
