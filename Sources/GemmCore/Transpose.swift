// 8×8 in-register transposes for the GEMM packing routines (`.nt` B panels, `.nn` A panels).
//
// Written as lane shuffles of SIMD8 values; LLVM lowers them to vunpcklps/vunpckhps, vshufps and
// vperm2f128, the textbook AVX sequence (24 shuffles per 8×8 block). They return the columns
// rather than taking a closure, so that no closure symbol shared between the instance modules is
// ever emitted (see GemmPlan.swift).

extension GemmKernel {
    @usableFromInline typealias Vector8 = SIMD8<Float>

    @inlinable @inline(__always)
    static func unpackLow(_ a: Vector8, _ b: Vector8) -> Vector8 {
        Vector8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5])
    }

    @inlinable @inline(__always)
    static func unpackHigh(_ a: Vector8, _ b: Vector8) -> Vector8 {
        Vector8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7])
    }

    /// (a0, a1, b0, b1 | a4, a5, b4, b5)
    @inlinable @inline(__always)
    static func shuffleLowPairs(_ a: Vector8, _ b: Vector8) -> Vector8 {
        Vector8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5])
    }

    /// (a2, a3, b2, b3 | a6, a7, b6, b7)
    @inlinable @inline(__always)
    static func shuffleHighPairs(_ a: Vector8, _ b: Vector8) -> Vector8 {
        Vector8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7])
    }

    /// The columns of the 8×8 block whose rows are r0…r7.
    @inlinable @inline(__always)
    static func transpose8x8(_ r0: Vector8, _ r1: Vector8, _ r2: Vector8, _ r3: Vector8,
                             _ r4: Vector8, _ r5: Vector8, _ r6: Vector8, _ r7: Vector8)
        -> (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8) {
        let t0 = unpackLow(r0, r1), t1 = unpackHigh(r0, r1), t2 = unpackLow(r2, r3), t3 = unpackHigh(r2, r3)
        let t4 = unpackLow(r4, r5), t5 = unpackHigh(r4, r5), t6 = unpackLow(r6, r7), t7 = unpackHigh(r6, r7)
        let u0 = shuffleLowPairs(t0, t2), u1 = shuffleHighPairs(t0, t2)
        let u2 = shuffleLowPairs(t1, t3), u3 = shuffleHighPairs(t1, t3)
        let u4 = shuffleLowPairs(t4, t6), u5 = shuffleHighPairs(t4, t6)
        let u6 = shuffleLowPairs(t5, t7), u7 = shuffleHighPairs(t5, t7)
        return (Vector8(lowHalf: u0.lowHalf, highHalf: u4.lowHalf), Vector8(lowHalf: u1.lowHalf, highHalf: u5.lowHalf),
                Vector8(lowHalf: u2.lowHalf, highHalf: u6.lowHalf), Vector8(lowHalf: u3.lowHalf, highHalf: u7.lowHalf),
                Vector8(lowHalf: u0.highHalf, highHalf: u4.highHalf), Vector8(lowHalf: u1.highHalf, highHalf: u5.highHalf),
                Vector8(lowHalf: u2.highHalf, highHalf: u6.highHalf), Vector8(lowHalf: u3.highHalf, highHalf: u7.highHalf))
    }

    @inlinable @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
    }

    @inlinable @inline(__always)
    static func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
    }
}
