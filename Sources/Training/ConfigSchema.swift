// Every training config key: its type, default, allowed range and meaning, in one table.
//
// The table drives parsing (unknown keys and bad values are rejected with the key and the allowed
// range), `--set KEY=VALUE` overrides, `descent train --help`'s key list and the README. Keys
// marked `fixedOnResume` describe the model's shape or the optimizer's state layout and cannot
// change when a run is resumed.

public struct ConfigKey: Sendable {
    public enum Kind: Sendable {
        case integer(ClosedRange<Int>)
        /// A real number in `range`; `excludesLowerBound` makes the lower end open (e.g. lr > 0).
        case real(ClosedRange<Double>, excludesLowerBound: Bool)
        case boolean
        case text
        case choice([String])
    }

    public let path: String
    public let kind: Kind
    /// nil: required.
    public let defaultValue: JSONValue?
    public let summary: String
    public let fixedOnResume: Bool

    /// The allowed values, as an error message or help text states them.
    public var allowed: String {
        switch kind {
        case .integer(let range):
            return range.upperBound == Int.max ? "an integer ≥ \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        case .real(let range, let open):
            let lower = open ? "> \(format(range.lowerBound))" : "≥ \(format(range.lowerBound))"
            return range.upperBound == .infinity ? "a number \(lower)" : "a number \(lower) and ≤ \(format(range.upperBound))"
        case .boolean: return "true or false"
        case .text: return "a string"
        case .choice(let options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    private func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

public enum ConfigSchema {
    public static let keys: [ConfigKey] = [
        ConfigKey(path: "data.dir", kind: .text, defaultValue: nil,
                  summary: "Prepared dataset directory (output of `descent prepare`), relative to the working directory.", fixedOnResume: true),

        ConfigKey(path: "model.type", kind: .choice(["bigram", "mlp"]), defaultValue: .string("bigram"),
                  summary: "bigram: a V×V logit table. mlp: Bengio-style MLP over a context window.", fixedOnResume: true),
        ConfigKey(path: "model.contextLength", kind: .integer(1...1024), defaultValue: .number(3),
                  summary: "MLP: tokens of context per prediction (makemore: 3; more sees further back).", fixedOnResume: true),
        ConfigKey(path: "model.embeddingSize", kind: .integer(1...4096), defaultValue: .number(10),
                  summary: "MLP: width of each token's embedding.", fixedOnResume: true),
        ConfigKey(path: "model.hiddenSize", kind: .integer(1...16384), defaultValue: .number(200),
                  summary: "MLP: width of each hidden layer.", fixedOnResume: true),
        ConfigKey(path: "model.hiddenLayers", kind: .integer(1...16), defaultValue: .number(1),
                  summary: "MLP: number of hidden Linear + activation layers.", fixedOnResume: true),
        ConfigKey(path: "model.activation", kind: .choice(["tanh", "relu", "gelu"]), defaultValue: .string("tanh"),
                  summary: "MLP: hidden nonlinearity.", fixedOnResume: true),

        ConfigKey(path: "optimizer.type", kind: .choice(["sgd", "adamw"]), defaultValue: .string("sgd"),
                  summary: "sgd: minibatch SGD with optional momentum. adamw: Adam with decoupled weight decay.", fixedOnResume: true),
        ConfigKey(path: "optimizer.learningRate", kind: .real(0...1e6, excludesLowerBound: true), defaultValue: .number(0.1),
                  summary: "Peak learning rate (SGD ~0.05–0.2 for the MLP; AdamW ~1e-3–1e-2).", fixedOnResume: false),
        ConfigKey(path: "optimizer.momentum", kind: .real(0...0.999, excludesLowerBound: false), defaultValue: .number(0),
                  summary: "SGD momentum μ; 0.9 is the classic choice, 0 is plain SGD.", fixedOnResume: false),
        ConfigKey(path: "optimizer.nesterov", kind: .boolean, defaultValue: .bool(false),
                  summary: "SGD: Nesterov momentum (needs momentum > 0).", fixedOnResume: false),
        ConfigKey(path: "optimizer.weightDecay", kind: .real(0...10, excludesLowerBound: false), defaultValue: .number(0),
                  summary: "Weight decay on weight matrices (SGD: L2 added to the gradient; AdamW: decoupled, ~0.01–0.1).", fixedOnResume: false),
        ConfigKey(path: "optimizer.decayEmbeddings", kind: .boolean, defaultValue: .bool(false),
                  summary: "Also decay embedding tables (biases never decay).", fixedOnResume: false),
        ConfigKey(path: "optimizer.beta1", kind: .real(0...0.999999, excludesLowerBound: false), defaultValue: .number(0.9),
                  summary: "AdamW: decay of the first-moment average.", fixedOnResume: false),
        ConfigKey(path: "optimizer.beta2", kind: .real(0...0.999999, excludesLowerBound: false), defaultValue: .number(0.999),
                  summary: "AdamW: decay of the second-moment average (0.95–0.999).", fixedOnResume: false),
        ConfigKey(path: "optimizer.epsilon", kind: .real(0...1, excludesLowerBound: true), defaultValue: .number(1e-8),
                  summary: "AdamW: added to the denominator for stability.", fixedOnResume: false),
        ConfigKey(path: "optimizer.gradientClipNorm", kind: .real(0...1e9, excludesLowerBound: false), defaultValue: .number(0),
                  summary: "Clip gradients to this global L2 norm; 0 turns clipping off (1.0 is common).", fixedOnResume: false),

        ConfigKey(path: "schedule.warmupSteps", kind: .integer(0...Int.max), defaultValue: .number(0),
                  summary: "Linear warmup steps before the cosine decay; must be < training.maxSteps.", fixedOnResume: false),
        ConfigKey(path: "schedule.minLearningRateFraction", kind: .real(0...1, excludesLowerBound: false), defaultValue: .number(0.1),
                  summary: "The cosine decays to this fraction of the peak at maxSteps (nanoGPT: ~0.1).", fixedOnResume: false),

        ConfigKey(path: "training.maxSteps", kind: .integer(1...Int.max), defaultValue: .number(1000),
                  summary: "Optimizer steps in the whole run; may grow on resume.", fixedOnResume: false),
        ConfigKey(path: "training.batchSize", kind: .integer(1...1_048_576), defaultValue: .number(32),
                  summary: "Examples (next-token predictions) per step.", fixedOnResume: false),
        ConfigKey(path: "training.seed", kind: .integer(0...Int.max), defaultValue: .number(1337),
                  summary: "Seeds initialisation and batch order; the same seed gives the same bits.", fixedOnResume: true),
        ConfigKey(path: "training.evalInterval", kind: .integer(0...Int.max), defaultValue: .number(500),
                  summary: "Validation loss every this many steps (and at step 0 and the end); 0 = only at the end.", fixedOnResume: false),
        ConfigKey(path: "training.evalBatches", kind: .integer(0...Int.max), defaultValue: .number(50),
                  summary: "Batches in the fixed validation sample; 0 = the whole validation split.", fixedOnResume: false),
        ConfigKey(path: "training.checkpointInterval", kind: .integer(0...Int.max), defaultValue: .number(1000),
                  summary: "Checkpoint every this many steps (and at the end); 0 = only at the end.", fixedOnResume: false),
        ConfigKey(path: "training.keepCheckpoints", kind: .integer(1...1_000_000), defaultValue: .number(3),
                  summary: "Keep this many newest checkpoints (plus the best by validation loss).", fixedOnResume: false),
        ConfigKey(path: "training.logInterval", kind: .integer(1...Int.max), defaultValue: .number(100),
                  summary: "Progress line and metrics flush every this many steps.", fixedOnResume: false),
    ]

    public static func key(_ path: String) -> ConfigKey? { keys.first { $0.path == path } }

    public static var sections: [String] {
        var seen: [String] = []
        for key in keys {
            let section = String(key.path.split(separator: ".")[0])
            if !seen.contains(section) { seen.append(section) }
        }
        return seen
    }
}
