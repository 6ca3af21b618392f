// Optimizers over a model's flat parameter buffer: SGD (momentum, Nesterov, weight decay) and
// AdamW, plus global-norm gradient clipping.
//
// State (momentum or Adam moments, step count) lives in buffers with the model's parameter
// layout and serialises to one versioned blob for checkpoints. Weight decay applies to tensors
// of kind `.weight` only; biases never decay, embeddings only when `decayEmbeddings` is set.

import Kernels
import Parameters

public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd, adamw
}

/// The update rule and its hyperparameters. There are no defaults here: a training config
/// declares them (Training's `TrainingConfig.keys`), and the learning rate comes per step.
public struct OptimizerSettings: Sendable, Equatable {
    public var kind: OptimizerKind
    /// SGD momentum μ (0 = plain SGD).
    public var momentum: Double
    /// Nesterov momentum (Sutskever et al. 2013); needs momentum > 0.
    public var nesterov: Bool
    /// SGD: L2 penalty added to the gradient (coupled). AdamW: decoupled decay rate
    /// (Loshchilov & Hutter 2019).
    public var weightDecay: Double
    /// Whether embedding tables decay too (they usually should not).
    public var decayEmbeddings: Bool
    /// AdamW's moment decays and denominator term (Kingma & Ba 2014).
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(kind: OptimizerKind, momentum: Double, nesterov: Bool, weightDecay: Double, decayEmbeddings: Bool,
                beta1: Double, beta2: Double, epsilon: Double) {
        self.kind = kind
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decayEmbeddings = decayEmbeddings
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

public enum OptimizerError: Error, CustomStringConvertible, Equatable {
    case badState(reason: String)

    public var description: String {
        switch self {
        case .badState(let reason):
            return "optimizer state in the checkpoint is unusable (\(reason)). Resume from another checkpoint or start a new run."
        }
    }
}

/// The outcome of clipping: the norm before clipping and whether it was rescaled.
public struct ClipResult: Sendable, Equatable {
    public let norm: Double
    public let clipped: Bool
}

public final class Optimizer {
    public let settings: OptimizerSettings
    public let layout: ParameterLayout
    /// Steps taken so far (AdamW's t after the step is t = stepCount).
    public private(set) var stepCount: Int = 0
    /// SGD: [velocity]; AdamW: [first moment, second moment]. Same layout as the parameters.
    let moments: [FloatBuffer]

    public init(settings: OptimizerSettings, layout: ParameterLayout) {
        self.settings = settings
        self.layout = layout
        switch settings.kind {
        case .sgd: moments = settings.momentum != 0 ? [layout.makeBuffer()] : []
        case .adamw: moments = [layout.makeBuffer(), layout.makeBuffer()]
        }
    }

    func decay(for tensor: ParameterTensor) -> Float {
        switch tensor.kind {
        case .weight: return Float(settings.weightDecay)
        case .bias: return 0
        case .embedding: return settings.decayEmbeddings ? Float(settings.weightDecay) : 0
        }
    }

    /// Applies one update with the given learning rate. Gradients are read, not cleared.
    public func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Double) {
        stepCount += 1
        let lr = Float(learningRate)
        for tensor in layout.tensors {
            let p = layout.view(tensor, in: parameters)
            let g = layout.view(tensor, in: gradients)
            switch settings.kind {
            case .sgd:
                ParameterUpdate.sgd(parameters: p, gradients: g, velocity: moments.first.map { layout.view(tensor, in: $0) },
                                    learningRate: lr, momentum: Float(settings.momentum), nesterov: settings.nesterov,
                                    weightDecay: decay(for: tensor))
            case .adamw:
                ParameterUpdate.adamW(parameters: p, gradients: g, firstMoment: layout.view(tensor, in: moments[0]),
                                      secondMoment: layout.view(tensor, in: moments[1]), learningRate: lr,
                                      beta1: Float(settings.beta1), beta2: Float(settings.beta2),
                                      epsilon: Float(settings.epsilon), weightDecay: decay(for: tensor), step: stepCount)
            }
        }
    }

    /// The global L2 norm of all gradients; if `maxNorm` > 0 and the norm exceeds it, scales the
    /// gradients by maxNorm / (norm + 1e-6) as `torch.nn.utils.clip_grad_norm_` does.
    public static func clipGradients(_ gradients: FloatBuffer, maxNorm: Double) -> ClipResult {
        let all = Matrix(buffer: gradients, rows: 1, columns: gradients.count)
        let norm = Reduce.sumOfSquares(all).squareRoot()
        guard maxNorm > 0, norm > maxNorm, norm.isFinite else { return ClipResult(norm: norm, clipped: false) }
        Reduce.scale(all, by: Float(maxNorm / (norm + 1e-6)))
        return ClipResult(norm: norm, clipped: true)
    }

    // MARK: Checkpoint state

    static let magic: UInt32 = 0x5450_4F44  // "DOPT" little-endian
    static let version: UInt32 = 1

    /// Magic, version, kind, step count, moment count, float count, then each moment buffer as
    /// little-endian Float32.
    public func stateBlob() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + moments.count * layout.count * 4)
        func put(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put32(Self.magic)
        put32(Self.version)
        put32(settings.kind == .sgd ? 0 : 1)
        put32(UInt32(moments.count))
        put(UInt64(stepCount))
        put(UInt64(layout.count))
        for buffer in moments { buffer.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Restores state written by `stateBlob` for the same kind and layout.
    public func restore(stateBlob bytes: [UInt8]) throws(OptimizerError) {
        let header = 32
        guard bytes.count >= header else { throw .badState(reason: "\(bytes.count) bytes, shorter than its header") }
        func read32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func read64(_ at: Int) -> UInt64 { bytes[at..<(at + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        guard read32(0) == Self.magic else { throw .badState(reason: "bad magic") }
        guard read32(4) == Self.version else { throw .badState(reason: "version \(read32(4)), expected \(Self.version)") }
        let kind: OptimizerKind = read32(8) == 0 ? .sgd : .adamw
        guard kind == settings.kind else { throw .badState(reason: "saved by \(kind), this run uses \(settings.kind)") }
        guard Int(read32(12)) == moments.count else {
            throw .badState(reason: "\(read32(12)) moment buffers, this configuration needs \(moments.count) (was momentum switched on or off?)")
        }
        let floats = Int(read64(24))
        guard floats == layout.count else { throw .badState(reason: "\(floats) values per buffer, the model has \(layout.count)") }
        guard bytes.count == header + moments.count * floats * 4 else { throw .badState(reason: "truncated: \(bytes.count) bytes") }
        stepCount = Int(read64(16))
        bytes.withUnsafeBytes { raw in
            for (index, buffer) in moments.enumerated() {
                let start = header + index * floats * 4
                buffer.assign(bytes: UnsafeRawBufferPointer(rebasing: raw[start..<(start + floats * 4)]))
            }
        }
    }
}
