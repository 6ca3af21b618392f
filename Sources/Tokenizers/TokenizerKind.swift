// The choice of tokenizer, declared once: each kind names its file "type", its option name, its
// trainer and its file decoder, so a new tokenizer is a new case here and a new type beside the
// others, with no change to the pipeline that fits and applies it. Options of a kind travel in
// `TokenizerSettings` (the character tokenizer ignores them).
import Foundation

/// Which tokenizer `descent prepare` fits. The raw value is the tokenizer file's "type".
public enum TokenizerKind: String, CaseIterable, Codable, Sendable {
    /// One id per Unicode scalar of the corpus (makemore, nanoGPT's shakespeare_char).
    case character
    /// Byte-level BPE with tiktoken's pre-tokenization (GPT-2, GPT-4).
    case bytePair = "bpe"

    /// The name `descent prepare --tokenizer` takes.
    public var optionName: String {
        switch self {
        case .character: return "char"
        case .bytePair: return "bpe"
        }
    }

    public init?(optionName: String) {
        guard let kind = Self.allCases.first(where: { $0.optionName == optionName }) else { return nil }
        self = kind
    }

    /// A trainer that learns this kind of tokenizer from a corpus.
    public func makeTrainer(_ settings: TokenizerSettings = TokenizerSettings()) -> any TokenizerTrainer {
        switch self {
        case .character: return CharacterTokenizerTrainer()
        case .bytePair:
            return BytePairTrainer(options: BytePairOptions(vocabularySize: settings.vocabularySize, pattern: settings.splitPattern,
                                                            threads: settings.threads))
        }
    }

    /// Decodes a tokenizer file of this kind (its header already checked by `TokenizerFile`).
    func load(jsonData: Data, path: String) throws(TokenizerError) -> any Tokenizer {
        switch self {
        case .character: return try CharacterTokenizer(jsonData: jsonData, path: path)
        case .bytePair: return try BytePairTokenizer(jsonData: jsonData, path: path)
        }
    }
}

/// Learns a tokenizer from a corpus: it observes the text of every document, then makes the
/// tokenizer. The character trainer collects the set of scalars; a BPE trainer counts pre-tokens.
///
/// Text arrives in the pieces the pipeline encodes later (`Tokenizer`: cut only at safe cuts,
/// document ends, or rarely a scalar boundary), so a trainer never sees a pre-token split between
/// two calls unless the encoder will see it split too.
public protocol TokenizerTrainer {
    /// Observes one piece of a document's text: valid UTF-8, whole scalars.
    mutating func observe(utf8 text: UnsafeBufferPointer<UInt8>)
    /// The tokenizer learnt from everything observed so far. Throws when the options cannot be
    /// met on this corpus (a BPE vocabulary larger than its pairs allow).
    mutating func makeTokenizer() throws(TokenizerError) -> any Tokenizer
}

/// Options of the tokenizer kinds that have them.
public struct TokenizerSettings: Sendable, Equatable {
    /// BPE: vocabulary size, `<|endoftext|>` included (at least 257).
    public var vocabularySize: Int
    /// BPE: the pre-tokenization pattern.
    public var splitPattern: SplitPattern
    /// BPE: threads that count pre-tokens.
    public var threads: Int

    public static let defaultVocabularySize = 1024

    public init(vocabularySize: Int = defaultVocabularySize, splitPattern: SplitPattern = .gpt4, threads: Int = 2) {
        self.vocabularySize = vocabularySize
        self.splitPattern = splitPattern
        self.threads = threads
    }
}
