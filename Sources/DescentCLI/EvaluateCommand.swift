// `descent eval`: loss, perplexity and bits per character of a checkpoint on any text file.

import ArgumentParser
import Data
import Foundation
import Store
import Training

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a checkpoint's loss, perplexity and bits per character on text files.",
        discussion: HelpText.paragraphs("""
            The files are read as `descent prepare` reads a corpus (--split-by decides what a \
            document is) and every position is scored, document ends included: the result is the \
            validation loss a dataset prepared from that text would show.
            """)
            + "\n\n" + """
            Examples:
              descent eval names-mlp --text held-out-names.txt --split-by lines
              descent eval shakespeare --text sonnets.txt --split-by file \\
                  --checkpoint best --json
            """
    )

    @Argument(help: ArgumentHelp("The run whose checkpoint to evaluate.", valueName: "run"))
    var runName: String

    @Option(name: .long, help: ArgumentHelp("A UTF-8 text file (or .gz) to score. Repeatable.", valueName: "file"))
    var text: [String] = []

    @Option(name: .customLong("split-by"), help: ArgumentHelp("What one document is: 'lines', 'paragraphs' or 'file' (as in prepare).", valueName: "unit"))
    var splitBy: DocumentSplit = .lines

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Examples scored per batch (affects speed only).", valueName: "n"))
    var batchSize: Int = 256

    @Flag(name: .long, help: "Print a JSON object (loss, perplexity, bitsPerCharacter, tokens, characters, documents, run, step).")
    var json = false

    @OptionGroup var which: CheckpointOption
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if text.isEmpty { throw ValidationError("give the text to score with --text FILE.") }
        if !(1...65_536).contains(batchSize) { throw ValidationError("--batch-size must be in 1...65536, got \(batchSize).") }
    }

    struct Report: Encodable {
        let run: String
        let step: Int
        let loss: Double
        let perplexity: Double
        let bitsPerCharacter: Double
        let tokens: Int
        let characters: Int
        let documents: Int
    }

    func run() throws {
        compute.apply()
        let store = try attempt { try RunStore(path: storeOptions.db, access: .existing) }
        let (loaded, record) = try which.load(runName: runName, store: store, batchSize: batchSize)
        let model = try attempt { try loaded.makeModel() }
        let result = try attempt {
            try Evaluator.evaluate(model: model, tokenizer: loaded.tokenizer, paths: text,
                                   split: splitBy, batchSize: batchSize)
        }
        if json {
            let report = Report(run: runName, step: record.step, loss: result.loss, perplexity: result.perplexity,
                                bitsPerCharacter: result.bitsPerCharacter, tokens: result.tokens, characters: result.characters,
                                documents: result.documents)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(String(format: "%@ (step %d) on %@: loss %.4f nats, perplexity %.3f, %.4f bits per character (%d tokens, %d documents)",
                         runName, record.step, text.joined(separator: ", "), result.loss, result.perplexity,
                         result.bitsPerCharacter, result.tokens, result.documents))
        }
    }
}
