// `descent prepare`: text files → tokenizer + compressed token shards + manifest.

import ArgumentParser
import Core
import Data
import Foundation

extension DocumentSplit: ExpressibleByArgument {}

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Tokenize text files into a dataset of compressed token shards.",
        discussion: HelpText.paragraphs(
            """
            Builds a character-level tokenizer from the text (its sorted characters plus a \
            document-boundary token), holds out a seeded validation set, and writes \
            train_NNNNNN.bin.gz / val_NNNNNN.bin.gz shards (gzip of llm.c's shard layout), the \
            tokenizer and a manifest.json with a SHA-256 per shard into DIR.
            """,
            """
            An input may be a directory: its .txt and .gz files, searched recursively, are read \
            in byte order of their paths (hidden names skipped). Documents are encoded and shards \
            compressed on --threads threads; the dataset is the same bytes for any count. On a \
            terminal a progress line shows each pass: bytes read, MB/s, tokens written, ETA.
            """,
            "Re-running replaces a dataset in DIR; a DIR holding anything else is refused.")
            + "\n\n" + """
            Examples:
              descent prepare names.txt --out data/names --split-by lines
              descent prepare tinyshakespeare.txt --out data/shakespeare-char \\
                  --split-by file
              descent prepare corpus/*.txt.gz --out data/mine --split-by paragraphs
              descent prepare books/ --out data/books --split-by file --threads 2
            """
    )

    @Argument(help: ArgumentHelp("UTF-8 text files, gzip-compressed ones (.gz), or directories of them.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: .long, help: ArgumentHelp("Output directory of the dataset (required).", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("split-by"), help: ArgumentHelp("""
        What one document is: 'lines' (each non-empty line, e.g. one name per line), \
        'paragraphs' (text between blank lines) or 'file' (each input file).
        """, valueName: "unit"))
    var splitBy: DocumentSplit = .lines

    @Option(name: .customLong("val-fraction"), help: ArgumentHelp("""
        Fraction held out for validation: whole documents chosen with --seed, or, for a \
        single-document corpus, its last tokens (as nanoGPT). 0 = no validation split.
        """, valueName: "f"))
    var valFraction: Double = 0.1

    @Option(name: .long, help: ArgumentHelp("Seed of the validation-document choice.", valueName: "n"))
    var seed: UInt64 = 1337

    @Option(name: .customLong("shard-tokens"), help: ArgumentHelp("Most tokens per shard; splits are cut into shards of near-equal size.", valueName: "n"))
    var shardTokens: Int = 1_000_000

    @Option(name: .long, help: ArgumentHelp("""
        Threads that encode and compress (default: the processors available to descent).
        """, valueName: "n"))
    var threads: Int?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input file, e.g. `descent prepare names.txt --out data/names`.") }
        if out == nil { throw ValidationError("--out DIR is required: where to write the dataset, e.g. --out data/names.") }
        do { try options.validate() } catch { throw ValidationError(error.description) }
    }

    var options: PrepareOptions {
        PrepareOptions(inputs: inputs, outputDirectory: out ?? "", splitBy: splitBy, valFraction: valFraction, seed: seed,
                       shardTokens: shardTokens, threads: threads ?? PrepareThreads.available)
    }

    func run() throws {
        let started = MonotonicClock.seconds()
        let progress = PrepareProgressLine()
        let summary: PrepareSummary
        do {
            defer { progress.finish() }
            summary = try attempt { try Prepare.run(options, progress: progress.update) }
        }
        let seconds = MonotonicClock.seconds() - started
        let m = summary.manifest
        let rate = seconds > 0 ? Double(summary.inputBytes) / seconds / 1e6 : 0
        print("""
            Prepared \(options.outputDirectory) in \(String(format: "%.2f", seconds)) s \
            (\(m.sources.count) input file(s), \(String(format: "%.1f", Double(summary.inputBytes) / 1e6)) MB, \
            \(String(format: "%.1f", rate)) MB/s on \(options.threads) thread(s))
              vocabulary  \(m.vocabularySize) tokens (\(m.vocabularySize - 1) characters + document boundary)
              train       \(m.splits.train.documents) documents, \(m.splits.train.tokens) tokens, \(m.shards(of: .train).count) shard(s)
              val         \(m.splits.val.documents) documents, \(m.splits.val.tokens) tokens, \(m.shards(of: .val).count) shard(s)
            Next: point a config's data.dir at it and run `descent train CONFIG`.
            """)
    }
}
