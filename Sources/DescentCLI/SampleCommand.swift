// `descent sample`: generate text from a run's checkpoint.

import ArgumentParser
import Foundation
import Store
import Training

extension CheckpointSelector: ExpressibleByArgument {
    /// `latest`, `best` or a step number.
    public init?(argument: String) {
        switch argument {
        case "latest": self = .latest
        case "best": self = .best
        default:
            guard let step = Int(argument), step >= 0 else { return nil }
            self = .step(step)
        }
    }

    public var defaultValueDescription: String {
        switch self {
        case .latest: "latest"
        case .best: "best"
        case .step(let step): String(step)
        }
    }
}

/// `--checkpoint latest|best|STEP`, shared by the verbs that read a checkpoint.
struct CheckpointOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Which checkpoint: 'latest', 'best' (lowest validation loss) or a step number.",
                                            valueName: "latest|best|step"))
    var checkpoint: CheckpointSelector = .latest

    /// Loads the selected checkpoint of `runName`, checked, with a warning on stderr when
    /// `latest` or `best` had to fall back past a damaged one.
    func load(runName: String, store: RunStore, batchSize: Int = 1) throws -> (LoadedCheckpoint, CheckpointRecord) {
        let run = try attempt { try store.requireRun(named: runName) }
        let chosen = try CheckpointChoice.load(run: run, checkpoint, store: store, memory: .current(), batchSize: batchSize)
        if let warning = chosen.fallbackWarning(selector: checkpoint, action: "using") { Console.error(warning) }
        return (chosen.loaded, chosen.record)
    }
}

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from a run's checkpoint.",
        discussion: HelpText.paragraphs("""
            Each sample starts like a new document (after the boundary token, then the prompt) \
            and ends at the next document boundary or after --max-tokens. The same --seed gives \
            the same text; sample i does not depend on --num-samples.
            """)
            + "\n\n" + """
            Examples:
              descent sample names-mlp --num-samples 20 --seed 7
              descent sample shakespeare --prompt "ROMEO:" --max-tokens 300 \\
                  --temperature 0.8 --top-k 20
            """
    )

    @Argument(help: ArgumentHelp("The run to sample from.", valueName: "run"))
    var runName: String

    @OptionGroup var which: CheckpointOption

    @Option(name: .long, help: ArgumentHelp("Text to continue; must use only characters of the run's vocabulary.", valueName: "text"))
    var prompt: String = ""

    @Option(name: .customLong("max-tokens"), help: ArgumentHelp("Most tokens to generate per sample.", valueName: "n"))
    var maxTokens: Int = 500

    @Option(name: .long, help: ArgumentHelp("Softmax temperature: below 1 is safer, above 1 wilder, 0 always picks the most likely token.", valueName: "t"))
    var temperature: Double = 1.0

    @Option(name: .customLong("top-k"), help: ArgumentHelp("Sample only among the k most likely tokens (0 = all).", valueName: "k"))
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: ArgumentHelp("Sample only among the most likely tokens whose probabilities sum to p (1 = all).", valueName: "p"))
    var topP: Double = 1.0

    @Option(name: .long, help: ArgumentHelp("Random seed.", valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .customLong("num-samples"), help: ArgumentHelp("How many samples to print.", valueName: "n"))
    var numSamples: Int = 1

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    var options: SamplingOptions {
        var options = SamplingOptions()
        options.maxTokens = maxTokens
        options.temperature = temperature
        options.topK = topK
        options.topP = topP
        options.seed = seed
        options.sampleCount = numSamples
        return options
    }

    func validate() throws {
        do { try Sampler.validate(options) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        compute.apply()
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let (loaded, _) = try which.load(runName: runName, store: store)
        let model = try attempt { try loaded.makeModel() }
        let samples = try attempt { try Sampler.generate(model: model, tokenizer: loaded.tokenizer, prompt: prompt, options: options) }
        let texts = samples.map { prompt + $0.text(loaded.tokenizer) }
        // Multi-line samples (prose) get a separator line; one-line samples (names) one per line.
        let multiline = texts.contains { $0.contains("\n") }
        for (index, text) in texts.enumerated() {
            if multiline && index > 0 { print("\n――――――――――――――――――――") }
            print(text)
        }
    }
}
