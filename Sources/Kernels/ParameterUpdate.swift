// Optimizer updates over flat parameter groups, elementwise, each beside its reference.
//
// The formulas follow PyTorch's `torch.optim.SGD` and `torch.optim.AdamW` (single-tensor CPU
// path, vectorised kernels) operation by operation in Float32, so golden values from PyTorch match
// to the last bit where the operations can be matched:
//   `a.add(b, alpha=s)` is one FMA (a + s·b, PyTorch's `vec::fmadd`); `mul_` then `add_` are two
//   roundings; `lerp_` with weight w < 0.5 is fma(w, end − self, self); `addcmul_`/`addcdiv_`
//   are self + (value·t1)·t2 and self + (value·t1)/t2, unfused, as PyTorch's vector kernels.
// Scalars PyTorch computes in Python (double), such as 1 − lr·wd, lr/(1 − β1ᵗ) and √(1 − β2ᵗ),
// are computed here in Double from Double hyperparameters and rounded to Float once, as PyTorch
// does when it passes them to a Float kernel.
// Elementwise, so any split between threads gives the same bits.
// Deliberately not handled: dampening, maximize, AMSGrad, fused/foreach variants.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ParameterUpdate {
    /// SGD with optional momentum, Nesterov and coupled (L2) weight decay, as PyTorch (no dampening):
    ///   g ← grad + weightDecay·p                       (one FMA)
    ///   v ← momentum·v + g                             (when momentum > 0; v starts at 0)
    ///   g ← nesterov ? g + momentum·v : v              (one FMA)
    ///   p ← p − learningRate·g                         (one FMA)
    /// `velocity` holds v (zeros before the first step); without it the step is plain SGD whatever
    /// `momentum` says.
    public static func sgd(parameters: Matrix, gradients: Matrix, velocity: Matrix?, learningRate: Float,
                           momentum: Float, nesterov: Bool, weightDecay: Float) {
        if let message = sgdError(parameters: parameters, gradients: gradients, velocity: velocity, momentum: momentum) {
            preconditionFailure(message)
        }
        let velocityMatrix = velocity ?? parameters
        parameters.withUnsafeMutablePointer { p in
            gradients.withUnsafeMutablePointer { g in
                velocityMatrix.withUnsafeMutablePointer { v in
                    var job = SGDJob(p: p, g: g, v: v, learningRate: learningRate, momentum: momentum,
                                     usesMomentum: momentum != 0 && velocity != nil, nesterov: nesterov, weightDecay: weightDecay)
                    Parallel.forEachRange(count: parameters.count, grain: updateGrain, context: &job, sgdRange)
                }
            }
        }
    }

    /// AdamW (Loshchilov & Hutter 2019; Kingma & Ba 2014 for the moments): decoupled weight decay,
    /// bias-corrected moments, in PyTorch's order:
    ///   p ← p·(1 − learningRate·weightDecay)
    ///   m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)·g·g
    ///   p ← p − (learningRate/(1 − β1ᵗ))·m / (√v/√(1 − β2ᵗ) + ε)
    /// `step` is t, counted from 1. The moments start at zero.
    /// The hyperparameters are Doubles, as PyTorch receives them from Python.
    public static func adamW(parameters: Matrix, gradients: Matrix, firstMoment: Matrix, secondMoment: Matrix,
                             learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
                             weightDecay: Double, step: Int) {
        if let message = adamWError(parameters: parameters, gradients: gradients, firstMoment: firstMoment,
                                    secondMoment: secondMoment, step: step) {
            preconditionFailure(message)
        }
        let scalars = AdamWScalars(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                   weightDecay: weightDecay, step: step)
        parameters.withUnsafeMutablePointer { p in
            gradients.withUnsafeMutablePointer { g in
                firstMoment.withUnsafeMutablePointer { m in
                    secondMoment.withUnsafeMutablePointer { v in
                        var job = AdamWJob(p: p, g: g, m: m, v: v, scalars: scalars)
                        Parallel.forEachRange(count: parameters.count, grain: updateGrain, context: &job, adamWRange)
                    }
                }
            }
        }
    }

    // MARK: Reference

    /// The plain loop for `sgd`, with the same operation order. The oracle.
    public static func referenceSGD(parameters: Matrix, gradients: Matrix, velocity: Matrix?, learningRate: Float,
                                    momentum: Float, nesterov: Bool, weightDecay: Float) {
        if let message = sgdError(parameters: parameters, gradients: gradients, velocity: velocity, momentum: momentum) {
            preconditionFailure(message)
        }
        for i in 0..<parameters.count {
            var g = gradients[i]
            if weightDecay != 0 { g = g.addingProduct(weightDecay, parameters[i]) }
            if momentum != 0, let velocity {
                let v = momentum * velocity[i] + g
                velocity[i] = v
                g = nesterov ? g.addingProduct(momentum, v) : v
            }
            parameters[i] = parameters[i].addingProduct(-learningRate, g)
        }
    }

    /// The plain loop for `adamW`, with the same operation order. The oracle.
    public static func referenceAdamW(parameters: Matrix, gradients: Matrix, firstMoment: Matrix, secondMoment: Matrix,
                                      learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
                                      weightDecay: Double, step: Int) {
        if let message = adamWError(parameters: parameters, gradients: gradients, firstMoment: firstMoment,
                                    secondMoment: secondMoment, step: step) {
            preconditionFailure(message)
        }
        let s = AdamWScalars(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                             weightDecay: weightDecay, step: step)
        for i in 0..<parameters.count {
            let g = gradients[i]
            let p = parameters[i] * s.decay
            let m0 = firstMoment[i]
            let m = s.lerpWeightIsSmall ? m0.addingProduct(s.lerpWeight, g - m0) : g.addingProduct(s.lerpWeight - 1, g - m0)
            let v = secondMoment[i] * s.beta2 + s.oneMinusBeta2 * g * g
            firstMoment[i] = m
            secondMoment[i] = v
            let denominator = v.squareRoot() / s.biasCorrection2Root + s.epsilon
            parameters[i] = p + s.negativeStepSize * m / denominator
        }
    }

    // MARK: Checks

    static func sgdError(parameters: Matrix, gradients: Matrix, velocity: Matrix?, momentum: Float) -> String? {
        if parameters.count != gradients.count || (velocity.map { $0.count != parameters.count } ?? false) {
            return "ParameterUpdate.sgd: sizes differ: parameters \(parameters.count), gradients \(gradients.count), velocity \(velocity.map { "\($0.count)" } ?? "none")"
        }
        return nil
    }

    static func adamWError(parameters: Matrix, gradients: Matrix, firstMoment: Matrix, secondMoment: Matrix, step: Int) -> String? {
        if gradients.count != parameters.count || firstMoment.count != parameters.count || secondMoment.count != parameters.count {
            return "ParameterUpdate.adamW: sizes differ: parameters \(parameters.count), gradients \(gradients.count), first moment \(firstMoment.count), second moment \(secondMoment.count)"
        }
        if step < 1 { return "ParameterUpdate.adamW: step counts from 1, got \(step)" }
        return nil
    }

    static let updateGrain = 1 << 16
}

/// AdamW's per-step scalars: computed in Double, as Python does, then rounded to Float once.
struct AdamWScalars {
    let decay: Float
    let lerpWeight: Float
    let lerpWeightIsSmall: Bool
    let beta2: Float
    let oneMinusBeta2: Float
    let biasCorrection2Root: Float
    let epsilon: Float
    let negativeStepSize: Float

    init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, step: Int) {
        let biasCorrection1 = 1 - pow(beta1, Double(step))
        let biasCorrection2 = 1 - pow(beta2, Double(step))
        decay = Float(1 - learningRate * weightDecay)
        lerpWeight = Float(1 - beta1)
        lerpWeightIsSmall = abs(lerpWeight) < 0.5
        self.beta2 = Float(beta2)
        oneMinusBeta2 = Float(1 - beta2)
        biasCorrection2Root = Float(biasCorrection2.squareRoot())
        self.epsilon = Float(epsilon)
        negativeStepSize = Float(-(learningRate / biasCorrection1))
    }
}

private struct SGDJob {
    let p: UnsafeMutablePointer<Float>
    let g: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let learningRate: Float
    let momentum: Float
    let usesMomentum: Bool
    let nesterov: Bool
    let weightDecay: Float
}

@inline(__always)
private func sgdStep(_ p: Vector8, _ g0: Vector8, _ v0: Vector8, _ job: SGDJob) -> (p: Vector8, v: Vector8) {
    var g = g0
    if job.weightDecay != 0 { g = g.addingProduct(Vector8(repeating: job.weightDecay), p) }
    var v = v0
    if job.usesMomentum {
        v = v0 * job.momentum + g
        g = job.nesterov ? g.addingProduct(Vector8(repeating: job.momentum), v) : v
    }
    return (p.addingProduct(Vector8(repeating: -job.learningRate), g), v)
}

private let sgdRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: SGDJob.self).pointee
    var i = start
    while i &+ 8 <= end {
        let (p, v) = sgdStep(load8(job.p + i), load8(job.g + i), job.usesMomentum ? load8(job.v + i) : Vector8(), job)
        store8(p, job.p + i)
        if job.usesMomentum { store8(v, job.v + i) }
        i &+= 8
    }
    if i < end {
        let n = end &- i
        let (p, v) = sgdStep(loadPartial8(job.p + i, n), loadPartial8(job.g + i, n),
                             job.usesMomentum ? loadPartial8(job.v + i, n) : Vector8(), job)
        storePartial8(p, job.p + i, n)
        if job.usesMomentum { storePartial8(v, job.v + i, n) }
    }
}

private struct AdamWJob {
    let p: UnsafeMutablePointer<Float>
    let g: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let scalars: AdamWScalars
}

@inline(__always)
private func adamWStep(_ p0: Vector8, _ g: Vector8, _ m0: Vector8, _ v0: Vector8, _ s: AdamWScalars)
    -> (p: Vector8, m: Vector8, v: Vector8) {
    let p = p0 * s.decay
    let m = s.lerpWeightIsSmall
        ? m0.addingProduct(Vector8(repeating: s.lerpWeight), g - m0)
        : g.addingProduct(Vector8(repeating: s.lerpWeight - 1), g - m0)
    let v = v0 * s.beta2 + g * s.oneMinusBeta2 * g
    // v ≥ 0: a running mean of squares.
    let denominator = squareRootOfNonNegative(v) / s.biasCorrection2Root + s.epsilon
    return (p + m * s.negativeStepSize / denominator, m, v)
}

private let adamWRange: Parallel.RangeFunction = { context, start, end in
    let job = context.assumingMemoryBound(to: AdamWJob.self).pointee
    let s = job.scalars
    var i = start
    while i &+ 8 <= end {
        let (p, m, v) = adamWStep(load8(job.p + i), load8(job.g + i), load8(job.m + i), load8(job.v + i), s)
        store8(p, job.p + i); store8(m, job.m + i); store8(v, job.v + i)
        i &+= 8
    }
    if i < end {
        let n = end &- i
        let (p, m, v) = adamWStep(loadPartial8(job.p + i, n), loadPartial8(job.g + i, n),
                                  loadPartial8(job.m + i, n), loadPartial8(job.v + i, n), s)
        storePartial8(p, job.p + i, n); storePartial8(m, job.m + i, n); storePartial8(v, job.v + i, n)
    }
}
