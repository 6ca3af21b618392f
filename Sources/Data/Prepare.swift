// `descent prepare`: text files in, a dataset directory out (tokenizer.json, gzip shards,
// manifest.json). Two streaming passes over the inputs, so memory stays bounded whatever the
// corpus size:
//
//   pass 1: decode and segment every input; collect the set of scalars (the vocabulary), count
//           documents and record each document's length (a LEB128 varint, ~1-2 bytes a document);
//           then choose the validation documents and size both splits' streams.
//   pass 2: decode again, tokenize, and route each document's tokens to its split's shard writer.
//
// Split streams: B d1 B d2 … B dn B (every document preceded by the boundary token B, the stream
// ending with one). Validation holds out k = round(F · ndocs) whole documents (at least 1 when
// F > 0, never all), chosen by Knuth's selection sampling (Algorithm S, TAOCP vol. 2 §3.4.2) with
// Xoshiro256(seed), in document order. A single-document corpus is cut at a token boundary
// instead: train = B t[0..<cut], val = B t[cut..<n] B with cut = n − max(1, round(F · n)).
// Not handled: deduplication, filtering, and inputs that change between the passes (detected and
// reported as `inputChanged`, never silently mixed).
import Core
import Foundation

/// Options of `descent prepare`.
public struct PrepareOptions: Sendable, Equatable {
    /// Text files (UTF-8), plain or gzip-compressed, in order.
    public var inputs: [String]
    public var outputDirectory: String
    public var splitBy: DocumentSplit
    /// Fraction of documents (or, for a one-document corpus, of tokens) held out for validation,
    /// in [0, 1). nanoGPT and makemore use 0.1.
    public var valFraction: Double
    /// Seeds the choice of validation documents.
    public var seed: UInt64
    /// Upper bound of tokens per shard file. llm.c uses 100M-token shards for GPT-2 corpora; the
    /// default 1M keeps a char-level shard at ~2 MB raw, ~0.6 MB compressed, one loader read.
    public var shardTokens: Int

    /// Allowed `shardTokens`: at least 1,024 (smaller only multiplies files), at most 1,000,000,000
    /// (the header stores the count as int32, and a loader holds one shard in memory).
    public static let shardTokensRange = 1_024...1_000_000_000

    public init(inputs: [String], outputDirectory: String, splitBy: DocumentSplit = .lines,
                valFraction: Double = 0.1, seed: UInt64 = 1337, shardTokens: Int = 1_000_000) {
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.splitBy = splitBy
        self.valFraction = valFraction
        self.seed = seed
        self.shardTokens = shardTokens
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
    }
}

/// Progress of `Prepare.run`, reported after each chunk (1 MiB of text) read.
public enum PrepareProgress: Sendable, Equatable {
    /// Pass 1 (vocabulary and counts) over input `index` of `count`.
    case scanning(path: String, index: Int, count: Int, bytesRead: Int, fileBytes: Int)
    /// Pass 2 (tokenize and write shards) over input `index` of `count`.
    case writing(path: String, index: Int, count: Int, bytesRead: Int, fileBytes: Int)
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
}

/// The prepare pipeline.
public enum Prepare {
    /// Reads the inputs and writes a dataset to `options.outputDirectory`. On error nothing is left
    /// behind and an existing dataset there is untouched.
    @discardableResult
    public static func run(_ options: PrepareOptions, progress: ((PrepareProgress) -> Void)? = nil) throws(DataError) -> PrepareSummary {
        try options.validate()
        for input in options.inputs { try FileSystem.checkInputFile(input) }
        if try OutputStaging.checkOutput(options.outputDirectory) {
            try checkInputsOutside(options.inputs, output: options.outputDirectory)
        }

        // Pass 1.
        var scan = CorpusScan()
        var sources: [DatasetManifest.Source] = []
        for (index, input) in options.inputs.enumerated() {
            let textBytes = try DocumentReader.read(path: input, split: options.splitBy, into: &scan) { read, size in
                progress?(.scanning(path: input, index: index, count: options.inputs.count, bytesRead: read, fileBytes: size))
            }
            let fileBytes = try InputFile(path: input).size
            sources.append(.init(path: input, bytes: fileBytes, textBytes: textBytes))
        }
        guard scan.documents > 0, scan.scalars > 0 else { throw .emptyCorpus(inputs: options.inputs) }

        let tokenizer = CharacterTokenizer(ascending: scan.vocabulary())
        let plan = try SplitPlan(scan: scan, valFraction: options.valFraction, seed: options.seed)
        let vocabularySize = tokenizer.vocabularySize

        // Pass 2, into the staging directory.
        let staging = try OutputStaging.begin(outputDirectory: options.outputDirectory)
        do {
            let tokenizerSHA = try DatasetFiles.writeTokenizer(tokenizer, staging: staging)
            let train = SplitWriter(split: .train, directory: staging.stagingDirectory, totalTokens: plan.trainTokens,
                                    shardTokens: options.shardTokens, vocabularySize: vocabularySize)
            let val = SplitWriter(split: .val, directory: staging.stagingDirectory, totalTokens: plan.valTokens,
                                  shardTokens: options.shardTokens, vocabularySize: vocabularySize)
            var router = StreamRouter(table: scan.idTable(), plan: plan, train: train, val: val,
                                      boundary: tokenizer.boundaryToken)
            for (index, input) in options.inputs.enumerated() {
                router.path = input
                try DocumentReader.read(path: input, split: options.splitBy, into: &router) { read, size in
                    progress?(.writing(path: input, index: index, count: options.inputs.count, bytesRead: read, fileBytes: size))
                }
            }
            try router.finish(inputs: options.inputs)

            let trainInfo = DatasetManifest.SplitInfo(documents: plan.trainDocuments, tokens: plan.trainTokens,
                                                      examples: max(0, plan.trainTokens - 1))
            let valInfo = DatasetManifest.SplitInfo(documents: plan.valDocuments, tokens: plan.valTokens,
                                                    examples: max(0, plan.valTokens - 1))
            let manifest = DatasetManifest(
                format: DatasetManifest.format, version: DatasetManifest.currentVersion, generator: "descent prepare",
                tokenizer: TokenizerFile.defaultFileName, tokenizerSHA256: tokenizerSHA,
                vocabularySize: vocabularySize, boundaryToken: tokenizer.boundaryToken,
                tokenBytes: ShardFormat.tokenBytes(vocabularySize: vocabularySize),
                splitBy: options.splitBy, valFraction: options.valFraction, holdout: plan.holdout, seed: options.seed,
                shardTokens: options.shardTokens, sources: sources,
                splits: .init(train: trainInfo, val: valInfo), shards: train.shards + val.shards)
            let manifestBytes = try DatasetFiles.writeManifest(manifest, staging: staging)
            let tokenizerBytes = try tokenizer.jsonData().count
            try staging.commit()

            func summary(_ info: DatasetManifest.SplitInfo, _ shards: [DatasetManifest.Shard]) -> PrepareSummary.Split {
                .init(documents: info.documents, tokens: info.tokens, examples: info.examples,
                      shardFiles: shards.map(\.file), bytes: shards.reduce(0) { $0 + $1.bytes })
            }
            let trainSummary = summary(trainInfo, train.shards), valSummary = summary(valInfo, val.shards)
            return PrepareSummary(
                outputDirectory: staging.outputDirectory, vocabularySize: vocabularySize, holdout: plan.holdout,
                train: trainSummary, val: valSummary,
                inputBytes: sources.reduce(0) { $0 + $1.bytes }, textBytes: sources.reduce(0) { $0 + $1.textBytes },
                writtenBytes: trainSummary.bytes + valSummary.bytes + manifestBytes + tokenizerBytes,
                replacedDataset: staging.replacesDataset, manifest: manifest)
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

/// Pass 1: the vocabulary, the document count and each document's length.
struct CorpusScan: DocumentSink {
    /// One bit per Unicode scalar value (0x110000 bits, 136 KiB).
    private var seen = [UInt64](repeating: 0, count: 0x110000 / 64)
    private(set) var documents = 0
    private(set) var scalars = 0
    private var currentLength = 0
    /// Document lengths as LEB128 varints, in document order.
    private(set) var lengths: [UInt8] = []

    mutating func beginDocument() { currentLength = 0 }

    @inline(__always)
    mutating func append(_ scalar: UInt32) {
        seen[Int(scalar >> 6)] |= 1 &<< UInt64(scalar & 63)
        currentLength += 1
    }

    mutating func endDocument() {
        documents += 1
        scalars += currentLength
        var value = UInt64(currentLength)
        while value >= 0x80 {
            lengths.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        lengths.append(UInt8(value))
    }

    /// Document lengths in order.
    func forEachLength(_ body: (Int) -> Void) {
        var index = 0
        while index < lengths.count {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = lengths[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { break }
                shift += 7
            }
            body(Int(value))
        }
    }

    /// The scalars seen, ascending.
    func vocabulary() -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        for (wordIndex, word) in seen.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 {
                if let scalar = Unicode.Scalar(UInt32(wordIndex * 64 + bit)) { result.append(scalar) }
            }
        }
        return result
    }

    /// Scalar value → token id (-1 when unseen), dense over all 0x110000 values: one load per scalar
    /// in pass 2. Ids follow `vocabulary()` order, starting at 1 (0 is the boundary).
    func idTable() -> [Int32] {
        var table = [Int32](repeating: -1, count: 0x110000)
        var next: Int32 = 1
        for scalar in vocabulary() {
            table[Int(scalar.value)] = next
            next += 1
        }
        return table
    }
}

/// Which documents go to validation, and the two streams' lengths.
struct SplitPlan {
    let holdout: ValidationHoldout
    /// `documents`: one bit per document, set for validation.
    let selection: [UInt64]
    /// `tail`: train takes the document's first `cut` tokens.
    let cut: Int
    let documents: Int
    let trainDocuments: Int
    let valDocuments: Int
    let trainTokens: Int
    let valTokens: Int

    init(scan: CorpusScan, valFraction: Double, seed: UInt64) throws(DataError) {
        documents = scan.documents
        if valFraction > 0 && scan.documents == 1 {
            let n = scan.scalars
            let held = max(1, Int((valFraction * Double(n)).rounded()))
            let cut = n - held
            guard cut >= 1 else { throw .corpusTooSmall(tokens: n, valFraction: valFraction) }
            holdout = .tail
            selection = []
            self.cut = cut
            trainDocuments = 1
            valDocuments = 1
            trainTokens = 1 + cut
            valTokens = 1 + held + 1
            return
        }
        let n = scan.documents
        var k = Int((valFraction * Double(n)).rounded())
        if valFraction > 0 { k = min(max(k, 1), n - 1) } else { k = 0 }
        holdout = k > 0 ? .documents : .none
        cut = 0
        // Algorithm S: document i (of n) is selected with probability (still needed) / (still left).
        var generator = Xoshiro256(seed: seed)
        var bits = [UInt64](repeating: 0, count: (n + 63) / 64)
        var needed = k
        var index = 0
        var trainLength = 0, valLength = 0
        scan.forEachLength { length in
            if needed > 0 && generator.nextInt(below: n - index) < needed {
                bits[index >> 6] |= 1 << UInt64(index & 63)
                needed -= 1
                valLength += length + 1
            } else {
                trainLength += length + 1
            }
            index += 1
        }
        selection = bits
        trainDocuments = n - k
        valDocuments = k
        trainTokens = trainLength + 1
        valTokens = k > 0 ? valLength + 1 : 0
    }

    @inline(__always)
    func isValidation(document index: Int) -> Bool {
        selection[index >> 6] & (1 << UInt64(index & 63)) != 0
    }
}

/// Pass 2: tokenizes documents and routes them to their split's shard writer.
struct StreamRouter: DocumentSink {
    private let table: [Int32]
    private let plan: SplitPlan
    private let train: SplitWriter
    private let val: SplitWriter
    private let boundary: Int32
    /// The input being read, for errors.
    var path = ""
    private var documentIndex = -1
    private var scalarIndex = 0
    private var current: SplitWriter
    private var hasTrainDocument = false
    private var hasValDocument = false

    init(table: [Int32], plan: SplitPlan, train: SplitWriter, val: SplitWriter, boundary: Int32) {
        self.table = table
        self.plan = plan
        self.train = train
        self.val = val
        self.boundary = boundary
        current = train
    }

    mutating func beginDocument() throws(DataError) {
        documentIndex += 1
        guard documentIndex < plan.documents else { throw .inputChanged(path: path) }
        switch plan.holdout {
        case .tail:
            current = train
            scalarIndex = 0
        case .documents:
            current = plan.isValidation(document: documentIndex) ? val : train
        case .none:
            current = train
        }
        if current === train { hasTrainDocument = true } else { hasValDocument = true }
        try current.append(boundary, overflowError: .inputChanged(path: path))
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32) throws(DataError) {
        let token = table[Int(scalar)]
        guard token >= 0 else { throw .inputChanged(path: path) }
        if plan.holdout == .tail {
            if scalarIndex == plan.cut {
                current = val
                hasValDocument = true
                try val.append(boundary, overflowError: .inputChanged(path: path))
            }
            scalarIndex += 1
        }
        try current.append(token, overflowError: .inputChanged(path: path))
    }

    mutating func endDocument() throws(DataError) {
        if plan.holdout == .tail { try val.append(boundary, overflowError: .inputChanged(path: path)) }
    }

    /// Closes both streams with their final boundary and checks that pass 2 saw what pass 1 saw.
    mutating func finish(inputs: [String]) throws(DataError) {
        let all = inputs.joined(separator: ", ")
        if plan.holdout != .tail {
            if hasTrainDocument { try train.append(boundary, overflowError: .inputChanged(path: all)) }
            if hasValDocument { try val.append(boundary, overflowError: .inputChanged(path: all)) }
        }
        guard documentIndex + 1 == plan.documents, train.isComplete, val.isComplete else {
            throw .inputChanged(path: all)
        }
    }
}
