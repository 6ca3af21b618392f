// SIMD exp, tanh and sigmoid for the elementwise kernels, eight lanes at a time.
//
// exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for e^r
// (Cephes expf's coefficients) and 2^n built in the exponent bits. Relative error ≤ 1.25 ulp
// (measured on 68M points) on [-87.3, 88.3]; inputs are clamped to that range, so e^x never
// overflows to inf and tiny results stop at ~1e-38 instead of going subnormal or 0.
// tanh: Eigen's clamped rational approximation, one division and no exp; ≤ 4.5 ulp measured on
// 68M points (a polynomial-plus-exp version reached 1.33 ulp at twice the cost per element).
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
        let clamped = clamp(x, -87.3, 88.3)
        let shifted = Vector8(repeating: shifter).addingProduct(clamped, Vector8(repeating: log2e))
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

    /// tanh as Eigen's `generic_fast_tanh_float`: x·P(x²)/Q(x²), numerator degree 13, denominator
    /// degree 6, on x clamped to ±7.905 (where tanh rounds to ±1), and x itself below |x| = 4e-4.
    @inline(__always)
    static func tanh(_ x: Vector8) -> Vector8 {
        let clamped = clamp(x, -7.90531110763549805, 7.90531110763549805)
        let x2 = clamped * clamped
        var p = Vector8(repeating: 2.00018790482477e-13).addingProduct(Vector8(repeating: -2.76076847742355e-16), x2)
        p = Vector8(repeating: -8.60467152213735e-11).addingProduct(p, x2)
        p = Vector8(repeating: 5.12229709037114e-08).addingProduct(p, x2)
        p = Vector8(repeating: 1.48572235717979e-05).addingProduct(p, x2)
        p = Vector8(repeating: 6.37261928875436e-04).addingProduct(p, x2)
        p = Vector8(repeating: 4.89352455891786e-03).addingProduct(p, x2)
        var q = Vector8(repeating: 1.18534705686654e-04).addingProduct(Vector8(repeating: 1.19825839466702e-06), x2)
        q = Vector8(repeating: 2.26843463243900e-03).addingProduct(q, x2)
        q = Vector8(repeating: 4.89352518554385e-03).addingProduct(q, x2)
        let ratio = p * clamped / q
        let magnitude = x.replacing(with: -x, where: x .< 0)
        return ratio.replacing(with: x, where: magnitude .< 0.0004)
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

    /// (`gelu(x)`, `geluDerivative(x)`) bitwise, sharing σ(2u): the same operations in the same
    /// order as the two functions.
    @inline(__always)
    static func geluAndDerivative(_ x: Vector8) -> (Vector8, Vector8) {
        let c: Float = 0.7978845608028654
        let x2 = x * x
        let u = (x2 * 0.044715 + 1) * x * c
        let s = sigmoid(u * 2)
        let uPrime = (x2 * (3 * 0.044715) + 1) * c
        return (x * s, s + x * s * (1 - s) * (uPrime * 2))
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

/// √x per lane for x ≥ 0, correctly rounded (vsqrtps). `SIMD8.squareRoot()` calls libm's sqrtf
/// lane by lane (to set errno for negative inputs); taking the magnitude first lets LLVM drop that
/// path and vectorise. Only for inputs known to be ≥ 0 (for them |x| = x).
@inline(__always)
func squareRootOfNonNegative(_ x: Vector8) -> Vector8 {
    Vector8(x[0].magnitude.squareRoot(), x[1].magnitude.squareRoot(), x[2].magnitude.squareRoot(), x[3].magnitude.squareRoot(),
            x[4].magnitude.squareRoot(), x[5].magnitude.squareRoot(), x[6].magnitude.squareRoot(), x[7].magnitude.squareRoot())
}

/// Lanewise min and max as compare-and-blend. The standard library's `pointwiseMin`/`pointwiseMax`
/// (and `clamped`) follow IEEE minNum/maxNum lane by lane in scalar code, 20× slower.
@inline(__always)
func minimum(_ a: Vector8, _ b: Vector8) -> Vector8 { a.replacing(with: b, where: b .< a) }

@inline(__always)
func maximum(_ a: Vector8, _ b: Vector8) -> Vector8 { a.replacing(with: b, where: b .> a) }

@inline(__always)
func clamp(_ x: Vector8, _ lower: Float, _ upper: Float) -> Vector8 {
    minimum(maximum(x, Vector8(repeating: lower)), Vector8(repeating: upper))
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
