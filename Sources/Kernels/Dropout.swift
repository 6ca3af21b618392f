// Inverted dropout (Srivastava et al. 2014): during training each element is kept with
// probability 1 − rate and scaled by 1/(1 − rate), so evaluation needs no rescaling.
//
//   forward   output[i] = keep(i) ? input[i] / (1 − rate) : 0
//   backward  dInput[i] = keep(i) ? dOutput[i] / (1 − rate) : 0      (the same mask)
//
// The mask is a pure function of (key, i), i the element's index in row-major order: a
// counter-based hash, not a stream. So the backward pass recomputes the mask instead of storing
// it, the bits never depend on the thread count or the order of work, and a resumed run that
// gives a step the same key draws the same mask. Indices wrap at 2³² (a matrix that large would
// repeat its mask every 4 billion elements).
//
// Shapes: input, output, dInput, dOutput with the same element count. Deliberately not handled:
// strided views, rates of 1 (nothing would be kept).

public struct DropoutMask: Sendable, Equatable {
    /// Probability of dropping an element, in [0, 1).
    public let rate: Float
    /// Selects the mask; a new key gives an independent one.
    public let key: UInt64
    /// Elements whose hash is below this are dropped: rate · 2³², rounded down.
    let threshold: UInt32
    /// 1 / (1 − rate), applied to the kept elements.
    let scale: Float

    public init(rate: Float, key: UInt64) {
        precondition(rate >= 0 && rate < 1, "DropoutMask: rate \(rate) outside [0, 1)")
        self.rate = rate
        self.key = key
        threshold = UInt32(min(Double(rate) * 4_294_967_296, 4_294_967_295))
        scale = 1 / (1 - rate)
    }

    /// Whether element `index` is kept: the scalar form of the vector loop's test.
    public func keeps(_ index: Int) -> Bool {
        Dropout.hash(UInt32(truncatingIfNeeded: index), key) >= threshold
    }
}

public enum Dropout {
    /// output = input ⊙ mask / (1 − rate). `output` may be `input` (in place).
    public static func forward(output: Matrix, input: Matrix, mask: DropoutMask) {
        apply(output, input, mask, "forward")
    }

    /// dInput = dOutput ⊙ mask / (1 − rate), with the mask `forward` drew for the same key.
    /// `dInput` may be `dOutput`.
    public static func backward(dInput: Matrix, dOutput: Matrix, mask: DropoutMask) {
        apply(dInput, dOutput, mask, "backward")
    }

    /// The plain loop over `DropoutMask.keeps`. The oracle for both passes (they are one map).
    public static func reference(output: Matrix, input: Matrix, mask: DropoutMask) {
        precondition(output.count == input.count, "Dropout.reference: \(output.shapeDescription) vs \(input.shapeDescription)")
        for i in 0..<input.count { output[i] = mask.keeps(i) ? input[i] * mask.scale : 0 }
    }

    private static func apply(_ output: Matrix, _ input: Matrix, _ mask: DropoutMask, _ pass: String) {
        precondition(output.count == input.count,
                     "Dropout.\(pass): output \(output.shapeDescription) and input \(input.shapeDescription) differ in size")
        if mask.rate == 0 {
            if output.buffer !== input.buffer || output.offset != input.offset { output.copy(from: input) }
            return
        }
        output.withUnsafeMutablePointer { out in
            input.withUnsafeMutablePointer { x in
                var job = DropoutJob(out: out, x: x, key: mask.key, threshold: mask.threshold, scale: mask.scale)
                Parallel.forEachRange(count: input.count, grain: 1 << 14, context: &job, dropoutRange)
            }
        }
    }

    /// Two rounds of Wellons' `lowbias32` integer hash, the key's halves added between them, on
    /// eight indices at once.
    @inline(__always)
    static func hash(_ index: SIMD8<UInt32>, _ key: UInt64) -> SIMD8<UInt32> {
        mix(mix(index &+ UInt32(truncatingIfNeeded: key)) ^ UInt32(truncatingIfNeeded: key >> 32))
    }

    /// One index's hash: lane 0 of the vector form, so both are one function.
    static func hash(_ index: UInt32, _ key: UInt64) -> UInt32 { hash(SIMD8(repeating: index), key)[0] }

    @inline(__always)
    static func mix(_ value: SIMD8<UInt32>) -> SIMD8<UInt32> {
        var x = value
        x ^= x &>> 16; x &*= 0x7FEB_352D
        x ^= x &>> 15; x &*= 0x846C_A68B
        x ^= x &>> 16
        return x
    }
}

private struct DropoutJob {
    let out: UnsafeMutablePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let key: UInt64
    let threshold: UInt32
    let scale: Float
}

/// Elements `start..<end`, eight hashes at a time (the last group partial).
private let dropoutRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: DropoutJob.self).pointee
    let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
    let zero = Vector8(repeating: 0)
    var i = start
    while i < end {
        let n = min(8, end &- i)
        let bits = Dropout.hash(SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: i)) &+ lanes, job.key)
        let scaled = (n == 8 ? load8(job.x + i) : loadPartial8(job.x + i, n)) * job.scale
        let kept = scaled.replacing(with: zero, where: bits .< job.threshold)
        if n == 8 { store8(kept, job.out + i) } else { storePartial8(kept, job.out + i, n) }
        i &+= 8
    }
}
