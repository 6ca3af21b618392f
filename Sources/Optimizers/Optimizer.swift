// Optimizers over a model's flat parameter buffer: SGD (momentum, Nesterov, weight decay) and
// AdamW, plus global-norm gradient clipping.
//
// State (momentum or Adam moments, step count) lives in buffers with the model's parameter
// layout and serialises to one versioned blob for checkpoints. Weight decay applies to tensors
// of kind `.weight` only; biases never decay, embeddings only when `decayEmbeddings` is set.

import Core
import Kernels
import Parameters

/// Which update rule an optimizer applies. The raw value is the config's spelling.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd, adamw

    /// The kind's code in optimizer state blobs. Checkpoints store it, so a code is never
    /// renumbered or reused; a new kind takes the next unused one.
    public var code: UInt32 {
        switch self {
        case .sgd: return 0
        case .adamw: return 1
        }
    }

    /// The kind stored as `code`, or nil for a code no kind has.
    public init?(code: UInt32) {
        guard let kind = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = kind
    }

    /// The valid codes, for errors: `0 (sgd) or 1 (adamw)`.
    static var codeList: String {
        allCases.map { "\($0.code) (\($0.rawValue))" }.joined(separator: " or ")
    }
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

    /// The weight-decay rate of `tensor`: `weightDecay` for weight matrices, for embedding tables
    /// only with `decayEmbeddings`, never for biases.
    func decay(for tensor: ParameterTensor) -> Double {
        switch tensor.kind {
        case .weight: return settings.weightDecay
        case .bias: return 0
        case .embedding: return settings.decayEmbeddings ? settings.weightDecay : 0
        }
    }

    /// The learning rate AdamW's scalars are computed from: the step's rate rounded to Float32,
    /// then read back as that Float's shortest decimal.
    ///
    /// The rounding keeps AdamW runs bit-compatible with the checkpoints and results of earlier
    /// builds, which computed every AdamW scalar from a Float learning rate. The shortest decimal
    /// keeps a written rate exact: 1e-3 rounds to the Float 0.0010000000475, whose shortest decimal
    /// is 0.001 again, so lr/(1 − β1ᵗ) and 1 − lr·λ are computed in Double from 0.001, as PyTorch
    /// computes them from Python's 1e-3. A scheduled rate with more digits than a Float holds is
    /// taken at Float precision (about 7 significant digits).
    static func adamWLearningRate(_ learningRate: Double) -> Double {
        let rounded = Float(learningRate)
        return Double(rounded.description) ?? Double(rounded)
    }

    /// Applies one update with the given learning rate. Gradients are read, not cleared.
    public func step(parameters: FloatBuffer, gradients: FloatBuffer, learningRate: Double) {
        stepCount += 1
        let lr = Float(learningRate)
        let adamWLearningRate = settings.kind == .adamw ? Self.adamWLearningRate(learningRate) : 0
        for tensor in layout.tensors {
            let p = layout.view(tensor, in: parameters)
            let g = layout.view(tensor, in: gradients)
            switch settings.kind {
            case .sgd:
                ParameterUpdate.sgd(parameters: p, gradients: g, velocity: moments.first.map { layout.view(tensor, in: $0) },
                                    learningRate: lr, momentum: Float(settings.momentum), nesterov: settings.nesterov,
                                    weightDecay: Float(decay(for: tensor)))
            case .adamw:
                ParameterUpdate.adamW(parameters: p, gradients: g, firstMoment: layout.view(tensor, in: moments[0]),
                                      secondMoment: layout.view(tensor, in: moments[1]), learningRate: adamWLearningRate,
                                      beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon,
                                      weightDecay: decay(for: tensor), step: stepCount)
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

    /// Magic, version, kind code, moment count (UInt32 each), step count, floats per moment
    /// (UInt64 each), then each moment buffer as little-endian Float32.
    public func stateBlob() -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 32 + moments.count * layout.count * 4)
        writer.writeHeader(magic: Self.magic, version: Self.version)
        writer.write(settings.kind.code)
        writer.write(UInt32(moments.count))
        writer.write(UInt64(stepCount))
        writer.write(UInt64(layout.count))
        for buffer in moments { buffer.withUnsafeBytes { writer.write(floats: $0) } }
        return writer.bytes
    }

    /// The fixed-size fields at the front of a state blob.
    struct StateHeader {
        let kind: OptimizerKind
        let momentCount: UInt32
        let stepCount: Int
        let floatsPerMoment: UInt64
    }

    static func readHeader(_ reader: inout BinaryReader) throws(BinaryCodecError) -> StateHeader {
        try reader.readMagic(magic)
        try reader.readVersion(version)
        let kindOffset = reader.offset
        let code = try reader.readUInt32()
        guard let kind = OptimizerKind(code: code) else {
            throw reader.invalid("kind code", at: kindOffset, value: code, expected: OptimizerKind.codeList)
        }
        return StateHeader(kind: kind, momentCount: try reader.readUInt32(), stepCount: try reader.readCount64("step count"),
                           floatsPerMoment: try reader.readUInt64())
    }

    /// What a state blob holds, read from its header and checked against its length, without
    /// an optimizer: for checking a checkpoint's parts against each other before building anything.
    public struct StateSummary: Sendable, Equatable {
        public let kind: OptimizerKind
        /// Moment buffers: SGD 0 (no momentum) or 1, AdamW 2.
        public let momentCount: Int
        public let stepCount: Int
        public let floatsPerMoment: Int
    }

    /// Reads and checks a state blob's header and size.
    public static func summary(ofStateBlob bytes: [UInt8]) throws(OptimizerError) -> StateSummary {
        var reader = BinaryReader(bytes, name: "optimizer")
        do throws(BinaryCodecError) {
            let header = try readHeader(&reader)
            let allowed: ClosedRange<UInt32> = header.kind == .adamw ? 2...2 : 0...1
            guard allowed.contains(header.momentCount) else {
                throw reader.invalid("moment count", at: 12, value: header.momentCount,
                                     expected: "\(allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) or \(allowed.upperBound)") for \(header.kind)")
            }
            guard let floats = Int(exactly: header.floatsPerMoment) else {
                throw reader.invalid("values per buffer", at: 24, value: header.floatsPerMoment, expected: "at most \(Int.max)")
            }
            for _ in 0..<header.momentCount { _ = try reader.readFloats(count: floats) }
            try reader.expectEnd()
            return StateSummary(kind: header.kind, momentCount: Int(header.momentCount), stepCount: header.stepCount,
                                floatsPerMoment: floats)
        } catch {
            throw .badState(reason: error.evidence)
        }
    }

    /// Restores state written by `stateBlob` for the same kind and layout. On any error the
    /// optimizer is left as it was.
    public func restore(stateBlob bytes: [UInt8]) throws(OptimizerError) {
        var reader = BinaryReader(bytes, name: "optimizer")
        let header: StateHeader
        do { header = try Self.readHeader(&reader) } catch { throw .badState(reason: error.evidence) }
        guard header.kind == settings.kind else { throw .badState(reason: "saved by \(header.kind), this run uses \(settings.kind)") }
        guard header.momentCount == moments.count else {
            throw .badState(reason: "\(header.momentCount) moment buffers, this configuration needs \(moments.count) (was momentum switched on or off?)")
        }
        guard header.floatsPerMoment == layout.count else {
            throw .badState(reason: "\(header.floatsPerMoment) values per buffer, the model has \(layout.count)")
        }
        var payloads: [ArraySlice<UInt8>] = []
        do throws(BinaryCodecError) {
            for _ in moments { payloads.append(try reader.readFloats(count: layout.count)) }
            try reader.expectEnd()
        } catch {
            throw .badState(reason: error.evidence)
        }
        stepCount = header.stepCount
        for (buffer, payload) in zip(moments, payloads) {
            payload.withUnsafeBytes { buffer.assign(bytes: $0) }
        }
    }
}
