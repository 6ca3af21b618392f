// The one error type of the Tokenizers module: text a vocabulary cannot express, and tokenizer
// files that cannot be used. Cases carry their evidence; `description` is one sentence with the
// next step. Deliberately not handled here: where the text came from (a file, a document): the
// Data module wraps these errors with that context (`DataError.unknownCharacterInFile`).

/// A failure in the Tokenizers module. `description` is one line: the evidence, the next step.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A scalar that the tokenizer's vocabulary lacks, at `offset` (in Unicode scalars) of the
    /// text given to `encode`.
    case unknownCharacter(Unicode.Scalar, offset: Int)
    /// A tokenizer file that is not valid JSON, or of an unknown format, version or type, or whose
    /// contents are inconsistent. `path` only names the file in the message.
    case badTokenizerFile(path: String, reason: String)
    /// A BPE vocabulary size outside what is possible: below 257 (256 bytes + `<|endoftext|>`),
    /// above the maximum, or more than the corpus has pairs to merge for (`possible` is then the
    /// largest size the corpus allows).
    case vocabularySize(requested: Int, possible: Int?)
    /// The tokenizer could not be written as a tokenizer file; `reason` is the encoder's message.
    case unencodable(reason: String)

    public var description: String {
        switch self {
        case .unknownCharacter(let scalar, let offset):
            return "character \"\(scalar.escaped(asASCII: false))\" (\(Self.codePoint(scalar))) at position "
                + "\(offset) is not in the tokenizer's vocabulary. Use only characters that occur in the training corpus."
        case .badTokenizerFile(let path, let reason):
            return "\(path): not a usable Descent tokenizer file (\(reason)). Re-run `descent prepare`."
        case .vocabularySize(let requested, let possible?):
            return "--vocab-size \(requested) is more than this corpus allows: after \(possible - BytePairOptions.minimumVocabularySize) merges no pair of tokens "
                + "is left to merge. Use --vocab-size \(possible) or less, or a larger corpus."
        case .vocabularySize(let requested, nil):
            return "--vocab-size \(requested) is out of range: a byte-level BPE needs at least \(BytePairOptions.minimumVocabularySize) (256 bytes + <|endoftext|>) "
                + "and at most \(BytePairOptions.maximumVocabularySize). Use e.g. --vocab-size 1024."
        case .unencodable(let reason):
            return "the tokenizer cannot be written as a tokenizer file (\(reason)). Report this as a bug."
        }
    }

    /// `scalar` as messages name it: "U+" and at least four uppercase hex digits, e.g. U+00E9.
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
