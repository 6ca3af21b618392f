// The one error type of the Data module: every failure of reading a corpus, preparing a dataset,
// or loading one, with its evidence and a next step. The CLI prints `description` as the whole
// message, so each case renders as one sentence that names the file and says what to do.
// Tokenizer errors are wrapped (`tokenizer`) or given their file context (`unknownCharacterInFile`).
// Deliberately not handled here: localisation, and errors of other modules (Training wraps these).
import Tokenizers

/// A failure in the Data module. `description` is one line: the file, the evidence, the next step.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    // Reading inputs.
    /// The input path does not exist.
    case fileNotFound(path: String)
    /// A directory was given where a file was expected.
    case isDirectory(path: String)
    /// An input directory with no `.txt` or `.gz` file below it.
    case noTextFiles(directory: String)
    /// The file exists but cannot be opened or read; `reason` is the system's message.
    case unreadable(path: String, reason: String)
    /// The inputs hold no document (no text, or only blank lines).
    case emptyCorpus(inputs: [String])
    /// Bytes that are not UTF-8; `line` is 1-based, `byteOffset` 0-based in the (decompressed) text.
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// zlib rejected the gzip data; `detail` is zlib's message.
    case corruptGzip(path: String, detail: String)
    /// The gzip stream ended before its end marker, after `compressedBytes` bytes of the file.
    case truncatedGzip(path: String, compressedBytes: Int)
    /// The input differed between the two passes of `descent prepare`.
    case inputChanged(path: String)
    /// A single-document corpus too short to hold out `valFraction` of its tokens.
    case corpusTooSmall(tokens: Int, valFraction: Double)

    // Tokenizers.
    /// A tokenizer's own failure (a bad tokenizer file, a tokenizer that cannot be written), where
    /// Data has no more context to add; the description is the tokenizer error's.
    case tokenizer(TokenizerError)
    /// A scalar of a text file that the tokenizer's vocabulary lacks: in document `document`
    /// (1-based) at scalar `offset` (0-based) of that document.
    case unknownCharacterInFile(path: String, document: Int, offset: Int, scalar: Unicode.Scalar)
    /// `prepare --tokenizer-from`: an input's character that the given tokenizer cannot encode,
    /// in document `document` of the file, its `offset`-th character (both counted from 1).
    case unknownCharacterInInput(path: String, document: Int, offset: Int, scalar: Unicode.Scalar)

    // Options and output.
    /// An option outside its allowed values.
    case badOption(name: String, value: String, allowed: String)
    /// The output directory exists, is not empty and holds no Descent dataset.
    case outputNotADataset(path: String)
    /// The output path exists and is not a directory.
    case outputNotADirectory(path: String)
    /// Writing, renaming or creating `path` failed; `reason` is the system's message.
    case writeFailed(path: String, reason: String)

    // Prepared datasets.
    /// A directory without `manifest.json`.
    case notADataset(path: String)
    /// `manifest.json` is unreadable JSON, of an unknown version, or inconsistent.
    case badManifest(path: String, reason: String)
    /// A file the manifest lists is missing.
    case missingFile(path: String)
    /// A file's SHA-256 differs from the manifest's.
    case checksumMismatch(path: String, expected: String, actual: String)
    /// A shard whose header has the wrong magic, version or token count.
    case badShardHeader(path: String, reason: String)
    /// A shard whose payload is shorter than its header and manifest say.
    case shardTruncated(path: String, expectedTokens: Int, foundTokens: Int)
    /// A token id at or above the vocabulary size.
    case tokenOutOfRange(path: String, index: Int, token: Int, vocabularySize: Int)
    /// A split with no examples (for example the val split of a dataset prepared with
    /// `--val-fraction 0`).
    case emptySplit(dataset: String, split: DatasetSplit)
    /// A saved loader position that belongs to another dataset, split or seed.
    case loaderPositionMismatch(reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): not found. Check the path."
        case .isDirectory(let path):
            return "\(path): is a directory, not a file. Pass the files inside it (e.g. `\(path)/*.txt`)."
        case .noTextFiles(let directory):
            return "\(directory): is a directory with no .txt or .gz files in it (searched recursively). Put the text there, or name the files."
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason)). Check that the file exists and is readable."
        case .emptyCorpus(let inputs):
            return "\(inputs.joined(separator: ", ")): no text found (the corpus has no documents). "
                + "Check the inputs and --split-by."
        case .invalidUTF8(let path, let line, let byteOffset):
            return "\(path): invalid UTF-8 at line \(line), byte \(byteOffset). "
                + "Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
        case .corruptGzip(let path, let detail):
            return "\(path): corrupt gzip data (\(detail)). Re-download or re-compress the file."
        case .truncatedGzip(let path, let compressedBytes):
            return "\(path): truncated gzip stream (ended after \(compressedBytes) bytes). "
                + "Re-download or re-compress the file."
        case .inputChanged(let path):
            return "\(path): changed while `descent prepare` was reading it. "
                + "Re-run once nothing is writing to it."
        case .corpusTooSmall(let tokens, let valFraction):
            return "the corpus is one document of \(tokens) tokens, too short to hold out "
                + "\(valFraction) of it for validation. Use a larger corpus or --val-fraction 0."
        case .tokenizer(let error):
            return error.description
        case .badOption(let name, let value, let allowed):
            return "\(name) \(value): must be \(allowed)."
        case .outputNotADataset(let path):
            return "\(path): exists, is not empty and is not a Descent dataset. Choose another --out or remove it."
        case .outputNotADirectory(let path):
            return "\(path): exists and is not a directory. Choose another --out or remove it."
        case .writeFailed(let path, let reason):
            return "\(path): cannot write (\(reason)). Check free space and permissions."
        case .notADataset(let path):
            return "\(path): not a Descent dataset (no manifest.json). Run `descent prepare` first."
        case .badManifest(let path, let reason):
            return "\(path): invalid dataset manifest (\(reason)). Re-run `descent prepare`."
        case .missingFile(let path):
            return "\(path): missing from the dataset. Re-run `descent prepare`."
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): checksum mismatch (manifest \(expected.prefix(16))…, file \(actual.prefix(16))…). "
                + "Re-run `descent prepare`."
        case .badShardHeader(let path, let reason):
            return "\(path): bad shard header (\(reason)). Re-run `descent prepare`."
        case .shardTruncated(let path, let expectedTokens, let foundTokens):
            return "\(path): truncated (expected \(expectedTokens) tokens, found \(foundTokens)). Re-run `descent prepare`."
        case .tokenOutOfRange(let path, let index, let token, let vocabularySize):
            return "\(path): token \(token) at index \(index) is outside the vocabulary (size \(vocabularySize)). "
                + "Re-run `descent prepare`."
        case .unknownCharacterInFile(let path, let document, let offset, let scalar):
            return "\(path): document \(document), character \(offset): \"\(scalar.escaped(asASCII: false))\" "
                + "(\(TokenizerError.codePoint(scalar))) is not in the run's vocabulary. Evaluate text written with the training corpus's characters."
        case .unknownCharacterInInput(let path, let document, let offset, let scalar):
            return "\(path): document \(document), character \(offset): \"\(scalar.escaped(asASCII: false))\" "
                + "(\(TokenizerError.codePoint(scalar))) is not in the --tokenizer-from vocabulary. Remove it from the text, or use a "
                + "byte-level BPE tokenizer (--tokenizer bpe), which encodes any text."
        case .emptySplit(let dataset, let split):
            let hint = split == .val
                ? "Prepare it with --val-fraction above 0, or evaluate on the train split."
                : "Prepare it from a larger corpus."
            return "\(dataset): the \(split.rawValue) split has no examples. \(hint)"
        case .loaderPositionMismatch(let reason):
            return "the saved data-loader position does not fit this dataset (\(reason)). "
                + "Resume with the dataset and seed the run was started with."
        }
    }
}
