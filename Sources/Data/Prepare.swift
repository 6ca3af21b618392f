// `descent prepare`: text files in, a dataset directory out (tokenizer.json, gzip shards,
// manifest.json), in four phases, each its own type, all through the `Tokenizer` protocol:
//
//   (a) fit     CorpusFit: read the inputs, feed the tokenizer trainer, count documents.
//   (b) plan    SplitPlan: choose the validation documents (needs only the document count).
//   (c) encode  SplitEncoder: read the inputs again, encode each document, route its tokens to
//               its split's stream, spooled raw to a file in the staging directory.
//   (d) shards  ShardWriter: cut each spool into near-equal shards and gzip them.
//
// Streams are spooled because shard sizes, and a one-document corpus's validation cut, depend on
// the streams' lengths, which a general tokenizer tells only by encoding. Memory stays bounded
// whatever the corpus size: documents stream in pieces, the validation choice is drawn as documents
// come, and tokens go to disk. Disk: the spools take 2 bytes a token (4 above 65,535 ids) until the
// shards are written. Not handled: deduplication, filtering, and inputs that change between the
// passes (detected and reported as `inputChanged`, never silently mixed).
import Foundation
import Tokenizers

/// Options of `descent prepare`.
public struct PrepareOptions: Sendable, Equatable {
    /// Text files (UTF-8), plain or gzip-compressed, in order; a directory stands for its `.txt`
    /// and `.gz` files (`InputFiles.expand`).
    public var inputs: [String]
    public var outputDirectory: String
    public var splitBy: DocumentSplit
    /// Fraction of documents (or, for a one-document corpus, of tokens) held out for validation,
    /// in [0, 1). nanoGPT and makemore use 0.1.
    public var valFraction: Double
    /// Seeds the choice of validation documents.
    public var seed: UInt64
    /// Upper bound of tokens per shard file. llm.c uses 100M-token shards for GPT-2 corpora. The
    /// default 2M keeps a shard at 8 MB of tokens in the loader's memory (two at most are held) and
    /// a corpus of a couple of MB in one shard: the loader permutes windows within a shard, so cutting a
    /// small corpus into shards would only train on one part of it at a time.
    public var shardTokens: Int
    /// The tokenizer to fit to the corpus.
    public var tokenizer: TokenizerKind
    /// BPE: vocabulary size (`<|endoftext|>` included) and pre-tokenization pattern.
    public var vocabularySize: Int = TokenizerSettings.defaultVocabularySize
    public var splitPattern: SplitPattern = .gpt4
    /// A dataset directory (or tokenizer file) whose tokenizer encodes the inputs instead of a
    /// fitted one, so that a model can be fine-tuned on new text with its vocabulary.
    public var tokenizerFrom: String?
    /// Threads that encode documents and compress shards; the output is the same bytes for any count.
    public var threads: Int
    /// zlib level of the shards (`ShardFormat.compressionLevels`); it changes their size and the
    /// time `prepare` takes, not the tokens.
    public var compressionLevel = ShardFormat.defaultCompressionLevel
    /// Text per encoding job; tests make it small to get many jobs from a small corpus.
    var chunkBytes = SplitEncoder.chunkBytes

    /// Allowed `shardTokens`: at least 1,024 (smaller only multiplies files), at most 1,000,000,000
    /// (the header stores the count as int32, and a loader holds one shard in memory).
    public static let shardTokensRange = 1_024...1_000_000_000

    public init(inputs: [String], outputDirectory: String, splitBy: DocumentSplit = .lines,
                valFraction: Double = 0.1, seed: UInt64 = 1337, shardTokens: Int = 2_000_000,
                tokenizer: TokenizerKind = .character, threads: Int = PrepareThreads.available) {
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.splitBy = splitBy
        self.valFraction = valFraction
        self.seed = seed
        self.shardTokens = shardTokens
        self.tokenizer = tokenizer
        self.threads = threads
    }

    /// Throws `badOption` naming the first option out of range.
    public func validate() throws(DataError) {
        guard !inputs.isEmpty else { throw .badOption(name: "INPUT", value: "(none)", allowed: "at least one input file") }
        guard !outputDirectory.isEmpty else { throw .badOption(name: "--out", value: "\"\"", allowed: "a directory path") }
        guard valFraction.isFinite, valFraction >= 0, valFraction < 1 else {
            throw .badOption(name: "--val-fraction", value: "\(valFraction)", allowed: "a number in [0, 1), e.g. 0.1")
        }
        guard Self.shardTokensRange.contains(shardTokens) else {
            throw .badOption(name: "--shard-tokens", value: "\(shardTokens)", allowed: "an integer in [1024, 1000000000]")
        }
        guard ShardFormat.compressionLevels.contains(compressionLevel) else {
            let levels = ShardFormat.compressionLevels
            throw .badOption(name: "--compression-level", value: "\(compressionLevel)",
                             allowed: "an integer in [\(levels.lowerBound), \(levels.upperBound)]: 1 fastest, 9 smallest")
        }
        if tokenizer == .bytePair && tokenizerFrom == nil {
            let sizes = BytePairOptions.minimumVocabularySize...BytePairOptions.maximumVocabularySize
            guard sizes.contains(vocabularySize) else {
                throw .badOption(name: "--vocab-size", value: "\(vocabularySize)",
                                 allowed: "an integer in [\(sizes.lowerBound), \(sizes.upperBound)]: 256 bytes + merges + <|endoftext|>, e.g. 1024")
            }
        }
        guard PrepareThreads.range.contains(threads) else {
            throw .badOption(name: "--threads", value: "\(threads)",
                             allowed: "an integer in [\(PrepareThreads.range.lowerBound), \(PrepareThreads.range.upperBound)]")
        }
    }
}

/// Progress of `Prepare.run`, after each read of input (about 1 MiB) and after each shard written.
public struct PrepareProgress: Sendable, Equatable {
    /// The passes of `prepare`, in order.
    public enum Phase: Int, Sendable, CaseIterable {
        /// (a) Reading the inputs to fit the tokenizer and count documents.
        case fitting = 1
        /// (c) Reading the inputs again and encoding them into the split streams.
        case encoding
        /// (d) Compressing the streams into shards.
        case compressing
    }

    public var phase: Phase
    /// The input being read (fitting, encoding).
    public var path: String?
    /// Input file bytes read in this pass, over all inputs, and their total.
    public var bytesRead: Int
    public var inputBytes: Int
    /// Tokens spooled (encoding) or compressed into shards (compressing), and, when compressing,
    /// the total.
    public var tokensWritten: Int
    public var tokenCount: Int?

    public init(phase: Phase, path: String?, bytesRead: Int, inputBytes: Int, tokensWritten: Int, tokenCount: Int?) {
        self.phase = phase
        self.path = path
        self.bytesRead = bytesRead
        self.inputBytes = inputBytes
        self.tokensWritten = tokensWritten
        self.tokenCount = tokenCount
    }
}

/// What `Prepare.run` wrote.
public struct PrepareSummary: Sendable, Equatable {
    public struct Split: Sendable, Equatable {
        public var documents: Int
        /// Stream length, boundaries included.
        public var tokens: Int
        public var examples: Int
        /// Shard file names, in order.
        public var shardFiles: [String]
        /// Compressed bytes of the shards.
        public var bytes: Int
    }

    public var outputDirectory: String
    public var vocabularySize: Int
    public var holdout: ValidationHoldout
    public var train: Split
    public var val: Split
    /// Bytes of the inputs on disk, and of their text.
    public var inputBytes: Int
    public var textBytes: Int
    /// Bytes of every file written (shards, tokenizer, manifest).
    public var writtenBytes: Int
    /// An existing dataset in `outputDirectory` was replaced.
    public var replacedDataset: Bool
    public var manifest: DatasetManifest
    /// The tokenizer the dataset was encoded with.
    public var tokenizer: any Tokenizer

    public static func == (lhs: PrepareSummary, rhs: PrepareSummary) -> Bool {
        lhs.outputDirectory == rhs.outputDirectory && lhs.vocabularySize == rhs.vocabularySize && lhs.holdout == rhs.holdout
            && lhs.train == rhs.train && lhs.val == rhs.val && lhs.inputBytes == rhs.inputBytes && lhs.textBytes == rhs.textBytes
            && lhs.writtenBytes == rhs.writtenBytes && lhs.replacedDataset == rhs.replacedDataset && lhs.manifest == rhs.manifest
    }
}

/// The prepare pipeline.
public enum Prepare {
    /// Reads the inputs and writes a dataset to `options.outputDirectory`. On error nothing is left
    /// behind and an existing dataset there is untouched.
    @discardableResult
    public static func run(_ options: PrepareOptions, progress: ((PrepareProgress) -> Void)? = nil) throws(DataError) -> PrepareSummary {
        try options.validate()
        let inputs = try InputFiles.expand(options.inputs)
        for input in inputs { try FileSystem.checkInputFile(input) }
        if try OutputStaging.checkOutput(options.outputDirectory) {
            try checkInputsOutside(options.inputs + inputs, output: options.outputDirectory)
        }
        let threads = options.threads

        // Bytes of the inputs before input `i`, so that progress counts over all inputs.
        var offsets = [0]
        for input in inputs { offsets.append(offsets.last! + FileSystem.fileSize(input)) }
        let inputBytes = offsets.last!
        let existing = try options.tokenizerFrom.map { (from) throws(DataError) in try TokenizerFile.load(datasetOrFile: from) }
        let settings = TokenizerSettings(vocabularySize: options.vocabularySize, splitPattern: options.splitPattern, threads: threads)
        let fit = try CorpusFit.run(inputs: inputs, split: options.splitBy, kind: options.tokenizer, settings: settings,
                                    existing: existing) { index, read, _ in
            progress?(PrepareProgress(phase: .fitting, path: inputs[index], bytesRead: offsets[index] + read,
                                      inputBytes: inputBytes, tokensWritten: 0, tokenCount: nil))
        }
        guard fit.documents > 0 else { throw .emptyCorpus(inputs: inputs) }
        let tokenizer = fit.tokenizer
        let vocabularySize = tokenizer.vocabularySize
        let plan = SplitPlan(documents: fit.documents, valFraction: options.valFraction, seed: options.seed)

        let staging = try OutputStaging.begin(outputDirectory: options.outputDirectory)
        do {
            let (tokenizerSHA, tokenizerBytes) = try DatasetFiles.writeTokenizer(tokenizer, staging: staging)
            let streams = try SplitEncoder.encode(
                inputs: inputs, split: options.splitBy, tokenizer: tokenizer, plan: plan, digests: fit.digests,
                directory: staging.stagingDirectory, threads: threads, chunkBytes: options.chunkBytes) { index, read, _, tokens in
                progress?(PrepareProgress(phase: .encoding, path: inputs[index], bytesRead: offsets[index] + read,
                                          inputBytes: inputBytes, tokensWritten: tokens, tokenCount: nil))
            }
            let splits = [(DatasetSplit.train, streams.train), (.val, streams.val)].map { split, spool in
                ShardWriter.Split(split: split, spool: spool,
                                  sizes: ShardFormat.shardSizes(totalTokens: spool.count, shardTokens: options.shardTokens))
            }
            let tokenCount = streams.train.count + streams.val.count
            var tokensCompressed = 0
            progress?(PrepareProgress(phase: .compressing, path: nil, bytesRead: inputBytes, inputBytes: inputBytes,
                                      tokensWritten: 0, tokenCount: tokenCount))
            let shards = try ShardWriter.write(splits, directory: staging.stagingDirectory, threads: threads,
                                               compressionLevel: options.compressionLevel) { split, index in
                tokensCompressed += splits.first { $0.split == split }!.sizes[index]
                progress?(PrepareProgress(phase: .compressing, path: nil, bytesRead: inputBytes, inputBytes: inputBytes,
                                          tokensWritten: tokensCompressed, tokenCount: tokenCount))
            }
            let trainTokens = streams.train.count, valTokens = streams.val.count
            try streams.remove()
            let train = shards.filter { $0.split == .train }, val = shards.filter { $0.split == .val }

            let trainInfo = DatasetManifest.SplitInfo(documents: plan.trainDocuments, tokens: trainTokens,
                                                      examples: max(0, trainTokens - 1))
            let valInfo = DatasetManifest.SplitInfo(documents: plan.valDocuments, tokens: valTokens,
                                                    examples: max(0, valTokens - 1))
            let manifest = DatasetManifest(
                format: DatasetManifest.format, version: DatasetManifest.currentVersion, generator: "descent prepare",
                tokenizer: TokenizerFile.defaultFileName, tokenizerSHA256: tokenizerSHA, tokenizerType: tokenizer.typeName,
                vocabularySize: vocabularySize, boundaryToken: tokenizer.boundaryToken,
                tokenBytes: ShardFormat.tokenBytes(vocabularySize: vocabularySize),
                splitBy: options.splitBy, valFraction: options.valFraction, holdout: plan.holdout, seed: options.seed,
                shardTokens: options.shardTokens, compressionLevel: options.compressionLevel, sources: fit.sources,
                splits: .init(train: trainInfo, val: valInfo), shards: shards)
            let manifestBytes = try DatasetFiles.writeManifest(manifest, staging: staging)
            try staging.commit()

            func summary(_ info: DatasetManifest.SplitInfo, _ shards: [DatasetManifest.Shard]) -> PrepareSummary.Split {
                .init(documents: info.documents, tokens: info.tokens, examples: info.examples,
                      shardFiles: shards.map(\.file), bytes: shards.reduce(0) { $0 + $1.bytes })
            }
            let trainSummary = summary(trainInfo, train), valSummary = summary(valInfo, val)
            return PrepareSummary(
                outputDirectory: staging.outputDirectory, vocabularySize: vocabularySize, holdout: plan.holdout,
                train: trainSummary, val: valSummary,
                inputBytes: fit.sources.reduce(0) { $0 + $1.bytes }, textBytes: fit.sources.reduce(0) { $0 + $1.textBytes },
                writtenBytes: trainSummary.bytes + valSummary.bytes + manifestBytes + tokenizerBytes,
                replacedDataset: staging.replacesDataset, manifest: manifest, tokenizer: tokenizer)
        } catch {
            staging.abandon()
            throw error
        }
    }

    /// Replacing a dataset deletes its directory: refuse when an input lives inside it.
    private static func checkInputsOutside(_ inputs: [String], output: String) throws(DataError) {
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        let directory = resolved(output) + "/"
        for input in inputs where resolved(input).hasPrefix(directory) {
            throw .badOption(name: "--out", value: output,
                             allowed: "a directory that does not contain the inputs (\(input) is inside it and would be deleted)")
        }
    }
}
