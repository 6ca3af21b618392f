// The JSON of the files a dataset holds besides its tokenizer (manifest.json): sorted keys and no
// escaped slashes, so the same value always gives the same bytes. The tokenizer file has its own
// encoder in the Tokenizers module, part of that file's format.
import Foundation

enum JSON {
    /// `value` as pretty-printed JSON with sorted keys and a final newline; `path` names the file
    /// in the error.
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
