// The tokenizer contract and the versioned tokenizer file. Every tokenizer maps text to ids in
// 0..<vocabularySize and reserves one id, `boundaryToken`, for document boundaries (it never comes
// out of `encode`). Files are JSON with a "format", a "version" and a "type" that selects the
// implementation; only "character" exists now, a byte-level BPE will be another type of the same
// file. Deliberately not handled: special tokens other than the boundary.
import Foundation

/// Text ↔ token ids. Conforming types are immutable values, safe to share across threads.
public protocol Tokenizer: Sendable {
    /// Number of ids, the boundary token included; every id is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// The id that separates documents (and pads contexts at a document start).
    var boundaryToken: Int32 { get }
    /// The ids of `text`, never the boundary token. Throws `DataError.unknownCharacter` for text
    /// the vocabulary cannot express.
    func encode(_ text: String) throws(DataError) -> [Int32]
    /// The text of `tokens`. Boundary tokens are skipped, so `decode(encode(s)) == s`.
    func decode(_ tokens: [Int32]) -> String
    /// The tokenizer file's bytes (what `TokenizerFile.load(jsonData:)` reads back).
    func jsonData() throws(DataError) -> Data
}

/// Reading tokenizer files: `{"format":"descent-tokenizer","version":1,"type":…, …}`.
public enum TokenizerFile {
    public static let format = "descent-tokenizer"
    /// The newest version this build reads and writes.
    public static let currentVersion = 1
    /// The file name inside a prepared dataset.
    public static let defaultFileName = "tokenizer.json"

    /// Decodes a tokenizer file, dispatching on its "type". `path` only names the file in errors.
    public static func load(jsonData: Data, path: String = defaultFileName) throws(DataError) -> any Tokenizer {
        struct Header: Decodable {
            var format: String?
            var version: Int?
            var type: String?
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: jsonData)
        } catch {
            throw .badTokenizerFile(path: path, reason: "not a JSON object")
        }
        guard header.format == format else {
            throw .badTokenizerFile(path: path, reason: "format is \(header.format.map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"")
        }
        guard let version = header.version else {
            throw .badTokenizerFile(path: path, reason: "no version")
        }
        guard version == currentVersion else {
            throw .badTokenizerFile(path: path, reason: "version \(version) is not supported; this build reads version \(currentVersion)")
        }
        switch header.type {
        case CharacterTokenizer.typeName:
            return try CharacterTokenizer(jsonData: jsonData, path: path)
        case let other:
            throw .badTokenizerFile(path: path, reason: "unknown tokenizer type \(other.map { "\"\($0)\"" } ?? "(missing)")")
        }
    }

    /// Reads and decodes the tokenizer file at `path`.
    public static func load(path: String) throws(DataError) -> any Tokenizer {
        let bytes = try FileSystem.readAll(path)
        return try load(jsonData: Data(bytes), path: path)
    }
}

enum JSON {
    /// Sorted keys and no escaped slashes: the same value always gives the same bytes.
    static func encode<Value: Encodable>(_ value: Value, path: String) throws(DataError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(value)
            data.append(0x0A)
            return data
        } catch {
            throw .writeFailed(path: path, reason: "cannot encode JSON: \(error)")
        }
    }
}
