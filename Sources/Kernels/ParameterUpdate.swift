// Optimizer updates over flat parameter groups, elementwise. The formulas follow PyTorch's
// `torch.optim.SGD` and `torch.optim.AdamW` step by step, in Float32, so that golden values from
// PyTorch match to rounding.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ParameterUpdate {
    /// SGD with optional momentum, Nesterov and coupled (L2) weight decay, as PyTorch (no dampening):
    ///   g ← grad + weightDecay·p
    ///   v ← momentum·v + g                       (when momentum > 0; v starts at 0)
    ///   g ← nesterov ? g + momentum·v : v
    ///   p ← p − learningRate·g
    public static func sgd(parameters: Matrix, gradients: Matrix, velocity: Matrix?, learningRate: Float,
                           momentum: Float, nesterov: Bool, weightDecay: Float) {
        precondition(parameters.count == gradients.count && (velocity?.count ?? parameters.count) == parameters.count,
                     "ParameterUpdate.sgd: parameters \(parameters.count), gradients \(gradients.count), velocity \(velocity?.count ?? -1)")
        for i in 0..<parameters.count {
            var g = gradients[i]
            if weightDecay != 0 { g += weightDecay * parameters[i] }
            if momentum != 0, let velocity {
                let v = momentum * velocity[i] + g
                velocity[i] = v
                g = nesterov ? g + momentum * v : v
            }
            parameters[i] -= learningRate * g
        }
    }

    /// AdamW (Loshchilov & Hutter 2019): decoupled weight decay, bias-corrected moments.
    ///   p ← p·(1 − learningRate·weightDecay)
    ///   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
    ///   p ← p − learningRate/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
    /// `step` is t, counted from 1.
    public static func adamW(parameters: Matrix, gradients: Matrix, firstMoment: Matrix, secondMoment: Matrix,
                             learningRate: Float, beta1: Float, beta2: Float, epsilon: Float,
                             weightDecay: Float, step: Int) {
        precondition(parameters.count == gradients.count && firstMoment.count == parameters.count && secondMoment.count == parameters.count,
                     "ParameterUpdate.adamW: buffer sizes differ")
        precondition(step >= 1, "ParameterUpdate.adamW: step counts from 1, got \(step)")
        let biasCorrection1 = 1 - Float(pow(Double(beta1), Double(step)))
        let biasCorrection2 = 1 - Float(pow(Double(beta2), Double(step)))
        let stepSize = learningRate / biasCorrection1
        let biasCorrection2Root = biasCorrection2.squareRoot()
        for i in 0..<parameters.count {
            let g = gradients[i]
            parameters[i] *= 1 - learningRate * weightDecay
            let m = beta1 * firstMoment[i] + (1 - beta1) * g
            let v = beta2 * secondMoment[i] + (1 - beta2) * g * g
            firstMoment[i] = m
            secondMoment[i] = v
            let denominator = v.squareRoot() / biasCorrection2Root + epsilon
            parameters[i] -= stepSize * m / denominator
        }
    }
}
