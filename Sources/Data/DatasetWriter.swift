// Writing a dataset directory safely: everything goes into a hidden sibling staging directory that
// is renamed into place at the end, so a failure leaves the previous state untouched. An existing
// Descent dataset (a directory with manifest.json) is replaced; any other non-empty directory is
// refused. Also `DatasetWriter`, which writes a dataset straight from token streams (through the
// same spool and shard writer as `descent prepare`), for tests and tools that need synthetic data. Not handled: concurrent writers to the same directory (the last
// rename wins), and fsync (see FileIO.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Core
import Foundation
import Tokenizers

/// The staging directory of one dataset being written.
struct OutputStaging {
    let outputDirectory: String
    let stagingDirectory: String
    /// The output directory held a dataset that the commit replaces.
    let replacesDataset: Bool

    private static func normalised(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// Checks the output directory and creates the staging directory beside it.
    static func begin(outputDirectory given: String) throws(DataError) -> OutputStaging {
        let output = normalised(given)
        guard !output.isEmpty else { throw .badOption(name: "--out", value: "\"\"", allowed: "a directory path") }
        let replaces = try checkOutput(output)
        let url = URL(fileURLWithPath: output)
        let parent = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        if FileSystem.kind(of: parent) == .missing {
            do {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw .writeFailed(path: parent, reason: "cannot create the directory")
            }
        }
        let staging = parent + "/." + name + ".partial-\(getpid())"
        if FileSystem.kind(of: staging) != .missing { try? FileManager.default.removeItem(atPath: staging) }
        try FileSystem.makeDirectory(staging)
        return OutputStaging(outputDirectory: output, stagingDirectory: staging, replacesDataset: replaces)
    }

    /// Whether `output` holds a dataset to replace; throws if it is something else.
    static func checkOutput(_ output: String) throws(DataError) -> Bool {
        switch FileSystem.kind(of: output) {
        case .missing:
            return false
        case .regular, .other:
            throw .outputNotADirectory(path: output)
        case .directory:
            if FileSystem.kind(of: output + "/" + DatasetManifest.fileName) != .missing { return true }
            let contents: [String]
            do {
                contents = try FileManager.default.contentsOfDirectory(atPath: output)
            } catch {
                throw .unreadable(path: output, reason: "cannot list the directory")
            }
            guard contents.isEmpty else { throw .outputNotADataset(path: output) }
            return false
        }
    }

    func path(_ file: String) -> String { stagingDirectory + "/" + file }

    /// Moves the staged dataset into place, replacing a previous dataset.
    func commit() throws(DataError) {
        let replaces = try Self.checkOutput(outputDirectory)
        let url = URL(fileURLWithPath: outputDirectory)
        let aside = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".old-\(getpid())"
        if replaces {
            if FileSystem.kind(of: aside) != .missing { try? FileManager.default.removeItem(atPath: aside) }
            try FileSystem.move(outputDirectory, to: aside)
        } else if FileSystem.kind(of: outputDirectory) == .directory {
            // An empty directory: rename(2) cannot replace it portably, so remove it first.
            guard rmdir(outputDirectory) == 0 else {
                throw .writeFailed(path: outputDirectory, reason: FileSystem.errorMessage(errno))
            }
        }
        do {
            try FileSystem.move(stagingDirectory, to: outputDirectory)
        } catch {
            if replaces { try? FileSystem.move(aside, to: outputDirectory) }
            throw error
        }
        if replaces { try? FileManager.default.removeItem(atPath: aside) }
    }

    /// Removes the staging directory after a failure.
    func abandon() {
        try? FileManager.default.removeItem(atPath: stagingDirectory)
    }
}

/// What a dataset writer produces besides the shards: tokenizer, manifest.
enum DatasetFiles {
    /// Writes tokenizer.json into the staging directory; returns its SHA-256 and size.
    static func writeTokenizer(_ tokenizer: any Tokenizer, staging: OutputStaging) throws(DataError) -> (sha256: String, bytes: Int) {
        let bytes: [UInt8]
        do { bytes = [UInt8](try tokenizer.jsonData()) } catch { throw .tokenizer(error) }
        try FileSystem.writeNew(staging.path(TokenizerFile.defaultFileName), bytes: bytes)
        return (SHA256.hexDigest(of: bytes), bytes.count)
    }

    static func writeManifest(_ manifest: DatasetManifest, staging: OutputStaging) throws(DataError) -> Int {
        let path = staging.path(DatasetManifest.fileName)
        let bytes = [UInt8](try JSON.encode(manifest, path: path))
        try FileSystem.writeNew(path, bytes: bytes)
        return bytes.count
    }
}

/// Writes a dataset directly from token streams: the same files `descent prepare` writes, without
/// reading text. For tests and tools (e.g. synthetic streams of incrementing tokens whose every
/// batch can be checked by arithmetic).
public enum DatasetWriter {
    /// Writes `train` and `val` (each a whole split stream, boundaries included; `val` may be empty)
    /// as shards of at most `shardTokens` tokens (any value from 1 here, so tests can make tiny shards),
    /// with `tokenizer`, into `directory` (replacing a dataset there). Every token must be in
    /// `0..<tokenizer.vocabularySize`.
    @discardableResult
    public static func write(train: [Int32], val: [Int32], tokenizer: any Tokenizer, shardTokens: Int,
                             to directory: String) throws(DataError) -> DatasetManifest {
        let limit = PrepareOptions.shardTokensRange.upperBound
        guard (1...limit).contains(shardTokens) else {
            throw .badOption(name: "shardTokens", value: "\(shardTokens)", allowed: "an integer in [1, \(limit)]")
        }
        for (split, stream) in [(DatasetSplit.train, train), (.val, val)] {
            if let bad = stream.firstIndex(where: { $0 < 0 || Int($0) >= tokenizer.vocabularySize }) {
                throw .tokenOutOfRange(path: split.rawValue, index: bad, token: Int(stream[bad]),
                                       vocabularySize: tokenizer.vocabularySize)
            }
        }
        let staging = try OutputStaging.begin(outputDirectory: directory)
        do {
            let tokenizerSHA = try DatasetFiles.writeTokenizer(tokenizer, staging: staging).sha256
            var shards: [DatasetManifest.Shard] = []
            var infos: [DatasetManifest.SplitInfo] = []
            for (split, stream) in [(DatasetSplit.train, train), (.val, val)] {
                let spool = try TokenSpool(path: staging.path(split.rawValue + ".spool"), vocabularySize: tokenizer.vocabularySize)
                try spool.append(stream)
                try spool.flush()
                shards += try ShardWriter.write([.init(split: split, spool: spool,
                                                       sizes: ShardFormat.shardSizes(totalTokens: stream.count, shardTokens: shardTokens))],
                                                directory: staging.stagingDirectory)
                try spool.remove()
                // A document starts at every boundary that something follows.
                let documents = stream.indices.dropLast().filter { stream[$0] == tokenizer.boundaryToken }.count
                infos.append(.init(documents: documents, tokens: stream.count, examples: max(0, stream.count - 1)))
            }
            let manifest = DatasetManifest(
                format: DatasetManifest.format, version: DatasetManifest.currentVersion, generator: "DatasetWriter",
                tokenizer: TokenizerFile.defaultFileName, tokenizerSHA256: tokenizerSHA, tokenizerType: tokenizer.typeName,
                vocabularySize: tokenizer.vocabularySize, boundaryToken: tokenizer.boundaryToken,
                tokenBytes: ShardFormat.tokenBytes(vocabularySize: tokenizer.vocabularySize),
                splitBy: .file, valFraction: 0, holdout: val.isEmpty ? .none : .documents, seed: 0,
                shardTokens: shardTokens, compressionLevel: ShardFormat.defaultCompressionLevel, sources: [],
                splits: .init(train: infos[0], val: infos[1]), shards: shards)
            _ = try DatasetFiles.writeManifest(manifest, staging: staging)
            try staging.commit()
            return manifest
        } catch {
            staging.abandon()
            throw error
        }
    }
}
