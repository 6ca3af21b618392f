// `descent-bench train`: training throughput of a whole step — batch sampling, forward,
// backward, gradient norm, optimizer update (Training's `TrainingStep`, the trainer's own step) —
// with no I/O, in next-token predictions per second.
//
// Batches are random windows of a seeded random token stream (2,000,000 ids, as the PyTorch
// reference's config C), sampled on the fly like the reference's `X = data[i:i+T], Y = data[i+T]`.
// The optimizer is SGD with momentum 0.9 at a fixed learning rate 0.05, dense over all
// parameters, as in ../shared/bench/torch_lm_bench.py. Timing: warm-up steps, then `--segments`
// segments of at least `--segment-seconds` each; the median segment is reported.
// `--breakdown` times one more segment with the model's phase clock on (MLPModel.phaseTimes):
// the share of step time in gather, products, activation, loss, and the rest of the step
// ("update": the gradient norm, the optimizer update and batch sampling), kept apart from the
// figures above because reading the clock per kernel costs a little.

import ArgumentParser
import Core
import Foundation
import Kernels
import Models
import Optimizers
import Training

struct TrainBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time whole training steps (examples per second and GFLOP/s) for a model shape.",
        discussion: """
            Presets match ../shared/bench/README.md:
              --config A   V 27, T 3, d 10, H 200, B 32
              --config B   V 65, T 16, d 64, H 512, B 256
              --config C   V 4096, T 8, d 64, H 512, B 256
              --config D   V 65, T 32, d 32, H 512, 3 hidden GELU layers, B 256
            Explicit options override a preset. GFLOP/s counts the matrix products of
            the dense step, 6·(T·d·H + (L−1)·H² + H·V) flop per example, as the reference
            does, whichever first-layer path ran (the tables path does fewer flop).
            """)

    @Option(help: "Preset shape: A, B, C or D.")
    var config: String?

    @Option(help: "bigram or mlp.")
    var model = "mlp"

    @Option(help: "Vocabulary size V.")
    var vocab: Int?

    @Option(help: "Context length T (MLP).")
    var context: Int?

    @Option(help: "Embedding width d (MLP).")
    var embedding: Int?

    @Option(help: "Hidden width H (MLP).")
    var hidden: Int?

    @Option(help: "Hidden layers (MLP; default 1, D: 3).")
    var layers: Int?

    @Option(help: "Hidden nonlinearity: tanh, relu or gelu (default tanh, D: gelu).")
    var activation: String?

    @Option(help: "First layer (MLP): auto, dense or tables, as model.firstLayer.")
    var firstLayer = "auto"

    @Option(help: "Dropout rate of the hidden activations (MLP), as model.dropout; each step draws new masks.")
    var dropout: Float = 0

    @Flag(help: "Also print the share of step time per phase: gather, products, activation, loss (the bigram: all of its model), and update (the rest: batch sampling, gradient norm, optimizer).")
    var breakdown = false

    @Option(help: "Batch size B.")
    var batch: Int?

    @Option(help: "Kernel threads.")
    var threads = 2

    @Option(help: "Timed segments; the median is reported.")
    var segments = 5

    @Option(help: "Minimum seconds per segment.")
    var segmentSeconds = 1.0

    @Option(help: "Warm-up seconds before timing.")
    var warmupSeconds = 1.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Run exactly this many steps after warm-up and report nothing but the loss (for allocation counting: scripts/count-allocations.sh).")
    var steps: Int?

    struct Shape {
        var vocab, context, embedding, hidden, batch: Int
        var layers = 1
        var activation = Activation.tanh
    }

    static let presets: [String: Shape] = [
        "A": Shape(vocab: 27, context: 3, embedding: 10, hidden: 200, batch: 32),
        "B": Shape(vocab: 65, context: 16, embedding: 64, hidden: 512, batch: 256),
        "C": Shape(vocab: 4096, context: 8, embedding: 64, hidden: 512, batch: 256),
        "D": Shape(vocab: 65, context: 32, embedding: 32, hidden: 512, batch: 256, layers: 3, activation: .gelu),
    ]

    var shape: Shape {
        var shape = config.flatMap { Self.presets[$0] } ?? Shape(vocab: 65, context: 16, embedding: 64, hidden: 512, batch: 256)
        if let vocab { shape.vocab = vocab }
        if let context { shape.context = context }
        if let embedding { shape.embedding = embedding }
        if let hidden { shape.hidden = hidden }
        if let batch { shape.batch = batch }
        if let layers { shape.layers = layers }
        if let activation, let typed = Activation(rawValue: activation) { shape.activation = typed }
        return shape
    }

    func validate() throws {
        if let config, Self.presets[config] == nil { throw ValidationError("--config must be A, B, C or D, got '\(config)'") }
        if let activation, Activation(rawValue: activation) == nil {
            throw ValidationError("--activation must be tanh, relu or gelu, got '\(activation)'")
        }
        if FirstLayerPath(rawValue: firstLayer) == nil {
            throw ValidationError("--first-layer must be auto, dense or tables, got '\(firstLayer)'")
        }
        if !(0..<1).contains(dropout) { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        guard let type = ModelType(rawValue: model) else { throw ValidationError("--model must be bigram or mlp, got '\(model)'") }
        let s = shape
        if s.vocab < 2 || s.batch < 1 || (type == .mlp && (s.context < 1 || s.embedding < 1 || s.hidden < 1 || s.layers < 1)) {
            throw ValidationError("sizes must be positive (vocab ≥ 2)")
        }
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
        if segments < 1 { throw ValidationError("--segments must be at least 1") }
    }

    struct Report: Encodable {
        let model: String
        let vocab, context, embedding, hidden, layers, batch, threads: Int
        let activation: String
        /// The first-layer path the step ran: dense or tables (MLP), none (bigram).
        let firstLayer: String
        let parameters: Int
        let examplesPerSecond: Double
        let examplesPerSecondMin: Double
        let examplesPerSecondMax: Double
        let millisecondsPerStep: Double
        let flopPerExample: Double
        let gflops: Double
        let segments: [Double]
        /// Share of step time per phase, with `--breakdown`.
        let breakdown: [String: Double]?
    }

    func run() throws {
        Parallel.threadCount = threads
        let type = ModelType(rawValue: model) ?? .mlp
        let s = shape
        let architecture = ModelArchitecture(type: type, vocabularySize: s.vocab, contextLength: s.context,
                                             embeddingSize: s.embedding, hiddenSize: s.hidden, hiddenLayers: s.layers,
                                             activation: s.activation)
        let network = ModelFactory.make(architecture, firstLayer: FirstLayerPath(rawValue: firstLayer) ?? .auto, dropout: dropout)
        let mlp = network as? MLPModel
        let pathRan = mlp?.firstLayerPath(count: s.batch, training: true).rawValue ?? "none"
        network.initializeParameters(seed: 1)
        network.reserve(batchSize: s.batch)
        let settings = OptimizerSettings(kind: .sgd, momentum: 0.9, nesterov: false, weightDecay: 0, decayEmbeddings: false,
                                         beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let trainingStep = TrainingStep(model: network, optimizer: Optimizer(settings: settings, layout: network.layout),
                                        gradientClipNorm: 0)

        let sampler = WindowSampler(vocabularySize: s.vocab, contextLength: architecture.contextLength, batchSize: s.batch)
        var lastLoss = 0.0
        var stepsRun: UInt64 = 0

        func step() {
            // Batch sampling is part of the step, as in the reference.
            sampler.next()
            stepsRun += 1
            lastLoss = trainingStep.run(contexts: sampler.contexts, targets: sampler.targets, count: s.batch, learningRate: 0.05,
                                        dropoutKey: stepsRun).loss
        }

        func timed(seconds: Double) -> (steps: Int, seconds: Double) {
            let start = MonotonicClock.seconds()
            var steps = 0
            repeat { step(); steps += 1 } while MonotonicClock.seconds() - start < seconds
            return (steps, MonotonicClock.seconds() - start)
        }

        _ = timed(seconds: warmupSeconds)
        if let steps {
            for _ in 0..<steps { step() }
            print(String(format: "ran %d steps, last loss %.4f", steps, lastLoss))
            return
        }
        var rates: [Double] = []
        for _ in 0..<segments {
            let (steps, seconds) = timed(seconds: segmentSeconds)
            rates.append(Double(steps * s.batch) / seconds)
        }
        var shares: [String: Double]? = nil
        if breakdown {
            let clock = PhaseTimes()
            network.phaseTimes = clock
            let (_, seconds) = timed(seconds: segmentSeconds)
            network.phaseTimes = nil
            var table: [String: Double] = [:]
            for phase in PhaseTimes.Phase.allCases { table[phase.rawValue] = clock.seconds(phase) / seconds }
            table["update"] = max(0, 1 - clock.seconds.reduce(0, +) / seconds)
            shares = table
        }
        guard lastLoss.isFinite else { throw ValidationError("the benchmark's loss became non-finite; shapes or learning rate are off") }
        let sorted = rates.sorted()
        let median = sorted[sorted.count / 2]
        let flop = Double(6 * architecture.forwardMultiplyAdds)
        let report = Report(model: type.rawValue, vocab: s.vocab, context: architecture.contextLength, embedding: architecture.embeddingSize,
                            hidden: architecture.hiddenSize, layers: architecture.hiddenLayers, batch: s.batch, threads: threads,
                            activation: architecture.activation.rawValue, firstLayer: pathRan,
                            parameters: network.parameterCount, examplesPerSecond: median, examplesPerSecondMin: sorted.first ?? 0,
                            examplesPerSecondMax: sorted.last ?? 0, millisecondsPerStep: Double(s.batch) / median * 1000,
                            flopPerExample: flop, gflops: median * flop / 1e9, segments: rates, breakdown: shares)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            let shapeText = type == .bigram
                ? String(format: "bigram V=%d B=%d threads=%d", s.vocab, s.batch, threads)
                : String(format: "mlp V=%d T=%d d=%d H=%d L=%d %@ B=%d threads=%d, first layer %@", s.vocab, architecture.contextLength,
                         architecture.embeddingSize, architecture.hiddenSize, architecture.hiddenLayers,
                         architecture.activation.rawValue, s.batch, threads, pathRan)
            print(shapeText + String(format: ": %.0f examples/s (min %.0f, max %.0f), %.3f ms/step", median, report.examplesPerSecondMin,
                                     report.examplesPerSecondMax, report.millisecondsPerStep)
                  + (type == .bigram ? "" : String(format: ", %.1f GFLOP/s", report.gflops)))
            if let shares {
                let order = PhaseTimes.Phase.allCases.map(\.rawValue) + ["update"]
                print("breakdown: " + order.map { String(format: "%@ %.1f%%", $0, 100 * (shares[$0] ?? 0)) }.joined(separator: ", "))
            }
        }
    }
}

/// Random training windows `X = stream[i ..< i+T]`, `Y = stream[i+T]` of a seeded random token
/// stream of 2,000,000 ids, as the reference's `get_batch` draws them.
final class WindowSampler {
    let stream: [Int32]
    let contextLength: Int
    let batchSize: Int
    var contexts: [Int32]
    var targets: [Int32]
    private var generator = Xoshiro256(seed: 42)

    init(vocabularySize: Int, contextLength: Int, batchSize: Int) {
        var generator = Xoshiro256(seed: 7)
        stream = (0..<2_000_000).map { _ in Int32(generator.nextInt(below: vocabularySize)) }
        self.contextLength = contextLength
        self.batchSize = batchSize
        contexts = [Int32](repeating: 0, count: batchSize * contextLength)
        targets = [Int32](repeating: 0, count: batchSize)
    }

    func next() {
        let t = contextLength
        let limit = stream.count - t
        stream.withUnsafeBufferPointer { tokens in
            contexts.withUnsafeMutableBufferPointer { x in
                targets.withUnsafeMutableBufferPointer { y in
                    for b in 0..<batchSize {
                        let start = generator.nextInt(below: limit)
                        for j in 0..<t { x[b &* t &+ j] = tokens[start &+ j] }
                        y[b] = tokens[start &+ t]
                    }
                }
            }
        }
    }
}
