// Elementwise nonlinearities, forward and backward side by side, each beside its reference.
//
// Backward takes both the pre-activation `input` and the `output`: tanh's derivative is cheapest
// from the output (1 − y²), ReLU's and GELU's need the input. Fused variants add a bias before
// the nonlinearity (forward) or accumulate the bias gradient, the column sums of dInput, in the
// same pass (backward).
//
// Shapes (legend: B rows, N columns): input, output, dInput, dOutput (B,N); bias, dBias (N).
// Fast paths use FastMath (≤ 4.5 ulp for tanh); `reference…` evaluates libm in Double and is the
// test oracle. tanh and ReLU backward are bitwise equal to the reference; the rest agree to
// float rounding. Deliberately not handled: other activations, strided views.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Activation: String, Sendable, CaseIterable, Codable {
    case tanh, relu, gelu

    /// output = f(input), elementwise. `output` may be `input` (in place).
    public func forward(output: Matrix, input: Matrix) {
        if let message = Self.countError("forward", output, input) { preconditionFailure(message) }
        withPointers(output, input, input, input) { out, x, _, _ in
            var job = ElementwiseJob(out: out, x: x, y: x, dy: x)
            Parallel.forEachRange(count: output.count, grain: Self.grain, context: &job, tasks.forward)
        }
    }

    /// output = f(input + bias), the bias added to every row. `output` may be `input`.
    public func forward(output: Matrix, input: Matrix, bias: Matrix) {
        if let message = Self.biasError("forward", output: output, input: input, bias: bias) { preconditionFailure(message) }
        withPointers(output, input, bias, bias) { out, x, b, _ in
            var job = RowJob(rows: output.rows, columns: output.columns, out: out, x: x, y: x, dy: x, bias: b, dBias: nil)
            Parallel.forEachRange(count: output.rows, grain: max(1, Self.grain / max(output.columns, 1)),
                                  context: &job, tasks.biasForward)
        }
    }

    /// dInput = dOutput · f′(input), written (not accumulated). `dInput` may be `dOutput`.
    public func backward(dInput: Matrix, dOutput: Matrix, input: Matrix, output: Matrix) {
        if let message = Self.countError("backward", dInput, dOutput, input, output) { preconditionFailure(message) }
        withPointers(dInput, input, output, dOutput) { dx, x, y, dy in
            var job = ElementwiseJob(out: dx, x: x, y: y, dy: dy)
            Parallel.forEachRange(count: dInput.count, grain: Self.grain, context: &job, tasks.backward)
        }
    }

    /// As `backward`, and also dBias += Σ_rows dInput (the bias gradient of the layer that
    /// produced `input`), in one pass. The sums are bitwise those of `Reduce.addColumnSums`.
    public func backward(dInput: Matrix, dOutput: Matrix, input: Matrix, output: Matrix, dBias: Matrix) {
        if let message = Self.countError("backward", dInput, dOutput, input, output)
            ?? Self.biasError("backward", output: dInput, input: dOutput, bias: dBias) {
            preconditionFailure(message)
        }
        withPointers(dInput, input, output, dOutput) { dx, x, y, dy in
            dBias.withUnsafeMutablePointer { db in
                var job = RowJob(rows: dInput.rows, columns: dInput.columns, out: dx, x: x, y: y, dy: dy, bias: nil, dBias: db)
                // Each task owns a range of columns and walks all rows in order.
                Parallel.forEachRange(count: dInput.columns, grain: max(16, Self.grain / max(dInput.rows, 1)),
                                      context: &job, tasks.fusedBackward)
            }
        }
    }

    /// output = f(input) and derivative = f′(input), elementwise, for a backward pass that reads
    /// the derivative (`backward(dInput:dOutput:derivative:dBias:)`) instead of recomputing it:
    /// bitwise the values `forward` and `backward` compute. `derivative` may be `input` (the
    /// pre-activations are not needed once their derivative is known); `output` must not be.
    public func forward(output: Matrix, derivative: Matrix, input: Matrix) {
        if let message = Self.countError("forward", output, input, derivative) { preconditionFailure(message) }
        precondition(!MatMul.overlaps(output, input) && !MatMul.overlaps(output, derivative),
                     "Activation.forward: output \(output.shapeDescription) overlaps input or derivative")
        withPointers(output, input, derivative, input) { out, x, d, _ in
            var job = ElementwiseJob(out: out, x: x, y: d, dy: x)
            Parallel.forEachRange(count: output.count, grain: Self.grain, context: &job, tasks.forwardWithDerivative)
        }
    }

    /// Whether a training step should keep f′ from the forward pass (`forward(output:derivative:input:)`)
    /// rather than recompute it in the backward: GELU's costs an exp and a division per element,
    /// tanh's (1 − y²) and ReLU's are cheaper than another pass over memory.
    public var storesDerivative: Bool { self == .gelu }

    /// dInput = dOutput · derivative, and dBias += Σ_rows dInput, in one pass: bitwise
    /// `backward(dInput:dOutput:input:output:dBias:)` when `derivative` came from
    /// `forward(output:derivative:input:)`. `dInput` may be `dOutput`.
    public static func backward(dInput: Matrix, dOutput: Matrix, derivative: Matrix, dBias: Matrix) {
        if let message = countError("backward(derivative:)", dInput, dOutput, derivative)
            ?? biasError("backward", output: dInput, input: dOutput, bias: dBias) {
            preconditionFailure(message)
        }
        dInput.withUnsafeMutablePointer { dx in
            dOutput.withUnsafeMutablePointer { dy in
                derivative.withUnsafeMutablePointer { d in
                    dBias.withUnsafeMutablePointer { db in
                        var job = RowJob(rows: dInput.rows, columns: dInput.columns, out: dx, x: d, y: d, dy: dy, bias: nil, dBias: db)
                        Parallel.forEachRange(count: dInput.columns, grain: max(16, grain / max(dInput.rows, 1)),
                                              context: &job, storedDerivativeBackward)
                    }
                }
            }
        }
    }

    // MARK: Reference

    /// The plain loop: f evaluated in Double with libm. The oracle for `forward`.
    public func referenceForward(output: Matrix, input: Matrix) {
        precondition(output.count == input.count, "Activation.\(self).referenceForward: output \(output.shapeDescription), input \(input.shapeDescription)")
        for i in 0..<input.count { output[i] = Self.value(self, input[i]) }
    }

    /// The plain loop for `backward`.
    public func referenceBackward(dInput: Matrix, dOutput: Matrix, input: Matrix, output: Matrix) {
        precondition(dInput.count == dOutput.count && input.count == dOutput.count && output.count == dOutput.count,
                     "Activation.\(self).referenceBackward: dInput \(dInput.shapeDescription), dOutput \(dOutput.shapeDescription)")
        for i in 0..<dOutput.count { dInput[i] = dOutput[i] * Self.derivative(self, input[i], output[i]) }
    }

    static func value(_ kind: Activation, _ x: Float) -> Float {
        switch kind {
        case .tanh: return Float(Glibc.tanh(Double(x)))
        case .relu: return max(x, 0)
        case .gelu: return Float(geluReference(Double(x)))
        }
    }

    static func derivative(_ kind: Activation, _ x: Float, _ y: Float) -> Float {
        switch kind {
        case .tanh: return 1 - y * y
        case .relu: return x > 0 ? 1 : 0
        case .gelu: return Float(geluDerivativeReference(Double(x)))
        }
    }

    /// GELU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 uses:
    /// 0.5·x·(1 + tanh u), u = √(2/π)(x + 0.044715x³), evaluated as x·σ(2u), which is the same
    /// function without the cancellation of 1 + tanh u for negative x (where the textbook form
    /// gives 0 in Double below x ≈ −6 instead of, e.g., −1.3e-28 at x = −9).
    static func geluReference(_ x: Double) -> Double {
        let c = (2.0 / Double.pi).squareRoot()
        let u = c * (x + 0.044715 * x * x * x)
        return x / (1 + exp(-2 * u))
    }

    /// d/dx of `geluReference`: 0.5(1 + tanh u) + 0.5x(1 − tanh²u)u′ = s + 2x·s(1 − s)·u′ with
    /// s = σ(2u).
    static func geluDerivativeReference(_ x: Double) -> Double {
        let c = (2.0 / Double.pi).squareRoot()
        let u = c * (x + 0.044715 * x * x * x)
        let s = 1 / (1 + exp(-2 * u))
        return s + 2 * x * s * (1 - s) * c * (1 + 3 * 0.044715 * x * x)
    }

    // MARK: Checks

    /// Elements per thread below which an elementwise pass stays on one thread.
    static let grain = 1 << 15

    /// Why these operands cannot be used together (their element counts differ), or nil:
    /// (output, input[, derivative]) for the forward, (dInput, dOutput, input, output) for the
    /// backward, (dInput, dOutput, derivative) for the backward from a stored derivative.
    static func countError(_ pass: String, _ m0: Matrix, _ m1: Matrix, _ m2: Matrix? = nil, _ m3: Matrix? = nil) -> String? {
        let count = m0.count
        if m1.count == count && (m2?.count ?? count) == count && (m3?.count ?? count) == count { return nil }
        let labels = pass == "forward" ? ["output", "input", "derivative"]
            : pass == "backward" ? ["dInput", "dOutput", "input", "output"] : ["dInput", "dOutput", "derivative"]
        let shapes = zip(labels, [m0, m1, m2, m3].compactMap { $0 }).map { "\($0.0) \($0.1.shapeDescription)" }
        return "Activation.\(pass): element counts differ: " + shapes.joined(separator: ", ")
    }

    static func biasError(_ pass: String, output: Matrix, input: Matrix, bias: Matrix) -> String? {
        if output.rows == input.rows && output.columns == input.columns && bias.count == output.columns { return nil }
        return "Activation.\(pass): shapes do not agree: output \(output.shapeDescription), input \(input.shapeDescription), bias \(bias.shapeDescription)"
    }

    private func withPointers(_ m0: Matrix, _ m1: Matrix, _ m2: Matrix, _ m3: Matrix,
                              _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                       UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        m0.withUnsafeMutablePointer { p0 in
            m1.withUnsafeMutablePointer { p1 in
                m2.withUnsafeMutablePointer { p2 in
                    m3.withUnsafeMutablePointer { p3 in body(p0, p1, p2, p3) }
                }
            }
        }
    }
}

// MARK: Kernels

/// One nonlinearity on eight lanes. Each kind is its own type so that the loops below are
/// specialised per kind, with no switch inside them.
private protocol ActivationFunction {
    static func value(_ x: Vector8) -> Vector8
    /// dy·f′, with the same operation order as `Activation.referenceBackward` for tanh and ReLU.
    static func backward(_ x: Vector8, _ y: Vector8, _ dy: Vector8) -> Vector8
    /// (f(x), f′(x)), bitwise `value(x)` and the f′ that `backward` multiplies dy by.
    static func valueAndDerivative(_ x: Vector8) -> (Vector8, Vector8)
}

private enum TanhFunction: ActivationFunction {
    @inline(__always) static func value(_ x: Vector8) -> Vector8 { FastMath.tanh(x) }
    @inline(__always) static func backward(_ x: Vector8, _ y: Vector8, _ dy: Vector8) -> Vector8 { dy * (1 - y * y) }
    @inline(__always) static func valueAndDerivative(_ x: Vector8) -> (Vector8, Vector8) {
        let y = value(x)
        return (y, 1 - y * y)
    }
}

private enum ReLUFunction: ActivationFunction {
    @inline(__always) static func value(_ x: Vector8) -> Vector8 { x.replacing(with: 0, where: x .< 0) }
    @inline(__always) static func backward(_ x: Vector8, _ y: Vector8, _ dy: Vector8) -> Vector8 {
        dy * Vector8(repeating: 0).replacing(with: 1, where: x .> 0)
    }
    @inline(__always) static func valueAndDerivative(_ x: Vector8) -> (Vector8, Vector8) {
        (value(x), Vector8(repeating: 0).replacing(with: 1, where: x .> 0))
    }
}

private enum GELUFunction: ActivationFunction {
    @inline(__always) static func value(_ x: Vector8) -> Vector8 { FastMath.gelu(x) }
    @inline(__always) static func backward(_ x: Vector8, _ y: Vector8, _ dy: Vector8) -> Vector8 { dy * FastMath.geluDerivative(x) }
    @inline(__always) static func valueAndDerivative(_ x: Vector8) -> (Vector8, Vector8) { FastMath.geluAndDerivative(x) }
}

/// The backward of a stored derivative: dy·f′ with f′ read from `x`.
private enum StoredDerivative: ActivationFunction {
    @inline(__always) static func value(_ x: Vector8) -> Vector8 { x }
    @inline(__always) static func backward(_ x: Vector8, _ y: Vector8, _ dy: Vector8) -> Vector8 { dy * x }
    @inline(__always) static func valueAndDerivative(_ x: Vector8) -> (Vector8, Vector8) { (x, Vector8(repeating: 1)) }
}

private let storedDerivativeBackward: Parallel.RangeFunction = { context, start, end in
    fusedBackward(StoredDerivative.self, context, start, end)
}

private struct ActivationTasks {
    let forward: Parallel.RangeFunction
    let backward: Parallel.RangeFunction
    let biasForward: Parallel.RangeFunction
    let fusedBackward: Parallel.RangeFunction
    let forwardWithDerivative: Parallel.RangeFunction
}

extension Activation {
    fileprivate var tasks: ActivationTasks {
        switch self {
        case .tanh: return tanhTasks
        case .relu: return reluTasks
        case .gelu: return geluTasks
        }
    }
}

private let tanhTasks = ActivationTasks(
    forward: { context, start, end in elementwiseForward(TanhFunction.self, context, start, end) },
    backward: { context, start, end in elementwiseBackward(TanhFunction.self, context, start, end) },
    biasForward: { context, start, end in biasForward(TanhFunction.self, context, start, end) },
    fusedBackward: { context, start, end in fusedBackward(TanhFunction.self, context, start, end) },
    forwardWithDerivative: { context, start, end in elementwiseForwardWithDerivative(TanhFunction.self, context, start, end) })

private let reluTasks = ActivationTasks(
    forward: { context, start, end in elementwiseForward(ReLUFunction.self, context, start, end) },
    backward: { context, start, end in elementwiseBackward(ReLUFunction.self, context, start, end) },
    biasForward: { context, start, end in biasForward(ReLUFunction.self, context, start, end) },
    fusedBackward: { context, start, end in fusedBackward(ReLUFunction.self, context, start, end) },
    forwardWithDerivative: { context, start, end in elementwiseForwardWithDerivative(ReLUFunction.self, context, start, end) })

private let geluTasks = ActivationTasks(
    forward: { context, start, end in elementwiseForward(GELUFunction.self, context, start, end) },
    backward: { context, start, end in elementwiseBackward(GELUFunction.self, context, start, end) },
    biasForward: { context, start, end in biasForward(GELUFunction.self, context, start, end) },
    fusedBackward: { context, start, end in fusedBackward(GELUFunction.self, context, start, end) },
    forwardWithDerivative: { context, start, end in elementwiseForwardWithDerivative(GELUFunction.self, context, start, end) })

private struct ElementwiseJob {
    /// output (forward) or dInput (backward)
    let out: UnsafeMutablePointer<Float>
    /// input, output, dOutput
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let dy: UnsafeMutablePointer<Float>
}

private struct RowJob {
    let rows: Int
    let columns: Int
    let out: UnsafeMutablePointer<Float>
    let x: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let dy: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Float>?
    let dBias: UnsafeMutablePointer<Float>?
}

@inline(__always)
private func elementwiseForward<F: ActivationFunction>(_: F.Type, _ context: UnsafeMutableRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: ElementwiseJob.self).pointee
    var i = start
    while i &+ 8 <= end {
        store8(F.value(load8(job.x + i)), job.out + i)
        i &+= 8
    }
    if i < end {
        let n = end &- i
        storePartial8(F.value(loadPartial8(job.x + i, n)), job.out + i, n)
    }
}

/// out = f(x) and y = f′(x); y may be x.
@inline(__always)
private func elementwiseForwardWithDerivative<F: ActivationFunction>(_: F.Type, _ context: UnsafeMutableRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: ElementwiseJob.self).pointee
    var i = start
    while i &+ 8 <= end {
        let (value, derivative) = F.valueAndDerivative(load8(job.x + i))
        store8(value, job.out + i)
        store8(derivative, job.y + i)
        i &+= 8
    }
    if i < end {
        let n = end &- i
        let (value, derivative) = F.valueAndDerivative(loadPartial8(job.x + i, n))
        storePartial8(value, job.out + i, n)
        storePartial8(derivative, job.y + i, n)
    }
}

@inline(__always)
private func elementwiseBackward<F: ActivationFunction>(_: F.Type, _ context: UnsafeMutableRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: ElementwiseJob.self).pointee
    var i = start
    while i &+ 8 <= end {
        store8(F.backward(load8(job.x + i), load8(job.y + i), load8(job.dy + i)), job.out + i)
        i &+= 8
    }
    if i < end {
        let n = end &- i
        storePartial8(F.backward(loadPartial8(job.x + i, n), loadPartial8(job.y + i, n), loadPartial8(job.dy + i, n)), job.out + i, n)
    }
}

/// Rows `start..<end`: out = f(x + bias).
@inline(__always)
private func biasForward<F: ActivationFunction>(_: F.Type, _ context: UnsafeMutableRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: RowJob.self).pointee
    let columns = job.columns
    guard let bias = job.bias else { return }
    for row in start..<end {
        let x = job.x + row &* columns, out = job.out + row &* columns
        var j = 0
        while j &+ 8 <= columns {
            store8(F.value(load8(x + j) + load8(bias + j)), out + j)
            j &+= 8
        }
        if j < columns {
            let n = columns &- j
            storePartial8(F.value(loadPartial8(x + j, n) + loadPartial8(bias + j, n)), out + j, n)
        }
    }
}

/// Columns `start..<end`, in strips of 64: for every row in order, dInput = dy·f′, and the running
/// column sums of the strip (0 + row 0 + row 1 + …, as `Reduce.addColumnSums`), added to dBias.
@inline(__always)
private func fusedBackward<F: ActivationFunction>(_: F.Type, _ context: UnsafeMutableRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: RowJob.self).pointee
    guard let dBias = job.dBias else { return }
    let columns = job.columns
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 64) { buffer in
        let sums = buffer.baseAddress!
        var stripStart = start
        while stripStart < end {
            let stripEnd = min(stripStart &+ 64, end)
            sums.update(repeating: 0, count: 64)
            for row in 0..<job.rows {
                var j = stripStart
                while j < stripEnd {
                    let n = min(8, stripEnd &- j)
                    let offset = row &* columns &+ j
                    let sum = sums + (j &- stripStart)
                    if n == 8 {
                        let value = F.backward(load8(job.x + offset), load8(job.y + offset), load8(job.dy + offset))
                        store8(value, job.out + offset)
                        store8(load8(sum) + value, sum)
                    } else {
                        let value = F.backward(loadPartial8(job.x + offset, n), loadPartial8(job.y + offset, n),
                                               loadPartial8(job.dy + offset, n))
                        storePartial8(value, job.out + offset, n)
                        storePartial8(loadPartial8(sum, n) + value, sum, n)
                    }
                    j &+= 8
                }
            }
            for j in stripStart..<stripEnd { dBias[j] = dBias[j] + sums[j &- stripStart] }
            stripStart = stripEnd
        }
    }
}
