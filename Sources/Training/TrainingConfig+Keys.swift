// Every training config key, declared once: name, field, default, allowed values, help text and
// whether it may change on resume. Parsing, `--set`, the stored JSON, `descent help train`, the
// README's key table (kept equal by a test) and the resume check all read this list.
//
// The summaries are help text: they say what a key does and give a rule of thumb for its value.

extension TrainingConfig {
    public static let keys: [ConfigKey] = [
        .text("data.dir", \.data.directory, default: nil, fixedOnResume: true,
              "Prepared dataset directory (output of `descent prepare`), relative to the working directory."),

        .choice("model.type", \.model.type, default: .bigram, fixedOnResume: true,
                "bigram: a V×V logit table. mlp: Bengio-style MLP over a context window."),
        .integer("model.contextLength", \.model.contextLength, default: 3, in: 1...1024, fixedOnResume: true,
                 "MLP: tokens of context per prediction (makemore: 3; more sees further back)."),
        .integer("model.embeddingSize", \.model.embeddingSize, default: 10, in: 1...4096, fixedOnResume: true,
                 "MLP: width of each token's embedding."),
        .integer("model.hiddenSize", \.model.hiddenSize, default: 200, in: 1...16384, fixedOnResume: true,
                 "MLP: width of each hidden layer."),
        .integer("model.hiddenLayers", \.model.hiddenLayers, default: 1, in: 1...16, fixedOnResume: true,
                 "MLP: number of hidden Linear + activation layers."),
        .choice("model.activation", \.model.activation, default: .tanh, fixedOnResume: true,
                "MLP: hidden nonlinearity."),
        .choice("model.firstLayer", \.model.firstLayer, default: .auto,
                "MLP: how the first layer is computed. dense: gather the context embeddings, then one product. tables: per-position tables E·W₁ (V×H each), then a gather-sum; cheaper when the vocabulary is small beside the batch. auto: the cheaper by the README's cost model. Same function; the last bits differ."),

        .real("model.dropout", \.model.dropout, default: 0, in: 0...0.9,
              "MLP: probability of zeroing each hidden activation during training (inverted dropout; evaluation and sampling never drop). 0 = off. A regularizer against overfitting (training loss falling while validation rises); it slows learning, so it needs more steps. The masks follow from the seed and the step, so a resumed run draws the same ones."),

        .choice("optimizer.type", \.optimizer.type, default: .sgd, fixedOnResume: true,
                "sgd: minibatch SGD with optional momentum. adamw: Adam with decoupled weight decay."),
        .real("optimizer.learningRate", \.optimizer.learningRate, default: 0.1, in: 0...1e6, excludingLowerBound: true,
              "Peak learning rate (SGD ~0.05–0.2 for the MLP; AdamW ~1e-3–1e-2)."),
        .real("optimizer.momentum", \.optimizer.momentum, default: 0, in: 0...0.999,
              "SGD momentum μ; 0.9 is the classic choice, 0 is plain SGD."),
        .boolean("optimizer.nesterov", \.optimizer.nesterov, default: false,
                 "SGD: Nesterov momentum (needs momentum > 0)."),
        .real("optimizer.weightDecay", \.optimizer.weightDecay, default: 0, in: 0...10,
              "Weight decay on weight matrices (SGD: L2 added to the gradient; AdamW: decoupled, ~0.01–0.1)."),
        .boolean("optimizer.decayEmbeddings", \.optimizer.decayEmbeddings, default: false,
                 "Also decay embedding tables (biases never decay)."),
        .real("optimizer.beta1", \.optimizer.beta1, default: 0.9, in: 0...0.999999,
              "AdamW: decay of the first-moment average."),
        .real("optimizer.beta2", \.optimizer.beta2, default: 0.999, in: 0...0.999999,
              "AdamW: decay of the second-moment average (0.95–0.999)."),
        .real("optimizer.epsilon", \.optimizer.epsilon, default: 1e-8, in: 0...1, excludingLowerBound: true,
              "AdamW: added to the denominator for stability."),
        .real("optimizer.gradientClipNorm", \.optimizer.gradientClipNorm, default: 0, in: 0...1e9,
              "Clip gradients to this global L2 norm; 0 turns clipping off (1.0 is common)."),

        .integer("schedule.warmupSteps", \.schedule.warmupSteps, default: 0, in: 0...Int.max,
                 "Linear warmup steps before the cosine decay; must be < training.maxSteps."),
        .real("schedule.minLearningRateFraction", \.schedule.minLearningRateFraction, default: 0.1, in: 0...1,
              "The cosine decays to this fraction of the peak at maxSteps (nanoGPT: ~0.1)."),

        .integer("training.maxSteps", \.training.maxSteps, default: 1000, in: 1...Int.max,
                 "Optimizer steps in the whole run; may grow on resume."),
        .integer("training.batchSize", \.training.batchSize, default: 32, in: 1...1_048_576,
                 "Examples (next-token predictions) per step."),
        .integer("training.seed", \.training.seed, default: 1337, in: 0...Int.max, fixedOnResume: true,
                 "Seeds initialisation and batch order; the same seed gives the same bits."),
        .integer("training.evalInterval", \.training.evalInterval, default: 500, in: 0...Int.max,
                 "Validation loss every this many steps (and at step 0 and the end); 0 = only at the end."),
        .integer("training.evalBatches", \.training.evalBatches, default: 50, in: 0...Int.max,
                 "Batches in the fixed validation sample; 0 = the whole validation split."),
        .integer("training.checkpointInterval", \.training.checkpointInterval, default: 1000, in: 0...Int.max,
                 "Checkpoint every this many steps (and at the end); 0 = only at the end."),
        .integer("training.keepCheckpoints", \.training.keepCheckpoints, default: 3, in: 1...1_000_000,
                 "Keep this many newest checkpoints (plus the best by validation loss)."),
        .integer("training.logInterval", \.training.logInterval, default: 100, in: 1...Int.max,
                 "Progress line and metrics flush every this many steps."),
        .integer("training.sampleInterval", \.training.sampleInterval, default: 0, in: 0...Int.max,
                 "Print and store 3 samples every this many steps (and at step 0 and the end), same seed each time; 0 = off."),
        .integer("training.sampleTokens", \.training.sampleTokens, default: 100, in: 1...10_000,
                 "Most tokens per sample during training (a sample also ends at a document boundary)."),
        .integer("training.trajectoryPoints", \.training.trajectoryPoints, default: 0, in: 0...1000,
                 "Keep this many float16 snapshots of the weights, evenly spaced from step 0 to maxSteps, for `descent landscape --path`; each costs 2 bytes per parameter in every checkpoint. 0 = off."),
    ]

    /// The key named `path`, if any.
    public static func key(_ path: String) -> ConfigKey? { keys.first { $0.path == path } }

    /// The JSON sections, in declaration order.
    public static var sections: [String] {
        var seen: [String] = []
        for key in keys where !seen.contains(key.section) { seen.append(key.section) }
        return seen
    }
}
