import Core
import Foundation
import XCTest
@testable import Data
import Tokenizers

/// A decompressed llm.c token file.
struct LlmcShard {
    var header: [Int32]
    var tokens: [UInt32]

    init(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        func int32(_ offset: Int) -> Int32 {
            Int32(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                  | UInt32(bytes[offset + 3]) << 24)
        }
        header = (0..<256).map { int32($0 * 4) }
        let width = header[0] == 20240520 ? 2 : 4
        let payload = bytes.count - 1024
        XCTAssertEqual(payload, Int(header[2]) * width, "payload length", file: file, line: line)
        tokens = stride(from: 1024, to: bytes.count - width + 1, by: width).map { offset in
            width == 2 ? UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 : UInt32(bitPattern: int32(offset))
        }
    }
}

final class ShardFormatTests: XCTestCase {
    func testGunzipGivesLlmcLayout() throws {
        let gzip = try gzipTool()
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, (0..<1500).map { "name\($0 % 97)x" }.joined(separator: "\n"))
        try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: directory + "/out", shardTokens: 2048))
        let dataset = try PreparedDataset(directory: directory + "/out")
        XCTAssertGreaterThan(dataset.shards(.train).count, 1)
        for shard in dataset.manifest.shards {
            let raw = try runTool(gzip, ["-dc", dataset.path(of: shard)])
            let parsed = LlmcShard(raw)
            XCTAssertEqual(Array(parsed.header[0..<3]), [20240520, 1, Int32(shard.tokens)])
            XCTAssertTrue(parsed.header[3...].allSatisfy { $0 == 0 })
            XCTAssertEqual(parsed.tokens.map { Int32($0) }, try dataset.readShard(shard))
        }
    }

    /// llm.c's header: int32 magic, version and token count, little-endian, then 253 zero ints;
    /// reading it back checks the magic and version of the token width.
    func testHeaderBytesAndReadBack() throws {
        let narrow = ShardFormat.header(tokenCount: 100, tokenBytes: 2)
        XCTAssertEqual(Array(narrow[0..<12]), [136, 216, 52, 1, 1, 0, 0, 0, 100, 0, 0, 0])   // 20240520, 1, 100
        XCTAssertEqual(narrow.count, 1024)
        XCTAssertTrue(narrow[12...].allSatisfy { $0 == 0 })
        let wide = ShardFormat.header(tokenCount: 70_000, tokenBytes: 4)
        XCTAssertEqual(Array(wide[0..<12]), [161, 217, 52, 1, 7, 0, 0, 0, 112, 17, 1, 0])     // 20240801, 7, 70000
        XCTAssertEqual(try ShardFormat.readHeader(narrow[...], path: "s", tokenBytes: 2), 100)
        XCTAssertEqual(try ShardFormat.readHeader(wide[...], path: "s", tokenBytes: 4), 70_000)
        do {
            _ = try ShardFormat.readHeader(wide[...], path: "s", tokenBytes: 2)
            XCTFail("a uint32 shard read as uint16")
        } catch {
            XCTAssertEqual(error, .badMagic(blob: "s", found: 20240801, expected: 20240520))
        }
    }

    func testLargeVocabularyUsesUInt32Layout() throws {
        let gzip = try gzipTool()
        let directory = makeTemporaryDirectory(self)
        let tokenizer = try syntheticTokenizer(vocabularySize: 70_000)
        let train = (0..<5000).map { Int32($0 * 13 % 70_000) }
        let val: [Int32] = [0, 69_999, 65_536, 0]
        try DatasetWriter.write(train: train, val: val, tokenizer: tokenizer, shardTokens: 2000, to: directory + "/big")
        let dataset = try PreparedDataset(directory: directory + "/big")
        XCTAssertEqual(dataset.manifest.tokenBytes, 4)
        XCTAssertEqual(try dataset.readStream(.train), train)
        XCTAssertEqual(try dataset.readStream(.val), val)
        let parsed = LlmcShard(try runTool(gzip, ["-dc", dataset.path(of: dataset.shards(.val)[0])]))
        XCTAssertEqual(Array(parsed.header[0..<3]), [20240801, 7, 4])
        XCTAssertEqual(parsed.tokens, [0, 69_999, 65_536, 0])
        XCTAssertEqual(try TokenizerFile.load(path: directory + "/big/tokenizer.json").vocabularySize, 70_000)
    }

    func testManifestListsChecksumsAndFields() throws {
        let directory = makeTemporaryDirectory(self)
        let input = directory + "/names.txt"
        writeFile(input, "emma\nolivia\nava\n")
        try Prepare.run(PrepareOptions(inputs: [input], outputDirectory: directory + "/out", valFraction: 0.3))
        let json = try JSONSerialization.jsonObject(with: Data(readBytes(directory + "/out/manifest.json"))) as! [String: Any]
        XCTAssertEqual(json["format"] as? String, "descent-dataset")
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual(json["tokenizer"] as? String, "tokenizer.json")
        XCTAssertEqual(json["tokenizerSHA256"] as? String, SHA256.hexDigest(of: readBytes(directory + "/out/tokenizer.json")))
        XCTAssertEqual(json["splitBy"] as? String, "lines")
        XCTAssertEqual(json["valFraction"] as? Double, 0.3)
        XCTAssertEqual(json["seed"] as? Int, 1337)
        XCTAssertEqual(json["shardTokens"] as? Int, 2_000_000)
        XCTAssertEqual(json["vocabularySize"] as? Int, 8)
        let sources = json["sources"] as! [[String: Any]]
        XCTAssertEqual(sources[0]["path"] as? String, input)
        XCTAssertEqual(sources[0]["bytes"] as? Int, 16)
        let splits = json["splits"] as! [String: [String: Int]]
        XCTAssertEqual(splits["train"]?["documents"], 2)
        XCTAssertEqual(splits["val"]?["documents"], 1)
        for shard in json["shards"] as! [[String: Any]] {
            let file = shard["file"] as! String
            XCTAssertEqual(shard["sha256"] as? String, SHA256.hexDigest(of: readBytes(directory + "/out/" + file)))
            XCTAssertEqual(shard["bytes"] as? Int, readBytes(directory + "/out/" + file).count)
        }
        XCTAssertEqual((json["shards"] as! [[String: Any]]).map { $0["file"] as! String }, ["train_000000.bin.gz", "val_000000.bin.gz"])
        XCTAssertFalse(String(decoding: readBytes(directory + "/out/manifest.json"), as: UTF8.self).contains("date"))
    }

    // MARK: - Damaged datasets

    /// A dataset of the synthetic stream, and the path of its first train shard.
    func makeDataset(_ directory: String) throws -> (String, DatasetManifest.Shard) {
        let tokenizer = try syntheticTokenizer(vocabularySize: 200)
        try DatasetWriter.write(train: incrementingStream(length: 200, documentLength: 10), val: [0, 1, 0],
                                tokenizer: tokenizer, shardTokens: 100, to: directory + "/ds")
        let dataset = try PreparedDataset(directory: directory + "/ds")
        return (directory + "/ds", dataset.shards(.train)[0])
    }

    func testCorruptedShardIsDetectedByChecksum() throws {
        let directory = makeTemporaryDirectory(self)
        let (path, shard) = try makeDataset(directory)
        let file = path + "/" + shard.file
        var bytes = readBytes(file)
        bytes[bytes.count / 2] ^= 0x01
        writeFile(file, bytes: bytes)
        let dataset = try PreparedDataset(directory: path)
        XCTAssertThrowsError(try dataset.readShard(shard)) { error in
            guard case .checksumMismatch(let reported, let expected, let actual) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(reported, file)
            XCTAssertEqual(expected, shard.sha256)
            XCTAssertEqual(actual, SHA256.hexDigest(of: bytes))
            XCTAssertTrue("\(error)".hasPrefix("\(file): checksum mismatch (manifest \(expected.prefix(16))"))
            XCTAssertTrue("\(error)".hasSuffix("Re-run `descent prepare`."))
        }
        XCTAssertThrowsError(try dataset.verify())
        XCTAssertThrowsError(try BatchLoader(dataset: dataset, contextLength: 4, batchSize: 8, seed: 1)) { error in
            guard case .checksumMismatch = error as? DataError else { return XCTFail("\(error)") }
        }
    }

    /// Replaces shard 0 of train with `raw` (uncompressed) and updates the manifest's checksum, so that
    /// only the header or payload checks can catch the damage.
    func replaceShard(in path: String, with raw: [UInt8]) throws -> PreparedDataset {
        let manifestPath = path + "/manifest.json"
        var manifest = try JSONDecoder().decode(DatasetManifest.self, from: Data(readBytes(manifestPath)))
        let file = path + "/" + manifest.shards[0].file
        try FileManager.default.removeItem(atPath: file)
        let writer = try GzipWriter(path: file, level: 6)
        try raw.withBytes { (bytes) throws(DataError) in try writer.write(bytes) }
        let (bytes, sha) = try writer.finish()
        manifest.shards[0].bytes = bytes
        manifest.shards[0].sha256 = sha
        try FileManager.default.removeItem(atPath: manifestPath)
        writeFile(manifestPath, bytes: [UInt8](try JSON.encode(manifest, path: manifestPath)))
        return try PreparedDataset(directory: path)
    }

    func testDamagedHeadersAndPayloads() throws {
        let directory = makeTemporaryDirectory(self)
        let (path, shard) = try makeDataset(directory)
        let file = path + "/" + shard.file
        let good = Array(try runTool(try gzipTool(), ["-dc", file]))
        func damaged(_ edit: (inout [UInt8]) -> Void) throws -> DataError? {
            var raw = good
            edit(&raw)
            let dataset = try replaceShard(in: path, with: raw)
            do {
                _ = try dataset.readShard(dataset.shards(.train)[0])
                return nil
            } catch {
                return error
            }
        }
        XCTAssertNil(try damaged { _ in })
        XCTAssertEqual(try damaged { $0[0] = 0x99 }, .badShardHeader(path: file, reason: "magic 20240537, expected 20240520"))
        XCTAssertEqual(try damaged { $0[4] = 2 }, .badShardHeader(path: file, reason: "version 2, expected 1"))
        XCTAssertEqual(try damaged { $0[8] = 99 }, .badShardHeader(path: file, reason: "header says 99 tokens, manifest 100"))
        XCTAssertEqual(try damaged { $0.removeLast(7) }, .shardTruncated(path: file, expectedTokens: 100, foundTokens: 96))
        XCTAssertEqual(try damaged { $0.removeLast($0.count - 100) },
                       .badShardHeader(path: file, reason: "file holds 100 bytes, less than the 1024-byte header"))
        guard case .badShardHeader = try damaged({ $0 += [0, 0] }) else { return XCTFail("longer payload accepted") }
        XCTAssertEqual(try damaged { $0[1024 + 2 * 5] = 0xC8 },   // token 5 := 200 = vocabulary size
                       .tokenOutOfRange(path: file, index: 5, token: 200, vocabularySize: 200))
    }

    func testBrokenDatasetDirectories() throws {
        let directory = makeTemporaryDirectory(self)
        XCTAssertThrowsError(try PreparedDataset(directory: directory)) { error in
            XCTAssertEqual(error as? DataError, .notADataset(path: directory))
            XCTAssertTrue("\(error)".contains("Run `descent prepare` first"))
        }
        XCTAssertThrowsError(try PreparedDataset(directory: directory + "/missing")) { error in
            XCTAssertEqual(error as? DataError, .fileNotFound(path: directory + "/missing"))
        }
        let (path, shard) = try makeDataset(directory)
        let manifestPath = path + "/manifest.json"
        let manifestBytes = readBytes(manifestPath)
        let text = String(decoding: manifestBytes, as: UTF8.self)

        func reopen(_ manifest: String) -> DataError? {
            try? FileManager.default.removeItem(atPath: manifestPath)
            writeFile(manifestPath, manifest)
            defer { writeFile(manifestPath, bytes: manifestBytes) }
            do { _ = try PreparedDataset(directory: path); return nil } catch { return error }
        }
        guard case .badManifest(_, let reason1) = reopen("{ not json") else { return XCTFail() }
        XCTAssertEqual(reason1, "not valid JSON")
        guard case .badManifest(_, let reason2) = reopen(text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2")) else {
            return XCTFail()
        }
        XCTAssertTrue(reason2.contains("version 2 is not supported"), reason2)
        guard case .badManifest(_, let reason3) = reopen(text.replacingOccurrences(of: "\"seed\"", with: "\"seeed\"")) else {
            return XCTFail()
        }
        XCTAssertEqual(reason3, "missing field \"seed\"")
        guard case .badManifest(_, let reason4) = reopen(text.replacingOccurrences(of: "train_000001.bin.gz", with: "../x.bin.gz")) else {
            return XCTFail()
        }
        XCTAssertTrue(reason4.contains("not a plain file name"), reason4)

        // A missing shard, and a tokenizer edited after prepare.
        let shardPath = path + "/" + shard.file
        let shardBytes = readBytes(shardPath)
        try FileManager.default.removeItem(atPath: shardPath)
        XCTAssertThrowsError(try PreparedDataset(directory: path)) { error in
            XCTAssertEqual(error as? DataError, .missingFile(path: shardPath))
        }
        writeFile(shardPath, bytes: shardBytes)
        let tokenizerPath = path + "/tokenizer.json"
        writeFile(tokenizerPath, String(decoding: readBytes(tokenizerPath), as: UTF8.self) + " ")
        XCTAssertThrowsError(try PreparedDataset(directory: path)) { error in
            guard case .checksumMismatch(let reported, _, _) = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(reported, tokenizerPath)
        }
    }
}
