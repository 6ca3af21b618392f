// manifest.json: what a prepared dataset holds (tokenizer, options, sources, splits, shards with
// their SHA-256) and the checks a loader runs before trusting it. Written with sorted keys and no
// timestamps, so the same inputs and options give the same bytes. Deliberately not handled:
// migrating older versions (there is only version 1; a later version adds a decoder here).

/// One of a dataset's two token streams.
public enum DatasetSplit: String, CaseIterable, Codable, Sendable {
    case train, val
}

/// How the validation split was held out.
public enum ValidationHoldout: String, Codable, Sendable {
    /// Whole documents chosen by seeded selection sampling.
    case documents
    /// A single-document corpus: the last tokens of the document (as nanoGPT does).
    case tail
    /// `valFraction` was 0: no validation split.
    case none
}

/// The contents of `manifest.json`, version 1.
public struct DatasetManifest: Codable, Equatable, Sendable {
    public static let format = "descent-dataset"
    public static let currentVersion = 1
    public static let fileName = "manifest.json"

    /// An input file and its size on disk.
    public struct Source: Codable, Equatable, Sendable {
        /// The path as given to `descent prepare`.
        public var path: String
        /// Size on disk (compressed size for a .gz input).
        public var bytes: Int
        /// Size of the text (after decompression).
        public var textBytes: Int
    }

    /// Counts of one split's stream.
    public struct SplitInfo: Codable, Equatable, Sendable {
        public var documents: Int
        /// Length of the split's token stream, boundaries included.
        public var tokens: Int
        /// Training examples: every stream position but the first, `max(0, tokens - 1)`.
        public var examples: Int
    }

    public struct Splits: Codable, Equatable, Sendable {
        public var train: SplitInfo
        public var val: SplitInfo

        public subscript(split: DatasetSplit) -> SplitInfo {
            switch split {
            case .train: return train
            case .val: return val
            }
        }
    }

    /// One shard file: a gzip-compressed llm.c token file.
    public struct Shard: Codable, Equatable, Sendable {
        /// File name inside the dataset directory.
        public var file: String
        public var split: DatasetSplit
        public var tokens: Int
        /// Size of the .gz file.
        public var bytes: Int
        /// SHA-256 of the .gz file's bytes, lowercase hex.
        public var sha256: String
    }

    public var format: String
    public var version: Int
    /// What wrote the dataset, e.g. "descent prepare".
    public var generator: String
    /// The tokenizer file's name inside the dataset directory.
    public var tokenizer: String
    public var tokenizerSHA256: String
    /// The tokenizer file's "type" ("character", "bpe"); absent in manifests written before BPE.
    public var tokenizerType: String?
    public var vocabularySize: Int
    public var boundaryToken: Int32
    /// Bytes per token in the shard payloads: 2 (uint16) or 4 (uint32, when the vocabulary exceeds 65,535).
    public var tokenBytes: Int
    public var splitBy: DocumentSplit
    public var valFraction: Double
    public var holdout: ValidationHoldout
    public var seed: UInt64
    public var shardTokens: Int
    /// zlib level of the shards; absent in manifests written before it was an option (those
    /// shards are level 4).
    public var compressionLevel: Int?
    public var sources: [Source]
    public var splits: Splits
    /// All shards, train first, each split's in stream order.
    public var shards: [Shard]

    /// Shards of `split` in stream order.
    public func shards(of split: DatasetSplit) -> [Shard] {
        shards.filter { $0.split == split }
    }

    /// The first reason this manifest cannot be trusted, or nil.
    func problem() -> String? {
        guard format == Self.format else { return "format is \"\(format)\", expected \"\(Self.format)\"" }
        guard version == Self.currentVersion else {
            return "version \(version) is not supported; this build reads version \(Self.currentVersion)"
        }
        guard vocabularySize >= 2 else { return "vocabularySize \(vocabularySize) is below 2" }
        guard boundaryToken >= 0, Int(boundaryToken) < vocabularySize else { return "boundaryToken \(boundaryToken) is outside the vocabulary" }
        guard tokenBytes == ShardFormat.tokenBytes(vocabularySize: vocabularySize) else {
            return "tokenBytes \(tokenBytes) does not fit vocabularySize \(vocabularySize)"
        }
        if let level = compressionLevel, !ShardFormat.compressionLevels.contains(level) {
            return "compressionLevel \(level) is not a zlib level (1-9)"
        }
        guard Self.isPlainFileName(tokenizer) else { return "tokenizer file name \"\(tokenizer)\" is not a plain file name" }
        // Shards first: their token counts are bounded before the splits' sums add them up.
        var names = Set<String>()
        for shard in shards {
            guard Self.isPlainFileName(shard.file) else { return "shard file name \"\(shard.file)\" is not a plain file name" }
            guard names.insert(shard.file).inserted else { return "shard \(shard.file) is listed twice" }
            guard shard.tokens >= 1, shard.tokens <= Int(Int32.max) else { return "shard \(shard.file) has \(shard.tokens) tokens" }
            guard shard.sha256.count == 64 else { return "shard \(shard.file) has a malformed sha256" }
        }
        for split in DatasetSplit.allCases {
            let info = splits[split]
            let listed = shards(of: split)
            let sum = listed.reduce(0) { $0 + $1.tokens }
            guard info.tokens == sum else { return "\(split.rawValue) has \(info.tokens) tokens but its shards hold \(sum)" }
            guard info.examples == max(0, info.tokens - 1) else { return "\(split.rawValue) examples \(info.examples) do not match its \(info.tokens) tokens" }
        }
        return nil
    }

    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }
}
