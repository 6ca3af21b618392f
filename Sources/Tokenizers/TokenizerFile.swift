// The versioned tokenizer file: JSON with a "format", a "version" and a "type" that selects the
// implementation (`TokenizerKind`). Written with sorted keys and no escaped slashes, so the same
// tokenizer always gives the same bytes (a dataset's manifest records their SHA-256). Deliberately
// not handled: reading from disk (the Data module reads files, with its own errors) and migrating
// older versions (there is only version 1).
import Foundation

/// Reading tokenizer files: `{"format":"descent-tokenizer","version":1,"type":…, …}`.
public enum TokenizerFile {
    public static let format = "descent-tokenizer"
    /// The newest version this build reads and writes.
    public static let currentVersion = 1
    /// The file name inside a prepared dataset.
    public static let defaultFileName = "tokenizer.json"

    /// Decodes a tokenizer file, dispatching on its "type". `path` only names the file in errors.
    public static func load(jsonData: Data, path: String = defaultFileName) throws(TokenizerError) -> any Tokenizer {
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
        guard let kind = header.type.flatMap(TokenizerKind.init(rawValue:)) else {
            throw .badTokenizerFile(path: path, reason: "unknown tokenizer type \(header.type.map { "\"\($0)\"" } ?? "(missing)")")
        }
        return try kind.load(jsonData: jsonData, path: path)
    }

    /// Sorted keys, pretty-printed, no escaped slashes, a final newline: the file's exact bytes.
    static func encode<Value: Encodable>(_ value: Value) throws(TokenizerError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            var data = try encoder.encode(value)
            data.append(0x0A)
            return data
        } catch {
            throw .unencodable(reason: "\(error)")
        }
    }
}
