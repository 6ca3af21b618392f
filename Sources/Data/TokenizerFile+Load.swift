// Reading a tokenizer file from disk: the file errors are the Data module's (missing, unreadable,
// a directory), the decoding errors the tokenizer's, wrapped. Not handled: writing (datasets write
// their tokenizer through `DatasetFiles`).
import Foundation
import Tokenizers

extension TokenizerFile {
    /// Reads and decodes the tokenizer file at `path`.
    public static func load(path: String) throws(DataError) -> any Tokenizer {
        let bytes = try FileSystem.readAll(path)
        do {
            return try load(jsonData: Data(bytes), path: path)
        } catch {
            throw .tokenizer(error)
        }
    }

    /// The tokenizer of a dataset directory (its tokenizer.json), or of a tokenizer file.
    public static func load(datasetOrFile path: String) throws(DataError) -> any Tokenizer {
        let file = FileSystem.kind(of: path) == .directory ? path + "/" + defaultFileName : path
        guard FileSystem.kind(of: file) != .missing else {
            throw file == path ? .fileNotFound(path: path) : .notADataset(path: path)
        }
        return try load(path: file)
    }
}
