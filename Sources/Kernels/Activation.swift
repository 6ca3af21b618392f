// Elementwise nonlinearities, forward and backward side by side.
//
// Backward takes both the pre-activation `input` and the `output`: tanh's derivative is cheapest
// from the output (1 − y²), GELU's needs the input.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Activation: String, Sendable, CaseIterable, Codable {
    case tanh, relu, gelu

    /// output = f(input), elementwise. `output` may be `input` (in place).
    public func forward(output: Matrix, input: Matrix) {
        precondition(output.count == input.count, "Activation.\(self).forward: output \(output.shapeDescription), input \(input.shapeDescription)")
        for i in 0..<input.count { output[i] = Self.value(self, input[i]) }
    }

    /// dInput = dOutput · f′(input), written (not accumulated). `dInput` may be `dOutput`.
    public func backward(dInput: Matrix, dOutput: Matrix, input: Matrix, output: Matrix) {
        precondition(dInput.count == dOutput.count && input.count == dOutput.count && output.count == dOutput.count,
                     "Activation.\(self).backward: dInput \(dInput.shapeDescription), dOutput \(dOutput.shapeDescription)")
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

    /// GELU, tanh approximation (Hendrycks & Gimpel 2016), as GPT-2 uses.
    static func geluReference(_ x: Double) -> Double {
        let c = (2.0 / Double.pi).squareRoot()
        return 0.5 * x * (1 + Glibc.tanh(c * (x + 0.044715 * x * x * x)))
    }

    static func geluDerivativeReference(_ x: Double) -> Double {
        let c = (2.0 / Double.pi).squareRoot()
        let inner = c * (x + 0.044715 * x * x * x)
        let t = Glibc.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    }
}
