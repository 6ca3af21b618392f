// `descent prepare`: text files → tokenizer + compressed token shards + manifest.

import ArgumentParser
import Core
import Data
import Foundation
import Tokenizers
import Store

extension DocumentSplit: ExpressibleByArgument {}
extension SplitPattern: ExpressibleByArgument {}

extension TokenizerKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(optionName: argument) }
    public var defaultValueDescription: String { optionName }
    public static var allValueStrings: [String] { allCases.map(\.optionName) }
    public static var allValueDescriptions: [String: String] {
        ["char": "one id per character of the corpus", "bpe": "byte-level BPE of --vocab-size ids"]
    }
}

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Tokenize text files into a dataset of compressed token shards.",
        discussion: HelpText.paragraphs(
            """
            Fits a tokenizer to the text, holds out a seeded validation set, and writes \
            train_NNNNNN.bin.gz / val_NNNNNN.bin.gz shards (gzip of llm.c's shard layout), the \
            tokenizer and a manifest.json with a SHA-256 per shard into DIR.
            """,
            """
            Tokenizers: 'char' (default) gives one id per character of the corpus plus a \
            document-boundary token. 'bpe' trains a byte-level BPE to --vocab-size ids: 256 bytes, \
            the learnt merges, then <|endoftext|> as the document boundary; text is first cut by \
            tiktoken's GPT-4 (cl100k) or GPT-2 pattern (--split-pattern). 1024 suits \
            tinyshakespeare; GPT-2 used 50257. --tokenizer-from DIR encodes with an existing \
            dataset's tokenizer instead, so that a model trained on it can be fine-tuned on the \
            new text (descent train --init-from).
            """,
            """
            An input may be a directory: its .txt and .gz files, searched recursively, are read \
            in byte order of their paths (hidden names skipped). Documents are encoded and shards \
            compressed on --threads threads; the dataset is the same bytes for any count. On a \
            terminal a progress line shows each pass: bytes read, MB/s, tokens written, ETA.
            """,
            """
            A DIR that already holds a dataset is replaced only with --overwrite (the runs \
            trained on it can then no longer resume; the refusal names them); a DIR holding \
            anything else is refused.
            """)
            + "\n\n" + """
            Examples:
              descent prepare names.txt --out data/names --split-by lines
              descent prepare tinyshakespeare.txt --out data/shakespeare-char \\
                  --split-by file
              descent prepare corpus/*.txt.gz --out data/mine --split-by paragraphs
              descent prepare books/ --out data/books --split-by file --threads 2
              descent prepare tinyshakespeare.txt --out data/shakespeare-bpe \\
                  --split-by file --tokenizer bpe --vocab-size 1024
              descent prepare more.txt --out data/more --split-by file \\
                  --tokenizer-from data/shakespeare-bpe
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
    var shardTokens: Int = 2_000_000

    @Option(name: .customLong("compression-level"), help: ArgumentHelp("""
        zlib level of the shards, 1 (fastest) to 9 (smallest). The default \(ShardFormat.defaultCompressionLevel) \
        compresses character tokens about 1.5x as fast as level 4, for shards about 11% larger.
        """, valueName: "n"))
    var compressionLevel: Int = ShardFormat.defaultCompressionLevel

    @Option(name: .long, help: ArgumentHelp("""
        Threads that encode and compress (default: the processors available to descent).
        """, valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("The tokenizer to fit (default: char).", valueName: "kind"))
    var tokenizer: TokenizerKind?

    @Option(name: .customLong("vocab-size"), help: ArgumentHelp("""
        BPE vocabulary size, <|endoftext|> included: at least 257 (the 256 bytes + the boundary). \
        Default \(TokenizerSettings.defaultVocabularySize).
        """, valueName: "n"))
    var vocabularySize: Int?

    @Option(name: .customLong("split-pattern"), help: ArgumentHelp("""
        BPE pre-tokenization: 'gpt4' (tiktoken's cl100k pattern, the default) or 'gpt2'.
        """, valueName: "pattern"))
    var splitPattern: SplitPattern?

    @Option(name: .customLong("tokenizer-from"), help: ArgumentHelp("""
        Encode with the tokenizer of this prepared dataset (or tokenizer.json) instead of fitting one.
        """, valueName: "dir"))
    var tokenizerFrom: String?

    @Flag(name: .long, help: "Replace a dataset already in --out.")
    var overwrite = false

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if tokenizerFrom != nil && (tokenizer != nil || vocabularySize != nil || splitPattern != nil) {
            throw ValidationError("--tokenizer-from uses that dataset's tokenizer as it is; drop --tokenizer, --vocab-size and --split-pattern.")
        }
        if tokenizer != .bytePair && tokenizerFrom == nil && (vocabularySize != nil || splitPattern != nil) {
            throw ValidationError("--vocab-size and --split-pattern apply to the BPE tokenizer: add --tokenizer bpe.")
        }
        if inputs.isEmpty { throw ValidationError("give at least one input file, e.g. `descent prepare names.txt --out data/names`.") }
        if out == nil { throw ValidationError("--out DIR is required: where to write the dataset, e.g. --out data/names.") }
        do { try options.validate() } catch { throw ValidationError(error.description) }
    }

    var options: PrepareOptions {
        var options = PrepareOptions(inputs: inputs, outputDirectory: out ?? "", splitBy: splitBy, valFraction: valFraction, seed: seed,
                                     shardTokens: shardTokens, tokenizer: tokenizer ?? .character,
                                     threads: threads ?? PrepareThreads.available)
        options.vocabularySize = vocabularySize ?? TokenizerSettings.defaultVocabularySize
        options.splitPattern = splitPattern ?? .gpt4
        options.tokenizerFrom = tokenizerFrom
        options.compressionLevel = compressionLevel
        return options
    }

    func run() throws {
        if !overwrite { try refuseToReplaceADataset() }
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
              vocabulary  \(m.vocabularySize) tokens (\(Self.vocabularyParts(summary.tokenizer)))
              train       \(m.splits.train.documents) documents, \(m.splits.train.tokens) tokens, \(m.shards(of: .train).count) shard(s)
              val         \(m.splits.val.documents) documents, \(m.splits.val.tokens) tokens, \(m.shards(of: .val).count) shard(s)
            Next: point a config's data.dir at it and run `descent train CONFIG`.
            """)
    }

    /// A dataset in --out is replaced only with --overwrite: runs trained on it would find
    /// other data on resume. The runs of the --db that use it are named.
    private func refuseToReplaceADataset() throws {
        let directory = options.outputDirectory
        let manifest = (directory as NSString).appendingPathComponent(DatasetManifest.fileName)
        guard FileManager.default.fileExists(atPath: manifest) else { return }
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        var users: [String] = []
        if let store = try? RunStore(path: storeOptions.db, access: .existing), let runs = try? store.runs() {
            users = runs.filter { URL(fileURLWithPath: $0.dataDirectory).standardizedFileURL.path == target }.map(\.name)
        }
        let usage = users.isEmpty
            ? "no run in \(storeOptions.db) uses it"
            : "run\(users.count == 1 ? "" : "s") \(users.map { "'\($0)'" }.joined(separator: ", ")) in \(storeOptions.db) trained on it and could no longer resume"
        throw CommandFailure(message: "\(directory) already holds a dataset (\(usage)). Pass --overwrite to replace it, or choose another --out.", code: 1)
    }

    /// What the ids of a tokenizer are, for the summary.
    static func vocabularyParts(_ tokenizer: any Tokenizer) -> String {
        if let bpe = tokenizer as? BytePairTokenizer {
            return "256 bytes + \(bpe.merges.count) merges + \(BytePairTokenizer.endOfText), \(bpe.pattern.rawValue) pattern"
        }
        return "\(tokenizer.vocabularySize - 1) characters + document boundary"
    }
}
