// A prepared dataset directory, opened and checked: manifest.json parsed and validated, the
// tokenizer loaded and matched against its checksum, every listed shard present. Shard contents
// are verified when read (SHA-256, header, token range), not here, so that opening a multi-GB
// dataset costs milliseconds.
import Core
import Foundation
import Tokenizers

/// An opened dataset directory (the output of `descent prepare`).
public final class PreparedDataset: Sendable {
    /// The directory as given.
    public let directory: String
    public let manifest: DatasetManifest
    public let tokenizer: any Tokenizer
    /// SHA-256 of manifest.json's bytes: identifies the dataset in saved loader positions.
    public let fingerprint: String

    public init(directory: String) throws(DataError) {
        switch FileSystem.kind(of: directory) {
        case .missing: throw .fileNotFound(path: directory)
        case .directory: break
        default: throw .notADataset(path: directory)
        }
        self.directory = directory
        let manifestPath = directory + "/" + DatasetManifest.fileName
        guard FileSystem.kind(of: manifestPath) != .missing else { throw .notADataset(path: directory) }
        let manifestBytes = try FileSystem.readAll(manifestPath)
        fingerprint = SHA256.hexDigest(of: manifestBytes)
        let manifest = try Self.decodeManifest(manifestBytes, path: manifestPath)
        self.manifest = manifest

        let tokenizerPath = directory + "/" + manifest.tokenizer
        guard FileSystem.kind(of: tokenizerPath) != .missing else { throw .missingFile(path: tokenizerPath) }
        let tokenizerBytes = try FileSystem.readAll(tokenizerPath)
        let tokenizerSHA = SHA256.hexDigest(of: tokenizerBytes)
        guard tokenizerSHA == manifest.tokenizerSHA256 else {
            throw .checksumMismatch(path: tokenizerPath, expected: manifest.tokenizerSHA256, actual: tokenizerSHA)
        }
        do {
            tokenizer = try TokenizerFile.load(jsonData: Data(tokenizerBytes), path: tokenizerPath)
        } catch {
            throw .tokenizer(error)
        }
        if let type = manifest.tokenizerType, type != tokenizer.typeName {
            throw .badManifest(path: directory + "/" + DatasetManifest.fileName,
                               reason: "tokenizerType \"\(type)\" does not match the tokenizer file's type \"\(tokenizer.typeName)\"")
        }
        guard tokenizer.vocabularySize == manifest.vocabularySize, tokenizer.boundaryToken == manifest.boundaryToken else {
            throw .badManifest(path: manifestPath, reason: "vocabularySize \(manifest.vocabularySize) and boundaryToken "
                + "\(manifest.boundaryToken) do not match the tokenizer's \(tokenizer.vocabularySize) and \(tokenizer.boundaryToken)")
        }
        for shard in manifest.shards where FileSystem.kind(of: directory + "/" + shard.file) == .missing {
            throw .missingFile(path: directory + "/" + shard.file)
        }
    }

    /// Decodes a manifest's bytes and checks them (format, version, vocabulary, file names,
    /// token counts); `path` names the file in errors.
    public static func decodeManifest(_ bytes: [UInt8], path: String) throws(DataError) -> DatasetManifest {
        let manifest: DatasetManifest
        do {
            manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(bytes))
        } catch {
            throw .badManifest(path: path, reason: describe(error))
        }
        if let problem = manifest.problem() { throw .badManifest(path: path, reason: problem) }
        return manifest
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "bad value at \(path)"
        default: return "not valid JSON"
        }
    }

    /// Shards of `split` in stream order.
    public func shards(_ split: DatasetSplit) -> [DatasetManifest.Shard] { manifest.shards(of: split) }

    /// Length of `split`'s token stream, boundaries included.
    public func tokenCount(_ split: DatasetSplit) -> Int { manifest.splits[split].tokens }

    /// Examples of `split`: every stream position after the first.
    public func exampleCount(_ split: DatasetSplit) -> Int { max(0, tokenCount(split) - 1) }

    /// Path of a file of this dataset.
    public func path(of shard: DatasetManifest.Shard) -> String { directory + "/" + shard.file }

    func makeShardReader() -> ShardReader {
        ShardReader(directory: directory, vocabularySize: manifest.vocabularySize, tokenBytes: manifest.tokenBytes)
    }

    /// The verified tokens of one shard.
    public func readShard(_ shard: DatasetManifest.Shard) throws(DataError) -> [Int32] {
        var tokens: [Int32] = []
        try makeShardReader().read(shard, appendingTo: &tokens)
        return tokens
    }

    /// The whole token stream of `split`, every shard verified. Holds the split in memory: meant
    /// for small splits (tests, count models, `descent eval`), not for multi-GB corpora.
    public func readStream(_ split: DatasetSplit) throws(DataError) -> [Int32] {
        let reader = makeShardReader()
        var tokens: [Int32] = []
        tokens.reserveCapacity(tokenCount(split))
        for shard in shards(split) { try reader.read(shard, appendingTo: &tokens) }
        return tokens
    }

    /// Reads every shard of the dataset and verifies it; returns the first error.
    public func verify() throws(DataError) {
        let reader = makeShardReader()
        var tokens: [Int32] = []
        for shard in manifest.shards {
            tokens.removeAll(keepingCapacity: true)
            try reader.read(shard, appendingTo: &tokens)
        }
    }
}
